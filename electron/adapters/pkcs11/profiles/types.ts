/**
 * Token profiles: what one PKCS#11 module needs beyond the standard, as data plus a few hooks that the
 * token layer calls at its edge. The session, login and template code never test which vendor they
 * talk to; they ask the token's profile. A profile is chosen per token from the module and token
 * information (profiles/index.ts, first match wins, `generic` last).
 *
 * Adding a module (e.g. tpm2-pkcs11, openCryptoki, ykcs11): write profiles/<name>.ts, cite the vendor
 * documentation for every quirk, add it to PROFILES before `generic`, and test it against the real
 * module where one runs here.
 */
import type { KeyType } from '../../../../shared/crypto/algorithms';
import type { Template, TemplatePurpose } from '../templates';
import type { ModuleInfo, TokenInfo } from '../types';

/** What the token layer was doing when a CK_RV came back (for `transient` and `explain`). */
export type Operation = 'login' | 'find' | 'read' | 'generate' | 'sign' | 'wrap' | 'unwrap' | 'create' | 'destroy' | 'session';

export interface ProfileMatchInput {
  module: ModuleInfo;
  token: Pick<TokenInfo, 'manufacturer' | 'model' | 'label' | 'serial'>;
}

export interface TokenProfile {
  /** Stable id, shown in `tokens --json` and the transcript (e.g. 'generic', 'softhsm2'). */
  readonly id: string;
  readonly description: string;
  matches(t: ProfileMatchInput): boolean;
  /**
   * The CKA_ID a new key gets on this token. `requested` is the caller's id (a ceremony's run-specific
   * id, or --id); undefined asks for a fresh one. A module that only takes some ids (a PIV slot number)
   * maps or refuses here with a KeyceremonyError. Default: `requested`, else 16 random bytes.
   */
  keyId?(requested: Uint8Array | undefined, keyType: KeyType, hint?: { slot?: string }): Uint8Array;
  /**
   * Labels the module assigns itself and will not change (ykcs11: "Private key for Digital Signature"
   * for the key with CKA_ID 2). The key is then found by its id; the caller's label is not used.
   */
  fixedLabel?(id: Uint8Array): string | undefined;
  /** Who must be logged in for C_GenerateKeyPair: the user (default) or the security officer. */
  generateAs?: 'user' | 'so';
  /** What this module calls its security-officer credential (ykcs11: the PIV management key). */
  soCredential?: string;
  /**
   * Why a key on this token can never be backed up or restored onto it (no key wrapping, no extractable
   * private keys, ...). Undefined: the standard backup path applies.
   */
  backupUnsupported?: string;
  /**
   * False when every token of this module reports the same serial (tpm2-pkcs11: all zeros;
   * openCryptoki soft token: "123"): tokens must then be told apart by label.
   */
  serialIsUnique?: boolean;
  /**
   * Attestation certificates the module exposes as objects: the key's own (a certificate with the key's
   * CKA_ID and CKA_TOKEN false, made when read) and the device certificate with this CKA_ID.
   */
  attestation?: { deviceCertificateId: Uint8Array };
  /** The module refuses read-only sessions: open every session read-write. */
  readWriteSessions?: boolean;
  /** Not run on this machine: the profile follows documentation only (said in `tokens` and docs/hardware.md). */
  documentedOnly?: boolean;
  /** Exact PIN tries left from the token flags, where the module documents the mapping. */
  pinTriesLeft?(flags: { pinCountLow: boolean; pinFinalTry: boolean; pinLocked: boolean }): number | undefined;
  /**
   * Edit a template before it goes to the module: drop or replace attributes the module rejects. The
   * token layer re-checks the object it gets back (sensitive, non-extractable, sign-only), so a
   * profile cannot silently weaken a key.
   */
  adjustTemplate?(purpose: TemplatePurpose, template: Template): Template;
  /** Login quirks. */
  login?: {
    /**
     * When a signature needs a context-specific login after C_SignInit: 'flagged' (keys with
     * CKA_ALWAYS_AUTHENTICATE, the standard) or 'never' (a module that asks on the device).
     */
    contextSpecific?: 'flagged' | 'never';
  };
  /**
   * Is this CK_RV, during this operation, a transient answer (another process is using the token)
   * that a retry after a short wait clears (login: asked again by ../busy.ts, like GENERAL_ERROR)? Default: no.
   */
  transient?(rv: number, op: Operation): boolean;
  /** The whole sentence for a locked user PIN, where this module's lock is not the standard one. */
  pinLockedMessage?(token: { label: string; serial: string }): string;
  /** One more sentence for a refusal this module is known for (e.g. a key type it cannot wrap). */
  explain?(rv: number, op: Operation, keyType?: KeyType): string | undefined;
}

/**
 * The token layer's data types. No behaviour here: module.ts, session.ts, signer.ts, backup.ts and the
 * token profiles all import from this file, never from each other for types (no import cycles).
 */
import type { KeyType } from '../../../shared/crypto/algorithms';

/** An object or slot handle as pkcs11js gives it (a little-endian CK_ULONG in a Buffer). */
export type Handle = Buffer;

/** UTF-8 PIN bytes from a prompt, file or env var. The adapter zeroes them right after use. */
export type PinSource = () => Uint8Array | Promise<Uint8Array>;

export interface TokenFlagsInfo {
  loginRequired: boolean;
  userPinInitialized: boolean;
  tokenInitialized: boolean;
  writeProtected: boolean;
  /** PIN pad / biometric: the PIN is entered on the device, not in keyceremony. */
  protectedAuthenticationPath: boolean;
  pinCountLow: boolean;
  pinFinalTry: boolean;
  pinLocked: boolean;
  pinToBeChanged: boolean;
  soPinCountLow: boolean;
  soPinFinalTry: boolean;
  soPinLocked: boolean;
}

export interface TokenInfo {
  slotId: string;
  slotDescription: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  firmware: string;
  hardware: string;
  flags: TokenFlagsInfo;
  mechanisms: string[];
  /** What key types this token can generate and sign with, from its mechanism list. */
  keyTypes: KeyType[];
  minPinLen: number;
  maxPinLen: number;
  /** The token profile in use (electron/adapters/pkcs11/profiles): 'generic' unless a module needs quirks. */
  profile: string;
  /** User PIN tries left, where the token's flags and profile say it exactly (ykcs11, openCryptoki). */
  pinTriesLeft?: number;
  /** False when every token of this module reports the same serial: select by label. */
  serialIsUnique: boolean;
}

export interface ModuleInfo {
  path: string;
  manufacturer: string;
  description: string;
  cryptokiVersion: string;
  libraryVersion: string;
}

export interface TokenSelector {
  label?: string;
  serial?: string;
}

export type KeyProfile = 'non-extractable' | 'backupable';

export interface KeyAttributes {
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
  local: boolean;
  alwaysAuthenticate: boolean;
  wrapWithTrusted: boolean;
  private: boolean;
  sign: boolean;
  decrypt: boolean;
  unwrap: boolean;
  derive: boolean;
}

export interface TokenKey {
  label: string;
  id: Uint8Array;
  idHex: string;
  keyType: KeyType;
  publicKeySpki: Uint8Array;
  /** sha256 hex of the SPKI DER. */
  fingerprint: string;
  privateHandle: Handle;
  publicHandle?: Handle;
  attrs: KeyAttributes;
  /** RFC 7512 URI for this key's private object (no PIN). */
  uri: string;
  token: { label: string; serial: string };
}

/** A key pair as seen from its public object alone (no login): enough to pick it, not to sign. */
export interface PublicTokenKey {
  label: string;
  idHex: string;
  keyType: KeyType;
  publicKeySpki: Uint8Array;
  fingerprint: string;
  token: { label: string; serial: string };
}

export interface GenerateSpec {
  keyType: KeyType;
  label: string;
  /** CKA_ID; default: random 16 bytes (a hash of the label would collide across tokens). */
  id?: Uint8Array;
  profile?: KeyProfile;
  /** CKA_ALWAYS_AUTHENTICATE: the token asks for the PIN before every signature. */
  alwaysAuthenticate?: boolean;
  /** A fixed key slot on tokens that have them (YubiKey PIV: 9a, 9c, 9d, 9e, 82-95). */
  slot?: string;
  /** Security-officer credential for tokens that generate keys only as SO (ykcs11: the management key). */
  soPin?: PinSource;
  /** A slot that already holds a key is refused unless this is set (generating replaces that key). */
  replaceSlot?: boolean;
}

/** What the device attests about a key: its PIN and touch policy (YubiKey PIV attestation). */
export interface KeyPolicy {
  pinPolicy?: 'never' | 'once' | 'always' | 'match-once' | 'match-always';
  touchPolicy?: 'never' | 'always' | 'cached';
}

/** Who logs in: the user, the security officer, or the per-operation (context-specific) login. */
export type LoginRole = 'user' | 'so' | 'context';

/**
 * One object on the token as keyceremony sees it (for inventories and torn-object detection).
 * `complete` is false for an object that lacks what every keyceremony key object has (a label, an
 * id, its key material or, for a private key, CKA_SENSITIVE): what a crash in C_GenerateKeyPair or
 * C_UnwrapKey leaves behind.
 */
export interface TokenObject {
  handle: Handle;
  /** 'unknown': the class cannot be read (an object a crash left empty); 'other': data, certificates. */
  kind: 'private' | 'public' | 'secret' | 'unknown' | 'other';
  label: string;
  idHex: string;
  /** The CKK_ value, when readable. */
  keyTypeRaw?: number;
  sensitive?: boolean;
  complete: boolean;
  /** Why it is not complete (for the report). */
  missing: string[];
}

/**
 * What a token operation that creates objects is about to do, written to a journal BEFORE the module
 * is asked (issue 12 items 1, 2): the run-specific label and CKA_ID mark the objects as ours, and
 * `tornBefore` lists the incomplete objects already on the token, which are not ours. After a crash,
 * the objects the intent explains are found, reported and removed (or, for a recovery, completed).
 */
export interface TokenIntent {
  v: 1;
  op: 'keygen' | 'recover';
  token: { serial: string; label: string };
  key: { label: string; idHex: string; keyType: KeyType };
  /** Signatures (objectSignature) of the incomplete objects on the token when the intent began. */
  tornBefore: string[];
  startedAt: string;
}

/** Where intents are kept (electron/adapters/fs/token-journal.ts): crash-safe, one file per intent. */
export interface TokenJournal {
  begin(intent: TokenIntent): void;
  end(intent: TokenIntent): void;
  pending(token: { serial: string; label: string }): TokenIntent[];
  /** Where it is (for messages: "the journal in …"). */
  readonly location: string;
}

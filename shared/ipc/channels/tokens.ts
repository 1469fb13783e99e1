/** IPC area "tokens": inventory, keys, signing with a token, checking a signature. */
import type { KeyType, SignatureAlgorithm } from '../../crypto/algorithms';
import { KeyTypes, SignatureAlgorithms } from '../../crypto/algorithms';
import { empty, jobId, KeyRefSchema, PinSchema, TokenRefSchema } from '../common';
import { arr, b64Str, hexStr, label, obj, oneOf, opt, type Schema } from '../schema';

export interface TokenSummary {
  slotId: string;
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  /** The reader has a PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH): no PIN field, type it on the pad. */
  pinPad: boolean;
  initialized: boolean;
  /**
   * What the token says about tries left (CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED), and the exact
   * number where the token's profile documents how its flags map to tries (YubiKey, openCryptoki).
   */
  pin: { countLow: boolean; finalTry: boolean; locked: boolean; toBeChanged: boolean; triesLeft?: number };
  /** The token profile keyceremony uses for its module (generic, softhsm2, tpm2-pkcs11, ykcs11, ...). */
  profile?: string;
}

export interface KeyInfo {
  label: string;
  idHex: string;
  keyType: KeyType;
  /** SHA-256 of the DER SPKI, lower-case hex. */
  fingerprint: string;
  /** The same fingerprint as PGP words people can read aloud (shared/pgp-words.ts). */
  fingerprintWords: string;
  spkiB64: string;
  uri?: string;
  /** The touch policy the device attests for this key (YubiKey): always/cached means a touch per signature. */
  touchPolicy?: 'never' | 'always' | 'cached';
}

export type TokenCheck =
  { status: 'present'; token: TokenSummary } | { status: 'absent'; others: TokenSummary[] } | { status: 'wrong'; others: TokenSummary[] };

export interface SignOutput {
  signatureB64: string;
  algorithm: SignatureAlgorithm;
  fingerprint: string;
  /** The signature verified against the key's public key before it was returned. */
  verified: true;
}

export interface BatchOutput {
  signaturesB64: string[];
  fingerprint: string;
}

const keyType = oneOf(KeyTypes);
const algorithm = oneOf(SignatureAlgorithms);

export const tokenChannels = {
  'kc:tokens.list': empty,
  /** Is the expected token the one in the reader? Refuses a wrong token before any login. */
  'kc:tokens.check': obj({ expect: TokenRefSchema }),
  'kc:keys.list': obj({ token: TokenRefSchema, pin: opt(PinSchema) }),
  'kc:keys.generate': obj({
    token: TokenRefSchema,
    pin: PinSchema,
    keyType,
    label: label(64),
    idHex: opt(hexStr(64)),
    profile: opt(oneOf(['non-extractable', 'backupable'] as const)),
  }),
  'kc:keys.publicKey': obj({ token: TokenRefSchema, key: KeyRefSchema, pin: opt(PinSchema) }),
  /** The public keys on a token, read from its public objects without a PIN (to pick a key). */
  'kc:keys.listPublic': obj({ token: TokenRefSchema }),
  'kc:sign.data': obj({
    token: TokenRefSchema,
    key: KeyRefSchema,
    pin: PinSchema,
    dataB64: b64Str(1024 * 1024),
    algorithm: opt(algorithm),
  }),
  'kc:sign.batch': obj({
    jobId,
    token: TokenRefSchema,
    key: KeyRefSchema,
    pin: PinSchema,
    itemsB64: arr(b64Str(64 * 1024), { min: 1, max: 10000 }),
  }),
  /** Generic verification of a signature by a known public key. */
  'kc:verify.signature': obj({ spkiB64: b64Str(4096), algorithm, dataB64: b64Str(8 * 1024 * 1024), signatureB64: b64Str(2048) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface TokenResponses {
  'kc:tokens.list': TokenSummary[];
  'kc:tokens.check': TokenCheck;
  'kc:keys.list': KeyInfo[];
  'kc:keys.generate': KeyInfo & { created: boolean };
  'kc:keys.publicKey': KeyInfo;
  'kc:keys.listPublic': KeyInfo[];
  'kc:sign.data': SignOutput;
  'kc:sign.batch': BatchOutput;
  'kc:verify.signature': { valid: boolean };
}

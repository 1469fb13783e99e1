/** PKCS#11 constants pkcs11js 2.1.7 lacks (PKCS#11 v3.0 values), and token flags we report. */
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;
export const CKK_EC_EDWARDS = 0x40;
export const CKM_AES_KEY_WRAP = 0x2109;
export const CKM_AES_KEY_WRAP_PAD = 0x210a;
export const CKA_ALWAYS_AUTHENTICATE = 0x202;
export const CKA_WRAP_WITH_TRUSTED = 0x210;
export const CKA_TRUSTED = 0x86;
export const CKU_CONTEXT_SPECIFIC = 2;

/** CK_TOKEN_INFO flags. */
export const TokenFlags = {
  RNG: 0x1,
  WRITE_PROTECTED: 0x2,
  LOGIN_REQUIRED: 0x4,
  USER_PIN_INITIALIZED: 0x8,
  PROTECTED_AUTHENTICATION_PATH: 0x100,
  TOKEN_INITIALIZED: 0x400,
  USER_PIN_COUNT_LOW: 0x10000,
  USER_PIN_FINAL_TRY: 0x20000,
  USER_PIN_LOCKED: 0x40000,
  USER_PIN_TO_BE_CHANGED: 0x80000,
  SO_PIN_COUNT_LOW: 0x100000,
  SO_PIN_FINAL_TRY: 0x200000,
  SO_PIN_LOCKED: 0x400000,
} as const;

/** DER OIDs for CKA_EC_PARAMS. */
export const EC_PARAMS = {
  'P-256': Buffer.from('06082a8648ce3d030107', 'hex'),
  'P-384': Buffer.from('06052b81040022', 'hex'),
  Ed25519: Buffer.from('06032b6570', 'hex'),
} as const;

/** Names for the mechanisms a custodian may care about (others are shown as hex). */
export const MECHANISM_NAMES: Record<number, string> = {
  0x0: 'RSA_PKCS_KEY_PAIR_GEN',
  0x1: 'RSA_PKCS',
  0x9: 'RSA_PKCS_OAEP',
  0xd: 'RSA_PKCS_PSS',
  0x40: 'SHA256_RSA_PKCS',
  0x43: 'SHA256_RSA_PKCS_PSS',
  0x250: 'SHA256',
  0x260: 'SHA384',
  0x270: 'SHA512',
  0x1040: 'EC_KEY_PAIR_GEN',
  0x1041: 'ECDSA',
  0x1042: 'ECDSA_SHA1',
  0x1044: 'ECDSA_SHA256',
  0x1045: 'ECDSA_SHA384',
  0x1050: 'ECDH1_DERIVE',
  [CKM_EC_EDWARDS_KEY_PAIR_GEN]: 'EC_EDWARDS_KEY_PAIR_GEN',
  [CKM_EDDSA]: 'EDDSA',
  0x1080: 'AES_KEY_GEN',
  0x1087: 'AES_GCM',
  [CKM_AES_KEY_WRAP]: 'AES_KEY_WRAP',
  [CKM_AES_KEY_WRAP_PAD]: 'AES_KEY_WRAP_PAD',
};

export function mechanismName(m: number): string {
  return MECHANISM_NAMES[m] ?? `0x${m.toString(16)}`;
}

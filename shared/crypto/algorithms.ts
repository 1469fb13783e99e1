/**
 * Signature algorithms the project signs and verifies with.
 * - ecdsa-*: the message is hashed with the named hash; the signature is ASN.1 DER (convert with
 *   shared/crypto/ecdsa for raw r||s formats such as Notary and PKCS#11).
 * - ed25519: pure EdDSA over the whole message; 64-byte signature.
 * - rsa-pss-sha256: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 (TUF `rsassa-pss-sha256`).
 * - rsa-pkcs1-sha256: RSASSA-PKCS1-v1_5 with SHA-256 (cosign RSA keys).
 */
export const SignatureAlgorithms = ['ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'ecdsa-p384-sha256', 'ed25519', 'rsa-pss-sha256', 'rsa-pkcs1-sha256'] as const;
export type SignatureAlgorithm = (typeof SignatureAlgorithms)[number];

/**
 * What we verify but never sign with: ECDSA P-521 with SHA-512 (TUF `ecdsa-sha2-nistp521`, Sigstore's
 * PKIX_ECDSA_P521_SHA_512) or SHA-256 (cosign's default hash for any EC key). No token key type we
 * generate is P-521.
 */
export const VerifyOnlyAlgorithms = ['ecdsa-p521-sha512', 'ecdsa-p521-sha256'] as const;
export type VerifyAlgorithm = SignatureAlgorithm | (typeof VerifyOnlyAlgorithms)[number];

/** Key types a token can generate. */
export const KeyTypes = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-3072', 'rsa-4096'] as const;
export type KeyType = (typeof KeyTypes)[number];

export function isKeyType(x: unknown): x is KeyType {
  return typeof x === 'string' && (KeyTypes as readonly string[]).includes(x);
}

/** The algorithm a key type signs with unless told otherwise. */
export function defaultSignatureAlgorithm(t: KeyType): SignatureAlgorithm {
  switch (t) {
    case 'ecdsa-p256':
      return 'ecdsa-p256-sha256';
    case 'ecdsa-p384':
      return 'ecdsa-p384-sha384';
    case 'ed25519':
      return 'ed25519';
    case 'rsa-3072':
    case 'rsa-4096':
      return 'rsa-pss-sha256';
  }
}

/** Which signature algorithms a key of this type may produce. */
export function algorithmsForKeyType(t: KeyType): SignatureAlgorithm[] {
  switch (t) {
    case 'ecdsa-p256':
      return ['ecdsa-p256-sha256'];
    case 'ecdsa-p384':
      return ['ecdsa-p384-sha384', 'ecdsa-p384-sha256'];
    case 'ed25519':
      return ['ed25519'];
    case 'rsa-3072':
    case 'rsa-4096':
      return ['rsa-pss-sha256', 'rsa-pkcs1-sha256'];
  }
}

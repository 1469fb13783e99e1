/**
 * Key handling for cosign: which signature algorithms cosign accepts for a key, the bundle key hint,
 * public-key PEM in/out, and the `pkcs11:` URI cosign reads for `cosign sign --key`.
 *
 * cosign signs with ECDSA P-256/P-384/P-521 (SHA-256/384/512), RSA PKCS#1 v1.5 with SHA-256 and
 * Ed25519 (`doc/cosign_sign-blob.md` `--signing-algorithm`; sigstore/sigstore `LoadSignerVerifier`).
 * Its default verifier for an RSA PEM key is PKCS#1 v1.5, so we refuse to sign with RSA-PSS.
 */
import { KeyceremonyError } from '../errors';
import type { KeyType, SignatureAlgorithm, VerifyAlgorithm } from '../crypto/algorithms';
import { parseSpki, type KeyAlgorithm } from '../crypto/spki';
import { pemDecode, pemEncode } from '../encoding/bytes';
import type { HashAlgorithmName } from './bundle';
import { encodePkcs11QueryValue } from '../pkcs11-uri';

export function publicKeyPem(spki: Uint8Array): string {
  return pemEncode('PUBLIC KEY', spki);
}

/** Parse a PEM `PUBLIC KEY` (SPKI) as cosign writes `cosign.pub`. */
export function parsePublicKeyPem(text: string, where = 'public key'): { spki: Uint8Array; algorithm: KeyAlgorithm } {
  let der: Uint8Array;
  let label: string;
  try {
    ({ label, der } = pemDecode(text));
  } catch (e) {
    throw new KeyceremonyError('INVALID_KEY', 'The key file is not PEM.', { where, cause: e });
  }
  if (label !== 'PUBLIC KEY') {
    throw new KeyceremonyError('INVALID_KEY', `Expected a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), got "${label}".`, { where });
  }
  try {
    return { spki: der, algorithm: parseSpki(der).algorithm };
  } catch (e) {
    throw new KeyceremonyError('INVALID_KEY', `The public key cannot be parsed: ${(e as Error).message}.`, { where, cause: e });
  }
}

/** The signing algorithms cosign verifiers accept; refuse the rest before touching a token. */
export function assertCosignAlgorithm(alg: SignatureAlgorithm, where = 'signer'): void {
  if (alg === 'rsa-pss-sha256') {
    throw new KeyceremonyError(
      'ALGORITHM_UNSUPPORTED',
      'cosign verifies RSA keys with PKCS#1 v1.5 over SHA-256; open the key with algorithm rsa-pkcs1-sha256 instead of RSA-PSS.',
      { where },
    );
  }
}

/** How a token key signs for cosign: RSA with PKCS#1 v1.5 (what cosign verifies), others their default. */
export function cosignAlgorithmFor(keyType: KeyType): SignatureAlgorithm | undefined {
  return keyType.startsWith('rsa') ? 'rsa-pkcs1-sha256' : undefined;
}

/** messageDigest algorithm that goes with a signing algorithm (the hash the signature is over). */
export function digestAlgorithmFor(alg: SignatureAlgorithm): HashAlgorithmName {
  return alg === 'ecdsa-p384-sha384' ? 'SHA2_384' : 'SHA2_256';
}

/**
 * Candidate algorithms to verify a signature with a given key (hash is not implied by the curve).
 * Throws ALGORITHM_UNSUPPORTED for a key type we do not implement (a signature we cannot check is
 * not a bad signature), INVALID_KEY for a damaged key.
 */
export function verifyAlgorithmsFor(spki: Uint8Array, digest?: HashAlgorithmName): VerifyAlgorithm[] {
  const a = parseSpki(spki).algorithm;
  switch (a) {
    case 'ecdsa-p256':
      return ['ecdsa-p256-sha256'];
    case 'ecdsa-p384':
      if (digest === 'SHA2_384') return ['ecdsa-p384-sha384'];
      if (digest === 'SHA2_256') return ['ecdsa-p384-sha256'];
      return ['ecdsa-p384-sha384', 'ecdsa-p384-sha256'];
    case 'ed25519':
      return ['ed25519'];
    case 'rsa':
      return ['rsa-pkcs1-sha256', 'rsa-pss-sha256'];
    case 'ecdsa-p521':
      // Sigstore's PKIX_ECDSA_P521_SHA_512; cosign hashes with SHA-256 unless told otherwise
      if (digest === 'SHA2_512') return ['ecdsa-p521-sha512'];
      if (digest === 'SHA2_256') return ['ecdsa-p521-sha256'];
      if (digest === 'SHA2_384')
        throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', 'a P-521 key with a SHA-384 digest is not a Sigstore or cosign signing algorithm', {
          where: 'public key',
        });
      return ['ecdsa-p521-sha512', 'ecdsa-p521-sha256'];
  }
}

/**
 * The URI cosign needs for `cosign sign --key`: the token layer's RFC 7512 key URI plus
 * `module-path` (cosign `pkg/cosign/pkcs11key/util.go` reads path attributes token, slot-id, object,
 * id and query attributes module-path, pin-value). The PIN is never written: cosign prompts for it or
 * reads COSIGN_PKCS11_PIN.
 */
export function cosignPkcs11Uri(tokenKeyUri: string, modulePath?: string): string {
  if (!tokenKeyUri.startsWith('pkcs11:')) {
    throw new KeyceremonyError('INVALID_URI', `Not a pkcs11: URI: ${tokenKeyUri}`, { where: 'key uri' });
  }
  const [path, query] = tokenKeyUri.split('?', 2) as [string, string | undefined];
  const params = (query ?? '')
    .split('&')
    .filter((p) => p !== '' && !p.startsWith('pin-value=') && !p.startsWith('pin-source=') && !p.startsWith('module-path='));
  if (modulePath) params.push(`module-path=${encodePkcs11QueryValue(modulePath)}`);
  return params.length ? `${path}?${params.join('&')}` : path;
}

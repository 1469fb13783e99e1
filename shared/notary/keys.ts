/**
 * Notary keys and signatures (notary `tuf/data/keys.go`, `tuf/signed/verifiers.go`, `tuf/utils/x509.go`):
 * - key id = hex SHA-256 of the canonical JSON `{"keytype":…,"keyval":{"private":null,"public":…}}`;
 * - `ecdsa`/`rsa`: public = base64 DER SPKI; `ed25519`: base64 of the 32 raw bytes;
 *   `ecdsa-x509`/`rsa-x509`: base64 of the PEM text of a certificate;
 * - canonical key id of an x509 key = the id of the plain key built from the certificate's SPKI
 *   (what `notary key list` shows and names private key files after);
 * - signatures: `ecdsa` raw r||s over SHA-256 (also on P-384), `eddsa` pure Ed25519, `rsapss`
 *   RSASSA-PSS SHA-256 salt 32. All base64.
 */
import { KeyceremonyError } from '../errors';
import { canonicalBytes } from '../json/canonical';
import { fromBase64, fromUtf8, pemDecode, pemEncode, toBase64, toHex, utf8 } from '../encoding/bytes';
import { curveSize, derToRaw, rawToDer } from '../crypto/ecdsa';
import { ed25519ToSpki, parseSpki } from '../crypto/spki';
import { sha256, verifySignature } from '../crypto/webcrypto';
import type { SignatureAlgorithm } from '../crypto/algorithms';
import { checkKey, type NotaryKey, type NotaryKeyType, type NotarySigMethod, type NotarySignature } from './model';
import { parseStrictJson } from '../json/strict';
import { parseCertificate, type CertInfo } from './x509';

/** Key id as Notary computes it. */
export async function notaryKeyId(key: NotaryKey): Promise<string> {
  return toHex(await sha256(canonicalBytes({ keytype: key.keytype, keyval: { private: null, public: key.keyval.public } })));
}

export function isX509KeyType(t: string): t is 'ecdsa-x509' | 'rsa-x509' {
  return t === 'ecdsa-x509' || t === 'rsa-x509';
}

/** A Notary public key from a DER SPKI (ecdsa, ed25519 or rsa). */
export function notaryKeyFromSpki(spki: Uint8Array): NotaryKey {
  const info = parseSpki(spki);
  switch (info.algorithm) {
    case 'ecdsa-p256':
    case 'ecdsa-p384':
      return { keytype: 'ecdsa', keyval: { private: null, public: toBase64(spki) } };
    case 'ed25519':
      return { keytype: 'ed25519', keyval: { private: null, public: toBase64(info.publicKey) } };
    case 'rsa':
      return { keytype: 'rsa', keyval: { private: null, public: toBase64(spki) } };
    default:
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Notary cannot use ${info.algorithm} keys.`);
  }
}

/** A Notary x509 public key from the PEM text of a certificate (kept byte for byte). */
export function notaryKeyFromCertPem(pem: string): NotaryKey {
  let alg: string;
  try {
    const { label, der } = pemDecode(pem);
    if (label !== 'CERTIFICATE') throw new KeyceremonyError('INVALID_KEY', `expected a PEM CERTIFICATE, got ${label}`);
    alg = parseSpki(parseCertificate(der).spki).algorithm;
  } catch (e) {
    throw new KeyceremonyError('INVALID_KEY', `not a usable certificate: ${(e as Error).message}`, { where: 'certificate', cause: e });
  }
  const keytype: NotaryKeyType =
    alg === 'rsa'
      ? 'rsa-x509'
      : alg === 'ecdsa-p256' || alg === 'ecdsa-p384'
        ? 'ecdsa-x509'
        : (() => {
            throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Notary x509 keys are ECDSA or RSA, not ${alg}.`);
          })();
  return { keytype, keyval: { private: null, public: toBase64(utf8(pem)) } };
}

/** The certificate inside an x509 key. */
export function certOfKey(key: NotaryKey): CertInfo {
  if (!isX509KeyType(key.keytype)) throw new KeyceremonyError('INVALID_KEY', `${key.keytype} key has no certificate`);
  const pem = fromUtf8(fromBase64(key.keyval.public));
  return parseCertificate(pemDecode(pem).der);
}

/** The PEM certificate text of an x509 key. */
export function certPemOfKey(key: NotaryKey): string {
  return fromUtf8(fromBase64(key.keyval.public));
}

/** DER SPKI of any Notary key. */
export function spkiOfKey(key: NotaryKey): Uint8Array {
  const raw = fromBase64(key.keyval.public);
  switch (key.keytype) {
    case 'ecdsa':
    case 'rsa':
      return raw;
    case 'ed25519':
      return ed25519ToSpki(raw);
    case 'ecdsa-x509':
    case 'rsa-x509':
      return certOfKey(key).spki;
  }
}

/** Notary's canonical key id: for x509 keys, the id of the plain key from the certificate's SPKI. */
export async function canonicalKeyId(key: NotaryKey): Promise<string> {
  if (!isX509KeyType(key.keytype)) return notaryKeyId(key);
  return notaryKeyId(notaryKeyFromSpki(spkiOfKey(key)));
}

/** PEM SPKI, for humans and openssl. */
export function spkiPemOfKey(key: NotaryKey): string {
  return pemEncode('PUBLIC KEY', spkiOfKey(key));
}

/** The signature method a key signs with. */
export function methodForKey(key: NotaryKey): NotarySigMethod {
  switch (key.keytype) {
    case 'ecdsa':
    case 'ecdsa-x509':
      return 'ecdsa';
    case 'ed25519':
      return 'eddsa';
    case 'rsa':
    case 'rsa-x509':
      return 'rsapss';
  }
}

/** The SignatureAlgorithm our Signer must use for this key in Notary. */
export function signatureAlgorithmForKey(key: NotaryKey): SignatureAlgorithm {
  const info = parseSpki(spkiOfKey(key));
  switch (info.algorithm) {
    case 'ecdsa-p256':
      return 'ecdsa-p256-sha256';
    case 'ecdsa-p384':
      return 'ecdsa-p384-sha256';
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
      return 'rsa-pss-sha256';
    default:
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Notary cannot verify ${info.algorithm} signatures.`);
  }
}

/**
 * Verify one Notary signature over `data` with `key`. Returns false on a bad or malformed signature
 * or a method that does not match the key (Notary refuses those too).
 */
export async function verifyNotarySignature(key: NotaryKey, sig: NotarySignature, data: Uint8Array): Promise<boolean> {
  let spki: Uint8Array;
  let raw: Uint8Array;
  let info: ReturnType<typeof parseSpki>;
  try {
    spki = spkiOfKey(key);
    raw = fromBase64(sig.sig);
    info = parseSpki(spki);
  } catch {
    return false; // a malformed key or signature verifies nothing
  }
  if (sig.method !== methodForKey(key)) return false;
  switch (info.algorithm) {
    case 'ecdsa-p256':
    case 'ecdsa-p384': {
      const size = curveSize(info.algorithm === 'ecdsa-p256' ? 'P-256' : 'P-384');
      if (raw.length !== size * 2) return false; // notary checks the octet length too
      return verifySignature(spki, info.algorithm === 'ecdsa-p256' ? 'ecdsa-p256-sha256' : 'ecdsa-p384-sha256', data, rawToDer(raw));
    }
    case 'ed25519':
      return verifySignature(spki, 'ed25519', data, raw);
    case 'rsa':
      return verifySignature(spki, 'rsa-pss-sha256', data, raw);
    default:
      return false;
  }
}

/** Turn a Signer's signature (ECDSA DER) into the Notary `sig` field (ECDSA raw r||s, base64). */
export function notarySigFromSignerOutput(key: NotaryKey, sig: Uint8Array): string {
  const info = parseSpki(spkiOfKey(key));
  if (info.algorithm === 'ecdsa-p256') return toBase64(derToRaw(sig, 32));
  if (info.algorithm === 'ecdsa-p384') return toBase64(derToRaw(sig, 48));
  return toBase64(sig);
}

/** SHA-256 fingerprint (hex) of a key's SPKI: the same as Signer.fingerprint. */
export async function keyFingerprint(key: NotaryKey): Promise<string> {
  return toHex(await sha256(spkiOfKey(key)));
}

/**
 * A public key file's text, as `keyceremony notary` takes it: a PEM PUBLIC KEY, a PEM CERTIFICATE
 * (-> an x509 key), or Notary key JSON (what notary-server's timestamp.key returns). `where` names
 * the file in errors.
 */
export function notaryKeyFromText(text: string, where: string): NotaryKey {
  try {
    if (text.trimStart().startsWith('{')) {
      if (text.length > 64 * 1024) throw new KeyceremonyError('TOO_LARGE', 'a key file is at most 64 KiB', { where });
      const k = checkKey(parseStrictJson(text, { source: where }), '$', where);
      return { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
    }
    if (text.includes('-----BEGIN CERTIFICATE-----')) return notaryKeyFromCertPem(certPemFromText(text, where));
    if (text.includes('-----BEGIN PUBLIC KEY-----')) return notaryKeyFromSpki(pemDecode(text.slice(text.indexOf('-----BEGIN PUBLIC KEY-----'))).der);
  } catch (e) {
    if (e instanceof KeyceremonyError) throw new KeyceremonyError(e.code, `${where}: ${e.message}`, { where, cause: e });
    throw new KeyceremonyError('INVALID_KEY', `${where}: not a usable public key (${(e as Error).message})`, { where });
  }
  throw new KeyceremonyError('INVALID_KEY', `${where}: expected a PEM public key, a PEM certificate or a Notary key JSON`, { where });
}

/** The first PEM certificate block of a text, as it is (root certificates are kept byte for byte). */
export function certPemFromText(text: string, where: string): string {
  const i = text.indexOf('-----BEGIN CERTIFICATE-----');
  const end = text.indexOf('-----END CERTIFICATE-----', i);
  if (i < 0 || end < 0) throw new KeyceremonyError('INVALID_KEY', `${where}: not a PEM certificate`, { where });
  return text.slice(i, end + '-----END CERTIFICATE-----'.length) + '\n';
}

/**
 * TUF key objects (spec "Key objects", #file-formats-keys) and signature checks.
 *
 * Accepted when reading (all observed in real repositories, see fixtures INDEX.md):
 *   keytype ed25519        scheme ed25519            keyval.public = hex 32 bytes (or PEM SPKI)
 *   keytype ecdsa | ecdsa-sha2-nistp256 | ecdsa-sha2-nistp384
 *                          scheme ecdsa-sha2-nistp256|384   keyval.public = PEM SPKI, or legacy hex point 04||X||Y
 *   keytype rsa            scheme rsassa-pss-sha256  keyval.public = PEM SPKI (or PKCS#1 "RSA PUBLIC KEY")
 * Signatures are hex; ECDSA signatures are ASN.1 DER.
 *
 * P-384: the spec's `ecdsa-sha2-nistp384` scheme hashes with SHA-384 and so do we. tuf-js 5 (@tufjs/models
 * 4.1.1) verifies every ECDSA key with SHA-256, so a spec-correct P-384 signature fails there: we emit P-256
 * keys by default (docs/tuf.md).
 *
 * Key ids (spec "KEYID"): SHA-256 of the canonical JSON of the key object. We always compute them when
 * writing; when reading we accept ids that do not match (Sigstore v11, staging v5-v8, go-tuf M3...).
 */
import { KeyceremonyError } from '../errors';
import { canonicalBytes } from '../json/canonical';
import { childPath, parseStrictJson } from '../json/strict';
import { fromHex, pemDecode, pemEncode, toHex, bytesEqual } from '../encoding/bytes';
import { ecPointToSpki, ed25519ToSpki, parseSpki, type SpkiInfo } from '../crypto/spki';
import { readChildren, readDerAll, tlv } from '../encoding/der';
import { sha256Hex, verifySignature } from '../crypto/webcrypto';
import type { KeyType, SignatureAlgorithm } from '../crypto/algorithms';

export interface TufKeyJSON {
  keytype: string;
  scheme: string;
  keyval: { public: string; [k: string]: unknown };
  [k: string]: unknown;
}

export function invalid(where: string, msg: string): never {
  throw new KeyceremonyError('INVALID_METADATA', `${msg} (at ${where})`, { where });
}

/** A key we cannot use; keyToSpki adds which key and where. */
function unusable(msg: string): never {
  throw new KeyceremonyError('INVALID_KEY', msg);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate the shape of a key object; returns it as is (unknown fields kept). */
export function checkKeyJSON(v: unknown, where: string): TufKeyJSON {
  if (!isObj(v)) invalid(where, 'key must be an object');
  if (typeof v.keytype !== 'string') invalid(childPath(where, 'keytype'), 'keytype must be a string');
  if (typeof v.scheme !== 'string') invalid(childPath(where, 'scheme'), 'scheme must be a string');
  if (!isObj(v.keyval)) invalid(childPath(where, 'keyval'), 'keyval must be an object');
  if (typeof v.keyval.public !== 'string') invalid(childPath(childPath(where, 'keyval'), 'public'), 'keyval.public must be a string');
  return v as TufKeyJSON;
}

const spkiCache = new WeakMap<object, { spki: Uint8Array; alg: SignatureAlgorithm } | Error>();

function pkcs1ToSpki(der: Uint8Array): Uint8Array {
  const node = readDerAll(der);
  const [n, e] = node.tag === 0x30 ? readChildren(node) : [];
  if (!n || !e) unusable('bad PKCS#1 RSA key');
  const alg = Uint8Array.from([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);
  const bits = tlv(0x03, Uint8Array.of(0, ...der));
  return tlv(0x30, Uint8Array.from([...alg, ...bits]));
}

/**
 * Resolve a TUF key to DER SPKI plus the signature algorithm its scheme names. Throws INVALID_KEY
 * for unusable keys; callers verifying metadata treat such a key as one that verifies nothing.
 */
export function keyToSpki(key: TufKeyJSON, where = '$'): { spki: Uint8Array; alg: SignatureAlgorithm } {
  const hit = spkiCache.get(key);
  if (hit instanceof Error) throw hit;
  if (hit) return hit;
  try {
    const r = resolve(key);
    spkiCache.set(key, r);
    return r;
  } catch (e) {
    const err = new KeyceremonyError(
      'INVALID_KEY',
      `unusable ${key.keytype}/${key.scheme} key: ${e instanceof Error ? e.message : String(e)} (at ${where})`,
      { where, cause: e },
    );
    spkiCache.set(key, err);
    throw err;
  }
}

function resolve(key: TufKeyJSON): { spki: Uint8Array; alg: SignatureAlgorithm } {
  const pub = key.keyval.public.trim();
  const isPem = pub.startsWith('-----BEGIN');
  const der = (): Uint8Array => {
    const p = pemDecode(pub);
    if (p.label === 'PUBLIC KEY') return p.der;
    if (p.label === 'RSA PUBLIC KEY') return pkcs1ToSpki(p.der);
    unusable(`PEM block ${p.label} is not a public key`);
  };
  switch (key.keytype) {
    case 'ed25519': {
      if (key.scheme !== 'ed25519') unusable(`scheme ${key.scheme} does not go with ed25519`);
      const spki = isPem ? der() : ed25519ToSpki(fromHex(pub));
      if (parseSpki(spki).algorithm !== 'ed25519') unusable('not an Ed25519 key');
      return { spki, alg: 'ed25519' };
    }
    case 'ecdsa':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384': {
      const spki = isPem ? der() : ecPointToSpki(fromHex(pub));
      const info = parseSpki(spki);
      if (key.scheme === 'ecdsa-sha2-nistp256') {
        if (info.algorithm !== 'ecdsa-p256') unusable('scheme ecdsa-sha2-nistp256 needs a P-256 key');
        return { spki, alg: 'ecdsa-p256-sha256' };
      }
      if (key.scheme === 'ecdsa-sha2-nistp384') {
        if (info.algorithm !== 'ecdsa-p384') unusable('scheme ecdsa-sha2-nistp384 needs a P-384 key');
        return { spki, alg: 'ecdsa-p384-sha384' };
      }
      unusable(`unsupported ECDSA scheme ${key.scheme}`);
    }
    case 'rsa': {
      if (key.scheme !== 'rsassa-pss-sha256') unusable(`unsupported RSA scheme ${key.scheme}`);
      if (!isPem) unusable('RSA keys must be PEM');
      const spki = der();
      if (parseSpki(spki).algorithm !== 'rsa') unusable('not an RSA key');
      return { spki, alg: 'rsa-pss-sha256' };
    }
    default:
      unusable(`unsupported key type ${key.keytype}`);
  }
}

/** Spec KEYID: hex SHA-256 of the canonical JSON of the whole key object. */
export async function computeKeyId(key: TufKeyJSON): Promise<string> {
  return sha256Hex(canonicalBytes(key));
}

/** SHA-256 of the DER SPKI: the physical key's fingerprint (same key under two ids -> same value). */
export async function keyFingerprint(key: TufKeyJSON): Promise<string> {
  try {
    return await sha256Hex(keyToSpki(key).spki);
  } catch {
    return 'unusable:' + (await computeKeyId(key));
  }
}

/** Build the TUF key object we emit for a public key (DER SPKI) of the given type. */
export function keyFromSpki(keyType: KeyType, spki: Uint8Array, algorithm?: SignatureAlgorithm): TufKeyJSON {
  switch (keyType) {
    case 'ed25519':
      return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: toHex(parseSpki(spki).publicKey) } };
    case 'ecdsa-p256':
      return { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pemEncode('PUBLIC KEY', spki) } };
    case 'ecdsa-p384':
      if (algorithm && algorithm !== 'ecdsa-p384-sha384') {
        throw new KeyceremonyError(
          'ALGORITHM_UNSUPPORTED',
          'a TUF ecdsa-sha2-nistp384 key must sign with SHA-384 (spec); configure the signer with ecdsa-p384-sha384',
        );
      }
      return { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp384', keyval: { public: pemEncode('PUBLIC KEY', spki) } };
    case 'rsa-3072':
    case 'rsa-4096':
      if (algorithm && algorithm !== 'rsa-pss-sha256') {
        throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', 'TUF RSA keys sign with rsassa-pss-sha256');
      }
      return { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pemEncode('PUBLIC KEY', spki) } };
  }
}

/** Verify one hex signature over `data`. False for a bad signature, bad hex, or an unusable key. */
export async function verifyTufSignature(key: TufKeyJSON, data: Uint8Array, sigHex: string): Promise<boolean> {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(sigHex)) return false;
  let k: { spki: Uint8Array; alg: SignatureAlgorithm };
  try {
    k = keyToSpki(key);
  } catch {
    return false;
  }
  return verifySignature(k.spki, k.alg, data, fromHex(sigHex));
}

export function sameSpki(a: TufKeyJSON, b: TufKeyJSON): boolean {
  try {
    return bytesEqual(keyToSpki(a).spki, keyToSpki(b).spki);
  } catch {
    return false;
  }
}

/** The token key type of a public key (DER SPKI), for the TUF key object we emit. */
export function keyTypeOfSpki(info: SpkiInfo, where: string): KeyType {
  switch (info.algorithm) {
    case 'ecdsa-p256':
    case 'ecdsa-p384':
    case 'ed25519':
      return info.algorithm;
    case 'rsa':
      return info.bits > 3072 ? 'rsa-4096' : 'rsa-3072';
    default:
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `${where}: ${String(info.algorithm)} keys are not supported for TUF`, { where });
  }
}

/**
 * A public key file's text: PEM SPKI (any supported type, as `keyceremony pubkey` writes it) or a TUF
 * key object in JSON. `where` names the file in errors.
 */
export function parseTufKeyText(text: string, where: string): TufKeyJSON {
  const t = text.trim();
  if (t.startsWith('{')) return checkKeyJSON(parseStrictJson(t, { source: where }), where);
  let der: Uint8Array;
  try {
    const pem = pemDecode(t);
    if (pem.label !== 'PUBLIC KEY') throw new KeyceremonyError('INVALID_KEY', `PEM block "${pem.label}" is not a public key`, { where });
    der = pem.der;
  } catch (e) {
    throw new KeyceremonyError('INVALID_KEY', `${where}: not a PEM public key or TUF key JSON (${(e as Error).message})`, { where });
  }
  let info: SpkiInfo;
  try {
    info = parseSpki(der);
  } catch (e) {
    if (e instanceof KeyceremonyError) throw new KeyceremonyError(e.code, `${where}: ${e.message}`, { where, cause: e });
    throw new KeyceremonyError('INVALID_KEY', `${where}: not a usable public key (${(e as Error).message})`, { where });
  }
  return keyFromSpki(keyTypeOfSpki(info, where), der);
}

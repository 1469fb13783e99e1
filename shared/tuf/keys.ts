/**
 * TUF key objects (spec "Key objects", #file-formats-keys) and signature checks.
 *
 * Accepted when reading (all observed in real repositories, see fixtures INDEX.md):
 *   keytype ed25519        scheme ed25519            keyval.public = hex 32 bytes (or PEM SPKI)
 *   keytype ecdsa | ecdsa-sha2-nistp256 | ecdsa-sha2-nistp384 | ecdsa-sha2-nistp521
 *                          scheme ecdsa-sha2-nistp256|384|521   keyval.public = PEM SPKI, or legacy hex point 04||X||Y
 *   keytype rsa            scheme rsassa-pss-sha256  keyval.public = PEM SPKI (or PKCS#1 "RSA PUBLIC KEY")
 * Signatures are hex; ECDSA signatures are ASN.1 DER. RSA-PSS signatures verify with any salt length
 * (read from the signature: the scheme does not fix it, go-tuf v2 signs with the maximum); we sign with
 * 32. P-521 (SHA-512, as securesystemslib and sigstore-java name it) is verified, never generated.
 * A key of another type is "unsupported" (UNSUPPORTED_KEY_TYPE in notes), never a signature failure.
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
import { parseStrictJson } from '../json/strict';
import { assertValid, obj, str } from '../schema';
import { fromHex, pemDecode, pemEncode, toHex, bytesEqual } from '../encoding/bytes';
import { ecPointToSpki, ed25519ToSpki, parseSpki, type SpkiInfo } from '../crypto/spki';
import { readChildren, readDerAll, tlv } from '../encoding/der';
import { sha256Hex, verifySignature } from '../crypto/webcrypto';
import type { KeyType, SignatureAlgorithm, VerifyAlgorithm } from '../crypto/algorithms';

export interface TufKeyJSON {
  keytype: string;
  scheme: string;
  keyval: { public: string; [k: string]: unknown };
  [k: string]: unknown;
}

export function invalid(where: string, msg: string): never {
  throw new KeyceremonyError('INVALID_METADATA', `${msg} (at ${where})`, { where });
}

const keyText = str({ max: 1 << 20 });
/** A key object's shape (spec #file-formats-keys); members we do not know are kept, not refused. */
export const tufKeySchema = obj({ keytype: keyText, scheme: keyText, keyval: obj({ public: keyText }, { unknown: 'keep' }) }, { unknown: 'keep' });

/** Validate the shape of a key object; returns it as is (unknown fields kept, every fault named). */
export function checkKeyJSON(v: unknown, where: string): TufKeyJSON {
  assertValid(tufKeySchema, v, { code: 'INVALID_METADATA' }, where);
  return v as TufKeyJSON;
}

const spkiCache = new WeakMap<object, ResolvedKey | KeyceremonyError>();

export interface ResolvedKey {
  spki: Uint8Array;
  alg: VerifyAlgorithm;
}

/**
 * A key we cannot use; keyToSpki adds which key and where. `unsupported` = a type or scheme we do not
 * implement (ALGORITHM_UNSUPPORTED), otherwise a damaged key (INVALID_KEY).
 */
function unusable(msg: string, unsupported = false): never {
  throw new KeyceremonyError(unsupported ? 'ALGORITHM_UNSUPPORTED' : 'INVALID_KEY', msg);
}

function pkcs1ToSpki(der: Uint8Array): Uint8Array {
  const node = readDerAll(der);
  const [n, e] = node.tag === 0x30 ? readChildren(node) : [];
  if (!n || !e) unusable('bad PKCS#1 RSA key');
  const alg = Uint8Array.from([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);
  const bits = tlv(0x03, Uint8Array.of(0, ...der));
  return tlv(0x30, Uint8Array.from([...alg, ...bits]));
}

/**
 * Resolve a TUF key to DER SPKI plus the signature algorithm its scheme names. Throws
 * ALGORITHM_UNSUPPORTED for a key type or scheme we do not implement and INVALID_KEY for a damaged key;
 * callers verifying metadata treat either as a key that verifies nothing, and say which.
 */
export function keyToSpki(key: TufKeyJSON, where = '$'): ResolvedKey {
  const hit = spkiCache.get(key);
  if (hit instanceof KeyceremonyError) throw hit;
  if (hit) return hit;
  try {
    const r = resolve(key);
    spkiCache.set(key, r);
    return r;
  } catch (e) {
    const code = e instanceof KeyceremonyError && e.code === 'ALGORITHM_UNSUPPORTED' ? 'ALGORITHM_UNSUPPORTED' : 'INVALID_KEY';
    const what = code === 'ALGORITHM_UNSUPPORTED' ? 'unsupported' : 'unusable';
    const err = new KeyceremonyError(code, `${what} ${key.keytype}/${key.scheme} key: ${e instanceof Error ? e.message : String(e)} (at ${where})`, {
      where,
      cause: e,
    });
    spkiCache.set(key, err);
    throw err;
  }
}

const EC_SCHEMES: Record<string, { curve: 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521'; alg: VerifyAlgorithm }> = {
  'ecdsa-sha2-nistp256': { curve: 'ecdsa-p256', alg: 'ecdsa-p256-sha256' },
  'ecdsa-sha2-nistp384': { curve: 'ecdsa-p384', alg: 'ecdsa-p384-sha384' },
  'ecdsa-sha2-nistp521': { curve: 'ecdsa-p521', alg: 'ecdsa-p521-sha512' },
};

function resolve(key: TufKeyJSON): ResolvedKey {
  const pub = key.keyval.public.trim();
  const isPem = pub.startsWith('-----BEGIN');
  const der = (): Uint8Array => {
    const p = pemDecode(pub);
    if (p.label === 'PUBLIC KEY') return p.der;
    if (p.label === 'RSA PUBLIC KEY') return pkcs1ToSpki(p.der);
    return unusable(`PEM block ${p.label} is not a public key`);
  };
  const algorithmOf = (spki: Uint8Array): string => {
    try {
      return parseSpki(spki).algorithm;
    } catch (e) {
      return unusable(e instanceof Error ? e.message : String(e), e instanceof KeyceremonyError && e.code === 'ALGORITHM_UNSUPPORTED');
    }
  };
  switch (key.keytype) {
    case 'ed25519': {
      if (key.scheme !== 'ed25519') unusable(`scheme ${key.scheme} does not go with ed25519`, true);
      const spki = isPem ? der() : ed25519ToSpki(fromHex(pub));
      if (algorithmOf(spki) !== 'ed25519') unusable('not an Ed25519 key');
      return { spki, alg: 'ed25519' };
    }
    case 'ecdsa':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const want = EC_SCHEMES[key.scheme];
      if (!want) return unusable(`unsupported ECDSA scheme ${key.scheme}`, true);
      const spki = isPem ? der() : ecPointToSpki(fromHex(pub));
      if (algorithmOf(spki) !== want.curve) unusable(`scheme ${key.scheme} needs a ${want.curve.slice(6).toUpperCase()} key`);
      return { spki, alg: want.alg };
    }
    case 'rsa': {
      if (key.scheme !== 'rsassa-pss-sha256') unusable(`unsupported RSA scheme ${key.scheme}`, true);
      if (!isPem) unusable('RSA keys must be PEM');
      const spki = der();
      if (algorithmOf(spki) !== 'rsa') unusable('not an RSA key');
      return { spki, alg: 'rsa-pss-sha256' };
    }
    default:
      return unusable(`unsupported key type ${key.keytype}`, true);
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
  let k: ResolvedKey;
  try {
    k = keyToSpki(key);
  } catch {
    return false;
  }
  return verifySignature(k.spki, k.alg, data, fromHex(sigHex), { pssSalt: 'any' });
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

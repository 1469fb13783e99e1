import { KeyceremonyError } from '../errors';
import { decodeOid, readChildren, readDerAll, recodeDer, tlv } from '../encoding/der';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519' | 'rsa';

export interface SpkiInfo {
  algorithm: KeyAlgorithm;
  /** RSA modulus size in bits; curve size for EC. */
  bits: number;
  /** The subjectPublicKey BIT STRING contents (EC point, Ed25519 key, or RSAPublicKey DER). */
  publicKey: Uint8Array;
}

const OID_EC = '1.2.840.10045.2.1';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_ED25519 = '1.3.101.112';
const CURVES: Record<string, { alg: KeyAlgorithm; bits: number }> = {
  '1.2.840.10045.3.1.7': { alg: 'ecdsa-p256', bits: 256 },
  '1.3.132.0.34': { alg: 'ecdsa-p384', bits: 384 },
  '1.3.132.0.35': { alg: 'ecdsa-p521', bits: 521 },
};

function badKey(msg: string): never {
  throw new KeyceremonyError('INVALID_KEY', msg);
}

/** Parse a DER SubjectPublicKeyInfo far enough to know what kind of key it is. Faults: INVALID_KEY. */
export function parseSpki(der: Uint8Array): SpkiInfo {
  return recodeDer('INVALID_KEY', 'not a DER SubjectPublicKeyInfo', () => readSpki(der));
}

function readSpki(der: Uint8Array): SpkiInfo {
  const node = readDerAll(der);
  if (node.tag !== 0x30) badKey('not a DER SubjectPublicKeyInfo');
  const [algId, bits, extra] = readChildren(node);
  if (!algId || !bits || extra || algId.tag !== 0x30 || bits.tag !== 0x03) badKey('not a DER SubjectPublicKeyInfo');
  if (bits.value[0] !== 0) badKey('SPKI: the public key BIT STRING has unused bits');
  const [oidNode, params] = readChildren(algId);
  if (!oidNode || oidNode.tag !== 0x06) badKey('SPKI: missing algorithm OID');
  const oid = decodeOid(oidNode.value);
  const publicKey = bits.value.subarray(1);
  if (oid === OID_EC) {
    if (!params || params.tag !== 0x06) badKey('SPKI: EC key without named curve');
    const c = CURVES[decodeOid(params.value)];
    if (!c) throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `SPKI: unsupported curve ${decodeOid(params.value)}`);
    return { algorithm: c.alg, bits: c.bits, publicKey };
  }
  if (oid === OID_ED25519) return { algorithm: 'ed25519', bits: 256, publicKey };
  if (oid === OID_RSA) {
    const rsaKey = readDerAll(publicKey);
    const [mod, exp] = rsaKey.tag === 0x30 ? readChildren(rsaKey) : [];
    if (!mod || !exp || mod.tag !== 0x02 || exp.tag !== 0x02) badKey('SPKI: bad RSA key');
    let m = mod.value;
    while (m.length > 0 && m[0] === 0) m = m.subarray(1);
    const top = m[0] ?? 0;
    return { algorithm: 'rsa', bits: (m.length - 1) * 8 + (32 - Math.clz32(top)), publicKey };
  }
  throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `SPKI: unsupported key algorithm ${oid}`);
}

const EC_ALG_P256 = Uint8Array.from([
  0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
]);
const EC_ALG_P384 = Uint8Array.from([0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]);
const ED25519_ALG = Uint8Array.from([0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70]);

function spki(alg: Uint8Array, key: Uint8Array): Uint8Array {
  const bitString = tlv(0x03, Uint8Array.of(0, ...key));
  const body = new Uint8Array(alg.length + bitString.length);
  body.set(alg);
  body.set(bitString, alg.length);
  return tlv(0x30, body);
}

/** Build SPKI DER from an uncompressed EC point (04||X||Y). */
export function ecPointToSpki(point: Uint8Array): Uint8Array {
  if (point[0] !== 0x04) badKey('only uncompressed EC points are supported');
  if (point.length === 65) return spki(EC_ALG_P256, point);
  if (point.length === 97) return spki(EC_ALG_P384, point);
  badKey(`unsupported EC point length ${point.length}`);
}

export function ed25519ToSpki(key: Uint8Array): Uint8Array {
  if (key.length !== 32) badKey('Ed25519 public key must be 32 bytes');
  return spki(ED25519_ALG, key);
}

/** RSA SPKI from modulus and public exponent (big-endian unsigned). */
export function rsaToSpki(modulus: Uint8Array, exponent: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const s = b.subarray(i);
    return tlv(0x02, (s[0] as number) & 0x80 ? Uint8Array.of(0, ...s) : s);
  };
  const m = int(modulus);
  const e = int(exponent);
  const rsaKey = tlv(0x30, Uint8Array.from([...m, ...e]));
  const alg = Uint8Array.from([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);
  return spki(alg, rsaKey);
}

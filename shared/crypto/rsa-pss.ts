/**
 * RSASSA-PSS salt length recovery (RFC 8017 9.1.2 EMSA-PSS-VERIFY, steps 1-10).
 *
 * WebCrypto verifies PSS only with the salt length given up front. The TUF scheme `rsassa-pss-sha256`
 * fixes the hash (SHA-256, MGF1-SHA-256) but not the salt length, and implementations differ: python-tuf
 * and we sign with 32 bytes (the hash length), go-tuf v2 signs with the maximum (Go's
 * `PSSSaltLengthAuto`). A verifier that accepts what the scheme allows reads the salt length from the
 * encoded message — after the public-key operation, DB = PS || 0x01 || salt — and then verifies with
 * exactly that length (Go's `PSSSaltLengthAuto` on verify does the same). This module only finds the
 * length; the verification itself stays WebCrypto's.
 */
import { readChildren, readDer } from '../encoding/der';
import { parseSpki } from './spki';

const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

function toBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

function toBytes(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

async function sha256(b: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', buf(b)));
}

/** MGF1 with SHA-256 (RFC 8017 B.2.1). */
async function mgf1(seed: Uint8Array, len: number): Promise<Uint8Array> {
  const out = new Uint8Array(len);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0, at = 0; at < len; counter++) {
    input[seed.length] = (counter >>> 24) & 0xff;
    input[seed.length + 1] = (counter >>> 16) & 0xff;
    input[seed.length + 2] = (counter >>> 8) & 0xff;
    input[seed.length + 3] = counter & 0xff;
    const h = await sha256(input);
    out.set(h.subarray(0, Math.min(h.length, len - at)), at);
    at += h.length;
  }
  return out;
}

/**
 * The salt length an RSASSA-PSS (SHA-256, MGF1-SHA-256) signature was made with, or undefined when the
 * signature is not a well-formed PSS encoding under this key (it then cannot verify with any length).
 */
export async function pssSaltLength(spkiDer: Uint8Array, signature: Uint8Array): Promise<number | undefined> {
  const info = parseSpki(spkiDer);
  if (info.algorithm !== 'rsa') return undefined;
  const [nNode, eNode] = readChildren(readDer(info.publicKey).node);
  if (!nNode || !eNode) return undefined;
  const n = toBigInt(nNode.value);
  const e = toBigInt(eNode.value);
  const k = Math.ceil(info.bits / 8);
  if (signature.length !== k) return undefined;
  const s = toBigInt(signature);
  if (s >= n) return undefined;
  const modBits = info.bits;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = toBytes(modPow(s, e, n), k).subarray(k - emLen);
  const hLen = 32;
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return undefined;
  const maskedDB = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  if (zeroBits > 0 && ((maskedDB[0] as number) & (0xff << (8 - zeroBits)) & 0xff) !== 0) return undefined;
  const mask = await mgf1(h, maskedDB.length);
  const db = new Uint8Array(maskedDB.length);
  for (let i = 0; i < db.length; i++) db[i] = (maskedDB[i] as number) ^ (mask[i] as number);
  if (zeroBits > 0) db[0] = (db[0] as number) & (0xff >>> zeroBits);
  let i = 0;
  while (i < db.length && db[i] === 0) i++;
  if (i === db.length || db[i] !== 0x01) return undefined;
  return db.length - i - 1;
}

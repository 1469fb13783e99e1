/**
 * Hashing and signature verification on the platform's WebCrypto (`globalThis.crypto.subtle`),
 * available in Node >= 20 and in every browser: this keeps shared/ free of `node:*` imports.
 */
import type { VerifyAlgorithm } from './algorithms';
import { curveSize, derToRaw } from './ecdsa';
import { pssSaltLength } from './rsa-pss';
import { parseSpki } from './spki';
import { toHex } from '../encoding/bytes';
import { KeyceremonyError } from '../errors';

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new KeyceremonyError('PRECONDITION_FAILED', 'WebCrypto is not available in this runtime');
  return c.subtle;
}

// The view itself: WebCrypto reads exactly its bytes (byteOffset..byteLength), so a Node Buffer that
// is a view into a shared pool is hashed or verified as given, and a 12 MB targets file is not copied.
const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>;

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', buf(data)));
}

export async function sha512(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-512', buf(data)));
}

export async function sha384(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-384', buf(data)));
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(await sha256(data));
}

/** SHA-256 fingerprint of a DER SubjectPublicKeyInfo, lower-case hex (cosign/sigstore key hint). */
export async function spkiFingerprint(spkiDer: Uint8Array): Promise<string> {
  return sha256Hex(spkiDer);
}

export interface VerifyOptions {
  /**
   * RSA-PSS salt length: 32 (the default, what we and Notary sign with) or 'any' — the length read
   * from the signature (TUF `rsassa-pss-sha256` does not fix it; go-tuf v2 signs with the maximum).
   */
  pssSalt?: 32 | 'any';
}

const EC_CURVES = { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384', 'ecdsa-p521': 'P-521' } as const;
const EC_ALGS: Record<string, { curve: 'P-256' | 'P-384' | 'P-521'; hash: string }> = {
  'ecdsa-p256-sha256': { curve: 'P-256', hash: 'SHA-256' },
  'ecdsa-p384-sha384': { curve: 'P-384', hash: 'SHA-384' },
  'ecdsa-p384-sha256': { curve: 'P-384', hash: 'SHA-256' },
  'ecdsa-p521-sha512': { curve: 'P-521', hash: 'SHA-512' },
  'ecdsa-p521-sha256': { curve: 'P-521', hash: 'SHA-256' },
};

/**
 * Verify `sig` over `data` with a DER SPKI public key. ECDSA signatures are DER. Returns false on a
 * bad signature and throws only on unusable input (unknown key type).
 */
export async function verifySignature(
  spkiDer: Uint8Array,
  alg: VerifyAlgorithm,
  data: Uint8Array,
  sig: Uint8Array,
  opts: VerifyOptions = {},
): Promise<boolean> {
  const info = parseSpki(spkiDer);
  const s = subtle();
  try {
    switch (alg) {
      case 'ecdsa-p256-sha256':
      case 'ecdsa-p384-sha384':
      case 'ecdsa-p384-sha256':
      case 'ecdsa-p521-sha512':
      case 'ecdsa-p521-sha256': {
        const want = EC_ALGS[alg]!;
        const curve = info.algorithm in EC_CURVES ? EC_CURVES[info.algorithm as keyof typeof EC_CURVES] : null;
        if (curve !== want.curve) return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'ECDSA', namedCurve: curve }, false, ['verify']);
        let raw: Uint8Array;
        try {
          raw = derToRaw(sig, curveSize(curve));
        } catch {
          return false;
        }
        return await s.verify({ name: 'ECDSA', hash: want.hash }, key, buf(raw), buf(data));
      }
      case 'ed25519': {
        if (info.algorithm !== 'ed25519') return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'Ed25519' }, false, ['verify']);
        return await s.verify({ name: 'Ed25519' }, key, buf(sig), buf(data));
      }
      case 'rsa-pss-sha256': {
        if (info.algorithm !== 'rsa') return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']);
        if (await s.verify({ name: 'RSA-PSS', saltLength: 32 }, key, buf(sig), buf(data))) return true;
        if (opts.pssSalt !== 'any') return false;
        const saltLength = await pssSaltLength(spkiDer, sig);
        if (saltLength === undefined || saltLength === 32) return false;
        return await s.verify({ name: 'RSA-PSS', saltLength }, key, buf(sig), buf(data));
      }
      case 'rsa-pkcs1-sha256': {
        if (info.algorithm !== 'rsa') return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
        return await s.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, buf(sig), buf(data));
      }
    }
  } catch (e) {
    if (e instanceof DOMException && e.name === 'OperationError') return false;
    if (e instanceof DOMException && e.name === 'DataError') {
      // the SPKI parsed but the platform refuses the key material: an EC point off its curve, a bad point marker, a broken modulus
      throw new KeyceremonyError(
        'INVALID_KEY',
        `The public key is damaged and cannot verify anything (${e.message}): an EC point off its curve, a bad point encoding or a broken RSA modulus.`,
        {
          where: 'public key',
          cause: e,
        },
      );
    }
    throw e;
  }
}

/**
 * Hashing and signature verification on the platform's WebCrypto (`globalThis.crypto.subtle`),
 * available in Node >= 20 and in every browser: this keeps shared/ free of `node:*` imports.
 */
import type { SignatureAlgorithm } from './algorithms';
import { curveSize, derToRaw } from './ecdsa';
import { parseSpki } from './spki';
import { toHex } from '../encoding/bytes';
import { KeyceremonyError } from '../errors';

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new KeyceremonyError('PRECONDITION_FAILED', 'WebCrypto is not available in this runtime');
  return c.subtle;
}

// Copy into a fresh ArrayBuffer: a Node Buffer's .slice() is a VIEW into a shared pool, so .slice().buffer
// would hash or verify the whole pool instead of the bytes given.
const buf = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer as ArrayBuffer;

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

/**
 * Verify `sig` over `data` with a DER SPKI public key. ECDSA signatures are DER. Returns false on a
 * bad signature and throws only on unusable input (unknown key type).
 */
export async function verifySignature(
  spkiDer: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  sig: Uint8Array,
): Promise<boolean> {
  const info = parseSpki(spkiDer);
  const s = subtle();
  try {
    switch (alg) {
      case 'ecdsa-p256-sha256':
      case 'ecdsa-p384-sha384':
      case 'ecdsa-p384-sha256': {
        const curve = info.algorithm === 'ecdsa-p256' ? 'P-256' : info.algorithm === 'ecdsa-p384' ? 'P-384' : null;
        if (!curve) return false;
        if ((alg === 'ecdsa-p256-sha256') !== (curve === 'P-256')) return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'ECDSA', namedCurve: curve }, false, ['verify']);
        let raw: Uint8Array;
        try {
          raw = derToRaw(sig, curveSize(curve));
        } catch {
          return false;
        }
        const hash = alg === 'ecdsa-p384-sha384' ? 'SHA-384' : 'SHA-256';
        return await s.verify({ name: 'ECDSA', hash }, key, buf(raw), buf(data));
      }
      case 'ed25519': {
        if (info.algorithm !== 'ed25519') return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'Ed25519' }, false, ['verify']);
        return await s.verify({ name: 'Ed25519' }, key, buf(sig), buf(data));
      }
      case 'rsa-pss-sha256': {
        if (info.algorithm !== 'rsa') return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']);
        return await s.verify({ name: 'RSA-PSS', saltLength: 32 }, key, buf(sig), buf(data));
      }
      case 'rsa-pkcs1-sha256': {
        if (info.algorithm !== 'rsa') return false;
        const key = await s.importKey('spki', buf(spkiDer), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, [
          'verify',
        ]);
        return await s.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, buf(sig), buf(data));
      }
    }
  } catch (e) {
    if (e instanceof DOMException && e.name === 'OperationError') return false;
    throw e;
  }
}

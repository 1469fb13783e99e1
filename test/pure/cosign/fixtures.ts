/** Helpers for the interop fixtures (../shared/fixtures/interop): git symlinks are stored as text files. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicKey, X509Certificate } from 'node:crypto';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const INTEROP = resolve(repo, '..', 'shared', 'fixtures', 'interop');
export const CI = resolve(INTEROP, 'cosign', 'containers-image');
export const CI_FIX = resolve(CI, 'signature', 'fixtures');

/** Read a fixture file, following symlinks that were stored as small text files holding the target. */
export function readFixture(path: string, depth = 0): Buffer {
  const b = readFileSync(path);
  if (depth < 4 && b.length < 200 && statSync(path).isFile()) {
    const t = b.toString('utf8');
    if (/^\.\.?\/[^\n\0]+$/.test(t)) {
      const target = resolve(dirname(path), t);
      if (existsSync(target)) return readFixture(target, depth + 1);
    }
  }
  return b;
}

/** containers/image on-disk cosign signature: 0x00 "sigstore-json" "\n" JSON{mimeType, payload, annotations}. */
export function readSigstoreJsonSignature(path: string): { mimeType: string; payload: Uint8Array; annotations: Record<string, string> } {
  const b = readFixture(path);
  const prefix = Buffer.from('\0sigstore-json\n');
  if (!b.subarray(0, prefix.length).equals(prefix)) throw new Error(`${path}: not a sigstore-json signature`);
  const j = JSON.parse(b.subarray(prefix.length).toString('utf8')) as { mimeType: string; payload: string; annotations: Record<string, string> };
  return { mimeType: j.mimeType, payload: new Uint8Array(Buffer.from(j.payload, 'base64')), annotations: j.annotations };
}

export function pemToSpki(pem: string): Uint8Array {
  return new Uint8Array(createPublicKey(pem).export({ type: 'spki', format: 'der' }));
}

export function certToSpki(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }));
}

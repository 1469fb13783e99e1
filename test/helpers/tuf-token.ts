/**
 * Test helper for repositories signed on tokens (peer tests with tuf-js): P-256 keys made on a token
 * session, files put into a folder, and a root signed by whichever of the given signers its rules
 * accept (finalized only when complete, so an incomplete root can be served on purpose).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenSession } from '../../electron/adapters/pkcs11';
import type { Signer } from '../../electron/core/signer';
import { envelopeBytes } from '../../electron/core/tuf/sign';
import type { OutFile } from '../../electron/core/tuf/repo';
import { createRequest, rootRules, signRequest, finalizeRequest, requestStatus } from '../../electron/core/tuf/request';
import type { Root } from '../../shared/tuf/models';

export async function tokenKeys(s: TokenSession, labels: string[]): Promise<Signer[]> {
  const out: Signer[] = [];
  for (const label of labels) {
    const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label, profile: 'non-extractable' });
    out.push(s.signer(key));
  }
  return out;
}

export function putFiles(dir: string, files: OutFile[]): void {
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f.name), f.bytes);
}

export async function signedRoot(next: Root, prev: Root | undefined, signers: Signer[]): Promise<{ bytes: Uint8Array; summary: string }> {
  let req = await createRequest({ signed: next.toJSON(), role: 'root', rules: rootRules(next, prev) });
  for (const s of signers) {
    try {
      req = await signRequest(req, s);
    } catch {
      /* a key not allowed for this request */
    }
  }
  const st = await requestStatus(req);
  return { bytes: st.complete ? await finalizeRequest(req) : envelopeBytes(req.signed, req.signatures), summary: st.summary };
}

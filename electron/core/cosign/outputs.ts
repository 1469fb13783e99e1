/**
 * What cosign signing and a completed m-of-n request leave on disk, as relative paths and contents:
 * the same layout whether the CLI (`keyceremony cosign sign|export-policy`) or the desktop app writes
 * it (both write the list with electron/adapters/fs/tree.ts, atomically as one folder).
 */
import { KeyceremonyError } from '../../../shared/errors';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { toBase64 } from '../../../shared/encoding/bytes';
import { serializeBundle, type BundleJson } from '../../../shared/cosign/bundle';
import { publicKeyPem } from '../../../shared/cosign/keys';
import { parseImageReference, type ImageReference } from '../../../shared/cosign/reference';
import { clusterImagePolicy, imageValidatingPolicy, kyvernoClusterPolicy, type PolicyInput } from '../../../shared/cosign/policy';
import type { CosignRequest } from '../../../shared/cosign/request';
import { checkRequest, exportFiles } from './request';
import type { ImageSignature } from './sign';

export interface TreeFile {
  path: string;
  data: string | Uint8Array;
}

/** The per-image folder name: repository with unsafe characters replaced, and 12 hex of the digest. */
export function imageDirName(ref: Pick<ImageReference, 'name' | 'digest'>): string {
  return `${ref.name.replace(/[^A-Za-z0-9._-]+/g, '_')}_${ref.digest.slice(7, 19)}`;
}

/**
 * Image (or payload) signatures: per image `payload.json`, `signature.sig` (the annotation value),
 * `bundle.sigstore.json`; `index.json` (key fingerprint, PKCS#11 URI, reference -> folder),
 * `cosign.pub`, and `key-uri.txt` when the key's URI is known.
 */
export async function imageSignatureFiles(sigs: readonly ImageSignature[], key: { spki: Uint8Array; uri?: string }): Promise<TreeFile[]> {
  const index: { reference: string; dir: string }[] = [];
  const files: TreeFile[] = [];
  for (const [i, s] of sigs.entries()) {
    let dir: string;
    try {
      dir = imageDirName(parseImageReference(s.reference));
    } catch {
      dir = `payload-${i + 1}`;
    }
    files.push({ path: `${dir}/payload.json`, data: s.payload });
    files.push({ path: `${dir}/signature.sig`, data: s.signatureB64 + '\n' });
    files.push({ path: `${dir}/bundle.sigstore.json`, data: serializeBundle(s.bundle) });
    index.push({ reference: s.reference, dir });
  }
  const fingerprint = await sha256Hex(key.spki);
  files.push({
    path: 'index.json',
    data: JSON.stringify({ key: { fingerprint, ...(key.uri ? { pkcs11Uri: key.uri } : {}) }, signatures: index }, null, 2) + '\n',
  });
  files.push({ path: 'cosign.pub', data: publicKeyPem(key.spki) });
  if (key.uri) files.push({ path: 'key-uri.txt', data: key.uri + '\n' });
  return files;
}

/** A blob signature: `blob.sig`, `blob.sigstore.json`, `cosign.pub`, `key-uri.txt`. */
export function blobSignatureFiles(signature: Uint8Array, bundle: BundleJson, key: { spki: Uint8Array; uri?: string }): TreeFile[] {
  const files: TreeFile[] = [
    { path: 'blob.sig', data: toBase64(signature) + '\n' },
    { path: 'blob.sigstore.json', data: serializeBundle(bundle) },
    { path: 'cosign.pub', data: publicKeyPem(key.spki) },
  ];
  if (key.uri) files.push({ path: 'key-uri.txt', data: key.uri + '\n' });
  return files;
}

/**
 * A completed request's export: every signer's bundle and signature per image, the payloads, the
 * public keys, and the admission policies requiring m of the n keys (Kyverno ClusterPolicy and
 * ImageValidatingPolicy, sigstore policy-controller ClusterImagePolicy). Refused (THRESHOLD_NOT_MET, naming who has not
 * signed) while fewer than m signed; any edit or bad signature is refused by checkRequest.
 */
export async function requestExportFiles(r: CosignRequest, opts: { name?: string; where?: string } = {}): Promise<{ files: TreeFile[]; line: string }> {
  const st = await checkRequest(r, opts.where ?? 'request');
  if (!st.complete) {
    throw new KeyceremonyError('THRESHOLD_NOT_MET', `The request has ${st.line}; export needs ${r.m}. Not yet signed: ${st.pending.join(', ')}.`, {
      where: opts.where ?? 'request',
    });
  }
  const files: TreeFile[] = exportFiles(r);
  const repositories = [...new Set(r.images.map((i) => parseImageReference(i).name))];
  const keys = r.signers.map((s) => ({ name: s.name, pem: s.publicKey }));
  const name = opts.name ?? 'keyceremony-release';
  files.push(...policyFiles({ name, repositories, keys, m: r.m }));
  return { files, line: st.line };
}

/** The admission policies for m of these keys over these repositories, one file per engine. */
export function policyFiles(p: PolicyInput): TreeFile[] {
  return [
    { path: 'kyverno-clusterpolicy.yaml', data: kyvernoClusterPolicy(p) },
    { path: 'kyverno-imagevalidatingpolicy.yaml', data: imageValidatingPolicy(p) },
    { path: 'policy-controller-clusterimagepolicy.yaml', data: clusterImagePolicy(p) },
  ];
}

/**
 * The m-of-n cosign signing request workflow: create, sign in turn ("x of m"), check for edits after
 * signing, and collect the per-signer bundles for export.
 */
import type { Signer } from '../signer';
import { KeyceremonyError } from '../../../shared/errors';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { fromUtf8 } from '../../../shared/encoding/bytes';
import { formatReference, parseImageReference, type ImageReference } from '../../../shared/cosign/reference';
import { parsePublicKeyPem, publicKeyPem } from '../../../shared/cosign/keys';
import { simpleSigningPayload } from '../../../shared/cosign/simple-signing';
import { REQUEST_KIND, requestBodyBytes, type CosignRequest, type RequestSigner } from '../../../shared/cosign/request';
import { signImages, type BatchOptions } from './sign';
import { verifyBundle, verifySimpleSigning } from './verify';

export async function createRequest(opts: {
  images: readonly ImageReference[];
  signers: readonly { name: string; publicKeyPem: string }[];
  m: number;
  now: Date;
}): Promise<CosignRequest> {
  const signers: RequestSigner[] = [];
  for (const [i, s] of opts.signers.entries()) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._ -]{0,62}$/.test(s.name)) {
      throw new KeyceremonyError('INVALID_INPUT', `Signer ${i + 1}: a name is 1-63 letters, digits, . _ - or spaces, got "${s.name}".`, { where: 'signers' });
    }
    const { spki } = parsePublicKeyPem(s.publicKeyPem, `signer ${s.name}`);
    signers.push({ name: s.name, fingerprint: await sha256Hex(spki), publicKey: publicKeyPem(spki) });
  }
  if (new Set(signers.map((s) => s.name.toLowerCase())).size !== signers.length) {
    throw new KeyceremonyError('INVALID_INPUT', 'Two signers have the same name.', { where: 'signers' });
  }
  if (new Set(signers.map((s) => s.fingerprint)).size !== signers.length) {
    throw new KeyceremonyError('INVALID_INPUT', 'The same key is listed twice: m-of-n needs distinct keys.', { where: 'signers' });
  }
  if (!Number.isInteger(opts.m) || opts.m < 1 || opts.m > signers.length) {
    throw new KeyceremonyError('INVALID_INPUT', `m must be between 1 and ${signers.length}, got ${opts.m}.`, { where: 'm' });
  }
  const images = opts.images.map(formatReference);
  if (new Set(images).size !== images.length) throw new KeyceremonyError('INVALID_INPUT', 'An image is listed twice.', { where: 'images' });
  const r = { kind: REQUEST_KIND as typeof REQUEST_KIND, version: 1 as const, m: opts.m, images, signers };
  return { ...r, createdAt: opts.now.toISOString(), bodyDigest: await sha256Hex(requestBodyBytes(r)), signatures: [] };
}

export interface RequestStatus {
  signed: number;
  m: number;
  n: number;
  complete: boolean;
  /** "x of m" */
  line: string;
  signedBy: string[];
  pending: string[];
}

/**
 * Full check of a request: body unchanged since creation and since every signature, each signature
 * from an allowed key, one per key, each bundle valid over the payload of the image it names.
 * Throws PRECONDITION_FAILED / SIGNATURE_MISMATCH with what was edited.
 */
export async function checkRequest(r: CosignRequest, where = 'request'): Promise<RequestStatus> {
  const digest = await sha256Hex(requestBodyBytes(r));
  if (digest !== r.bodyDigest) {
    throw new KeyceremonyError('PRECONDITION_FAILED', 'The request was edited after it was created (images, signers or m changed); start a new request.', {
      where: `${where}: bodyDigest`,
      details: { expected: r.bodyDigest, actual: digest },
    });
  }
  const byFp = new Map(r.signers.map((s) => [s.fingerprint, s]));
  const seen = new Set<string>();
  for (const [i, sig] of r.signatures.entries()) {
    const w = `${where}: signatures[${i}]`;
    const signer = byFp.get(sig.fingerprint);
    if (!signer) throw new KeyceremonyError('SIGNATURE_MISMATCH', `Signature ${i + 1} is by a key that is not an allowed signer.`, { where: w });
    if (sig.bodyDigest !== digest) {
      throw new KeyceremonyError(
        'PRECONDITION_FAILED',
        `The request was edited after ${signer.name} signed it (the signed body digest differs); nothing was written.`,
        { where: w },
      );
    }
    if (seen.has(sig.fingerprint)) throw new KeyceremonyError('CONFLICT', `${signer.name} signed twice.`, { where: w });
    seen.add(sig.fingerprint);
    const { spki } = parsePublicKeyPem(signer.publicKey, w);
    if (sig.images.length !== r.images.length) {
      throw new KeyceremonyError('SIGNATURE_MISMATCH', `${signer.name}'s entry covers ${sig.images.length} images, the request has ${r.images.length}.`, {
        where: w,
      });
    }
    for (const [j, img] of sig.images.entries()) {
      if (img.reference !== r.images[j]) {
        throw new KeyceremonyError('SIGNATURE_MISMATCH', `${signer.name}'s signature ${j + 1} is for ${img.reference}, not ${r.images[j]}.`, {
          where: `${w}.images[${j}]`,
        });
      }
      const ref = parseImageReference(img.reference, `${w}.images[${j}]`);
      const payload = simpleSigningPayload(ref);
      const a = await verifySimpleSigning({ spki, payload, signature: img.signature, image: ref });
      const b = await verifyBundle({ spki, bundle: img.bundle, artifact: payload, image: ref });
      if (!a.valid || !b.valid) {
        throw new KeyceremonyError('SIGNATURE_MISMATCH', `${signer.name}'s signature for ${img.reference} does not verify: ${(a.valid ? b : a).reason}.`, {
          where: `${w}.images[${j}]`,
        });
      }
    }
  }
  const signedBy = r.signers.filter((s) => seen.has(s.fingerprint)).map((s) => s.name);
  const pending = r.signers.filter((s) => !seen.has(s.fingerprint)).map((s) => s.name);
  const complete = seen.size >= r.m;
  return {
    signed: seen.size,
    m: r.m,
    n: r.signers.length,
    complete,
    line: `${seen.size} of ${r.m} signatures (${r.signers.length} allowed signers)${complete ? ' — complete' : ''}`,
    signedBy,
    pending,
  };
}

/** Add this signer's signatures to the request; returns a new request (the input is not modified). */
export async function signRequest(r: CosignRequest, signer: Signer, now: Date, opts: BatchOptions = {}): Promise<CosignRequest> {
  await checkRequest(r);
  const fp = await sha256Hex(signer.publicKeySpki);
  const allowed = r.signers.find((s) => s.fingerprint === fp);
  if (!allowed) {
    throw new KeyceremonyError('SIGNATURE_MISMATCH', `This key (${fp.slice(0, 16)}…) is not one of the request's allowed signers.`, {
      where: signer.description,
    });
  }
  if (r.signatures.some((s) => s.fingerprint === fp)) {
    throw new KeyceremonyError('CONFLICT', `${allowed.name} has already signed this request.`, { where: signer.description });
  }
  const refs = r.images.map((i) => parseImageReference(i));
  const sigs = await signImages(signer, refs, opts);
  const entry = {
    fingerprint: fp,
    signedAt: now.toISOString(),
    bodyDigest: r.bodyDigest,
    description: signer.description,
    images: sigs.map((s) => ({ reference: s.reference, signature: s.signatureB64, bundle: s.bundle })),
  };
  return { ...r, signatures: [...r.signatures, entry] };
}

/**
 * Put this signer's entry (from `signed`, made over an earlier read of the request) into `current`,
 * the request as it is now — another signer may have added theirs meanwhile (issue 12 item 3). The
 * request itself must be the same (body digest); an entry by the same key already there is kept.
 * The result is checked in full.
 */
export async function mergeSignerEntry(current: CosignRequest, signed: CosignRequest, fingerprint: string, where = 'request'): Promise<CosignRequest> {
  if (current.bodyDigest !== signed.bodyDigest) {
    throw new KeyceremonyError(
      'CONFLICT',
      `${where} was replaced by another request while you signed (its body digest changed); nothing was written. Sign the new request.`,
      { where },
    );
  }
  const entry = signed.signatures.find((s) => s.fingerprint === fingerprint);
  if (!entry) throw new KeyceremonyError('PRECONDITION_FAILED', `No signature by key ${fingerprint.slice(0, 16)}… to add.`, { where });
  const out = current.signatures.some((s) => s.fingerprint === fingerprint) ? current : { ...current, signatures: [...current.signatures, entry] };
  await checkRequest(out, where);
  return out;
}

/** Files to write for export: per image, per signer: payload, signature, bundle. Paths are relative. */
export function exportFiles(r: CosignRequest): { path: string; data: string }[] {
  const out: { path: string; data: string }[] = [];
  const byFp = new Map(r.signers.map((s) => [s.fingerprint, s]));
  r.images.forEach((img, j) => {
    const ref = parseImageReference(img);
    const dir = `${ref.name.replace(/[^A-Za-z0-9._-]+/g, '_')}_${ref.digest.slice(7, 19)}`;
    out.push({ path: `${dir}/payload.json`, data: fromUtf8(simpleSigningPayload(ref)) });
    for (const sig of r.signatures) {
      const s = byFp.get(sig.fingerprint);
      const name = `${(s?.name ?? 'signer').replace(/[^A-Za-z0-9._-]+/g, '_')}-${sig.fingerprint.slice(0, 12)}`;
      const e = sig.images[j];
      if (!e) continue;
      out.push({ path: `${dir}/${name}.sig`, data: e.signature + '\n' });
      out.push({ path: `${dir}/${name}.sigstore.json`, data: JSON.stringify(e.bundle, null, 2) + '\n' });
    }
  });
  for (const s of r.signers) out.push({ path: `keys/${s.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.pub`, data: s.publicKey });
  return out;
}

/**
 * The cosign work of the desktop app over electron/core/cosign (what `keyceremony cosign` runs):
 * the request's status by name and key, and the keys a request (or plain signing) accepts.
 */
import { KeyceremonyError } from '../../shared/errors';
import { formatReference, parseImageReference, parseReferenceList, type ImageReference } from '../../shared/cosign/reference';
import { parsePublicKeyPem } from '../../shared/cosign/keys';
import { parseRequest, type CosignRequest } from '../../shared/cosign/request';
import { utf8 } from '../../shared/encoding/bytes';
import type { CosignRequestView } from '../../shared/ipc/contract';
import { checkRequest } from '../core/cosign/request';
import { ruleLine } from '../core/status-line';
import type { AcceptedKey } from './candidates';

/** References by digest, each once (a tag or a duplicate is refused, naming the line). */
export function imageList(items: readonly string[], where = 'images'): ImageReference[] {
  const out: ImageReference[] = [];
  const seen = new Set<string>();
  for (const [i, t] of items.entries()) {
    const r = parseImageReference(t.trim(), `${where} line ${i + 1}`);
    const k = formatReference(r);
    if (seen.has(k)) throw new KeyceremonyError('INVALID_INPUT', `${k} is listed twice.`, { where: `${where} line ${i + 1}` });
    seen.add(k);
    out.push(r);
  }
  return out;
}

/** A pasted or opened list: one reference per line, # comments and blank lines ignored. */
export function imagesFromText(text: string): string[] {
  const refs = parseReferenceList(text, 'image list');
  return imageList(refs.map(formatReference)).map(formatReference);
}

export function parseCosignRequest(text: string): CosignRequest {
  return parseRequest(utf8(text), 'signing request');
}

export async function requestView(r: CosignRequest): Promise<CosignRequestView> {
  const st = await checkRequest(r, 'signing request');
  const signers = r.signers.map((s) => {
    const sig = r.signatures.find((x) => x.fingerprint === s.fingerprint);
    return { keyid: s.fingerprint, fingerprint: s.fingerprint, name: s.name, signed: !!sig, ...(sig ? { signedAt: sig.signedAt } : {}) };
  });
  const head = `cosign request (${r.images.length} image${r.images.length === 1 ? '' : 's'})`;
  return {
    images: r.images,
    m: r.m,
    n: r.signers.length,
    complete: st.complete,
    line: ruleLine(head, { name: 'signer', threshold: r.m, valid: st.signed, signers }),
    status: st.line,
    signers,
    createdAt: r.createdAt,
    bodyDigest: r.bodyDigest,
  };
}

/** The keys a request allows, by name, and whether each has signed. */
export async function requestAcceptedKeys(r: CosignRequest): Promise<AcceptedKey[]> {
  await checkRequest(r, 'signing request');
  return r.signers.map((s) => ({
    spki: parsePublicKeyPem(s.publicKey, `signer ${s.name}`).spki,
    rule: 'cosign request',
    name: s.name,
    signed: r.signatures.some((x) => x.fingerprint === s.fingerprint),
  }));
}

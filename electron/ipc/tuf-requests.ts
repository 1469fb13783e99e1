/**
 * Threshold signing over portable TUF signing requests (electron/core/tuf/request.ts) for the UI:
 * open (status "x of y" and the diff against the trusted previous version), sign with a token
 * signer, finalize into the metadata file once every threshold is met.
 */
import { diffSigned } from '../core/tuf/diff';
import { finalizeRequest, parseRequest, requestStatus, serializeRequest, signRequest, type SigningRequest } from '../core/tuf/request';
import type { Signer } from '../core/signer';
import type { SigningRequestView } from '../../shared/ipc/contract';
import { fromUtf8 } from '../../shared/encoding/bytes';

async function view(req: SigningRequest): Promise<SigningRequestView> {
  const st = await requestStatus(req);
  const d = await diffSigned(req.previous, req.signed);
  const v: SigningRequestView = {
    role: req.role,
    version: req.version,
    fileName: req.fileName,
    signedSha256: req.signedSha256,
    summary: st.summary,
    complete: st.complete,
    rules: st.rules.map((r) => ({
      name: r.name,
      threshold: r.threshold,
      valid: r.valid,
      ok: r.ok,
      total: req.rules.find((x) => x.name === r.name)?.keyids.length ?? 0,
      signedBy: r.signedBy,
      missing: r.missing,
    })),
    diff: d.lines,
    signatures: req.signatures.length,
  };
  if (req.note) v.note = req.note;
  return v;
}

export async function openRequest(text: string): Promise<SigningRequestView> {
  return view(parseRequest(text, 'signing request'));
}

export async function signRequestText(text: string, signer: Signer): Promise<{ text: string; view: SigningRequestView }> {
  const signed = await signRequest(parseRequest(text, 'signing request'), signer);
  return { text: serializeRequest(signed), view: await view(signed) };
}

export async function finalizeRequestText(text: string): Promise<{ fileName: string; text: string }> {
  const req = parseRequest(text, 'signing request');
  return { fileName: req.fileName, text: fromUtf8(await finalizeRequest(req)) };
}

/** Handlers of IPC area "cosign" (shared/ipc/channels/cosign.ts). */
import { basename, join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { utf8, fromUtf8 } from '../../../shared/encoding/bytes';
import { serializeBundle } from '../../../shared/cosign/bundle';
import { makeStatement, readPredicate, type Subject } from '../../../shared/cosign/intoto';
import { cosignAlgorithmFor, cosignPkcs11Uri } from '../../../shared/cosign/keys';
import { serializeRequest } from '../../../shared/cosign/request';
import type { cosignChannels } from '../../../shared/ipc/channels/cosign';
import { attest, signBlob, signImages, type BatchOptions } from '../../core/cosign/sign';
import { checkRequest, createRequest, signRequest } from '../../core/cosign/request';
import { blobSignatureFiles, imageSignatureFiles, requestExportFiles } from '../../core/cosign/outputs';
import { writeTree } from '../../adapters/fs/tree';
import { freeName, readOpenedFile } from '../../adapters/fs/files';
import { imageList, imagesFromText, parseCosignRequest, requestAcceptedKeys, requestView } from '../cosign';
import { matchCandidates, publicKeysOn, type AcceptedKey } from '../candidates';
import { findKey, runJob, type AreaHandlers, type HandlerContext, type HostKit } from '../host-kit';
import type { TokenKey, TokenSession } from '../deps';

const MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024;

export function cosignHandlers(kit: HostKit): AreaHandlers<typeof cosignChannels> {
  const signerOf = (s: TokenSession, key: TokenKey) => {
    const alg = cosignAlgorithmFor(key.keyType);
    return s.signer(key, alg ? { algorithm: alg } : {});
  };

  /** Progress events and cancel (kc:jobs.cancel) for long batches, like kc:sign.batch. */
  const asJob = <T>(id: string | undefined, ctx: HandlerContext, fn: (o: BatchOptions) => Promise<T>): Promise<T> =>
    id === undefined ? fn({}) : runJob(kit, id, ctx, fn);

  return {
    'kc:cosign.images': async (req) => ({ images: imagesFromText(req.text) }),

    'kc:cosign.candidates': async (req) => {
      const { token, keys } = await publicKeysOn(kit, req.token);
      let accepted: AcceptedKey[];
      if (req.requestText !== undefined) accepted = await requestAcceptedKeys(parseCosignRequest(req.requestText));
      else accepted = keys.map((k) => ({ spki: k.publicKeySpki, rule: 'cosign signatures', signed: false }));
      return matchCandidates(token, keys, accepted);
    },

    'kc:cosign.sign': async (req, ctx) => {
      const refs = imageList(req.images);
      const folder = kit.files.folder(req.folderId);
      return kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const signer = signerOf(s, key);
        const sigs = await asJob(req.jobId, ctx, (o) => signImages(signer, refs, { ...o, ...(req.annotations ? { annotations: req.annotations } : {}) }));
        const files = await imageSignatureFiles(sigs, { spki: key.publicKeySpki, uri: cosignPkcs11Uri(key.uri, s.modulePath) });
        const out = join(folder, freeName(folder, `cosign-signatures-${key.fingerprint.slice(0, 8)}`));
        await writeTree(out, files, { chooseAnother: 'choose another folder' });
        return { folder: out, count: sigs.length, fingerprint: key.fingerprint, files: files.length };
      });
    },

    'kc:cosign.signBlob': async (req) => {
      const path = kit.files.pickedFile(req.fileId);
      const blob = readOpenedFile(path, MAX_ARTIFACT_BYTES);
      const folder = kit.files.folder(req.folderId);
      return kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const { signature, bundle } = await signBlob(signerOf(s, key), blob);
        const out = join(folder, freeName(folder, `${basename(path)}.cosign`));
        await writeTree(out, blobSignatureFiles(signature, bundle, { spki: key.publicKeySpki, uri: cosignPkcs11Uri(key.uri, s.modulePath) }), {
          chooseAnother: 'choose another folder',
        });
        return { folder: out, name: basename(path), fingerprint: key.fingerprint };
      });
    },

    'kc:cosign.attest': async (req) => {
      const subjects: Subject[] = imageList(req.images).map((r) => ({ name: r.name, digest: { sha256: r.digest.slice(7) } }));
      for (const id of req.artifacts) {
        const path = kit.files.pickedFile(id);
        subjects.push({ name: basename(path), digest: { sha256: await sha256Hex(readOpenedFile(path, MAX_ARTIFACT_BYTES)) } });
      }
      if (subjects.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'Give the subject: images by digest or artifact files.', { where: 'subjects' });
      const pred = readPredicate(utf8(req.predicate), req.type, 'predicate file');
      const statement = makeStatement(subjects, pred.predicateType, pred.predicate);
      return kit.withToken(req.token, req.pin, false, async (s) => {
        const { bundle } = await attest(signerOf(s, await findKey(s, req.key)), statement);
        return {
          suggestedName: `attestation-${pred.kind}.sigstore.json`,
          text: fromUtf8(serializeBundle(bundle)),
          kind: pred.kind,
          predicateType: pred.predicateType,
          subjects: subjects.length,
        };
      });
    },

    'kc:cosign.request.create': async (req) => {
      const r = await createRequest({ images: imageList(req.images), signers: req.signers, m: req.m, now: new Date() });
      return { text: fromUtf8(serializeRequest(r)), view: await requestView(r) };
    },

    'kc:cosign.request.open': async (req) => requestView(parseCosignRequest(req.text)),

    'kc:cosign.request.sign': async (req, ctx) => {
      const before = parseCosignRequest(req.text);
      await checkRequest(before, 'signing request'); // refuse an edited request before touching the token
      return kit.withToken(req.token, req.pin, false, async (s) => {
        const signer = signerOf(s, await findKey(s, req.key));
        const after = await asJob(req.jobId, ctx, (o) => signRequest(before, signer, new Date(), o));
        return { text: fromUtf8(serializeRequest(after)), view: await requestView(after) };
      });
    },

    'kc:cosign.request.export': async (req) => {
      const r = parseCosignRequest(req.text);
      const { files } = await requestExportFiles(r, { where: 'signing request', ...(req.name ? { name: req.name } : {}) });
      const folder = kit.files.folder(req.folderId);
      const out = join(folder, freeName(folder, req.name ?? 'cosign-release'));
      await writeTree(out, files, { chooseAnother: 'choose another folder' });
      return { folder: out, files: files.map((f) => f.path) };
    },
  };
}

/**
 * keyceremony cosign sign | attest | request | status | export-policy | verify
 *
 * Offline cosign signatures, attestations and m-of-n requests with token keys. Verify contract
 * (relied on by outside checks):
 *   keyceremony cosign verify --key PEM (--payload FILE --signature FILE [--image REF@DIGEST] | --bundle FILE [--artifact FILE])
 *   exit 0 when valid; 1 with the reason otherwise; 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { SignatureAlgorithms, type SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { fromUtf8 } from '../../../shared/encoding/bytes';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { formatReference, parseImageReference, parseReferenceList, type ImageReference } from '../../../shared/cosign/reference';
import { serializeBundle } from '../../../shared/cosign/bundle';
import { makeStatement, readPredicate, type Subject } from '../../../shared/cosign/intoto';
import { cosignAlgorithmFor, cosignPkcs11Uri, parsePublicKeyPem } from '../../../shared/cosign/keys';
import { parseRequest, serializeRequest, type CosignRequest } from '../../../shared/cosign/request';
import { attest, signBlob, signImages, signPayloads, type ImageSignature } from '../../core/cosign/sign';
import { checkCosign } from '../../core/cosign/check';
import { parseTrustedRoot } from '../../../shared/cosign/trusted-root';
import { checkRequest, createRequest, mergeSignerEntry, signRequest } from '../../core/cosign/request';
import { blobSignatureFiles, imageSignatureFiles, requestExportFiles } from '../../core/cosign/outputs';
import { writeTree } from '../../adapters/fs/tree';
import type { Signer } from '../../core/signer';
import { writeFileAtomic } from '../../adapters/fs/atomic';
import { lockFileOf, waitingLine, withFileLock } from '../../adapters/fs/lock';
import { resolveModulePath } from '../../adapters/pkcs11';
import { readInput } from '../../adapters/fs/read';
import { parse, UsageError } from '../args';
import { group, leaf } from '../dispatch';
import type { CliContext } from '../context';
import { keyOptions, keyRef, pinFor, type KeyRef } from '../keyref';
import type { Command } from './types';

const KEY = '(--key pkcs11:URI | (--token L | --serial S) (--label L | --id HEX)) [--module PATH] [--pin-file F]';

function refuseExisting(paths: string[]): void {
  const clash = paths.find((p) => existsSync(p));
  if (clash) throw new KeyceremonyError('CONFLICT', `${clash} already exists; choose another --out (nothing was written).`, { where: clash });
}

/** Progress on stderr: one line per 10% (and the end), so logs stay readable without a TTY. */
function progress(ctx: CliContext, what: string) {
  let lastDecile = -1;
  const t0 = Date.now();
  return (done: number, total: number) => {
    const decile = Math.floor((done * 10) / total);
    if (decile !== lastDecile || done === total) {
      lastDecile = decile;
      const secs = (Date.now() - t0) / 1000;
      const rate = secs > 0 ? ` ${Math.round(done / secs)}/s` : '';
      ctx.err(`${what} ${done}/${total} (${Math.floor((done * 100) / total)}%)${rate}`);
    }
  };
}

/** node:crypto's synchronous hash for the bundles' messageDigest (checked against WebCrypto by the core). */
const nodeHash = (alg: 'sha256' | 'sha384', d: Uint8Array) => new Uint8Array(createHash(alg).update(d).digest());

function withCancel<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInt = () => ac.abort(new KeyceremonyError('CANCELLED', 'Cancelled (Ctrl-C); nothing was written.'));
  process.once('SIGINT', onInt);
  return fn(ac.signal).finally(() => process.removeListener('SIGINT', onInt));
}

async function withSigner<T>(ctx: CliContext, ref: KeyRef, algorithm: string | undefined, fn: (s: Signer, uri: string) => Promise<T>): Promise<T> {
  if (algorithm && !(SignatureAlgorithms as readonly string[]).includes(algorithm)) {
    throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Unknown algorithm "${algorithm}". Choose one of: ${SignatureAlgorithms.join(', ')}.`, {
      where: '--algorithm',
    });
  }
  const mod = ctx.openModule(ref);
  try {
    return await mod.withSession(ref.token, { pin: pinFor(ctx, ref) }, async (s) => {
      const key = s.findKey(ref.key);
      // cosign verifies RSA keys with PKCS#1 v1.5: default to it for RSA.
      const alg = (algorithm as SignatureAlgorithm | undefined) ?? cosignAlgorithmFor(key.keyType);
      const signer = s.signer(key, alg ? { algorithm: alg } : {});
      let modulePath: string | undefined;
      try {
        modulePath = resolveModulePath(ref.module);
      } catch {
        modulePath = ref.module;
      }
      return fn(signer, cosignPkcs11Uri(key.uri, modulePath));
    });
  } finally {
    mod.close();
  }
}

function imagesFrom(values: { image?: string[]; images?: string }): ImageReference[] {
  const out: ImageReference[] = [];
  for (const i of values.image ?? []) out.push(parseImageReference(i, '--image'));
  if (values.images) out.push(...parseReferenceList(fromUtf8(readInput(values.images, 'digest list', 'document')), values.images));
  return out;
}

async function cmdSign(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, {
    ...keyOptions,
    image: { type: 'string', multiple: true },
    images: { type: 'string' },
    payload: { type: 'string', multiple: true },
    blob: { type: 'string' },
    annotation: { type: 'string', multiple: true },
    algorithm: { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.out) throw new UsageError('--out DIR is required');
  const out = values.out;
  const ref = keyRef(values);
  const refs = imagesFrom(values);
  const payloads = (values.payload ?? []).map((p) => readInput(p, 'payload', 'artifact'));
  const blob = values.blob ? readInput(values.blob, 'blob', 'artifact') : undefined;
  const kinds = [refs.length > 0, payloads.length > 0, blob !== undefined].filter(Boolean).length;
  if (kinds !== 1) throw new UsageError('give images (--image/--images), --payload files, or one --blob');
  const annotations: Record<string, string> = {};
  for (const a of values.annotation ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`--annotation must be KEY=VALUE, got "${a}"`);
    annotations[a.slice(0, eq)] = a.slice(eq + 1);
  }
  if (Object.keys(annotations).length > 0 && refs.length === 0) throw new UsageError('--annotation applies to --image signing only');
  const seen = new Set<string>();
  for (const r of refs) {
    const k = formatReference(r);
    if (seen.has(k)) throw new KeyceremonyError('INVALID_INPUT', `${k} is listed twice.`, { where: 'images' });
    seen.add(k);
  }
  refuseExisting([out]);
  return withSigner(ctx, ref, values.algorithm, async (signer, uri) => {
    if (blob) {
      const { signature, bundle } = await signBlob(signer, blob);
      await writeTree(out, blobSignatureFiles(signature, bundle, { spki: signer.publicKeySpki, uri }));
      ctx.out(`signed blob (${blob.length} bytes) with ${signer.description}: ${join(out, 'blob.sigstore.json')}`);
      return 0;
    }
    const total = refs.length || payloads.length;
    const onProgress = total > 1 ? progress(ctx, 'signed') : undefined;
    const sigs: ImageSignature[] = await withCancel((signal) =>
      refs.length > 0
        ? signImages(signer, refs, {
            signal,
            hash: nodeHash,
            ...(onProgress ? { onProgress } : {}),
            ...(Object.keys(annotations).length ? { annotations } : {}),
          })
        : signPayloads(signer, payloads, { signal, hash: nodeHash, ...(onProgress ? { onProgress } : {}) }),
    );
    const files = await imageSignatureFiles(sigs, { spki: signer.publicKeySpki, uri });
    await writeTree(out, files);
    ctx.out(`signed ${sigs.length} image${sigs.length === 1 ? '' : 's'} with ${signer.description} (${signer.algorithm}); files in ${out}`);
    ctx.out(`cosign key URI (for cosign sign --key online): ${uri}`);
    return 0;
  });
}

async function cmdAttest(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, {
    ...keyOptions,
    image: { type: 'string', multiple: true },
    images: { type: 'string' },
    artifact: { type: 'string', multiple: true },
    predicate: { type: 'string' },
    type: { type: 'string' },
    algorithm: { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.predicate) throw new UsageError('--predicate FILE is required');
  if (!values.out) throw new UsageError('--out FILE is required');
  const ref = keyRef(values);
  const subjects: Subject[] = imagesFrom(values).map((r) => ({ name: r.name, digest: { sha256: r.digest.slice(7) } }));
  for (const a of values.artifact ?? []) {
    subjects.push({ name: a.split('/').pop() as string, digest: { sha256: await sha256Hex(readInput(a, 'artifact', 'artifact')) } });
  }
  if (subjects.length === 0) throw new UsageError('give the subject: --image REF@sha256:D or --artifact FILE');
  const pred = readPredicate(readInput(values.predicate, 'predicate file', 'metadata'), values.type, values.predicate);
  const statement = makeStatement(subjects, pred.predicateType, pred.predicate);
  refuseExisting([values.out]);
  const out = values.out;
  return withSigner(ctx, ref, values.algorithm, async (signer) => {
    const { bundle } = await attest(signer, statement);
    writeFileAtomic(out, serializeBundle(bundle));
    ctx.out(`attestation (${pred.kind}, ${pred.predicateType}) over ${subjects.length} subject(s) signed with ${signer.description}: ${out}`);
    return 0;
  });
}

async function cmdRequestCreate(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, {
    image: { type: 'string', multiple: true },
    images: { type: 'string' },
    signer: { type: 'string', multiple: true },
    m: { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.out) throw new UsageError('--out FILE is required');
  if (!values.m || !/^\d+$/.test(values.m)) throw new UsageError('--m M (a whole number) is required');
  const signers = (values.signer ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--signer must be NAME=PUBKEY.pem, got "${s}"`);
    return { name: s.slice(0, eq), publicKeyPem: fromUtf8(readInput(s.slice(eq + 1), 'public key', 'key')) };
  });
  const images = imagesFrom(values);
  if (images.length === 0) throw new UsageError('give the images: --image REF@sha256:D or --images FILE');
  refuseExisting([values.out]);
  const r = await createRequest({ images, signers, m: Number(values.m), now: new Date() });
  writeFileAtomic(values.out, serializeRequest(r));
  ctx.out(`request for ${r.images.length} image(s), ${r.m} of ${r.signers.length} signers: ${values.out}`);
  return 0;
}

async function cmdRequestSign(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, { ...keyOptions, request: { type: 'string' }, algorithm: { type: 'string' } });
  if (!values.request) throw new UsageError('--request FILE is required');
  const path = values.request;
  const before = parseRequest(readInput(path, 'request', 'metadata'), path);
  await checkRequest(before, path);
  const ref = keyRef(values);
  return withSigner(ctx, ref, values.algorithm, async (signer) => {
    const onProgress = before.images.length > 1 ? progress(ctx, 'signed') : undefined;
    const after = await withCancel((signal) => signRequest(before, signer, new Date(), { signal, hash: nodeHash, ...(onProgress ? { onProgress } : {}) }));
    const st = await writeSignedRequest(ctx, path, before, after, await sha256Hex(signer.publicKeySpki));
    ctx.out(`signed by ${signer.description}: ${st.line}`);
    return 0;
  });
}

/**
 * Other signers may sign the same request file at this moment (issue 12 item 3): under the file's lock,
 * re-read it, add our entry to what is there now, write it atomically and read it back — the command
 * ends well only with our signature on disk.
 */
async function writeSignedRequest(ctx: CliContext, path: string, before: CosignRequest, after: CosignRequest, fingerprint: string) {
  const what = `the signing request ${path}`;
  return withFileLock(
    lockFileOf(path),
    what,
    async () => {
      const now = parseRequest(readInput(path, 'signing request', 'metadata'), path);
      const merged = await mergeSignerEntry(now, after, fingerprint, path);
      if (now.signatures.length > before.signatures.length)
        ctx.err(`kept ${now.signatures.length - before.signatures.length} signature(s) another signer wrote meanwhile`);
      writeFileAtomic(path, serializeRequest(merged));
      const back = parseRequest(readInput(path, 'signing request', 'metadata'), path);
      if (!back.signatures.some((s) => s.fingerprint === fingerprint)) {
        throw new KeyceremonyError('IO_ERROR', `${path} was written but does not hold your signature when read back; sign again.`, { where: path });
      }
      return checkRequest(back, path);
    },
    { onWait: (h) => ctx.err(waitingLine(what, h)) },
  );
}

async function cmdStatus(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, { request: { type: 'string' }, json: { type: 'boolean' } });
  if (!values.request) throw new UsageError('--request FILE is required');
  const r = parseRequest(readInput(values.request, 'request', 'metadata'), values.request);
  const st = await checkRequest(r, values.request);
  if (values.json) ctx.out(JSON.stringify(st, null, 2));
  else {
    ctx.out(st.line);
    if (st.signedBy.length) ctx.out(`signed: ${st.signedBy.join(', ')}`);
    if (st.pending.length) ctx.out(`not yet: ${st.pending.join(', ')}`);
  }
  return st.complete ? 0 : 1; // like tuf status / notary status: scripts can wait on the exit code
}

async function cmdExportPolicy(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, { request: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' } });
  if (!values.request) throw new UsageError('--request FILE is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const r = parseRequest(readInput(values.request, 'request', 'metadata'), values.request);
  const { files, line } = await requestExportFiles(r, { where: values.request, ...(values.name ? { name: values.name } : {}) });
  await writeTree(values.out, files);
  ctx.out(`${line}; wrote ${files.length} files to ${values.out} (bundles, signatures, payloads, keys, Kyverno and policy-controller policies)`);
  return 0;
}

function readSignature(path: string): Uint8Array | string {
  const b = readInput(path, 'signature', 'signature');
  const t = Buffer.from(b).toString('latin1').trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return t;
  return b; // raw DER
}

async function cmdVerify(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, {
    key: { type: 'string', multiple: true },
    payload: { type: 'string' },
    signature: { type: 'string' },
    image: { type: 'string' },
    manifest: { type: 'string' },
    bundle: { type: 'string', multiple: true },
    artifact: { type: 'string' },
    threshold: { type: 'string' },
    'trusted-root': { type: 'string' },
    json: { type: 'boolean' },
  });
  const keys = values.key ?? [];
  if (keys.length === 0) throw new UsageError('--key PEM is required');
  const spkis = keys.map((k) => parsePublicKeyPem(fromUtf8(readInput(k, 'public key', 'key')), k).spki);
  const bundles = values.bundle ?? [];
  const image = values.image !== undefined ? parseImageReference(values.image, '--image') : undefined;
  const artifact = values.artifact ? readInput(values.artifact, 'artifact', 'artifact') : undefined;
  const trustedRoot = values['trusted-root']
    ? parseTrustedRoot(readInput(values['trusted-root'], 'trusted root', 'sigstoreTrustedRoot'), values['trusted-root'])
    : undefined;
  const now = ctx.env.KEYCEREMONY_NOW ? new Date(ctx.env.KEYCEREMONY_NOW) : new Date();
  if (Number.isNaN(now.getTime())) throw new UsageError('KEYCEREMONY_NOW must be an RFC 3339 time');
  if (values.threshold !== undefined) {
    if (!/^\d+$/.test(values.threshold)) throw new UsageError('--threshold M must be a whole number');
    if (bundles.length === 0) throw new UsageError('--threshold needs --bundle files');
  } else {
    if (spkis.length !== 1) throw new UsageError('several --key need --threshold M');
    if (values.payload || values.signature) {
      if (!values.payload || !values.signature) throw new UsageError('--payload and --signature go together');
      if (bundles.length) throw new UsageError('give either --payload/--signature or --bundle');
      if (trustedRoot) throw new UsageError('--trusted-root checks the transparency-log entries of a --bundle; a bare --signature has none');
    } else if (bundles.length !== 1) {
      throw new UsageError('give --payload FILE --signature FILE, or one --bundle FILE (several bundles need --threshold)');
    }
  }
  const r = await checkCosign({
    keys: spkis,
    bundles: bundles.map((b) => ({ name: b, bytes: readInput(b, 'bundle', 'metadata') })),
    ...(values.payload ? { payload: readInput(values.payload, 'payload', 'artifact') } : {}),
    ...(values.signature ? { signature: readSignature(values.signature) } : {}),
    ...(values.manifest ? { manifest: readInput(values.manifest, 'manifest', 'document') } : {}),
    ...(image ? { image } : {}),
    ...(artifact ? { artifact } : {}),
    ...(values.threshold !== undefined ? { threshold: Number(values.threshold) } : {}),
    ...(trustedRoot ? { trustedRoot } : {}),
    now,
  });
  for (const p of r.perBundle ?? []) ctx.err(`${p.name}: ${p.valid ? 'valid' : 'invalid'} — ${p.reason}`);
  if (values.json) ctx.out(JSON.stringify(r.json, null, 2));
  if (r.valid) {
    if (!values.json) {
      ctx.out(
        r.tlog && r.tlog.summary !== 'no transparency-log entry'
          ? `Verified OK: ${r.reason}; ${r.tlog.summary} (key-based: no certificate chain, identity or timestamp checked)`
          : `Verified OK: ${r.reason} (key-based: no transparency log or certificate checked)`,
      );
    }
    return 0;
  }
  ctx.err(`error[VERIFICATION_FAILED]: ${r.reason}`);
  return 1;
}

export const cosignCommand: Command = group({
  name: 'cosign',
  summary: 'cosign signatures, attestations and m-of-n requests with token keys; verify cosign data',
  notes: `KEY = ${KEY}`,
  subcommands: [
    leaf(
      'sign',
      'sign images (simple signing), payloads or one blob; write signatures, bundles and the key URI to a new folder',
      ['KEY (--image REF@sha256:D ... | --images FILE | --payload FILE ... | --blob FILE) --out DIR [--annotation K=V ...] [--algorithm A]'],
      cmdSign,
    ),
    leaf(
      'attest',
      'sign an in-toto attestation (DSSE bundle) over images or files',
      ['KEY (--image REF@sha256:D ... | --artifact FILE) --predicate FILE [--type slsaprovenance1|spdxjson|cyclonedx|URI] --out FILE'],
      cmdAttest,
    ),
    group({
      name: 'request',
      summary: 'm-of-n signing requests: create one, sign it with your token',
      subcommands: [
        leaf(
          'create',
          'a request for M of the named signers to sign these images',
          ['(--image REF@sha256:D ... | --images FILE) --signer NAME=PUB.pem ... --m M --out FILE'],
          cmdRequestCreate,
        ),
        leaf('sign', 'add your signature (every image) to a request file', ['--request FILE KEY [--algorithm A]'], cmdRequestSign),
      ],
    }),
    leaf('status', 'who signed a request and who not yet; exit 1 while the threshold is not met', ['--request FILE [--json]'], cmdStatus),
    leaf(
      'export-policy',
      'a complete request as bundles, signatures, keys and Kyverno / policy-controller policies',
      ['--request FILE --out DIR [--name NAME]'],
      cmdExportPolicy,
    ),
    leaf(
      'verify',
      'verify cosign signatures and bundles offline with public keys (exit 0 valid, 1 not)',
      [
        '--key PEM (--payload FILE --signature FILE [--image REF@sha256:D] [--manifest FILE] | --bundle FILE [--artifact FILE] [--image REF@sha256:D] [--trusted-root FILE]) [--json]',
        '--key PEM --key PEM ... --threshold M --bundle FILE --bundle FILE ... (--artifact FILE | --image REF@sha256:D) [--trusted-root FILE] [--json]',
      ],
      cmdVerify,
    ),
  ],
});

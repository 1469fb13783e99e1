/**
 * The ceremony bundle: a folder with every output, the transcript, `manifest.json` (every file with
 * its SHA-256 and size, the ceremony's public keys) and `manifest.dsse.json`, a DSSE envelope over
 * the manifest signed by the ceremony's key(s). `verifyBundle` checks it all offline and names each
 * thing that does not match. Pure: reads files through a BundleReader.
 */
import { defaultSignatureAlgorithm, isKeyType, type KeyType } from '../../../shared/crypto/algorithms';
import { sha256Hex, verifySignature } from '../../../shared/crypto/webcrypto';
import { envelope, envelopePayload, pae, parseEnvelope, type DsseEnvelope } from '../../../shared/dsse';
import { bytesEqual, fromBase64, fromUtf8, toBase64, utf8 } from '../../../shared/encoding/bytes';
import { KeyceremonyError, isKeyceremonyError, type ErrorCode } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json';
import { fingerprintWords } from '../../../shared/pgp-words';
import {
  VERIFICATION_REPORT_TYPE,
  failedSummary,
  orderItems,
  verdictOf,
  type CheckCode,
  type RoleFact,
  type VerificationItem,
  type VerificationReport,
} from '../../../shared/verification/report';
import type { Signer } from '../signer';
import { recheckAttestations, type AttestationRecheck } from './attestation';
import { splitLines, verifyTranscript } from './transcript';

export const MANIFEST = 'manifest.json';
export const MANIFEST_DSSE = 'manifest.dsse.json';
export const TRANSCRIPT = 'transcript.jsonl';
export const MANIFEST_TYPE = 'https://keyceremony.dev/bundle/manifest/v1';
export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.keyceremony.manifest+json';
export const REHEARSAL_BANNER = 'REHEARSAL — NOT FOR PRODUCTION';

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
  kind: string;
}

export interface ManifestKey {
  id: string;
  label: string;
  keyType: KeyType;
  fingerprint: string;
  words: string;
  spki: string;
  token: { label: string; serial?: string };
  purpose?: string;
}

export interface Manifest {
  _type: typeof MANIFEST_TYPE;
  mode: string;
  rehearsal: boolean;
  ceremony: string;
  title: string;
  runId: string;
  scriptSha256: string;
  startedAt: string;
  sealedAt: string;
  transcript: { path: string; entries: number; head: string };
  keys: ManifestKey[];
  /** Script key ids whose signatures over the manifest are required. */
  signers: string[];
  files: ManifestFile[];
}

export interface BundleReader {
  /** Every regular file, relative path with "/" separators. */
  list(): Promise<string[]>;
  read(path: string): Promise<Uint8Array>;
}

export function manifestBytes(m: Manifest): Uint8Array {
  return utf8(JSON.stringify(m, null, 2) + '\n');
}

/** Sign the manifest with each signer: DSSE keyid = SPKI SHA-256 fingerprint. */
export async function signManifest(m: Manifest, signers: Signer[]): Promise<{ manifest: Uint8Array; envelope: DsseEnvelope }> {
  const bytes = manifestBytes(m);
  const toSign = pae(MANIFEST_PAYLOAD_TYPE, bytes);
  const sigs = [];
  for (const s of signers) sigs.push({ keyid: s.fingerprint, sig: toBase64(await s.sign(toSign)) });
  return { manifest: bytes, envelope: envelope(MANIFEST_PAYLOAD_TYPE, bytes, sigs) };
}

export interface BundleVerdict {
  ok: boolean;
  problems: string[];
  /** Every check with its code (shared/verification): what `bundleReport` and the Verify screens read. */
  items: VerificationItem[];
  rehearsal: boolean;
  manifest?: Manifest;
  /** Fingerprints (and words) of keys whose signatures verified. */
  signedBy: { id: string; fingerprint: string; words: string }[];
  files: number;
  /** Keys whose hardware attestation (attestations/<key>/) was re-verified. */
  attested: AttestationRecheck[];
}

const MAX_MANIFEST = 16 * 1024 * 1024;

/** Verify a bundle. `expectFingerprints` (optional) pins the signer keys out of band. */
export async function verifyBundle(
  r: BundleReader,
  opts: { requireProduction?: boolean; expectFingerprints?: string[] } = {},
): Promise<BundleVerdict> {
  const problems: string[] = [];
  const items: VerificationItem[] = [];
  const fail = (check: CheckCode, code: ErrorCode, subject: string, message: string) => {
    problems.push(message);
    items.push({ check, status: 'fail', code, subject, message });
  };
  const pass = (check: CheckCode, subject: string, message: string) => items.push({ check, status: 'pass', subject, message });
  const signedBy: BundleVerdict['signedBy'] = [];
  const attested: AttestationRecheck[] = [];
  const files = await r.list();
  const has = new Set(files);
  const done = (manifest?: Manifest): BundleVerdict => ({
    ok: problems.length === 0,
    problems,
    items: orderItems(items),
    rehearsal: manifest?.rehearsal ?? false,
    ...(manifest ? { manifest } : {}),
    signedBy,
    files: files.length,
    attested,
  });
  if (!has.has(MANIFEST)) fail('bundle.manifest', 'NOT_FOUND', MANIFEST, `${MANIFEST}: missing`);
  if (!has.has(MANIFEST_DSSE)) fail('bundle.envelope', 'NOT_FOUND', MANIFEST_DSSE, `${MANIFEST_DSSE}: missing`);
  if (problems.length) return done();

  const mBytes = await r.read(MANIFEST);
  if (mBytes.length > MAX_MANIFEST) {
    fail('bundle.manifest', 'TOO_LARGE', MANIFEST, `${MANIFEST}: too large`);
    return done();
  }
  let manifest: Manifest;
  let env: DsseEnvelope;
  // messages from the strict parser already start with "manifest.json: "
  const named = (e: unknown, file: string) => {
    const msg = e instanceof Error ? e.message : 'unreadable';
    return msg.startsWith(`${file}: `) ? msg : `${file}: ${msg}`;
  };
  try {
    const malformed = (msg: string): never => {
      throw new KeyceremonyError('UNSUPPORTED_FORMAT', msg, { where: MANIFEST });
    };
    manifest = parseStrictJsonBytes(mBytes, { source: MANIFEST, maxBytes: MAX_MANIFEST }) as Manifest;
    if (manifest._type !== MANIFEST_TYPE || !Array.isArray(manifest.files) || !Array.isArray(manifest.keys) || !Array.isArray(manifest.signers))
      malformed('not a keyceremony manifest');
    const str = (v: unknown) => typeof v === 'string' && v.length > 0;
    const paths = new Set<string>();
    manifest.files.forEach((f, i) => {
      if (!f || !str(f.path) || !/^[0-9a-f]{64}$/.test(String(f.sha256)) || !Number.isSafeInteger(f.size)) malformed(`files[${i}] is malformed`);
      if (paths.has(f.path)) malformed(`files[${i}]: "${f.path}" is listed twice`);
      paths.add(f.path);
    });
    manifest.keys.forEach((k, i) => {
      if (!k || !str(k.id) || !str(k.spki) || !str(k.fingerprint) || !str(k.keyType)) malformed(`keys[${i}] is malformed`);
    });
    if (manifest.signers.some((x) => !str(x))) malformed('signers is malformed');
    if (!manifest.transcript || !str(manifest.transcript.path) || !Number.isSafeInteger(manifest.transcript.entries)) malformed('transcript is malformed');
  } catch (e) {
    fail('bundle.manifest', errorCode(e), MANIFEST, named(e, MANIFEST));
    return done();
  }
  pass('bundle.manifest', MANIFEST, `${MANIFEST}: a keyceremony manifest listing ${manifest.files.length} files and ${manifest.keys.length} keys`);
  try {
    env = parseEnvelope(parseStrictJsonBytes(await r.read(MANIFEST_DSSE), { source: MANIFEST_DSSE, maxBytes: 2 * MAX_MANIFEST }), MANIFEST_DSSE);
  } catch (e) {
    fail('bundle.envelope', errorCode(e), MANIFEST_DSSE, named(e, MANIFEST_DSSE));
    return done(manifest);
  }

  // 1. the envelope covers exactly manifest.json
  const envelopeOk = env.payloadType === MANIFEST_PAYLOAD_TYPE && bytesEqual(envelopePayload(env), mBytes);
  if (env.payloadType !== MANIFEST_PAYLOAD_TYPE) fail('bundle.envelope', 'UNSUPPORTED_FORMAT', MANIFEST_DSSE, `${MANIFEST_DSSE}: payloadType is "${env.payloadType}", expected "${MANIFEST_PAYLOAD_TYPE}"`);
  if (!bytesEqual(envelopePayload(env), mBytes)) fail('bundle.envelope', 'SIGNATURE_MISMATCH', MANIFEST_DSSE, `${MANIFEST_DSSE}: its payload is not the bytes of ${MANIFEST} (manifest changed after signing)`);
  if (envelopeOk) pass('bundle.envelope', MANIFEST_DSSE, `${MANIFEST_DSSE} covers exactly the bytes of ${MANIFEST}`);

  // 2. keys: fingerprint = sha256(spki)
  const byId = new Map<string, ManifestKey>();
  for (const k of manifest.keys) {
    byId.set(k.id, k);
    let spki: Uint8Array;
    try {
      spki = fromBase64(k.spki);
    } catch {
      fail('bundle.key', 'INVALID_KEY', k.id, `key ${k.id}: public key is not base64`);
      continue;
    }
    if ((await sha256Hex(spki)) !== k.fingerprint) fail('bundle.key', 'VERIFICATION_FAILED', k.id, `key ${k.id}: fingerprint does not match its public key`);
    else pass('bundle.key', k.id, `key ${k.id}: fingerprint ${k.fingerprint.slice(0, 16)}… is SHA-256 of its public key`);
  }

  // 3. signatures: every required signer
  const toVerify = pae(env.payloadType, envelopePayload(env));
  if (manifest.signers.length === 0) fail('bundle.signature', 'THRESHOLD_NOT_MET', MANIFEST, `${MANIFEST}: lists no signers`);
  for (const id of manifest.signers) {
    const k = byId.get(id);
    if (!k) {
      fail('bundle.signature', 'KEY_NOT_FOUND', id, `signer ${id}: not among the manifest's keys`);
      continue;
    }
    const sigs = env.signatures.filter((s) => s.keyid === k.fingerprint);
    let good = false;
    for (const s of sigs) {
      try {
        if (isKeyType(k.keyType) && (await verifySignature(fromBase64(k.spki), defaultSignatureAlgorithm(k.keyType), toVerify, fromBase64(s.sig)))) good = true;
      } catch {
        /* counted as bad */
      }
    }
    if (good) {
      signedBy.push({ id, fingerprint: k.fingerprint, words: fingerprintWords(k.fingerprint) });
      pass('bundle.signature', id, `signature of key ${id} (${k.fingerprint.slice(0, 16)}…) over the manifest verifies`);
    } else {
      fail('bundle.signature', sigs.length ? 'INVALID_SIGNATURE' : 'THRESHOLD_NOT_MET', id, `signature of key ${id} (${k.fingerprint.slice(0, 16)}…): ${sigs.length ? 'does not verify' : 'missing'}`);
    }
  }
  if (opts.expectFingerprints?.length) {
    for (const fp of opts.expectFingerprints) {
      if (!signedBy.some((s) => s.fingerprint === fp.toLowerCase())) fail('bundle.signer.expected', 'VERIFICATION_FAILED', fp, `expected signer ${fp.slice(0, 16)}…: no valid signature by that key`);
      else pass('bundle.signer.expected', fp, `expected signer ${fp.slice(0, 16)}… signed`);
    }
  }

  // 4. files
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    if (!has.has(f.path)) {
      fail('bundle.file', 'NOT_FOUND', f.path, `${f.path}: missing`);
      continue;
    }
    const b = await r.read(f.path);
    if (b.length !== f.size) fail('bundle.file', 'HASH_MISMATCH', f.path, `${f.path}: size ${b.length}, manifest says ${f.size}`);
    else if ((await sha256Hex(b)) !== f.sha256) fail('bundle.file', 'HASH_MISMATCH', f.path, `${f.path}: SHA-256 does not match the manifest`);
    else pass('bundle.file', f.path, `sha256 ${f.sha256.slice(0, 16)}… matches (${f.size} bytes)`);
  }
  for (const f of files) if (f !== MANIFEST && f !== MANIFEST_DSSE && !listed.has(f)) fail('bundle.unlisted', 'VERIFICATION_FAILED', f, `${f}: not listed in the manifest`);

  // 5. transcript chain
  const tPath = manifest.transcript?.path ?? TRANSCRIPT;
  const before = problems.length;
  let attestations: Awaited<ReturnType<typeof recheckAttestations>> | undefined;
  const tfail = (message: string) => fail('bundle.transcript', 'VERIFICATION_FAILED', tPath, message);
  if (!listed.has(tPath)) tfail(`${tPath}: the transcript is not in the manifest`);
  if (has.has(tPath)) {
    let text = '';
    try {
      text = fromUtf8(await r.read(tPath));
    } catch {
      tfail(`${tPath}: not UTF-8`);
    }
    const v = await verifyTranscript(splitLines(text));
    if (!v.ok) tfail(`${tPath}: line ${v.broken?.line}: ${v.broken?.reason}`);
    else {
      if (v.count !== manifest.transcript.entries) tfail(`${tPath}: ${v.count} entries, manifest says ${manifest.transcript.entries}`);
      if (v.head !== manifest.transcript.head) tfail(`${tPath}: last entry hash differs from the manifest`);
      const last = v.entries[v.entries.length - 1];
      if (!v.entries.some((e) => e.event === 'ceremony-closed')) tfail(`${tPath}: has no ceremony-closed entry`);
      if (last && last.event !== 'step-completed') tfail(`${tPath}: does not end with the close step`);
      for (const e of v.entries) {
        if (e.runId !== manifest.runId) {
          tfail(`${tPath}: entry ${e.seq} belongs to run ${e.runId}, manifest is run ${manifest.runId}`);
          break;
        }
        if (e.rehearsal !== manifest.rehearsal) {
          tfail(`${tPath}: entry ${e.seq} rehearsal flag differs from the manifest`);
          break;
        }
        for (const k of e.keys ?? []) {
          const mk = byId.get(k.id);
          if (e.event === 'key-generated' && mk && mk.fingerprint !== k.fingerprint) tfail(`key ${k.id}: transcript fingerprint differs from the manifest`);
        }
      }
      attestations = await recheckAttestations(v.entries, async (p) => (has.has(p) && listed.has(p) ? r.read(p) : null), (id) => byId.get(id)?.fingerprint);
    }
  }
  if (problems.length === before) pass('bundle.transcript', tPath, `${tPath}: hash chain of ${manifest.transcript.entries} entries verifies and ends with the close step`);
  // 6. hardware attestations: chain, attested key = manifest key, recorded facts
  for (const p of attestations?.problems ?? []) fail('bundle.attestation', 'VERIFICATION_FAILED', 'attestations', p);
  for (const a of attestations?.attested ?? []) {
    attested.push(a);
    pass('bundle.attestation', a.key, `key ${a.key}: ${a.vendor} attestation${a.serial !== null ? ` (serial ${a.serial})` : ''} chains to ${a.root}${a.rootSource === 'given' ? ' (root given by the script)' : ''}`);
  }
  if (manifest.rehearsal && opts.requireProduction) fail('bundle.mode', 'PRECONDITION_FAILED', MANIFEST, `${MANIFEST}: this is a REHEARSAL bundle, not a production one`);
  if (manifest.rehearsal && manifest.mode !== REHEARSAL_BANNER) fail('bundle.mode', 'INVALID_METADATA', MANIFEST, `${MANIFEST}: rehearsal bundle without the rehearsal banner`);
  if (manifest.rehearsal) items.push({ check: 'bundle.mode', status: 'warn', subject: MANIFEST, message: `${REHEARSAL_BANNER}: made in a rehearsal` });
  else pass('bundle.mode', MANIFEST, 'production bundle');
  return done(manifest);
}

function errorCode(e: unknown): ErrorCode {
  return isKeyceremonyError(e) ? e.code : 'INVALID_METADATA';
}

/** The bundle verdict as the one VerificationReport (shared/verification) the CLI and the Verify screens read. */
export function bundleReport(v: BundleVerdict, evaluatedAt: Date = new Date()): VerificationReport {
  const m = v.manifest;
  const signers = m?.signers ?? [];
  const byId = new Map((m?.keys ?? []).map((k) => [k.id, k]));
  const manifestFact: RoleFact = {
    role: 'manifest',
    kind: 'manifest',
    file: MANIFEST,
    status: v.ok ? 'verified' : 'failed',
    thresholds: [
      {
        delegator: 'manifest',
        description: 'ceremony keys the manifest names as its signers',
        threshold: signers.length,
        valid: v.signedBy.length,
        met: signers.length > 0 && v.signedBy.length === signers.length,
        signedBy: v.signedBy.map((s) => ({ keyid: s.id, fingerprint: s.fingerprint, words: s.words, ...(byId.get(s.id)?.label ? { name: byId.get(s.id)!.label } : {}) })),
      },
    ],
    notes: [],
  };
  const items = orderItems(v.items);
  const verdict = verdictOf(items, true);
  const report: VerificationReport = {
    type: VERIFICATION_REPORT_TYPE,
    kind: 'bundle',
    verdict,
    ok: verdict !== 'failed',
    evaluatedAt: evaluatedAt.toISOString(),
    subject: m?.title ?? 'ceremony bundle',
    rehearsal: v.rehearsal,
    summary: '',
    items,
    roles: [manifestFact],
    bundle: {
      files: v.files,
      ...(m?.title ? { title: m.title } : {}),
      ...(m?.ceremony ? { ceremony: m.ceremony } : {}),
      ...(m?.runId ? { runId: m.runId } : {}),
      ...(m?.sealedAt ? { sealedAt: m.sealedAt } : {}),
      keys: (m?.keys ?? []).map((k) => ({ id: k.id, label: k.label, keyType: k.keyType, fingerprint: k.fingerprint, words: k.words, ...(k.purpose ? { purpose: k.purpose } : {}) })),
    },
  };
  report.summary =
    verdict === 'failed'
      ? failedSummary(report)
      : `VERIFIED at ${report.evaluatedAt}: ${report.subject}, signed by ${v.signedBy.map((s) => s.id).join(', ')}, ${m?.files.length ?? 0} files${v.rehearsal ? ' (REHEARSAL bundle: not for production)' : ''}`;
  return report;
}

/** Throwing form for callers that want one error. */
export async function assertBundle(r: BundleReader, opts: Parameters<typeof verifyBundle>[1] = {}): Promise<BundleVerdict> {
  const v = await verifyBundle(r, opts);
  if (!v.ok) throw new KeyceremonyError('VERIFICATION_FAILED', `Bundle does not verify: ${v.problems[0]}`, { where: v.problems[0] ?? 'bundle' });
  return v;
}

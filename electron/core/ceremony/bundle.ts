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
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json';
import { fingerprintWords } from '../../../shared/pgp-words';
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
  const signedBy: BundleVerdict['signedBy'] = [];
  const attested: AttestationRecheck[] = [];
  const files = await r.list();
  const has = new Set(files);
  const done = (manifest?: Manifest): BundleVerdict => ({
    ok: problems.length === 0,
    problems,
    rehearsal: manifest?.rehearsal ?? false,
    ...(manifest ? { manifest } : {}),
    signedBy,
    files: files.length,
    attested,
  });
  if (!has.has(MANIFEST)) problems.push(`${MANIFEST}: missing`);
  if (!has.has(MANIFEST_DSSE)) problems.push(`${MANIFEST_DSSE}: missing`);
  if (problems.length) return done();

  const mBytes = await r.read(MANIFEST);
  if (mBytes.length > MAX_MANIFEST) {
    problems.push(`${MANIFEST}: too large`);
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
    problems.push(named(e, MANIFEST));
    return done();
  }
  try {
    env = parseEnvelope(parseStrictJsonBytes(await r.read(MANIFEST_DSSE), { source: MANIFEST_DSSE, maxBytes: 2 * MAX_MANIFEST }), MANIFEST_DSSE);
  } catch (e) {
    problems.push(named(e, MANIFEST_DSSE));
    return done(manifest);
  }

  // 1. the envelope covers exactly manifest.json
  if (env.payloadType !== MANIFEST_PAYLOAD_TYPE) problems.push(`${MANIFEST_DSSE}: payloadType is "${env.payloadType}", expected "${MANIFEST_PAYLOAD_TYPE}"`);
  if (!bytesEqual(envelopePayload(env), mBytes)) problems.push(`${MANIFEST_DSSE}: its payload is not the bytes of ${MANIFEST} (manifest changed after signing)`);

  // 2. keys: fingerprint = sha256(spki)
  const byId = new Map<string, ManifestKey>();
  for (const k of manifest.keys) {
    byId.set(k.id, k);
    let spki: Uint8Array;
    try {
      spki = fromBase64(k.spki);
    } catch {
      problems.push(`key ${k.id}: public key is not base64`);
      continue;
    }
    if ((await sha256Hex(spki)) !== k.fingerprint) problems.push(`key ${k.id}: fingerprint does not match its public key`);
  }

  // 3. signatures: every required signer
  const toVerify = pae(env.payloadType, envelopePayload(env));
  if (manifest.signers.length === 0) problems.push(`${MANIFEST}: lists no signers`);
  for (const id of manifest.signers) {
    const k = byId.get(id);
    if (!k) {
      problems.push(`signer ${id}: not among the manifest's keys`);
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
    if (good) signedBy.push({ id, fingerprint: k.fingerprint, words: fingerprintWords(k.fingerprint) });
    else problems.push(`signature of key ${id} (${k.fingerprint.slice(0, 16)}…): ${sigs.length ? 'does not verify' : 'missing'}`);
  }
  if (opts.expectFingerprints?.length) {
    for (const fp of opts.expectFingerprints) {
      if (!signedBy.some((s) => s.fingerprint === fp.toLowerCase())) problems.push(`expected signer ${fp.slice(0, 16)}…: no valid signature by that key`);
    }
  }

  // 4. files
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    if (!has.has(f.path)) {
      problems.push(`${f.path}: missing`);
      continue;
    }
    const b = await r.read(f.path);
    if (b.length !== f.size) problems.push(`${f.path}: size ${b.length}, manifest says ${f.size}`);
    else if ((await sha256Hex(b)) !== f.sha256) problems.push(`${f.path}: SHA-256 does not match the manifest`);
  }
  for (const f of files) if (f !== MANIFEST && f !== MANIFEST_DSSE && !listed.has(f)) problems.push(`${f}: not listed in the manifest`);

  // 5. transcript chain
  const tPath = manifest.transcript?.path ?? TRANSCRIPT;
  if (!listed.has(tPath)) problems.push(`${tPath}: the transcript is not in the manifest`);
  if (has.has(tPath)) {
    let text = '';
    try {
      text = fromUtf8(await r.read(tPath));
    } catch {
      problems.push(`${tPath}: not UTF-8`);
    }
    const v = await verifyTranscript(splitLines(text));
    if (!v.ok) problems.push(`${tPath}: line ${v.broken?.line}: ${v.broken?.reason}`);
    else {
      if (v.count !== manifest.transcript.entries) problems.push(`${tPath}: ${v.count} entries, manifest says ${manifest.transcript.entries}`);
      if (v.head !== manifest.transcript.head) problems.push(`${tPath}: last entry hash differs from the manifest`);
      const last = v.entries[v.entries.length - 1];
      if (!v.entries.some((e) => e.event === 'ceremony-closed')) problems.push(`${tPath}: has no ceremony-closed entry`);
      if (last && last.event !== 'step-completed') problems.push(`${tPath}: does not end with the close step`);
      for (const e of v.entries) {
        if (e.runId !== manifest.runId) {
          problems.push(`${tPath}: entry ${e.seq} belongs to run ${e.runId}, manifest is run ${manifest.runId}`);
          break;
        }
        if (e.rehearsal !== manifest.rehearsal) {
          problems.push(`${tPath}: entry ${e.seq} rehearsal flag differs from the manifest`);
          break;
        }
        for (const k of e.keys ?? []) {
          const mk = byId.get(k.id);
          if (e.event === 'key-generated' && mk && mk.fingerprint !== k.fingerprint) problems.push(`key ${k.id}: transcript fingerprint differs from the manifest`);
        }
      }
      // 6. hardware attestations: chain, attested key = manifest key, recorded facts
      const a = await recheckAttestations(v.entries, async (p) => (has.has(p) && listed.has(p) ? r.read(p) : null), (id) => byId.get(id)?.fingerprint);
      problems.push(...a.problems);
      attested.push(...a.attested);
    }
  }
  if (manifest.rehearsal && opts.requireProduction) problems.push(`${MANIFEST}: this is a REHEARSAL bundle, not a production one`);
  if (manifest.rehearsal && manifest.mode !== REHEARSAL_BANNER) problems.push(`${MANIFEST}: rehearsal bundle without the rehearsal banner`);
  return done(manifest);
}

/** Throwing form for callers that want one error. */
export async function assertBundle(r: BundleReader, opts: Parameters<typeof verifyBundle>[1] = {}): Promise<BundleVerdict> {
  const v = await verifyBundle(r, opts);
  if (!v.ok) throw new KeyceremonyError('VERIFICATION_FAILED', `Bundle does not verify: ${v.problems[0]}`, { where: v.problems[0] ?? 'bundle' });
  return v;
}

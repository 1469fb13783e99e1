/**
 * The ceremony bundle, format v2 (docs/bundle-format.md): a folder with every output, the
 * transcript, VERIFY.sh, `manifest.json` (every file with its SHA-256 and size, the ceremony's public
 * keys, how SHA256SUMS is signed), `manifest.dsse.json` (a DSSE envelope over the manifest signed by
 * the ceremony's key(s)), `SHA256SUMS` (sha256sum -c format, every file but itself and its
 * signatures) and `SHA256SUMS.<key name>.sig` (a detached signature over SHA256SUMS per signer, made
 * on the token, checkable with openssl). `verifyBundle` checks all of it offline and names each
 * thing that does not match; VERIFY.sh checks the SHA256SUMS side with standard tools. Pure: reads
 * files through a BundleReader.
 */
import { defaultSignatureAlgorithm, isKeyType, type KeyType, type SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { sha256Hex, verifySignature } from '../../../shared/crypto/webcrypto';
import { envelope, envelopePayload, pae, parseEnvelope, type DsseEnvelope } from '../../../shared/dsse';
import { bytesEqual, fromBase64, fromUtf8, pemEncode, toBase64, utf8 } from '../../../shared/encoding/bytes';
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
import { bundleConfirmations, confirmationsSummary, type Confirmation } from './confirmations';
import { TRANSCRIPT_FORMAT, verifyTranscriptBytes, type Sha256HexSync } from './transcript';
import { KEY_NAME, renderVerifyScript } from './verify-script';

export const MANIFEST = 'manifest.json';
export const MANIFEST_DSSE = 'manifest.dsse.json';
export const TRANSCRIPT = 'transcript.jsonl';
export const CHECKSUMS = 'SHA256SUMS';
export const VERIFY_SCRIPT = 'VERIFY.sh';
export const MANIFEST_TYPE = 'https://keyceremony.dev/bundle/manifest/v2';
/** Bundles sealed before SHA256SUMS, VERIFY.sh and transcript v2 (not read by this version). */
export const MANIFEST_TYPE_V1 = 'https://keyceremony.dev/bundle/manifest/v1';
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
  /** The key's PEM file in the bundle (keys/<key name>.pub.pem). */
  publicKey: string;
  token: { label: string; serial?: string };
  purpose?: string;
}

/** One signer's detached signature over SHA256SUMS. */
export interface ManifestChecksumSignature {
  /** Script key id (one of `signers`). */
  key: string;
  /** SHA256SUMS.<key name>.sig */
  path: string;
  /** keys/<key name>.pub.pem */
  publicKey: string;
  algorithm: SignatureAlgorithm;
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
  transcript: { path: string; format: typeof TRANSCRIPT_FORMAT; entries: number; head: string };
  keys: ManifestKey[];
  /** Script key ids whose signatures over the manifest (and SHA256SUMS) are required. */
  signers: string[];
  /** SHA256SUMS (written after the manifest is signed, so not in `files`) and its signatures. */
  checksums: { path: typeof CHECKSUMS; signatures: ManifestChecksumSignature[] };
  /** Every file of the bundle except manifest.json, manifest.dsse.json, SHA256SUMS and its signatures. */
  files: ManifestFile[];
}

export interface BundleReader {
  /** Every regular file, relative path with "/" separators. */
  list(): Promise<string[]>;
  read(path: string): Promise<Uint8Array>;
}

/**
 * The algorithm of a key's signature over SHA256SUMS: the one `openssl dgst -sha256 -verify` (or,
 * for Ed25519, `openssl pkeyutl -verify -rawin`) checks. P-384 keys therefore sign SHA256SUMS with
 * ECDSA over SHA-256 (their DSSE signature over the manifest stays ECDSA over SHA-384); RSA keys
 * with RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32.
 */
export function checksumAlgorithm(t: KeyType): SignatureAlgorithm {
  return t === 'ecdsa-p384' ? 'ecdsa-p384-sha256' : defaultSignatureAlgorithm(t);
}

/** A key's name in file names: its script id, REHEARSAL- first in a rehearsal. */
export function keyName(id: string, rehearsal: boolean): string {
  return `${rehearsal ? 'REHEARSAL-' : ''}${id}`;
}
export const publicKeyPath = (name: string) => `keys/${name}.pub.pem`;
export const checksumSignaturePath = (name: string) => `${CHECKSUMS}.${name}.sig`;
/** keys/<name>.pub.pem -> <name> */
const nameOfKeyPath = (p: string) => p.slice('keys/'.length, -'.pub.pem'.length);

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

/** SHA256SUMS text: `<sha256 hex><2 spaces><path>` per file, sorted by path (byte order). */
export function checksumsText(files: { path: string; sha256: string }[]): Uint8Array {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return utf8(sorted.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
}

const SUMS_LINE = /^([0-9a-f]{64}) {2}([A-Za-z0-9._-][A-Za-z0-9._/-]*)$/;

/** Parse SHA256SUMS strictly (the form checksumsText writes); problems name the line. */
export function parseChecksums(bytes: Uint8Array): { sums: Map<string, string>; problems: string[] } {
  const sums = new Map<string, string>();
  const problems: string[] = [];
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch {
    return { sums, problems: [`${CHECKSUMS}: not UTF-8`] };
  }
  if (text.length && !text.endsWith('\n')) problems.push(`${CHECKSUMS}: the last line has no line feed`);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, i) => {
    const m = SUMS_LINE.exec(l);
    if (!m) return problems.push(`${CHECKSUMS}: line ${i + 1} is not "<64 hex digits><2 spaces><relative path>"`);
    const path = m[2] as string;
    if (path.split('/').some((s) => s === '' || s === '.' || s === '..') || path.startsWith(CHECKSUMS))
      return problems.push(`${CHECKSUMS}: line ${i + 1} names "${path}", which cannot be a file it lists`);
    if (sums.has(path)) return problems.push(`${CHECKSUMS}: "${path}" is listed twice`);
    sums.set(path, m[1] as string);
  });
  return { sums, problems };
}

/** What the Verify screen shows of SHA256SUMS and VERIFY.sh (issue 19). */
export interface ChecksumsReport {
  path: string;
  present: boolean;
  /** Files SHA256SUMS lists. */
  listed: number;
  /** SHA256SUMS lists exactly the bundle's files (but itself and its signatures), each matching. */
  matches: boolean;
  signatures: { key: string; path: string; algorithm: string; fingerprint: string; ok: boolean }[];
}
export interface VerifyScriptReport {
  path: string;
  present: boolean;
  /** Byte for byte the script this keyceremony writes for this bundle's signers. */
  matches: boolean;
}

export interface BundleVerdict {
  ok: boolean;
  problems: string[];
  /** Every check with its code (shared/verification): what `bundleReport` and the Verify screens read. */
  items: VerificationItem[];
  rehearsal: boolean;
  manifest?: Manifest;
  /** Fingerprints (and words) of keys whose signatures over the manifest verified. */
  signedBy: { id: string; fingerprint: string; words: string }[];
  files: number;
  checksums?: ChecksumsReport;
  verifyScript?: VerifyScriptReport;
  /** Keys whose hardware attestation (attestations/<key>/) was re-verified. */
  attested: AttestationRecheck[];
  /** The confirmations the verified transcript records (absent when the transcript did not verify). */
  confirmations?: Confirmation[];
}

const MAX_MANIFEST = 16 * 1024 * 1024;

/** The manifest's shape, checked before anything is read from it (coded errors name the member). */
function assertManifestShape(m: Manifest): void {
  const malformed = (msg: string): never => {
    throw new KeyceremonyError('UNSUPPORTED_FORMAT', msg, { where: MANIFEST });
  };
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return malformed('not a JSON object');
  if (m._type === (MANIFEST_TYPE_V1 as string)) {
    malformed(`bundle format v1 (${MANIFEST_TYPE_V1}), sealed before SHA256SUMS and VERIFY.sh; this version reads format v2 only (docs/bundle-format.md)`);
  }
  if (m._type !== MANIFEST_TYPE || !Array.isArray(m.files) || !Array.isArray(m.keys) || !Array.isArray(m.signers)) malformed('not a keyceremony manifest');
  const paths = new Set<string>();
  m.files.forEach((f, i) => {
    if (!f || !str(f.path) || !/^[0-9a-f]{64}$/.test(String(f.sha256)) || !Number.isSafeInteger(f.size)) malformed(`files[${i}] is malformed`);
    if (paths.has(f.path)) malformed(`files[${i}]: "${f.path}" is listed twice`);
    paths.add(f.path);
  });
  m.keys.forEach((k, i) => {
    if (!k || !str(k.id) || !str(k.spki) || !str(k.fingerprint) || !isKeyType(k.keyType)) malformed(`keys[${i}] is malformed`);
    if (!str(k.publicKey) || !/^keys\/.+\.pub\.pem$/.test(k.publicKey) || !KEY_NAME.test(nameOfKeyPath(k.publicKey)))
      malformed(`keys[${i}].publicKey is not keys/<name>.pub.pem`);
  });
  if (m.signers.some((x) => !str(x))) malformed('signers is malformed');
  const t = m.transcript;
  if (!t || !str(t.path) || !Number.isSafeInteger(t.entries) || !/^[0-9a-f]{64}$/.test(String(t.head))) malformed('transcript is malformed');
  if (t.format !== TRANSCRIPT_FORMAT) malformed(`transcript.format is "${String(t.format)}", expected "${TRANSCRIPT_FORMAT}"`);
  const c = m.checksums;
  if (!c || c.path !== CHECKSUMS || !Array.isArray(c.signatures)) malformed(`checksums must be {"path": "${CHECKSUMS}", "signatures": [...]}`);
  c.signatures.forEach((s, i) => {
    if (!s || !str(s.key) || !str(s.path) || !str(s.publicKey) || !str(s.algorithm)) malformed(`checksums.signatures[${i}] is malformed`);
  });
}

/**
 * Verify a bundle. `expectFingerprints` (optional) pins the signer keys out of band; `sha256Hex`
 * (optional) is a synchronous SHA-256 for the transcript chain (the adapters pass node's).
 */
export async function verifyBundle(
  r: BundleReader,
  opts: { requireProduction?: boolean; expectFingerprints?: string[]; sha256Hex?: Sha256HexSync } = {},
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
  let checksums: ChecksumsReport | undefined;
  let verifyScript: VerifyScriptReport | undefined;
  let confirmations: Confirmation[] | undefined;
  const done = (manifest?: Manifest): BundleVerdict => ({
    ok: problems.length === 0,
    problems,
    items: orderItems(items),
    rehearsal: manifest?.rehearsal ?? false,
    ...(manifest ? { manifest } : {}),
    signedBy,
    files: files.length,
    ...(checksums ? { checksums } : {}),
    ...(verifyScript ? { verifyScript } : {}),
    attested,
    ...(confirmations ? { confirmations } : {}),
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
    manifest = parseStrictJsonBytes(mBytes, { source: MANIFEST, maxBytes: MAX_MANIFEST }) as Manifest;
    assertManifestShape(manifest);
  } catch (e) {
    fail('bundle.manifest', errorCode(e), MANIFEST, named(e, MANIFEST));
    return done();
  }
  pass('bundle.manifest', MANIFEST, `${MANIFEST}: a keyceremony manifest (format v2) listing ${manifest.files.length} files and ${manifest.keys.length} keys`);
  try {
    env = parseEnvelope(parseStrictJsonBytes(await r.read(MANIFEST_DSSE), { source: MANIFEST_DSSE, maxBytes: 2 * MAX_MANIFEST }), MANIFEST_DSSE);
  } catch (e) {
    fail('bundle.envelope', errorCode(e), MANIFEST_DSSE, named(e, MANIFEST_DSSE));
    return done(manifest);
  }

  // 1. the envelope covers exactly manifest.json
  const envelopeOk = env.payloadType === MANIFEST_PAYLOAD_TYPE && bytesEqual(envelopePayload(env), mBytes);
  if (env.payloadType !== MANIFEST_PAYLOAD_TYPE)
    fail('bundle.envelope', 'UNSUPPORTED_FORMAT', MANIFEST_DSSE, `${MANIFEST_DSSE}: payloadType is "${env.payloadType}", expected "${MANIFEST_PAYLOAD_TYPE}"`);
  if (!bytesEqual(envelopePayload(env), mBytes))
    fail(
      'bundle.envelope',
      'SIGNATURE_MISMATCH',
      MANIFEST_DSSE,
      `${MANIFEST_DSSE}: its payload is not the bytes of ${MANIFEST} (manifest changed after signing)`,
    );
  if (envelopeOk) pass('bundle.envelope', MANIFEST_DSSE, `${MANIFEST_DSSE} covers exactly the bytes of ${MANIFEST}`);

  // 2. keys: fingerprint = sha256(spki)
  const byId = new Map<string, ManifestKey>();
  const spkiOf = new Map<string, Uint8Array>();
  for (const k of manifest.keys) {
    if (byId.has(k.id)) fail('bundle.key', 'INVALID_METADATA', k.id, `key ${k.id}: listed twice in the manifest`);
    byId.set(k.id, k);
    let spki: Uint8Array;
    try {
      spki = fromBase64(k.spki);
    } catch {
      fail('bundle.key', 'INVALID_KEY', k.id, `key ${k.id}: public key is not base64`);
      continue;
    }
    spkiOf.set(k.id, spki);
    if ((await sha256Hex(spki)) !== k.fingerprint) fail('bundle.key', 'VERIFICATION_FAILED', k.id, `key ${k.id}: fingerprint does not match its public key`);
    else pass('bundle.key', k.id, `key ${k.id}: fingerprint ${k.fingerprint.slice(0, 16)}… is SHA-256 of its public key`);
  }

  // 3. DSSE signatures: every required signer
  const toVerify = pae(env.payloadType, envelopePayload(env));
  if (manifest.signers.length === 0) fail('bundle.signature', 'THRESHOLD_NOT_MET', MANIFEST, `${MANIFEST}: lists no signers`);
  if (new Set(manifest.signers).size !== manifest.signers.length)
    fail('bundle.signature', 'INVALID_METADATA', MANIFEST, `${MANIFEST}: a signer is listed twice`);
  for (const id of manifest.signers) {
    const k = byId.get(id);
    const spki = spkiOf.get(id);
    if (!k || !spki) {
      fail('bundle.signature', 'KEY_NOT_FOUND', id, `signer ${id}: not among the manifest's keys`);
      continue;
    }
    const sigs = env.signatures.filter((s) => s.keyid === k.fingerprint);
    let good = false;
    for (const s of sigs) {
      try {
        if (await verifySignature(spki, defaultSignatureAlgorithm(k.keyType), toVerify, fromBase64(s.sig))) good = true;
      } catch {
        /* counted as bad */
      }
    }
    if (good) {
      signedBy.push({ id, fingerprint: k.fingerprint, words: fingerprintWords(k.fingerprint) });
      pass('bundle.signature', id, `signature of key ${id} (${k.fingerprint.slice(0, 16)}…) over the manifest verifies`);
    } else {
      fail(
        'bundle.signature',
        sigs.length ? 'INVALID_SIGNATURE' : 'THRESHOLD_NOT_MET',
        id,
        `signature of key ${id} (${k.fingerprint.slice(0, 16)}…): ${sigs.length ? 'does not verify' : 'missing'}`,
      );
    }
  }
  if (opts.expectFingerprints?.length) {
    for (const fp of opts.expectFingerprints) {
      if (!signedBy.some((s) => s.fingerprint === fp.toLowerCase()))
        fail('bundle.signer.expected', 'VERIFICATION_FAILED', fp, `expected signer ${fp.slice(0, 16)}…: no valid signature by that key`);
      else pass('bundle.signer.expected', fp, `expected signer ${fp.slice(0, 16)}… signed`);
    }
  }

  // 4. files: every listed file present and matching; nothing else but the manifest, SHA256SUMS and its signatures
  const actual = new Map<string, string>(); // path -> sha256 of what is there
  const hashOf = async (p: string): Promise<string> => {
    let h = actual.get(p);
    if (h === undefined) {
      h = await sha256Hex(await r.read(p));
      actual.set(p, h);
    }
    return h;
  };
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    if (!has.has(f.path)) {
      fail('bundle.file', 'NOT_FOUND', f.path, `${f.path}: missing`);
      continue;
    }
    const b = await r.read(f.path);
    actual.set(f.path, await sha256Hex(b));
    if (b.length !== f.size) fail('bundle.file', 'HASH_MISMATCH', f.path, `${f.path}: size ${b.length}, manifest says ${f.size}`);
    else if (actual.get(f.path) !== f.sha256) fail('bundle.file', 'HASH_MISMATCH', f.path, `${f.path}: SHA-256 does not match the manifest`);
    else pass('bundle.file', f.path, `sha256 ${f.sha256.slice(0, 16)}… matches (${f.size} bytes)`);
  }
  const sigPaths = new Set(manifest.checksums.signatures.map((s) => s.path));
  const outsideManifest = (f: string) => f === MANIFEST || f === MANIFEST_DSSE || f === CHECKSUMS || sigPaths.has(f);
  for (const f of files) if (!outsideManifest(f) && !listed.has(f)) fail('bundle.unlisted', 'VERIFICATION_FAILED', f, `${f}: not listed in the manifest`);

  // 5. each key's PEM file is that key (what VERIFY.sh and openssl will use)
  for (const k of manifest.keys) {
    const spki = spkiOf.get(k.id);
    if (!spki) continue;
    if (!listed.has(k.publicKey)) {
      fail('bundle.key', 'INVALID_METADATA', k.id, `key ${k.id}: ${k.publicKey} is not listed in the manifest`);
      continue;
    }
    if (!has.has(k.publicKey)) continue; // reported as missing above
    if (!bytesEqual(await r.read(k.publicKey), utf8(pemEncode('PUBLIC KEY', spki))))
      fail('bundle.key', 'INVALID_KEY', k.id, `key ${k.id}: ${k.publicKey} is not the public key the manifest records for it`);
  }

  // 6. SHA256SUMS: lists exactly the other files, each matching; one openssl-checkable signature per signer
  checksums = { path: CHECKSUMS, present: has.has(CHECKSUMS), listed: 0, matches: false, signatures: [] };
  const sumsFailed = problems.length;
  const sumsFail = (code: ErrorCode, subject: string, message: string) => fail('bundle.checksums', code, subject, message);
  let sumsBytes: Uint8Array | undefined;
  if (!checksums.present) sumsFail('NOT_FOUND', CHECKSUMS, `${CHECKSUMS}: missing`);
  else {
    sumsBytes = await r.read(CHECKSUMS);
    const { sums, problems: p } = parseChecksums(sumsBytes);
    for (const m of p) sumsFail('UNSUPPORTED_FORMAT', CHECKSUMS, m);
    checksums.listed = sums.size;
    for (const f of files) {
      if (f === CHECKSUMS || sigPaths.has(f)) continue;
      if (!sums.has(f)) sumsFail('VERIFICATION_FAILED', f, `${f}: not listed in ${CHECKSUMS}`);
    }
    for (const [path, sha] of sums) {
      if (!has.has(path)) sumsFail('NOT_FOUND', path, `${path}: listed in ${CHECKSUMS} but missing`);
      else if ((await hashOf(path)) !== sha) sumsFail('HASH_MISMATCH', path, `${path}: SHA-256 does not match ${CHECKSUMS}`);
    }
    checksums.matches = problems.length === sumsFailed;
    if (checksums.matches)
      pass('bundle.checksums', CHECKSUMS, `${CHECKSUMS} lists all ${sums.size} other files of the bundle, each matching (sha256sum -c ${CHECKSUMS})`);
  }
  const sigFail = (code: ErrorCode, subject: string, message: string) => fail('bundle.checksums.signature', code, subject, message);
  for (const id of manifest.signers) {
    if (byId.has(id) && !manifest.checksums.signatures.some((s) => s.key === id))
      sigFail('THRESHOLD_NOT_MET', id, `${CHECKSUMS}: no signature by signer ${id} is declared in the manifest`);
  }
  const seenKeys = new Set<string>();
  for (const s of manifest.checksums.signatures) {
    const k = byId.get(s.key);
    const spki = spkiOf.get(s.key);
    const row = { key: s.key, path: s.path, algorithm: s.algorithm, fingerprint: k?.fingerprint ?? '', ok: false };
    checksums.signatures.push(row);
    if (seenKeys.has(s.key)) {
      sigFail('INVALID_METADATA', s.path, `${CHECKSUMS}: two signatures declared for ${s.key}`);
      continue;
    }
    seenKeys.add(s.key);
    if (!k || !spki || !manifest.signers.includes(s.key)) {
      sigFail('KEY_NOT_FOUND', s.path, `${s.path}: by ${s.key}, who is not a signer of this bundle`);
      continue;
    }
    const name = nameOfKeyPath(k.publicKey);
    if (s.publicKey !== k.publicKey || s.path !== checksumSignaturePath(name) || s.algorithm !== checksumAlgorithm(k.keyType)) {
      sigFail(
        'INVALID_METADATA',
        s.path,
        `${s.path}: declared as ${s.algorithm} with ${s.publicKey}; a ${k.keyType} key signs ${checksumSignaturePath(name)} with ${checksumAlgorithm(k.keyType)}`,
      );
      continue;
    }
    if (!has.has(s.path)) {
      sigFail('NOT_FOUND', s.path, `${s.path}: missing (the signature of ${s.key} over ${CHECKSUMS})`);
      continue;
    }
    if (!sumsBytes) continue;
    let good = false;
    try {
      good = await verifySignature(spki, s.algorithm, sumsBytes, await r.read(s.path));
    } catch {
      good = false;
    }
    row.ok = good;
    if (good) pass('bundle.checksums.signature', s.path, `${s.key} signed ${CHECKSUMS} (${s.algorithm}); openssl verifies it with ${s.publicKey}`);
    else sigFail('INVALID_SIGNATURE', s.path, `${s.path}: does not verify with ${s.publicKey} (${s.algorithm})`);
  }

  // 7. VERIFY.sh: in the manifest, and exactly the script for these signers
  verifyScript = { path: VERIFY_SCRIPT, present: has.has(VERIFY_SCRIPT), matches: false };
  if (!verifyScript.present) fail('bundle.verify-script', 'NOT_FOUND', VERIFY_SCRIPT, `${VERIFY_SCRIPT}: missing`);
  else if (!listed.has(VERIFY_SCRIPT)) fail('bundle.verify-script', 'VERIFICATION_FAILED', VERIFY_SCRIPT, `${VERIFY_SCRIPT}: not listed in the manifest`);
  else {
    let expected: Uint8Array | undefined;
    try {
      expected = utf8(renderVerifyScript(manifest.checksums.signatures.map((s) => ({ name: nameOfKeyPath(s.publicKey), algorithm: s.algorithm }))));
    } catch (e) {
      fail('bundle.verify-script', errorCode(e), VERIFY_SCRIPT, named(e, VERIFY_SCRIPT));
    }
    if (expected) {
      verifyScript.matches = bytesEqual(await r.read(VERIFY_SCRIPT), expected);
      if (verifyScript.matches) {
        pass(
          'bundle.verify-script',
          VERIFY_SCRIPT,
          `${VERIFY_SCRIPT} is the script keyceremony writes for these signers: it checks ${CHECKSUMS}, its signatures and the transcript chain with standard tools, and agrees with this verification (run: sh ${VERIFY_SCRIPT})`,
        );
      } else
        fail(
          'bundle.verify-script',
          'HASH_MISMATCH',
          VERIFY_SCRIPT,
          `${VERIFY_SCRIPT}: not the script keyceremony writes for this bundle's signers (it was changed)`,
        );
    }
  }

  // 8. transcript chain
  const tPath = manifest.transcript.path;
  const before = problems.length;
  let attestations: Awaited<ReturnType<typeof recheckAttestations>> | undefined;
  let acks: Awaited<ReturnType<typeof bundleConfirmations>> | undefined;
  const tfail = (message: string) => fail('bundle.transcript', 'VERIFICATION_FAILED', tPath, message);
  if (!listed.has(tPath)) tfail(`${tPath}: the transcript is not in the manifest`);
  if (has.has(tPath)) {
    const v = await verifyTranscriptBytes(await r.read(tPath), opts.sha256Hex ? { sha256Hex: opts.sha256Hex } : {});
    if (!v.ok) tfail(`${tPath}: line ${v.broken?.line}: ${v.broken?.reason}`);
    else {
      if (v.count !== manifest.transcript.entries) tfail(`${tPath}: ${v.count} entries, manifest says ${manifest.transcript.entries}`);
      if (v.head !== manifest.transcript.head)
        tfail(
          `${tPath}: the hash of its last line is not the head the manifest records (the last line was altered, or lines were added or removed at the end)`,
        );
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
      const readListed = async (p: string) => (has.has(p) && listed.has(p) ? r.read(p) : null);
      attestations = await recheckAttestations(v.entries, readListed, (id) => byId.get(id)?.fingerprint);
      acks = await bundleConfirmations(v.entries, readListed, !manifest.rehearsal);
    }
  }
  if (problems.length === before)
    pass('bundle.transcript', tPath, `${tPath}: hash chain of ${manifest.transcript.entries} entries verifies line by line and ends with the close step`);
  // 8b. the confirmations: what the script asked of each person in each step, and nothing else
  for (const p of acks?.problems ?? []) fail('bundle.confirmations', 'VERIFICATION_FAILED', acks?.script ?? tPath, p);
  if (acks) confirmations = acks.confirmations;
  if (acks?.notCompared) items.push({ check: 'bundle.confirmations', status: 'skip', subject: acks.script ?? tPath, message: acks.notCompared });
  else if (acks && !acks.problems.length) {
    pass(
      'bundle.confirmations',
      acks.script ?? tPath,
      `${acks.confirmations.length} confirmations, each one the ceremony script asks for: ${confirmationsSummary(acks.confirmations) || 'none asked'}`,
    );
  }
  // 9. hardware attestations: chain, attested key = manifest key, recorded facts
  for (const p of attestations?.problems ?? []) fail('bundle.attestation', 'VERIFICATION_FAILED', 'attestations', p);
  for (const a of attestations?.attested ?? []) {
    attested.push(a);
    pass(
      'bundle.attestation',
      a.key,
      `key ${a.key}: ${a.vendor} attestation${a.serial !== null ? ` (serial ${a.serial})` : ''} chains to ${a.root}${a.rootSource === 'given' ? ' (root given by the script)' : ''}`,
    );
  }
  if (manifest.rehearsal && opts.requireProduction)
    fail('bundle.mode', 'PRECONDITION_FAILED', MANIFEST, `${MANIFEST}: this is a REHEARSAL bundle, not a production one`);
  if (manifest.rehearsal && manifest.mode !== REHEARSAL_BANNER)
    fail('bundle.mode', 'INVALID_METADATA', MANIFEST, `${MANIFEST}: rehearsal bundle without the rehearsal banner`);
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
        signedBy: v.signedBy.map((s) => ({
          keyid: s.id,
          fingerprint: s.fingerprint,
          words: s.words,
          ...(byId.get(s.id)?.label ? { name: byId.get(s.id)!.label } : {}),
        })),
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
      keys: (m?.keys ?? []).map((k) => ({
        id: k.id,
        label: k.label,
        keyType: k.keyType,
        fingerprint: k.fingerprint,
        words: k.words,
        ...(k.purpose ? { purpose: k.purpose } : {}),
      })),
      ...(v.checksums ? { checksums: v.checksums } : {}),
      ...(v.verifyScript ? { verifyScript: v.verifyScript } : {}),
      ...(v.confirmations ? { confirmations: v.confirmations } : {}),
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

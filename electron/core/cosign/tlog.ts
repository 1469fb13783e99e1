/**
 * Transparency-log entries in a Sigstore bundle (Rekor v1 `hashedrekord/0.0.1`, `dsse/0.0.1`,
 * `intoto/0.0.2`; Rekor v2 `hashedrekord/0.0.2`, `dsse/0.0.2`).
 *
 * 1. Always: every entry must be about THIS bundle: its canonicalized body must carry the bundle's
 *    signature, the verifying key (or the bundle's certificate) and the artifact's digest, and its
 *    kind/version must be what the entry says (CVE-2022-36056: a valid signature shipped with a log
 *    entry for another artifact). Offline and without a trusted root that is all one can check.
 * 2. With a trusted root (`trusted_root.json`): the entry's log must be one of its tlogs, valid at
 *    the entry's time; the SET (inclusion promise) must verify under the log key over the canonical
 *    {body, integratedTime, logID, logIndex}; an inclusion proof must lead from SHA-256(0x00 || body)
 *    to its root hash (RFC 9162 §2.1.3.2) and its checkpoint (a signed note) must be signed by the log
 *    and name the same root and tree size. A v0.1 bundle needs the SET; later versions the proof.
 * Not checked here (key-based verification): certificate chains, SCTs, RFC 3161 timestamps.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJsonBytes, canonicalBytes } from '../../../shared/json';
import { bytesEqual, concatBytes, fromBase64, fromHex, fromUtf8, pemDecode, toBase64, toHex, utf8 } from '../../../shared/encoding/bytes';
import { sha256, verifySignature } from '../../../shared/crypto/webcrypto';
import { parseSpki } from '../../../shared/crypto/spki';
import type { SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { parseCertificate } from '../../../shared/notary/x509';
import type { ParsedBundle } from '../../../shared/cosign/bundle';
import { BUNDLE_V01_MEDIA_TYPE } from '../../../shared/cosign/bundle';
import type { TransparencyLog, TrustedRoot } from '../../../shared/cosign/trusted-root';
import { pae } from '../../../shared/dsse';

export interface TlogCheck {
  /** One line on what was checked, for the report. */
  summary: string;
  /** True when the log's signatures were verified with a trusted root. */
  logVerified: boolean;
}

/** Thrown (and turned into a failed verification) when an entry does not hold. */
class Mismatch {
  constructor(readonly reason: string) {}
}
const mismatch = (reason: string): never => {
  throw new Mismatch(reason);
};

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function obj(x: unknown, what: string): Record<string, unknown> {
  return isObj(x) ? x : mismatch(`${what} is missing or not an object`);
}
function str(x: unknown, what: string): string {
  return typeof x === 'string' ? x : mismatch(`${what} is missing`);
}
function b64(x: unknown, what: string): Uint8Array {
  try {
    return fromBase64(str(x, what));
  } catch (e) {
    if (e instanceof Mismatch) throw e;
    return mismatch(`${what} is not base64`);
  }
}
/** A protobuf int64 in JSON: a decimal string (or number); never negative. */
function uint(x: unknown, what: string): bigint {
  const s = typeof x === 'number' ? String(x) : typeof x === 'string' ? x : mismatch(`${what} is missing`);
  if (!/^\d+$/.test(s)) mismatch(`${what} ${JSON.stringify(s)} is not a non-negative whole number`);
  return BigInt(s);
}

interface Entry {
  index: number;
  logIndex: bigint;
  logId: Uint8Array;
  kind: string;
  version: string;
  integratedTime?: bigint;
  set?: Uint8Array;
  proof?: { logIndex: bigint; rootHash: Uint8Array; treeSize: bigint; hashes: Uint8Array[]; checkpoint?: string };
  body: Uint8Array;
  bodyB64: string;
}

function parseEntry(x: unknown, i: number): Entry {
  const e = obj(x, `tlog entry ${i + 1}`);
  const w = `tlog entry ${i + 1}`;
  const kv = obj(e['kindVersion'], `${w} kindVersion`);
  const bodyB64 = str(e['canonicalizedBody'], `${w} canonicalizedBody`);
  const out: Entry = {
    index: i,
    logIndex: uint(e['logIndex'], `${w} logIndex`),
    logId: b64(obj(e['logId'], `${w} logId`)['keyId'], `${w} logId.keyId`),
    kind: str(kv['kind'], `${w} kindVersion.kind`),
    version: str(kv['version'], `${w} kindVersion.version`),
    body: b64(bodyB64, `${w} canonicalizedBody`),
    bodyB64,
  };
  const present = (k: string) => e[k] !== undefined && e[k] !== null; // the protobuf JSON mapping may write null for an unset message
  if (present('integratedTime') && e['integratedTime'] !== '0') out.integratedTime = uint(e['integratedTime'], `${w} integratedTime`);
  if (present('inclusionPromise')) out.set = b64(obj(e['inclusionPromise'], `${w} inclusionPromise`)['signedEntryTimestamp'], `${w} signedEntryTimestamp`);
  if (present('inclusionProof')) {
    const p = obj(e['inclusionProof'], `${w} inclusionProof`);
    const hashes =
      p['hashes'] === undefined || p['hashes'] === null ? [] : Array.isArray(p['hashes']) ? p['hashes'] : mismatch(`${w} inclusionProof.hashes is not a list`);
    out.proof = {
      logIndex: uint(p['logIndex'], `${w} inclusionProof.logIndex`),
      rootHash: b64(p['rootHash'], `${w} inclusionProof.rootHash`),
      treeSize: uint(p['treeSize'], `${w} inclusionProof.treeSize`),
      hashes: hashes.map((h: unknown, j) => b64(h, `${w} inclusionProof.hashes[${j}]`)),
    };
    const cp = p['checkpoint'];
    if (cp !== undefined && cp !== null) out.proof.checkpoint = str(obj(cp, `${w} checkpoint`)['envelope'], `${w} checkpoint.envelope`);
  }
  return out;
}

/** What the bundle itself says: signature, key/certificate, and the digest the log must have recorded. */
export interface BundleFacts {
  bundle: ParsedBundle;
  /** The key the user trusts (DER SPKI). */
  spki: Uint8Array;
  /** The bundle's leaf certificate, if it carries one. */
  leafCert?: Uint8Array;
}

/** The verifier a body names: a PEM (v0.0.1 kinds, base64 of the PEM text) or DER bytes (v0.0.2). */
function verifierSpki(kind: 'pem' | 'cert' | 'key', bytes: Uint8Array, what: string): { spki: Uint8Array; cert?: Uint8Array } {
  try {
    if (kind === 'pem') {
      const { label, der } = pemDecode(fromUtf8(bytes));
      if (label === 'CERTIFICATE') return { spki: parseCertificate(der).spki, cert: der };
      if (label === 'PUBLIC KEY') return { spki: der };
      return mismatch(`${what} is a PEM "${label}", neither a certificate nor a public key`);
    }
    if (kind === 'cert') return { spki: parseCertificate(bytes).spki, cert: bytes };
    return { spki: bytes };
  } catch (e) {
    if (e instanceof Mismatch) throw e;
    return mismatch(`${what} is not a readable key or certificate`);
  }
}

function sameKey(f: BundleFacts, v: { spki: Uint8Array; cert?: Uint8Array }, w: string): void {
  if (f.leafCert && v.cert && !bytesEqual(f.leafCert, v.cert)) mismatch(`${w} names another certificate than the bundle's`);
  if (!bytesEqual(v.spki, f.spki)) mismatch(`${w} names another public key than the one verified`);
}

const HASH_NAMES: Record<string, 'SHA2_256' | 'SHA2_384' | 'SHA2_512'> = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' };

async function checkBody(f: BundleFacts, e: Entry): Promise<void> {
  const w = `tlog entry ${e.index + 1} (${e.kind}/${e.version}, log index ${e.logIndex})`;
  let body: Record<string, unknown>;
  try {
    body = obj(parseStrictJsonBytes(e.body, { source: `${w} body` }), `${w} body`);
  } catch (err) {
    if (err instanceof Mismatch) throw err;
    return mismatch(`${w}: its canonicalized body is not JSON`);
  }
  if (body['kind'] !== e.kind || body['apiVersion'] !== e.version) {
    mismatch(`${w}: the body is ${String(body['kind'])}/${String(body['apiVersion'])}, not what the entry says`);
  }
  const spec = obj(body['spec'], `${w} body.spec`);
  const c = f.bundle.content;
  const sigIs = (sig: Uint8Array) => {
    if (!bytesEqual(sig, c.signature)) mismatch(`${w} records another signature than the bundle's: the entry belongs to another signing`);
  };
  const kv = `${e.kind}/${e.version}`;
  if (c.kind === 'messageSignature') {
    if (kv === 'hashedrekord/0.0.1') {
      const sig = obj(spec['signature'], `${w} spec.signature`);
      sigIs(b64(sig['content'], `${w} spec.signature.content`));
      sameKey(f, verifierSpki('pem', b64(obj(sig['publicKey'], `${w} spec.signature.publicKey`)['content'], `${w} spec.signature.publicKey.content`), w), w);
      const h = obj(obj(spec['data'], `${w} spec.data`)['hash'], `${w} spec.data.hash`);
      const alg = HASH_NAMES[str(h['algorithm'], `${w} spec.data.hash.algorithm`)];
      let value: Uint8Array;
      try {
        value = fromHex(str(h['value'], `${w} spec.data.hash.value`));
      } catch (err) {
        if (err instanceof Mismatch) throw err;
        return mismatch(`${w}: spec.data.hash.value is not hex`);
      }
      if (alg !== c.digestAlgorithm || !bytesEqual(value, c.digest))
        mismatch(`${w} records the digest of another artifact (${toHex(value).slice(0, 16)}…), not this one (${toHex(c.digest).slice(0, 16)}…)`);
      return;
    }
    if (kv === 'hashedrekord/0.0.2') {
      const hr = obj(spec['hashedRekordV002'], `${w} spec.hashedRekordV002`);
      const sig = obj(hr['signature'], `${w} signature`);
      sigIs(b64(sig['content'], `${w} signature.content`));
      sameKey(f, v2Verifier(obj(sig['verifier'], `${w} signature.verifier`), w), w);
      const d = obj(hr['data'], `${w} data`);
      if (d['algorithm'] !== c.digestAlgorithm || !bytesEqual(b64(d['digest'], `${w} data.digest`), c.digest))
        mismatch(`${w} records the digest of another artifact, not this one`);
      return;
    }
    return mismatch(`${w}: a ${kv} entry cannot record a message signature`);
  }
  // DSSE envelope
  const payloadHash = await sha256(c.payload);
  if (kv === 'dsse/0.0.1') {
    const sigs = Array.isArray(spec['signatures']) ? spec['signatures'] : mismatch(`${w} spec.signatures is missing`);
    if (sigs.length !== 1) mismatch(`${w} records ${sigs.length} signatures; the bundle's envelope has one`);
    const s0 = obj(sigs[0], `${w} spec.signatures[0]`);
    sigIs(b64(s0['signature'], `${w} spec.signatures[0].signature`));
    sameKey(f, verifierSpki('pem', b64(s0['verifier'], `${w} spec.signatures[0].verifier`), w), w);
    hexHashIs(obj(spec['payloadHash'], `${w} spec.payloadHash`), payloadHash, w);
    return;
  }
  if (kv === 'intoto/0.0.2') {
    const content = obj(spec['content'], `${w} spec.content`);
    const env = obj(content['envelope'], `${w} spec.content.envelope`);
    const sigs = Array.isArray(env['signatures']) ? env['signatures'] : mismatch(`${w} envelope.signatures is missing`);
    if (sigs.length !== 1) mismatch(`${w} records ${sigs.length} signatures; the bundle's envelope has one`);
    const s0 = obj(sigs[0], `${w} envelope.signatures[0]`);
    // intoto/0.0.2 stores the signature base64-encoded twice
    const outer = b64(s0['sig'], `${w} envelope.signatures[0].sig`);
    let sig = outer; // not base64 inside: compare as is (it will not match)
    try {
      sig = fromBase64(fromUtf8(outer));
    } catch {
      /* keep outer */
    }
    sigIs(sig);
    sameKey(f, verifierSpki('pem', b64(s0['publicKey'], `${w} envelope.signatures[0].publicKey`), w), w);
    if (env['payloadType'] !== undefined && env['payloadType'] !== c.payloadType)
      mismatch(`${w} records payloadType ${String(env['payloadType'])}, the bundle ${c.payloadType}`);
    hexHashIs(obj(content['payloadHash'], `${w} spec.content.payloadHash`), payloadHash, w);
    return;
  }
  if (kv === 'hashedrekord/0.0.2') {
    // Rekor v2 logs a DSSE envelope as a hashedrekord over PAE(payloadType, payload)
    const hr = obj(spec['hashedRekordV002'], `${w} spec.hashedRekordV002`);
    const sig = obj(hr['signature'], `${w} signature`);
    sigIs(b64(sig['content'], `${w} signature.content`));
    sameKey(f, v2Verifier(obj(sig['verifier'], `${w} signature.verifier`), w), w);
    const d = obj(hr['data'], `${w} data`);
    const digest = b64(d['digest'], `${w} data.digest`);
    if (d['algorithm'] !== 'SHA2_256' || !bytesEqual(digest, await sha256(pae(c.payloadType, c.payload))))
      mismatch(`${w} records the digest of another envelope, not this one`);
    return;
  }
  if (kv === 'dsse/0.0.2') {
    const ds = obj(spec['dsseV002'], `${w} spec.dsseV002`);
    const sigs = Array.isArray(ds['signatures']) ? ds['signatures'] : mismatch(`${w} signatures is missing`);
    if (sigs.length !== 1) mismatch(`${w} records ${sigs.length} signatures; the bundle's envelope has one`);
    const s0 = obj(sigs[0], `${w} signatures[0]`);
    sigIs(b64(s0['content'], `${w} signatures[0].content`));
    sameKey(f, v2Verifier(obj(s0['verifier'], `${w} signatures[0].verifier`), w), w);
    const ph = obj(ds['payloadHash'], `${w} payloadHash`);
    if (ph['algorithm'] !== 'SHA2_256' || !bytesEqual(b64(ph['digest'], `${w} payloadHash.digest`), payloadHash))
      mismatch(`${w} records the hash of another payload, not this one`);
    return;
  }
  return mismatch(`${w}: a ${kv} entry cannot record a DSSE envelope`);
}

function hexHashIs(h: Record<string, unknown>, want: Uint8Array, w: string): void {
  let v: Uint8Array;
  try {
    v = fromHex(str(h['value'], `${w} payloadHash.value`));
  } catch (err) {
    if (err instanceof Mismatch) throw err;
    return mismatch(`${w}: payloadHash.value is not hex`);
  }
  if (h['algorithm'] !== 'sha256' || !bytesEqual(v, want))
    mismatch(`${w} records the hash of another payload (${toHex(v).slice(0, 16)}…), not this envelope's (${toHex(want).slice(0, 16)}…)`);
}

function v2Verifier(v: Record<string, unknown>, w: string): { spki: Uint8Array; cert?: Uint8Array } {
  if (isObj(v['x509Certificate'])) return verifierSpki('cert', b64(v['x509Certificate']['rawBytes'], `${w} verifier.x509Certificate.rawBytes`), w);
  if (isObj(v['publicKey'])) return verifierSpki('key', b64(v['publicKey']['rawBytes'], `${w} verifier.publicKey.rawBytes`), w);
  return mismatch(`${w}: the verifier names neither a certificate nor a public key`);
}

// ---- log signatures (with a trusted root) ----

function logAlgorithm(t: TransparencyLog): SignatureAlgorithm {
  switch (t.keyDetails) {
    case 'PKIX_ECDSA_P256_SHA_256':
      return 'ecdsa-p256-sha256';
    case 'PKIX_ECDSA_P384_SHA_384':
      return 'ecdsa-p384-sha384';
    case 'PKIX_ED25519':
      return 'ed25519';
    default: {
      const a = parseSpki(t.publicKey).algorithm;
      return a === 'ed25519' ? 'ed25519' : a === 'ecdsa-p384' ? 'ecdsa-p384-sha384' : 'ecdsa-p256-sha256';
    }
  }
}

async function logSigValid(t: TransparencyLog, data: Uint8Array, sig: Uint8Array): Promise<boolean> {
  try {
    return await verifySignature(t.publicKey, logAlgorithm(t), data, sig);
  } catch {
    return false;
  }
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to. */
async function rootFromProof(leaf: Uint8Array, index: bigint, size: bigint, path: Uint8Array[]): Promise<Uint8Array | null> {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1n;
  let r = await sha256(concatBytes(Uint8Array.of(0), leaf));
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(concatBytes(Uint8Array.of(1), p, r));
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await sha256(concatBytes(Uint8Array.of(1), r, p));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

/** A signed note (c2sp.org/signed-note) holding a checkpoint: origin, size, root hash; signature lines. */
async function checkCheckpoint(envelope: string, t: TransparencyLog, proof: NonNullable<Entry['proof']>, w: string): Promise<void> {
  const sep = envelope.indexOf('\n\n');
  if (sep < 0) mismatch(`${w}: the checkpoint has no signature block`);
  const note = envelope.slice(0, sep + 1);
  const lines = note.slice(0, -1).split('\n');
  if (lines.length < 3 || !lines[0]) mismatch(`${w}: the checkpoint lacks its origin, tree size or root hash`);
  if (!/^\d+$/.test(lines[1] as string)) mismatch(`${w}: the checkpoint's tree size ${JSON.stringify(lines[1])} is not a number`);
  let root: Uint8Array;
  try {
    root = fromBase64(lines[2] as string);
  } catch {
    return mismatch(`${w}: the checkpoint's root hash is not base64`);
  }
  const hint = t.logId.subarray(0, 4);
  let signedByLog = false;
  for (const m of envelope.slice(sep + 2).matchAll(/^\u2014 (\S+) (\S+)$/gm)) {
    let sig: Uint8Array;
    try {
      sig = fromBase64(m[2] as string);
    } catch {
      continue;
    }
    if (sig.length < 5 || !bytesEqual(sig.subarray(0, 4), hint)) continue; // a witness cosignature, or another key
    if (!t.baseUrl.includes(m[1] as string)) continue;
    if (await logSigValid(t, utf8(note), sig.subarray(4))) signedByLog = true;
    else mismatch(`${w}: the checkpoint's signature by ${m[1]} does not verify with the log key`);
  }
  if (!signedByLog) mismatch(`${w}: the checkpoint carries no signature by the log ${t.baseUrl}`);
  if (BigInt(lines[1] as string) !== proof.treeSize || !bytesEqual(root, proof.rootHash)) {
    mismatch(
      `${w}: the checkpoint is for another tree (size ${lines[1]}, root ${toBase64(root).slice(0, 12)}…) than the inclusion proof (size ${proof.treeSize})`,
    );
  }
}

async function checkWithRoot(f: BundleFacts, e: Entry, root: TrustedRoot, now: Date): Promise<string> {
  const w = `tlog entry ${e.index + 1} (log index ${e.logIndex})`;
  const at = e.integratedTime !== undefined ? new Date(Number(e.integratedTime) * 1000) : undefined;
  const candidates = root.tlogs.filter((t) => bytesEqual(t.logId, e.logId));
  if (candidates.length === 0) mismatch(`${w} was logged by a transparency log that is not in the trusted root (log id ${toHex(e.logId).slice(0, 16)}…)`);
  const valid = at ? candidates.filter((t) => t.validFrom <= at && (!t.validUntil || at <= t.validUntil)) : candidates;
  if (valid.length === 0) mismatch(`${w}: its time ${at?.toISOString()} is outside the trusted root's validity for that log`);
  const t = valid[0] as TransparencyLog;
  if (at && at.getTime() > now.getTime() + 60_000) mismatch(`${w}: its integrated time ${at.toISOString()} is in the future`);
  if (at && f.leafCert) {
    const c = parseCertificate(f.leafCert);
    if (at < c.notBefore || at > c.notAfter)
      mismatch(
        `${w}: its integrated time ${at.toISOString()} is outside the signing certificate's validity (${c.notBefore.toISOString()} – ${c.notAfter.toISOString()})`,
      );
  }
  const checked: string[] = [];
  if (e.set) {
    if (e.integratedTime === undefined) mismatch(`${w} has a SET but no integrated time`);
    const payload = canonicalBytes({ body: e.bodyB64, integratedTime: Number(e.integratedTime), logID: toHex(e.logId), logIndex: Number(e.logIndex) });
    if (!(await logSigValid(t, payload, e.set)))
      mismatch(`${w}: the SET (signed entry timestamp) does not verify with the key of ${t.baseUrl}: it was made for another entry`);
    checked.push('SET');
  } else if (f.bundle.json.mediaType === BUNDLE_V01_MEDIA_TYPE) {
    mismatch(`${w}: a v0.1 bundle must carry the SET (inclusion promise)`);
  }
  if (e.proof) {
    const p = e.proof;
    const r = await rootFromProof(e.body, p.logIndex, p.treeSize, p.hashes);
    if (!r || !bytesEqual(r, p.rootHash)) mismatch(`${w}: the inclusion proof does not lead to its root hash`);
    if (p.checkpoint !== undefined) {
      await checkCheckpoint(p.checkpoint, t, p, w);
      checked.push('inclusion proof');
    } else if (e.set) {
      checked.push('inclusion proof (no checkpoint: its root hash is not signed; the SET binds the entry)');
    } else mismatch(`${w}: the inclusion proof has no checkpoint signed by the log, and there is no SET`);
  } else if (f.bundle.json.mediaType !== BUNDLE_V01_MEDIA_TYPE) {
    mismatch(`${w}: a ${f.bundle.json.mediaType} bundle must carry an inclusion proof`);
  }
  if (checked.length === 0) mismatch(`${w} has neither a SET nor an inclusion proof`);
  return `${checked.join(' and ')} under ${t.baseUrl}`;
}

/**
 * Check every tlog entry of a bundle whose signature already verified with `spki`. Returns what was
 * checked, or throws a reason (as a string in `{ok:false}`) when an entry does not hold.
 */
export async function checkTlogEntries(
  f: BundleFacts,
  opts: { trustedRoot?: TrustedRoot; now?: Date } = {},
): Promise<{ ok: true; check: TlogCheck } | { ok: false; reason: string }> {
  const raw = f.bundle.json.verificationMaterial.tlogEntries ?? [];
  try {
    if (raw.length === 0) {
      if (opts.trustedRoot) mismatch('the bundle has no transparency-log entry, but a trusted root was given: nothing to verify it against');
      return { ok: true, check: { summary: 'no transparency-log entry', logVerified: false } };
    }
    const entries = raw.map(parseEntry);
    const verified: string[] = [];
    for (const e of entries) {
      await checkBody(f, e);
      if (opts.trustedRoot) verified.push(await checkWithRoot(f, e, opts.trustedRoot, opts.now ?? new Date()));
    }
    const n = entries.length === 1 ? 'the transparency-log entry matches' : `all ${entries.length} transparency-log entries match`;
    return opts.trustedRoot
      ? { ok: true, check: { summary: `${n} the bundle; ${[...new Set(verified)].join('; ')} verified`, logVerified: true } }
      : {
          ok: true,
          check: { summary: `${n} the bundle (signature, key, digest); the log's signatures were NOT checked (no trusted root given)`, logVerified: false },
        };
  } catch (e) {
    if (e instanceof Mismatch) return { ok: false, reason: e.reason };
    if (e instanceof KeyceremonyError) return { ok: false, reason: e.message };
    throw e;
  }
}

/**
 * Portable signing requests for offline threshold signing.
 *
 * A request carries the exact metadata to sign (`signed`, whose canonical JSON is what gets signed,
 * with its SHA-256), the rules that decide when it is complete (for a root rotation: a threshold of the
 * OLD root's keys AND of the NEW root's keys, spec 5.3.4/5.3.5), the signatures collected so far and,
 * for the diff, the trusted previous version. Custodians add signatures on their own machines; requests
 * over the same bytes merge; a signature over other bytes is refused.
 */
import { metadataFileName } from '../../../shared/tuf/names';
import type { Signer } from '../signer';
import { KeyceremonyError } from '../../../shared/errors';
import { canonicalBytes } from '../../../shared/json/canonical';
import { parseStrictJson } from '../../../shared/json/strict';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { toHex } from '../../../shared/encoding/bytes';
import { keyFingerprint, sameSpki, verifyTufSignature, type TufKeyJSON } from '../../../shared/tuf/keys';
import { Root, signedFromJSON, type TufSignature } from '../../../shared/tuf/models';
import { checkThreshold } from '../../../shared/tuf/threshold';
import { envelopeBytes, signerKey } from './sign';
import { sortedJson } from './serialize';
import { ruleLine, type SignerStatus } from '../status-line';

export { ruleLine, signerLabel, type SignerStatus } from '../status-line';

export const REQUEST_FORMAT = 'keyceremony/tuf-signing-request';

export interface SigningRule {
  /** Shown in the status: "old-root", "new-root", "targets", "bin-0a"... */
  name: string;
  keyids: string[];
  keys: Record<string, TufKeyJSON>;
  threshold: number;
}

export interface SigningRequest {
  format: typeof REQUEST_FORMAT;
  formatVersion: 1;
  role: string;
  version: number;
  /** File name of the finished metadata, e.g. "3.root.json". */
  fileName: string;
  signed: Record<string, unknown>;
  /** SHA-256 (hex) of canonical JSON of `signed`: the bytes every signature covers. */
  signedSha256: string;
  rules: SigningRule[];
  signatures: TufSignature[];
  /** The trusted previous `signed` of the same role, for the diff. */
  previous?: Record<string, unknown>;
  note?: string;
  /**
   * Who holds which key, by key id ("alice"), as the release manager wrote it when making the request.
   * Shown next to the key fingerprint in the status; not covered by any signature, so a custodian
   * checks the fingerprint, never the name alone.
   */
  names?: Record<string, string>;
}

export async function createRequest(opts: {
  signed: Record<string, unknown>;
  role: string;
  rules: SigningRule[];
  fileName?: string;
  previous?: Record<string, unknown>;
  note?: string;
}): Promise<SigningRequest> {
  const model = signedFromJSON(opts.signed);
  for (const r of opts.rules) {
    if (!Number.isInteger(r.threshold) || r.threshold < 1) {
      throw new KeyceremonyError('INVALID_INPUT', `rule ${r.name}: threshold must be at least 1`, { where: r.name });
    }
    if (r.keyids.length < r.threshold) {
      throw new KeyceremonyError('INVALID_INPUT', `rule ${r.name}: ${r.keyids.length} keys cannot meet threshold ${r.threshold}`, {
        where: r.name,
      });
    }
  }
  const req: SigningRequest = {
    format: REQUEST_FORMAT,
    formatVersion: 1,
    role: opts.role,
    version: model.version,
    fileName: opts.fileName ?? (opts.role === 'timestamp' ? 'timestamp.json' : metadataFileName(opts.role, model.version)),
    signed: opts.signed,
    signedSha256: await sha256Hex(canonicalBytes(opts.signed, '$.signed')),
    rules: opts.rules,
    signatures: [],
  };
  if (opts.previous) req.previous = opts.previous;
  if (opts.note) req.note = opts.note;
  return req;
}

/** Rules for a root: version 1 needs its own threshold; N+1 needs old AND new thresholds. */
export function rootRules(next: Root, previous?: Root): SigningRule[] {
  const rules: SigningRule[] = [];
  if (previous) {
    rules.push({
      name: 'old-root',
      keyids: previous.roles.root.keyids,
      keys: pick(previous.keys, previous.roles.root.keyids),
      threshold: previous.roles.root.threshold,
    });
  }
  rules.push({
    name: previous ? 'new-root' : 'root',
    keyids: next.roles.root.keyids,
    keys: pick(next.keys, next.roles.root.keyids),
    threshold: next.roles.root.threshold,
  });
  return rules;
}

export function pick(keys: Record<string, TufKeyJSON>, ids: readonly string[]): Record<string, TufKeyJSON> {
  const out: Record<string, TufKeyJSON> = {};
  for (const id of ids) if (keys[id]) out[id] = keys[id];
  return out;
}

function allKeys(req: SigningRequest): Record<string, TufKeyJSON> {
  const out: Record<string, TufKeyJSON> = {};
  for (const r of req.rules) Object.assign(out, r.keys);
  return out;
}

async function bytesOf(req: SigningRequest): Promise<Uint8Array> {
  const b = canonicalBytes(req.signed, '$.signed');
  const h = await sha256Hex(b);
  if (h !== req.signedSha256) {
    throw new KeyceremonyError(
      'HASH_MISMATCH',
      `the request's metadata hashes to ${h.slice(0, 16)}…, but the request says ${req.signedSha256.slice(0, 16)}…: it was altered`,
      { where: '$.signedSha256' },
    );
  }
  return b;
}

/**
 * Add one signature (keyid + hex sig). Refused unless a rule lists the keyid and the signature
 * verifies over exactly these bytes.
 */
export async function addSignature(req: SigningRequest, sig: TufSignature): Promise<SigningRequest> {
  const data = await bytesOf(req);
  const key = allKeys(req)[sig.keyid];
  if (!key) {
    throw new KeyceremonyError('KEY_NOT_FOUND', `key ${sig.keyid.slice(0, 16)}… may not sign ${req.role} v${req.version}: no rule of this request lists it`, {
      where: sig.keyid,
    });
  }
  if (!(await verifyTufSignature(key, data, sig.sig))) {
    throw new KeyceremonyError(
      'SIGNATURE_MISMATCH',
      `the signature by key ${sig.keyid.slice(0, 16)}… does not verify over ${req.role} v${req.version} ` +
        `(sha256 ${req.signedSha256.slice(0, 16)}…): it was made over other bytes. Nothing was added.`,
      { where: sig.keyid },
    );
  }
  const existing = req.signatures.find((s) => s.keyid === sig.keyid);
  if (existing) return req;
  return { ...req, signatures: [...req.signatures, { keyid: sig.keyid, sig: sig.sig }] };
}

/** Sign with a Signer; adds a signature for every keyid (old or new root) naming the signer's key. */
export async function signRequest(req: SigningRequest, signer: Signer): Promise<SigningRequest> {
  const data = await bytesOf(req);
  const { key } = await signerKey(signer);
  const ids = Object.entries(allKeys(req))
    .filter(([, k]) => sameSpki(k, key))
    .map(([id]) => id);
  if (ids.length === 0) {
    throw new KeyceremonyError(
      'KEY_NOT_FOUND',
      `${signer.description} (fingerprint ${signer.fingerprint.slice(0, 16)}…) is not one of the keys allowed to sign ${req.role} v${req.version}`,
      { where: signer.description },
    );
  }
  const sig = toHex(await signer.sign(data));
  let out = req;
  for (const id of ids) out = await addSignature(out, { keyid: id, sig });
  return out;
}

/** Merge two requests over the same bytes; signatures are unioned (each re-verified). */
export async function mergeRequests(a: SigningRequest, b: SigningRequest): Promise<SigningRequest> {
  if (a.signedSha256 !== b.signedSha256) {
    throw new KeyceremonyError(
      'CONFLICT',
      `these requests are for different metadata (${a.role} v${a.version} sha256 ${a.signedSha256.slice(0, 16)}… vs ` +
        `${b.role} v${b.version} sha256 ${b.signedSha256.slice(0, 16)}…); only requests over the same bytes merge`,
    );
  }
  await bytesOf(b);
  let out = a;
  for (const s of b.signatures) out = await addSignature(out, s);
  if (b.names) {
    const names = { ...(b.names ?? {}), ...(out.names ?? {}) };
    if (Object.keys(names).length) out = { ...out, names };
  }
  return out;
}

export interface RuleStatus {
  name: string;
  threshold: number;
  valid: number;
  ok: boolean;
  signedBy: string[];
  missing: string[];
  signers: SignerStatus[];
  /** "root v3: 1 of 2 old-root keys — alice signed; bob or carol still needed" */
  line: string;
}

export interface RequestStatus {
  complete: boolean;
  /** "root v3: signed by 1 of 2 required old-root keys, 2 of 2 required new-root keys" */
  summary: string;
  rules: RuleStatus[];
}

export async function requestStatus(req: SigningRequest): Promise<RequestStatus> {
  const data = await bytesOf(req);
  const rules: RuleStatus[] = [];
  for (const r of req.rules) {
    const th = await checkThreshold(data, req.signatures, r.keyids, r.keys, r.threshold);
    const missing: string[] = [];
    const signers: SignerStatus[] = [];
    const signedFps = new Set<string>();
    for (const id of th.validKeyids) signedFps.add(await keyFingerprint(r.keys[id]!));
    for (const id of r.keyids) {
      const key = r.keys[id];
      const fingerprint = key ? await keyFingerprint(key) : '';
      const name = req.names?.[id];
      const signed = th.validKeyids.includes(id) || (fingerprint !== '' && signedFps.has(fingerprint));
      // one physical key listed under two ids is one signer
      if (signers.some((s) => s.fingerprint === fingerprint && fingerprint !== '')) continue;
      signers.push({ keyid: id, fingerprint, ...(name ? { name } : {}), signed });
      if (!th.validKeyids.includes(id)) missing.push(`${name ? `${name} ` : ''}${id.slice(0, 8)} (${fingerprint.slice(0, 16)})`);
    }
    const head = `${req.role} v${req.version}`;
    const rule = { name: r.name, threshold: r.threshold, valid: th.valid, ok: th.ok, signedBy: th.validKeyids, missing, signers };
    rules.push({ ...rule, line: ruleLine(head, rule) });
  }
  const parts = rules.map((r) => `${r.valid} of ${r.threshold} required ${r.name} keys`);
  const complete = rules.every((r) => r.ok);
  return {
    complete,
    summary: `${req.role} v${req.version}: signed by ${parts.join(', ')}${complete ? ' — complete' : ''}`,
    rules,
  };
}

/** The finished metadata file bytes; refused until every rule's threshold is met. */
export async function finalizeRequest(req: SigningRequest): Promise<Uint8Array> {
  const st = await requestStatus(req);
  if (!st.complete) throw new KeyceremonyError('THRESHOLD_NOT_MET', `not enough signatures yet: ${st.summary}`);
  return envelopeBytes(req.signed, req.signatures);
}

export function serializeRequest(req: SigningRequest): string {
  return sortedJson(req, 2);
}

export function parseRequest(text: string, source = 'signing request'): SigningRequest {
  const v = parseStrictJson(text, { source }) as Partial<SigningRequest>;
  function bad(where: string, msg: string): never {
    throw new KeyceremonyError('INVALID_INPUT', `${source}: ${msg}`, { where });
  }
  if (typeof v !== 'object' || v === null || v.format !== REQUEST_FORMAT) bad('$.format', `not a keyceremony TUF signing request`);
  if (v.formatVersion !== 1) bad('$.formatVersion', 'unsupported request format version');
  if (typeof v.role !== 'string' || typeof v.fileName !== 'string' || typeof v.signedSha256 !== 'string') bad('$', 'role, fileName, signedSha256 required');
  if (/[/\\]|^\.\.?$/.test(v.fileName)) bad('$.fileName', 'file name must not contain a path');
  if (typeof v.signed !== 'object' || v.signed === null) bad('$.signed', 'missing metadata');
  const model = signedFromJSON(v.signed);
  if (model.version !== v.version) bad('$.version', 'version does not match the metadata');
  if (!Array.isArray(v.rules) || v.rules.length === 0) bad('$.rules', 'no signing rules');
  v.rules.forEach((r, i) => {
    if (typeof r?.name !== 'string' || !Array.isArray(r.keyids) || typeof r.keys !== 'object' || !Number.isInteger(r.threshold) || r.threshold < 1) {
      bad(`$.rules[${i}]`, 'rule needs name, keyids, keys and a threshold >= 1');
    }
  });
  if (!Array.isArray(v.signatures)) bad('$.signatures', 'signatures must be an array');
  if (v.names !== undefined) {
    if (typeof v.names !== 'object' || v.names === null || Array.isArray(v.names)) bad('$.names', 'names must be an object of key id -> name');
    for (const [id, n] of Object.entries(v.names)) {
      if (typeof n !== 'string' || n.length > 100 || /[\u0000-\u001f\u007f]/.test(n)) bad(`$.names.${id.slice(0, 16)}`, 'a name is a short printable string');
    }
  }
  v.signatures.forEach((s, i) => {
    if (typeof s?.keyid !== 'string' || typeof s.sig !== 'string') bad(`$.signatures[${i}]`, 'signature needs keyid and sig');
  });
  return v as SigningRequest;
}

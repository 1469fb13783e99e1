/**
 * Notary v1 / Docker Content Trust metadata: the TUF dialect notary 0.x writes and notary-server
 * accepts (docs/notary.md). Differences from TUF 1.0:
 * - `_type` is capitalised (`Root`, `Targets`, `Snapshot`, `Timestamp`); no `spec_version`;
 * - hashes are base64 (sha256 and sha512) with `length`; snapshot `meta` keys are role names
 *   without `.json` (`root`, `targets`, `targets/releases`); timestamp has `meta.snapshot`;
 * - signatures are `{keyid, method, sig}` with `sig` base64 (`ecdsa` = raw r||s);
 * - keys are `{keytype, keyval: {private: null, public: base64}}`; root keys are `ecdsa-x509`
 *   (base64 of a PEM self-signed certificate whose CN is the GUN).
 *
 * The models are plain JSON objects (what was parsed, unknown fields kept as they are) with type
 * guards that name the JSON path of the first fault. Serialise with `serializeSignedFile`.
 */
import { KeyceremonyError } from '../errors';
import { childPath, parseStrictJsonBytes } from '../json/strict';
import { canonicalBytes } from '../json/canonical';

export const NOTARY_TOP_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type NotaryTopRole = (typeof NOTARY_TOP_ROLES)[number];
export type NotaryRoleName = NotaryTopRole | `targets/${string}`;

export const NOTARY_KEY_TYPES = ['ecdsa', 'ecdsa-x509', 'ed25519', 'rsa', 'rsa-x509'] as const;
export type NotaryKeyType = (typeof NOTARY_KEY_TYPES)[number];
export type NotarySigMethod = 'ecdsa' | 'eddsa' | 'rsapss';

export interface NotaryKey {
  keytype: NotaryKeyType;
  keyval: { private: null; public: string };
  [extra: string]: unknown;
}

export interface NotarySignature {
  keyid: string;
  method: string;
  sig: string;
}

export interface NotaryFileMeta {
  hashes: Record<string, string>;
  length: number;
  [extra: string]: unknown;
}

export interface NotaryRoleKeys {
  keyids: string[];
  threshold: number;
  [extra: string]: unknown;
}

export interface NotaryDelegationRole extends NotaryRoleKeys {
  name: string;
  paths?: string[];
  path_hash_prefixes?: string[];
}

export interface NotaryRoot {
  _type: 'Root';
  consistent_snapshot: boolean;
  expires: string;
  keys: Record<string, NotaryKey>;
  roles: Record<NotaryTopRole, NotaryRoleKeys> & Record<string, NotaryRoleKeys>;
  version: number;
  [extra: string]: unknown;
}

export interface NotaryTargets {
  _type: 'Targets';
  delegations: { keys: Record<string, NotaryKey>; roles: NotaryDelegationRole[] };
  expires: string;
  targets: Record<string, NotaryFileMeta>;
  version: number;
  [extra: string]: unknown;
}

export interface NotarySnapshot {
  _type: 'Snapshot';
  expires: string;
  meta: Record<string, NotaryFileMeta>;
  version: number;
  [extra: string]: unknown;
}

export interface NotaryTimestamp {
  _type: 'Timestamp';
  expires: string;
  meta: Record<string, NotaryFileMeta> & { snapshot: NotaryFileMeta };
  version: number;
  [extra: string]: unknown;
}

export type NotarySignedBody = NotaryRoot | NotaryTargets | NotarySnapshot | NotaryTimestamp;

export interface NotarySignedFile<T extends NotarySignedBody = NotarySignedBody> {
  signed: T;
  signatures: NotarySignature[];
}

/** A parsed file plus the bytes it came from and the canonical bytes of `signed` (what was signed). */
export interface ParsedNotaryFile<T extends NotarySignedBody = NotarySignedBody> extends NotarySignedFile<T> {
  bytes: Uint8Array;
  signedBytes: Uint8Array;
}

const TYPE_OF_ROLE: Record<NotaryTopRole, NotarySignedBody['_type']> = {
  root: 'Root',
  targets: 'Targets',
  snapshot: 'Snapshot',
  timestamp: 'Timestamp',
};

/** The `_type` a file for this role must carry (delegated roles are `Targets`). */
export function typeForRole(role: string): NotarySignedBody['_type'] {
  return (TYPE_OF_ROLE as Record<string, NotarySignedBody['_type']>)[role] ?? 'Targets';
}

// ---------------------------------------------------------------- guards

function bad(where: string, msg: string, source?: string): never {
  throw new KeyceremonyError('INVALID_METADATA', `${source ? source + ': ' : ''}${msg} at ${where}`, {
    where: source ? `${source} ${where}` : where,
  });
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, p: string, s?: string): Record<string, unknown> {
  if (!isObj(v)) bad(p, 'expected an object', s);
  return v;
}

function str(v: unknown, p: string, s?: string): string {
  if (typeof v !== 'string') bad(p, 'expected a string', s);
  return v;
}

function int(v: unknown, p: string, s: string | undefined, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(p, 'expected an integer', s);
  if (v < min) bad(p, `must be at least ${min} (got ${v})`, s);
  return v;
}

function strArray(v: unknown, p: string, s?: string): string[] {
  if (!Array.isArray(v)) bad(p, 'expected an array', s);
  v.forEach((x, i) => str(x, childPath(p, i), s));
  return v as string[];
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** RFC 3339 date-time as Notary writes it (fractions and offsets allowed). Returns ms since epoch. */
export function parseNotaryTime(s: string, p = '$', source?: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) bad(p, `not an RFC 3339 time: ${JSON.stringify(s)}`, source);
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  if (Number.isNaN(t)) bad(p, `not a valid time: ${JSON.stringify(s)}`, source);
  if (frac) t += Math.floor(Number(`0${frac}`) * 1000);
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    t -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return t;
}

/** Whole-second UTC time, as Go re-marshals it unchanged (`2036-11-22T02:06:41Z`). */
export function formatNotaryTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function checkKey(v: unknown, p: string, s?: string): NotaryKey {
  const o = obj(v, p, s);
  const kt = str(o.keytype, childPath(p, 'keytype'), s);
  if (!(NOTARY_KEY_TYPES as readonly string[]).includes(kt)) bad(childPath(p, 'keytype'), `unknown key type ${JSON.stringify(kt)}`, s);
  const kv = obj(o.keyval, childPath(p, 'keyval'), s);
  const pub = str(kv.public, childPath(childPath(p, 'keyval'), 'public'), s);
  if (!B64.test(pub) || pub.length === 0) bad(childPath(childPath(p, 'keyval'), 'public'), 'expected base64', s);
  if (kv.private !== null && kv.private !== undefined) bad(childPath(childPath(p, 'keyval'), 'private'), 'a private key must never appear in metadata', s);
  return o as NotaryKey;
}

function checkKeys(v: unknown, p: string, s?: string): Record<string, NotaryKey> {
  const o = obj(v, p, s);
  for (const [id, k] of Object.entries(o)) {
    if (!HEX64.test(id)) bad(childPath(p, id), 'key id must be 64 lower-case hex digits', s);
    checkKey(k, childPath(p, id), s);
  }
  return o as Record<string, NotaryKey>;
}

function checkRoleKeys(v: unknown, p: string, s?: string): NotaryRoleKeys {
  const o = obj(v, p, s);
  strArray(o.keyids, childPath(p, 'keyids'), s);
  int(o.threshold, childPath(p, 'threshold'), s, 1);
  return o as NotaryRoleKeys;
}

function checkFileMeta(v: unknown, p: string, s?: string): NotaryFileMeta {
  const o = obj(v, p, s);
  int(o.length, childPath(p, 'length'), s, 0);
  const h = obj(o.hashes, childPath(p, 'hashes'), s);
  if (Object.keys(h).length === 0) bad(childPath(p, 'hashes'), 'no hashes', s);
  for (const [alg, val] of Object.entries(h)) {
    const hv = str(val, childPath(childPath(p, 'hashes'), alg), s);
    if (!B64.test(hv)) bad(childPath(childPath(p, 'hashes'), alg), 'hash must be base64 (Notary)', s);
  }
  return o as NotaryFileMeta;
}

function checkCommon(o: Record<string, unknown>, p: string, s?: string): void {
  parseNotaryTime(str(o.expires, childPath(p, 'expires'), s), childPath(p, 'expires'), s);
  int(o.version, childPath(p, 'version'), s, 1);
}

export function checkRoot(v: unknown, p = '$.signed', s?: string): NotaryRoot {
  const o = obj(v, p, s);
  if (o._type !== 'Root') bad(childPath(p, '_type'), `expected "Root", got ${JSON.stringify(o._type)}`, s);
  checkCommon(o, p, s);
  if (typeof o.consistent_snapshot !== 'boolean') bad(childPath(p, 'consistent_snapshot'), 'expected a boolean', s);
  checkKeys(o.keys, childPath(p, 'keys'), s);
  const roles = obj(o.roles, childPath(p, 'roles'), s);
  for (const r of NOTARY_TOP_ROLES) {
    if (!(r in roles)) bad(childPath(childPath(p, 'roles'), r), `role ${r} is missing`, s);
  }
  for (const [r, rk] of Object.entries(roles)) {
    if (!(NOTARY_TOP_ROLES as readonly string[]).includes(r)) bad(childPath(childPath(p, 'roles'), r), `unknown role ${JSON.stringify(r)}`, s);
    checkRoleKeys(rk, childPath(childPath(p, 'roles'), r), s);
  }
  return o as NotaryRoot;
}

export function checkTargets(v: unknown, p = '$.signed', s?: string): NotaryTargets {
  const o = obj(v, p, s);
  if (o._type !== 'Targets') bad(childPath(p, '_type'), `expected "Targets", got ${JSON.stringify(o._type)}`, s);
  checkCommon(o, p, s);
  const t = obj(o.targets, childPath(p, 'targets'), s);
  for (const [name, m] of Object.entries(t)) checkFileMeta(m, childPath(childPath(p, 'targets'), name), s);
  if (o.delegations !== undefined) {
    const dp = childPath(p, 'delegations');
    const d = obj(o.delegations, dp, s);
    checkKeys(d.keys, childPath(dp, 'keys'), s);
    if (!Array.isArray(d.roles)) bad(childPath(dp, 'roles'), 'expected an array', s);
    d.roles.forEach((r: unknown, i: number) => {
      const rp = childPath(childPath(dp, 'roles'), i);
      const ro = obj(r, rp, s);
      const name = str(ro.name, childPath(rp, 'name'), s);
      if (!name.startsWith('targets/') || name.length <= 'targets/'.length) bad(childPath(rp, 'name'), `delegated role names start with "targets/" (got ${JSON.stringify(name)})`, s);
      checkRoleKeys(ro, rp, s);
      if (ro.paths !== undefined) strArray(ro.paths, childPath(rp, 'paths'), s);
      if (ro.path_hash_prefixes !== undefined) strArray(ro.path_hash_prefixes, childPath(rp, 'path_hash_prefixes'), s);
    });
  }
  return o as NotaryTargets;
}

export function checkSnapshot(v: unknown, p = '$.signed', s?: string): NotarySnapshot {
  const o = obj(v, p, s);
  if (o._type !== 'Snapshot') bad(childPath(p, '_type'), `expected "Snapshot", got ${JSON.stringify(o._type)}`, s);
  checkCommon(o, p, s);
  const m = obj(o.meta, childPath(p, 'meta'), s);
  for (const [name, fm] of Object.entries(m)) checkFileMeta(fm, childPath(childPath(p, 'meta'), name), s);
  return o as NotarySnapshot;
}

export function checkTimestamp(v: unknown, p = '$.signed', s?: string): NotaryTimestamp {
  const o = obj(v, p, s);
  if (o._type !== 'Timestamp') bad(childPath(p, '_type'), `expected "Timestamp", got ${JSON.stringify(o._type)}`, s);
  checkCommon(o, p, s);
  const m = obj(o.meta, childPath(p, 'meta'), s);
  if (!('snapshot' in m)) bad(childPath(childPath(p, 'meta'), 'snapshot'), 'timestamp must describe the snapshot', s);
  for (const [name, fm] of Object.entries(m)) checkFileMeta(fm, childPath(childPath(p, 'meta'), name), s);
  return o as NotaryTimestamp;
}

function checkSignatures(v: unknown, p: string, s?: string): NotarySignature[] {
  if (!Array.isArray(v)) bad(p, 'expected an array', s);
  v.forEach((x: unknown, i: number) => {
    const sp = childPath(p, i);
    const o = obj(x, sp, s);
    str(o.keyid, childPath(sp, 'keyid'), s);
    str(o.method, childPath(sp, 'method'), s);
    const sig = str(o.sig, childPath(sp, 'sig'), s);
    if (!B64.test(sig)) bad(childPath(sp, 'sig'), 'signature must be base64 (Notary)', s);
  });
  return v as NotarySignature[];
}

/** The checker for a `_type`. */
export function checkBody(v: unknown, p = '$.signed', s?: string): NotarySignedBody {
  const t = isObj(v) ? v._type : undefined;
  switch (t) {
    case 'Root':
      return checkRoot(v, p, s);
    case 'Targets':
      return checkTargets(v, p, s);
    case 'Snapshot':
      return checkSnapshot(v, p, s);
    case 'Timestamp':
      return checkTimestamp(v, p, s);
    default:
      return bad(childPath(p, '_type'), `not Notary metadata (_type ${JSON.stringify(t)}; Notary uses "Root", "Targets", "Snapshot", "Timestamp")`, s);
  }
}

/** Default size limit for one metadata file (notary-server refuses more than a few MB anyway). */
export const NOTARY_MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Parse one Notary metadata file strictly (duplicate keys, bad types, oversize: each refused with
 * the JSON path). `expectType` pins the `_type`.
 */
export function parseNotaryFile<T extends NotarySignedBody = NotarySignedBody>(
  bytes: Uint8Array,
  opts: { source?: string; expectType?: T['_type']; maxBytes?: number } = {},
): ParsedNotaryFile<T> {
  const src = opts.source;
  const doc = parseStrictJsonBytes(bytes, { source: src, maxBytes: opts.maxBytes ?? NOTARY_MAX_FILE_BYTES, integersOnly: true });
  const o = obj(doc, '$', src);
  for (const k of Object.keys(o)) {
    if (k !== 'signed' && k !== 'signatures') bad(childPath('$', k), 'unexpected field (a signed file has only "signed" and "signatures")', src);
  }
  const body = checkBody(o.signed, '$.signed', src);
  if (opts.expectType && body._type !== opts.expectType) {
    bad('$.signed._type', `expected ${JSON.stringify(opts.expectType)}, got ${JSON.stringify(body._type)}`, src);
  }
  const signatures = checkSignatures(o.signatures ?? [], '$.signatures', src);
  return { signed: body as T, signatures, bytes, signedBytes: canonicalBytes(body, '$.signed') };
}

/** True when a parsed JSON value looks like Notary metadata (the dialect detector). */
export function isNotaryMetadata(json: unknown): boolean {
  if (!isObj(json) || !isObj(json.signed)) return false;
  const t = json.signed._type;
  if (t !== 'Root' && t !== 'Targets' && t !== 'Snapshot' && t !== 'Timestamp') return false;
  if ('spec_version' in json.signed) return false;
  // Capitalised _type without spec_version is Notary; signatures with `method` confirm it when present.
  const sigs = json.signatures;
  if (Array.isArray(sigs) && sigs.length > 0) {
    const s0 = sigs[0] as unknown;
    if (isObj(s0) && !('method' in s0)) return false;
  }
  return true;
}

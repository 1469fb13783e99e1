/**
 * TUF 1.0 metadata models (spec "Document formats", #document-formats): root, targets (with
 * delegations and TAP 15 succinct hash bins), snapshot, timestamp and the signed envelope.
 *
 * fromJSON() type-checks with the JSON path of every fault (INVALID_METADATA) and keeps fields it does
 * not know in `unrecognized`, so toJSON() round-trips them (spec: "implementations MUST ignore
 * unrecognized fields" yet they are covered by the signature). Target entries and key objects are
 * kept as the parsed objects (validated, not copied) so a 100,000-target file stays cheap.
 */
import { KeyceremonyError } from '../errors';
import { childPath, PARSED_IN_CANONICAL_ORDER } from '../json/strict';
import { checkKeyJSON, invalid, type TufKeyJSON } from './keys';

export type TopLevelRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const TOP_LEVEL_ROLES: readonly TopLevelRole[] = ['root', 'timestamp', 'snapshot', 'targets'];
export const SPEC_VERSION = '1.0.31';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, where: string): Obj {
  if (!isObj(v)) invalid(where, 'expected an object');
  return v;
}
function str(o: Obj, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string') invalid(childPath(where, k), v === undefined ? `missing "${k}"` : `"${k}" must be a string`);
  return v;
}
function int(o: Obj, k: string, where: string, min = 0): number {
  const v = o[k];
  const p = childPath(where, k);
  if (v === undefined) invalid(p, `missing "${k}"`);
  if (typeof v !== 'number' || !Number.isInteger(v)) invalid(p, `"${k}" must be an integer`);
  if (!Number.isSafeInteger(v)) invalid(p, `"${k}" is too large`);
  if (v < min) invalid(p, `"${k}" must be at least ${min}`);
  return v;
}
function strArray(o: Obj, k: string, where: string, unique = false): string[] {
  const v = o[k];
  const p = childPath(where, k);
  if (!Array.isArray(v)) invalid(p, `"${k}" must be an array`);
  const seen = new Set<string>();
  v.forEach((x, i) => {
    if (typeof x !== 'string') invalid(childPath(p, i), 'must be a string');
    if (unique && seen.has(x)) invalid(childPath(p, i), `duplicate entry "${x}"`);
    seen.add(x);
  });
  return v as string[];
}
function rest(o: Obj, known: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of Object.keys(o)) if (!known.includes(k)) out[k] = o[k];
  return out;
}
/** Non-integer numbers anywhere in a signed part are refused (canonical JSON has no floats). */
function noFloats(v: unknown, where: string): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) invalid(where, 'numbers in signed metadata must be integers');
  } else if (Array.isArray(v)) v.forEach((x, i) => noFloats(x, childPath(where, i)));
  else if (isObj(v)) for (const k of Object.keys(v)) noFloats(v[k], childPath(where, k));
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parse a TUF date-time (spec #file-formats-date-time: "YYYY-MM-DDTHH:MM:SSZ"). Real roots also carry
 * fractional seconds and offsets (Sigstore v1-v3): read leniently, emit strictly.
 */
export function parseTufTime(s: string, where: string): number {
  const m = TIME.exec(s);
  if (!m) invalid(where, `"${s}" is not a date-time like 2030-01-01T00:00:00Z`);
  const [, y, mo, d, h, mi, se, frac, tz] = m as unknown as string[];
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!);
  const dt = new Date(ms);
  if (dt.getUTCDate() !== +d! || dt.getUTCMonth() !== +mo! - 1) invalid(where, `"${s}" is not a valid date`);
  if (frac) ms += Math.floor(Number('0' + frac) * 1000);
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    ms -= sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60000;
  }
  return ms;
}

/** Format an instant as TUF date-time (whole seconds, UTC). */
export function formatTufTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------
// Common signed part

abstract class SignedBase {
  abstract readonly type: string;
  specVersion = SPEC_VERSION;
  version = 1;
  expires = '';
  unrecognized: Obj = {};

  protected readBase(o: Obj, where: string, type: string): void {
    const t = str(o, '_type', where);
    if (t !== type) invalid(childPath(where, '_type'), `expected _type "${type}", got "${t}"`);
    this.specVersion = str(o, 'spec_version', where);
    if (!/^1\.\d+(\.\d+)?$/.test(this.specVersion)) {
      invalid(childPath(where, 'spec_version'), `unsupported spec_version "${this.specVersion}"`);
    }
    this.version = int(o, 'version', where, 1);
    this.expires = str(o, 'expires', where);
    parseTufTime(this.expires, childPath(where, 'expires'));
  }
  protected baseJSON(): Obj {
    return { _type: this.type, spec_version: this.specVersion, version: this.version, expires: this.expires };
  }
  expiresAt(): number {
    return parseTufTime(this.expires, '$.signed.expires');
  }
  isExpired(now: number): boolean {
    return now >= this.expiresAt();
  }
  abstract toJSON(): Obj;
}

export interface RoleKeys {
  keyids: string[];
  threshold: number;
  unrecognized: Obj;
}

function readRoleKeys(o: Obj, where: string): RoleKeys {
  return {
    keyids: strArray(o, 'keyids', where, true),
    threshold: int(o, 'threshold', where, 1),
    unrecognized: rest(o, ['keyids', 'threshold']),
  };
}

function readKeys(v: unknown, where: string): Record<string, TufKeyJSON> {
  const o = obj(v, where);
  const out: Record<string, TufKeyJSON> = {};
  for (const id of Object.keys(o)) out[id] = checkKeyJSON(o[id], childPath(where, id));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Root (spec #file-formats-root)

export class Root extends SignedBase {
  readonly type = 'root';
  consistentSnapshot: boolean | undefined = true;
  keys: Record<string, TufKeyJSON> = {};
  roles: Record<TopLevelRole, RoleKeys> = {
    root: { keyids: [], threshold: 1, unrecognized: {} },
    targets: { keyids: [], threshold: 1, unrecognized: {} },
    snapshot: { keyids: [], threshold: 1, unrecognized: {} },
    timestamp: { keyids: [], threshold: 1, unrecognized: {} },
  };

  static fromJSON(v: unknown, where = '$.signed'): Root {
    const o = obj(v, where);
    noFloats(o, where);
    const r = new Root();
    r.readBase(o, where, 'root');
    const cs = o.consistent_snapshot;
    if (cs !== undefined && typeof cs !== 'boolean') invalid(childPath(where, 'consistent_snapshot'), 'must be a boolean');
    r.consistentSnapshot = cs;
    r.keys = readKeys(o.keys, childPath(where, 'keys'));
    const rw = childPath(where, 'roles');
    const roles = obj(o.roles, rw);
    for (const name of Object.keys(roles)) {
      if (!(TOP_LEVEL_ROLES as readonly string[]).includes(name)) invalid(childPath(rw, name), `unknown role "${name}" in root`);
    }
    for (const name of TOP_LEVEL_ROLES) {
      if (roles[name] === undefined) invalid(childPath(rw, name), `root does not define the ${name} role`);
      r.roles[name] = readRoleKeys(obj(roles[name], childPath(rw, name)), childPath(rw, name));
    }
    r.unrecognized = rest(o, ['_type', 'spec_version', 'version', 'expires', 'consistent_snapshot', 'keys', 'roles']);
    return r;
  }

  toJSON(): Obj {
    const roles: Obj = {};
    for (const n of ['root', 'snapshot', 'targets', 'timestamp'] as const) {
      const rk = this.roles[n];
      roles[n] = { keyids: rk.keyids, threshold: rk.threshold, ...rk.unrecognized };
    }
    return {
      ...this.baseJSON(),
      ...(this.consistentSnapshot === undefined ? {} : { consistent_snapshot: this.consistentSnapshot }),
      keys: this.keys,
      roles,
      ...this.unrecognized,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// MetaFile / Snapshot / Timestamp (spec #file-formats-snapshot, #file-formats-timestamp)

export interface MetaFile {
  version: number;
  length?: number;
  hashes?: Record<string, string>;
  unrecognized: Obj;
}

function readHashes(v: unknown, where: string): Record<string, string> {
  const o = obj(v, where);
  const keys = Object.keys(o);
  if (keys.length === 0) invalid(where, 'hashes must not be empty');
  for (const k of keys) {
    const h = o[k];
    if (typeof h !== 'string' || !/^[0-9a-fA-F]+$/.test(h)) invalid(childPath(where, k), 'hash must be a hex string');
  }
  return o as Record<string, string>;
}

function readMetaFile(v: unknown, where: string): MetaFile {
  const o = obj(v, where);
  const m: MetaFile = { version: int(o, 'version', where, 1), unrecognized: rest(o, ['version', 'length', 'hashes']) };
  if (o.length !== undefined) m.length = int(o, 'length', where, 0);
  if (o.hashes !== undefined) m.hashes = readHashes(o.hashes, childPath(where, 'hashes'));
  return m;
}
function metaFileJSON(m: MetaFile): Obj {
  return {
    version: m.version,
    ...(m.length === undefined ? {} : { length: m.length }),
    ...(m.hashes === undefined ? {} : { hashes: m.hashes }),
    ...m.unrecognized,
  };
}

export class Snapshot extends SignedBase {
  readonly type = 'snapshot';
  meta: Record<string, MetaFile> = {};

  static fromJSON(v: unknown, where = '$.signed'): Snapshot {
    const o = obj(v, where);
    noFloats(o, where);
    const s = new Snapshot();
    s.readBase(o, where, 'snapshot');
    const mw = childPath(where, 'meta');
    const meta = obj(o.meta, mw);
    for (const k of Object.keys(meta)) s.meta[k] = readMetaFile(meta[k], childPath(mw, k));
    s.unrecognized = rest(o, ['_type', 'spec_version', 'version', 'expires', 'meta']);
    return s;
  }
  toJSON(): Obj {
    const meta: Obj = {};
    for (const k of Object.keys(this.meta)) meta[k] = metaFileJSON(this.meta[k]!);
    return { ...this.baseJSON(), meta, ...this.unrecognized };
  }
}

export class Timestamp extends SignedBase {
  readonly type = 'timestamp';
  snapshotMeta: MetaFile = { version: 1, unrecognized: {} };

  static fromJSON(v: unknown, where = '$.signed'): Timestamp {
    const o = obj(v, where);
    noFloats(o, where);
    const t = new Timestamp();
    t.readBase(o, where, 'timestamp');
    const mw = childPath(where, 'meta');
    const meta = obj(o.meta, mw);
    const keys = Object.keys(meta);
    if (keys.length !== 1 || keys[0] !== 'snapshot.json') invalid(mw, 'timestamp meta must list exactly "snapshot.json"');
    t.snapshotMeta = readMetaFile(meta['snapshot.json'], childPath(mw, 'snapshot.json'));
    t.unrecognized = rest(o, ['_type', 'spec_version', 'version', 'expires', 'meta']);
    return t;
  }
  toJSON(): Obj {
    return { ...this.baseJSON(), meta: { 'snapshot.json': metaFileJSON(this.snapshotMeta) }, ...this.unrecognized };
  }
}

// ---------------------------------------------------------------------------------------------
// Targets and delegations (spec #file-formats-targets, TAP 15 succinct hash bins)

export interface TargetFile {
  length: number;
  hashes: Record<string, string>;
  custom?: unknown;
  [k: string]: unknown;
}

export interface DelegatedRole {
  name: string;
  keyids: string[];
  threshold: number;
  terminating: boolean;
  paths?: string[];
  pathHashPrefixes?: string[];
  unrecognized: Obj;
}

export interface SuccinctRoles {
  keyids: string[];
  threshold: number;
  bitLength: number;
  namePrefix: string;
  unrecognized: Obj;
}

export interface Delegations {
  keys: Record<string, TufKeyJSON>;
  roles?: DelegatedRole[];
  succinctRoles?: SuccinctRoles;
  unrecognized: Obj;
}

function readDelegatedRole(v: unknown, where: string): DelegatedRole {
  const o = obj(v, where);
  const name = str(o, 'name', where);
  if (name.length === 0) invalid(childPath(where, 'name'), 'role name must not be empty');
  const terminating = o.terminating;
  if (typeof terminating !== 'boolean') invalid(childPath(where, 'terminating'), '"terminating" must be a boolean');
  const r: DelegatedRole = {
    name,
    ...readRoleKeys({ keyids: o.keyids, threshold: o.threshold }, where),
    terminating,
    unrecognized: rest(o, ['name', 'keyids', 'threshold', 'terminating', 'paths', 'path_hash_prefixes']),
  };
  if (o.paths !== undefined && o.path_hash_prefixes !== undefined) {
    invalid(where, 'a delegated role has "paths" or "path_hash_prefixes", not both');
  }
  if (o.paths !== undefined) r.paths = strArray(o, 'paths', where);
  if (o.path_hash_prefixes !== undefined) {
    r.pathHashPrefixes = strArray(o, 'path_hash_prefixes', where);
    r.pathHashPrefixes.forEach((p, i) => {
      if (!/^[0-9a-fA-F]*$/.test(p)) invalid(childPath(childPath(where, 'path_hash_prefixes'), i), 'must be hex');
    });
  }
  return r;
}

function readDelegations(v: unknown, where: string): Delegations {
  const o = obj(v, where);
  const d: Delegations = {
    keys: readKeys(o.keys, childPath(where, 'keys')),
    unrecognized: rest(o, ['keys', 'roles', 'succinct_roles']),
  };
  if (o.roles !== undefined && o.succinct_roles !== undefined) invalid(where, 'delegations have "roles" or "succinct_roles", not both');
  if (o.roles !== undefined) {
    const rw = childPath(where, 'roles');
    if (!Array.isArray(o.roles)) invalid(rw, '"roles" must be an array');
    const seen = new Set<string>();
    d.roles = o.roles.map((x, i) => {
      const r = readDelegatedRole(x, childPath(rw, i));
      if (seen.has(r.name)) invalid(childPath(childPath(rw, i), 'name'), `role "${r.name}" delegated twice`);
      if ((TOP_LEVEL_ROLES as readonly string[]).includes(r.name)) {
        invalid(childPath(childPath(rw, i), 'name'), `a delegated role may not be called "${r.name}"`);
      }
      seen.add(r.name);
      return r;
    });
  } else if (o.succinct_roles !== undefined) {
    const sw = childPath(where, 'succinct_roles');
    const s = obj(o.succinct_roles, sw);
    const bitLength = int(s, 'bit_length', sw, 1);
    if (bitLength > 32) invalid(childPath(sw, 'bit_length'), 'bit_length must be 1..32');
    d.succinctRoles = {
      ...readRoleKeys({ keyids: s.keyids, threshold: s.threshold }, sw),
      bitLength,
      namePrefix: str(s, 'name_prefix', sw),
      unrecognized: rest(s, ['keyids', 'threshold', 'bit_length', 'name_prefix']),
    };
  } else {
    invalid(where, 'delegations need "roles" or "succinct_roles"');
  }
  return d;
}

function delegationsJSON(d: Delegations): Obj {
  const out: Obj = { keys: d.keys };
  if (d.roles) {
    out.roles = d.roles.map((r) => ({
      name: r.name,
      keyids: r.keyids,
      threshold: r.threshold,
      terminating: r.terminating,
      ...(r.paths ? { paths: r.paths } : {}),
      ...(r.pathHashPrefixes ? { path_hash_prefixes: r.pathHashPrefixes } : {}),
      ...r.unrecognized,
    }));
  }
  if (d.succinctRoles) {
    const s = d.succinctRoles;
    out.succinct_roles = {
      keyids: s.keyids,
      threshold: s.threshold,
      bit_length: s.bitLength,
      name_prefix: s.namePrefix,
      ...s.unrecognized,
    };
  }
  return { ...out, ...d.unrecognized };
}

const HEX = /^[0-9a-fA-F]+$/;

/**
 * Allocation-free check of one target entry (the common case); false sends it to the slow path.
 * `numbersKnownSafe`: the parser already proved every number in the document a safe integer.
 */
function targetLooksValid(v: unknown, numbersKnownSafe: boolean): boolean {
  if (!isObj(v)) return false;
  const len = v.length;
  if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0) return false;
  const h = v.hashes;
  if (!isObj(h)) return false;
  let n = 0;
  for (const a in h) {
    const x = h[a];
    if (typeof x !== 'string' || !HEX.test(x)) return false;
    n++;
  }
  if (n === 0) return false;
  if (numbersKnownSafe) return true;
  for (const k in v) {
    if (k !== 'length' && k !== 'hashes' && hasNonInteger(v[k])) return false;
  }
  return true;
}

function hasNonInteger(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isSafeInteger(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(hasNonInteger);
  for (const k in v as Obj) if (hasNonInteger((v as Obj)[k])) return true;
  return false;
}

export function checkTargetFile(v: unknown, where: string): TargetFile {
  if (!isObj(v)) invalid(where, 'target must be an object');
  const len = v.length;
  if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0) invalid(childPath(where, 'length'), '"length" must be a non-negative integer');
  readHashes(v.hashes, childPath(where, 'hashes'));
  return v as TargetFile;
}

export class Targets extends SignedBase {
  readonly type = 'targets';
  targets: Record<string, TargetFile> = {};
  /** How many targets fromJSON read (the verifier's count, without listing 100,000 keys again). */
  parsedTargetCount: number | undefined;
  delegations: Delegations | undefined;

  static fromJSON(v: unknown, where = '$.signed'): Targets {
    const o = obj(v, where);
    const t = new Targets();
    t.readBase(o, where, 'targets');
    const tw = childPath(where, 'targets');
    const targets = obj(o.targets, tw);
    // fast path: validate without building JSON paths; on a fault, redo the entry with paths. A value
    // straight from the strict parser in canonical order holds safe integers only (no float search).
    const safe = PARSED_IN_CANONICAL_ORDER.has(o);
    const names = Object.keys(targets);
    for (let i = 0; i < names.length; i++) {
      const k = names[i]!;
      if (!targetLooksValid(targets[k], safe)) {
        const p = childPath(tw, k);
        noFloats(checkTargetFile(targets[k], p), p);
      }
    }
    t.targets = targets as Record<string, TargetFile>;
    t.parsedTargetCount = names.length;
    if (o.delegations !== undefined) {
      noFloats(o.delegations, childPath(where, 'delegations'));
      t.delegations = readDelegations(o.delegations, childPath(where, 'delegations'));
    }
    t.unrecognized = rest(o, ['_type', 'spec_version', 'version', 'expires', 'targets', 'delegations']);
    noFloats(t.unrecognized, where);
    return t;
  }

  toJSON(): Obj {
    return {
      ...this.baseJSON(),
      targets: this.targets,
      ...(this.delegations ? { delegations: delegationsJSON(this.delegations) } : {}),
      ...this.unrecognized,
    };
  }
}

export type AnySigned = Root | Targets | Snapshot | Timestamp;

export function signedFromJSON(v: unknown, where = '$.signed'): AnySigned {
  const o = obj(v, where);
  switch (o._type) {
    case 'root':
      return Root.fromJSON(o, where);
    case 'targets':
      return Targets.fromJSON(o, where);
    case 'snapshot':
      return Snapshot.fromJSON(o, where);
    case 'timestamp':
      return Timestamp.fromJSON(o, where);
    default:
      if (typeof o._type === 'string' && /^(Root|Targets|Snapshot|Timestamp)$/.test(o._type)) {
        throw new KeyceremonyError('UNSUPPORTED_FORMAT', `_type "${o._type}" is the Notary v1 dialect, not TUF 1.0`, {
          where: childPath(where, '_type'),
        });
      }
      return invalid(childPath(where, '_type'), `unknown metadata type ${JSON.stringify(o._type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope (spec #metaformat)

export interface TufSignature {
  keyid: string;
  sig: string;
  [k: string]: unknown;
}

export interface Envelope {
  /** The `signed` object exactly as parsed: what the signatures cover (canonicalised). */
  signedRaw: Obj;
  signatures: TufSignature[];
  unrecognized: Obj;
}

export function readEnvelope(v: unknown, where = '$'): Envelope {
  const o = obj(v, where);
  const signedRaw = obj(o.signed, childPath(where, 'signed'));
  const sw = childPath(where, 'signatures');
  if (!Array.isArray(o.signatures)) invalid(sw, '"signatures" must be an array');
  const signatures = o.signatures.map((s, i) => {
    const p = childPath(sw, i);
    const so = obj(s, p);
    str(so, 'keyid', p);
    str(so, 'sig', p);
    return so as TufSignature;
  });
  return { signedRaw, signatures, unrecognized: rest(o, ['signed', 'signatures']) };
}

export function envelopeJSON(signed: Obj, signatures: readonly TufSignature[], unrecognized: Obj = {}): Obj {
  return { signatures, signed, ...unrecognized };
}

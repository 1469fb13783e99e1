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
import { formatRfc3339Seconds, readRfc3339 } from '../encoding/rfc3339';
import { childPath, PARSED_IN_CANONICAL_ORDER } from '../json/strict';
import {
  arr,
  asGiven,
  assertValid,
  bool,
  custom,
  fault,
  int,
  isPlainObject,
  literal,
  obj,
  opt,
  record,
  refine,
  str,
  type Fault,
  type Infer,
  type Schema,
} from '../schema';
import { invalid, tufKeySchema, type TufKeyJSON } from './keys';

export type TopLevelRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const TOP_LEVEL_ROLES: readonly TopLevelRole[] = ['root', 'timestamp', 'snapshot', 'targets'];
export const SPEC_VERSION = '1.0.31';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// The shapes, in the one vocabulary (shared/schema.ts): every fault is collected with its JSON path
// and reported as one INVALID_METADATA naming the first. The schemas only check: each model is then
// built from the checked input as before, so members we do not know go to `unrecognized` and target
// entries and key objects stay the parsed objects.

const keep = { unknown: 'keep' } as const;
const MANY = Number.POSITIVE_INFINITY;
const text = str({ max: MANY });
const NAME = str({ max: MANY, what: 'a name' });

const METADATA = { code: 'INVALID_METADATA' } as const;

function rest(o: Obj, known: readonly string[]): Obj {
  const out: Obj = {};
  for (const k of Object.keys(o)) if (!known.includes(k)) out[k] = o[k];
  return out;
}

/** Non-integer numbers anywhere in a signed part are refused (canonical JSON has no floats). */
function floats(v: unknown, where: string, faults: Fault[]): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) faults.push({ path: where, message: 'numbers in signed metadata must be integers' });
  } else if (Array.isArray(v)) v.forEach((x, i) => floats(x, childPath(where, i), faults));
  else if (isObj(v)) for (const k of Object.keys(v)) floats(v[k], childPath(where, k), faults);
}
/** `s`, and no float anywhere in the value. */
function integral<T>(s: Schema<T>): Schema<T> {
  return custom(
    s.describe,
    (x, where, faults) => {
      floats(x, where, faults);
      return s.check(x, where, faults);
    },
    (ctx) => s.jsonSchema(ctx),
  );
}

/** A TUF date-time as milliseconds, or what is wrong with it. */
function readTufTime(s: string): { ms: number } | { fault: string } {
  const r = readRfc3339(s);
  if (r === 'syntax') return { fault: `"${s}" is not a date-time like 2030-01-01T00:00:00Z` };
  if (r === 'date') return { fault: `"${s}" is not a valid date` };
  return { ms: r };
}

/**
 * Parse a TUF date-time (spec #file-formats-date-time: "YYYY-MM-DDTHH:MM:SSZ"). Real roots also carry
 * fractional seconds and offsets (Sigstore v1-v3): read leniently, emit strictly.
 */
export function parseTufTime(s: string, where: string): number {
  const r = readTufTime(s);
  if ('fault' in r) invalid(where, r.fault);
  return r.ms;
}

const tufTime = custom<string>(
  'a date-time like 2030-01-01T00:00:00Z',
  (x, where, faults) => {
    if (typeof x !== 'string') return fault(faults, where, 'expected a date-time string', x);
    const r = readTufTime(x);
    if ('fault' in r) fault(faults, where, r.fault, x);
    return x;
  },
  () => ({ type: 'string', format: 'date-time' }),
);

/** A list of strings where each appears once (key ids). */
const uniqueStrings = refine(arr(text, { max: MANY }), (v, where, faults) => {
  const seen = new Set<string>();
  v.forEach((x, i) => {
    if (seen.has(x)) faults.push({ path: childPath(where, i), message: `duplicate entry "${x}"` });
    seen.add(x);
  });
});

/** A map with any member names (key ids, file names): `value` checks each member. */
const byName = <T>(value: Schema<T>): Schema<Record<string, T>> => record(value, { max: MANY, key: NAME });

const roleKeysShape = { keyids: uniqueStrings, threshold: int({ min: 1 }) };
const roleKeysSchema = obj(roleKeysShape, keep);
const keysSchema = byName(asGiven(tufKeySchema));
const hashesSchema = asGiven(
  refine(byName(str({ max: MANY, pattern: /^[0-9a-fA-F]+$/, what: 'a hex string' })), (h, where, faults) => {
    if (Object.keys(h).length === 0) faults.push({ path: where, message: 'hashes must not be empty' });
  }),
);
const metaFileSchema = obj({ version: int({ min: 1 }), length: opt(int({ min: 0 })), hashes: opt(hashesSchema) }, keep);

const baseShape = (type: string) => ({
  _type: literal(type),
  spec_version: str({ max: 64, pattern: /^1\.\d+(\.\d+)?$/, what: 'a TUF 1.x spec_version such as "1.0.31"' }),
  version: int({ min: 1 }),
  expires: tufTime,
});

type RoleKeysJSON = Infer<typeof roleKeysSchema>;
const rootRoles = custom<Record<TopLevelRole, RoleKeysJSON>>(
  'the four top-level roles',
  (x, where, faults) => {
    if (!isPlainObject(x)) return fault(faults, where, 'expected an object', x);
    const out: Partial<Record<TopLevelRole, RoleKeysJSON>> = {};
    for (const name of Object.keys(x)) {
      if (!(TOP_LEVEL_ROLES as readonly string[]).includes(name)) fault(faults, childPath(where, name), `unknown role "${name}" in root`, x);
    }
    for (const name of TOP_LEVEL_ROLES) {
      if (x[name] === undefined) fault(faults, childPath(where, name), `root does not define the ${name} role`, x);
      else out[name] = roleKeysSchema.check(x[name], childPath(where, name), faults);
    }
    return out as Record<TopLevelRole, RoleKeysJSON>;
  },
  (ctx) => ({
    type: 'object',
    additionalProperties: false,
    required: [...TOP_LEVEL_ROLES],
    properties: Object.fromEntries(TOP_LEVEL_ROLES.map((r) => [r, roleKeysSchema.jsonSchema(ctx)])),
  }),
);

const rootSchema = integral(obj({ ...baseShape('root'), consistent_snapshot: opt(bool), keys: keysSchema, roles: rootRoles }, keep));
const snapshotSchema = integral(obj({ ...baseShape('snapshot'), meta: byName(metaFileSchema) }, keep));
const timestampSchema = integral(
  obj(
    {
      ...baseShape('timestamp'),
      meta: refine(byName(metaFileSchema), (m, where, faults) => {
        const names = Object.keys(m);
        if (names.length !== 1 || names[0] !== 'snapshot.json') faults.push({ path: where, message: 'timestamp meta must list exactly "snapshot.json"' });
      }),
    },
    keep,
  ),
);

/** Format an instant as TUF date-time (whole seconds, UTC). */
export const formatTufTime = formatRfc3339Seconds;

// ---------------------------------------------------------------------------------------------
// Common signed part

const BASE_MEMBERS = ['_type', 'spec_version', 'version', 'expires'] as const;

abstract class SignedBase {
  abstract readonly type: string;
  specVersion = SPEC_VERSION;
  version = 1;
  expires = '';
  unrecognized: Obj = {};

  protected readBase(o: { spec_version: string; version: number; expires: string }): void {
    this.specVersion = o.spec_version;
    this.version = o.version;
    this.expires = o.expires;
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

function roleKeys(o: RoleKeysJSON): RoleKeys {
  return { keyids: o.keyids, threshold: o.threshold, unrecognized: rest(o, ['keyids', 'threshold']) };
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
    const o = assertValid(rootSchema, v, METADATA, where);
    const r = new Root();
    r.readBase(o);
    r.consistentSnapshot = o.consistent_snapshot;
    r.keys = { ...o.keys };
    for (const name of TOP_LEVEL_ROLES) r.roles[name] = roleKeys(o.roles[name]);
    r.unrecognized = rest(o, [...BASE_MEMBERS, 'consistent_snapshot', 'keys', 'roles']);
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

function metaFile(o: Infer<typeof metaFileSchema>): MetaFile {
  const m: MetaFile = { version: o.version, unrecognized: rest(o, ['version', 'length', 'hashes']) };
  if (o.length !== undefined) m.length = o.length;
  if (o.hashes !== undefined) m.hashes = o.hashes;
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
    const o = assertValid(snapshotSchema, v, METADATA, where);
    const s = new Snapshot();
    s.readBase(o);
    for (const k of Object.keys(o.meta)) s.meta[k] = metaFile(o.meta[k]!);
    s.unrecognized = rest(o, [...BASE_MEMBERS, 'meta']);
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
    const o = assertValid(timestampSchema, v, METADATA, where);
    const t = new Timestamp();
    t.readBase(o);
    t.snapshotMeta = metaFile(o.meta['snapshot.json']!);
    t.unrecognized = rest(o, [...BASE_MEMBERS, 'meta']);
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

const delegatedRoleSchema = refine(
  obj(
    {
      name: str({ min: 1, max: MANY }),
      ...roleKeysShape,
      terminating: bool,
      paths: opt(arr(text, { max: MANY })),
      path_hash_prefixes: opt(arr(str({ max: MANY, pattern: /^[0-9a-fA-F]*$/, what: 'hex' }), { max: MANY })),
    },
    keep,
  ),
  (r, where, faults) => {
    if (r.paths !== undefined && r.path_hash_prefixes !== undefined)
      faults.push({ path: where, message: 'a delegated role has "paths" or "path_hash_prefixes", not both' });
  },
);

const delegatedRolesSchema = refine(arr(delegatedRoleSchema, { max: MANY }), (roles, where, faults) => {
  const seen = new Set<string>();
  roles.forEach((r, i) => {
    const p = childPath(childPath(where, i), 'name');
    if (seen.has(r.name)) faults.push({ path: p, message: `role "${r.name}" delegated twice` });
    if ((TOP_LEVEL_ROLES as readonly string[]).includes(r.name)) faults.push({ path: p, message: `a delegated role may not be called "${r.name}"` });
    seen.add(r.name);
  });
});

const succinctRolesSchema = obj({ ...roleKeysShape, bit_length: int({ min: 1, max: 32 }), name_prefix: text }, keep);

const delegationsSchema = integral(
  refine(obj({ keys: keysSchema, roles: opt(delegatedRolesSchema), succinct_roles: opt(succinctRolesSchema) }, keep), (d, where, faults) => {
    if (d.roles !== undefined && d.succinct_roles !== undefined)
      faults.push({ path: where, message: 'delegations have "roles" or "succinct_roles", not both' });
    if (d.roles === undefined && d.succinct_roles === undefined) faults.push({ path: where, message: 'delegations need "roles" or "succinct_roles"' });
  }),
);

function delegations(o: Infer<typeof delegationsSchema>): Delegations {
  const d: Delegations = { keys: { ...o.keys }, unrecognized: rest(o, ['keys', 'roles', 'succinct_roles']) };
  if (o.roles) {
    d.roles = o.roles.map((r) => {
      const role: DelegatedRole = {
        name: r.name,
        keyids: r.keyids,
        threshold: r.threshold,
        terminating: r.terminating,
        unrecognized: rest(r, ['name', 'keyids', 'threshold', 'terminating', 'paths', 'path_hash_prefixes']),
      };
      if (r.paths !== undefined) role.paths = r.paths;
      if (r.path_hash_prefixes !== undefined) role.pathHashPrefixes = r.path_hash_prefixes;
      return role;
    });
  } else if (o.succinct_roles) {
    const s = o.succinct_roles;
    d.succinctRoles = {
      keyids: s.keyids,
      threshold: s.threshold,
      bitLength: s.bit_length,
      namePrefix: s.name_prefix,
      unrecognized: rest(s, ['keyids', 'threshold', 'bit_length', 'name_prefix']),
    };
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

/** 1 for the code units 0-9, a-f, A-F; 0 for every other UTF-16 code unit. */
const HEX_UNIT = new Uint8Array(0x10000);
for (const c of '0123456789abcdefABCDEF') HEX_UNIT[c.charCodeAt(0)] = 1;

/**
 * Non-empty and hex only: the schema's /^[0-9a-fA-F]+$/ as a table lookup per character, with no
 * branch per character (100,000 sha256 values are 6.4 million characters; the regex costs 3x this).
 */
function isHexString(s: string): boolean {
  const n = s.length;
  let ok = n === 0 ? 0 : 1;
  for (let i = 0; i < n; i++) ok &= HEX_UNIT[s.charCodeAt(i)]!;
  return ok === 1;
}

/**
 * Allocation-free check of one target entry (the common case); false sends it to the schema, which
 * names the fault. `numbersKnownSafe`: the parser already proved every number in the map a safe integer.
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
    if (typeof x !== 'string' || !isHexString(x)) return false;
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

const targetFileSchema = integral(obj({ length: int({ min: 0 }), hashes: hashesSchema }, keep));

/**
 * The `targets` map, kept as parsed (not copied: 100,000 entries stay cheap). Entries are checked by
 * an allocation-free fast path; only one that fails it goes through the schema (which names the fault).
 * `seen.count` receives the number of targets.
 */
function targetsMap(seen: { count: number }): Schema<Record<string, TargetFile>> {
  return custom(
    'a map of target files',
    (x, where, faults) => {
      if (!isPlainObject(x)) return fault(faults, where, 'expected an object', x);
      // a map straight from the strict parser in canonical order holds safe integers only (no float search)
      const safe = PARSED_IN_CANONICAL_ORDER.has(x);
      const names = Object.keys(x);
      for (let i = 0; i < names.length; i++) {
        const k = names[i]!;
        if (!targetLooksValid(x[k], safe)) targetFileSchema.check(x[k], childPath(where, k), faults);
      }
      seen.count = names.length;
      return x as Record<string, TargetFile>;
    },
    (ctx) => ({ type: 'object', additionalProperties: targetFileSchema.jsonSchema(ctx) }),
  );
}

const TARGETS_MEMBERS = [...BASE_MEMBERS, 'targets', 'delegations'];

function targetsSchema(seen: { count: number }) {
  return refine(obj({ ...baseShape('targets'), targets: targetsMap(seen), delegations: opt(delegationsSchema) }, keep), (t, where, faults) =>
    floats(rest(t, TARGETS_MEMBERS), where, faults),
  );
}

export class Targets extends SignedBase {
  readonly type = 'targets';
  targets: Record<string, TargetFile> = {};
  /** How many targets fromJSON read (the verifier's count, without listing 100,000 keys again). */
  parsedTargetCount: number | undefined;
  delegations: Delegations | undefined;

  static fromJSON(v: unknown, where = '$.signed'): Targets {
    const seen = { count: 0 };
    const o = assertValid(targetsSchema(seen), v, METADATA, where);
    const t = new Targets();
    t.readBase(o);
    t.targets = o.targets;
    t.parsedTargetCount = seen.count;
    if (o.delegations !== undefined) t.delegations = delegations(o.delegations);
    t.unrecognized = rest(o, TARGETS_MEMBERS);
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

/** Any JSON object, kept as given. */
const anObject = custom<Obj>(
  'an object',
  (x, where, faults) => (isPlainObject(x) ? x : fault(faults, where, 'expected an object', x)),
  () => ({ type: 'object' }),
);

export function signedFromJSON(v: unknown, where = '$.signed'): AnySigned {
  const o = assertValid(anObject, v, METADATA, where);
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

const envelopeSchema = obj({ signed: anObject, signatures: arr(asGiven(obj({ keyid: text, sig: text }, keep)), { max: MANY }) }, keep);

export function readEnvelope(v: unknown, where = '$'): Envelope {
  const o = assertValid(envelopeSchema, v, METADATA, where);
  return { signedRaw: o.signed, signatures: o.signatures, unrecognized: rest(o, ['signed', 'signatures']) };
}

export function envelopeJSON(signed: Obj, signatures: readonly TufSignature[], unrecognized: Obj = {}): Obj {
  return { signatures, signed, ...unrecognized };
}

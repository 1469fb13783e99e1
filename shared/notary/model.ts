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
 * The models are plain JSON objects (what was parsed, unknown fields kept as they are), checked by
 * schemas (shared/schema.ts) that collect every fault with its JSON path. Serialise with
 * `serializeSignedFile`.
 */
import { childPath, parseStrictJsonBytes } from '../json/strict';
import { formatRfc3339Seconds, readRfc3339 } from '../encoding/rfc3339';
import { canonicalBytes } from '../json/canonical';
import {
  arr,
  asGiven,
  assertValid,
  bool,
  custom,
  fault,
  faultsError,
  int,
  isPlainObject,
  literal,
  obj,
  oneOf,
  opt,
  record,
  refine,
  str,
  type Reporting,
} from '../schema';

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

// ---------------------------------------------------------------- shapes
// In the one vocabulary (shared/schema.ts): every fault collected, each named with its JSON path
// (INVALID_METADATA "<source>: <what> (at $.signed.x)"); the checked documents are returned as given
// (plain JSON, unknown members kept, so what is written back is what was read).

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const keep = { unknown: 'keep' } as const;
const MANY = Number.POSITIVE_INFINITY;
const text = str({ max: MANY });
const NAME = str({ max: MANY, what: 'a name' });

const report = (source?: string): Reporting => ({ code: 'INVALID_METADATA', ...(source ? { source } : {}) });

function bad(where: string, msg: string, source?: string): never {
  throw faultsError([{ path: where, message: msg }], report(source));
}

function readNotaryTime(s: string): number | undefined {
  const t = readRfc3339(s);
  return typeof t === 'number' ? t : undefined;
}

/** RFC 3339 date-time as Notary writes it (fractions and offsets allowed). Returns ms since epoch. */
export function parseNotaryTime(s: string, p = '$', source?: string): number {
  const t = readNotaryTime(s);
  if (t === undefined) bad(p, `not an RFC 3339 time: ${JSON.stringify(s)}`, source);
  return t;
}

/** Whole-second UTC time, as Go re-marshals it unchanged (`2036-11-22T02:06:41Z`). */
export const formatNotaryTime = formatRfc3339Seconds;

const notaryTime = custom<string>(
  'an RFC 3339 time',
  (x, where, faults) => {
    if (typeof x !== 'string') return fault(faults, where, 'expected a string', x);
    if (readNotaryTime(x) === undefined) fault(faults, where, `not an RFC 3339 time: ${JSON.stringify(x)}`, x);
    return x;
  },
  () => ({ type: 'string', format: 'date-time' }),
);

const noPrivateKey = custom<null>(
  'null',
  (x, where, faults) => (x === null ? null : fault(faults, where, 'a private key must never appear in metadata', x)),
  () => ({ type: 'null' }),
);

const keySchema = obj(
  {
    keytype: oneOf(NOTARY_KEY_TYPES),
    keyval: obj({ public: str({ min: 1, max: MANY, pattern: B64, what: 'base64' }), private: opt(noPrivateKey) }, keep),
  },
  keep,
);
const keysSchema = record(keySchema, { max: MANY, key: str({ max: 64, pattern: HEX64, what: '64 lower-case hex digits (a key id)' }) });
const roleKeysShape = { keyids: arr(text, { max: MANY }), threshold: int({ min: 1 }) };
const roleKeysSchema = obj(roleKeysShape, keep);
const fileMetaSchema = obj(
  {
    length: int({ min: 0 }),
    hashes: refine(
      record(str({ max: MANY, pattern: B64, what: 'base64 (Notary hashes are base64, not hex)' }), { max: MANY, key: NAME }),
      (h, where, faults) => {
        if (Object.keys(h).length === 0) faults.push({ path: where, message: 'no hashes' });
      },
    ),
  },
  keep,
);
const fileMetasSchema = record(fileMetaSchema, { max: MANY, key: NAME });
const common = { expires: notaryTime, version: int({ min: 1 }) };

const rootRoles = custom<Record<string, unknown>>(
  'the four top-level roles',
  (x, where, faults) => {
    if (!isPlainObject(x)) return fault(faults, where, 'expected an object', x);
    for (const r of NOTARY_TOP_ROLES) if (!(r in x)) fault(faults, childPath(where, r), `role ${r} is missing`, x);
    for (const [r, rk] of Object.entries(x)) {
      if (!(NOTARY_TOP_ROLES as readonly string[]).includes(r)) fault(faults, childPath(where, r), `unknown role ${JSON.stringify(r)}`, x);
      else roleKeysSchema.check(rk, childPath(where, r), faults);
    }
    return x;
  },
  (ctx) => ({
    type: 'object',
    additionalProperties: false,
    required: [...NOTARY_TOP_ROLES],
    properties: Object.fromEntries(NOTARY_TOP_ROLES.map((r) => [r, roleKeysSchema.jsonSchema(ctx)])),
  }),
);

const delegationRoleSchema = obj(
  {
    name: str({ max: MANY, pattern: /^targets\/[^]+$/, what: 'a role name starting with "targets/"' }),
    ...roleKeysShape,
    paths: opt(arr(text, { max: MANY })),
    path_hash_prefixes: opt(arr(text, { max: MANY })),
  },
  keep,
);

const BODY = {
  Root: obj({ _type: literal('Root'), ...common, consistent_snapshot: bool, keys: keysSchema, roles: rootRoles }, keep),
  Targets: obj(
    {
      _type: literal('Targets'),
      ...common,
      targets: fileMetasSchema,
      delegations: opt(obj({ keys: keysSchema, roles: arr(delegationRoleSchema, { max: MANY }) }, keep)),
    },
    keep,
  ),
  Snapshot: obj({ _type: literal('Snapshot'), ...common, meta: fileMetasSchema }, keep),
  Timestamp: obj(
    {
      _type: literal('Timestamp'),
      ...common,
      meta: refine(fileMetasSchema, (m, where, faults) => {
        if (!('snapshot' in m)) faults.push({ path: childPath(where, 'snapshot'), message: 'timestamp must describe the snapshot' });
      }),
    },
    keep,
  ),
};

/** A signed part of any `_type`, checked by the schema its `_type` names; returned as given. */
const bodySchema = custom<NotarySignedBody>(
  'Notary metadata',
  (x, where, faults) => {
    const t = isPlainObject(x) ? x._type : undefined;
    const s = typeof t === 'string' && Object.prototype.hasOwnProperty.call(BODY, t) ? BODY[t as keyof typeof BODY] : undefined;
    if (!s)
      return fault(
        faults,
        childPath(where, '_type'),
        `not Notary metadata (_type ${JSON.stringify(t)}; Notary uses "Root", "Targets", "Snapshot", "Timestamp")`,
        x,
      );
    s.check(x, where, faults);
    return x as NotarySignedBody;
  },
  (ctx) => ({ oneOf: Object.values(BODY).map((s) => s.jsonSchema(ctx)) }),
);

const signatureSchema = obj({ keyid: text, method: text, sig: str({ max: MANY, pattern: B64, what: 'base64 (Notary signatures are base64)' }) }, keep);
const fileSchema = obj({ signed: bodySchema, signatures: opt(arr(asGiven(signatureSchema), { max: MANY })) });

export function checkKey(v: unknown, p: string, s?: string): NotaryKey {
  assertValid(keySchema, v, report(s), p);
  return v as NotaryKey;
}

export function checkRoot(v: unknown, p = '$.signed', s?: string): NotaryRoot {
  assertValid(BODY.Root, v, report(s), p);
  return v as NotaryRoot;
}

export function checkTargets(v: unknown, p = '$.signed', s?: string): NotaryTargets {
  assertValid(BODY.Targets, v, report(s), p);
  return v as NotaryTargets;
}

export function checkSnapshot(v: unknown, p = '$.signed', s?: string): NotarySnapshot {
  assertValid(BODY.Snapshot, v, report(s), p);
  return v as NotarySnapshot;
}

export function checkTimestamp(v: unknown, p = '$.signed', s?: string): NotaryTimestamp {
  assertValid(BODY.Timestamp, v, report(s), p);
  return v as NotaryTimestamp;
}

/** The checker for a `_type`. */
export function checkBody(v: unknown, p = '$.signed', s?: string): NotarySignedBody {
  return assertValid(bodySchema, v, report(s), p);
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
  const file = assertValid(fileSchema, doc, report(src));
  const body = file.signed;
  if (opts.expectType && body._type !== opts.expectType) {
    bad('$.signed._type', `expected ${JSON.stringify(opts.expectType)}, got ${JSON.stringify(body._type)}`, src);
  }
  return { signed: body as T, signatures: file.signatures ?? [], bytes, signedBytes: canonicalBytes(body, '$.signed') };
}

/** True when a parsed JSON value looks like Notary metadata (the dialect detector). */
export function isNotaryMetadata(json: unknown): boolean {
  if (!isPlainObject(json) || !isPlainObject(json.signed)) return false;
  const t = json.signed._type;
  if (t !== 'Root' && t !== 'Targets' && t !== 'Snapshot' && t !== 'Timestamp') return false;
  if ('spec_version' in json.signed) return false;
  // Capitalised _type without spec_version is Notary; signatures with `method` confirm it when present.
  const sigs = json.signatures;
  if (Array.isArray(sigs) && sigs.length > 0) {
    const s0 = sigs[0] as unknown;
    if (isPlainObject(s0) && !('method' in s0)) return false;
  }
  return true;
}

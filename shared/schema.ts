/**
 * The one validation vocabulary (IPC payloads, ceremony scripts and their step params, cosign and
 * format models): small runtime schemas, no zod. A schema
 * - checks an `unknown` value and collects EVERY fault with its JSON path (sigstore-js `assertBundle`
 *   style), `check(x, where, faults)`; `parse(x)` throws one INVALID_INPUT naming the first fault,
 *   with all of them in `details`;
 * - gives the TypeScript type of what it accepts (`Infer<typeof s>`);
 * - emits its JSON Schema (draft 2020-12), `jsonSchema()`, so a published schema is generated from
 *   the same source the code checks with (docs/ceremony.schema.json).
 * Objects are strict by default (an unknown member is a fault); `obj(shape, { unknown: 'keep' })`
 * keeps unknown members for models that must round-trip them. Pure: no node, no electron.
 */
import { fromBase64 } from './encoding/bytes';
import { KeyceremonyError, type ErrorCode } from './errors';
import { childPath } from './json/strict';

/** One problem: where (a JSON path such as `$.steps[3].params.threshold`) and what. */
export interface Fault {
  path: string;
  message: string;
}

export type JsonSchema = { [k: string]: unknown };

/** Collects named definitions (`$defs`) while a schema document is generated. */
export interface JsonSchemaContext {
  defs: Map<string, JsonSchema>;
}

export interface Schema<T> {
  /** One-line description used in messages ("a list of lower-case hex"). */
  readonly describe: string;
  /** Check `x`, adding every fault under `where` to `faults`. The value is meaningful only if none was added. */
  check(x: unknown, where: string, faults: Fault[]): T;
  /** Check `x` (untrusted) or throw INVALID_INPUT naming the first fault (all faults in `details`). */
  parse(x: unknown, where?: string): T;
  /** This schema as JSON Schema; named parts go to `ctx.defs` and are referenced by `$ref`. */
  jsonSchema(ctx?: JsonSchemaContext): JsonSchema;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/**
 * How a document's faults are reported: `source` names it in `where` ("request" gives
 * "request: images[0]"), `lead` opens the sentence ("The signing request is malformed"), `code`
 * defaults to INVALID_INPUT. Without a `lead` (format models: TUF, Notary) the sentence is the fault
 * itself with its full JSON path, "<source>: <message> (at $.signed.version)", where
 * "<source> $.signed.version".
 */
export interface Reporting {
  source?: string;
  lead?: string;
  code?: ErrorCode;
}

const relative = (path: string): string => path.replace(/^\$\.?/, '');

/**
 * The error for a list of faults: the first named, all of them in `details`. With a plain `source`
 * string: "<source> is not valid: $.x: ...", where "<source> $.x"; with a Reporting that has a lead: "<lead>: x: ...",
 * where "<source>: x".
 */
export function faultsError(faults: readonly Fault[], report?: string | Reporting): KeyceremonyError {
  const first = faults[0] ?? { path: '$', message: 'invalid' };
  const more = faults.length > 1 ? ` (and ${faults.length - 1} more problem${faults.length > 2 ? 's' : ''})` : '';
  const details = faults.length > 1 ? { details: Object.fromEntries(faults.slice(0, 20).map((f, i) => [`fault${i + 1}`, `${f.path}: ${f.message}`])) } : {};
  if (report !== undefined && typeof report !== 'string' && report.lead === undefined) {
    const src = report.source ? `${report.source}: ` : '';
    return new KeyceremonyError(report.code ?? 'INVALID_INPUT', `${src}${first.message} (at ${first.path})${more}`, {
      where: report.source ? `${report.source} ${first.path}` : first.path,
      ...details,
    });
  }
  if (report !== undefined && typeof report !== 'string') {
    const rel = relative(first.path);
    const source = report.source ?? 'input';
    return new KeyceremonyError(report.code ?? 'INVALID_INPUT', `${report.lead}: ${rel ? `${rel}: ` : ''}${first.message}${more}.`, {
      where: rel ? `${source}: ${rel}` : source,
      ...details,
    });
  }
  return new KeyceremonyError('INVALID_INPUT', `${report ? `${report} is not valid: ` : 'Invalid value at '}${first.path}: ${first.message}${more}.`, {
    where: report ? `${report} ${first.path}` : first.path,
    ...details,
  });
}

/** Check with `s` and throw every fault as one error (`report` names the document, see faultsError). */
export function assertValid<T>(s: Schema<T>, x: unknown, report?: string | Reporting, where = '$'): T {
  const faults: Fault[] = [];
  const v = s.check(x, where, faults);
  if (faults.length) throw faultsError(faults, report);
  return v;
}

function make<T>(describe: string, check: (x: unknown, where: string, faults: Fault[]) => T, json: (ctx?: JsonSchemaContext) => JsonSchema): Schema<T> {
  const s: Schema<T> = { describe, check, jsonSchema: json, parse: (x: unknown, where = '$') => assertValid(s, x, undefined, where) };
  return s;
}

/** A schema of one's own: a check that adds faults, and its JSON Schema. */
export function custom<T>(
  describe: string,
  check: (x: unknown, where: string, faults: Fault[]) => T,
  json: (ctx?: JsonSchemaContext) => JsonSchema,
): Schema<T> {
  return make(describe, check, json);
}

/** Add a fault and return `x` unchanged (typed as the caller needs: the value is not used when faults exist). */
export function fault<T>(faults: Fault[], path: string, message: string, x: unknown): T {
  faults.push({ path, message });
  return x as T;
}

export const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
};

export function str(opts: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Schema<string> {
  const max = opts.max ?? 4096;
  const min = opts.min ?? 0;
  const what = opts.what ?? (opts.pattern ? `a string matching ${opts.pattern}` : 'a string');
  return make(
    opts.what ?? 'a string',
    (x, where, faults) => {
      if (typeof x !== 'string') return fault(faults, where, `expected ${opts.what ?? 'a string'}`, x);
      if (x.length < min) return fault(faults, where, min === 1 ? 'must not be empty' : `must be at least ${min} characters`, x);
      if (x.length > max) return fault(faults, where, `longer than ${max} characters`, x);
      if (opts.pattern && !opts.pattern.test(x)) return fault(faults, where, `expected ${what}`, x);
      return x;
    },
    () => ({
      type: 'string',
      ...(min > 0 ? { minLength: min } : {}),
      ...(Number.isFinite(max) ? { maxLength: max } : {}),
      ...(opts.pattern ? { pattern: opts.pattern.source } : {}),
    }),
  );
}

export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return make(
    `an integer in [${min}, ${max}]`,
    (x, where, faults) => {
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) return fault(faults, where, 'expected an integer', x);
      if (x < min || x > max) {
        const bounds = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : min === Number.MIN_SAFE_INTEGER ? `at most ${max}` : `between ${min} and ${max}`;
        return fault(faults, where, `must be ${bounds} (got ${x})`, x);
      }
      return x;
    },
    () => ({
      type: 'integer',
      ...(min !== Number.MIN_SAFE_INTEGER ? { minimum: min } : {}),
      ...(max !== Number.MAX_SAFE_INTEGER ? { maximum: max } : {}),
    }),
  );
}

export const bool: Schema<boolean> = make(
  'a boolean',
  (x, where, faults) => (typeof x === 'boolean' ? x : fault(faults, where, 'expected true or false', x)),
  () => ({ type: 'boolean' }),
);

export function literal<const T extends string | number | boolean>(value: T): Schema<T> {
  return make(
    JSON.stringify(value),
    (x, where, faults) => (x === value ? value : fault(faults, where, `expected ${JSON.stringify(value)}`, x)),
    () => ({ const: value }),
  );
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  return make(
    `one of ${values.join(', ')}`,
    (x, where, faults) => (typeof x === 'string' && values.includes(x) ? x : fault(faults, where, `expected one of ${values.join(', ')}`, x)),
    () => ({ enum: [...values] }),
  );
}

export function arr<T>(item: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 1000;
  const min = opts.min ?? 0;
  return make(
    `a list of ${item.describe}`,
    (x, where, faults) => {
      if (!Array.isArray(x)) return fault(faults, where, 'expected a list', x);
      if (x.length < min) fault(faults, where, min === 1 ? 'expected a non-empty list' : `expected at least ${min} items`, x);
      if (x.length > max) return fault(faults, where, `more than ${max} items`, x);
      return x.map((v, i) => item.check(v, `${where}[${i}]`, faults));
    },
    (ctx) => ({
      type: 'array',
      items: item.jsonSchema(ctx),
      ...(min > 0 ? { minItems: min } : {}),
      ...(Number.isFinite(max) ? { maxItems: max } : {}),
    }),
  );
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return make(
    `${s.describe} or null`,
    (x, where, faults) => (x === null ? null : s.check(x, where, faults)),
    (ctx) => ({ anyOf: [s.jsonSchema(ctx), { type: 'null' }] }),
  );
}

/** Marks an object member as optional (may be absent or undefined). */
export interface Optional<T> extends Schema<T | undefined> {
  readonly optional: true;
}
export function opt<T>(s: Schema<T>): Optional<T> {
  const o: Optional<T> = {
    optional: true,
    describe: `optional ${s.describe}`,
    check: (x, where, faults) => (x === undefined ? undefined : s.check(x, where, faults)),
    parse: (x: unknown, where = '$') => assertValid(o, x, undefined, where),
    jsonSchema: (ctx) => s.jsonSchema(ctx),
  };
  return o;
}

type Shape = Record<string, Schema<unknown>>;
type OptKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type ReqKeys<S extends Shape> = Exclude<keyof S, OptKeys<S>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjOf<S extends Shape> = Flatten<{ [K in ReqKeys<S>]: Infer<S[K]> } & { [K in OptKeys<S>]?: Infer<S[K]> }>;

/**
 * An object: every member of `shape` checked. `unknown: 'refuse'` (the default) makes any other
 * member a fault; `'keep'` keeps other members as they are (models that must round-trip them).
 */
export function obj<S extends Shape>(shape: S, opts: { unknown?: 'refuse' | 'keep' } = {}): Schema<ObjOf<S>> {
  const keys = Object.keys(shape);
  const keep = opts.unknown === 'keep';
  return make(
    'an object',
    (x, where, faults) => {
      if (!isPlainObject(x)) return fault(faults, where, 'expected an object', x);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x)) {
        if (keys.includes(k)) continue;
        if (keep) out[k] = x[k];
        else fault(faults, childPath(where, k), `unexpected field "${k}" (allowed: ${keys.join(', ') || 'none'})`, x);
      }
      for (const k of keys) {
        const s = shape[k] as Schema<unknown> & { optional?: boolean };
        const v = Object.prototype.hasOwnProperty.call(x, k) ? x[k] : undefined;
        if (v === undefined && !s.optional) {
          fault(faults, childPath(where, k), 'missing', x);
          continue;
        }
        const parsed = s.check(v, childPath(where, k), faults);
        if (parsed !== undefined) out[k] = parsed;
      }
      return out as ObjOf<S>;
    },
    (ctx) => {
      const required = keys.filter((k) => !(shape[k] as { optional?: boolean }).optional);
      return {
        type: 'object',
        ...(keep ? {} : { additionalProperties: false }),
        ...(required.length ? { required } : {}),
        properties: Object.fromEntries(keys.map((k) => [k, (shape[k] as Schema<unknown>).jsonSchema(ctx)])),
      };
    },
  );
}

const RECORD_KEY = str({ min: 1, max: 128, pattern: /^[A-Za-z0-9._-]+$/, what: 'a short key (letters, digits, ".", "_", "-")' });

/** A string-keyed map: each key checked by `key` (short identifiers by default), at most `max` entries (64). */
export function record<T>(value: Schema<T>, opts: number | { max?: number; key?: Schema<string> } = {}): Schema<Record<string, T>> {
  const o = typeof opts === 'number' ? { max: opts } : opts;
  const max = o.max ?? 64;
  const key = o.key ?? RECORD_KEY;
  return make(
    `a map of ${value.describe}`,
    (x, where, faults) => {
      if (!isPlainObject(x)) return fault(faults, where, 'expected an object', x);
      const ks = Object.keys(x);
      if (ks.length > max) return fault(faults, where, `more than ${max} entries`, x);
      const out: Record<string, T> = Object.create(null) as Record<string, T>;
      for (const k of ks) {
        const p = childPath(where, k);
        const kf: Fault[] = [];
        key.check(k, p, kf);
        if (kf.length || k === '__proto__') {
          fault(faults, p, `unexpected key "${k}" (keys are ${key.describe})`, x);
          continue;
        }
        out[k] = value.check(x[k], p, faults);
      }
      return out;
    },
    (ctx) => ({
      type: 'object',
      propertyNames: key.jsonSchema(ctx),
      additionalProperties: value.jsonSchema(ctx),
      ...(Number.isFinite(max) ? { maxProperties: max } : {}),
    }),
  );
}

/** Tagged union on a `kind`-like member. */
export function union<K extends string, V extends Record<string, Schema<unknown>>>(tag: K, variants: V): Schema<Infer<V[keyof V]>> {
  const names = Object.keys(variants);
  return make(
    `one of ${names.join(', ')}`,
    (x, where, faults) => {
      if (!isPlainObject(x)) return fault(faults, where, 'expected an object', x);
      const t = x[tag];
      if (typeof t !== 'string' || !names.includes(t)) return fault(faults, childPath(where, tag), `expected one of ${names.join(', ')}`, x);
      return (variants[t] as Schema<unknown>).check(x, where, faults) as Infer<V[keyof V]>;
    },
    (ctx) => ({ oneOf: names.map((n) => (variants[n] as Schema<unknown>).jsonSchema(ctx)) }),
  );
}

type JsType = 'number' | 'string' | 'boolean' | 'array' | 'object';

/** A value whose schema depends on its JSON type (a number, a text, a list or a map...). */
export function byType<T>(branches: Partial<Record<JsType, Schema<T>>>): Schema<T> {
  const types = Object.keys(branches) as JsType[];
  const typeOf = (x: unknown): JsType | 'other' =>
    Array.isArray(x)
      ? 'array'
      : isPlainObject(x)
        ? 'object'
        : typeof x === 'number'
          ? 'number'
          : typeof x === 'string'
            ? 'string'
            : typeof x === 'boolean'
              ? 'boolean'
              : 'other';
  const describe = types.map((t) => (branches[t] as Schema<T>).describe).join(', or ');
  return make(
    describe,
    (x, where, faults) => {
      const t = typeOf(x);
      const b = t === 'other' ? undefined : branches[t];
      return b ? b.check(x, where, faults) : fault(faults, where, `expected ${describe}`, x);
    },
    (ctx) => ({ anyOf: types.map((t) => (branches[t] as Schema<T>).jsonSchema(ctx)) }),
  );
}

/** Anything (only for values main produced itself, never for requests). */
export const unknownValue: Schema<unknown> = make(
  'any value',
  (x) => x,
  () => ({}),
);

/**
 * Check with `s` but keep the value exactly as given (the same object: member order, unknown members
 * and identity kept): format models that write back what they read, and large maps not worth copying.
 */
export function asGiven<T>(s: Schema<T>): Schema<T> {
  return make(
    s.describe,
    (x, where, faults) => {
      s.check(x, where, faults);
      return x as T;
    },
    (ctx) => s.jsonSchema(ctx),
  );
}

/** Extra rules a JSON Schema cannot say (cross-member checks), run only when the shape is right. */
export function refine<T>(s: Schema<T>, rule: (v: T, where: string, faults: Fault[]) => void): Schema<T> {
  return make(
    s.describe,
    (x, where, faults) => {
      const before = faults.length;
      const v = s.check(x, where, faults);
      if (faults.length === before) rule(v, where, faults);
      return v;
    },
    (ctx) => s.jsonSchema(ctx),
  );
}

/** JSON Schema annotations (description, default...) or extra keywords (`allOf`) on a schema. */
export function annotate<T>(s: Schema<T>, extra: JsonSchema | ((ctx?: JsonSchemaContext) => JsonSchema)): Schema<T> {
  const o = { ...s, jsonSchema: (ctx?: JsonSchemaContext) => ({ ...s.jsonSchema(ctx), ...(typeof extra === 'function' ? extra(ctx) : extra) }) };
  return { ...o, parse: (x: unknown, where = '$') => assertValid(o, x, undefined, where) };
}

/** A named schema: emitted once under `$defs/<name>` and referenced with `$ref` where it is used. */
export function named<T>(name: string, s: Schema<T>): Schema<T> {
  return {
    ...s,
    jsonSchema: (ctx) => {
      if (!ctx) return s.jsonSchema();
      if (!ctx.defs.has(name)) {
        ctx.defs.set(name, {}); // reserve the slot first: definitions stay in first-use order
        ctx.defs.set(name, s.jsonSchema(ctx));
      }
      return { $ref: `#/$defs/${name}` };
    },
  };
}

/** A whole JSON Schema document (draft 2020-12) for `root`, with `$defs` for its named parts. */
export function jsonSchemaDocument(root: Schema<unknown>, meta: { $id: string; title: string; description?: string }): JsonSchema {
  const ctx: JsonSchemaContext = { defs: new Map() };
  const body = root.jsonSchema(ctx);
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...meta, ...body, ...(ctx.defs.size ? { $defs: Object.fromEntries(ctx.defs) } : {}) };
}

/** Base64 text, decoded: the value is the bytes. */
export function base64Bytes(opts: { max?: number } = {}): Schema<Uint8Array> {
  const max = opts.max ?? 64 * 1024 * 1024;
  return make(
    'base64 bytes',
    (x, where, faults) => {
      if (typeof x !== 'string') return fault(faults, where, 'expected a base64 string', x);
      if (x.length > max) return fault(faults, where, `longer than ${max} characters`, x);
      try {
        return fromBase64(x);
      } catch {
        return fault(faults, where, 'is not valid base64', x);
      }
    },
    () => ({ type: 'string', contentEncoding: 'base64' }),
  );
}

// Common string shapes.
export const hexStr = (max = 1024): Schema<string> => str({ max, pattern: /^(?:[0-9a-f]{2})*$/, what: 'lower-case hex' });
export const b64Str = (max = 16 * 1024 * 1024): Schema<string> => str({ max, pattern: /^[A-Za-z0-9+/]*={0,2}$/, what: 'base64' });
/** Labels shown to people and stored on tokens: printable, no control characters. */
export const label = (max = 64): Schema<string> => str({ min: 1, max, pattern: /^[^\u0000-\u001f\u007f]+$/, what: 'a printable label' });

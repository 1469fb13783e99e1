/**
 * Tiny runtime schemas for the IPC boundary (Signal-Desktop `parseUnknown` idea, no zod).
 * Every payload that crosses IPC is `unknown` until one of these has parsed it. A schema is strict:
 * unknown object keys, wrong types, over-long strings and over-long arrays are refused with
 * KeyceremonyError('INVALID_INPUT') naming the JSON path (`where`). Pure: no node, no electron.
 */
import { KeyceremonyError } from '../errors';

export interface Schema<T> {
  /** Parse `x` (untrusted) or throw INVALID_INPUT naming `where`. */
  parse(x: unknown, where?: string): T;
  /** One-line description used in error messages. */
  readonly describe: string;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function bad(where: string, what: string): never {
  throw new KeyceremonyError('INVALID_INPUT', `Invalid value at ${where}: ${what}.`, { where });
}

function make<T>(describe: string, parse: (x: unknown, where: string) => T): Schema<T> {
  return { describe, parse: (x: unknown, where = '$') => parse(x, where) };
}

export function str(opts: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Schema<string> {
  const max = opts.max ?? 4096;
  const min = opts.min ?? 0;
  return make(opts.what ?? 'a string', (x, where) => {
    if (typeof x !== 'string') bad(where, `expected ${opts.what ?? 'a string'}`);
    if (x.length < min) bad(where, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
    if (x.length > max) bad(where, `longer than ${max} characters`);
    if (opts.pattern && !opts.pattern.test(x)) bad(where, `expected ${opts.what ?? `a string matching ${opts.pattern}`}`);
    return x;
  });
}

export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return make(`an integer in [${min}, ${max}]`, (x, where) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) bad(where, 'expected an integer');
    if (x < min || x > max) bad(where, `expected an integer between ${min} and ${max}`);
    return x;
  });
}

export const bool: Schema<boolean> = make('a boolean', (x, where) => {
  if (typeof x !== 'boolean') bad(where, 'expected true or false');
  return x;
});

export function literal<const T extends string | number | boolean>(value: T): Schema<T> {
  return make(JSON.stringify(value), (x, where) => {
    if (x !== value) bad(where, `expected ${JSON.stringify(value)}`);
    return value;
  });
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  return make(`one of ${values.join(', ')}`, (x, where) => {
    if (typeof x !== 'string' || !values.includes(x)) bad(where, `expected one of ${values.join(', ')}`);
    return x as T[number];
  });
}

export function arr<T>(item: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 1000;
  const min = opts.min ?? 0;
  return make(`a list of ${item.describe}`, (x, where) => {
    if (!Array.isArray(x)) bad(where, 'expected a list');
    if (x.length < min) bad(where, `expected at least ${min} items`);
    if (x.length > max) bad(where, `more than ${max} items`);
    return x.map((v, i) => item.parse(v, `${where}[${i}]`));
  });
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return make(`${s.describe} or null`, (x, where) => (x === null ? null : s.parse(x, where)));
}

/** Marks an object field as optional (may be absent or undefined). */
export interface Optional<T> extends Schema<T | undefined> {
  readonly optional: true;
}
export function opt<T>(s: Schema<T>): Optional<T> {
  return { optional: true, describe: `optional ${s.describe}`, parse: (x: unknown, where = '$') => (x === undefined ? undefined : s.parse(x, where)) };
}

type Shape = Record<string, Schema<unknown>>;
type OptKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type ReqKeys<S extends Shape> = Exclude<keyof S, OptKeys<S>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjOf<S extends Shape> = Flatten<{ [K in ReqKeys<S>]: Infer<S[K]> } & { [K in OptKeys<S>]?: Infer<S[K]> }>;

/** A strict object: every key of `shape` checked, any other key refused. */
export function obj<S extends Shape>(shape: S): Schema<ObjOf<S>> {
  const keys = Object.keys(shape);
  return make('an object', (x, where) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) bad(where, 'expected an object');
    const proto = Object.getPrototypeOf(x) as unknown;
    if (proto !== Object.prototype && proto !== null) bad(where, 'expected a plain object');
    const rec = x as Record<string, unknown>;
    for (const k of Object.keys(rec)) if (!keys.includes(k)) bad(`${where}.${k}`, 'unexpected field');
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const s = shape[k] as Schema<unknown> & { optional?: boolean };
      const v = Object.prototype.hasOwnProperty.call(rec, k) ? rec[k] : undefined;
      if (v === undefined && !s.optional) bad(`${where}.${k}`, 'missing');
      const parsed = s.parse(v, `${where}.${k}`);
      if (parsed !== undefined) out[k] = parsed;
    }
    return out as ObjOf<S>;
  });
}

/** A string-keyed record (keys: short identifiers), at most `max` entries. */
export function record<T>(value: Schema<T>, max = 64): Schema<Record<string, T>> {
  return make(`a map of ${value.describe}`, (x, where) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) bad(where, 'expected an object');
    const proto = Object.getPrototypeOf(x) as unknown;
    if (proto !== Object.prototype && proto !== null) bad(where, 'expected a plain object');
    const keys = Object.keys(x);
    if (keys.length > max) bad(where, `more than ${max} entries`);
    const out: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const k of keys) {
      if (!/^[A-Za-z0-9._-]{1,128}$/.test(k) || k === '__proto__') bad(`${where}.${k}`, 'unexpected key');
      out[k] = value.parse((x as Record<string, unknown>)[k], `${where}.${k}`);
    }
    return out;
  });
}

/** Tagged union on a `kind`-like field. */
export function union<K extends string, V extends Record<string, Schema<unknown>>>(
  tag: K,
  variants: V,
): Schema<Infer<V[keyof V]>> {
  const names = Object.keys(variants);
  return make(`one of ${names.join(', ')}`, (x, where) => {
    if (typeof x !== 'object' || x === null) bad(where, 'expected an object');
    const t = (x as Record<string, unknown>)[tag];
    if (typeof t !== 'string' || !names.includes(t)) bad(`${where}.${tag}`, `expected one of ${names.join(', ')}`);
    return (variants[t] as Schema<unknown>).parse(x, where) as Infer<V[keyof V]>;
  });
}

/** Anything (used only for responses produced by main itself, never for requests). */
export const unknownValue: Schema<unknown> = make('any value', (x) => x);

// Common string shapes.
export const hexStr = (max = 1024): Schema<string> => str({ max, pattern: /^(?:[0-9a-f]{2})*$/, what: 'lower-case hex' });
export const b64Str = (max = 16 * 1024 * 1024): Schema<string> =>
  str({ max, pattern: /^[A-Za-z0-9+/]*={0,2}$/, what: 'base64' });
/** Labels shown to people and stored on tokens: printable, no control characters. */
export const label = (max = 64): Schema<string> =>
  str({ min: 1, max, pattern: /^[^\u0000-\u001f\u007f]+$/, what: 'a printable label' });

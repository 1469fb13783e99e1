/**
 * OLPC canonical JSON as TUF implementations sign it (securesystemslib `encode_canonical`,
 * go-securesystemslib `cjson`, @tufjs/canonical-json):
 * - no insignificant whitespace; object keys sorted; arrays in order;
 * - strings: only `\` and `"` are escaped, every other character (control characters included) is
 *   written raw, and the result is encoded as UTF-8;
 * - numbers: integers only (a float, NaN or Infinity is refused with its JSON path);
 * - `true`, `false`, `null`.
 *
 * Key order: securesystemslib sorts with Python's `sorted()` on str, i.e. by Unicode code point.
 * JavaScript's default sort compares UTF-16 code units; the two differ only when one key holds a
 * character above U+FFFF and another a character in U+E000..U+FFFF at the same position. We follow
 * the code point order (python-tuf is the reference implementation); @tufjs/canonical-json uses
 * code-unit order, so such keys would not interoperate with tuf-js anyway. Real metadata never has
 * them.
 *
 * Object properties whose value is `undefined` are left out (as JSON.stringify does), so optional
 * model fields can be absent; `undefined` inside an array is refused.
 */
import { KeyceremonyError } from '../errors';
import { childPath, PARSED_IN_CANONICAL_ORDER } from './strict';

const SURROGATE = /[\uD800-\uDFFF]/;
const HIGH_BMP_OR_SURROGATE = /[\uD800-\uFFFF]/;
const ESCAPE = /[\\"]/g;

function fail(path: string, msg: string): never {
  throw new KeyceremonyError('INVALID_INPUT', `canonical JSON: ${msg} at ${path}`, { where: path });
}

function isWellFormed(s: string): boolean {
  if (!SURROGATE.test(s)) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** Compare two strings by Unicode code point (Python's str order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // a surrogate (an astral code point) sorts above every BMP unit
    if (x >= 0xd800 && x <= 0xdfff) x += 0x10000;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x10000;
    return x - y;
  }
  return a.length - b.length;
}

/** Object keys in canonical order. */
export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj).sort();
  for (const k of keys) {
    if (HIGH_BMP_OR_SURROGATE.test(k)) return keys.sort(compareCodePoints);
  }
  return keys;
}

const NEEDS_WORK = /[\\"\uD800-\uDFFF]/;

/** Where we are, as segments; the path string is only built for an error. */
type Segs = (string | number)[];
function pathOf(root: string, segs: Segs): string {
  let p = root;
  for (const s of segs) p = childPath(p, s);
  return p;
}

function str(s: string, root: string, segs: Segs): string {
  if (!NEEDS_WORK.test(s)) return '"' + s + '"';
  if (!isWellFormed(s)) fail(pathOf(root, segs), 'string holds a lone surrogate');
  return '"' + s.replace(ESCAPE, '\\$&') + '"';
}

function enc(v: unknown, root: string, segs: Segs): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return str(v, root, segs);
    case 'number':
      if (!Number.isInteger(v)) fail(pathOf(root, segs), `${v} is not an integer (canonical JSON has integers only)`);
      if (!Number.isSafeInteger(v)) fail(pathOf(root, segs), `${v} is too large to be represented exactly`);
      return Object.is(v, -0) ? '0' : String(v);
    case 'bigint':
      return v.toString();
    case 'object': {
      if (segs.length > 512) fail(pathOf(root, segs), 'nesting too deep');
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i) out += ',';
          const item: unknown = v[i];
          segs.push(i);
          if (item === undefined) fail(pathOf(root, segs), 'undefined is not JSON');
          out += enc(item, root, segs);
          segs.pop();
        }
        return out + ']';
      }
      if (v instanceof Uint8Array) fail(pathOf(root, segs), 'bytes are not JSON (encode them as hex or base64 first)');
      const o = v as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const k of sortedKeys(o)) {
        const item = o[k];
        if (item === undefined) continue;
        if (!first) out += ',';
        first = false;
        segs.push(k);
        out += str(k, root, segs) + ':' + enc(item, root, segs);
        segs.pop();
      }
      return out + '}';
    }
    default:
      return fail(pathOf(root, segs), `${typeof v} is not JSON`);
  }
}

// ---------------------------------------------------------------------------------------------
// Fast path. For strings without control characters or surrogates, JSON.stringify writes exactly the
// canonical form (it escapes only `"` and `\` then), so we check the value once, put object keys in
// order (only objects that are not already sorted are copied) and let the native serializer write it.
// Anything unusual (control characters, surrogates, floats, class instances...) takes the slow path,
// which also reports errors with their JSON path.

const FALLBACK: unique symbol = Symbol('fallback');
/**
 * In JSON.stringify output, an escape other than \\ and \" means a control character or a lone
 * surrogate; a raw surrogate means an astral character, whose key order may differ (code points).
 * Either sends the value to the slow path (a literal backslash before b/f/n/r/t/u does too: harmless).
 */
const NOT_CANONICAL = /\\[bfnrtu]|[\uD800-\uDFFF]/;

function prep(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isSafeInteger(v) ? v : FALLBACK;
    case 'boolean':
      return v;
    case 'object': {
      if (v === null) return v;
      if (depth > 512) return FALLBACK;
      if (Array.isArray(v)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (x === undefined) return FALLBACK;
          const p = prep(x, depth + 1);
          if (p === FALLBACK) return FALLBACK;
          if (p !== x) (out ??= v.slice())[i] = p;
        }
        return out ?? v;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return FALLBACK;
      const o = v as Record<string, unknown>;
      // an own toJSON function would be called by JSON.stringify: a function value falls back below
      let prev: string | undefined;
      let sorted = true;
      let changed = false;
      let n = 0;
      for (const k in o) {
        if (prev !== undefined && !(prev < k)) sorted = false;
        prev = k;
        n++;
        const x = o[k];
        if (x === undefined || typeof x !== 'object' || x === null) {
          if (typeof x === 'number' ? !Number.isSafeInteger(x) : x !== undefined && typeof x !== 'string' && typeof x !== 'boolean' && x !== null) {
            return FALLBACK;
          }
          continue;
        }
        const p = prep(x, depth + 1);
        if (p === FALLBACK) return FALLBACK;
        if (p !== x) changed = true;
      }
      if (sorted && !changed) return v;
      const keys = Object.keys(o);
      if (keys.length !== n) return FALLBACK;
      if (!sorted) keys.sort();
      const c = Object.create(null) as Record<string, unknown>;
      for (const k of keys) {
        const x = o[k];
        c[k] = typeof x === 'object' && x !== null ? prep(x, depth + 1) : x;
      }
      return c;
    }
    default:
      return FALLBACK;
  }
}

export interface CanonicalOptions {
  /**
   * `value` comes straight from parseStrictJson and was not modified since: if the parser saw it in
   * canonical order already, skip the ordering pass (the output is still checked for escapes).
   */
  assumeParsedOrder?: boolean;
}

/** The canonical JSON text of `value`. */
export function canonicalize(value: unknown, rootPath = '$', opts: CanonicalOptions = {}): string {
  const known = opts.assumeParsedOrder === true && typeof value === 'object' && value !== null && PARSED_IN_CANONICAL_ORDER.has(value);
  const p = known ? value : prep(value, 0);
  if (p !== FALLBACK && p !== undefined) {
    const out = JSON.stringify(p);
    if (!NOT_CANONICAL.test(out)) return out;
  }
  return enc(value, rootPath, []);
}

/** The canonical JSON of `value` as UTF-8 bytes: what gets signed. */
export function canonicalBytes(value: unknown, rootPath = '$', opts: CanonicalOptions = {}): Uint8Array {
  return new TextEncoder().encode(canonicalize(value, rootPath, opts));
}

/**
 * `bytes[start, end)` as the canonical encoding of `value`, when that text already is canonical, so
 * nothing needs re-serialising (a large targets file we wrote compactly is canonical JSON): `value` was
 * just parsed by parseStrictJson(…, {integersOnly}) from exactly those bytes and marked as holding its
 * keys in canonical order (PARSED_IN_CANONICAL_ORDER: sorted, unique, safe integers, no surrogates),
 * and the text has no whitespace outside strings, no escape but \" and \\, and no "-0". Undefined
 * otherwise: the caller canonicalises. Linear, one pass over the bytes.
 */
export function canonicalSpan(bytes: Uint8Array, start: number, end: number, value: unknown): Uint8Array | undefined {
  if (typeof value !== 'object' || value === null || !PARSED_IN_CANONICAL_ORDER.has(value)) return undefined;
  if (start < 0 || end > bytes.length || start >= end) return undefined;
  const span = bytes.subarray(start, end);
  // the common case, one pass four bytes at a time: no whitespace, no backslash, no "-0" at all
  if (plainCanonical(span)) return span;
  return canonicalBytesScan(span) ? span : undefined;
}

/** A "-" at `i` starting a number written "-0…" (after ":", "," or "["): canonical JSON writes 0. Dates ("2026-01-01") are not numbers. */
function minusZeroAt(b: Uint8Array, i: number): boolean {
  if (b[i] !== 0x2d || b[i + 1] !== 0x30) return false;
  const p = b[i - 1];
  return p === 0x3a || p === 0x2c || p === 0x5b;
}

/**
 * True when `b` holds no byte <= 0x20 (whitespace; control bytes, which valid JSON never holds raw,
 * count too), no 0x5c (backslash) and no "-0" number: text parsed strictly in canonical order is then
 * canonical JSON as it stands. False sends the caller to the exact scan (canonicalBytesScan), so a
 * false here costs time, never correctness. Four bytes at a time: `(x - 0x21212121) & ~x & 0x80808080`
 * is non-zero exactly when some byte of x is below 0x21, `(y - 0x01010101) & ~y & 0x80808080` when y
 * has a zero byte (y = x ^ 0x5c5c5c5c: a backslash; x ^ 0x2d2d2d2d: a "-", then looked at closely).
 * Bit Twiddling Hacks, "hasless" and "haszero": exact about whether any byte matches.
 */
function plainCanonical(b: Uint8Array): boolean {
  const n = b.length;
  let i = 0;
  const head = Math.min(n, (4 - (b.byteOffset & 3)) & 3);
  for (; i < head; i++) if (b[i]! <= 0x20 || b[i] === 0x5c || minusZeroAt(b, i)) return false;
  const words = (n - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset + i, words);
    let acc = 0;
    for (let j = 0; j < words; j++) {
      const x = w[j]!;
      const y = x ^ 0x5c5c5c5c;
      const d = x ^ 0x2d2d2d2d;
      acc |= ((x - 0x21212121) & ~x) | ((y - 0x01010101) & ~y);
      if (((d - 0x01010101) & ~d & 0x80808080) !== 0) {
        const at = i + (j << 2);
        if (minusZeroAt(b, at) || minusZeroAt(b, at + 1) || minusZeroAt(b, at + 2) || minusZeroAt(b, at + 3)) return false;
      }
    }
    if ((acc & 0x80808080) !== 0) return false;
    i += words << 2;
  }
  for (; i < n; i++) if (b[i]! <= 0x20 || b[i] === 0x5c || minusZeroAt(b, i)) return false;
  return true;
}

/** Whitespace only inside strings, escapes only \" and \\, no "-0" number: the text is canonical. */
function canonicalBytesScan(b: Uint8Array): boolean {
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (inString) {
      if (c === 0x22) inString = false;
      else if (c === 0x5c) {
        const d = b[i + 1];
        if (d !== 0x22 && d !== 0x5c) return false;
        i++;
      }
    } else if (c === 0x22) inString = true;
    else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return false;
    else if (c === 0x2d && b[i + 1] === 0x30) return false;
  }
  return !inString;
}

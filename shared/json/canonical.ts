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
import { childPath } from './strict';

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

function str(s: string, path: string): string {
  if (!isWellFormed(s)) fail(path, 'string holds a lone surrogate');
  return '"' + s.replace(ESCAPE, '\\$&') + '"';
}

function enc(v: unknown, path: string, depth: number): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return str(v, path);
    case 'number':
      if (!Number.isInteger(v)) fail(path, `${v} is not an integer (canonical JSON has integers only)`);
      if (!Number.isSafeInteger(v)) fail(path, `${v} is too large to be represented exactly`);
      return Object.is(v, -0) ? '0' : String(v);
    case 'bigint':
      return v.toString();
    case 'object': {
      if (depth > 512) fail(path, 'nesting too deep');
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i) out += ',';
          const item: unknown = v[i];
          if (item === undefined) fail(childPath(path, i), 'undefined is not JSON');
          out += enc(item, path + '[' + i + ']', depth + 1);
        }
        return out + ']';
      }
      if (v instanceof Uint8Array) fail(path, 'bytes are not JSON (encode them as hex or base64 first)');
      const o = v as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const k of sortedKeys(o)) {
        const item = o[k];
        if (item === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += str(k, path) + ':' + enc(item, childPath(path, k), depth + 1);
      }
      return out + '}';
    }
    default:
      return fail(path, `${typeof v} is not JSON`);
  }
}

/** The canonical JSON text of `value`. */
export function canonicalize(value: unknown, rootPath = '$'): string {
  return enc(value, rootPath, 0);
}

/** The canonical JSON of `value` as UTF-8 bytes: what gets signed. */
export function canonicalBytes(value: unknown, rootPath = '$'): Uint8Array {
  return new TextEncoder().encode(canonicalize(value, rootPath));
}

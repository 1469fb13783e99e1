/**
 * The JSON text python-tuf writes for a metadata file, i.e. what tuf-on-ci commits in a signing event:
 * tuf-on-ci's signer writes `md.to_bytes(JSONSerializer())` (tuf_on_ci_sign/_signer_repository.py
 * `_write`), and python-tuf's `JSONSerializer.serialize` (tuf/api/serialization/json.py) is
 *
 *     json.dumps(metadata.to_dict(), indent=1, separators=(",", ": "), sort_keys=True).encode("utf-8")
 *
 * so: one space per level, `", "`-free item separators (a newline follows each comma), `": "` after a
 * key, keys sorted by code point, `ensure_ascii` left on (every character outside space..`~` written as a
 * lowercase `\uXXXX` escape, astral characters as a surrogate pair, the usual short escapes for `"`, `\`,
 * \b \f \n \r \t), empty containers as `{}` / `[]`, and NO newline at the end of the file.
 *
 * We never re-serialise a file we sign in place (electron/core/tuf/event.ts edits its signature bytes
 * only); this tells whether a file is in that layout and lets the tests make tuf-on-ci-shaped files.
 */
import { KeyceremonyError } from '../errors';
import { compareCodePoints } from './canonical';

const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Python's `json.dumps` of a str with ensure_ascii=True (py_encode_basestring_ascii). */
export function pythonJsonString(s: string): string {
  return '"' + s.replace(/[^ -~]|["\\]/g, (c) => SHORT[c] ?? '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '"';
}

function write(v: unknown, level: number, indent: number, out: string[], where: string): void {
  if (v === null) out.push('null');
  else if (v === true) out.push('true');
  else if (v === false) out.push('false');
  else if (typeof v === 'string') out.push(pythonJsonString(v));
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v))
      throw new KeyceremonyError('INVALID_INPUT', `only integers are written the way Python writes them, got ${v} at ${where}`, { where });
    out.push(String(v));
  } else if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push('[]');
      return;
    }
    const pad = '\n' + ' '.repeat(indent * (level + 1));
    out.push('[');
    v.forEach((x, i) => {
      out.push(i ? ',' + pad : pad);
      write(x, level + 1, indent, out, `${where}[${i}]`);
    });
    out.push('\n' + ' '.repeat(indent * level) + ']');
  } else if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort(compareCodePoints);
    if (keys.length === 0) {
      out.push('{}');
      return;
    }
    const pad = '\n' + ' '.repeat(indent * (level + 1));
    out.push('{');
    keys.forEach((k, i) => {
      out.push((i ? ',' : '') + pad + pythonJsonString(k) + ': ');
      write(o[k], level + 1, indent, out, `${where}.${k}`);
    });
    out.push('\n' + ' '.repeat(indent * level) + '}');
  } else throw new KeyceremonyError('INVALID_INPUT', `cannot write a ${typeof v} as JSON at ${where}`, { where });
}

/** `json.dumps(value, indent=indent, separators=(",", ": "), sort_keys=True)` (python-tuf's JSONSerializer at indent 1). */
export function pythonJsonDumps(value: unknown, indent = 1): string {
  const out: string[] = [];
  write(value, 0, indent, out, '$');
  return out.join('');
}

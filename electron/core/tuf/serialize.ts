/**
 * JSON text for metadata files: keys sorted (canonical order), valid JSON escaping (unlike canonical
 * JSON, control characters are escaped), newline at the end. Large `targets` maps are written compactly.
 */
import { sortedKeys } from '../../../shared/json/canonical';

export function sortedJson(value: unknown, indent = 1): string {
  const parts: string[] = [];
  write(value, '', indent, parts);
  parts.push('\n');
  return parts.join('');
}

function write(v: unknown, pad: string, indent: number, out: string[]): void {
  if (v === null || typeof v !== 'object') {
    out.push(JSON.stringify(v) ?? 'null');
    return;
  }
  const inner = pad + ' '.repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    v.forEach((x, i) => {
      out.push(inner);
      write(x, inner, indent, out);
      out.push(i < v.length - 1 ? ',\n' : '\n');
    });
    out.push(pad + ']');
    return;
  }
  const o = v as Record<string, unknown>;
  const keys = sortedKeys(o).filter((k) => o[k] !== undefined);
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{\n');
  keys.forEach((k, i) => {
    out.push(inner + JSON.stringify(k) + ': ');
    write(o[k], inner, indent, out);
    out.push(i < keys.length - 1 ? ',\n' : '\n');
  });
  out.push(pad + '}');
}

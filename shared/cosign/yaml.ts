/** A tiny YAML emitter for the policies we export (maps, lists, strings, numbers, booleans, null). */
type Y = string | number | boolean | null | Y[] | { [k: string]: Y };

function scalar(s: string): string {
  if (s === '' || /^[\s]|[\s]$|[:#{}[\],&*!|>'"%@`]|^[-?]|^(true|false|null|yes|no|on|off|~)$|^[0-9.+-]/i.test(s)) {
    return JSON.stringify(s);
  }
  return s;
}

function emit(v: Y, indent: number, out: string[], prefix: string): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(`${prefix}[]`);
      return;
    }
    if (prefix.trim() !== '') out.push(prefix.trimEnd());
    for (const item of v) {
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
        const keys = Object.keys(item);
        keys.forEach((k, i) => emitKey(k, item[k] as Y, indent + 2, out, i === 0 ? `${pad}- ` : `${pad}  `));
        if (keys.length === 0) out.push(`${pad}- {}`);
      } else emit(item, indent + 2, out, `${pad}- `);
    }
    return;
  }
  if (v !== null && typeof v === 'object') {
    if (prefix.trim() !== '') out.push(prefix.trimEnd());
    for (const k of Object.keys(v)) emitKey(k, v[k] as Y, indent, out, pad);
    return;
  }
  if (typeof v === 'string' && v.includes('\n')) {
    out.push(`${prefix}|${v.endsWith('\n') ? '' : '-'}`);
    for (const line of v.replace(/\n$/, '').split('\n')) out.push(line === '' ? '' : `${pad}  ${line}`);
    return;
  }
  out.push(`${prefix}${v === null ? 'null' : typeof v === 'string' ? scalar(v) : String(v)}`);
}

function emitKey(k: string, v: Y, indent: number, out: string[], lead: string): void {
  const head = `${lead}${scalar(k)}:`;
  if (v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)) {
    out.push(head);
    emit(v, Array.isArray(v) ? indent : indent + 2, out, '');
  } else if (typeof v === 'string' && v.includes('\n')) {
    emit(v, indent, out, `${head} `);
  } else {
    emit(v, indent, out, `${head} `);
  }
}

export function toYaml(doc: Record<string, Y>): string {
  const out: string[] = [];
  for (const k of Object.keys(doc)) emitKey(k, doc[k] as Y, 0, out, '');
  return out.join('\n') + '\n';
}
export type YamlValue = Y;

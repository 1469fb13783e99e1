/**
 * Where values sit in a JSON text: the [start, end) offsets of an object's members and an array's
 * items, found without building the values. Used to edit a file in place — replace one string, add one
 * array item — so every other byte stays as its author wrote it (a tuf-on-ci signing event's git diff
 * is then only the signature). Call it on text that parseStrictJson accepted: the scanner follows
 * RFC 8259 but reports faults only as "not JSON here".
 */
import { KeyceremonyError } from '../errors';

export interface Span {
  start: number;
  end: number;
}

export interface MemberSpan {
  key: string;
  /** The key's string token (with its quotes). */
  keySpan: Span;
  value: Span;
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

function bad(pos: number, what: string): never {
  throw new KeyceremonyError('INVALID_JSON', `not JSON at offset ${pos}: ${what}`, { where: `offset ${pos}` });
}

export function skipWs(t: string, p: number): number {
  while (p < t.length && WS.has(t.charCodeAt(p))) p++;
  return p;
}

function stringEnd(t: string, p: number): number {
  if (t.charCodeAt(p) !== 0x22) bad(p, 'expected a string');
  for (let i = p + 1; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return bad(p, 'unterminated string');
}

/** The end offset of the value starting at `p` (whitespace before it skipped). */
export function valueEnd(t: string, p: number): number {
  p = skipWs(t, p);
  const c = t.charCodeAt(p);
  if (c === 0x22) return stringEnd(t, p);
  if (c === 0x7b || c === 0x5b) {
    // walk to the matching bracket, skipping strings
    let depth = 0;
    for (let i = p; i < t.length; i++) {
      const d = t.charCodeAt(i);
      if (d === 0x22) i = stringEnd(t, i) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return bad(p, 'unterminated object or array');
  }
  let i = p;
  while (i < t.length && /[-+.0-9eEtruefalsn]/.test(t[i]!)) i++;
  if (i === p) bad(p, 'expected a value');
  return i;
}

/** The members of the object starting at `p` (after whitespace), in text order. */
export function objectMembers(t: string, p: number): { span: Span; members: MemberSpan[] } {
  const start = skipWs(t, p);
  if (t.charCodeAt(start) !== 0x7b) bad(start, 'expected an object');
  const members: MemberSpan[] = [];
  let i = skipWs(t, start + 1);
  if (t.charCodeAt(i) === 0x7d) return { span: { start, end: i + 1 }, members };
  for (;;) {
    i = skipWs(t, i);
    const ke = stringEnd(t, i);
    const key = JSON.parse(t.slice(i, ke)) as string;
    let j = skipWs(t, ke);
    if (t.charCodeAt(j) !== 0x3a) bad(j, 'expected ":"');
    j = skipWs(t, j + 1);
    const ve = valueEnd(t, j);
    members.push({ key, keySpan: { start: i, end: ke }, value: { start: j, end: ve } });
    i = skipWs(t, ve);
    const c = t.charCodeAt(i);
    if (c === 0x2c) i++;
    else if (c === 0x7d) return { span: { start, end: i + 1 }, members };
    else bad(i, 'expected "," or "}"');
  }
}

/** The items of the array starting at `p` (after whitespace), in order. */
export function arrayItems(t: string, p: number): { span: Span; items: Span[] } {
  const start = skipWs(t, p);
  if (t.charCodeAt(start) !== 0x5b) bad(start, 'expected an array');
  const items: Span[] = [];
  let i = skipWs(t, start + 1);
  if (t.charCodeAt(i) === 0x5d) return { span: { start, end: i + 1 }, items };
  for (;;) {
    i = skipWs(t, i);
    const e = valueEnd(t, i);
    items.push({ start: i, end: e });
    i = skipWs(t, e);
    const c = t.charCodeAt(i);
    if (c === 0x2c) i++;
    else if (c === 0x5d) return { span: { start, end: i + 1 }, items };
    else bad(i, 'expected "," or "]"');
  }
}

/** One edit: replace [start, end) by `text`. */
export interface Splice extends Span {
  text: string;
}

/** Apply non-overlapping edits (any order). */
export function applySplices(t: string, edits: readonly Splice[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new KeyceremonyError('INTERNAL', 'overlapping edits', { where: `offset ${e.start}` });
    out += t.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + t.slice(at);
}

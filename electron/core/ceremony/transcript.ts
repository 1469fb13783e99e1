/**
 * The ceremony transcript (format keyceremony-transcript/v2, docs/bundle-format.md): append-only
 * JSON lines, each ending in LF, each beginning with the same two members in the same order:
 *
 *   {"prev":"<64 hex>","seq":<n>,"time":…,"ceremony":…,"runId":…,"rehearsal":…,<event members>}
 *
 *   seq   the entry's 0-based position (= line number - 1),
 *   prev  SHA-256 of the exact bytes of the line before, its LF included ("0"*64 for the first).
 *
 * So the chain is checkable with standard tools (`printf '%s\n' "$line" | sha256sum`, VERIFY.sh):
 * a deleted or moved line breaks `seq` where it happened, an edited line breaks the `prev` of the
 * line after it, and an edited last line breaks the head hash the signed manifest records. The
 * transcript never holds a PIN, share, KEK or private key: `assertNoSecrets` refuses suspicious
 * member names before a line is made.
 */
import { sha256 } from '../../../shared/crypto/webcrypto';
import { toHex, utf8 } from '../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJson } from '../../../shared/json';

export const TRANSCRIPT_FORMAT = 'keyceremony-transcript/v2';
export const GENESIS = '0'.repeat(64);

export interface TranscriptKey {
  id: string;
  label: string;
  fingerprint: string;
  words: string;
  keyType?: string;
  idHex?: string;
}

export interface TranscriptBody {
  event: string;
  step?: string;
  kind?: string;
  actor?: string;
  /** `source`: 'screen' (a person confirmed at the screen) or 'answers-file' (an unattended answers file). */
  acknowledgements?: { id: string; by: string; statement: string; confirmed: boolean; source?: 'screen' | 'answers-file' }[];
  token?: { label: string; serial?: string };
  mechanism?: string;
  payloadSha256?: string;
  keys?: TranscriptKey[];
  outputs?: { path: string; sha256: string }[];
  deviations?: { check: string; justification: string; by: string }[];
  checks?: { id: string; status: string; summary: string }[];
  shares?: { index: number; custodian: string; checkValue: string; verified: boolean }[];
  note?: string;
  facts?: Record<string, string | number | boolean>;
}

/** An entry as written (`prev` … body) plus `hash`, the SHA-256 of its line, computed when read. */
export interface TranscriptEntry extends TranscriptBody {
  prev: string;
  seq: number;
  time: string;
  ceremony: string;
  runId: string;
  rehearsal: boolean;
  hash: string;
}

/** Members of the line header; a body may not use them. */
const HEADER_MEMBERS = ['prev', 'seq', 'time', 'ceremony', 'runId', 'rehearsal', 'hash'];

/**
 * A synchronous SHA-256 returning lower-case hex (the adapters pass node:crypto's one-shot hash).
 * Without one, WebCrypto is used.
 */
export type Sha256HexSync = (data: Uint8Array) => string;

/** The hash of one transcript line: SHA-256 over its UTF-8 bytes and the LF that ends it. */
export async function lineHash(line: string, hash?: Sha256HexSync): Promise<string> {
  const b = utf8(line + '\n');
  return hash ? hash(b) : toHex(await sha256(b));
}

const SECRET_NAMES = /^(pin|sopin|so_pin|userpin|password|passphrase|share|shares_secret|secret|kek|privatekey|private_key|private|seed|mnemonic)$/i;

/** Refuse any member whose name suggests a secret (defence in depth: bodies are built by code). */
export function assertNoSecrets(x: unknown, where = '$'): void {
  if (Array.isArray(x)) {
    x.forEach((v, i) => assertNoSecrets(v, `${where}[${i}]`));
  } else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
      if (SECRET_NAMES.test(k)) {
        throw new KeyceremonyError('INTERNAL', `Refusing to write a transcript member named "${k}".`, { where: `${where}.${k}` });
      }
      assertNoSecrets(v, `${where}.${k}`);
    }
  }
}

/** Build the next line after `prev` (hash of the previous line) at position `seq`. */
export async function makeEntry(
  header: { ceremony: string; runId: string; rehearsal: boolean },
  seq: number,
  prev: string,
  time: string,
  body: TranscriptBody,
): Promise<{ line: string; hash: string }> {
  assertNoSecrets(body);
  for (const k of Object.keys(body)) {
    if (HEADER_MEMBERS.includes(k))
      throw new KeyceremonyError('INTERNAL', `A transcript event may not set the header member "${k}".`, { where: `entry ${seq}` });
  }
  const entry = { prev, seq, time, ceremony: header.ceremony, runId: header.runId, rehearsal: header.rehearsal, ...body };
  const line = JSON.stringify(entry);
  return { line, hash: await lineHash(line) };
}

export interface TranscriptVerdict {
  ok: boolean;
  count: number;
  head: string;
  /** First broken entry (1-based line number) and why. */
  broken?: { line: number; seq?: number; reason: string };
  entries: TranscriptEntry[];
}

/** The chain alone: each line's hash, and the first line where the chain breaks. */
export interface ChainVerdict {
  ok: boolean;
  /** Lines that chain (all of them when ok). */
  count: number;
  /** Hash of the last line that chains (GENESIS when none). */
  head: string;
  broken?: { line: number; seq?: number; reason: string };
  /** The file decoded once (up to the first line that is not UTF-8) and where each line starts in it. */
  text: string;
  starts: number[];
  /** SHA-256 of every line (LF included), in order. */
  hashes: string[];
}

const LINE_HEAD = /^\{"prev":"([0-9a-f]{64})","seq":(0|[1-9][0-9]{0,15}),"/;
const LF = 0x0a;

/**
 * Verify the hash chain of a transcript file (its bytes), without parsing its JSON: a final LF,
 * UTF-8, and on every line the fixed head {"prev":"<hash of the line before>","seq":<i>,. Every
 * line is hashed once (synchronously with `opts.sha256Hex`, else with WebCrypto, all lines at
 * once); the file is decoded once and each head is compared in place in that one string.
 */
export async function verifyTranscriptChain(bytes: Uint8Array, opts: { sha256Hex?: Sha256HexSync } = {}): Promise<ChainVerdict> {
  // line ends (byte offsets, each line with its LF); a last line without one is torn
  const ends: number[] = [];
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) ends.push(i + 1);
  const torn = (ends.length ? (ends[ends.length - 1] as number) : 0) < bytes.length;
  if (torn) ends.push(bytes.length);
  const n = ends.length;
  const h = opts.sha256Hex;
  const hashes: string[] = new Array(n);
  if (h) for (let i = 0, a = 0; i < n; a = ends[i++] as number) hashes[i] = h(bytes.subarray(a, ends[i]));
  else hexAll(await Promise.all(ends.map((b, i) => sha256(bytes.subarray(i ? (ends[i - 1] as number) : 0, b)))), hashes);

  // the text, decoded once; line i is text[starts[i], starts[i + 1] - 1)
  let text = '';
  let badUtf8 = -1;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    badUtf8 = firstNonUtf8Line(bytes, ends);
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, badUtf8 ? (ends[badUtf8 - 1] as number) : 0));
  }
  const starts: number[] = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const verdict = (at: number, reason?: string, seq?: number): ChainVerdict => ({
    ok: reason === undefined,
    count: at,
    head: at === 0 ? GENESIS : (hashes[at - 1] as string),
    ...(reason === undefined ? {} : { broken: seq === undefined ? { line: at + 1, reason } : { line: at + 1, seq, reason } }),
    text,
    starts,
    hashes,
  });
  for (let i = 0; i < n; i++) {
    if (torn && i === n - 1) return verdict(i, 'the last line has no line feed (a torn write, or bytes added after the last entry)');
    if (i === badUtf8) return verdict(i, 'not valid UTF-8');
    const o = starts[i] as number;
    const prev = i === 0 ? GENESIS : (hashes[i - 1] as string);
    const seq = String(i);
    if (
      text.startsWith('{"prev":"', o) &&
      text.startsWith(prev, o + 9) &&
      text.startsWith('","seq":', o + 73) &&
      text.startsWith(seq, o + 81) &&
      text.startsWith(',"', o + 81 + seq.length)
    )
      continue;
    const m = LINE_HEAD.exec(lineOf(text, starts, i));
    const got = m ? Number(m[2]) : undefined;
    if (!m || got === undefined) return verdict(i, 'not a transcript line: a line begins {"prev":"<64 hex>","seq":<n>,');
    if (got !== i)
      return verdict(i, got > i ? `entry ${i} is missing (found entry ${got} in its place)` : `entry ${got} is out of order (expected entry ${i})`, got);
    return verdict(i, `entry ${i} does not chain to line ${i} (previous-hash mismatch): line ${i} was altered, or this line was`, got);
  }
  return verdict(n);
}

function lineOf(text: string, starts: number[], i: number): string {
  return text.slice(starts[i], (starts[i + 1] ?? text.length + 1) - 1);
}

/**
 * Verify a transcript file and read its entries: the chain (verifyTranscriptChain), then the JSON of
 * every line before any break, parsed strictly (no duplicate members, one object per line) in one
 * call as an array, line by line only to name a line that fails; then each entry's header types
 * and one run id. Returns the first broken line.
 */
export async function verifyTranscriptBytes(bytes: Uint8Array, opts: { sha256Hex?: Sha256HexSync } = {}): Promise<TranscriptVerdict> {
  const chain = await verifyTranscriptChain(bytes, opts);
  const { text, starts, hashes } = chain;
  const limit = chain.count;
  let entries: TranscriptEntry[] = [];
  const fail = (at: number, reason: string, seq?: number): TranscriptVerdict => ({
    ok: false,
    count: at,
    head: at === 0 ? GENESIS : (hashes[at - 1] as string),
    broken: seq === undefined ? { line: at + 1, reason } : { line: at + 1, seq, reason },
    entries: entries.slice(0, at),
  });
  let parsed: unknown;
  if (limit > 0) {
    const all = `[${text.slice(0, (starts[limit] as number) - 1).replaceAll('\n', ',')}]`;
    try {
      parsed = parseStrictJson(all, { source: 'transcript', maxBytes: all.length * 3 + 16 });
    } catch {
      parsed = undefined;
    }
  }
  if (limit === 0 || (Array.isArray(parsed) && parsed.length === limit)) entries = (parsed ?? []) as TranscriptEntry[];
  else {
    for (let i = 0; i < limit; i++) {
      let e: unknown;
      try {
        e = parseStrictJson(lineOf(text, starts, i), { source: `line ${i + 1}` });
      } catch (err) {
        return fail(i, err instanceof KeyceremonyError ? err.message : 'not valid JSON', i);
      }
      if (!e || typeof e !== 'object' || Array.isArray(e)) return fail(i, 'not a JSON object', i);
      entries.push(e as TranscriptEntry);
    }
  }
  let runId: string | undefined;
  for (let i = 0; i < limit; i++) {
    const e = entries[i] as TranscriptEntry;
    if (typeof e.runId !== 'string' || typeof e.event !== 'string' || typeof e.rehearsal !== 'boolean' || typeof e.time !== 'string') {
      return fail(i, `entry ${i} lacks its runId, event, rehearsal or time member`, i);
    }
    if (runId === undefined) runId = e.runId;
    else if (e.runId !== runId) return fail(i, `entry ${i} belongs to another run (${e.runId})`, i);
    e.hash = hashes[i] as string;
  }
  if (chain.broken) return { ok: false, count: chain.count, head: chain.head, broken: chain.broken, entries };
  return { ok: true, count: limit, head: chain.head, entries };
}

/** Index of the first line (by `ends`) that is not valid UTF-8. */
function firstNonUtf8Line(bytes: Uint8Array, ends: number[]): number {
  const d = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0, a = 0; i < ends.length; a = ends[i++] as number) {
    try {
      d.decode(bytes.subarray(a, ends[i]));
    } catch {
      return i;
    }
  }
  return ends.length;
}

/** Lower-case hex of many 32-byte digests into `out`: one ASCII buffer, decoded once, then sliced. */
function hexAll(digests: Uint8Array[], out: string[]): void {
  const ascii = new Uint8Array(digests.length * 64);
  let o = 0;
  for (const d of digests) {
    for (let i = 0; i < 32; i++) {
      const b = d[i] as number;
      ascii[o++] = HEX_ASCII[b >> 4] as number;
      ascii[o++] = HEX_ASCII[b & 15] as number;
    }
  }
  const all = new TextDecoder('ascii').decode(ascii);
  for (let i = 0; i < digests.length; i++) out[i] = all.slice(i * 64, i * 64 + 64);
}
const HEX_ASCII = utf8('0123456789abcdef');

/** Verify the chain of `lines` (the transcript file's lines without their LF). */
export async function verifyTranscript(lines: readonly string[], opts: { sha256Hex?: Sha256HexSync } = {}): Promise<TranscriptVerdict> {
  return verifyTranscriptBytes(utf8(lines.map((l) => l + '\n').join('')), opts);
}

/** Split transcript file text into lines (tolerates a final newline, nothing else). */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

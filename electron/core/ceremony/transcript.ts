/**
 * The ceremony transcript: append-only JSON lines. Each entry carries
 *   seq   its 0-based position,
 *   prev  the `hash` of the entry before it ("0"*64 for the first),
 *   hash  SHA-256 of the entry's own JSON text without the `hash` member.
 * So an edited line fails its own hash, a deleted or moved line breaks `seq`/`prev` at the first
 * position that changed, and the verifier names that entry. The transcript never holds a PIN,
 * share, KEK or private key: `assertNoSecrets` refuses suspicious member names before a line is made.
 */
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { utf8 } from '../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../shared/errors';

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

export interface TranscriptEntry extends TranscriptBody {
  seq: number;
  time: string;
  ceremony: string;
  runId: string;
  rehearsal: boolean;
  prev: string;
  hash: string;
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

/** Build the next line after `prev` (hash of the previous entry) at position `seq`. */
export async function makeEntry(
  header: { ceremony: string; runId: string; rehearsal: boolean },
  seq: number,
  prev: string,
  time: string,
  body: TranscriptBody,
): Promise<{ line: string; hash: string }> {
  assertNoSecrets(body);
  const unsigned: Omit<TranscriptEntry, 'hash'> = {
    seq,
    time,
    ceremony: header.ceremony,
    runId: header.runId,
    rehearsal: header.rehearsal,
    prev,
    ...body,
  };
  const text = JSON.stringify(unsigned);
  const hash = await sha256Hex(utf8(text));
  return { line: JSON.stringify({ ...unsigned, hash }), hash };
}

export interface TranscriptVerdict {
  ok: boolean;
  count: number;
  head: string;
  /** First broken entry (1-based line number) and why. */
  broken?: { line: number; seq?: number; reason: string };
  entries: TranscriptEntry[];
}

/** Verify the chain of `lines`. Returns the first broken entry, if any. */
export async function verifyTranscript(lines: readonly string[]): Promise<TranscriptVerdict> {
  let prev = GENESIS;
  const entries: TranscriptEntry[] = [];
  let runId: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fail = (reason: string, seq?: number): TranscriptVerdict => ({
      ok: false,
      count: i,
      head: prev,
      broken: seq === undefined ? { line: i + 1, reason } : { line: i + 1, seq, reason },
      entries,
    });
    let e: TranscriptEntry;
    try {
      e = JSON.parse(line) as TranscriptEntry;
    } catch {
      return fail('not valid JSON');
    }
    if (!e || typeof e !== 'object' || typeof e.hash !== 'string' || typeof e.seq !== 'number') {
      return fail('not a transcript entry');
    }
    const { hash, ...rest } = e;
    const recomputed = await sha256Hex(utf8(JSON.stringify(rest)));
    if (recomputed !== hash) return fail(`entry ${e.seq} was altered (its hash does not match its content)`, e.seq);
    if (e.seq !== i) {
      return fail(
        e.seq > i ? `entry ${i} is missing (found entry ${e.seq} in its place)` : `entry ${e.seq} is out of order (expected entry ${i})`,
        e.seq,
      );
    }
    if (e.prev !== prev) return fail(`entry ${e.seq} does not follow entry ${i - 1} (previous-hash mismatch)`, e.seq);
    if (runId === undefined) runId = e.runId;
    else if (e.runId !== runId) return fail(`entry ${e.seq} belongs to another run (${e.runId})`, e.seq);
    entries.push(e);
    prev = hash;
  }
  return { ok: true, count: lines.length, head: prev, entries };
}

/** Split transcript file text into lines (tolerates a final newline, nothing else). */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

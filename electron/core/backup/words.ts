/**
 * Word encoding of shares: the BIP-39 English wordlist (2048 words, 11 bits a word) and a
 * Reed-Solomon checksum over GF(2^11) with three check words.
 *
 * Why BIP-39 English: it is the most widely printed and reviewed list for exactly this job
 * (people copying secrets onto paper); its words are 3-8 letters, every word is unique in its first
 * four letters (so a custodian may type only four letters), and it ships in @scure/bip39 (audited,
 * pure JS). SLIP-39's own 1024-word list would also do, but it is not in a package we have, and
 * SLIP-39's share format cannot carry our fields (KEK check value, custodian binding, passphrase mode).
 * We use only the list, not BIP-39's checksum or seed derivation: these words are not a wallet seed.
 *
 * The checksum: the data words plus three check words form a Reed-Solomon codeword over GF(2048)
 * (x^11 + x^2 + 1), generator roots a^1..a^3, minimum distance 4. So:
 * - any change of one word is detected AND located (we say which word),
 * - any change of two or three words (e.g. two words swapped) is detected, never mislocated,
 * - a customization prefix ("keyceremony-share") is part of the codeword, so BIP-39 seed phrases and
 *   other formats do not pass.
 * We also try every transposition when the checksum fails, to name two swapped words.
 */
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { KeyceremonyError } from '../../../shared/errors';
import { CHECK_WORDS } from '../../../shared/share-format';

export const WORDLIST: readonly string[] = wordlist;
const INDEX = new Map<string, number>(WORDLIST.map((w, i) => [w, i]));
const PREFIX4 = new Map<string, number>();
for (let i = 0; i < WORDLIST.length; i++) PREFIX4.set((WORDLIST[i] as string).slice(0, 4), i);

// ---- GF(2^11) ----
const FIELD = 2048;
const POLY = 0x805; // x^11 + x^2 + 1 (primitive; checked below)
const EXP = new Uint16Array(2 * FIELD);
const LOG = new Int32Array(FIELD).fill(-1);
{
  let x = 1;
  for (let i = 0; i < FIELD - 1; i++) {
    EXP[i] = x;
    if (LOG[x] !== -1) throw new KeyceremonyError('INTERNAL', 'GF(2048): polynomial is not primitive');
    LOG[x] = i;
    x <<= 1;
    if (x & FIELD) x ^= POLY;
  }
  for (let i = FIELD - 1; i < 2 * FIELD; i++) EXP[i] = EXP[i - (FIELD - 1)] as number;
}
const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : (EXP[(LOG[a] as number) + (LOG[b] as number)] as number));
const div = (a: number, b: number): number => {
  if (b === 0) throw new KeyceremonyError('INTERNAL', 'GF(2048): division by zero');
  return a === 0 ? 0 : (EXP[((LOG[a] as number) - (LOG[b] as number) + (FIELD - 1)) % (FIELD - 1)] as number);
};

export { CHECK_WORDS };
// g(x) = (x - a)(x - a^2)(x - a^3), highest degree first.
const GEN: number[] = (() => {
  let g = [1];
  for (let i = 1; i <= CHECK_WORDS; i++) {
    const root = EXP[i] as number;
    const next = new Array<number>(g.length + 1).fill(0);
    for (let j = 0; j < g.length; j++) {
      next[j] = (next[j] as number) ^ (g[j] as number);
      next[j + 1] = (next[j + 1] as number) ^ mul(g[j] as number, root);
    }
    g = next;
  }
  return g;
})();

const CUSTOM: number[] = Array.from(new TextEncoder().encode('keyceremony-share'));

/** Remainder of (prefix||data||000) by g: the three check symbols. */
function checkSymbols(data: readonly number[]): number[] {
  const msg = [...CUSTOM, ...data, ...new Array<number>(CHECK_WORDS).fill(0)];
  for (let i = 0; i < msg.length - CHECK_WORDS; i++) {
    const c = msg[i] as number;
    if (c === 0) continue;
    for (let j = 1; j < GEN.length; j++) msg[i + j] = (msg[i + j] as number) ^ mul(GEN[j] as number, c);
  }
  return msg.slice(msg.length - CHECK_WORDS);
}

function syndromes(code: readonly number[]): number[] {
  const all = [...CUSTOM, ...code];
  const out: number[] = [];
  for (let i = 1; i <= CHECK_WORDS; i++) {
    const root = EXP[i] as number;
    let s = 0;
    for (const c of all) s = mul(s, root) ^ c;
    out.push(s);
  }
  return out;
}

/** Append the three check symbols to 11-bit data symbols. */
export function addChecksum(data: readonly number[]): number[] {
  if (CUSTOM.length + data.length + CHECK_WORDS > FIELD - 1) throw new KeyceremonyError('TOO_LARGE', 'too many words for the checksum');
  return [...data, ...checkSymbols(data)];
}

export type ChecksumResult =
  { ok: true } | { ok: false; kind: 'one-word'; position: number } | { ok: false; kind: 'swap'; positions: [number, number] } | { ok: false; kind: 'several' };

/** Check a codeword (data + check symbols). Positions in results are 0-based into `code`. */
export function verifyChecksum(code: readonly number[]): ChecksumResult {
  const [s1, s2, s3] = syndromes(code) as [number, number, number];
  if (s1 === 0 && s2 === 0 && s3 === 0) return { ok: true };
  // exactly one wrong symbol e at degree p: S_i = e * a^(i p)
  if (s1 !== 0 && s2 !== 0 && mul(s3, s1) === mul(s2, s2)) {
    const ap = div(s2, s1);
    const p = LOG[ap] as number; // degree counted from the last symbol
    const idx = code.length - 1 - p;
    if (idx >= 0 && idx < code.length) return { ok: false, kind: 'one-word', position: idx };
  }
  for (let i = 0; i < code.length; i++) {
    for (let j = i + 1; j < code.length; j++) {
      if (code[i] === code[j]) continue;
      const t = code.slice();
      t[i] = code[j] as number;
      t[j] = code[i] as number;
      if (syndromes(t).every((s) => s === 0)) return { ok: false, kind: 'swap', positions: [i, j] };
    }
  }
  return { ok: false, kind: 'several' };
}

/** Look a typed word up: exact, or by its first four letters. Returns -1 if unknown. */
export function wordIndex(w: string): number {
  const s = w.trim().toLowerCase();
  const exact = INDEX.get(s);
  if (exact !== undefined) return exact;
  if (s.length >= 4) {
    const p = PREFIX4.get(s.slice(0, 4));
    if (p !== undefined && (WORDLIST[p] as string).startsWith(s)) return p;
  }
  return -1;
}

// ---- bits <-> 11-bit symbols ----
export function bytesToSymbols(bytes: Uint8Array, bitLength: number): number[] {
  const count = Math.ceil(bitLength / 11);
  const out: number[] = [];
  for (let w = 0; w < count; w++) {
    let v = 0;
    for (let b = 0; b < 11; b++) {
      const bit = w * 11 + b;
      const on = bit < bitLength ? ((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1 : 0;
      v = (v << 1) | on;
    }
    out.push(v);
  }
  return out;
}

/** Inverse of bytesToSymbols; returns null if the padding bits are not zero. */
export function symbolsToBytes(symbols: readonly number[], bitLength: number): Uint8Array | null {
  const out = new Uint8Array(Math.ceil(bitLength / 8));
  for (let bit = 0; bit < symbols.length * 11; bit++) {
    const on = ((symbols[Math.floor(bit / 11)] as number) >> (10 - (bit % 11))) & 1;
    if (bit >= bitLength) {
      if (on) return null;
      continue;
    }
    if (on) out[bit >> 3] = (out[bit >> 3] as number) | (1 << (7 - (bit & 7)));
  }
  return out;
}

/** Byte helpers that work in both Node and the browser (no Buffer). Faults: INVALID_INPUT. */
import { KeyceremonyError } from '../errors';

const HEX_DIGITS = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

/** Decodes the ASCII that toHex/toBase64 write (any decoder reads ASCII the same; this one never throws). */
const ASCII_DECODER = new TextDecoder();
/** toHex/toBase64's scratch for outputs up to 4 KiB (one call at a time: JS is single-threaded per realm). */
const SCRATCH = new Uint8Array(4096);
/** `len` bytes to write ASCII into: a view of the scratch buffer when it fits, else a new array. */
function asciiScratch(len: number): Uint8Array {
  return len <= SCRATCH.length ? SCRATCH.subarray(0, len) : new Uint8Array(len);
}
/**
 * The string of the ASCII bytes in `out`, which is then zeroed: the encoding of whatever a caller
 * passed (it may be secret) does not stay in the scratch buffer until the next call overwrites it.
 */
function asciiString(out: Uint8Array): string {
  const s = ASCII_DECODER.decode(out);
  out.fill(0);
  return s;
}

/**
 * Lower-case hex. The characters are written as bytes into a scratch buffer and decoded once, so the
 * result is one flat string: a string grown by `+=` is a chain of small pieces until something reads
 * it, and thousands of those kept in results cost the garbage collector more than building them.
 */
export function toHex(b: Uint8Array): string {
  const out = asciiScratch(b.length * 2);
  for (let i = 0, o = 0; i < b.length; i++) {
    const x = b[i] as number;
    out[o++] = HEX_DIGITS[x >> 4] as number;
    out[o++] = HEX_DIGITS[x & 15] as number;
  }
  return asciiString(out);
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new KeyceremonyError('INVALID_INPUT', 'not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const B64_CODES = new Uint8Array([...B64].map((c) => c.charCodeAt(0)));

/** Standard base64 with padding, as one flat string (see toHex). */
export function toBase64(b: Uint8Array): string {
  const n = b.length;
  const out = asciiScratch(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const x = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
    out[o++] = B64_CODES[x >> 18] as number;
    out[o++] = B64_CODES[(x >> 12) & 63] as number;
    out[o++] = B64_CODES[(x >> 6) & 63] as number;
    out[o++] = B64_CODES[x & 63] as number;
  }
  if (n - i === 1) {
    const x = (b[i] as number) << 16;
    out[o++] = B64_CODES[x >> 18] as number;
    out[o++] = B64_CODES[(x >> 12) & 63] as number;
    out[o++] = 0x3d;
    out[o++] = 0x3d;
  } else if (n - i === 2) {
    const x = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8);
    out[o++] = B64_CODES[x >> 18] as number;
    out[o++] = B64_CODES[(x >> 12) & 63] as number;
    out[o++] = B64_CODES[(x >> 6) & 63] as number;
    out[o++] = 0x3d;
  }
  return asciiString(out);
}

/** Value of each base64 character by char code (-1: not in the standard alphabet). */
const B64_VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/**
 * The common case in one pass: standard alphabet, length a multiple of 4, `=` only as the last one
 * or two characters. undefined for anything else (whitespace, URL-safe characters, missing padding,
 * errors), which the general path below handles exactly as before.
 */
function fromBase64Canonical(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n % 4 !== 0) return undefined;
  const pad = n > 0 && s.charCodeAt(n - 1) === 0x3d ? (s.charCodeAt(n - 2) === 0x3d ? 2 : 1) : 0;
  const out = new Uint8Array((n / 4) * 3 - pad);
  const end = n - pad;
  let o = 0;
  let acc = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? (B64_VALUE[c] as number) : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    if ((i & 3) === 3) {
      out[o++] = (acc >> 16) & 255;
      out[o++] = (acc >> 8) & 255;
      out[o++] = acc & 255;
      acc = 0;
    }
  }
  if (pad === 1) {
    acc <<= 6;
    out[o++] = (acc >> 16) & 255;
    out[o++] = (acc >> 8) & 255;
  } else if (pad === 2) {
    acc <<= 12;
    out[o++] = (acc >> 16) & 255;
  }
  return out;
}

export function fromBase64(s: string): Uint8Array {
  const fast = fromBase64Canonical(s);
  if (fast) return fast;
  const clean = s
    .replace(/[\r\n\t ]/g, '')
    .replace(/-/g, '+')
    .replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new KeyceremonyError('INVALID_INPUT', 'not a base64 string');
  const padded = clean.length % 4 === 0 ? clean : clean + '='.repeat(4 - (clean.length % 4));
  const len = (padded.length / 4) * 3 - (padded.endsWith('==') ? 2 : padded.endsWith('=') ? 1 : 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (let i = 0; i < padded.length; i += 4) {
    const c = [0, 1, 2, 3].map((k) => (padded[i + k] === '=' ? 0 : B64.indexOf(padded[i + k] as string)));
    const n = ((c[0] as number) << 18) | ((c[1] as number) << 12) | ((c[2] as number) << 6) | (c[3] as number);
    if (o < len) out[o++] = (n >> 16) & 255;
    if (o < len) out[o++] = (n >> 8) & 255;
    if (o < len) out[o++] = n & 255;
  }
  return out;
}

// One encoder and one decoder for the module: both are stateless for whole-buffer calls (no `stream`).
const ENCODER = new TextEncoder();
const FATAL_DECODER = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return ENCODER.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return FATAL_DECODER.decode(b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** Overwrite a secret buffer in place. */
export function zeroize(b: Uint8Array | undefined | null): void {
  if (b) b.fill(0);
}

export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Decode the first PEM block; returns its label and DER bytes. */
export function pemDecode(pem: string): { label: string; der: Uint8Array } {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m) throw new KeyceremonyError('INVALID_INPUT', 'not a PEM block');
  return { label: m[1] as string, der: fromBase64((m[2] as string).replace(/^[A-Za-z-]+:.*$/gm, '')) };
}

/** Byte helpers that work in both Node and the browser (no Buffer). Faults: INVALID_INPUT. */
import { KeyceremonyError } from '../errors';

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX_BYTE[b[i] as number] as string;
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new KeyceremonyError('INVALID_INPUT', 'not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of every 12-bit value: two characters per lookup, four per 3 bytes. */
const B64_PAIRS = Array.from({ length: 4096 }, (_, i) => (B64[i >> 6] as string) + (B64[i & 63] as string));

export function toBase64(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
    out += (B64_PAIRS[n >> 12] as string) + (B64_PAIRS[n & 4095] as string);
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = (b[i] as number) << 16;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return out;
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

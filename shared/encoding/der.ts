/**
 * A minimal DER reader/writer: enough for SPKI, ECDSA signatures, OIDs and X.509 certificates.
 *
 * The reader accepts DER only (X.690 section 10), never the wider BER: a length in its shortest form
 * (no long form below 128, no leading zero length bytes, no indefinite length), single-byte tags,
 * primitive strings, INTEGERs without redundant leading 0x00/0xFF bytes, BOOLEAN as 0x00/0xFF, NULL
 * empty, BIT STRINGs whose unused bits are zero, OID arcs without 0x80 padding. Two encodings of one
 * value would let two different byte strings carry the same key or signature; we refuse the second.
 *
 * Faults are KeyceremonyError('INVALID_INPUT') naming the byte offset; the typed parsers on top
 * (SPKI, ECDSA, X.509) re-code them with `recodeDer` as INVALID_KEY, INVALID_SIGNATURE...
 */
import { KeyceremonyError, type ErrorCode } from '../errors';

export interface DerNode {
  tag: number;
  /** Full TLV bytes. */
  raw: Uint8Array;
  /** Value bytes. */
  value: Uint8Array;
  /** Offset of the value in the outermost buffer read (for error messages). */
  start: number;
}

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_ENUMERATED = 0x0a;
/** Constructed forms of the string types: BER only, DER encodes strings primitive. */
const CONSTRUCTED_STRINGS = new Set([0x23, 0x24, 0x2c, 0x33, 0x34, 0x36, 0x37, 0x38, 0x3c, 0x3e]);

function derFault(msg: string, at: number): never {
  throw new KeyceremonyError('INVALID_INPUT', `DER: ${msg} at byte ${at}`, { where: `byte ${at}` });
}

/** X.690 10.2 / 8.3.2 / 8.6.2.3 / 8.2.2 / 8.8 / 8.19.2: value rules DER adds to BER, per universal tag. */
function checkValue(tag: number, v: Uint8Array, at: number, valueAt: number): void {
  switch (tag) {
    case TAG_INTEGER:
    case TAG_ENUMERATED:
      if (v.length === 0) derFault('empty INTEGER', at);
      if (v.length > 1 && ((v[0] === 0x00 && !((v[1] as number) & 0x80)) || (v[0] === 0xff && (v[1] as number) & 0x80))) {
        derFault('INTEGER with a redundant leading byte', at);
      }
      return;
    case TAG_BOOLEAN:
      if (v.length !== 1 || (v[0] !== 0x00 && v[0] !== 0xff)) derFault('BOOLEAN must be one byte 0x00 or 0xFF', at);
      return;
    case TAG_NULL:
      if (v.length !== 0) derFault('NULL with content', at);
      return;
    case TAG_BIT_STRING: {
      const unused = v[0];
      if (unused === undefined || unused > 7 || (v.length === 1 && unused !== 0)) derFault('bad BIT STRING unused-bits count', at);
      if (v.length > 1 && ((v[v.length - 1] as number) & ((1 << unused) - 1)) !== 0) derFault('BIT STRING with non-zero unused bits', at);
      return;
    }
    case TAG_OID:
      if (v.length === 0) derFault('empty OID', at);
      for (let i = 0; i < v.length; i++) {
        const first = i === 0 || !((v[i - 1] as number) & 0x80);
        if (first && v[i] === 0x80) derFault('OID arc with a redundant leading byte', valueAt + i);
      }
      if ((v[v.length - 1] as number) & 0x80) derFault('OID ends inside an arc', at);
      return;
    default:
      if (CONSTRUCTED_STRINGS.has(tag)) derFault(`constructed string (tag 0x${tag.toString(16)}) is BER, not DER`, at);
  }
}

/** Read one TLV at `offset`. `base` is the offset of `buf` in the outermost buffer (for messages). */
export function readDer(buf: Uint8Array, offset = 0, base = 0): { node: DerNode; next: number } {
  const at = base + offset;
  if (offset + 2 > buf.length) derFault('truncated header', at);
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) derFault('multi-byte tags are not supported', at);
  let len = buf[offset + 1] as number;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) derFault('indefinite length is BER, not DER', at);
    if (n > 4) derFault('length over 4 bytes is not supported', at);
    if (offset + 2 + n > buf.length) derFault('truncated length', at);
    if (buf[offset + 2] === 0) derFault('length with a leading zero byte', at);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] as number);
    if (len < 0x80) derFault(`length ${len} in long form`, at);
    hdr += n;
  }
  const end = offset + hdr + len;
  if (end > buf.length) derFault('truncated value', at);
  const value = buf.subarray(offset + hdr, end);
  checkValue(tag, value, at, at + hdr);
  return { node: { tag, raw: buf.subarray(offset, end), value, start: at + hdr }, next: end };
}

/** Read exactly one TLV that spans all of `buf` (no trailing bytes). */
export function readDerAll(buf: Uint8Array): DerNode {
  const { node, next } = readDer(buf);
  if (next !== buf.length) derFault(`${buf.length - next} trailing bytes`, next);
  return node;
}

/** Children of a constructed node (SEQUENCE, SET, context tags). */
export function readChildren(node: DerNode): DerNode[] {
  if (!(node.tag & 0x20)) derFault(`tag 0x${node.tag.toString(16)} is not constructed`, node.start);
  const out: DerNode[] = [];
  let o = 0;
  while (o < node.value.length) {
    const { node: c, next } = readDer(node.value, o, node.start);
    out.push(c);
    o = next;
  }
  return out;
}

/**
 * Run a typed parser over DER and report the reader's faults under the caller's code, prefixed with
 * what was being read: `recodeDer('INVALID_KEY', 'not a DER SubjectPublicKeyInfo', () => ...)`.
 */
export function recodeDer<T>(code: ErrorCode, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof KeyceremonyError && e.code === 'INVALID_INPUT' && e.message.startsWith('DER: ')) {
      throw new KeyceremonyError(code, `${what}: ${e.message}`, { ...(e.where === undefined ? {} : { where: e.where }), cause: e });
    }
    throw e;
  }
}

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const len = encodeLength(value.length);
  const out = new Uint8Array(1 + len.length + value.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(value, 1 + len.length);
  return out;
}

export function decodeOid(value: Uint8Array): string {
  if (value.length === 0) derFault('empty OID', 0);
  const first = value[0] as number;
  const parts = [Math.floor(first / 40), first % 40];
  let acc = 0;
  for (let i = 1; i < value.length; i++) {
    const b = value[i] as number;
    acc = acc * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

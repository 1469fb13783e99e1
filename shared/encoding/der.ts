/** A minimal DER reader/writer: enough for SPKI, ECDSA signatures and OIDs. */

export interface DerNode {
  tag: number;
  /** Full TLV bytes. */
  raw: Uint8Array;
  /** Value bytes. */
  value: Uint8Array;
}

export function readDer(buf: Uint8Array, offset = 0): { node: DerNode; next: number } {
  if (offset + 2 > buf.length) throw new TypeError('DER: truncated header');
  const tag = buf[offset] as number;
  let len = buf[offset + 1] as number;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new TypeError('DER: unsupported length');
    if (offset + 2 + n > buf.length) throw new TypeError('DER: truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] as number);
    hdr += n;
  }
  const end = offset + hdr + len;
  if (end > buf.length) throw new TypeError('DER: truncated value');
  return {
    node: { tag, raw: buf.subarray(offset, end), value: buf.subarray(offset + hdr, end) },
    next: end,
  };
}

/** Children of a constructed node (SEQUENCE, SET, context tags). */
export function readChildren(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let o = 0;
  while (o < node.value.length) {
    const { node: c, next } = readDer(node.value, o);
    out.push(c);
    o = next;
  }
  return out;
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
  if (value.length === 0) throw new TypeError('DER: empty OID');
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

import { KeyceremonyError } from '../errors';
import { readChildren, readDerAll, recodeDer, tlv } from '../encoding/der';

function badSignature(msg: string): never {
  throw new KeyceremonyError('INVALID_SIGNATURE', msg);
}

/** Bytes of one coordinate / scalar for a curve. */
export function curveSize(curve: 'P-256' | 'P-384' | 'P-521'): number {
  return curve === 'P-256' ? 32 : curve === 'P-384' ? 48 : 66;
}

function stripInt(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function derInt(b: Uint8Array): Uint8Array {
  const s = stripInt(b);
  const v = (s[0] as number) & 0x80 ? Uint8Array.of(0, ...s) : s;
  return tlv(0x02, v);
}

/** PKCS#11 / WebCrypto / Notary raw r||s -> ASN.1 DER ECDSA-Sig-Value (TUF, cosign, openssl). */
export function rawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) badSignature('raw ECDSA signature must be r||s');
  const n = raw.length / 2;
  // Every curve we sign with (P-256/384/521: each INTEGER at most 67 bytes) is written directly, byte
  // by byte (a batch converts one per signature); longer halves take the general path below.
  if (n <= 120) {
    let r0 = 0;
    while (r0 < n - 1 && raw[r0] === 0) r0++;
    let s0 = n;
    while (s0 < 2 * n - 1 && raw[s0] === 0) s0++;
    const rPad = (raw[r0] as number) & 0x80 ? 1 : 0;
    const sPad = (raw[s0] as number) & 0x80 ? 1 : 0;
    const rLen = n - r0 + rPad;
    const sLen = 2 * n - s0 + sPad;
    const body = 4 + rLen + sLen;
    const head = body < 0x80 ? 2 : 3;
    const out = new Uint8Array(head + body);
    out[0] = 0x30;
    if (head === 2) out[1] = body;
    else {
      out[1] = 0x81;
      out[2] = body;
    }
    let o = head;
    out[o++] = 0x02;
    out[o++] = rLen;
    o += rPad;
    for (let i = r0; i < n; i++) out[o++] = raw[i] as number;
    out[o++] = 0x02;
    out[o++] = sLen;
    o += sPad;
    for (let i = s0; i < 2 * n; i++) out[o++] = raw[i] as number;
    return out;
  }
  const r = derInt(raw.subarray(0, n));
  const s = derInt(raw.subarray(n));
  const body = new Uint8Array(r.length + s.length);
  body.set(r);
  body.set(s, r.length);
  return tlv(0x30, body);
}

/** DER ECDSA-Sig-Value -> raw r||s with each half padded to `size` bytes. Faults: INVALID_SIGNATURE. */
export function derToRaw(der: Uint8Array, size: number): Uint8Array {
  return recodeDer('INVALID_SIGNATURE', 'not a DER ECDSA signature', () => {
    const node = readDerAll(der);
    if (node.tag !== 0x30) badSignature('not a DER ECDSA signature');
    const kids = readChildren(node);
    if (kids.length !== 2 || kids.some((k) => k.tag !== 0x02)) badSignature('not a DER ECDSA signature');
    const out = new Uint8Array(size * 2);
    kids.forEach((k, i) => {
      if ((k.value[0] as number) & 0x80) badSignature('ECDSA signature integer is negative');
      const v = stripInt(k.value);
      if (v.length > size) badSignature('ECDSA signature integer too large for curve');
      out.set(v, i * size + (size - v.length));
    });
    return out;
  });
}

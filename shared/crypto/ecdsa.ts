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

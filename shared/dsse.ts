/**
 * DSSE (Dead Simple Signing Envelope, https://github.com/secure-systems-lab/dsse) v1: the envelope
 * types and the Pre-Authentication Encoding every DSSE signer and verifier signs over.
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * LEN is the ASCII decimal byte length; SP is one space (0x20). Pure: usable in main and renderer.
 */
import { concatBytes, fromBase64, toBase64, utf8 } from './encoding/bytes';
import { KeyceremonyError } from './errors';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

export interface DsseSignature {
  /** Key hint (optional in DSSE; we put the SHA-256 SPKI fingerprint here). */
  keyid: string;
  /** Base64 (standard alphabet) of the signature bytes. */
  sig: string;
}

export interface DsseEnvelope {
  /** Base64 of the payload bytes. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

/**
 * DSSE v1 Pre-Authentication Encoding of `payloadType` and `payload` (secure-systems-lab/dsse
 * protocol.md). Test vector: `DSSEv1 29 http://example.com/HelloWorld 11 hello world`.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  return concatBytes(utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload);
}

/** Build an unsigned envelope for `payload`. */
export function envelope(payloadType: string, payload: Uint8Array, signatures: DsseSignature[] = []): DsseEnvelope {
  return { payload: toBase64(payload), payloadType, signatures };
}

/** Validate the shape of a parsed envelope (from untrusted JSON) and return it typed. */
export function parseEnvelope(x: unknown, where = 'envelope'): DsseEnvelope {
  const bad = (msg: string, w: string): never => {
    throw new KeyceremonyError('UNSUPPORTED_FORMAT', `Not a DSSE envelope: ${msg}.`, { where: w });
  };
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return bad('expected a JSON object', where);
  const o = x as Record<string, unknown>;
  if (typeof o.payload !== 'string') return bad('"payload" must be a base64 string', `${where}.payload`);
  if (typeof o.payloadType !== 'string') return bad('"payloadType" must be a string', `${where}.payloadType`);
  if (!Array.isArray(o.signatures)) return bad('"signatures" must be an array', `${where}.signatures`);
  const sigs: DsseSignature[] = o.signatures.map((s: unknown, i: number) => {
    const w = `${where}.signatures[${i}]`;
    if (typeof s !== 'object' || s === null) return bad('a signature must be an object', w);
    const so = s as Record<string, unknown>;
    if (typeof so.sig !== 'string') return bad('"sig" must be a base64 string', `${w}.sig`);
    if (so.keyid !== undefined && typeof so.keyid !== 'string') return bad('"keyid" must be a string', `${w}.keyid`);
    return { keyid: (so.keyid as string | undefined) ?? '', sig: so.sig };
  });
  try {
    fromBase64(o.payload);
  } catch {
    bad('"payload" is not base64', `${where}.payload`);
  }
  return { payload: o.payload, payloadType: o.payloadType, signatures: sigs };
}

/** The payload bytes of an envelope. */
export function envelopePayload(env: DsseEnvelope): Uint8Array {
  return fromBase64(env.payload);
}

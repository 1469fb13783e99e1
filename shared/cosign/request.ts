/**
 * A cosign signing request: the images (by digest), the allowed signers (public keys) and m.
 * Custodians fill it in turn, each adding one signature per image (a bundle each); `bodyDigest` pins
 * the body (kind, version, m, images, signers) and every signature records the bodyDigest it signed
 * under, so a request whose body was edited after someone signed is detected and refused.
 */
import { KeyceremonyError } from '../errors';
import { utf8 } from '../encoding/bytes';
import { parseStrictJsonBytes } from '../json';
import { arr, assertValid, int, literal, obj, opt, refine, str, type Fault } from '../schema';
import { formatReference, parseImageReference } from './reference';
import { parsePublicKeyPem } from './keys';
import type { BundleJson } from './bundle';

export const REQUEST_KIND = 'keyceremony.cosign-signing-request';

export interface RequestSigner {
  name: string;
  fingerprint: string;
  publicKey: string;
}

export interface RequestSignature {
  fingerprint: string;
  signedAt: string;
  bodyDigest: string;
  description?: string;
  images: { reference: string; signature: string; bundle: BundleJson }[];
}

export interface CosignRequest {
  kind: typeof REQUEST_KIND;
  version: 1;
  createdAt: string;
  m: number;
  images: string[];
  signers: RequestSigner[];
  bodyDigest: string;
  signatures: RequestSignature[];
}

/** The bytes `bodyDigest` is the SHA-256 of (fixed field order, no whitespace). */
export function requestBodyBytes(r: Pick<CosignRequest, 'kind' | 'version' | 'm' | 'images' | 'signers'>): Uint8Array {
  const body = {
    kind: r.kind,
    version: r.version,
    m: r.m,
    images: r.images,
    signers: r.signers.map((s) => ({ name: s.name, fingerprint: s.fingerprint, publicKey: s.publicKey })),
  };
  return utf8(JSON.stringify(body));
}

/** A rule that throws a coded error (reference, key parsers) becomes a fault at `path`. */
function faultOf(faults: Fault[], path: string, check: () => unknown): void {
  try {
    check();
  } catch (e) {
    faults.push({ path, message: e instanceof Error ? e.message.replace(/\.$/, '') : String(e) });
  }
}

const SIGNER_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,62}$/;
const HEX64 = /^[0-9a-f]{64}$/;

const requestSchema = refine(
  obj({
    kind: literal(REQUEST_KIND),
    version: literal(1),
    createdAt: str({ min: 1, max: 64 }),
    m: int({ min: 1, max: 1000 }),
    images: arr(str({ min: 1, max: 4096 }), { min: 1, max: 100_000 }),
    signers: arr(
      obj({
        name: str({ pattern: SIGNER_NAME, max: 63, what: '1-63 letters, digits, . _ - or spaces' }),
        fingerprint: str({ pattern: HEX64, max: 64, what: 'a SHA-256 fingerprint (64 lower-case hex digits)' }),
        publicKey: str({ min: 1, max: 16384 }),
      }),
      { min: 1 },
    ),
    bodyDigest: str({ pattern: HEX64, max: 64, what: 'a SHA-256 digest (64 lower-case hex digits)' }),
    signatures: arr(
      obj({
        fingerprint: str({ max: 64 }),
        signedAt: str({ max: 64 }),
        bodyDigest: str({ max: 64 }),
        description: opt(str()),
        // each bundle is checked when it is verified (core/cosign/verify.ts)
        images: arr(obj({ reference: str({ max: 4096 }), signature: str({ max: 1 << 20 }), bundle: obj({}, { unknown: 'keep' }) }), { max: 100_000 }),
      }),
    ),
  }),
  (r, where, faults) => {
    r.images.forEach((img, i) =>
      faultOf(faults, `${where}.images[${i}]`, () => {
        const canonical = formatReference(parseImageReference(img, `images[${i}]`));
        if (canonical !== img) throw new KeyceremonyError('INVALID_REFERENCE', `not in canonical form ${canonical}`);
      }),
    );
    if (new Set(r.images).size !== r.images.length) faults.push({ path: `${where}.images`, message: 'an image is listed twice' });
    r.signers.forEach((sg, i) => faultOf(faults, `${where}.signers[${i}].publicKey`, () => parsePublicKeyPem(sg.publicKey, `signers[${i}].publicKey`)));
    if (new Set(r.signers.map((sg) => sg.name.toLowerCase())).size !== r.signers.length)
      faults.push({ path: `${where}.signers`, message: 'two signers have the same name' });
    if (new Set(r.signers.map((sg) => sg.fingerprint)).size !== r.signers.length)
      faults.push({ path: `${where}.signers`, message: 'the same key is listed twice' });
    if (r.m > r.signers.length) faults.push({ path: `${where}.m`, message: `m must be a whole number between 1 and ${r.signers.length}` });
  },
);

/** Structural parse (no crypto): checks types, references, keys and m; every fault is named. */
export function parseRequest(bytes: Uint8Array, where = 'request'): CosignRequest {
  const r = assertValid(requestSchema, parseStrictJsonBytes(bytes, { source: where }), { source: where, lead: 'The signing request is malformed' });
  return { ...r, signatures: r.signatures.map((sg) => ({ ...sg, images: sg.images.map((e) => ({ ...e, bundle: e.bundle as BundleJson })) })) };
}

export function serializeRequest(r: CosignRequest): Uint8Array {
  return utf8(JSON.stringify(r, null, 2) + '\n');
}

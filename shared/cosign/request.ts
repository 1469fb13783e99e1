/**
 * A cosign signing request: the images (by digest), the allowed signers (public keys) and m.
 * Custodians fill it in turn, each adding one signature per image (a bundle each); `bodyDigest` pins
 * the body (kind, version, m, images, signers) and every signature records the bodyDigest it signed
 * under, so a request whose body was edited after someone signed is detected and refused.
 */
import { KeyceremonyError } from '../errors';
import { utf8 } from '../encoding/bytes';
import { parseStrictJsonBytes } from '../json';
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

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Structural parse (no crypto): checks types, references, keys and m. */
export function parseRequest(bytes: Uint8Array, where = 'request'): CosignRequest {
  const doc = parseStrictJsonBytes(bytes, { source: where });
  const bad = (msg: string, w = where): never => {
    throw new KeyceremonyError('INVALID_INPUT', `The signing request is malformed: ${msg}.`, { where: w });
  };
  if (!isObj(doc)) return bad('not a JSON object');
  if (doc['kind'] !== REQUEST_KIND) return bad(`kind must be "${REQUEST_KIND}"`, `${where}: kind`);
  if (doc['version'] !== 1) return bad('unsupported version', `${where}: version`);
  const images = doc['images'];
  if (!Array.isArray(images) || images.length === 0) return bad('images must be a non-empty list', `${where}: images`);
  images.forEach((img, i) => {
    if (typeof img !== 'string') bad('an image is not a string', `${where}: images[${i}]`);
    const ref = parseImageReference(img as string, `${where}: images[${i}]`);
    if (formatReference(ref) !== img) bad(`images[${i}] is not in canonical form ${formatReference(ref)}`, `${where}: images[${i}]`);
  });
  if (new Set(images).size !== images.length) return bad('an image is listed twice', `${where}: images`);
  const signers = doc['signers'];
  if (!Array.isArray(signers) || signers.length === 0) return bad('signers must be a non-empty list', `${where}: signers`);
  signers.forEach((s, i) => {
    if (!isObj(s) || typeof s['name'] !== 'string' || typeof s['fingerprint'] !== 'string' || typeof s['publicKey'] !== 'string') {
      bad('each signer needs name, fingerprint and publicKey', `${where}: signers[${i}]`);
    }
    parsePublicKeyPem((s as Record<string, string>)['publicKey'] as string, `${where}: signers[${i}].publicKey`);
  });
  const names = signers.map((s) => (s as RequestSigner).name);
  if (names.some((n) => !/^[A-Za-z0-9][A-Za-z0-9._ -]{0,62}$/.test(n))) return bad('signer names are 1-63 letters, digits, . _ - or spaces', `${where}: signers`);
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) return bad('two signers have the same name', `${where}: signers`);
  const fps = signers.map((s) => (s as RequestSigner).fingerprint);
  if (new Set(fps).size !== fps.length) return bad('the same key is listed twice', `${where}: signers`);
  const m = doc['m'];
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > signers.length) {
    return bad(`m must be a whole number between 1 and ${signers.length}`, `${where}: m`);
  }
  if (typeof doc['bodyDigest'] !== 'string' || !/^[0-9a-f]{64}$/.test(doc['bodyDigest'])) return bad('bodyDigest is missing', `${where}: bodyDigest`);
  const sigs = doc['signatures'];
  if (!Array.isArray(sigs)) return bad('signatures must be a list', `${where}: signatures`);
  sigs.forEach((s, i) => {
    if (!isObj(s) || typeof s['fingerprint'] !== 'string' || typeof s['bodyDigest'] !== 'string' || !Array.isArray(s['images'])) {
      bad('a signature entry needs fingerprint, bodyDigest and images', `${where}: signatures[${i}]`);
    }
    ((s as Record<string, unknown>)['images'] as unknown[]).forEach((e, j) => {
      if (!isObj(e) || typeof e['reference'] !== 'string' || typeof e['signature'] !== 'string' || !isObj(e['bundle'])) {
        bad('each signed image needs reference, signature and bundle', `${where}: signatures[${i}].images[${j}]`);
      }
    });
  });
  if (typeof doc['createdAt'] !== 'string') return bad('createdAt is missing', `${where}: createdAt`);
  return doc as unknown as CosignRequest;
}

export function serializeRequest(r: CosignRequest): Uint8Array {
  return utf8(JSON.stringify(r, null, 2) + '\n');
}

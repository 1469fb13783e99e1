/**
 * IPC area "cosign": sign images by digest, attest (SLSA provenance, SPDX, CycloneDX, a custom
 * predicate), and the m-of-n request (create, sign, status by name, export bundles and admission
 * policies) — over electron/core/cosign, as `keyceremony cosign` does.
 */
import { fileText, jobId, KeyRefSchema, PinSchema, TokenRefSchema } from '../common';
import { arr, int, label, obj, opt, record, str, type Schema } from '../schema';
import { handleId } from './files';
import type { CandidateList, SignerView } from './tuf';

/** An image reference by digest, as typed or listed (`registry/repo@sha256:…`). */
const imageRef = str({ min: 1, max: 512, what: 'an image reference by digest (name@sha256:…)' });
const pem = str({ min: 1, max: 16384, what: 'a PEM public key' });

export interface CosignRequestView {
  images: string[];
  m: number;
  n: number;
  complete: boolean;
  /** "cosign request (2 images): 1 of 2 signer keys — alice signed; bob or carol still needed" */
  line: string;
  /** "1 of 2 signatures (3 allowed signers)" as `keyceremony cosign status` prints it. */
  status: string;
  signers: (SignerView & { signedAt?: string })[];
  createdAt: string;
  bodyDigest: string;
}

export const cosignChannels = {
  /** Check a pasted or opened list of references: by digest only, one per line, no duplicates. */
  'kc:cosign.images': obj({ text: str({ max: 4 * 1024 * 1024 }) }),
  /** Keys on the inserted token that can sign (no PIN); with a request, only the keys it allows. */
  'kc:cosign.candidates': obj({ token: TokenRefSchema, requestText: opt(fileText) }),
  /** Sign images; the signature folder (as `cosign sign --out`) is written into a chosen folder. */
  'kc:cosign.sign': obj({
    jobId: opt(jobId),
    images: arr(imageRef, { min: 1, max: 10000 }),
    annotations: opt(record(str({ max: 1024 }), 32)),
    token: TokenRefSchema,
    key: KeyRefSchema,
    pin: PinSchema,
    folderId: handleId,
  }),
  /** A file (blob) signed as `cosign sign-blob` would: signature, bundle, key, into a chosen folder. */
  'kc:cosign.signBlob': obj({ fileId: handleId, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema, folderId: handleId }),
  /** An attestation (DSSE bundle over an in-toto statement) over images and/or picked artifact files. */
  'kc:cosign.attest': obj({
    images: arr(imageRef, { max: 1000 }),
    artifacts: arr(handleId, { max: 100 }),
    predicate: fileText,
    /** slsaprovenance1 | spdxjson | cyclonedx | a predicate type URI (custom); absent = detected. */
    type: opt(str({ min: 1, max: 512 })),
    token: TokenRefSchema,
    key: KeyRefSchema,
    pin: PinSchema,
  }),
  'kc:cosign.request.create': obj({
    images: arr(imageRef, { min: 1, max: 10000 }),
    signers: arr(obj({ name: label(63), publicKeyPem: pem }), { min: 1, max: 64 }),
    m: int({ min: 1, max: 64 }),
  }),
  'kc:cosign.request.open': obj({ text: fileText }),
  'kc:cosign.request.sign': obj({ jobId: opt(jobId), text: fileText, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema }),
  /** A complete request's bundles, signatures, keys and policies, as a new folder in a chosen folder. */
  'kc:cosign.request.export': obj({
    text: fileText,
    folderId: handleId,
    name: opt(str({ min: 1, max: 63, pattern: /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, what: 'a policy name (lower-case, digits, -)' })),
  }),
} as const satisfies Record<string, Schema<unknown>>;

export interface CosignResponses {
  'kc:cosign.images': { images: string[] };
  'kc:cosign.candidates': CandidateList;
  'kc:cosign.sign': { folder: string; count: number; fingerprint: string; files: number };
  'kc:cosign.signBlob': { folder: string; name: string; fingerprint: string };
  'kc:cosign.attest': { suggestedName: string; text: string; kind: string; predicateType: string; subjects: number };
  'kc:cosign.request.create': { text: string; view: CosignRequestView };
  'kc:cosign.request.open': CosignRequestView;
  'kc:cosign.request.sign': { text: string; view: CosignRequestView };
  'kc:cosign.request.export': { folder: string; files: string[] };
}

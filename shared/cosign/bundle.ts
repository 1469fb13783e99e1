/**
 * Sigstore bundle v0.3 (`sigstore/protobuf-specs` `protos/sigstore_bundle.proto`, JSON mapping),
 * key-based: `verificationMaterial.publicKey.hint` = lower-case hex SHA-256 of the DER SPKI, no
 * transparency-log entry, no timestamp. Content is either a `messageSignature` (messageDigest +
 * signature over the artifact) or a `dsseEnvelope` with exactly one signature ("a client MUST
 * reject an envelope if the number of signatures is not equal to one") — so m-of-n means one bundle
 * per signer. Parsing also accepts the legacy media types `application/vnd.dev.sigstore.bundle+json;version=0.1|0.2|0.3`.
 */
import { toBase64 } from '../encoding/bytes';
import { parseStrictJsonBytes } from '../json';
import { arr, assertValid, base64Bytes, obj, oneOf, opt, refine, str, unknownValue } from '../schema';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
const LEGACY_MEDIA_TYPES = [
  BUNDLE_V01_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
];

export type HashAlgorithmName = 'SHA2_256' | 'SHA2_384' | 'SHA2_512';

export interface MessageSignatureJson {
  messageDigest: { algorithm: HashAlgorithmName; digest: string };
  signature: string;
}
export interface DsseEnvelopeJson {
  payload: string;
  payloadType: string;
  signatures: { sig: string; keyid: string }[];
}
export interface BundleJson {
  mediaType: string;
  verificationMaterial: {
    publicKey?: { hint: string };
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    tlogEntries?: unknown[];
    timestampVerificationData?: { rfc3161Timestamps?: unknown[] };
  };
  messageSignature?: MessageSignatureJson;
  dsseEnvelope?: DsseEnvelopeJson;
}

function material(hint: string): BundleJson['verificationMaterial'] {
  return { publicKey: { hint }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } };
}

export function messageSignatureBundle(opts: { hint: string; digestAlgorithm: HashAlgorithmName; digest: Uint8Array; signature: Uint8Array }): BundleJson {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: material(opts.hint),
    messageSignature: {
      messageDigest: { algorithm: opts.digestAlgorithm, digest: toBase64(opts.digest) },
      signature: toBase64(opts.signature),
    },
  };
}

export function dsseBundle(opts: { hint: string; payloadType: string; payload: Uint8Array; signature: Uint8Array }): BundleJson {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: material(opts.hint),
    dsseEnvelope: {
      payload: toBase64(opts.payload),
      payloadType: opts.payloadType,
      signatures: [{ sig: toBase64(opts.signature), keyid: opts.hint }],
    },
  };
}

/** Bytes of a bundle file as we write it: two-space indented JSON plus a newline. */
export function serializeBundle(b: BundleJson): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(b, null, 2) + '\n');
}

export interface ParsedBundle {
  json: BundleJson;
  hint?: string;
  hasCertificate: boolean;
  /** DER of the signing certificate (v0.3 `certificate`, or the first of a v0.1/v0.2 chain). */
  leafCertificate?: Uint8Array;
  tlogEntries: number;
  content:
    | { kind: 'messageSignature'; digestAlgorithm: HashAlgorithmName; digest: Uint8Array; signature: Uint8Array }
    | { kind: 'dsse'; payloadType: string; payload: Uint8Array; signature: Uint8Array; keyid: string };
}

const keep = { unknown: 'keep' } as const;
const rawBytes = obj({ rawBytes: base64Bytes() }, keep);
const HASH_ALGORITHMS = ['SHA2_256', 'SHA2_384', 'SHA2_512'] as const;

/**
 * The bundle as we read it (protobuf-specs JSON mapping). Members we do not use are kept, not refused:
 * other Sigstore clients add fields, and `ParsedBundle.json` is the document as given.
 */
const bundleSchema = refine(
  obj(
    {
      mediaType: oneOf([BUNDLE_V03_MEDIA_TYPE, ...LEGACY_MEDIA_TYPES]),
      verificationMaterial: obj(
        {
          publicKey: opt(obj({ hint: opt(str({ max: 1024 })) }, keep)),
          certificate: opt(rawBytes),
          x509CertificateChain: opt(obj({ certificates: arr(rawBytes, { min: 1 }) }, keep)),
          tlogEntries: opt(arr(unknownValue, { max: 10_000 })),
        },
        keep,
      ),
      messageSignature: opt(obj({ messageDigest: obj({ algorithm: oneOf(HASH_ALGORITHMS), digest: base64Bytes() }, keep), signature: base64Bytes() }, keep)),
      dsseEnvelope: opt(
        refine(
          obj(
            { payload: base64Bytes(), payloadType: str({ max: 1024 }), signatures: arr(obj({ sig: base64Bytes(), keyid: opt(str({ max: 1024 })) }, keep)) },
            keep,
          ),
          (env, where, faults) => {
            if (env.signatures.length !== 1) {
              faults.push({
                path: `${where}.signatures`,
                message: `a DSSE envelope in a bundle must carry exactly one signature, this one has ${env.signatures.length}`,
              });
            }
          },
        ),
      ),
    },
    keep,
  ),
  (b, where, faults) => {
    if ((b.messageSignature === undefined) === (b.dsseEnvelope === undefined))
      faults.push({ path: where, message: 'it must hold exactly one of messageSignature and dsseEnvelope' });
  },
);

/** Parse and structurally validate a bundle (bytes or already-parsed JSON); every fault is named. */
export function parseBundle(input: Uint8Array | unknown, where = 'bundle'): ParsedBundle {
  const doc: unknown = input instanceof Uint8Array ? parseStrictJsonBytes(input, { source: where }) : input;
  const b = assertValid(bundleSchema, doc, { source: where, lead: 'Not a usable Sigstore bundle', code: 'UNSUPPORTED_FORMAT' });
  const vm = b.verificationMaterial;
  const leafCertificate = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes;
  let content: ParsedBundle['content'];
  if (b.messageSignature) {
    const ms = b.messageSignature;
    content = { kind: 'messageSignature', digestAlgorithm: ms.messageDigest.algorithm, digest: ms.messageDigest.digest, signature: ms.signature };
  } else {
    const env = b.dsseEnvelope!;
    const s0 = env.signatures[0]!;
    content = { kind: 'dsse', payloadType: env.payloadType, payload: env.payload, signature: s0.sig, keyid: s0.keyid ?? '' };
  }
  // `json` is the document as given (checked above), so what we write back is what we read.
  const out: ParsedBundle = {
    json: doc as BundleJson,
    hasCertificate: vm.certificate !== undefined || vm.x509CertificateChain !== undefined,
    tlogEntries: vm.tlogEntries?.length ?? 0,
    content,
  };
  if (leafCertificate) out.leafCertificate = leafCertificate;
  if (vm.publicKey?.hint !== undefined) out.hint = vm.publicKey.hint;
  return out;
}

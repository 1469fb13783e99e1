/**
 * cosign signing through the injected Signer: image signatures (simple-signing payload, base64 DER
 * ECDSA / RSA PKCS#1 v1.5 / Ed25519 signature, plus a key-based bundle v0.3 over the payload),
 * blobs and payloads made elsewhere (messageSignature bundle), and attestations (DSSE bundle over an
 * in-toto statement). Batches go through `signAll` (progress + cancel).
 */
import type { Signer } from '../signer';
import { signAll } from '../signer';
import { KeyceremonyError } from '../../../shared/errors';
import { sha256, sha256Hex, sha384 } from '../../../shared/crypto/webcrypto';
import { bytesEqual } from '../../../shared/encoding/bytes';
import { formatReference, type ImageReference } from '../../../shared/cosign/reference';
import { parseSimpleSigningPayload, simpleSigningPayload } from '../../../shared/cosign/simple-signing';
import { dsseBundle, messageSignatureBundle, type BundleJson } from '../../../shared/cosign/bundle';
import { IN_TOTO_PAYLOAD_TYPE, pae } from '../../../shared/dsse';
import { statementBytes, type Statement } from '../../../shared/cosign/intoto';
import { assertCosignAlgorithm, digestAlgorithmFor, publicKeyPem } from '../../../shared/cosign/keys';

export interface BatchOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * Synchronous SHA-256/384 for the bundles' messageDigest, injected by the caller (the CLI passes
   * node:crypto's); default WebCrypto. Output is checked against WebCrypto on the first item.
   */
  hash?: (alg: 'sha256' | 'sha384', data: Uint8Array) => Uint8Array;
}

export interface ImageSignature {
  /** `name@sha256:...` */
  reference: string;
  payload: Uint8Array;
  /** base64 of the DER signature: the value of the `dev.cosignproject.cosign/signature` annotation. */
  signatureB64: string;
  signature: Uint8Array;
  bundle: BundleJson;
}

/** lower-case hex SHA-256 of the signer's SPKI: the bundle `publicKey.hint`. */
export async function keyHint(signer: Signer): Promise<string> {
  return sha256Hex(signer.publicKeySpki);
}

async function digestFor(signer: Signer, data: Uint8Array): Promise<Uint8Array> {
  return digestAlgorithmFor(signer.algorithm) === 'SHA2_384' ? sha384(data) : sha256(data);
}

function checkSigner(signer: Signer): void {
  assertCosignAlgorithm(signer.algorithm, signer.description);
}

/** Sign one or many images by digest. Order of results = order of `refs`. */
export async function signImages(
  signer: Signer,
  refs: readonly ImageReference[],
  opts: BatchOptions & { annotations?: Record<string, string> } = {},
): Promise<ImageSignature[]> {
  checkSigner(signer);
  if (refs.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'No images to sign.', { where: 'images' });
  const payloads = refs.map((r) => simpleSigningPayload(r, opts.annotations));
  return signPayloadsInternal(signer, payloads, refs.map(formatReference), opts);
}

/** Sign simple-signing payloads produced elsewhere (checked to be cosign payloads, signed byte for byte). */
export async function signPayloads(signer: Signer, payloads: readonly Uint8Array[], opts: BatchOptions = {}): Promise<ImageSignature[]> {
  checkSigner(signer);
  const names = payloads.map((p, i) => {
    const c = parseSimpleSigningPayload(p, `payload ${i + 1}`);
    return `${c.dockerReference}@${c.manifestDigest}`;
  });
  return signPayloadsInternal(signer, payloads, names, opts);
}

async function signPayloadsInternal(signer: Signer, payloads: readonly Uint8Array[], names: string[], opts: BatchOptions): Promise<ImageSignature[]> {
  const hint = await keyHint(signer);
  const digestAlgorithm = digestAlgorithmFor(signer.algorithm);
  const alg = digestAlgorithm === 'SHA2_384' ? 'sha384' : 'sha256';
  const inject = opts.hash;
  if (inject) {
    const first = payloads[0] as Uint8Array;
    if (!bytesEqual(inject(alg, first), await digestFor(signer, first))) {
      throw new KeyceremonyError('INTERNAL', 'The injected hash function disagrees with WebCrypto.', { where: 'hash' });
    }
  }
  // The bundles' messageDigest: the digest the signer hashed each payload to before the token signed
  // it, when it hands it back (a token signer hashing on the host does), else hashed here. A handed
  // digest is bound to its payload: the signer verified each signature over the payload itself, and
  // that signature was made over the handed digest. The first is also checked against WebCrypto.
  const handed: (Uint8Array | undefined)[] = new Array(payloads.length);
  const { signal, onProgress } = opts;
  const sigs = await signAll(signer, payloads, {
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    digests: { algorithm: alg, out: handed },
  });
  if (handed[0] && !bytesEqual(handed[0], await digestFor(signer, payloads[0] as Uint8Array))) {
    throw new KeyceremonyError('INTERNAL', "The signer's digest of the first payload disagrees with WebCrypto.", { where: 'hash' });
  }
  const ds = handed;
  for (let i = 0; i < payloads.length; i++)
    if (!ds[i]) ds[i] = inject ? inject(alg, payloads[i] as Uint8Array) : await digestFor(signer, payloads[i] as Uint8Array);
  return payloads.map((payload, i) => {
    const signature = sigs[i] as Uint8Array;
    const bundle = messageSignatureBundle({ hint, digestAlgorithm, digest: ds[i] as Uint8Array, signature });
    // The annotation value cosign stores is the same base64 as the bundle's signature.
    return { reference: names[i] as string, payload, signature, signatureB64: bundle.messageSignature!.signature, bundle };
  });
}

/** Sign a blob (cosign sign-blob equivalent): a messageSignature bundle. */
export async function signBlob(signer: Signer, data: Uint8Array): Promise<{ signature: Uint8Array; bundle: BundleJson }> {
  checkSigner(signer);
  const hint = await keyHint(signer);
  const [signature, digest] = await Promise.all([signer.sign(data), digestFor(signer, data)]);
  return {
    signature,
    bundle: messageSignatureBundle({ hint, digestAlgorithm: digestAlgorithmFor(signer.algorithm), digest, signature }),
  };
}

/** Sign an in-toto statement as a DSSE envelope in a bundle (one signature, this signer's). */
export async function attest(signer: Signer, statement: Statement): Promise<{ bundle: BundleJson; payload: Uint8Array; signature: Uint8Array }> {
  checkSigner(signer);
  const payload = statementBytes(statement);
  const hint = await keyHint(signer);
  const signature = await signer.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload));
  return { bundle: dsseBundle({ hint, payloadType: IN_TOTO_PAYLOAD_TYPE, payload, signature }), payload, signature };
}

export function signerPublicKeyPem(signer: Signer): string {
  return publicKeyPem(signer.publicKeySpki);
}

/**
 * Independent check with sigstore-js (@sigstore/verify low-level Verifier): trust material holding
 * only our public key, no transparency log, no CT log, no timestamp (../shared/peers/README.md §4).
 * Throws on failure, like the Verifier.
 */
import { createRequire } from 'node:module';
import { parseSpki } from '../../shared/crypto/spki';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle') as typeof import('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify') as typeof import('@sigstore/verify');
const { PublicKeyDetails } = require('@sigstore/protobuf-specs') as typeof import('@sigstore/protobuf-specs');

function details(spki: Uint8Array): number {
  const info = parseSpki(spki);
  switch (info.algorithm) {
    case 'ecdsa-p256':
      return PublicKeyDetails.PKIX_ECDSA_P256_SHA_256;
    case 'ecdsa-p384':
      return PublicKeyDetails.PKIX_ECDSA_P384_SHA_384;
    case 'ed25519':
      return PublicKeyDetails.PKIX_ED25519;
    case 'rsa':
      return info.bits >= 4096
        ? PublicKeyDetails.PKIX_RSA_PKCS1V15_4096_SHA256
        : info.bits >= 3072
          ? PublicKeyDetails.PKIX_RSA_PKCS1V15_3072_SHA256
          : PublicKeyDetails.PKIX_RSA_PKCS1V15_2048_SHA256;
    default:
      throw new Error('unsupported key');
  }
}

/** Verify `bundleJson` with sigstore-js; `artifact` for messageSignature bundles, omitted for DSSE. */
export function sigstoreJsVerify(bundleJson: unknown, hint: string, spki: Uint8Array, artifact?: Uint8Array): void {
  const trust = toTrustMaterial(
    { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] } as never,
    { [hint]: { rawBytes: Buffer.from(spki), keyDetails: details(spki), validFor: { start: new Date(0) } } } as never,
  );
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  const bundle = bundleFromJSON(bundleJson);
  verifier.verify(toSignedEntity(bundle, artifact ? Buffer.from(artifact) : undefined));
}

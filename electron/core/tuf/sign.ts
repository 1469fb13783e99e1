/**
 * Signing TUF metadata through the injected Signer (spec #metaformat: signatures cover the canonical
 * JSON of "signed"). Signatures are hex: ECDSA DER (as the Signer returns it), Ed25519 raw, RSA-PSS raw.
 */
import type { Signer } from '../signer';
import { KeyceremonyError } from '../../../shared/errors';
import { canonicalBytes } from '../../../shared/json/canonical';
import { toHex, utf8 } from '../../../shared/encoding/bytes';
import { computeKeyId, keyFromSpki, type TufKeyJSON } from '../../../shared/tuf/keys';
import type { TufSignature } from '../../../shared/tuf/models';
import { sortedJson } from './serialize';

/** The TUF key object and key id for a signer (id always computed: spec KEYID). */
export async function signerKey(signer: Signer): Promise<{ keyid: string; key: TufKeyJSON }> {
  const key = keyFromSpki(signer.keyType, signer.publicKeySpki, signer.algorithm);
  return { keyid: await computeKeyId(key), key };
}

export async function signSigned(signed: object, signers: readonly Signer[]): Promise<TufSignature[]> {
  const bytes = canonicalBytes(signed, '$.signed');
  const out: TufSignature[] = [];
  for (const s of signers) {
    const { keyid } = await signerKey(s);
    if (out.some((x) => x.keyid === keyid)) continue;
    const sig = await s.sign(bytes);
    out.push({ keyid, sig: toHex(sig) });
  }
  return out;
}

/** File bytes of a metadata envelope: JSON with keys sorted and 1-space indent, like python-tuf writes. */
export function envelopeBytes(signed: object, signatures: readonly TufSignature[]): Uint8Array {
  return utf8(sortedJson({ signatures, signed }));
}

export async function signEnvelope(signed: object, signers: readonly Signer[]): Promise<Uint8Array> {
  if (signers.length === 0) throw new KeyceremonyError('PRECONDITION_FAILED', 'no signer given');
  return envelopeBytes(signed, await signSigned(signed, signers));
}

/**
 * Signing TUF metadata through the injected Signer (spec #metaformat: signatures cover the canonical
 * JSON of "signed"). Signatures are hex: ECDSA DER (as the Signer returns it), Ed25519 raw, RSA-PSS raw.
 */
import type { Signer } from '../signer';
import { KeyceremonyError } from '../../../shared/errors';
import { canonicalize } from '../../../shared/json/canonical';
import { toHex, utf8 } from '../../../shared/encoding/bytes';
import { computeKeyId, keyFromSpki, type TufKeyJSON } from '../../../shared/tuf/keys';
import type { TufSignature } from '../../../shared/tuf/models';
import { sortedJson } from './serialize';

/** The TUF key object and key id for a signer (id always computed: spec KEYID). */
export async function signerKey(signer: Signer): Promise<{ keyid: string; key: TufKeyJSON }> {
  const key = keyFromSpki(signer.keyType, signer.publicKeySpki, signer.algorithm);
  return { keyid: await computeKeyId(key), key };
}

export async function signSigned(signed: object, signers: readonly Signer[], canonical?: string): Promise<TufSignature[]> {
  const bytes = utf8(canonical ?? canonicalize(signed, '$.signed'));
  const out: TufSignature[] = [];
  for (const s of signers) {
    const { keyid } = await signerKey(s);
    if (out.some((x) => x.keyid === keyid)) continue;
    const sig = await s.sign(bytes);
    out.push({ keyid, sig: toHex(sig) });
  }
  return out;
}

/** Metadata whose canonical form is larger than this is written compactly (canonical JSON). */
export const COMPACT_OVER = 256 * 1024;
const CONTROL = /[\u0000-\u001f]/;

/**
 * File bytes of a metadata envelope: keys sorted and 1-space indent like python-tuf writes; big files
 * (large targets) are written as compact canonical JSON, which is valid JSON unless a string holds a
 * control character (then the indented form is used).
 */
export function envelopeBytes(signed: object, signatures: readonly TufSignature[], canonical?: string): Uint8Array {
  const c = canonical ?? (JSON.stringify(signed).length > COMPACT_OVER ? canonicalize(signed, '$.signed') : undefined);
  if (c !== undefined && c.length > COMPACT_OVER && !CONTROL.test(c)) {
    return utf8('{"signatures":' + canonicalize(signatures) + ',"signed":' + c + '}\n');
  }
  return utf8(sortedJson({ signatures, signed }));
}

export async function signEnvelope(signed: object, signers: readonly Signer[]): Promise<Uint8Array> {
  if (signers.length === 0) throw new KeyceremonyError('PRECONDITION_FAILED', 'no signer given');
  const c = canonicalize(signed, '$.signed');
  return envelopeBytes(signed, await signSigned(signed, signers, c), c);
}

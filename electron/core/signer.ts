import type { KeyType, SignatureAlgorithm } from '../../shared/crypto/algorithms';
import { KeyceremonyError } from '../../shared/errors';

/**
 * The one way the core signs: an injected Signer. The token adapter implements it over PKCS#11; a
 * software signer exists only for pure unit tests (test/helpers/software-signer.ts).
 *
 * Contract:
 * - `sign(data)` signs the whole message (the signer hashes as its algorithm says) and returns the
 *   signature in its standard encoding: ECDSA as ASN.1 DER, Ed25519 raw 64 bytes, RSA raw.
 * - A signer verifies every signature with its public key before returning it, and throws
 *   KeyceremonyError('SIGNATURE_SELF_CHECK_FAILED') if that fails.
 * - `signMany` is the batch form (same guarantees, in order); implementations may pipeline.
 */
export interface Signer {
  /** SHA-256 (hex) of the DER SubjectPublicKeyInfo: the key's fingerprint. */
  readonly fingerprint: string;
  readonly keyType: KeyType;
  readonly algorithm: SignatureAlgorithm;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
  /** Human description for transcripts: token label/serial and key label/id, never secrets. */
  readonly description: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
  signMany?(items: readonly Uint8Array[], opts?: BatchSignOptions): Promise<Uint8Array[]>;
}

export interface BatchSignOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * A signer that hashes each item on the host with `algorithm` before the token signs it may leave
   * that digest in `out[i]` (a caller that needs the digest too, like a cosign bundle's
   * messageDigest, then does not hash the item again). Items it did not hash stay undefined.
   */
  digests?: { algorithm: 'sha256' | 'sha384'; out: (Uint8Array | undefined)[] };
}

/** Sign a batch with `signMany` if the signer has it, one by one otherwise. */
export async function signAll(signer: Signer, items: readonly Uint8Array[], opts: BatchSignOptions = {}): Promise<Uint8Array[]> {
  if (signer.signMany) return signer.signMany(items, opts);
  const out: Uint8Array[] = [];
  for (const it of items) {
    if (opts.signal?.aborted) {
      // The reason is thrown as is only when it carries a code (the CLI aborts with one); a bare abort() is CANCELLED.
      if (opts.signal.reason instanceof KeyceremonyError) throw opts.signal.reason;
      throw new KeyceremonyError('CANCELLED', `Batch signing cancelled after ${out.length} of ${items.length} signatures; nothing was returned.`);
    }
    out.push(await signer.sign(it));
    opts.onProgress?.(out.length, items.length);
  }
  return out;
}

/**
 * A Signer over a token key. Hashes on the host (SoftHSM 2.6 has no CKM_ECDSA_SHA256; hashing on the
 * host works with every token), signs on the token, converts ECDSA raw r||s to DER, and verifies every
 * signature with the public key before returning it.
 */
import { createPublicKey, hash as oneShotHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { BatchSignOptions, Signer } from '../../core/signer';
import type { KeyType, SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { rawToDer } from '../../../shared/crypto/ecdsa';
import { KeyceremonyError } from '../../../shared/errors';
import { CKM_EDDSA } from './constants';
import { mapPkcs11Error, rvOf } from './errors';
import { BatchVerifier } from './verify-worker';
import type { Handle, TokenInfo, TokenKey } from './types';

// DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1), for CKM_RSA_PKCS over a host-side hash.
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

// One mechanism object per algorithm, made once (a batch signs thousands of times with it).
const MECH_ECDSA: pkcs11js.Mechanism = { mechanism: pkcs11js.CKM_ECDSA };
const MECH_EDDSA: pkcs11js.Mechanism = { mechanism: CKM_EDDSA };
const MECH_RSA_PKCS: pkcs11js.Mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS };
const MECH_RSA_PSS: pkcs11js.Mechanism = {
  mechanism: pkcs11js.CKM_RSA_PKCS_PSS,
  parameter: { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 } as pkcs11js.IParams,
};

/** SHA-256/384 of one message in one native call (node:crypto's one-shot hash: no Hash object per message). */
const digestOf = (alg: 'sha256' | 'sha384', data: Uint8Array): Buffer => oneShotHash(alg, data, 'buffer');

/**
 * node:crypto sign/verify parameters for a signature algorithm, with signatures in the Signer's
 * encoding (ECDSA DER, Ed25519 raw, RSA raw): [hash, options].
 */
export function nodeSignatureParams(alg: SignatureAlgorithm): [string | null, Record<string, unknown>] {
  switch (alg) {
    case 'ecdsa-p256-sha256':
    case 'ecdsa-p384-sha256':
      return ['sha256', { dsaEncoding: 'der' }];
    case 'ecdsa-p384-sha384':
      return ['sha384', { dsaEncoding: 'der' }];
    case 'ed25519':
      return [null, {}];
    case 'rsa-pss-sha256':
      return ['sha256', { padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }];
    case 'rsa-pkcs1-sha256':
      return ['sha256', { padding: 1 /* RSA_PKCS1_PADDING */ }];
  }
}

/** The context-specific login a CKA_ALWAYS_AUTHENTICATE key needs after each C_SignInit. */
export interface ContextAuth {
  /** Whether this key needs it (the key's flag, as the token's profile reads it). */
  needed: boolean;
  pin: () => Promise<Uint8Array | undefined>;
  login: (pin: Uint8Array | undefined) => void;
  /** Called before each signature when the device waits for the user's touch (YubiKey touch policy). */
  presence?: () => void | Promise<void>;
  /** The token profile's sentence for a refusal this module is known for. */
  explain?: (rv: number) => string | undefined;
}

export class TokenSigner implements Signer {
  readonly fingerprint: string;
  readonly keyType: KeyType;
  readonly publicKeySpki: Uint8Array;
  readonly description: string;
  private readonly pub: KeyObject;
  private readonly mech: pkcs11js.Mechanism;
  private readonly ecdsa: boolean;
  /** The hash this signer applies on the host before C_Sign (undefined: Ed25519, RSA PKCS#1). */
  private readonly digestAlg: 'sha256' | 'sha384' | undefined;
  /** C_Sign's output buffer, reused: rawToDer / the copy below take the signature out of it. */
  private readonly out: Buffer;

  constructor(
    private readonly lib: pkcs11js.PKCS11,
    private readonly session: Handle,
    readonly key: TokenKey,
    readonly algorithm: SignatureAlgorithm,
    private readonly token: TokenInfo,
    private readonly auth: ContextAuth,
  ) {
    this.fingerprint = key.fingerprint;
    this.keyType = key.keyType;
    this.publicKeySpki = key.publicKeySpki;
    this.description = `token "${token.label}" (serial ${token.serial}), key "${key.label}" id ${key.idHex}`;
    this.pub = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
    const rsaBytes = key.keyType === 'rsa-4096' ? 512 : 384;
    this.out = Buffer.alloc(key.keyType === 'ecdsa-p256' ? 64 : key.keyType === 'ecdsa-p384' ? 96 : key.keyType === 'ed25519' ? 64 : rsaBytes);
    this.mech = this.mechanism();
    this.ecdsa = algorithm.startsWith('ecdsa');
    this.digestAlg = this.hostDigest();
  }

  /** The mechanism for this algorithm (one object per algorithm, made once). */
  private mechanism(): pkcs11js.Mechanism {
    switch (this.algorithm) {
      case 'ecdsa-p256-sha256':
      case 'ecdsa-p384-sha256':
      case 'ecdsa-p384-sha384':
        return MECH_ECDSA;
      case 'ed25519':
        return MECH_EDDSA;
      case 'rsa-pss-sha256':
        return MECH_RSA_PSS;
      case 'rsa-pkcs1-sha256':
        return MECH_RSA_PKCS;
    }
  }

  /** The host-side hash for this algorithm: the digest C_Sign receives (RSA PKCS#1: after the DigestInfo prefix). */
  private hostDigest(): 'sha256' | 'sha384' | undefined {
    switch (this.algorithm) {
      case 'ecdsa-p256-sha256':
      case 'ecdsa-p384-sha256':
      case 'rsa-pss-sha256':
        return 'sha256';
      case 'ecdsa-p384-sha384':
        return 'sha384';
      default:
        return undefined; // Ed25519 signs the message itself; RSA PKCS#1 signs a DigestInfo
    }
  }

  /** The bytes handed to C_Sign for one message. */
  private input(data: Uint8Array): Buffer {
    if (this.digestAlg) return digestOf(this.digestAlg, data);
    if (this.algorithm === 'rsa-pkcs1-sha256') return Buffer.concat([SHA256_DIGEST_INFO, digestOf('sha256', data)]);
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength); // Ed25519: the message itself
  }

  private verifyParams(): [string | null, Record<string, unknown>] {
    return nodeSignatureParams(this.algorithm);
  }

  private signOnToken(data: Uint8Array, ctxPin?: Uint8Array, digestOut?: (Uint8Array | undefined)[], index = 0): Uint8Array {
    const input = this.input(data);
    if (digestOut) digestOut[index] = input;
    let raw: Buffer;
    try {
      this.lib.C_SignInit(this.session, this.mech, this.key.privateHandle);
      if (this.auth.needed) this.auth.login(ctxPin);
      // C_Sign writes into this signer's one output buffer; the signature is copied out below.
      raw = this.lib.C_Sign(this.session, input, this.out);
    } catch (e) {
      if (e instanceof KeyceremonyError) throw e; // the context-specific login's own error
      const err = mapPkcs11Error(e, `signing with ${this.description}`, { token: this.token.label, serial: this.token.serial });
      const rv = rvOf(e);
      const note = rv === undefined ? undefined : this.auth.explain?.(rv);
      throw note ? new KeyceremonyError(err.code, `${err.message} ${note}`, { cause: e, ...(err.details ? { details: err.details } : {}) }) : err;
    }
    return this.ecdsa ? rawToDer(raw) : new Uint8Array(raw);
  }

  private selfCheckFailed(): KeyceremonyError {
    return new KeyceremonyError(
      'SIGNATURE_SELF_CHECK_FAILED',
      `The signature made by ${this.description} does not verify with its public key. Nothing was written. The token or key may be faulty; do not use it for this ceremony.`,
    );
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const pin = this.auth.needed ? await this.auth.pin() : undefined;
    await this.auth.presence?.();
    const sig = this.signOnToken(data, pin);
    const [hash, opts] = this.verifyParams();
    if (!nodeVerify(hash, data, { key: this.pub, ...opts } as never, sig)) throw this.selfCheckFailed();
    return sig;
  }

  /**
   * Batch signing. The token makes the signatures one by one on this thread while a worker thread
   * verifies them in chunks on the other core (verify-worker.ts, through shared memory); when the
   * token is done, this thread verifies the chunks the worker has not reached. Between two signatures
   * a cancel (`signal`) stops the batch; the event loop gets a turn at least every 4 ms, so a cancel
   * and the progress reach the person at once. Nothing is returned until every signature has verified.
   */
  async signMany(items: readonly Uint8Array[], opts: BatchSignOptions = {}): Promise<Uint8Array[]> {
    const total = items.length;
    const out: Uint8Array[] = new Array(total);
    let done = 0;
    const [hash, options] = this.verifyParams();
    const digestOut = opts.digests && opts.digests.algorithm === this.digestAlg ? opts.digests.out : undefined;
    // Progress is reported signature by signature (callers count deciles or throttle themselves).
    const onProgress = opts.onProgress;
    const batch = new BatchVerifier(this.publicKeySpki, { hash, options }, items, {
      // DER adds at most 8 bytes to an ECDSA r||s (RSA and Ed25519 signatures are the output's size)
      maxSignatureBytes: this.out.length + (this.ecdsa ? 8 : 0),
      onVerified: (n) => {
        for (let k = 0; k < n; k++) {
          done++;
          onProgress?.(done, total);
        }
      },
    });
    try {
      let chunkStart = performance.now();
      let turnAt = chunkStart;
      for (let i = 0; i < total; i++) {
        if (opts.signal?.aborted || batch.anyFailed) break;
        const data = items[i] as Uint8Array;
        // No await per signature unless the key needs a PIN or a touch for each one.
        const pin = this.auth.needed ? await this.auth.pin() : undefined;
        if (this.auth.presence) await this.auth.presence();
        const sig = this.signOnToken(data, pin, digestOut, i);
        out[i] = sig;
        batch.add(sig);
        if (batch.buffered >= CHUNK || performance.now() - chunkStart >= CHUNK_MS) {
          batch.flush();
          chunkStart = performance.now();
          if (chunkStart - turnAt >= TURN_MS) {
            await turn();
            batch.poll();
            turnAt = chunkStart = performance.now();
          }
        }
      }
      if (opts.signal?.aborted) {
        if (opts.signal.reason instanceof KeyceremonyError) throw opts.signal.reason;
        throw new KeyceremonyError('CANCELLED', `Batch signing cancelled after ${done} of ${total} signatures; nothing was returned.`, {
          details: { done, total },
        });
      }
      if (!(await batch.finish())) throw this.selfCheckFailed();
      return out;
    } finally {
      batch.close();
    }
  }
}

/** Signatures per chunk handed to the verifying worker, and the longest wait before a partial chunk goes. */
const CHUNK = 16;
const CHUNK_MS = 2;
/** The longest the event loop waits during a batch (IPC, a cancel, progress events). */
const TURN_MS = 4;

/** One turn of the event loop (IPC, a cancel; the worker's verdicts are read after it). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A software Signer (node:crypto keys) for the pure tier's unit tests of electron/core, and for
 * making fixtures other tiers read (e.g. the TUF metadata test/ui/verify-pinned.test.ts verifies):
 * never the signer under test in the token, peers or UI tiers, which sign on real PKCS#11 tokens
 * (the developers' guide, ARCHITECTURE.md "Signer"). Never imported by electron/ or shared/.
 */
import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { Signer } from '../../electron/core/signer';
import { defaultSignatureAlgorithm, type KeyType, type SignatureAlgorithm } from '../../shared/crypto/algorithms';
import { KeyceremonyError } from '../../shared/errors';
import { nodeSignatureParams } from '../../electron/adapters/pkcs11/signer';

export class SoftwareSigner implements Signer {
  readonly fingerprint: string;
  readonly publicKeySpki: Uint8Array;
  readonly description: string;
  readonly algorithm: SignatureAlgorithm;

  constructor(
    readonly keyType: KeyType,
    readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
    algorithm?: SignatureAlgorithm,
    name = 'software test key',
  ) {
    this.algorithm = algorithm ?? defaultSignatureAlgorithm(keyType);
    this.publicKeySpki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    this.fingerprint = createHash('sha256').update(this.publicKeySpki).digest('hex');
    this.description = name;
  }

  static generate(keyType: KeyType = 'ecdsa-p256', algorithm?: SignatureAlgorithm, name?: string): SoftwareSigner {
    let kp: { privateKey: KeyObject; publicKey: KeyObject };
    switch (keyType) {
      case 'ecdsa-p256':
        kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        break;
      case 'ecdsa-p384':
        kp = generateKeyPairSync('ec', { namedCurve: 'P-384' });
        break;
      case 'ed25519':
        kp = generateKeyPairSync('ed25519');
        break;
      case 'rsa-3072':
        kp = generateKeyPairSync('rsa', { modulusLength: 3072 });
        break;
      case 'rsa-4096':
        kp = generateKeyPairSync('rsa', { modulusLength: 4096 });
        break;
    }
    return new SoftwareSigner(keyType, kp.privateKey, kp.publicKey, algorithm, name);
  }

  private params(): [string | null, object] {
    return nodeSignatureParams(this.algorithm);
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const [hash, opts] = this.params();
    const sig = nodeSign(hash, data, { key: this.privateKey, ...opts });
    if (!nodeVerify(hash, data, { key: this.publicKey, ...opts }, sig)) {
      throw new KeyceremonyError('SIGNATURE_SELF_CHECK_FAILED', 'software signature did not verify');
    }
    return new Uint8Array(sig);
  }
}

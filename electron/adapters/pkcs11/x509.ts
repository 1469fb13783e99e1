/**
 * Self-signed X.509 certificates for token keys, made with @peculiar/x509 and signed ON THE TOKEN:
 * @peculiar/x509 is given a WebCrypto whose `sign` for our private-key handle goes to the Signer.
 * CN and validity given; KeyUsage digitalSignature (critical), EKU codeSigning, BasicConstraints
 * CA:FALSE (critical), SKI. This is what the Notary dialect uses for `ecdsa-x509` root keys.
 */
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the reflect polyfill loaded first
import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Signer } from '../../core/signer';
import { curveSize, derToRaw } from '../../../shared/crypto/ecdsa';
import { KeyceremonyError } from '../../../shared/errors';

export interface CertOptions {
  /** Common name, e.g. the Notary GUN. */
  cn: string;
  /** Validity in days from notBefore (default 3650, Notary's 10 years). */
  days?: number;
  notBefore?: Date;
  /** Extended key usages; default codeSigning. */
  codeSigning?: boolean;
  /** Notary's root certs also carry keyEncipherment. */
  keyEncipherment?: boolean;
}

export interface CertResult {
  pem: string;
  der: Uint8Array;
}

function algorithmsFor(signer: Signer): { keyAlg: EcKeyImportParams | RsaHashedImportParams | Algorithm; signAlg: Algorithm & { hash?: string } } {
  switch (signer.algorithm) {
    case 'ecdsa-p256-sha256':
      return { keyAlg: { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyImportParams, signAlg: { name: 'ECDSA', hash: 'SHA-256' } };
    case 'ecdsa-p384-sha384':
      return { keyAlg: { name: 'ECDSA', namedCurve: 'P-384' } as EcKeyImportParams, signAlg: { name: 'ECDSA', hash: 'SHA-384' } };
    case 'ecdsa-p384-sha256':
      return { keyAlg: { name: 'ECDSA', namedCurve: 'P-384' } as EcKeyImportParams, signAlg: { name: 'ECDSA', hash: 'SHA-256' } };
    case 'rsa-pkcs1-sha256':
      return { keyAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as RsaHashedImportParams, signAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } };
    case 'ed25519':
      return { keyAlg: { name: 'Ed25519' }, signAlg: { name: 'Ed25519' } };
    default:
      throw new KeyceremonyError(
        'ALGORITHM_UNSUPPORTED',
        `Certificates are signed with ECDSA, Ed25519 or RSA PKCS#1 v1.5; this signer uses ${signer.algorithm}. Open the key with that algorithm instead.`,
      );
  }
}

export async function createSelfSignedCert(signer: Signer, opts: CertOptions): Promise<CertResult> {
  if (!opts.cn || /[\n\r]/.test(opts.cn)) throw new KeyceremonyError('INVALID_INPUT', 'The certificate needs a one-line common name (CN).', { where: 'cn' });
  const days = opts.days ?? 3650;
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new KeyceremonyError('INVALID_INPUT', 'Certificate validity must be 1 to 36500 days.', { where: 'days' });
  }
  const { keyAlg, signAlg } = algorithmsFor(signer);
  const subtle = webcrypto.subtle;
  const publicKey = (await subtle.importKey('spki', Buffer.from(signer.publicKeySpki), keyAlg, true, ['verify'])) as unknown as CryptoKey;
  // A stand-in private key: only our provider knows how to use it (it signs on the token).
  const privateKey = { type: 'private', extractable: false, algorithm: keyAlg, usages: ['sign'], __tokenSigner: signer } as unknown as CryptoKey;
  const provider = {
    getRandomValues: <T extends ArrayBufferView | null>(a: T) => webcrypto.getRandomValues(a as never) as T,
    randomUUID: () => webcrypto.randomUUID(),
    subtle: new Proxy(subtle, {
      get(target, prop, receiver) {
        if (prop === 'sign') {
          return async (alg: Algorithm, key: CryptoKey, data: BufferSource) => {
            if (key !== privateKey) return target.sign(alg as never, key as never, data as never);
            const bytes = new Uint8Array(ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data);
            const sig = await signer.sign(bytes);
            if (signer.algorithm.startsWith('ecdsa')) {
              // WebCrypto ECDSA signatures are raw r||s; @peculiar/x509 re-encodes them as DER.
              return derToRaw(sig, curveSize(signer.keyType === 'ecdsa-p256' ? 'P-256' : 'P-384')).buffer;
            }
            return sig.slice().buffer;
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }),
  } as unknown as Crypto;

  const notBefore = opts.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + days * 86400_000);
  let usages = x509.KeyUsageFlags.digitalSignature;
  if (opts.keyEncipherment) usages |= x509.KeyUsageFlags.keyEncipherment;
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f; // positive INTEGER
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: [{ CN: [opts.cn] }],
      notBefore,
      notAfter,
      signingAlgorithm: signAlg,
      keys: { publicKey, privateKey },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(usages, true),
        ...(opts.codeSigning === false ? [] : [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false)]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, provider),
      ],
    },
    provider,
  );
  // Verify the certificate's own signature right after making it.
  const ok = await cert.verify({ publicKey: await cert.publicKey.export(provider), signatureOnly: true }, provider);
  if (!ok) {
    throw new KeyceremonyError('SIGNATURE_SELF_CHECK_FAILED', `The certificate signed by ${signer.description} does not verify.`);
  }
  return { pem: cert.toString('pem') + '\n', der: new Uint8Array(cert.rawData) };
}

/**
 * Constructed attestation chains for tests: a test root, a device certificate and a key certificate
 * for any public key, with the YubiKey PIV extensions (docs.yubico.com/hardware/oid/oid-piv-arc.html).
 * They verify only with `roots: [rootPem]` — which is what lets a test attest a key made on SoftHSM,
 * and what makes a "look-alike" negative meaningful (the same construction under the bundled roots
 * must fail). Nothing here is Yubico's.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A test root to issue several device certificates under. */
export interface FakeRoot {
  name: string;
  pem: string;
  keys: CryptoKeyPair;
}

export async function makeFakeRoot(name = 'Test Attestation Root', validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<FakeRoot> {
  const subtle = webcrypto.subtle as unknown as SubtleCrypto;
  const keys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: validity.notBefore ?? new Date('2020-01-01T00:00:00Z'),
    notAfter: validity.notAfter ?? new Date('2099-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: SIGN,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return { name, pem: root.toString('pem'), keys };
}

export interface FakeChainOptions {
  /** Issue under this root (default: a fresh one named `rootName`). */
  root?: FakeRoot;
  /** SPKI DER of the attested key; a fresh P-256 key when absent. */
  keySpki?: Uint8Array;
  serial?: number;
  firmware?: [number, number, number];
  slot?: string;
  /** Raw PIV policy bytes: PIN (1 never, 2 once, 3 always), touch (1 never, 2 always, 3 cached). */
  policy?: [number, number];
  formFactor?: number;
  rootName?: string;
  deviceName?: string;
  /** Leave basicConstraints off the device certificate (YubiKey 4 style). */
  deviceWithoutCa?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

export interface FakeChain {
  rootPem: string;
  deviceCertPem: string;
  keyCertPem: string;
  /** SPKI DER of the attested key. */
  keySpki: Uint8Array;
  /** The attested key pair when the helper made it. */
  keyPair?: CryptoKeyPair;
}

function derInt(n: number): Uint8Array<ArrayBuffer> {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return Uint8Array.from([0x02, bytes.length, ...bytes]);
}

/**
 * The extensions a YubiKey PIV key attestation certificate carries (docs.yubico.com oid-piv-arc):
 * firmware 41482.3.3 (3 bytes), serial 41482.3.7 (DER INTEGER), PIN/touch policy 41482.3.8 (2 bytes),
 * form factor 41482.3.9 (1 byte).
 */
export function pivKeyExtensions(o: { firmware: readonly number[]; serial: number; policy: readonly [number, number]; formFactor?: number }): x509.Extension[] {
  return [
    new x509.Extension('1.3.6.1.4.1.41482.3.3', false, Uint8Array.from(o.firmware)),
    new x509.Extension('1.3.6.1.4.1.41482.3.7', false, derInt(o.serial)),
    new x509.Extension('1.3.6.1.4.1.41482.3.8', false, Uint8Array.from(o.policy)),
    new x509.Extension('1.3.6.1.4.1.41482.3.9', false, Uint8Array.of(o.formFactor ?? 0x03)),
  ];
}

export async function makeFakePivChain(o: FakeChainOptions = {}): Promise<FakeChain> {
  const subtle = webcrypto.subtle as unknown as SubtleCrypto;
  const notBefore = o.notBefore ?? new Date('2020-01-01T00:00:00Z');
  const notAfter = o.notAfter ?? new Date('2099-01-01T00:00:00Z');
  const root = o.root ?? (await makeFakeRoot(o.rootName ?? 'Test Attestation Root', { notBefore, notAfter }));
  const rootKeys = root.keys;
  const devKeys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const rootName = `CN=${root.name}`;
  const deviceName = `CN=${o.deviceName ?? 'Yubico PIV Attestation'}`;
  const fw = o.firmware ?? [5, 4, 3];
  const device = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: deviceName,
    issuer: rootName,
    notBefore,
    notAfter,
    publicKey: devKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.Extension('1.3.6.1.4.1.41482.3.3', false, Uint8Array.from(fw)),
      ...(o.deviceWithoutCa ? [] : [new x509.BasicConstraintsExtension(true, 0, true)]),
    ],
  });
  let keyPair: CryptoKeyPair | undefined;
  let keySpki: Uint8Array<ArrayBuffer> | undefined = o.keySpki ? new Uint8Array(o.keySpki) : undefined;
  if (!keySpki) {
    keyPair = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    keySpki = new Uint8Array(await subtle.exportKey('spki', keyPair.publicKey));
  }
  const exts = pivKeyExtensions({ firmware: fw, serial: o.serial ?? 12345678, policy: o.policy ?? [3, 2], formFactor: o.formFactor ?? 0x03 });
  const keyCert = await x509.X509CertificateGenerator.create({
    serialNumber: '03',
    subject: `CN=YubiKey PIV Attestation ${o.slot ?? '9c'}`,
    issuer: deviceName,
    notBefore,
    notAfter,
    publicKey: keySpki,
    signingKey: devKeys.privateKey,
    signingAlgorithm: SIGN,
    extensions: exts,
  });
  return {
    rootPem: root.pem,
    deviceCertPem: device.toString('pem'),
    keyCertPem: keyCert.toString('pem'),
    keySpki,
    ...(keyPair ? { keyPair } : {}),
  };
}

/** A self-signed certificate carrying the PIV key extensions: the simplest look-alike. */
export async function makeSelfSignedLookAlike(): Promise<string> {
  const subtle = webcrypto.subtle as unknown as SubtleCrypto;
  const keys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const c = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '09',
    name: 'CN=YubiKey PIV Attestation 9c',
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2099-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: SIGN,
    extensions: [new x509.Extension('1.3.6.1.4.1.41482.3.3', false, Uint8Array.of(5, 4, 3)), new x509.Extension('1.3.6.1.4.1.41482.3.7', false, derInt(1))],
  });
  return c.toString('pem');
}

/**
 * A stand-in for Yubico's ykcs11 at the module boundary (the pkcs11js.PKCS11 calls keyceremony makes),
 * for tests on a machine without a YubiKey. It does what the cited ykcs11 source does, and no more:
 * - slots by one-byte CKA_ID 1..24 = 9a, 9c, 9d, 9e, 82..95, 25 = f9 (doc/YKCS11/index.adoc "Key
 *   Mapping"; ykcs11/objects.c piv_objects[]), fixed labels ("Private key for Digital Signature" ...);
 * - C_GenerateKeyPair only after an SO login with the management key, else CKR_USER_TYPE_INVALID;
 *   CKA_ID required (CKR_TEMPLATE_INCOMPLETE); a private-key template attribute other than CLASS,
 *   KEY_TYPE, ID and the ignored SENSITIVE/DECRYPT/UNWRAP/SIGN/SIGN_RECOVER/PRIVATE/TOKEN/DERIVE/
 *   LABEL/SUBJECT is CKR_ATTRIBUTE_TYPE_INVALID (ykcs11.c C_GenerateKeyPair, mechanisms.c
 *   check_pvtkey_template / check_pubkey_template);
 * - C_Login: SO while the user is logged in (and the reverse) is CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
 *   SO with a read-only session open is CKR_SESSION_READ_ONLY_EXISTS, context-specific only during a
 *   sign operation (ykcs11.c C_Login); wrong PINs count down 3 -> 0, reported by the token flags
 *   COUNT_LOW (2) / FINAL_TRY (1) / LOCKED (0) (ykcs11.c C_GetTokenInfo);
 * - 9c keys (PIN policy "always") report CKA_ALWAYS_AUTHENTICATE and need the context-specific login
 *   after C_SignInit; a key with touch policy always/cached signs only after `touch()`; a missing PIN
 *   or touch is CKR_USER_NOT_LOGGED_IN (ykcs11.c C_Sign: YKPIV_AUTHENTICATION_ERROR);
 * - attestation: a certificate with the key's CKA_ID and CKA_TOKEN false, made when the key is made,
 *   and the device (f9) certificate with CKA_ID 25 (doc/YKCS11/index.adoc "Attestation
 *   Certificates"), under a TEST root (`rootPem`), with the PIV extensions (serial, firmware, policy).
 * Attributes ykcs11 does not implement (CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE,
 * CKA_WRAP_WITH_TRUSTED ...) answer CKR_ATTRIBUTE_TYPE_INVALID, as objects.c get_proa does.
 */
import 'reflect-metadata';
import { createECDH, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import pkcs11js from 'pkcs11js';
import { makeFakeRoot, pivKeyExtensions, type FakeRoot } from './attestation-fakes';

const A = pkcs11js;
const CKA_ALWAYS_AUTHENTICATE = 0x202;
const CKU_CONTEXT_SPECIFIC = 2;
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const YK_MANAGEMENT_KEY = '010203040506070801020304050607080102030405060708';
export const YK_PIN = '123456';

const SLOTS = [
  { slot: '9a', id: 1, name: 'PIV Authentication' },
  { slot: '9c', id: 2, name: 'Digital Signature' },
  { slot: '9d', id: 3, name: 'Key Management' },
  { slot: '9e', id: 4, name: 'Card Authentication' },
  ...Array.from({ length: 20 }, (_, i) => ({ slot: (0x82 + i).toString(16), id: 5 + i, name: `Retired Key ${i + 1}` })),
];
const CURVES = {
  'ecdsa-p256': {
    ecdh: 'prime256v1',
    node: 'P-256',
    size: 32,
    params: Buffer.from('06082a8648ce3d030107', 'hex'),
    n: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  },
  'ecdsa-p384': {
    ecdh: 'secp384r1',
    node: 'P-384',
    size: 48,
    params: Buffer.from('06052b81040022', 'hex'),
    n: BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
  },
} as const;
type Curve = keyof typeof CURVES;

type Policy = { pin: 1 | 2 | 3; touch: 1 | 2 | 3 };
interface SlotKey {
  id: number;
  curve: Curve;
  key: KeyObject;
  d: bigint;
  point: Buffer;
  policy: Policy;
  attestation: Buffer;
}

function fail(rv: number, method: string): never {
  throw Object.assign(new Error(`${method}: rv 0x${rv.toString(16)}`), { code: rv, method });
}
const handle = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  return b;
};
const num = (b: Buffer) => b.readUInt32LE(0);
const ulong = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  return b;
};
const bool = (v: boolean) => Buffer.from([v ? 1 : 0]);
const pad = (s: string, n: number) => s.padEnd(n, ' ');

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

/** ECDSA over a digest given as is (what CKM_ECDSA does): k*G from ECDH, then r, s. */
function ecdsaSignDigest(curve: Curve, d: bigint, digest: Buffer): Buffer {
  const c = CURVES[curve];
  const z = BigInt('0x' + (digest.subarray(0, c.size).toString('hex') || '0'));
  for (;;) {
    const k = (BigInt('0x' + randomBytes(c.size + 8).toString('hex')) % (c.n - 1n)) + 1n;
    const ecdh = createECDH(c.ecdh);
    ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(c.size * 2, '0'), 'hex'));
    const x = BigInt(
      '0x' +
        ecdh
          .getPublicKey()
          .subarray(1, 1 + c.size)
          .toString('hex'),
    );
    const r = x % c.n;
    if (r === 0n) continue;
    const s = (modPow(k, c.n - 2n, c.n) * ((z + r * d) % c.n)) % c.n;
    if (s === 0n) continue;
    return Buffer.from(r.toString(16).padStart(c.size * 2, '0') + s.toString(16).padStart(c.size * 2, '0'), 'hex');
  }
}

type Login = 'public' | 'user' | 'so';
interface Session {
  rw: boolean;
  find?: Buffer[];
  sign?: { key: SlotKey; mech: number; contextDone: boolean };
}

export interface Ykcs11DoubleOptions {
  serial?: number;
  firmware?: [number, number, number];
}

export class Ykcs11Double {
  readonly serial: number;
  readonly firmware: [number, number, number];
  /** Every C_* call, in order (names only), for assertions on the order of logins. */
  readonly calls: string[] = [];
  root!: FakeRoot;
  private deviceKey!: CryptoKeyPair;
  private deviceCert!: Buffer;
  private readonly keys = new Map<number, SlotKey>();
  private readonly sessions = new Map<number, Session>();
  private nextSession = 1;
  private login: Login = 'public';
  private tries = 3;
  private touched = false;
  private initialized = false;

  private constructor(o: Ykcs11DoubleOptions) {
    this.serial = o.serial ?? 12345678;
    this.firmware = o.firmware ?? [5, 4, 3];
  }

  static async create(o: Ykcs11DoubleOptions = {}): Promise<Ykcs11Double> {
    const d = new Ykcs11Double(o);
    d.root = await makeFakeRoot('Test Yubico PIV Root');
    const subtle = webcrypto.subtle as unknown as SubtleCrypto;
    d.deviceKey = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: '0f',
      subject: 'CN=Yubico PIV Attestation',
      issuer: `CN=${d.root.name}`,
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2099-01-01T00:00:00Z'),
      publicKey: d.deviceKey.publicKey,
      signingKey: d.root.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.Extension('1.3.6.1.4.1.41482.3.3', false, Uint8Array.from(d.firmware)), new x509.BasicConstraintsExtension(true, 0, true)],
    });
    d.deviceCert = Buffer.from(cert.rawData);
    return d;
  }

  /**
   * The person touches the YubiKey: the signature it is holding (or the next one) goes through. A real
   * YubiKey blinks during C_Sign and waits; the double keeps the touch until C_Sign consumes it.
   */
  touch(): void {
    this.touched = true;
  }

  /** A key put into a slot beforehand (ykman piv keys generate --touch-policy always 9c ...). */
  async provision(slot: string, curve: Curve, policy: { pin: 'never' | 'once' | 'always'; touch: 'never' | 'always' | 'cached' }): Promise<void> {
    const s = SLOTS.find((x) => x.slot === slot);
    if (!s) throw new Error(`no slot ${slot}`);
    const p = { never: 1, once: 2, always: 3 } as const;
    const t = { never: 1, always: 2, cached: 3 } as const;
    await this.makeKey(s.id, curve, { pin: p[policy.pin], touch: t[policy.touch] });
  }

  private async makeKey(id: number, curve: Curve, policy: Policy): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].node });
    const jwk = privateKey.export({ format: 'jwk' });
    const d = BigInt('0x' + Buffer.from(jwk.d as string, 'base64url').toString('hex'));
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const point = Buffer.from(spki.subarray(spki.length - (1 + 2 * CURVES[curve].size)));
    const slot = SLOTS.find((x) => x.id === id)!.slot;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      subject: `CN=YubiKey PIV Attestation ${slot}`,
      issuer: 'CN=Yubico PIV Attestation',
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2099-01-01T00:00:00Z'),
      publicKey: new Uint8Array(spki),
      signingKey: this.deviceKey.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: pivKeyExtensions({ firmware: this.firmware, serial: this.serial, policy: [policy.pin, policy.touch] }),
    });
    this.keys.set(id, { id, curve, key: privateKey, d, point, policy, attestation: Buffer.from(cert.rawData) });
  }

  private session(h: Buffer, method: string): Session {
    const s = this.sessions.get(num(h));
    if (!s) fail(A.CKR_SESSION_HANDLE_INVALID, method);
    return s;
  }

  // ------------------------------------------------------------ library

  load(): void {}
  close(): void {}
  C_Initialize(): void {
    this.calls.push('C_Initialize');
    if (this.initialized) fail(A.CKR_CRYPTOKI_ALREADY_INITIALIZED, 'C_Initialize');
    this.initialized = true;
  }
  C_Finalize(): void {
    this.calls.push('C_Finalize');
    this.initialized = false;
  }
  C_GetInfo() {
    return {
      cryptokiVersion: { major: 2, minor: 40 },
      manufacturerID: pad('Yubico (www.yubico.com)', 32),
      flags: 0,
      libraryDescription: pad('PKCS#11 PIV Library (SP-800-73)', 32),
      libraryVersion: { major: 2, minor: 50 },
    };
  }
  C_GetSlotList(): Buffer[] {
    return [handle(0)];
  }
  C_GetSlotInfo() {
    return {
      slotDescription: pad('Yubico YubiKey OTP+FIDO+CCID 00 00', 64),
      manufacturerID: pad('Yubico (www.yubico.com)', 32),
      flags: 0x5,
      hardwareVersion: { major: 1, minor: 0 },
      firmwareVersion: { major: 1, minor: 0 },
    };
  }
  C_GetTokenInfo() {
    let flags = A.CKF_RNG | A.CKF_LOGIN_REQUIRED | A.CKF_USER_PIN_INITIALIZED | A.CKF_TOKEN_INITIALIZED;
    if (this.tries === 0) flags |= A.CKF_USER_PIN_LOCKED;
    else if (this.tries === 1) flags |= A.CKF_USER_PIN_FINAL_TRY;
    else if (this.tries === 2) flags |= A.CKF_USER_PIN_COUNT_LOW;
    return {
      label: pad(`YubiKey PIV #${this.serial}`, 32),
      manufacturerID: pad('Yubico (www.yubico.com)', 32),
      model: pad('YubiKey YK5', 16),
      serialNumber: pad(String(this.serial), 16),
      flags,
      maxSessionCount: 16,
      sessionCount: 0,
      maxRwSessionCount: 16,
      rwSessionCount: 0,
      maxPinLen: 48,
      minPinLen: 6,
      totalPublicMemory: -1,
      freePublicMemory: -1,
      totalPrivateMemory: -1,
      freePrivateMemory: -1,
      hardwareVersion: { major: 1, minor: 0 },
      firmwareVersion: { major: this.firmware[0], minor: this.firmware[1] },
      utcTime: pad('', 16),
    };
  }
  C_GetMechanismList(): number[] {
    return [A.CKM_RSA_PKCS_KEY_PAIR_GEN, A.CKM_RSA_PKCS, A.CKM_RSA_PKCS_PSS, A.CKM_EC_KEY_PAIR_GEN, A.CKM_ECDSA, A.CKM_ECDSA_SHA256, A.CKM_SHA256];
  }
  C_GetMechanismInfo(_slot: Buffer, mech: number) {
    // before firmware 5.7 RSA stops at 2048 (ykcs11.c C_GetMechanismInfo)
    if (mech === A.CKM_RSA_PKCS_KEY_PAIR_GEN)
      return { minKeySize: 1024, maxKeySize: this.firmware[0] > 5 || (this.firmware[0] === 5 && this.firmware[1] >= 7) ? 4096 : 2048, flags: 0 };
    return { minKeySize: 256, maxKeySize: 384, flags: 0 };
  }
  C_OpenSession(_slot: Buffer, flags: number): Buffer {
    if (!(flags & A.CKF_SERIAL_SESSION)) fail(A.CKR_SESSION_PARALLEL_NOT_SUPPORTED, 'C_OpenSession');
    const n = this.nextSession++;
    this.sessions.set(n, { rw: (flags & A.CKF_RW_SESSION) !== 0 });
    return handle(n);
  }
  C_CloseSession(h: Buffer): void {
    this.sessions.delete(num(h));
    if (this.sessions.size === 0) this.login = 'public';
  }
  C_Login(h: Buffer, userType: number, pin?: string): void {
    const s = this.session(h, 'C_Login');
    this.calls.push(`C_Login:${userType === A.CKU_SO ? 'so' : userType === A.CKU_USER ? 'user' : 'context'}`);
    if (userType === CKU_CONTEXT_SPECIFIC) {
      if (!s.sign) fail(A.CKR_USER_TYPE_INVALID, 'C_Login');
      this.checkPin(pin);
      s.sign.contextDone = true;
      return;
    }
    if (userType === A.CKU_USER) {
      if (this.login === 'user') fail(A.CKR_USER_ALREADY_LOGGED_IN, 'C_Login');
      if (this.login === 'so') fail(A.CKR_USER_ANOTHER_ALREADY_LOGGED_IN, 'C_Login');
      this.checkPin(pin);
      this.login = 'user';
      return;
    }
    if (userType === A.CKU_SO) {
      if (this.login === 'user') fail(A.CKR_USER_ANOTHER_ALREADY_LOGGED_IN, 'C_Login');
      if (this.login === 'so') fail(A.CKR_USER_ALREADY_LOGGED_IN, 'C_Login');
      if ([...this.sessions.values()].some((x) => !x.rw)) fail(A.CKR_SESSION_READ_ONLY_EXISTS, 'C_Login');
      if (pin !== YK_MANAGEMENT_KEY) fail(A.CKR_PIN_INCORRECT, 'C_Login');
      this.login = 'so';
      return;
    }
    fail(A.CKR_USER_TYPE_INVALID, 'C_Login');
  }
  private checkPin(pin: string | undefined): void {
    if (this.tries === 0) fail(A.CKR_PIN_LOCKED, 'C_Login');
    if (pin !== YK_PIN) {
      this.tries--;
      fail(this.tries === 0 ? A.CKR_PIN_LOCKED : A.CKR_PIN_INCORRECT, 'C_Login');
    }
    this.tries = 3;
  }
  C_Logout(h: Buffer): void {
    this.session(h, 'C_Logout');
    this.calls.push('C_Logout');
    if (this.login === 'public') fail(A.CKR_USER_NOT_LOGGED_IN, 'C_Logout');
    this.login = 'public';
  }

  // ------------------------------------------------------------ objects

  /** Every object ykcs11 shows for the keys present: private, public, attestation; and the f9 certificate. */
  private objects(): { h: number; attrs: Map<number, Buffer>; private: boolean }[] {
    const out: { h: number; attrs: Map<number, Buffer>; private: boolean }[] = [];
    for (const k of this.keys.values()) {
      const s = SLOTS.find((x) => x.id === k.id)!;
      const common = (cls: number, label: string, token: boolean): [number, Buffer][] => [
        [A.CKA_CLASS, ulong(cls)],
        [A.CKA_ID, Buffer.from([k.id])],
        [A.CKA_LABEL, Buffer.from(label)],
        [A.CKA_TOKEN, bool(token)],
        [A.CKA_MODIFIABLE, bool(false)],
      ];
      const ec: [number, Buffer][] = [
        [A.CKA_KEY_TYPE, ulong(A.CKK_EC)],
        [A.CKA_EC_PARAMS, CURVES[k.curve].params],
        [A.CKA_EC_POINT, Buffer.concat([Buffer.from([0x04, k.point.length]), k.point])],
      ];
      out.push({
        h: k.id * 10 + 1,
        private: true,
        attrs: new Map([
          ...common(A.CKO_PRIVATE_KEY, `Private key for ${s.name}`, true),
          ...ec,
          [A.CKA_PRIVATE, bool(true)],
          [A.CKA_SENSITIVE, bool(true)],
          [A.CKA_EXTRACTABLE, bool(false)],
          [A.CKA_LOCAL, bool(true)],
          [A.CKA_SIGN, bool(true)],
          [A.CKA_DECRYPT, bool(false)],
          [A.CKA_UNWRAP, bool(false)],
          [A.CKA_DERIVE, bool(false)],
          [CKA_ALWAYS_AUTHENTICATE, bool(k.policy.pin === 3)],
        ]),
      });
      out.push({
        h: k.id * 10 + 2,
        private: false,
        attrs: new Map([...common(A.CKO_PUBLIC_KEY, `Public key for ${s.name}`, true), ...ec, [A.CKA_PRIVATE, bool(false)], [A.CKA_VERIFY, bool(true)]]),
      });
      out.push({
        h: k.id * 10 + 3,
        private: false,
        attrs: new Map([
          ...common(A.CKO_CERTIFICATE, `X.509 Certificate for PIV Attestation ${s.slot}`, false),
          [A.CKA_CERTIFICATE_TYPE, ulong(A.CKC_X_509)],
          [A.CKA_VALUE, k.attestation],
        ]),
      });
    }
    out.push({
      h: 25 * 10 + 4,
      private: false,
      attrs: new Map([
        [A.CKA_CLASS, ulong(A.CKO_CERTIFICATE)],
        [A.CKA_ID, Buffer.from([25])],
        [A.CKA_LABEL, Buffer.from('X.509 Certificate for PIV Attestation')],
        [A.CKA_TOKEN, bool(true)],
        [A.CKA_CERTIFICATE_TYPE, ulong(A.CKC_X_509)],
        [A.CKA_VALUE, this.deviceCert],
      ]),
    });
    return out;
  }

  C_FindObjectsInit(h: Buffer, template: pkcs11js.Template): void {
    const s = this.session(h, 'C_FindObjectsInit');
    const want = template.map((a) => [a.type as number, encode(a.value)] as const);
    s.find = this.objects()
      .filter((o) => !o.private || this.login !== 'public')
      .filter((o) => want.every(([t, v]) => o.attrs.get(t)?.equals(v)))
      .map((o) => handle(o.h));
  }
  C_FindObjects(h: Buffer, max = 1): Buffer[] {
    const s = this.session(h, 'C_FindObjects');
    return (s.find ?? []).splice(0, max);
  }
  C_FindObjectsFinal(h: Buffer): void {
    this.session(h, 'C_FindObjectsFinal').find = undefined;
  }
  C_GetAttributeValue(h: Buffer, obj: Buffer, template: pkcs11js.Template): pkcs11js.Template {
    this.session(h, 'C_GetAttributeValue');
    const o = this.objects().find((x) => x.h === num(obj));
    if (!o) fail(A.CKR_OBJECT_HANDLE_INVALID, 'C_GetAttributeValue');
    return template.map((a) => {
      const v = o.attrs.get(a.type as number);
      if (!v) fail(A.CKR_ATTRIBUTE_TYPE_INVALID, 'C_GetAttributeValue');
      return { type: a.type, value: v };
    });
  }

  // ------------------------------------------------------------ keys

  C_GenerateKeyPair(
    h: Buffer,
    mech: pkcs11js.Mechanism,
    pub: pkcs11js.Template,
    priv: pkcs11js.Template,
    cb?: (err: Error | null, keys?: pkcs11js.KeyPair) => void,
  ): pkcs11js.KeyPair | void {
    const run = async (): Promise<pkcs11js.KeyPair> => {
      this.calls.push('C_GenerateKeyPair');
      this.session(h, 'C_GenerateKeyPair');
      if (this.login !== 'so') fail(A.CKR_USER_TYPE_INVALID, 'C_GenerateKeyPair');
      if (mech.mechanism !== A.CKM_EC_KEY_PAIR_GEN) fail(A.CKR_MECHANISM_INVALID, 'C_GenerateKeyPair');
      const okPub = new Set<number>([
        A.CKA_CLASS,
        A.CKA_KEY_TYPE,
        A.CKA_EC_PARAMS,
        A.CKA_ID,
        A.CKA_SENSITIVE,
        A.CKA_TOKEN,
        A.CKA_ENCRYPT,
        A.CKA_VERIFY,
        A.CKA_WRAP,
        A.CKA_DERIVE,
        A.CKA_PRIVATE,
        A.CKA_LABEL,
        A.CKA_SUBJECT,
      ]);
      const okPriv = new Set<number>([
        A.CKA_CLASS,
        A.CKA_KEY_TYPE,
        A.CKA_ID,
        A.CKA_SENSITIVE,
        A.CKA_DECRYPT,
        A.CKA_UNWRAP,
        A.CKA_SIGN,
        A.CKA_SIGN_RECOVER,
        A.CKA_PRIVATE,
        A.CKA_TOKEN,
        A.CKA_DERIVE,
        A.CKA_LABEL,
        A.CKA_SUBJECT,
      ]);
      for (const a of pub) if (!okPub.has(a.type as number)) fail(A.CKR_ATTRIBUTE_TYPE_INVALID, 'C_GenerateKeyPair');
      for (const a of priv) if (!okPriv.has(a.type as number)) fail(A.CKR_ATTRIBUTE_TYPE_INVALID, 'C_GenerateKeyPair');
      const idAttr = [...pub, ...priv].find((a) => a.type === A.CKA_ID)?.value as Buffer | undefined;
      if (!idAttr) fail(A.CKR_TEMPLATE_INCOMPLETE, 'C_GenerateKeyPair');
      const id = idAttr[0] as number;
      if (idAttr.length !== 1 || id < 1 || id > 24) fail(A.CKR_ATTRIBUTE_VALUE_INVALID, 'C_GenerateKeyPair');
      const params = pub.find((a) => a.type === A.CKA_EC_PARAMS)?.value as Buffer | undefined;
      const curve = (Object.keys(CURVES) as Curve[]).find((c) => params && CURVES[c].params.equals(params));
      if (!curve) fail(A.CKR_ATTRIBUTE_VALUE_INVALID, 'C_GenerateKeyPair');
      // the YubiKey's defaults: 9c asks for the PIN every time, the other slots once; touch never
      await this.makeKey(id, curve, { pin: id === 2 ? 3 : 2, touch: 1 });
      return { publicKey: handle(id * 10 + 2), privateKey: handle(id * 10 + 1) };
    };
    if (cb) {
      run().then(
        (k) => cb(null, k),
        (e: Error) => cb(e),
      );
      return;
    }
    throw new Error('the double only implements the callback form of C_GenerateKeyPair');
  }

  C_SignInit(h: Buffer, mech: pkcs11js.Mechanism, key: Buffer): void {
    const s = this.session(h, 'C_SignInit');
    this.calls.push('C_SignInit');
    if (this.login === 'public') fail(A.CKR_USER_NOT_LOGGED_IN, 'C_SignInit');
    const k = this.keys.get(Math.floor(num(key) / 10));
    if (!k || num(key) % 10 !== 1) fail(A.CKR_KEY_HANDLE_INVALID, 'C_SignInit');
    if (mech.mechanism !== A.CKM_ECDSA) fail(A.CKR_MECHANISM_INVALID, 'C_SignInit');
    s.sign = { key: k, mech: mech.mechanism, contextDone: false };
  }
  C_Sign(h: Buffer, data: Buffer): Buffer {
    const s = this.session(h, 'C_Sign');
    this.calls.push('C_Sign');
    const op = s.sign;
    if (!op) fail(A.CKR_OPERATION_NOT_INITIALIZED, 'C_Sign');
    s.sign = undefined;
    // PIN policy "always" without the context-specific login, or touch policy without a touch:
    // the YubiKey answers with an authentication error -> CKR_USER_NOT_LOGGED_IN
    if (op.key.policy.pin === 3 && !op.contextDone) fail(A.CKR_USER_NOT_LOGGED_IN, 'C_Sign');
    if (op.key.policy.touch !== 1 && !this.touched) fail(A.CKR_USER_NOT_LOGGED_IN, 'C_Sign');
    this.touched = false;
    return ecdsaSignDigest(op.key.curve, op.key.d, data);
  }
}

function encode(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'boolean') return bool(v);
  if (typeof v === 'number') return ulong(v);
  if (typeof v === 'string') return Buffer.from(v);
  return Buffer.alloc(0);
}

/**
 * Hardware key attestation: proof that a public key was generated inside a YubiKey (PIV) or a
 * YubiHSM 2, verified offline against Yubico's roots (pure: @peculiar/x509 for parsing, WebCrypto for
 * signatures; no I/O).
 *
 * The chains (measured on real devices, ../shared/fixtures/interop/yubico/):
 *   YubiKey PIV, firmware < 5.7.4: key cert ← device cert (slot f9) ← Yubico PIV Root CA Serial 263751
 *   some YubiKey 4:                 key cert ← device cert (no basicConstraints) ← Yubico U2F Root CA (pathlen 0)
 *   YubiKey PIV, firmware ≥ 5.7.4: key cert ← device cert ← PIV Attestation A 1/B 1/B2 1
 *                                    ← Attestation Intermediate A 1/B 1 ← Yubico Attestation Root 1
 *   YubiHSM 2:                      key cert ← device cert ← Yubico YubiHSM <n> Sub-CA ← Yubico YubiHSM Root CA
 *
 * The YubiKey 4 leniency is piv-go's (`piv/key.go`, `Verifier.Verify`): "The attestation cert in some
 * yubikey 4 does not encode X509v3 Basic Constraints … Work around this by setting this constraint
 * here", and `yubicoCAs`: "The U2F root cert has pathlen x509 basic constraint set to 0 … set pathlen
 * of the U2F root to 1". We do the same — only for the device certificate of a PIV chain and only for
 * the U2F root by its fingerprint — and say so in `notes`. Every signature is still checked.
 */
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs the reflect polyfill loaded first
import * as x509 from '@peculiar/x509';
import { parseSpki } from '../crypto/spki';
import { curveSize, derToRaw } from '../crypto/ecdsa';
import { sha256Hex } from '../crypto/webcrypto';
import { decodeOid, readChildren, readDer } from '../encoding/der';
import { bytesEqual, fromBase64, fromUtf8 } from '../encoding/bytes';
import { KeyceremonyError } from '../errors';
import { BUNDLED_ATTESTATION_CERTS } from './yubico-roots';
import {
  HSM_ARC,
  OID,
  PIV_ARC,
  derUint,
  hsmCapabilities,
  hsmDomains,
  hsmFirmware,
  hsmLabel,
  hsmOrigin,
  pivFirmware,
  pivFormFactor,
  pivPolicy,
  pivSlotFromCn,
  type PinPolicy,
  type TouchPolicy,
} from './extensions';

export type AttestationVendor = 'yubico-piv' | 'yubihsm2' | 'unknown';

export interface ChainLink {
  role: 'key' | 'device' | 'intermediate' | 'root';
  subject: string;
  issuer: string;
  /** SHA-256 of the certificate DER (its fingerprint). */
  sha256: string;
  notBefore: string;
  notAfter: string;
}

export interface AttestationReport {
  vendor: AttestationVendor;
  /** Device serial, from the KEY certificate only (device certificates are per batch). */
  serial: number | null;
  firmware: string | null;
  /** PIV slot ("9c") or YubiHSM object id ("0x0100"). */
  slot: string | null;
  /** Attested key: ecdsa-p256, ecdsa-p384, ecdsa-p521, ed25519, rsa-<bits>. */
  algorithm: string;
  pinPolicy: PinPolicy | null;
  touchPolicy: TouchPolicy | null;
  formFactor: string | null;
  fips: boolean;
  cspn: boolean;
  /** The vendor says the key was generated inside the device. */
  generatedOnDevice: boolean;
  /** Subject of the trust anchor the chain ends at. */
  root: string;
  rootSha256: string;
  rootSource: 'bundled' | 'given';
  /** SHA-256 of the attested key's SubjectPublicKeyInfo DER (keyceremony's key fingerprint). */
  publicKeySha256: string;
  publicKeySpki: Uint8Array;
  chain: ChainLink[];
  /** Leniencies applied and other facts a reviewer should read. */
  notes: string[];
  hsm?: { objectId: number; label: string | null; domains: number[]; capabilities: string | null; origin: string };
}

export interface AttestationInput {
  /** The key's attestation certificate (PEM or DER). */
  keyCert: Uint8Array;
  /** The device (YubiKey slot f9 / YubiHSM) attestation certificate (PEM or DER). */
  deviceCert: Uint8Array;
  /** Trust anchors (PEM, one or more certificates, or DER). Given: they REPLACE the bundled roots. */
  roots?: Uint8Array[];
  /** The public key the attestation must be for (SPKI DER). */
  expectPublicKeySpki?: Uint8Array;
  /** Time at which every certificate must be valid (default: now). */
  now?: Date;
}

export type AttestationVerdict = { ok: true; report: AttestationReport } | { ok: false; reason: string; where?: string };

const MAX_CERT = 64 * 1024;
const MAX_DEPTH = 6;

function fail(reason: string, where?: string): never {
  throw new KeyceremonyError('ATTESTATION_INVALID', reason, where === undefined ? {} : { where });
}

interface Cert {
  der: Uint8Array;
  x: x509.X509Certificate;
  tbs: Uint8Array;
  sigOid: string;
  sig: Uint8Array;
  spki: Uint8Array;
  subject: string;
  issuer: string;
  cn: string | null;
  sha256: string;
}

/** Every CERTIFICATE block of a PEM text, or the bytes as one DER certificate. */
export function certificatesFrom(bytes: Uint8Array, what: string): Uint8Array[] {
  if (bytes.length > 16 * MAX_CERT) fail(`The ${what} is too large to be certificates (${bytes.length} bytes).`, what);
  let text: string | null = null;
  if (bytes.length && bytes[0] !== 0x30) {
    try {
      text = fromUtf8(bytes);
    } catch {
      text = null;
    }
  }
  if (text === null) return [new Uint8Array(bytes)];
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    try {
      out.push(fromBase64((m[1] as string).replace(/\s+/g, '')));
    } catch {
      fail(`The ${what} holds a PEM block that is not base64.`, what);
    }
  }
  if (!out.length) fail(`The ${what} is neither a DER certificate nor PEM with a CERTIFICATE block.`, what);
  return out;
}

async function parseCert(der: Uint8Array, what: string): Promise<Cert> {
  if (der.length > MAX_CERT) fail(`The ${what} is too large (${der.length} bytes).`, what);
  let tbs: Uint8Array;
  let sigOid: string;
  let sig: Uint8Array;
  let x: x509.X509Certificate;
  try {
    const { node, next } = readDer(der);
    if (node.tag !== 0x30 || next !== der.length) throw new KeyceremonyError('ATTESTATION_INVALID', 'trailing bytes');
    const [t, alg, bits] = readChildren(node);
    if (!t || !alg || !bits || bits.tag !== 0x03) throw new KeyceremonyError('ATTESTATION_INVALID', 'not a certificate');
    const oidNode = readChildren(alg)[0];
    if (!oidNode || oidNode.tag !== 0x06) throw new KeyceremonyError('ATTESTATION_INVALID', 'no signature algorithm');
    tbs = t.raw;
    sigOid = decodeOid(oidNode.value);
    sig = bits.value.subarray(1);
    x = new x509.X509Certificate(new Uint8Array(der));
  } catch (e) {
    fail(`The ${what} is not a valid X.509 certificate${e instanceof Error && e.message ? ` (${e.message})` : ''}.`, what);
  }
  const cnAttr = x.subjectName.getField('CN')[0] ?? null;
  return {
    der,
    x,
    tbs,
    sigOid,
    sig,
    spki: new Uint8Array(x.publicKey.rawData),
    subject: x.subject,
    issuer: x.issuer,
    cn: cnAttr,
    sha256: await sha256Hex(der),
  };
}

/** Certificate signature algorithms accepted (no SHA-1, no MD5). */
const SIG_ALGS: Record<string, { kind: 'rsa' | 'ecdsa' | 'ed25519'; hash: string; name: string }> = {
  '1.2.840.113549.1.1.11': { kind: 'rsa', hash: 'SHA-256', name: 'sha256WithRSAEncryption' },
  '1.2.840.113549.1.1.12': { kind: 'rsa', hash: 'SHA-384', name: 'sha384WithRSAEncryption' },
  '1.2.840.113549.1.1.13': { kind: 'rsa', hash: 'SHA-512', name: 'sha512WithRSAEncryption' },
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'SHA-256', name: 'ecdsa-with-SHA256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'SHA-384', name: 'ecdsa-with-SHA384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'SHA-512', name: 'ecdsa-with-SHA512' },
  '1.3.101.112': { kind: 'ed25519', hash: '', name: 'Ed25519' },
};

const subtle = (): SubtleCrypto => (globalThis as { crypto: Crypto }).crypto.subtle;
// A copy into a fresh ArrayBuffer (a Node Buffer's .slice() is a view into a shared pool).
const ab = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer as ArrayBuffer;

/** Does `issuerSpki` verify `child`'s signature? Fails closed (false) on any unusable combination. */
async function signedBy(child: Cert, issuerSpki: Uint8Array): Promise<boolean> {
  const alg = SIG_ALGS[child.sigOid];
  if (!alg) return false;
  try {
    const info = parseSpki(issuerSpki);
    if (alg.kind === 'rsa') {
      if (info.algorithm !== 'rsa') return false;
      const key = await subtle().importKey('spki', ab(issuerSpki), { name: 'RSASSA-PKCS1-v1_5', hash: alg.hash }, false, ['verify']);
      return await subtle().verify({ name: 'RSASSA-PKCS1-v1_5' }, key, ab(child.sig), ab(child.tbs));
    }
    if (alg.kind === 'ecdsa') {
      const curve = info.algorithm === 'ecdsa-p256' ? 'P-256' : info.algorithm === 'ecdsa-p384' ? 'P-384' : info.algorithm === 'ecdsa-p521' ? 'P-521' : null;
      if (!curve) return false;
      const key = await subtle().importKey('spki', ab(issuerSpki), { name: 'ECDSA', namedCurve: curve }, false, ['verify']);
      return await subtle().verify({ name: 'ECDSA', hash: alg.hash }, key, ab(derToRaw(child.sig, curveSize(curve))), ab(child.tbs));
    }
    if (info.algorithm !== 'ed25519') return false;
    const key = await subtle().importKey('spki', ab(issuerSpki), { name: 'Ed25519' }, false, ['verify']);
    return await subtle().verify({ name: 'Ed25519' }, key, ab(child.sig), ab(child.tbs));
  } catch {
    return false;
  }
}

function ext(c: Cert, oid: string): x509.Extension | undefined {
  return c.x.extensions.find((e) => e.type === oid);
}

function extValue(c: Cert, oid: string): Uint8Array | undefined {
  const e = ext(c, oid);
  return e ? new Uint8Array(e.value) : undefined;
}

/** Extensions this verifier understands; an unknown CRITICAL extension fails the chain (RFC 5280 §4.2). */
const KNOWN_CRITICAL = new Set(['2.5.29.19', '2.5.29.15', '2.5.29.37', '2.5.29.14', '2.5.29.35', '2.5.29.17', '2.5.29.32']);

function keyAlgorithmName(spki: Uint8Array): string {
  let info;
  try {
    info = parseSpki(spki);
  } catch (e) {
    fail(`The attested public key is of a type keyceremony does not use (${e instanceof Error ? e.message : 'unknown'}).`, 'key certificate');
  }
  return info.algorithm === 'rsa' ? `rsa-${info.bits}` : info.algorithm;
}

interface Anchor {
  cert: Cert;
  source: 'bundled' | 'given';
}

let bundledCache: Promise<{ anchors: Cert[]; intermediates: Cert[]; u2fSha256: string }> | undefined;

/** The bundled Yubico certificates, parsed once. */
export function bundledCertificates(): Promise<{ anchors: Cert[]; intermediates: Cert[]; u2fSha256: string }> {
  bundledCache ??= (async () => {
    const anchors: Cert[] = [];
    const intermediates: Cert[] = [];
    let u2fSha256 = '';
    for (const b of BUNDLED_ATTESTATION_CERTS) {
      const der = certificatesFrom(new TextEncoder().encode(b.pem), b.name)[0] as Uint8Array;
      const c = await parseCert(der, b.name);
      (b.role === 'root' ? anchors : intermediates).push(c);
      if (b.name === 'Yubico U2F Root CA Serial 457200631') u2fSha256 = c.sha256;
    }
    return { anchors, intermediates, u2fSha256 };
  })();
  return bundledCache;
}

/**
 * The PIN and touch policy a YubiKey PIV key certificate states, WITHOUT verifying it: for the
 * "touch the YubiKey now" prompt only. Whether the attestation is genuine is assertAttestation's job.
 */
export function statedKeyPolicy(keyCert: Uint8Array): { pinPolicy: PinPolicy; touchPolicy: TouchPolicy } | null {
  try {
    const der = certificatesFrom(keyCert, 'key certificate')[0] as Uint8Array;
    const x = new x509.X509Certificate(new Uint8Array(der));
    const e = x.extensions.find((ext) => ext.type === OID.pivPolicy);
    return e ? pivPolicy(new Uint8Array(e.value)) : null;
  } catch {
    return null;
  }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Verify an attestation. Returns the report, or `{ok:false, reason}` naming the first thing that does
 * not hold. Never throws for bad input.
 */
export async function verifyAttestation(input: AttestationInput): Promise<AttestationVerdict> {
  try {
    return { ok: true, report: await assertAttestation(input) };
  } catch (e) {
    if (e instanceof KeyceremonyError) return { ok: false, reason: e.message, ...(e.where ? { where: e.where } : {}) };
    return { ok: false, reason: `The attestation could not be checked: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Throwing form: the report, or KeyceremonyError ATTESTATION_INVALID with the reason. */
/** A path from the device certificate to a trust anchor; every link's signature verified. */
async function buildPath(key: Cert, device: Cert, anchors: Anchor[], intermediates: Cert[], givenRoots: boolean): Promise<{ path: Cert[]; anchor: Anchor }> {
  const chain: Cert[] = [key, device];
  let anchor: Anchor | undefined = anchors.find((a) => bytesEqual(a.cert.der, device.der));
  let cur = device;
  while (!anchor) {
    if (chain.length > MAX_DEPTH) fail('The certificate chain is too long.', 'chain');
    let next: Cert | undefined;
    for (const a of anchors) {
      if (a.cert.subject === cur.issuer && (await signedBy(cur, a.cert.spki))) {
        anchor = a;
        break;
      }
    }
    if (anchor) break;
    for (const c of intermediates) {
      if (c.subject === cur.issuer && !chain.some((x) => x.sha256 === c.sha256) && (await signedBy(cur, c.spki))) {
        next = c;
        break;
      }
    }
    if (!next) {
      const sameName = [...anchors.map((a) => a.cert), ...intermediates].some((c) => c.subject === cur.issuer);
      fail(
        sameName
          ? `"${cur.subject}" names "${cur.issuer}" as its issuer, but no trusted certificate of that name signed it (a look-alike, a flipped byte, or the wrong root).`
          : `"${cur.subject}" was issued by "${cur.issuer}", which is not a trusted root${givenRoots ? ' given' : ' or intermediate bundled with keyceremony'}.`,
        cur === device ? 'device certificate' : cur.subject,
      );
    }
    chain.push(next);
    cur = next;
  }
  const path = anchor && bytesEqual(anchor.cert.der, chain[chain.length - 1]?.der ?? new Uint8Array()) ? chain : [...chain, anchor.cert];

  return { path, anchor };
}

/** Validity, critical extensions, CA flags, path lengths and key usage of every certificate of the path. */
function checkPath(path: Cert[], vendor: AttestationVendor, now: Date, u2fSha256: string, notes: string[]): void {
  const U2F_NOTE =
    'The chain ends at the Yubico U2F Root CA, whose path length is 0; like piv-go, its path length is taken as 1 so the device certificate may sit below it (some YubiKey 4 were certified this way).';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as Cert;
    const label = i === 0 ? 'key certificate' : i === 1 ? 'device certificate' : c.subject;
    if (c.x.notBefore.getTime() > now.getTime() || c.x.notAfter.getTime() < now.getTime()) {
      fail(`"${c.subject}" is not valid at ${iso(now)} (valid from ${iso(c.x.notBefore)} to ${iso(c.x.notAfter)}).`, label);
    }
    for (const e of c.x.extensions) {
      if (e.critical && !KNOWN_CRITICAL.has(e.type) && !(e.type.startsWith(PIV_ARC) || e.type.startsWith(HSM_ARC))) {
        fail(`"${c.subject}" has a critical extension keyceremony does not understand (${e.type}).`, label);
      }
    }
    const bc = c.x.getExtension(x509.BasicConstraintsExtension);
    if (i === 0) {
      if (bc?.ca) fail('The key certificate is a CA certificate, not a key attestation.', label);
      continue;
    }
    if (!bc) {
      if (i === 1 && vendor === 'yubico-piv') {
        notes.push(
          "The device certificate has no basicConstraints (YubiKey 4 era); accepted as a CA the way piv-go does. Its signature and the key certificate's were verified.",
        );
      } else {
        fail(`"${c.subject}" issues certificates but is not marked as a CA (no basicConstraints).`, label);
      }
    } else {
      if (!bc.ca) fail(`"${c.subject}" issues certificates but its basicConstraints say it is not a CA.`, label);
      const below = i - 1; // CA certificates between this one and the key certificate
      let max = bc.pathLength;
      const isU2f = i === path.length - 1 && c.sha256 === u2fSha256;
      if (max !== undefined && below > max && isU2f && below <= 1) {
        max = 1;
        notes.push(U2F_NOTE);
      }
      if (max !== undefined && below > max) fail(`"${c.subject}" allows ${max} CA certificate(s) below it, the chain has ${below}.`, label);
    }
    const ku = c.x.getExtension(x509.KeyUsagesExtension);
    if (ku && !(ku.usages & x509.KeyUsageFlags.keyCertSign))
      fail(`"${c.subject}" issues certificates but its key usage does not allow certificate signing.`, label);
  }
}

/** What the vendor extensions of the key (and device) certificate say, into the report. */
function readVendorFacts(report: AttestationReport, key: Cert, device: Cert, notes: string[]): void {
  const vendor = report.vendor;
  if (vendor === 'yubico-piv') {
    const fw = extValue(key, OID.pivFirmware);
    if (fw) report.firmware = pivFirmware(fw);
    const serial = extValue(key, OID.pivSerial);
    if (serial) report.serial = derUint(OID.pivSerial, serial);
    else notes.push('The key certificate carries no device serial (older firmware); the device cannot be identified from it.');
    const pol = extValue(key, OID.pivPolicy);
    if (pol) Object.assign(report, pivPolicy(pol));
    const ff = extValue(key, OID.pivFormFactor);
    if (ff) {
      const f = pivFormFactor(ff);
      report.formFactor = f.formFactor;
      report.fips = f.fips;
      report.cspn = f.cspn;
    }
    if (extValue(device, OID.pivFips)) report.fips = true;
    if (extValue(device, OID.pivCspn)) report.cspn = true;
    report.slot = pivSlotFromCn(key.cn);
    // Yubico: "Attestation is implemented by creating a X.509 certificate for the key that is to be
    // attested, this is only done if the key has been generated on device." (oid-piv-arc.html)
    report.generatedOnDevice = true;
  } else if (vendor === 'yubihsm2') {
    const fw = extValue(key, OID.hsmFirmware);
    if (fw) report.firmware = hsmFirmware(fw);
    const serial = extValue(key, OID.hsmSerial);
    if (serial) report.serial = derUint(OID.hsmSerial, serial);
    const devSerial = extValue(device, OID.hsmSerial);
    if (serial && devSerial && derUint(OID.hsmSerial, devSerial) !== report.serial) {
      fail(`The key certificate says YubiHSM serial ${report.serial}, its device certificate says ${derUint(OID.hsmSerial, devSerial)}.`, 'device certificate');
    }
    const idv = extValue(key, OID.hsmObjectId);
    const objectId = idv ? derUint(OID.hsmObjectId, idv) : -1;
    if (objectId >= 0) report.slot = `0x${objectId.toString(16).padStart(4, '0')}`;
    const ov = extValue(key, OID.hsmOrigin);
    if (!ov) fail('The YubiHSM key certificate does not say where the key came from (no origin extension).', OID.hsmOrigin);
    const origin = hsmOrigin(ov);
    if (!origin.generated) fail(`The YubiHSM says this key was imported, not generated on the device (origin 0x${origin.hex}).`, OID.hsmOrigin);
    if (origin.wrapped) notes.push('The YubiHSM key was generated on a YubiHSM, exported under wrap and imported again.');
    report.generatedOnDevice = true;
    const lv = extValue(key, OID.hsmLabel);
    const dv = extValue(key, OID.hsmDomains);
    const cv = extValue(key, OID.hsmCapabilities);
    report.hsm = {
      objectId,
      label: lv ? hsmLabel(lv) : null,
      domains: dv ? hsmDomains(dv) : [],
      capabilities: cv ? hsmCapabilities(cv) : null,
      origin: origin.hex,
    };
    report.formFactor = 'YubiHSM 2';
  }
}

export async function assertAttestation(input: AttestationInput): Promise<AttestationReport> {
  const now = input.now ?? new Date();
  const one = async (bytes: Uint8Array, what: string) => {
    const list = certificatesFrom(bytes, what);
    if (list.length !== 1) fail(`The ${what} must hold exactly one certificate; it holds ${list.length}.`, what);
    return parseCert(list[0] as Uint8Array, what);
  };
  const key = await one(input.keyCert, 'key certificate');
  const device = await one(input.deviceCert, 'device certificate');
  const bundled = await bundledCertificates();
  const notes: string[] = [];

  let anchors: Anchor[];
  if (input.roots?.length) {
    anchors = [];
    for (const r of input.roots)
      for (const der of certificatesFrom(r, 'root file')) anchors.push({ cert: await parseCert(der, 'root certificate'), source: 'given' });
    notes.push(`Trust anchors given by the caller (${anchors.length}); the bundled Yubico roots were not used.`);
  } else {
    anchors = bundled.anchors.map((cert) => ({ cert, source: 'bundled' as const }));
  }

  // 1. the key certificate is an end-entity certificate signed by the device certificate given
  if (key.subject === key.issuer && (await signedBy(key, key.spki))) {
    fail(
      `The key certificate "${key.subject}" is self-signed: anyone can make one. An attestation is signed by the device's attestation key.`,
      'key certificate',
    );
  }
  if (key.issuer !== device.subject) {
    fail(
      `The key certificate was issued by "${key.issuer}", but the device certificate given is "${device.subject}". Use the device certificate read from the same device.`,
      'device certificate',
    );
  }
  if (!(await signedBy(key, device.spki))) {
    fail(
      `The key certificate is not signed by the device certificate given (sha256 ${device.sha256.slice(0, 16)}…). Device certificates are shared per manufacturing batch, so a look-alike from another device does not verify: use the device certificate (YubiKey slot f9, or the YubiHSM's) read from the same device${SIG_ALGS[key.sigOid] ? '' : `; its signature algorithm ${key.sigOid} is not accepted`}.`,
      'key certificate signature',
    );
  }

  const { path, anchor } = await buildPath(key, device, anchors, bundled.intermediates, !!input.roots?.length);

  // 3. vendor: from the key certificate's extensions
  const oids = key.x.extensions.map((e) => e.type);
  const vendor: AttestationVendor = oids.some((o) => o.startsWith(PIV_ARC)) ? 'yubico-piv' : oids.some((o) => o.startsWith(HSM_ARC)) ? 'yubihsm2' : 'unknown';
  if (vendor === 'unknown') notes.push('The key certificate carries no Yubico attestation extensions: only the certificate chain was checked.');

  checkPath(path, vendor, now, bundled.u2fSha256, notes);

  // 5. what the attestation says
  const spki = key.spki;
  const report: AttestationReport = {
    vendor,
    serial: null,
    firmware: null,
    slot: null,
    algorithm: keyAlgorithmName(spki),
    pinPolicy: null,
    touchPolicy: null,
    formFactor: null,
    fips: false,
    cspn: false,
    generatedOnDevice: false,
    root: anchor.cert.cn ?? anchor.cert.subject,
    rootSha256: anchor.cert.sha256,
    rootSource: anchor.source,
    publicKeySha256: await sha256Hex(spki),
    publicKeySpki: spki,
    chain: path.map((c, i) => ({
      role: i === 0 ? 'key' : i === 1 ? 'device' : i === path.length - 1 ? 'root' : 'intermediate',
      subject: c.subject,
      issuer: c.issuer,
      sha256: c.sha256,
      notBefore: iso(c.x.notBefore),
      notAfter: iso(c.x.notAfter),
    })),
    notes,
  };
  readVendorFacts(report, key, device, notes);

  // 6. the key the caller expects
  if (input.expectPublicKeySpki && !bytesEqual(input.expectPublicKeySpki, spki)) {
    fail(
      `The attested key (sha256 ${report.publicKeySha256.slice(0, 16)}…) is not the expected key (sha256 ${(await sha256Hex(input.expectPublicKeySpki)).slice(0, 16)}…).`,
      'expected public key',
    );
  }
  return report;
}

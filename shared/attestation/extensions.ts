/**
 * Decoding of the vendor extensions in hardware attestation certificates (pure).
 *
 * YubiKey PIV, arc 1.3.6.1.4.1.41482.3 — Yubico, "PIV Attestation OID Arc"
 * (https://docs.yubico.com/hardware/oid/oid-piv-arc.html) and piv-go `piv/key.go` (`extIDFirmwareVersion`,
 * `extIDSerialNumber`, `extIDKeyPolicy`, `extIDFormFactor`, `Attestation.addExt`):
 *   .3.3  firmware version: 3 raw bytes major, minor, patch (no inner DER tag)
 *   .3.7  device serial: DER INTEGER (absent on old firmware)
 *   .3.8  policy: 2 raw bytes, PIN policy (1 never, 2 once, 3 always, 4 match-once, 5 match-always)
 *         then touch policy (1 never, 2 always, 3 cached)
 *   .3.9  form factor: 1 raw byte; low bits 1 USB-A keychain, 2 USB-A nano, 3 USB-C keychain, 4 USB-C nano,
 *         5 USB-C/Lightning keychain, 6 USB-A Bio, 7 USB-C Bio; 0x80 = FIPS series, 0x40 = CSPN series
 *   .3.10 FIPS certified, .3.11 CSPN certified (on the device certificate of such series)
 * The device serial is read ONLY from the key certificate: device (F9) certificates are issued per
 * manufacturing batch and shared by many YubiKeys (measured: ../shared/fixtures/interop/yubico/SOURCE.txt).
 *
 * YubiHSM 2, arc 1.3.6.1.4.1.41482.4 — Yubico, "YubiHSM 2 Attestation"
 * (https://developers.yubico.com/YubiHSM2/Concepts/Attestation.html):
 *   .4.1 firmware (OCTET STRING, 3 bytes)   .4.2 serial (INTEGER)        .4.3 origin (BIT STRING)
 *   .4.4 domains (BIT STRING)               .4.5 capabilities (BIT STRING) .4.6 object id (INTEGER)
 *   .4.9 label (UTF8String)
 * Origin (https://developers.yubico.com/YubiHSM2/Concepts/Object.html; yubihsm-rs `src/object/origins.rs`):
 * 0x01 generated on the device, 0x02 imported, 0x11 generated then wrapped and re-imported, 0x12 imported
 * then wrapped and re-imported. Bit 0x01 therefore means "the key was generated inside a YubiHSM".
 */
import { readDer } from '../encoding/der';
import { fromUtf8, toHex } from '../encoding/bytes';
import { KeyceremonyError } from '../errors';

export const OID = {
  pivFirmware: '1.3.6.1.4.1.41482.3.3',
  pivSerial: '1.3.6.1.4.1.41482.3.7',
  pivPolicy: '1.3.6.1.4.1.41482.3.8',
  pivFormFactor: '1.3.6.1.4.1.41482.3.9',
  pivFips: '1.3.6.1.4.1.41482.3.10',
  pivCspn: '1.3.6.1.4.1.41482.3.11',
  hsmFirmware: '1.3.6.1.4.1.41482.4.1',
  hsmSerial: '1.3.6.1.4.1.41482.4.2',
  hsmOrigin: '1.3.6.1.4.1.41482.4.3',
  hsmDomains: '1.3.6.1.4.1.41482.4.4',
  hsmCapabilities: '1.3.6.1.4.1.41482.4.5',
  hsmObjectId: '1.3.6.1.4.1.41482.4.6',
  hsmLabel: '1.3.6.1.4.1.41482.4.9',
} as const;

export const PIV_ARC = '1.3.6.1.4.1.41482.3.';
export const HSM_ARC = '1.3.6.1.4.1.41482.4.';

export type PinPolicy = 'never' | 'once' | 'always' | 'match-once' | 'match-always';
export type TouchPolicy = 'never' | 'always' | 'cached';

const PIN_POLICIES: Record<number, PinPolicy> = { 1: 'never', 2: 'once', 3: 'always', 4: 'match-once', 5: 'match-always' };
const TOUCH_POLICIES: Record<number, TouchPolicy> = { 1: 'never', 2: 'always', 3: 'cached' };
const FORM_FACTORS: Record<number, string> = {
  0: 'unspecified',
  1: 'USB-A keychain',
  2: 'USB-A nano',
  3: 'USB-C keychain',
  4: 'USB-C nano',
  5: 'USB-C/Lightning keychain',
  6: 'USB-A Bio keychain',
  7: 'USB-C Bio keychain',
};

/** PIV slots by key reference (NIST SP 800-73-4 §5.1; Yubico retired slots 82–95). */
export const PIV_SLOTS = ['9a', '9c', '9d', '9e', ...Array.from({ length: 20 }, (_, i) => (0x82 + i).toString(16))] as const;

/** The extension is present but malformed: a verification failure that names the OID. */
function bad(oid: string, reason: string): never {
  throw new KeyceremonyError('ATTESTATION_INVALID', `The attestation extension ${oid} is malformed: ${reason}.`, { where: oid });
}

/** A non-negative DER INTEGER that fits a JS number. */
export function derUint(oid: string, value: Uint8Array): number {
  const { node, next } = readDer(value);
  if (node.tag !== 0x02 || next !== value.length || node.value.length === 0 || node.value.length > 7) bad(oid, 'not a DER INTEGER');
  if ((node.value[0] as number) & 0x80) bad(oid, 'negative INTEGER');
  let n = 0;
  for (const b of node.value) n = n * 256 + b;
  return n;
}

export function pivFirmware(value: Uint8Array): string {
  if (value.length !== 3) bad(OID.pivFirmware, `expected 3 bytes, got ${value.length}`);
  return `${value[0]}.${value[1]}.${value[2]}`;
}

export function pivPolicy(value: Uint8Array): { pinPolicy: PinPolicy; touchPolicy: TouchPolicy } {
  if (value.length !== 2) bad(OID.pivPolicy, `expected 2 bytes, got ${value.length}`);
  const pinPolicy = PIN_POLICIES[value[0] as number];
  const touchPolicy = TOUCH_POLICIES[value[1] as number];
  if (!pinPolicy) bad(OID.pivPolicy, `unknown PIN policy 0x${(value[0] as number).toString(16)}`);
  if (!touchPolicy) bad(OID.pivPolicy, `unknown touch policy 0x${(value[1] as number).toString(16)}`);
  return { pinPolicy, touchPolicy };
}

export function pivFormFactor(value: Uint8Array): { formFactor: string; fips: boolean; cspn: boolean } {
  if (value.length !== 1) bad(OID.pivFormFactor, `expected 1 byte, got ${value.length}`);
  const v = value[0] as number;
  return { formFactor: FORM_FACTORS[v & 0x0f] ?? `unknown (0x${v.toString(16)})`, fips: (v & 0x80) !== 0, cspn: (v & 0x40) !== 0 };
}

/** "YubiKey PIV Attestation 9c" → "9c" (piv-go `parseSlot`: the slot is the hex suffix of the subject CN). */
export function pivSlotFromCn(cn: string | null): string | null {
  const m = /^YubiKey PIV Attestation ([0-9a-fA-F]{2})$/.exec(cn ?? '');
  return m ? (m[1] as string).toLowerCase() : null;
}

/** YubiHSM firmware: an OCTET STRING of 3 bytes (some tools store the 3 bytes raw; accept both). */
export function hsmFirmware(value: Uint8Array): string {
  let v = value;
  if (v.length !== 3) {
    const { node, next } = readDer(value);
    if (node.tag !== 0x04 || next !== value.length) bad(OID.hsmFirmware, 'not an OCTET STRING');
    v = node.value;
  }
  if (v.length !== 3) bad(OID.hsmFirmware, `expected 3 bytes, got ${v.length}`);
  return `${v[0]}.${v[1]}.${v[2]}`;
}

/** The bytes of a DER BIT STRING (after the unused-bits octet). */
function bitString(oid: string, value: Uint8Array): Uint8Array {
  const { node, next } = readDer(value);
  if (node.tag !== 0x03 || next !== value.length || node.value.length < 1) bad(oid, 'not a DER BIT STRING');
  return node.value.subarray(1);
}

export interface HsmOrigin {
  generated: boolean;
  imported: boolean;
  /** Exported under wrap and re-imported (the generated/imported bit is kept). */
  wrapped: boolean;
  hex: string;
}

export function hsmOrigin(value: Uint8Array): HsmOrigin {
  const b = bitString(OID.hsmOrigin, value);
  const v = b.length ? (b[b.length - 1] as number) : 0;
  return { generated: (v & 0x01) !== 0, imported: (v & 0x02) !== 0, wrapped: (v & 0x10) !== 0, hex: toHex(b) };
}

/** Domains 1–16 from the 16-bit mask (bit 0 = domain 1). */
export function hsmDomains(value: Uint8Array): number[] {
  const b = bitString(OID.hsmDomains, value);
  let mask = 0;
  for (const x of b) mask = mask * 256 + x;
  const out: number[] = [];
  for (let i = 0; i < 16; i++) if (mask & (1 << i)) out.push(i + 1);
  return out;
}

export function hsmCapabilities(value: Uint8Array): string {
  return toHex(bitString(OID.hsmCapabilities, value));
}

export function hsmLabel(value: Uint8Array): string {
  const { node, next } = readDer(value);
  if (node.tag !== 0x0c || next !== value.length) bad(OID.hsmLabel, 'not a UTF8String');
  return fromUtf8(node.value);
}

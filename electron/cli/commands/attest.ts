/**
 * keyceremony attest verify: check a hardware key attestation (YubiKey PIV, YubiHSM 2) offline
 * against the bundled Yubico roots. Exit 0 valid, 1 not valid (with the reason), 2 usage.
 */
import { assertAttestation, type AttestationReport } from '../../../shared/attestation';
import { pemDecode, pemEncode } from '../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../shared/errors';
import { parse, required, UsageError } from '../args';
import { group } from '../dispatch';
import { readInput } from '../../adapters/fs/read';
import type { Command } from './types';

const readCert = (path: string, what: string): Uint8Array => readInput(path, what, what === 'expected public key' ? 'key' : 'certificate');

function expectedKey(path: string): Uint8Array {
  const text = new TextDecoder().decode(readCert(path, 'expected public key'));
  let block;
  try {
    block = pemDecode(text);
  } catch {
    throw new KeyceremonyError('INVALID_KEY', `${path} is not a PEM public key.`, { where: path });
  }
  if (block.label !== 'PUBLIC KEY')
    throw new KeyceremonyError('INVALID_KEY', `${path} holds a "${block.label}" block; a "PUBLIC KEY" (SubjectPublicKeyInfo) is needed.`, { where: path });
  return block.der;
}

/** The --json form: the report with the key as PEM instead of bytes. */
export function attestationJson(r: AttestationReport) {
  const { publicKeySpki, ...rest } = r;
  return { valid: true, ...rest, publicKeyPem: pemEncode('PUBLIC KEY', publicKeySpki) };
}

const POLICY = (r: AttestationReport) => (r.pinPolicy || r.touchPolicy ? `PIN ${r.pinPolicy ?? '?'}, touch ${r.touchPolicy ?? '?'}` : 'not stated');

const VERIFY_NOTES =
  "  KEY_CERT     the key's attestation certificate (ykman piv keys attest SLOT; yubihsm-shell get-attestation-certificate), PEM or DER\n" +
  "  DEVICE_CERT  the device certificate (YubiKey slot f9: ykman piv certificates export f9; the YubiHSM's), PEM or DER\n" +
  '  --root       trust these roots INSTEAD of the bundled Yubico roots (tests, or a vendor keyceremony does not bundle)\n' +
  '  --expect-pubkey  the attested key must be this public key (PEM)\n' +
  '  --at         check certificate validity at this time (default: now)\n' +
  'The device serial is taken from the key certificate only: device certificates are shared by a manufacturing batch.';

const verifyAttestation: Command = {
  name: 'verify',
  summary: 'verify a hardware key attestation (YubiKey PIV, YubiHSM 2) against the bundled Yubico roots',
  usage: ['--cert KEY_CERT --device-cert DEVICE_CERT [--root PEM]... [--expect-pubkey PEM] [--at TIME] [--json]'],
  notes: VERIFY_NOTES,
  async run(rest, ctx) {
    const { values, positionals } = parse(
      rest,
      {
        cert: { type: 'string' },
        'device-cert': { type: 'string' },
        root: { type: 'string', multiple: true },
        'expect-pubkey': { type: 'string' },
        at: { type: 'string' },
        json: { type: 'boolean' },
      },
      { positionals: true },
    );
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const certPath = required(values.cert, '--cert');
    const devPath = required(values['device-cert'], '--device-cert');
    let now: Date | undefined;
    if (values.at !== undefined) {
      now = new Date(values.at);
      if (Number.isNaN(now.getTime())) throw new UsageError(`--at: "${values.at}" is not a date`);
    }
    const input = {
      keyCert: readCert(certPath, 'key certificate'),
      deviceCert: readCert(devPath, 'device certificate'),
      ...(values.root?.length ? { roots: values.root.map((p) => readCert(p, 'root file')) } : {}),
      ...(values['expect-pubkey'] ? { expectPublicKeySpki: expectedKey(values['expect-pubkey']) } : {}),
      ...(now ? { now } : {}),
    };
    let r: AttestationReport;
    try {
      r = await assertAttestation(input);
    } catch (e) {
      if (!(e instanceof KeyceremonyError) || e.code !== 'ATTESTATION_INVALID') throw e;
      if (values.json) ctx.out(JSON.stringify({ valid: false, reason: e.message, ...(e.where ? { where: e.where } : {}) }, null, 2));
      else ctx.out(`attestation: NOT VALID: ${e.message}${e.where ? ` (${e.where})` : ''}`);
      return 1;
    }
    if (values.json) {
      ctx.out(JSON.stringify(attestationJson(r), null, 2));
      return 0;
    }
    ctx.out(`attestation: VALID (${r.vendor === 'yubico-piv' ? 'YubiKey PIV' : r.vendor === 'yubihsm2' ? 'YubiHSM 2' : 'unknown vendor'})`);
    ctx.out(`  serial      ${r.serial ?? 'not stated'}`);
    ctx.out(`  firmware    ${r.firmware ?? 'not stated'}`);
    ctx.out(`  slot        ${r.slot ?? 'not stated'}`);
    ctx.out(`  key         ${r.algorithm}, sha256 ${r.publicKeySha256}`);
    ctx.out(`  policy      ${POLICY(r)}`);
    ctx.out(`  form factor ${r.formFactor ?? 'not stated'}${r.fips ? ', FIPS series' : ''}${r.cspn ? ', CSPN series' : ''}`);
    if (r.hsm)
      ctx.out(`  object      ${r.slot} "${r.hsm.label ?? ''}", domains ${r.hsm.domains.join(',') || 'none'}, capabilities ${r.hsm.capabilities ?? '?'}`);
    ctx.out(`  root        ${r.root} (${r.rootSource === 'bundled' ? 'bundled with keyceremony' : 'given with --root'}, sha256 ${r.rootSha256})`);
    ctx.out('  chain');
    for (const c of r.chain) ctx.out(`    ${c.role.padEnd(12)} ${c.subject}  sha256 ${c.sha256}`);
    for (const n of r.notes) ctx.out(`  note: ${n}`);
    return 0;
  },
};

export const attestCommand: Command = group({
  name: 'attest',
  summary: 'verify a hardware key attestation (YubiKey PIV, YubiHSM 2) against the bundled Yubico roots',
  subcommands: [verifyAttestation],
});

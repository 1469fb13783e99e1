/**
 * The auditor's verifications beyond electron/ipc/verify.ts, over the same core as the CLI:
 * `bundle verify PATH --production --expect-signer FP`, `tuf verify --trusted-root F --metadata DIR
 * --at T --target P --targets DIR`, `notary verify --dir DIR [--trusted-root F] [--gun G] [--at T]
 * [--require-all]` and `cosign verify`. Each answers the one VerificationReport; the pins the auditor
 * set (keys that must have signed, the mode) are applied to it, so an unmet pin is a failing item at
 * the top and the verdict is red.
 */
import { KeyceremonyError } from '../../shared/errors';
import { sha256Hex } from '../../shared/crypto/webcrypto';
import { utf8 } from '../../shared/encoding/bytes';
import { notaryKeyFromText, spkiOfKey } from '../../shared/notary';
import { keyToSpki, parseTufKeyText } from '../../shared/tuf/keys';
import { parsePublicKeyPem } from '../../shared/cosign/keys';
import { parseImageReference } from '../../shared/cosign/reference';
import { parseTrustedRoot } from '../../shared/cosign/trusted-root';
import { applyPins, checkFingerprint, type Pins } from '../../shared/verification/pins';
import {
  orderItems,
  verdictOf,
  failedSummary,
  VERIFICATION_REPORT_TYPE,
  type VerificationItem,
  type VerificationReport,
} from '../../shared/verification/report';
import type { Request } from '../../shared/ipc/contract';
import { bundleReport, verifyBundle, type BundleReader } from '../core/ceremony/bundle';
import { lookupTargets, verifyRepository, type MetadataReader } from '../core/tuf/verify';
import { verifyNotaryRepository } from '../core/notary';
import { checkCosign, type CosignCheck } from '../core/cosign/check';
import { nodeSha256Hex } from '../adapters/node-hash';

export type PinsInput = NonNullable<Request<'kc:verify.bundle'>['pins']>;

/** The pinned keys as fingerprints: PEM public keys, certificates, Notary or TUF key JSON, or 64-hex fingerprints. */
export async function resolvePins(p: PinsInput | undefined): Promise<Pins | undefined> {
  if (!p) return undefined;
  const signers = p.fingerprints.map((f, i) => checkFingerprint(f, `pinned fingerprint ${i + 1}`));
  for (const [i, text] of p.keys.entries()) signers.push(await pinnedKeyFingerprint(text, `pinned key ${i + 1}`));
  return { signers: [...new Set(signers)], mode: p.mode };
}

/** The SHA-256 fingerprint (of the SPKI) of a pinned key: PEM public key, certificate, Notary or TUF key JSON. */
export async function pinnedKeyFingerprint(text: string, where: string): Promise<string> {
  let spki: Uint8Array;
  try {
    spki = spkiOfKey(notaryKeyFromText(text, where));
  } catch {
    try {
      spki = keyToSpki(parseTufKeyText(text, where)).spki;
    } catch (e) {
      throw new KeyceremonyError('INVALID_KEY', `${where}: not a PEM public key, certificate, or key JSON (${(e as Error).message})`, { where });
    }
  }
  return sha256Hex(spki);
}

const pinned = (r: VerificationReport, pins: Pins | undefined, signers?: readonly string[]) => (pins ? applyPins(r, pins, signers) : r);

/** A bundle folder or archive, verified with the pins the CLI has (--production, --expect-signer). */
export async function auditBundle(reader: BundleReader, pins: Pins | undefined): Promise<VerificationReport> {
  const v = await verifyBundle(reader, {
    requireProduction: pins?.mode === 'production',
    expectFingerprints: pins?.signers ?? [],
    sha256Hex: nodeSha256Hex,
  });
  const r = bundleReport(v);
  // the signer pins and production are the core's own checks; a pinned rehearsal is checked here
  return pins?.mode === 'rehearsal' ? applyPins(r, { signers: [], mode: 'rehearsal' }) : r;
}

export function atTime(at: string | undefined): number {
  if (at === undefined) return Date.now();
  const ms = Date.parse(at);
  if (Number.isNaN(ms))
    throw new KeyceremonyError('INVALID_INPUT', `the evaluation time must be an RFC 3339 time such as 2027-01-31T00:00:00Z, got ${JSON.stringify(at)}`, {
      where: 'at',
    });
  return ms;
}

/** TUF metadata from a reader, as `tuf verify` (with --at, --target, --targets). */
export async function auditTuf(
  trustedRoot: string,
  source: MetadataReader,
  opts: { at?: string; lookups?: readonly string[]; targetFiles?: MetadataReader; pins?: Pins },
): Promise<VerificationReport> {
  const v = await verifyRepository(utf8(trustedRoot), source, { now: atTime(opts.at), ...(opts.targetFiles ? { targetFiles: opts.targetFiles } : {}) });
  await lookupTargets(v, opts.lookups ?? []);
  return pinned(v.report, opts.pins);
}

/** A Notary folder, as `notary verify`. */
export async function auditNotary(
  files: ReadonlyMap<string, Uint8Array>,
  opts: { trustedRoot?: string; gun?: string; at?: string; requireAll?: boolean; pins?: Pins },
): Promise<VerificationReport> {
  const r = await verifyNotaryRepository({
    files,
    at: new Date(atTime(opts.at)),
    ...(opts.trustedRoot !== undefined ? { trustedRoot: utf8(opts.trustedRoot) } : {}),
    ...(opts.gun ? { gun: opts.gun } : {}),
    ...(opts.requireAll ? { requireAll: true } : {}),
  });
  return pinned(r, opts.pins);
}

/** cosign data as `cosign verify` checks it; the report for the screen, and the CLI's --json. */
export async function auditCosign(
  req: Omit<Request<'kc:verify.cosign'>, 'pins' | 'artifactFileId'> & { artifact?: Uint8Array },
  pins: Pins | undefined,
): Promise<{ report: VerificationReport; cliJson: string }> {
  const keys = req.keys.map((k, i) => parsePublicKeyPem(k, `key ${i + 1}`).spki);
  const check: CosignCheck = await checkCosign({
    keys,
    bundles: req.bundles.map((b) => ({ name: b.name, bytes: utf8(b.text) })),
    ...(req.payload !== undefined ? { payload: utf8(req.payload) } : {}),
    ...(req.signature !== undefined ? { signature: req.signature.trim() } : {}),
    ...(req.image ? { image: parseImageReference(req.image.trim(), 'image') } : {}),
    ...(req.artifact ? { artifact: req.artifact } : {}),
    ...(req.threshold !== undefined ? { threshold: req.threshold } : {}),
    ...(req.trustedRoot !== undefined ? { trustedRoot: parseTrustedRoot(utf8(req.trustedRoot), 'trusted root') } : {}),
    now: new Date(),
  });
  const items: VerificationItem[] = [];
  if (check.perBundle) {
    for (const p of check.perBundle)
      items.push({
        check: 'cosign.signature',
        status: p.valid ? 'pass' : 'fail',
        subject: p.name,
        message: p.reason,
        ...(p.valid ? {} : { code: 'VERIFICATION_FAILED' }),
      });
    items.push({
      check: 'cosign.threshold',
      status: check.valid ? 'pass' : 'fail',
      subject: `${req.threshold} of ${req.keys.length}`,
      message: check.reason,
      ...(check.valid ? {} : { code: 'THRESHOLD_NOT_MET' }),
    });
  } else {
    items.push({
      check: 'cosign.signature',
      status: check.valid ? 'pass' : 'fail',
      subject: req.bundles[0]?.name ?? 'signature',
      message: check.reason,
      ...(check.valid ? {} : { code: 'VERIFICATION_FAILED' }),
    });
  }
  if (check.tlog) items.push({ check: 'cosign.signature', status: 'pass', subject: 'transparency log', message: check.tlog.summary });
  const ordered = orderItems(items);
  const verdict = verdictOf(ordered, true);
  const evaluatedAt = new Date().toISOString();
  const report: VerificationReport = {
    type: VERIFICATION_REPORT_TYPE,
    kind: 'cosign',
    verdict,
    ok: verdict !== 'failed',
    evaluatedAt,
    subject: req.image ?? 'cosign signatures',
    rehearsal: false,
    summary: '',
    items: ordered,
    roles: [],
  };
  report.summary = report.ok
    ? `VERIFIED at ${evaluatedAt}: ${check.reason} (key-based: no certificate chain, identity or timestamp checked)`
    : failedSummary(report);
  return { report: pinned(report, pins, check.signers), cliJson: JSON.stringify(check.json, null, 2) + '\n' };
}

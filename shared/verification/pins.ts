/**
 * Expectations an auditor pins BEFORE verifying (desktop Verify screen): the keys that must have
 * signed (by SHA-256 fingerprint of the public key) and the mode (production or rehearsal). A pin
 * not met is a failing item: the verdict turns red and the item goes first. Never a green verdict
 * above a failing line. (Bundles take the same pins in the core verifier, as `bundle verify
 * --expect-signer --production` does; this applies them to any other report.)
 */
import { KeyceremonyError } from '../errors';
import { addFailure, orderItems, type VerificationReport } from './report';

export interface Pins {
  /** SHA-256 (hex) of each public key that must have signed. */
  signers: string[];
  /** production: a rehearsal result fails; rehearsal: a production result fails; any: no pin. */
  mode: 'production' | 'rehearsal' | 'any';
}

export function checkFingerprint(fp: string, where = 'pinned signer'): string {
  const f = fp.trim().toLowerCase().replace(/[\s:]/g, '');
  if (!/^[0-9a-f]{64}$/.test(f))
    throw new KeyceremonyError('INVALID_INPUT', `${where}: a key fingerprint is 64 hex digits (SHA-256 of the public key), got "${fp.slice(0, 80)}"`, {
      where,
    });
  return f;
}

/** Every key fingerprint that signed something in the report (roles' thresholds). */
export function reportSigners(r: VerificationReport): string[] {
  const out = new Set<string>();
  for (const role of r.roles) for (const t of role.thresholds) for (const s of t.signedBy) if (s.fingerprint) out.add(s.fingerprint.toLowerCase());
  return [...out];
}

/** Apply the pins to a report; `signers` defaults to the report's own role signers. */
export function applyPins(r: VerificationReport, pins: Pins, signers: readonly string[] = reportSigners(r)): VerificationReport {
  const have = new Set(signers.map((s) => s.toLowerCase()));
  const passes: VerificationReport['items'] = [];
  for (const fp of pins.signers.map((x) => checkFingerprint(x))) {
    if (have.has(fp)) passes.push({ check: 'pin.signer', status: 'pass', subject: fp.slice(0, 16), message: `pinned key ${fp.slice(0, 16)}… signed` });
    else {
      addFailure(r, {
        check: 'pin.signer',
        subject: fp.slice(0, 16),
        code: 'VERIFICATION_FAILED',
        message: `pinned key ${fp.slice(0, 16)}… did NOT sign this; it was signed by ${have.size ? [...have].map((h) => `${h.slice(0, 16)}…`).join(', ') : 'no key that verified'}`,
      });
    }
  }
  if (pins.mode !== 'any') {
    const isRehearsal = r.rehearsal;
    if ((pins.mode === 'production') === isRehearsal) {
      addFailure(r, {
        check: 'pin.mode',
        subject: r.subject,
        code: 'PRECONDITION_FAILED',
        message: isRehearsal
          ? 'this is REHEARSAL material, but production was pinned: it must not be trusted'
          : 'this is production material, but a rehearsal was pinned',
      });
    } else passes.push({ check: 'pin.mode', status: 'pass', subject: r.subject, message: `${pins.mode} as pinned` });
  }
  r.items = orderItems([...r.items, ...passes]);
  return r;
}

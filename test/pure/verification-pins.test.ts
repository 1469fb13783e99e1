/**
 * Pinned expectations (shared/verification/pins.ts, electron/ipc/audit.ts resolvePins): a pinned key
 * that did not sign, or the wrong mode, is a failing item placed first and turns the verdict red;
 * pins given as PEM public keys, certificates, TUF key JSON or fingerprints resolve to the same key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPins, checkFingerprint } from '../../shared/verification/pins';
import { VERIFICATION_REPORT_TYPE, type VerificationReport } from '../../shared/verification/report';
import { resolvePins } from '../../electron/ipc/audit';
import { SoftwareSigner } from '../helpers/software-signer';
import { pemEncode } from '../../shared/encoding/bytes';
import { signerKey } from '../../electron/core/tuf/sign';
import { KeyceremonyError } from '../../shared/errors';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function report(over: Partial<VerificationReport> = {}): VerificationReport {
  return {
    type: VERIFICATION_REPORT_TYPE,
    kind: 'tuf',
    verdict: 'verified',
    ok: true,
    evaluatedAt: '2026-01-01T00:00:00Z',
    subject: 'TUF repository',
    rehearsal: false,
    summary: 'VERIFIED',
    items: [{ check: 'role.signatures', status: 'pass', subject: 'root', message: 'signed' }],
    roles: [
      {
        role: 'root',
        kind: 'root',
        status: 'verified',
        notes: [],
        thresholds: [{ delegator: 'root', description: 'root keys', threshold: 1, valid: 1, met: true, signedBy: [{ keyid: 'k', fingerprint: A }] }],
      },
    ],
    ...over,
  };
}

test('a pinned key that signed passes; one that did not is a failure placed first, and the verdict is red', () => {
  const ok = applyPins(report(), { signers: [A.toUpperCase()], mode: 'production' });
  assert.equal(ok.verdict, 'verified');
  assert.deepEqual(
    ok.items.map((i) => [i.check, i.status]),
    [
      ['role.signatures', 'pass'],
      ['pin.signer', 'pass'],
      ['pin.mode', 'pass'],
    ],
  );
  const bad = applyPins(report(), { signers: [A, B], mode: 'any' });
  assert.equal(bad.verdict, 'failed');
  assert.equal(bad.ok, false);
  assert.deepEqual([bad.items[0]!.check, bad.items[0]!.status, bad.items[0]!.code], ['pin.signer', 'fail', 'VERIFICATION_FAILED']);
  assert.match(bad.summary, /^NOT VERIFIED/);
  assert.match(bad.items[0]!.message, /pinned key bbbbbbbbbbbbbbbb… did NOT sign this; it was signed by aaaaaaaaaaaaaaaa…/);
});

test('the mode pin: rehearsal material under a production pin is red, and the other way round', () => {
  const r = applyPins(report({ rehearsal: true }), { signers: [], mode: 'production' });
  assert.deepEqual([r.verdict, r.items[0]!.check, r.items[0]!.code], ['failed', 'pin.mode', 'PRECONDITION_FAILED']);
  assert.equal(applyPins(report({ rehearsal: false }), { signers: [], mode: 'rehearsal' }).verdict, 'failed');
  assert.equal(applyPins(report({ rehearsal: true }), { signers: [], mode: 'rehearsal' }).verdict, 'verified');
  assert.equal(applyPins(report({ rehearsal: true }), { signers: [], mode: 'any' }).verdict, 'verified');
  // an already failed report stays failed with the pin failures added
  const failed = applyPins(
    report({ verdict: 'failed', ok: false, items: [{ check: 'role.expiry', status: 'fail', code: 'EXPIRED', subject: 'timestamp', message: 'expired' }] }),
    { signers: [B], mode: 'any' },
  );
  assert.deepEqual(
    failed.items.map((i) => i.status),
    ['fail', 'fail'],
  );
});

test('pins as a PEM key, TUF key JSON or fingerprint resolve to the same SHA-256; junk is refused naming it', async () => {
  const s = SoftwareSigner.generate('ecdsa-p256');
  const pem = pemEncode('PUBLIC KEY', s.publicKeySpki);
  const json = JSON.stringify((await signerKey(s)).key);
  const p = await resolvePins({ keys: [pem, json], fingerprints: [s.fingerprint.toUpperCase().match(/.{2}/g)!.join(':')], mode: 'any' });
  assert.deepEqual(p, { signers: [s.fingerprint], mode: 'any' });
  await assert.rejects(
    resolvePins({ keys: ['not a key'], fingerprints: [], mode: 'any' }),
    (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_KEY' && e.where === 'pinned key 1',
  );
  assert.throws(() => checkFingerprint('abc', 'pinned fingerprint 2'), /pinned fingerprint 2: a key fingerprint is 64 hex digits/);
});

/**
 * Issue 19, the app: the Verify screen's bundle report (kc:verify.bundle, a VerificationReport) shows
 * the auditor that SHA256SUMS, each signer's signature over it and VERIFY.sh are in the bundle and
 * agree with the full verification, as items with their own check codes, and says which one fails
 * (by check and error code) when the bundle was changed.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { verifyBundleBytes } from '../../electron/ipc/verify';
import { findItem, type CheckCode } from '../../shared/verification/report';
import { bundleTar, makeFakeBundle, type FakeBundle } from '../helpers/fake-bundle';

let good: FakeBundle;
before(async () => {
  good = await makeFakeBundle();
});
type Report = Awaited<ReturnType<typeof verifyBundleBytes>>;
const status = (r: Report, check: CheckCode, subject?: string) => {
  const i = findItem(r, check, subject);
  return i && [i.status, i.code ?? null];
};

test('a sealed bundle: SHA256SUMS, its three signatures and VERIFY.sh each a passed item; the facts carry them', async () => {
  const r = await verifyBundleBytes(bundleTar(good.files));
  assert.equal(r.verdict, 'verified', r.summary);
  assert.deepEqual(status(r, 'bundle.checksums', 'SHA256SUMS'), ['pass', null]);
  assert.match(findItem(r, 'bundle.checksums')!.message, /lists all \d+ other files of the bundle, each matching \(sha256sum -c SHA256SUMS\)/);
  for (const n of [1, 2, 3]) {
    const s = findItem(r, 'bundle.checksums.signature', `SHA256SUMS.REHEARSAL-root-${n}.sig`);
    assert.equal(s?.status, 'pass');
    assert.match(s!.message, new RegExp(`root-${n} signed SHA256SUMS \\(ecdsa-p256-sha256\\); openssl verifies it with keys/REHEARSAL-root-${n}\\.pub\\.pem`));
  }
  assert.deepEqual(status(r, 'bundle.verify-script', 'VERIFY.sh'), ['pass', null]);
  assert.match(findItem(r, 'bundle.verify-script')!.message, /agrees with this verification \(run: sh VERIFY\.sh\)/);
  assert.deepEqual(
    [r.bundle?.checksums?.present, r.bundle?.checksums?.matches, r.bundle?.checksums?.signatures.map((s) => s.ok)],
    [true, true, [true, true, true]],
  );
  assert.deepEqual(r.bundle?.verifyScript, { path: 'VERIFY.sh', present: true, matches: true });
});

test('a changed VERIFY.sh, a signature from another key, a missing SHA256SUMS: the failing item names it by code', async () => {
  const sh = new Map(good.files);
  sh.set('VERIFY.sh', new TextEncoder().encode('#!/bin/sh\nexit 0\n'));
  let r = await verifyBundleBytes(bundleTar(sh));
  assert.equal(r.verdict, 'failed');
  assert.deepEqual(status(r, 'bundle.verify-script', 'VERIFY.sh'), ['fail', 'HASH_MISMATCH']);
  assert.deepEqual(status(r, 'bundle.checksums', 'VERIFY.sh'), ['fail', 'HASH_MISMATCH']);
  assert.equal(r.bundle?.verifyScript?.matches, false);

  const sig = new Map(good.files);
  sig.set('SHA256SUMS.REHEARSAL-root-1.sig', good.files.get('SHA256SUMS.REHEARSAL-root-2.sig')!);
  r = await verifyBundleBytes(bundleTar(sig));
  assert.equal(r.verdict, 'failed');
  assert.deepEqual(status(r, 'bundle.checksums.signature', 'SHA256SUMS.REHEARSAL-root-1.sig'), ['fail', 'INVALID_SIGNATURE']);
  assert.match(findItem(r, 'bundle.checksums.signature', 'SHA256SUMS.REHEARSAL-root-1.sig')!.message, /does not verify with keys\/REHEARSAL-root-1\.pub\.pem/);
  assert.deepEqual(status(r, 'bundle.checksums.signature', 'SHA256SUMS.REHEARSAL-root-2.sig'), ['pass', null]);
  assert.equal(r.items[0]?.status, 'fail', 'failures first');

  const none = new Map(good.files);
  none.delete('SHA256SUMS');
  r = await verifyBundleBytes(bundleTar(none));
  assert.deepEqual(status(r, 'bundle.checksums', 'SHA256SUMS'), ['fail', 'NOT_FOUND']);
  assert.equal(r.bundle?.checksums?.present, false);
});

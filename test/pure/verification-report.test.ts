/**
 * One VerificationReport for bundles, TUF and Notary (shared/verification/report.ts, issue 16 item 8):
 * items carry codes, failures come first, the verdict is red when any item fails, and the auditor's
 * facts (signers by key id and name, versions, expiries, evaluation time) are there. `bundle verify
 * --json`, `tuf verify --json` and `notary verify --json` print the same schema.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleReport, verifyBundle, MANIFEST } from '../../electron/core/ceremony/bundle';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { makeFakeBundle, memReader, writeBundleDir, type FakeBundle } from '../helpers/fake-bundle';
import { FIXTURES } from '../helpers/tuf-fs';
import {
  addFailure,
  failures,
  findItem,
  formatVerificationReport,
  orderItems,
  verdictOf,
  VERIFICATION_REPORT_TYPE,
  type VerificationItem,
  type VerificationReport,
} from '../../shared/verification/report';

let good: FakeBundle;
before(async () => {
  good = await makeFakeBundle();
});

async function kc(args: string[]) {
  const out: string[] = [];
  const ctx = { ...makeContext({ env: {} }), out: (l: string) => void out.push(l), err: () => undefined };
  const code = await main(args, ctx);
  return { code, out: out.join('\n') };
}

describe('ordering and verdict', () => {
  const item = (status: VerificationItem['status'], subject: string): VerificationItem => ({ check: 'scope', status, subject, message: subject });
  test('failures first, then warnings, passes, skipped, each group in the order found; red if anything failed', () => {
    const items = [item('pass', 'p1'), item('skip', 's1'), item('fail', 'f1'), item('warn', 'w1'), item('pass', 'p2'), item('fail', 'f2')];
    assert.deepEqual(
      orderItems(items).map((i) => i.subject),
      ['f1', 'f2', 'w1', 'p1', 'p2', 's1'],
    );
    assert.equal(verdictOf(items, true), 'failed');
    assert.equal(verdictOf([item('pass', 'a'), item('warn', 'b')], true), 'verified');
    assert.equal(verdictOf([item('pass', 'a')], false), 'partial');
  });

  test('addFailure puts the item first, marks its role failed and turns the verdict red', () => {
    const r: VerificationReport = {
      type: VERIFICATION_REPORT_TYPE,
      kind: 'tuf',
      verdict: 'verified',
      ok: true,
      evaluatedAt: '2026-01-01T00:00:00.000Z',
      subject: 'x',
      rehearsal: false,
      summary: 'VERIFIED',
      items: [item('pass', 'root')],
      roles: [{ role: 'root', kind: 'root', status: 'verified', thresholds: [], notes: [] }],
    };
    addFailure(r, { check: 'root.rollback', subject: 'root', code: 'ROLLBACK', message: 'root v1 is older than the trusted v2' });
    assert.deepEqual([r.verdict, r.ok, r.roles[0]!.status, r.items[0]!.check], ['failed', false, 'failed', 'root.rollback']);
    assert.equal(r.summary, 'NOT VERIFIED at 2026-01-01T00:00:00.000Z: [ROLLBACK] root v1 is older than the trusted v2');
  });
});

describe('bundles', () => {
  test('a good bundle: verified, one passed item per check, signers by id, label, fingerprint and words', async () => {
    const r = bundleReport(await verifyBundle(memReader(good.files)), new Date('2026-02-01T00:00:00Z'));
    assert.deepEqual([r.type, r.kind, r.verdict, r.evaluatedAt], [VERIFICATION_REPORT_TYPE, 'bundle', 'verified', '2026-02-01T00:00:00.000Z']);
    for (const c of ['bundle.manifest', 'bundle.envelope', 'bundle.key', 'bundle.signature', 'bundle.file', 'bundle.transcript'] as const) {
      assert.ok(
        r.items.some((i) => i.check === c && i.status === 'pass'),
        c,
      );
    }
    assert.equal(findItem(r, 'bundle.mode')?.status, 'warn', 'the fake bundle is a rehearsal');
    assert.equal(r.rehearsal, true);
    const t = r.roles[0]!.thresholds[0]!;
    assert.equal(t.met, true);
    assert.ok(t.signedBy.length >= 1);
    for (const s of t.signedBy) {
      assert.match(s.fingerprint ?? '', /^[0-9a-f]{64}$/);
      assert.ok(s.words && s.words.split(' ').length >= 8, s.words);
      assert.ok(s.name, 'the key label as the manifest lists it');
    }
    assert.ok(r.bundle!.keys.length >= 1);
  });

  test('a changed file: the first item is bundle.file HASH_MISMATCH on that path; an extra file is bundle.unlisted', async () => {
    const files = new Map(good.files);
    const victim = [...files.keys()].find((p) => p !== MANIFEST && p.endsWith('.json') && !p.startsWith('manifest'))!;
    const b = new Uint8Array(files.get(victim)!);
    b[b.length - 2] = b[b.length - 2]! ^ 1;
    files.set(victim, b);
    files.set('extra.txt', new TextEncoder().encode('x'));
    const r = bundleReport(await verifyBundle(memReader(files)));
    assert.equal(r.verdict, 'failed');
    const bad = failures(r).map((i) => [i.check, i.code, i.subject]);
    assert.deepEqual(bad, [
      ['bundle.file', 'HASH_MISMATCH', victim],
      ['bundle.unlisted', 'VERIFICATION_FAILED', 'extra.txt'],
      // bundle format v2: SHA256SUMS names both as well (what sh VERIFY.sh and sha256sum -c report)
      ['bundle.checksums', 'VERIFICATION_FAILED', 'extra.txt'],
      ['bundle.checksums', 'HASH_MISMATCH', victim],
    ]);
    assert.deepEqual(
      r.items.slice(0, 2).map((i) => i.status),
      ['fail', 'fail'],
    );
    assert.match(r.summary, /^NOT VERIFIED at .*\[HASH_MISMATCH\]/);
  });

  test('bundle verify --json prints the report; exit 1 when it fails', async () => {
    const dir = writeBundleDir(good.files, mkdtempSync(join(tmpdir(), 'kc-report-')));
    const r = await kc(['bundle', 'verify', dir, '--json']);
    assert.equal(r.code, 0, r.out);
    const j = JSON.parse(r.out) as VerificationReport;
    assert.deepEqual([j.type, j.kind, j.verdict], [VERIFICATION_REPORT_TYPE, 'bundle', 'verified']);
    const p = await kc(['bundle', 'verify', dir, '--json', '--production']);
    assert.equal(p.code, 1);
    const jp = JSON.parse(p.out) as VerificationReport;
    assert.deepEqual([jp.items[0]!.check, jp.items[0]!.code], ['bundle.mode', 'PRECONDITION_FAILED']);
  });
});

describe('the same schema from all three verifiers', () => {
  test('tuf verify --json, notary verify --json and bundle verify --json share type and top-level fields', async () => {
    const N01 = join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.1', 'tuf', 'docker.com', 'notary0.1', 'samplerepo', 'metadata');
    const SIG = join(FIXTURES, 'tuf', 'sigstore-root-signing', 'metadata', 'root_history');
    const dir = writeBundleDir(good.files, mkdtempSync(join(tmpdir(), 'kc-report-')));
    const outs = [
      await kc(['tuf', 'verify', '--trusted-root', join(SIG, '1.root.json'), '--metadata', SIG, '--at', '2026-08-22T00:00:00Z', '--json']),
      await kc(['notary', 'verify', '--dir', N01, '--at', '2024-01-01T00:00:00Z', '--json']),
      await kc(['bundle', 'verify', dir, '--json']),
    ].map((r) => JSON.parse(r.out) as Record<string, unknown>);
    const top = ['type', 'kind', 'verdict', 'ok', 'evaluatedAt', 'subject', 'rehearsal', 'summary', 'items', 'roles'];
    for (const o of outs) {
      assert.equal(o.type, VERIFICATION_REPORT_TYPE);
      for (const k of top) assert.ok(k in o, `${String(o.kind)}: ${k}`);
    }
    assert.deepEqual(
      outs.map((o) => o.kind),
      ['tuf', 'notary', 'bundle'],
    );
    assert.deepEqual(
      outs.map((o) => o.verdict),
      ['partial', 'verified', 'verified'],
    );
    assert.match(formatVerificationReport(outs[0] as unknown as VerificationReport).join('\n'), /^PARTIAL at .*root chain only/);
  });
});

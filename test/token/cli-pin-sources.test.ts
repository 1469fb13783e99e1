/**
 * Issue 14 items 11 and 12 (CLI, real SoftHSM2, the CLI spawned with no terminal):
 * - a missing security officer PIN names its own sources (--so-pin-file, KEYCEREMONY_SO_PIN), not the
 *   user PIN's; `--so-pin` on the command line is refused naming the same sources;
 * - `tokens` shows SoftHSM's free slot as "uninitialised token in slot …", not as a token "".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { kcAsync } from '../helpers/ceremony-run';

let hsm: TestHsm;
let dir: string;
let env: Record<string, string>;
before(async () => {
  hsm = await makeSoftHsm(['so-tok']);
  dir = mkdtempSync(join(tmpdir(), 'kc-sopin-'));
  writeFileSync(join(dir, 'pin'), '1234\n');
  env = { SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_PIN: '', KEYCEREMONY_SO_PIN: '' };
  const g = await kcAsync(['keygen', '--token', 'so-tok', '--type', 'ecdsa-p256', '--label', 'bk', '--backupable', '--pin-file', join(dir, 'pin')], env);
  assert.equal(g.code, 0, g.err);
});
after(() => {
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('backup create without the SO PIN and no terminal names --so-pin-file and KEYCEREMONY_SO_PIN, not the user PIN options', async () => {
  const r = await kcAsync(
    ['backup', 'create', '--token', 'so-tok', '--label', 'bk', '--m', '2', '--n', '3', '--out', join(dir, 'out'), '--pin-file', join(dir, 'pin')],
    env,
  );
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /error\[PIN_REQUIRED\]/);
  assert.match(r.err, /security officer/i);
  assert.match(r.err, /--so-pin-file/);
  assert.match(r.err, /KEYCEREMONY_SO_PIN/);
  assert.doesNotMatch(r.err, /--pin-file|KEYCEREMONY_PIN\b/);
});

test('--so-pin on the command line is refused naming --so-pin-file and KEYCEREMONY_SO_PIN', async () => {
  const r = await kcAsync(['backup', 'create', '--token', 'so-tok', '--label', 'bk', '--so-pin', '12345678'], env);
  assert.equal(r.code, 1);
  assert.match(r.err, /--so-pin is not accepted/);
  assert.match(r.err, /--so-pin-file FILE/);
  assert.match(r.err, /KEYCEREMONY_SO_PIN/);
  assert.doesNotMatch(r.err, /KEYCEREMONY_PIN\b/);
});

test('tokens lists the free slot as "uninitialised token in slot …" (text and --json)', async () => {
  const r = await kcAsync(['tokens'], env);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /- "" serial/);
  assert.match(r.out, /^- uninitialised token in slot \S+ \(SoftHSM project SoftHSM v2\): initialise it/m);
  assert.match(r.out, /^- "so-tok" serial /m);
  const j = await kcAsync(['tokens', '--json'], env);
  const list = (JSON.parse(j.out) as { tokens: { label: string; flags: { tokenInitialized: boolean } }[] }).tokens;
  assert.equal(list.filter((t) => !t.flags.tokenInitialized).length, 1);
});

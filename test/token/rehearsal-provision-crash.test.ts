/**
 * Issue 12 item 6: a rehearsal killed while its SoftHSM tokens are being provisioned resumes. The CLI
 * is killed at a named point (KEYCEREMONY_TEST_CRASH_AT=rehearsal:token-provisioned#N: right after the
 * Nth token was made) and run again with the same folder: it must finish, with one token per label.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kcAsync, writeAnswers, writeScript } from '../helpers/ceremony-run';
import { softHsmModulePath } from '../../electron/adapters/softhsm';

const work = mkdtempSync(join(tmpdir(), 'kc-provision-'));
after(() => rmSync(work, { recursive: true, force: true }));

function tokenLabels(out: string): string[] {
  const list = execFileSync('pkcs11-tool', ['--module', softHsmModulePath(), '--list-slots'], {
    env: { ...process.env, SOFTHSM2_CONF: join(out, 'rehearsal-tokens', 'softhsm2.conf') },
    encoding: 'utf8',
  });
  return [...list.matchAll(/token label\s*:\s*(.*)/g)]
    .map((m) => (m[1] as string).trim())
    .filter(Boolean)
    .sort();
}

for (const n of [1, 3]) {
  test(`killed right after token ${n} of 4 was provisioned, the re-run finishes with exactly one token per label`, async () => {
    const dir = join(work, `at-${n}`);
    const script = writeScript(dir, 'tuf-root');
    const answers = writeAnswers(dir);
    const out = join(dir, 'out');
    const args = ['ceremony', 'run', script, '--rehearsal', '--answers', answers, '--out', out];
    const killed = await kcAsync(args, { KEYCEREMONY_TEST_CRASH_AT: `rehearsal:token-provisioned#${n}` });
    assert.equal(killed.code, null, `killed by the crash point\n${killed.err}`);
    assert.match(killed.err, new RegExp(`KEYCEREMONY_TEST_CRASH rehearsal:token-provisioned#${n}`));
    const r = await kcAsync(args);
    assert.equal(r.code, 0, `resume failed:\n${r.err}\n${r.out}`);
    assert.deepEqual(tokenLabels(out), ['online', 'root-1', 'root-2', 'root-3']);
    assert.ok(existsSync(join(out, 'REHEARSAL-tuf-root.kcbundle.tar')));
    const pins = JSON.parse(readFileSync(join(out, 'rehearsal-tokens', 'pins.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(pins).sort(), ['online', 'root-1', 'root-2', 'root-3']);
  });
}

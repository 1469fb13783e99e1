/**
 * Issue 12 item 9: a crash must not write a core dump (it would hold the PIN). The CLI is started with
 * core dumps allowed (`prlimit --core=unlimited`, core_pattern writes ./core) and aborted (SIGABRT,
 * the signal that dumps core) at a named point right after the token login.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry } from '../helpers/ceremony-run';
import { provisionSoftHsm } from '../../electron/adapters/softhsm';
import { coreDumpLimit, disableCoreDumps, ensureNoCoreDumps } from '../../electron/adapters/process-hardening';

const work = mkdtempSync(join(tmpdir(), 'kc-core-'));
after(() => rmSync(work, { recursive: true, force: true }));
const PIN = 'Core-PIN-4711-unique';

test('a crash after login with core dumps allowed leaves no core file (RLIMIT_CORE set to 0 at start)', () => {
  const hsm = provisionSoftHsm(join(work, 'hsm'), ['core-tok'], { pin: PIN, soPin: '87654321' });
  writeFileSync(join(work, 'pin'), PIN);
  writeFileSync(join(work, 'data'), 'hello');
  const cwd = join(work, 'cwd');
  mkdirSync(cwd);
  const env = { ...process.env, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module };
  const gen = spawnSync(
    process.execPath,
    [cliEntry(), 'keygen', '--token', 'core-tok', '--type', 'ecdsa-p256', '--label', 'k', '--pin-file', join(work, 'pin')],
    { env, encoding: 'utf8' },
  );
  assert.equal(gen.status, 0, gen.stderr);
  const r = spawnSync(
    'prlimit',
    [
      '--core=unlimited',
      process.execPath,
      cliEntry(),
      'sign',
      '--token',
      'core-tok',
      '--label',
      'k',
      '--in',
      join(work, 'data'),
      '--pin-file',
      join(work, 'pin'),
    ],
    { cwd, env: { ...env, KEYCEREMONY_TEST_CRASH_AT: 'token:logged-in', KEYCEREMONY_TEST_CRASH_SIGNAL: 'SIGABRT' }, encoding: 'utf8', timeout: 120_000 },
  );
  assert.match(r.stderr, /KEYCEREMONY_TEST_CRASH token:logged-in/, r.stderr);
  assert.equal(r.signal ?? (r.status === 134 ? 'SIGABRT' : String(r.status)), 'SIGABRT');
  const cores = readdirSync(cwd).filter((f) => f.startsWith('core'));
  const withPin = cores.filter((f) => readFileSync(join(cwd, f)).includes(PIN));
  assert.deepEqual(cores, [], `core files written: ${cores.join(', ')} (${withPin.length} contain the PIN)`);
});

test('core dumps off: the limit reads 0 after disableCoreDumps, and the hard limit cannot be raised again', () => {
  const r = spawnSync(
    'prlimit',
    [
      '--core=unlimited',
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { disableCoreDumps, coreDumpLimit } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'electron', 'adapters', 'process-hardening.ts'))};
       const before = coreDumpLimit(); const r = disableCoreDumps(); console.log(JSON.stringify({ before, r, after: coreDumpLimit() }));`,
    ],
    { encoding: 'utf8' },
  );
  const out = JSON.parse(r.stdout) as { before: { soft: string }; r: { ok: boolean }; after: { soft: string; hard: string } };
  assert.equal(out.before.soft, 'unlimited');
  assert.equal(out.r.ok, true);
  assert.deepEqual(out.after, { soft: '0', hard: '0' });
  assert.ok(typeof disableCoreDumps === 'function' && typeof coreDumpLimit === 'function');
});

test('when the limit cannot be lowered (no prlimit), keyceremony refuses to run and says how to turn core dumps off', () => {
  const deps = { limit: () => ({ soft: 'unlimited', hard: 'unlimited' }), prlimit: () => undefined };
  assert.throws(
    () => ensureNoCoreDumps({}, deps),
    (e: Error & { code?: string }) => e.code === 'PRECONDITION_FAILED' && /ulimit -c 0/.test(e.message) && /PIN/.test(e.message),
  );
  assert.equal(ensureNoCoreDumps({ KEYCEREMONY_ALLOW_CORE_DUMPS: '1' }, deps).ok, false, 'explicit override for debugging');
  assert.deepEqual(coreDumpLimit('Limit Soft Limit Hard Limit Units\nMax core file size        0                    unlimited            bytes\n'), {
    soft: '0',
    hard: 'unlimited',
  });
});

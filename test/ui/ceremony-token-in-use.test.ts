/**
 * Issue 12 item 8 in the app: a token another ceremony holds (here: a lock file of a live keyceremony
 * process, as a CLI run in another terminal leaves it) stops the app's ceremony before it touches the
 * token; the screen says error[TOKEN_IN_USE] with the sentence naming the token and the holder, and no
 * key is made. Once the holder is gone, Resume completes the run with exactly one key.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, type UiHarness } from '../helpers/ui-harness';
import { expectNoSeriousA11y as axe } from '../helpers/axe';
import { drive, fillSetup, privateKeys, startCeremony } from '../helpers/ceremony-ui';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { tokenLockDir, tokenLockFile } from '../../electron/adapters/ceremony/locks';
import type { PreflightProbe } from '../../electron/core/ceremony/types';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let work: string;
/** Stands in for the other ceremony's process: alive while the test holds the lock in its name. */
let holder: ChildProcess;

const probe = (): PreflightProbe => ({ run: async () => [{ id: 'clock', status: 'pass', summary: 'clock is plausible' }] });

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'kc-in-use-'));
  process.env.KEYCEREMONY_LOCK_DIR = join(work, 'locks');
  hsm = await makeSoftHsm(['held']);
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
  holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
});

after(async () => {
  holder?.kill('SIGKILL');
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  'a token held by another ceremony: the app says error[TOKEN_IN_USE] naming the token and the holder; no key; Resume once it is gone',
  { skip, timeout: 240_000 },
  async () => {
    const token = mod.findToken({ label: 'held' });
    const lock = tokenLockFile(tokenLockDir(), token);
    writeFileSync(
      lock,
      JSON.stringify({
        pid: holder.pid,
        host: hostname(),
        since: '2026-11-30T08:00:00.000Z',
        what: 'ceremony "tuf-root" in /media/ceremony/run-1',
        nonce: 'other',
        run: '0123456789abcdef0123456789abcdef',
      }) + '\n',
    );

    const m = await ui.machine({
      name: 'in-use',
      mode: 'production',
      extraDeps: { ceremony: { workDir: join(work, 'runs'), rehearsal: false, module: () => mod, preflight: probe } },
    });
    m.reader.insertAlso(token.serial);
    const p = m.page;
    await p.getByRole('button', { name: 'Run a ceremony' }).click();
    await fillSetup(m, { template: 'cosign-key', names: { admin: 'Ada Admin', witness: 'Wendy Witness' }, tokens: { 'signing-token': token.serial } });
    await startCeremony(p);
    const status = await drive(m, hsm, { shares: new Map() });
    assert.equal(status, 'failed');
    const error = (await p.getByTestId('error').allInnerTexts()).join(' | ');
    assert.match(error, /TOKEN_IN_USE/);
    assert.match(
      error,
      new RegExp(
        `Token "held" \\(serial ${token.serial}\\) is in use by another ceremony: ceremony "tuf-root" in /media/ceremony/run-1, run 0123456789abcdef0123456789abcdef \\(keyceremony process ${holder.pid} on `,
      ),
    );
    await axe(p, 'ceremony stopped: token in use');
    assert.deepEqual(privateKeys(hsm, 'held'), [], 'no key was made');

    // the other ceremony ends (its process is gone, its lock left behind): Resume takes the lock over
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    await p.getByRole('button', { name: 'Resume the ceremony' }).click();
    const again = await drive(m, hsm, { shares: new Map() });
    if (again !== 'done') assert.fail(`resumed run ${again}: ${(await p.getByTestId('error').allInnerTexts()).join(' | ')}`);
    assert.equal(privateKeys(hsm, 'held').length, 1, 'one key');
    assert.ok(!existsSync(lock), 'the run released the token at its end');
  },
);

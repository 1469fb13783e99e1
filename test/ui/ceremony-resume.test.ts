/**
 * A ceremony interrupted by closing the handler host (the app quits mid-step) and reopened:
 *  (a) the new host finds the unfinished run on disk; Resume re-runs the interrupted key generation,
 *      which finds the key the first attempt made (no second key), and the run completes;
 *  (b) another run interrupted the same way is abandoned: the transcript says which key the run made
 *      and that it was removed from its token (PIN asked on screen), and a fresh ceremony on the SAME
 *      token then completes.
 * Tokens are inspected with pkcs11-tool; bundles with verifyBundle; axe-core on every screen met.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y as axe } from '../helpers/axe';
import { drive, fillSetup, privateKeys, startCeremony } from '../helpers/ceremony-ui';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { verifyBundle } from '../../electron/core/ceremony/bundle';
import { dirBundleReader } from '../../electron/adapters/fs/ceremony-store';
import type { PreflightProbe } from '../../electron/core/ceremony/types';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let work: string;
const t0 = Date.now();
const probe = (): PreflightProbe => ({ run: async () => [{ id: 'clock', status: 'pass', summary: 'clock is plausible' }] });

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['cosign-a', 'cosign-b']);
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
  work = mkdtempSync(join(tmpdir(), 'kc-resume-'));
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
  process.stdout.write(`# ceremony-resume: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
});

const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;

/** A "launch of the app": a fresh handler host and window over the same ceremony folder. */
async function launch(name: string): Promise<Machine> {
  const m = await ui.machine({
    name,
    mode: 'production',
    extraDeps: { ceremony: { workDir: join(work, 'runs'), rehearsal: false, module: () => mod, preflight: probe } },
  });
  for (const t of hsm.tokens) m.reader.insertAlso(t.serial);
  return m;
}

/** Quit the app: the host drops what it holds, the window goes. */
async function quit(m: Machine): Promise<void> {
  m.host.dispose();
  await m.context.close();
}

/** Start cosign-key on `label` and stop at the witness's fingerprint check: the key is on the token, the step not yet recorded. */
async function startAndInterrupt(m: Machine, label: string): Promise<void> {
  const p = m.page;
  await p.getByRole('button', { name: 'Run a ceremony' }).click();
  await fillSetup(m, { template: 'cosign-key', names: { admin: 'Ada Admin', witness: 'Wendy Witness' }, tokens: { 'signing-token': tok(label).serial } });
  await startCeremony(p);
  const r = await drive(m, hsm, {
    shares: new Map(),
    stopWhen: async (kind) => kind === 'ack' && (await p.locator('[data-testid="current-step"] h2').innerText()).includes('Generate'),
  });
  assert.equal(r, 'stopped-by-test');
  assert.deepEqual(
    privateKeys(hsm, label).map((k) => k.label),
    ['cosign-signing'],
    'the key was made before the interruption',
  );
}

test('a run interrupted by quitting is found at the next start and resumed to completion without a second key', { skip, timeout: 240_000 }, async () => {
  const first = await launch('first-launch');
  await startAndInterrupt(first, 'cosign-a');
  await quit(first);

  const second = await launch('second-launch');
  const p = second.page;
  await p.getByRole('button', { name: 'Run a ceremony' }).click();
  const row = p.getByTestId('unfinished-run');
  await row.waitFor();
  assert.match(await row.innerText(), /cosign signing-key ceremony.*production.*2 of 6 steps done, stopped in “Generate the cosign key”/s);
  await axe(p, 'unfinished runs');
  await screenshot(p, 'ceremony-resume-after-restart', p.getByTestId('unfinished'));
  await row.getByRole('button', { name: /^Resume/ }).click();
  const shares = new Map<string, string>();
  const status = await drive(second, hsm, { shares });
  if (status !== 'done') assert.fail(`resumed run ${status}: ${(await p.getByTestId('error').allInnerTexts()).join(' | ')}`);
  const bundle = (await p.getByTestId('ceremony-result').getAttribute('data-bundle'))!;
  const v = await verifyBundle(dirBundleReader(bundle));
  assert.equal(v.ok, true, v.problems.join('; '));
  const keys = privateKeys(hsm, 'cosign-a');
  assert.equal(keys.length, 1, 'still exactly one key: the resumed step found the one it made');
  assert.equal(v.manifest!.keys[0]!.fingerprint.length, 64);
  const transcript = readFileSync(join(bundle, 'transcript.jsonl'), 'utf8');
  assert.match(transcript, /"event":"step-resumed","step":"keygen"/);
  assert.match(transcript, /"created":false/);
  await quit(second);
});

test(
  'an interrupted run is abandoned (its key named in the transcript and removed), then a fresh ceremony on the same token completes',
  { skip, timeout: 240_000 },
  async () => {
    const first = await launch('abandon-1');
    await startAndInterrupt(first, 'cosign-b');
    const run = await first.page.getByTestId('ceremony').getAttribute('data-run');
    await quit(first);

    const m = await launch('abandon-2');
    const p = m.page;
    await p.getByRole('button', { name: 'Run a ceremony' }).click();
    const row = p.locator(`[data-testid="unfinished-run"][data-run="${run}"]`);
    await row.getByRole('button', { name: 'Abandon…' }).click();
    const form = row.getByTestId('abandon-form');
    assert.equal(await form.getByRole('button', { name: 'Abandon this run' }).isDisabled(), true);
    await form.getByLabel('Abandoned by').fill('Ada Admin');
    await form.getByLabel('Reason for abandoning').fill('The witness had to leave; we start again tomorrow.');
    await axe(p, 'abandon form');
    await form.getByRole('button', { name: 'Abandon this run' }).click();
    const status = await drive(m, hsm, { shares: new Map() }); // the PIN of cosign-b, to remove the key
    assert.equal(status, 'abandoned');
    assert.match(await p.getByTestId('abandoned').innerText(), /Keys removed from their tokens: cosign\b/);
    assert.deepEqual(privateKeys(hsm, 'cosign-b'), [], 'the abandoned run’s key is gone');
    const runDir = (await p.getByTestId('ceremony').getAttribute('data-run'))!;
    const lines = readFileSync(join(work, 'runs', runDir, 'cosign-key-bundle', 'transcript.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const last = JSON.parse(lines[lines.length - 1]!) as {
      event: string;
      actor: string;
      note: string;
      keys: { id: string; idHex: string; fingerprint: string }[];
    };
    assert.equal(last.event, 'ceremony-abandoned');
    assert.equal(last.actor, 'Ada Admin');
    assert.match(last.note, /Keys this run made: cosign \(cosign-signing on cosign-b/);
    assert.match(last.note, /Removed from their tokens: cosign/);
    assert.equal(last.keys[0]!.idHex.length, 32);

    // Start afresh on the same token: no KEY_EXISTS, the run completes.
    await p.getByRole('button', { name: 'Start another ceremony' }).click();
    await p.getByTestId('setup').waitFor();
    assert.equal(await p.locator(`[data-testid="unfinished-run"][data-run="${run}"]`).count(), 0, 'the abandoned run is not offered again');
    await fillSetup(m, { template: 'cosign-key', tokens: { 'signing-token': tok('cosign-b').serial } });
    await startCeremony(p);
    const done = await drive(m, hsm, { shares: new Map() });
    if (done !== 'done') assert.fail(`fresh run ${done}: ${(await p.getByTestId('error').allInnerTexts()).join(' | ')}`);
    assert.equal(privateKeys(hsm, 'cosign-b').length, 1);
    await quit(m);
  },
);

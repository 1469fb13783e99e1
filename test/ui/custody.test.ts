/**
 * Backups & PINs outside a ceremony (issue 10 item 12), on SoftHSM2 through the real handler table:
 * a PIN change refused with the wrong old PIN (the tries-left state shown), then done (pkcs11-tool logs
 * in with the new PIN, not the old one); stored shares of a backup checked (2 of 3 open the file); a
 * re-split to 2-of-2 with new custodians, each new share shown once and typed back before the new
 * backup file is saved into the chosen folder; the new shares open the new file. The CLI's
 * `keyceremony token change-pin` is tested too. axe-core on each state of the screen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y as axe } from '../helpers/axe';
import { kcSync } from '../helpers/ceremony-run';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { createBackup } from '../../electron/adapters/pkcs11/backup';
import { backupToJson, expectationOf, parseBackup, parseShareText, shareToText, verifyEveryShare } from '../../electron/core/backup';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;
let work: string;
const shareTexts: string[] = [];
const t0 = Date.now();

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['vault', 'pins', 'cli-pins']);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(join(tmpdir(), 'kc-custody-'));
  const v = hsm.tokens.find((t) => t.label === 'vault')!;
  const enc = (s: string) => () => new TextEncoder().encode(s);
  const made = await mod.withSession({ serial: v.serial }, { pin: enc(v.pin), rw: true }, async (s) => {
    await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'release-key', profile: 'backupable' });
    return createBackup(s, { key: { label: 'release-key' }, m: 2, n: 3, custodians: ['Ken', 'Barbara', 'Carol'], soPin: enc(v.soPin), userPin: enc(v.pin) });
  });
  writeFileSync(join(work, 'release-key.backup.json'), backupToJson(made.backup));
  for (const s of made.shares) shareTexts[s.index] = shareToText({ ...s, custodian: ['Ken', 'Barbara', 'Carol'][s.index - 1]! });
  ui = await startUi({ tokens: () => mod });
  m = await ui.machine({ name: 'custody', mode: 'production' });
  for (const t of hsm.tokens) m.reader.insertAlso(t.serial);
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
  process.stdout.write(`# custody: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
});

const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;
const wordsOf = (text: string) => text.split('words:')[1]!.trim().replace(/\s+/g, ' ');
function canLogIn(label: string, pin: string): boolean {
  try {
    execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', label, '--login', '--pin', pin, '--list-objects'], { env: { ...process.env, SOFTHSM2_CONF: hsm.conf }, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('PIN change: a wrong old PIN is refused with the tries-left state; the right one changes it', { skip, timeout: 120_000 }, async () => {
  const p = m.page;
  await p.getByRole('button', { name: 'Backups and PINs' }).click();
  const f = p.getByTestId('change-pin');
  await f.getByLabel('Token whose PIN changes').selectOption(tok('pins').serial);
  await f.getByTestId('pin-state').waitFor();
  assert.match(await f.getByTestId('pin-state').innerText(), /User PIN: no wrong tries reported/);
  await axe(p, 'backups and PINs');
  await f.getByLabel('Current PIN', { exact: true }).fill('99999999');
  await f.getByLabel('New PIN', { exact: true }).fill('24681357');
  await f.getByLabel('New PIN again', { exact: true }).fill('24681357');
  await f.getByRole('button', { name: 'Change the PIN' }).click();
  const err = f.getByTestId('error');
  await err.waitFor();
  assert.equal(await err.getAttribute('data-code'), 'PIN_INCORRECT');
  await f.getByText(/User PIN: (a wrong PIN was entered|no wrong tries)/).waitFor();
  await screenshot(p, 'pin-change-wrong', f);
  assert.equal(await f.getByLabel('Current PIN', { exact: true }).inputValue(), '', 'the PIN fields are cleared at the call');
  await f.getByLabel('Current PIN', { exact: true }).fill(tok('pins').pin);
  await f.getByLabel('New PIN', { exact: true }).fill('24681357');
  await f.getByLabel('New PIN again', { exact: true }).fill('24681357');
  await f.getByRole('button', { name: 'Change the PIN' }).click();
  await f.getByTestId('pin-changed').waitFor();
  assert.equal(canLogIn('pins', '24681357'), true, 'the new PIN works (pkcs11-tool)');
  assert.equal(canLogIn('pins', tok('pins').pin), false, 'the old PIN does not');
});

test('stored shares checked against the backup file; a re-split hands out new shares one at a time, typed back before saving', { skip, timeout: 180_000 }, async () => {
  const p = m.page;
  await p.getByRole('navigation').getByRole('button', { name: 'Backups & PINs' }).click();
  const card = p.getByTestId('stored-shares');
  m.dialogs.open.push(join(work, 'release-key.backup.json'));
  await card.getByRole('button', { name: 'Open a backup file…' }).click();
  await card.getByText(/share set [0-9a-f]{6}: any 2 of 3/).waitFor();
  for (const [who, i] of [['Carol', 3], ['Ken', 1]] as const) {
    await card.getByLabel('Who types a share now?').fill(who);
    await card.getByLabel(/^Word 1 of 33/).fill(wordsOf(shareTexts[i]!));
    await card.locator('[data-testid="share-check"][data-complete="true"]').waitFor();
    await card.getByRole('button', { name: 'Check this share' }).click();
    await card.locator(`[data-testid="shares-checked"] li`, { hasText: `share ${i}:` }).waitFor();
  }
  assert.equal(await card.getByTestId('shares-open').getAttribute('data-ok'), 'true');
  await axe(p, 'stored shares checked');
  await screenshot(p, 'backup-verify-stored-shares', card);

  // Re-split: 2-of-2 for Ken and Dana (Barbara and Carol leave).
  const setup = card.getByTestId('refresh-setup');
  await setup.getByLabel('New custodians').fill('Ken, Dana');
  await setup.getByLabel('New threshold').fill('2');
  await setup.getByRole('button', { name: 'Make the new shares' }).click();
  const r = card.getByTestId('refresh');
  await r.waitFor();
  const newShares: string[] = [];
  for (const [i, who] of [[1, 'Ken'], [2, 'Dana']] as const) {
    await r.getByRole('button', { name: `Show the new share of ${who}` }).click();
    const sheet = r.getByTestId('share-text');
    await sheet.waitFor();
    const words: string[] = [];
    for (;;) {
      words.push(...(await sheet.locator('.share-page li .ww').allInnerTexts()).map((w) => w.trim()));
      const next = r.getByRole('button', { name: 'Next words' });
      if (words.length >= 33 || (await next.isDisabled())) break;
      await next.click();
    }
    newShares[i] = words.join(' ');
    if (i === 1) await screenshot(p, 'backup-refresh-new-share', r);
    await r.getByRole('button', { name: 'I have copied it: hide the share' }).click();
    await r.getByLabel(/^Word 1 of 33/).fill(newShares[i]!);
    await r.locator('[data-testid="share-check"][data-complete="true"]').waitFor();
    await r.getByRole('button', { name: `Give back new share ${i}` }).click();
    await p.locator(`[data-testid="refresh"][data-verified="${i}"]`).waitFor();
  }
  const out = join(work, 'usb');
  mkdirSync(out);
  m.dialogs.folder = out;
  await r.getByRole('button', { name: 'Save the new backup file to a folder…' }).click();
  await r.getByTestId('refresh-saved').waitFor();
  await axe(p, 'backup refreshed');
  const next = await parseBackup(readFileSync(join(out, 'release-key.backup.json'), 'utf8'));
  const old = await parseBackup(readFileSync(join(work, 'release-key.backup.json'), 'utf8'));
  assert.notEqual(next.shareSet.id, old.shareSet.id);
  assert.deepEqual([next.shareSet.m, next.shareSet.n, next.shareSet.custodians], [2, 2, ['Ken', 'Dana']]);
  assert.equal(next.wrap.wrappedKey, old.wrap.wrappedKey, 're-split keeps the wrapped key');
  assert.equal(next.origin?.kind, 'resplit');
  const rep = await verifyEveryShare(
    [1, 2].map((i) => ({ share: parseShareText(newShares[i]!, `new ${i}`), label: `new ${i}` })),
    expectationOf(next),
  );
  assert.deepEqual(rep.verified, [1, 2], 'the new shares open the new backup file');
  assert.equal(readFileSync(join(out, 'release-key.backup.json'), 'utf8').includes(newShares[1]!.split(' ').slice(0, 3).join(' ')), false, 'no share in the file');
});

test('CLI: keyceremony token change-pin (--help; wrong old PIN refused; new PIN from a file)', { skip, timeout: 60_000 }, () => {
  const env = { SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module };
  const h = kcSync(['token', 'change-pin', '--help'], env);
  assert.equal(h.code, 0);
  assert.match(h.out + h.err, /change-pin \(--token LABEL \| --serial SERIAL\) \[--so\]/);
  writeFileSync(join(work, 'old'), '00000000\n');
  writeFileSync(join(work, 'new'), '13572468\n');
  const bad = kcSync(['token', 'change-pin', '--token', 'cli-pins', '--pin-file', join(work, 'old'), '--new-pin-file', join(work, 'new')], env);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /error\[PIN_INCORRECT\]: Wrong PIN for token "cli-pins"/);
  writeFileSync(join(work, 'old'), tok('cli-pins').pin + '\n');
  const ok = kcSync(['token', 'change-pin', '--token', 'cli-pins', '--pin-file', join(work, 'old'), '--new-pin-file', join(work, 'new')], env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /PIN of token "cli-pins" changed/);
  assert.equal(canLogIn('cli-pins', '13572468'), true);
});

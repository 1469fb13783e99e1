/**
 * Backups & PINs outside a ceremony (issue 10 item 12), on SoftHSM2 through the real handler table:
 * a PIN change refused with the wrong old PIN (the tries-left state shown), then done (pkcs11-tool logs
 * in with the new PIN, not the old one); stored shares of a backup checked (2 of 3 open the file); a
 * re-split to 2-of-2 with new custodians, each new share shown once and typed back before the new
 * backup file is saved into the chosen folder; the new shares open the new file; a KEK rotation of
 * the same backup (the original file opened again, a wrong SO PIN refused with nothing changed, then
 * a new KEK on the token holding the key, a 2-of-3 set with a new custodian): the old shares no
 * longer open anything, the new ones restore the very key onto a fresh token, no KEK is left on the
 * token. The CLI's `keyceremony token change-pin` is tested too. axe-core on each state of the screen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import type { Page } from 'playwright-core';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y as axe } from '../helpers/axe';
import { kcSync } from '../helpers/ceremony-run';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { createBackup, reconstructKek, recoverOntoToken } from '../../electron/adapters/pkcs11/backup';
import { backupToJson, checkMembership, expectationOf, parseBackup, parseShareText, shareToText, verifyEveryShare } from '../../electron/core/backup';
import { KeyceremonyError } from '../../shared/errors';
import { tokenObjects } from '../helpers/ceremony-ui';

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
  hsm = await makeSoftHsm(['vault', 'pins', 'cli-pins', 'fresh']);
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
    execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', label, '--login', '--pin', pin, '--list-objects'], {
      env: { ...process.env, SOFTHSM2_CONF: hsm.conf },
      stdio: 'ignore',
    });
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

/** Each new share shown to its custodian (words copied from the pages), hidden, typed back; returns the words by index. */
async function copyAndGiveBack(r: ReturnType<Page['getByTestId']>, who: string[], shot?: string): Promise<string[]> {
  const p = m.page;
  const shares: string[] = [];
  for (const [k, name] of who.entries()) {
    const i = k + 1;
    await r.getByRole('button', { name: `Show the new share of ${name}` }).click();
    const sheet = r.getByTestId('share-text');
    await sheet.waitFor();
    const words: string[] = [];
    for (;;) {
      words.push(...(await sheet.locator('.share-page li .ww').allInnerTexts()).map((w) => w.trim()));
      const next = r.getByRole('button', { name: 'Next words' });
      if (words.length >= 34 || (await next.isDisabled())) break;
      await next.click();
    }
    shares[i] = words.join(' ');
    if (i === 1 && shot) await screenshot(p, shot, r);
    await r.getByRole('button', { name: 'I have copied it: hide the share' }).click();
    await r.getByLabel(/^Word 1 of \d+ /).fill(shares[i]!);
    await r.locator('[data-testid="share-check"][data-complete="true"]').waitFor();
    await r.getByRole('button', { name: `Give back new share ${i}` }).click();
    await p.locator(`[data-testid="refresh"][data-verified="${i}"]`).waitFor();
  }
  return shares;
}

test(
  'stored shares checked against the backup file; a re-split hands out new shares one at a time, typed back before saving',
  { skip, timeout: 180_000 },
  async () => {
    const p = m.page;
    await p.getByRole('navigation').getByRole('button', { name: 'Backups & PINs' }).click();
    const card = p.getByTestId('stored-shares');
    m.dialogs.open.push(join(work, 'release-key.backup.json'));
    await card.getByRole('button', { name: 'Open a backup file…' }).click();
    await card.getByText(/share set [0-9a-f]{6}: any 2 of 3/).waitFor();
    for (const [who, i] of [
      ['Carol', 3],
      ['Ken', 1],
    ] as const) {
      await card.getByLabel('Who types a share now?').fill(who);
      await card.getByLabel(/^Word 1 of \d+ /).fill(wordsOf(shareTexts[i]!));
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
    const newShares = await copyAndGiveBack(r, ['Ken', 'Dana'], 'backup-refresh-new-share');
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
    assert.equal(
      readFileSync(join(out, 'release-key.backup.json'), 'utf8').includes(newShares[1]!.split(' ').slice(0, 3).join(' ')),
      false,
      'no share in the file',
    );
  },
);

test(
  'KEK rotation: a wrong SO PIN changes nothing; a new KEK on the token, new 2-of-3 shares; the old shares open nothing, the new ones restore the key',
  { skip, timeout: 180_000 },
  async () => {
    const p = m.page;
    const card = p.getByTestId('stored-shares');
    const original = join(work, 'release-key.backup.json');
    const old = await parseBackup(readFileSync(original, 'utf8'));
    const vault = tok('vault');
    const onVault = () =>
      tokenObjects(hsm, 'vault')
        .map((o) => `${o.type}:${o.label}:${o.id}`)
        .sort();
    const before = onVault();
    assert.deepEqual(before, [`Private Key:release-key:${old.key.id}`, `Public Key:release-key:${old.key.id}`]);

    // The original file opened again after the re-split above: a fresh refresh form, not the finished one.
    m.dialogs.open.push(original);
    await card.getByRole('button', { name: 'Open a backup file…' }).click();
    await card.getByText(`share set ${old.shareSet.id}: any 2 of 3`).waitFor();
    const setup = card.getByTestId('refresh-setup');
    await setup.waitFor();
    await setup.getByRole('radio', { name: /Rotate: a new KEK/ }).check();
    await setup.getByLabel('New custodians').fill('Ken, Barbara, Erin');
    await setup.getByLabel('New threshold').fill('2');
    await setup.getByLabel('Token holding the key', { exact: true }).selectOption(vault.serial);
    await setup.getByLabel('PIN of that token', { exact: true }).fill(vault.pin);
    await setup.getByLabel('SO PIN of that token', { exact: true }).fill('00000000');
    await setup.getByRole('button', { name: 'Make the new shares' }).click();
    const err = setup.getByTestId('error');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'PIN_INCORRECT');
    assert.match(await err.innerText(), /PIN_INCORRECT/);
    assert.deepEqual(onVault(), before, 'a refused rotation leaves the token as it was');
    assert.equal(await setup.getByLabel('SO PIN of that token', { exact: true }).inputValue(), '', 'the PIN fields are cleared at the call');
    await axe(p, 'rotation refused');

    await setup.getByLabel('PIN of that token', { exact: true }).fill(vault.pin);
    await setup.getByLabel('SO PIN of that token', { exact: true }).fill(vault.soPin);
    await setup.getByRole('button', { name: 'Make the new shares' }).click();
    const r = card.getByTestId('refresh');
    await r.waitFor();
    assert.match(await r.innerText(), /Rotate: a NEW KEK is made on the token/);
    const newShares = await copyAndGiveBack(r, ['Ken', 'Barbara', 'Erin']);
    const out = join(work, 'usb-rotated');
    mkdirSync(out);
    m.dialogs.folder = out;
    await r.getByRole('button', { name: 'Save the new backup file to a folder…' }).click();
    await r.getByTestId('refresh-saved').waitFor();
    // a second copy for the other removable medium: the same bytes
    const out2 = join(work, 'usb-rotated-2');
    mkdirSync(out2);
    m.dialogs.folder = out2;
    await r.getByRole('button', { name: 'Save another copy to a folder…' }).click();
    await r.getByText(`New backup file saved in ${out2}`).waitFor();
    assert.deepEqual(readFileSync(join(out2, 'release-key.backup.json')), readFileSync(join(out, 'release-key.backup.json')));
    await axe(p, 'backup rotated');
    await screenshot(p, 'backup-rotate-saved', r);

    const next = await parseBackup(readFileSync(join(out, 'release-key.backup.json'), 'utf8'));
    assert.deepEqual([next.shareSet.m, next.shareSet.n, next.shareSet.custodians], [2, 3, ['Ken', 'Barbara', 'Erin']]);
    assert.notEqual(next.shareSet.id, old.shareSet.id);
    assert.equal(next.origin?.kind, 'rotated');
    assert.equal(next.origin?.previousSetId, old.shareSet.id);
    assert.notEqual(next.wrap.kekCheckValue, old.wrap.kekCheckValue, 'a new KEK');
    assert.notEqual(next.wrap.wrappedKey, old.wrap.wrappedKey, 'the key wrapped again');
    assert.equal(next.key.fingerprint, old.key.fingerprint, 'the same key');
    // The token: the key as it was, no KEK left behind.
    assert.deepEqual(onVault(), before);
    // The new set: every share opens the new file; the old shares are refused as another set.
    const fresh = [1, 2, 3].map((i) => ({ share: parseShareText(newShares[i]!, `new ${i}`), label: `new ${i}` }));
    assert.deepEqual((await verifyEveryShare(fresh, expectationOf(next))).verified, [1, 2, 3]);
    assert.throws(
      () =>
        checkMembership(
          [1, 3].map((i) => ({ share: parseShareText(shareTexts[i]!, `old ${i}`), label: `old ${i}` })),
          expectationOf(next),
        ),
      (e: unknown) => e instanceof KeyceremonyError && e.code === 'SHARE_FOREIGN',
    );
    // Two new shares restore the very key onto a fresh token.
    const kek = await reconstructKek(next, [fresh[0]!, fresh[2]!]);
    const t = tok('fresh');
    await mod.withSession({ serial: t.serial }, { pin: () => new TextEncoder().encode(t.pin), rw: true }, (s) => recoverOntoToken(s, next, kek));
    assert.deepEqual(
      tokenObjects(hsm, 'fresh')
        .map((o) => `${o.type}:${o.label}:${o.id}`)
        .sort(),
      [`Private Key:release-key:${old.key.id}`, `Public Key:release-key:${old.key.id}`],
    );
  },
);

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

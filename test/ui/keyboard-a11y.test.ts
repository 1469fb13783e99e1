/**
 * Keyboard-only operation and accessible names: a key is generated on a SoftHSM token with the
 * keyboard alone (Tab, typing, Enter); every control on every screen has an accessible name; a
 * PIN-pad token gets no PIN field (and main's answer is shown).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;
let work: string;

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['kbd', 'pad']);
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
  work = mkdtempSync(join(tmpdir(), 'kc-a11y-'));
  m = await ui.machine({ name: 'kbd', extraDeps: { ceremony: { workDir: work, rehearsal: true, module: () => mod } } });
  m.reader.insert(hsm.tokens[0]!.serial);
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Tab until the focused element has this accessible text (at most 40 presses). */
async function tabTo(p: Machine['page'], name: RegExp) {
  for (let i = 0; i < 40; i++) {
    await p.keyboard.press('Tab');
    const label = await p.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim();
    });
    if (name.test(label)) return;
  }
  throw new Error(`could not reach ${name} with Tab`);
}

/** Controls without an accessible name (aria-label, aria-labelledby, a <label>, or text). */
async function unnamed(p: Machine['page']): Promise<string[]> {
  return p.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('button, input, select, textarea, [role="button"], a[href]'))) {
      const h = el as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> };
      if (h.offsetParent === null && h.getAttribute('type') !== 'file') continue;
      const name =
        h.getAttribute('aria-label') ||
        (h.getAttribute('aria-labelledby') && document.getElementById(h.getAttribute('aria-labelledby')!)?.textContent) ||
        (h.labels && h.labels.length > 0 && h.labels[0]!.textContent) ||
        (h.tagName === 'BUTTON' && h.textContent) ||
        h.getAttribute('title');
      if (!name || !name.trim()) out.push(h.outerHTML.slice(0, 120));
    }
    return out;
  });
}

test('keyboard only: generate a key on the token with Tab, typing and Enter', { skip }, async () => {
  const p = m.page;
  await p.getByRole('heading', { name: 'What are you here to do?' }).waitFor();
  await tabTo(p, /^Tokens and keys$/);
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { name: 'Tokens and keys' }).waitFor();
  assert.equal(await p.evaluate(() => document.activeElement?.tagName), 'H1', 'the new screen’s heading has focus');
  await tabTo(p, /^Look for tokens$/);
  await p.keyboard.press('Enter');
  await p.getByTestId('token-row').waitFor();
  await tabTo(p, /^Key label$/);
  await p.keyboard.type('kbd-key');
  await tabTo(p, /^Token PIN$/);
  await p.keyboard.type(hsm.tokens[0]!.pin);
  await p.keyboard.press('Enter'); // submits the form
  await p.getByTestId('new-key').waitFor();
  const keys = await mod.withSession({ serial: hsm.tokens[0]!.serial }, { pin: () => new TextEncoder().encode(hsm.tokens[0]!.pin) }, async (s) => s.findKeys());
  assert.deepEqual(
    keys.map((k) => k.label),
    ['kbd-key'],
  );
  // Focus is visible (outline) on the focused control.
  await tabTo(p, /^Generate key on token$/);
  const outline = await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  assert.notEqual(outline, 'none');
});

test('every control on every screen has an accessible name', { skip }, async () => {
  const p = m.page;
  const nav = (name: string) => p.getByRole('navigation').getByRole('button', { name, exact: true }).click();
  const check = async (where: string) => assert.deepEqual(await unnamed(p), [], where);
  await nav('Start');
  await check('start');
  await nav('Tokens');
  await p.getByRole('button', { name: 'Look for tokens' }).click();
  await p.getByTestId('token-row').waitFor();
  await check('tokens');
  await nav('Sign');
  await check('sign choice');
  await p.getByRole('button', { name: 'Sign a text' }).click();
  await check('sign text');
  await nav('Sign');
  await p.getByRole('button', { name: 'Open a signing request' }).click();
  await check('sign request');
  await nav('Verify');
  for (const k of ['A ceremony bundle (.kcbundle.tar)', 'TUF metadata against a trusted root', 'A signature with a public key']) {
    await p.getByLabel(k).check();
    await check(`verify ${k}`);
  }
  await nav('Ceremony');
  await p.getByRole('button', { name: 'Start the ceremony' }).waitFor();
  await check('ceremony setup');
  await nav('Recover');
  await p.getByRole('button', { name: 'Start the ceremony' }).waitFor();
  await check('recover setup');
});

test('PIN-pad token: no PIN field, the reader is asked instead, and main’s answer is shown', { skip }, async () => {
  const p = m.page;
  const pad = hsm.tokens[1]!;
  m.reader.pinPad.add(pad.serial);
  m.reader.insert(pad.serial);
  await p.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
  await p.getByRole('button', { name: 'Sign a text' }).click();
  await p.getByLabel('Custodian').fill('Pat');
  await p.getByLabel('Token serial').fill(pad.serial);
  await p.getByLabel('Key label').fill('any');
  await p.getByLabel('Text to sign').fill('x');
  await p.getByRole('button', { name: 'Continue' }).click();
  await p.getByText('This reader has a PIN pad: type the PIN on the reader when it asks.').waitFor();
  assert.equal(await p.locator('input[type="password"]').count(), 0, 'no PIN field for a PIN pad');
  await screenshot(p, 'sign-pin-pad', p.getByTestId('token-gate'));
  await p.getByRole('button', { name: 'Sign with this token' }).click();
  // SoftHSM has no pad, so the real token layer refuses to log in without a PIN: the screen says so.
  const err = p.getByTestId('error');
  await err.waitFor();
  assert.equal(await err.getAttribute('data-code'), 'PIN_REQUIRED');
});

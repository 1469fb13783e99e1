/**
 * UI journey on real SoftHSM2 tokens through the built renderer in Debian Chromium and the real
 * handler table: token inventory, key generation, signing, wrong token refused before anything is
 * signed, wrong PIN message, batch signing with progress and cancel. Every step asserts what is on
 * the token (through the token layer) or in the saved file, not only what the page says.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { expectNoSeriousA11y } from '../helpers/axe';

let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;
const chromiumMissing = !existsSync('/usr/bin/chromium');

before(async () => {
  if (chromiumMissing) return;
  hsm = await makeSoftHsm(['alice', 'bob']);
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
  m = await ui.machine({ name: 'desk' });
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
});

const alice = () => hsm.tokens.find((t) => t.label === 'alice')!;
const bob = () => hsm.tokens.find((t) => t.label === 'bob')!;

async function keysOn(serial: string, pin: string) {
  return mod.withSession({ serial }, { pin: () => new TextEncoder().encode(pin) }, async (s) => s.findKeys());
}

test('start screen shows the mode at all times and watermarks rehearsal', { skip: chromiumMissing && 'no /usr/bin/chromium' }, async () => {
  const p = m.page;
  await p.getByRole('heading', { name: 'What are you here to do?' }).waitFor();
  assert.match(await p.getByTestId('mode-banner').innerText(), /REHEARSAL/);
  assert.equal(await p.getByTestId('watermark').isVisible(), true);
  for (const name of ['Run a ceremony', 'Sign', 'Recover', 'Verify']) {
    assert.equal((await p.getByRole('button', { name, exact: true }).count()) >= 1, true, name);
  }
  // The heading has focus, so keyboard users start at the top of the screen.
  assert.equal(await p.evaluate(() => document.activeElement?.tagName), 'H1');
  await screenshot(p, 'start');
});

test('inventory + key generation through the UI puts the key on the token', { skip: chromiumMissing && 'no /usr/bin/chromium' }, async () => {
  const p = m.page;
  m.reader.insert(alice().serial);
  await p.getByRole('navigation').getByRole('button', { name: 'Tokens' }).click();
  await p.getByRole('button', { name: 'Look for tokens' }).click();
  const row = p.getByTestId('token-row');
  await row.waitFor();
  assert.equal(await row.count(), 1);
  assert.equal(await row.getAttribute('data-serial'), alice().serial);
  await p.getByLabel('Key label').fill('root-alice');
  await p.getByLabel('Token PIN').fill(alice().pin);
  await p.getByRole('button', { name: 'Generate key on token' }).click();
  const made = p.getByTestId('new-key');
  await made.waitFor();
  // The PIN field was cleared right at the call.
  assert.equal(await p.getByLabel('Token PIN').inputValue(), '');
  const shownFp = await made.getAttribute('data-fingerprint');
  const onToken = await keysOn(alice().serial, alice().pin);
  const k = onToken.find((x) => x.label === 'root-alice');
  assert.ok(k, 'key root-alice is on the token');
  assert.equal(k.fingerprint, shownFp);
  assert.equal(k.attrs.extractable, false);
  assert.equal(k.attrs.sensitive, true);
  // Bob's token was not touched.
  assert.equal((await keysOn(bob().serial, bob().pin)).length, 0);
  await screenshot(p, 'tokens-keygen');
});

test('wrong PIN: a clear message, the PIN field empty, nothing changed on the token', { skip: chromiumMissing && 'no /usr/bin/chromium' }, async () => {
  const p = m.page;
  await p.getByLabel('Token PIN').fill('99999999');
  await p.getByRole('button', { name: 'List keys on token' }).click();
  const err = p.getByTestId('error');
  await err.waitFor();
  assert.equal(await err.getAttribute('data-code'), 'PIN_INCORRECT');
  assert.match(await err.innerText(), /Wrong PIN for token "alice"/);
  assert.equal(await p.getByLabel('Token PIN').inputValue(), '');
  // The token now says tries are low; the screen says so next to the PIN field.
  const t = mod.tokens().find((x) => x.serial === alice().serial)!;
  if (t.flags.pinCountLow || t.flags.pinFinalTry) await p.getByTestId('tries-left').waitFor();
  await screenshot(p, 'tokens-wrong-pin');
  // Correct PIN works again and lists exactly the one key.
  await p.getByLabel('Token PIN').fill(alice().pin);
  await p.getByRole('button', { name: 'List keys on token' }).click();
  await p.getByTestId('key-row').first().waitFor();
  assert.equal(await p.getByTestId('key-row').count(), 1);
});

async function openSign(p: Machine['page'], custodian: string, serial: string, keyLabel: string, text: string, perLine = false) {
  await p.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
  await p.getByRole('button', { name: 'Sign a text' }).click();
  await p.getByLabel('Custodian').fill(custodian);
  await p.getByLabel('Token serial').fill(serial);
  await p.getByLabel('Key label').fill(keyLabel);
  await p.getByLabel('Text to sign').fill(text);
  if (perLine) await p.getByLabel('Sign each line separately (batch)').check();
  await p.getByRole('button', { name: 'Continue' }).click();
}

test('wrong token is refused before anything is signed (UI and main both refuse)', { skip: chromiumMissing && 'no /usr/bin/chromium' }, async () => {
  const p = m.page;
  m.reader.insert(bob().serial);
  await openSign(p, 'Alice', alice().serial, 'root-alice', 'release 1.0');
  const gate = p.getByTestId('token-gate');
  await p.getByTestId('wrong-token').waitFor();
  assert.match(await gate.innerText(), new RegExp(`Insert the token of Alice \\(serial ${alice().serial}`));
  assert.match(await p.getByTestId('wrong-token').innerText(), /not the token of Alice/);
  assert.equal(await p.getByRole('button', { name: 'Sign with this token' }).count(), 0, 'no Sign button with the wrong token');
  await screenshot(p, 'sign-wrong-token');
  // Even a crafted call from the page is refused by main before login.
  const r = await p.evaluate(
    ([serial, pin]) => window.keyceremony!.invoke('kc:sign.data', { token: { serial: serial! }, key: { label: 'root-alice' }, pin: pin!, dataB64: 'aGk=' }),
    [alice().serial, alice().pin],
  );
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'TOKEN_WRONG');
  assert.equal((await keysOn(bob().serial, bob().pin)).length, 0);
});

test('sign with the right token: signature verifies with the key on the token, and is saved', { skip: chromiumMissing && 'no /usr/bin/chromium' }, async () => {
  const p = m.page;
  m.reader.insert(alice().serial);
  await p.getByTestId('token-gate').and(p.locator('[data-status="present"]')).waitFor();
  await p.getByLabel("PIN of Alice's token").fill(alice().pin);
  await p.getByRole('button', { name: 'Sign with this token' }).click();
  const sig = p.getByTestId('signature');
  await sig.waitFor();
  const sigB64 = (await sig.getAttribute('data-signature'))!;
  const key = (await keysOn(alice().serial, alice().pin)).find((k) => k.label === 'root-alice')!;
  const pub = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
  assert.equal(nodeVerify('sha256', Buffer.from('release 1.0'), pub, Buffer.from(sigB64, 'base64')), true);
  assert.equal(nodeVerify('sha256', Buffer.from('release 1.1'), pub, Buffer.from(sigB64, 'base64')), false);
  await screenshot(p, 'sign-done');
  await p.getByRole('button', { name: 'Save signature' }).click();
  await p.getByTestId('saved').waitFor();
  assert.equal(readFileSync(join(m.saveDir, 'root-alice.sig'), 'utf8').trim(), sigB64);
  // No payload with a PIN was recorded anywhere on the page.
  const html = await p.content();
  assert.equal(html.includes(alice().pin), false);
});

test('batch signing shows progress and can be cancelled; nothing half-done is returned', { skip: chromiumMissing && 'no /usr/bin/chromium' }, async () => {
  const p = m.page;
  const lines = Array.from({ length: 12 }, (_, i) => `item ${i}`).join('\n');
  await p.getByRole('button', { name: 'Change what to sign' }).click();
  await p.getByLabel('Text to sign').fill(lines);
  await p.getByLabel('Sign each line separately (batch)').check();
  await p.getByRole('button', { name: 'Continue' }).click();
  await p.getByLabel("PIN of Alice's token").fill(alice().pin);
  await p.getByRole('button', { name: 'Sign every line' }).click();
  const res = p.getByTestId('batch-result');
  await res.waitFor();
  assert.equal(await res.getAttribute('data-count'), '12');

  // A long batch shows its progress: the bar's value moves above 0 before the result (a
  // MutationObserver records every value the window showed, so a fast batch is not missed).
  const many = Array.from({ length: 1500 }, (_, i) => `n${i}`).join('\n');
  await p.getByRole('button', { name: 'Change what to sign' }).click();
  await p.getByLabel('Text to sign').fill(many);
  await p.getByRole('button', { name: 'Continue' }).click();
  await p.evaluate(() => {
    const w = window as unknown as { __progressSeen: number[] };
    w.__progressSeen = [];
    new MutationObserver(() => {
      const v = document.querySelector('[data-testid="progress"] progress')?.getAttribute('value');
      if (v) w.__progressSeen.push(Number(v));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await p.getByLabel("PIN of Alice's token").fill(alice().pin);
  await p.getByRole('button', { name: 'Sign every line' }).click();
  await p.getByTestId('progress').waitFor();
  // the picture for the guide, while the batch is running (when it still is)
  await screenshot(p, 'sign-batch-progress', p.getByTestId('progress')).catch(() => '');
  await res.waitFor({ timeout: 60_000 });
  assert.equal(await res.getAttribute('data-count'), '1500');
  const seen = await p.evaluate(() => (window as unknown as { __progressSeen: number[] }).__progressSeen);
  assert.ok(
    seen.some((v) => v > 0),
    `progress shown while signing (values seen: ${seen.slice(0, 5).join(', ')})`,
  );

  // The same batch, cancelled from the keyboard as soon as it starts (the cancel reaches main after the
  // sign call, so it always finds the job): nothing half-done is returned.
  await p.getByRole('button', { name: 'Change what to sign' }).click();
  await p.getByRole('button', { name: 'Continue' }).click();
  await p.getByLabel("PIN of Alice's token").fill(alice().pin);
  await p.getByRole('button', { name: 'Sign every line' }).press('Enter');
  await p.getByRole('button', { name: 'Cancel' }).focus();
  await p.keyboard.press('Enter');
  const err = p.getByTestId('error');
  await err.waitFor({ timeout: 60_000 });
  assert.equal(await err.getAttribute('data-code'), 'CANCELLED');
  assert.match(await err.innerText(), /Cancelled after \d+ of 1500/);
  assert.equal(await p.getByTestId('batch-result').count(), 0);
});

test(
  'the token and the key picked from those present, none typed: the signature verifies with the key picked',
  { skip: chromiumMissing && 'no /usr/bin/chromium' },
  async () => {
    const p = m.page;
    m.reader.insert(alice().serial);
    await p.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
    await p.getByRole('button', { name: 'Sign a text' }).click();
    await p.getByLabel('Custodian').fill('Alice');
    const present = p.getByLabel('Token present', { exact: true });
    await present.locator(`option[value="${alice().serial}"]`).waitFor({ state: 'attached' });
    await present.selectOption(alice().serial);
    const key = p.getByLabel('Key on that token', { exact: true });
    await key.locator('option[value="root-alice"]').waitFor({ state: 'attached' });
    assert.match(await key.locator('option[value="root-alice"]').innerText(), /^root-alice — ecdsa-p256 — [0-9a-f]{16}…$/);
    await key.selectOption('root-alice');
    assert.equal(await p.getByLabel('Token serial').inputValue(), alice().serial);
    assert.equal(await p.getByLabel('Key label').inputValue(), 'root-alice');
    await expectNoSeriousA11y(p, 'sign a text: token and key picked');
    await p.getByLabel('Text to sign').fill('release 2.0');
    await p.getByRole('button', { name: 'Continue' }).click();
    await p.getByLabel("PIN of Alice's token").fill(alice().pin);
    await p.getByRole('button', { name: 'Sign with this token' }).click();
    const sig = p.getByTestId('signature');
    await sig.waitFor();
    const spki = (await keysOn(alice().serial, alice().pin)).find((k) => k.label === 'root-alice')!.publicKeySpki;
    const pub = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    assert.equal(nodeVerify('sha256', Buffer.from('release 2.0'), pub, Buffer.from((await sig.getAttribute('data-signature'))!, 'base64')), true);
  },
);

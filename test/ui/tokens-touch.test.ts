/**
 * A YubiKey on the Sign screen, through the built renderer and the real handler table, with the token
 * layer's ykcs11 profile talking to test/helpers/ykcs11-double.ts (no YubiKey on this machine; the
 * double follows ykcs11's source). The key in slot 9a was made with touch policy "always": the screen
 * says "Touch the YubiKey now" while the signature waits, and the signature verifies with the slot's
 * public key once touched. A wrong PIN first: the screen shows the tries left the token reports.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y as axe } from '../helpers/axe';
import { YK_PIN, Ykcs11Double } from '../helpers/ykcs11-double';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let yk: Ykcs11Double;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;
// the "device": a touch the test gives once it has seen the prompt
let touched: () => void = () => undefined;
let prompted = 0;

before(async () => {
  if (skip) return;
  yk = await Ykcs11Double.create({ serial: 31415926 });
  await yk.provision('9a', 'ecdsa-p256', { pin: 'once', touch: 'always' });
  mod = Pkcs11Module.open('/double/ui/libykcs11.so', { library: yk as never });
  ui = await startUi({ tokens: () => mod, moduleName: 'ykcs11 (double)' });
  m = await ui.machine({
    name: 'custodian-desk',
    extraDeps: {
      afterTouchPrompt: () =>
        new Promise<void>((ok) => {
          prompted++;
          touched = () => {
            yk.touch();
            ok();
          };
        }),
    },
  });
  m.reader.insert('31415926');
});

after(async () => {
  await ui?.close();
  mod?.close();
});

test(
  'Sign screen on a YubiKey: tries left after a wrong PIN, then "Touch the YubiKey now" until touched; the signature verifies',
  { skip, timeout: 120_000 },
  async () => {
    const p = m.page;
    await p.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
    await p.getByRole('button', { name: 'Sign a text' }).click();
    await p.getByLabel('Custodian').fill('Carol Chen');
    await p.getByLabel('Token serial').fill('31415926');
    await p.getByLabel('Key label').fill('Private key for PIV Authentication');
    await p.getByLabel('Text to sign').fill('release v1.2.3');
    await p.getByRole('button', { name: 'Continue' }).click();
    await p.locator('[data-testid="token-gate"][data-status="present"]').waitFor();

    // a wrong PIN: the token's retry counter (ykcs11 flags) becomes "2 tries left" on screen
    await p.getByLabel("PIN of Carol Chen's token").fill('000000');
    await p.getByRole('button', { name: 'Sign with this token' }).click();
    await p.getByRole('alert').filter({ hasText: 'Wrong PIN' }).first().waitFor();
    const tries = p.getByTestId('tries-left');
    await tries.waitFor();
    assert.equal(await tries.getAttribute('data-count'), '2');
    assert.match(await tries.innerText(), /2 PIN tries are left before this token locks/);
    await screenshot(p, 'tokens-pin-tries-left', p.getByRole('region', { name: 'Sign' }));

    // the right PIN: main says "touch" before the signature, the screen shows it while the device waits
    await p.getByLabel("PIN of Carol Chen's token").fill(YK_PIN);
    await p.getByRole('button', { name: 'Sign with this token' }).click();
    const prompt = p.getByTestId('touch-prompt');
    await prompt.waitFor();
    assert.match(await prompt.innerText(), /Touch the YubiKey now\. It blinks until you touch it: key “Private key for PIV Authentication”/);
    assert.equal(await prompt.getAttribute('data-touch-policy'), 'always');
    assert.equal(await p.getByTestId('signature').count(), 0, 'nothing is signed before the touch');
    await axe(p, 'touch prompt');
    await screenshot(p, 'tokens-touch-prompt');
    touched();
    const sig = p.getByTestId('signature');
    await sig.waitFor();
    await prompt.waitFor({ state: 'detached' });
    assert.equal(prompted, 1);

    const spki = await mod.withSession(
      { serial: '31415926' },
      { pin: () => new TextEncoder().encode(YK_PIN) },
      (s) => s.findKey({ id: Uint8Array.of(1) }).publicKeySpki,
    );
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const b64 = (await sig.getAttribute('data-signature')) as string;
    assert.equal(nodeVerify('sha256', Buffer.from('release v1.2.3'), { key, dsaEncoding: 'der' }, Buffer.from(b64, 'base64')), true);
  },
);

/**
 * Issue 12 item 1 in the app: a key generation interrupted inside SoftHSM (the CLI killed by strace
 * while the private key object is written) left a public key and a torn private key. On the Tokens
 * screen, generating the same key is refused naming them; "Incomplete objects" lists them with why
 * keyceremony knows it made them, and removes them only after the custodian agrees; then the key is
 * generated once. Also issue 14 item 12: an empty slot shows as "uninitialised token in slot …".
 * Asserted on the token, not only on the page; axe-core on the panel.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionSoftHsm, type SoftHsmEnv } from '../../electron/adapters/softhsm';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { FsTokenJournal, defaultTokenJournalDir } from '../../electron/adapters/fs/token-journal';
import { startUi, type Machine, type UiHarness } from '../helpers/ui-harness';
import { cliEntry } from '../helpers/ceremony-run';
import { ftruncates, killAtFtruncate, pointInObject } from '../helpers/strace';
import { expectNoSeriousA11y } from '../helpers/axe';

const chromiumMissing = !existsSync('/usr/bin/chromium');
const work = mkdtempSync(join(tmpdir(), 'kc-ui-incomplete-'));
const state = join(work, 'state');
let hsm: SoftHsmEnv;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;

const keygen = ['keygen', '--token', 'ui-tok', '--type', 'ecdsa-p256', '--label', 'root-ui', '--id', '0c0d', '--pin-file', join(work, 'pin')];

before(async () => {
  if (chromiumMissing) return;
  writeFileSync(join(work, 'pin'), '1234');
  // where SoftHSM rewrites the private key object, learned on a throwaway token
  const learn = provisionSoftHsm(join(work, 'learn'), ['ui-tok'], { pin: '1234', soPin: '12345678' });
  const seen = ftruncates([process.execPath, cliEntry(), ...keygen], {
    ...process.env,
    SOFTHSM2_CONF: learn.conf,
    KEYCEREMONY_PKCS11_MODULE: learn.module,
    KEYCEREMONY_STATE_DIR: join(work, 'learn-state'),
  });
  assert.equal(seen.run.code, 0, seen.run.err);
  hsm = provisionSoftHsm(join(work, 'hsm'), ['ui-tok'], { pin: '1234', soPin: '12345678' });
  const killed = killAtFtruncate(
    [process.execPath, cliEntry(), ...keygen],
    { ...process.env, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_STATE_DIR: state },
    pointInObject(seen.files, 2, 11),
  );
  assert.ok(killed.signal === 'SIGKILL' || killed.code === 137, killed.err);
  process.env.SOFTHSM2_CONF = hsm.conf;
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
  m = await ui.machine({ name: 'desk', extraDeps: { tokenJournal: new FsTokenJournal(defaultTokenJournalDir({ KEYCEREMONY_STATE_DIR: state })) } });
});

after(async () => {
  await ui?.close();
  mod?.close();
  rmSync(work, { recursive: true, force: true });
});

const serial = () => hsm.tokens[0]!.serial;
const objectsOnToken = () =>
  mod.withSession({ serial: serial() }, { pin: () => new TextEncoder().encode('1234') }, (s) =>
    s
      .objects()
      .map((o) => `${o.kind}:${o.label}:${o.complete}`)
      .sort(),
  );

test(
  'the Tokens screen refuses a second key, lists what the interrupted keygen left, removes it on consent, then generates once',
  { skip: chromiumMissing && 'no /usr/bin/chromium' },
  async () => {
    const p = m.page;
    const before = await objectsOnToken();
    assert.deepEqual(before, ['private::false', 'public:root-ui:true'], 'the crash left a whole public key and a torn private key');

    m.reader.insert(serial());
    m.reader.insertAlso(''); // SoftHSM's empty slot
    await p.getByRole('navigation').getByRole('button', { name: 'Tokens' }).click();
    await p.getByRole('button', { name: 'Look for tokens' }).click();
    await p.getByTestId('token-row').waitFor();
    assert.match(await p.getByTestId('token-uninitialised').innerText(), /uninitialised token in slot 0x[0-9a-f]+/);
    assert.equal(await p.getByRole('radio').count(), 1, 'the empty slot cannot be chosen');

    // generating the same key is refused, naming the objects
    await p.getByLabel('Key label').fill('root-ui');
    await p.getByLabel('Token PIN', { exact: true }).fill('1234');
    await p.getByRole('button', { name: 'Generate key on token' }).click();
    const err = p.getByTestId('error');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'KEY_INCOMPLETE');
    assert.match(await err.innerText(), /Incomplete objects/);
    assert.deepEqual(await objectsOnToken(), before, 'nothing added');

    // look: two objects, each with the reason keyceremony knows it made them
    const panel = p.getByTestId('incomplete-objects');
    await panel.getByLabel('PIN to check for incomplete objects').fill('1234');
    await panel.getByRole('button', { name: 'Look for incomplete objects' }).click();
    const list = panel.getByTestId('incomplete-remove');
    await list.waitFor();
    assert.equal(await list.getAttribute('data-count'), '2');
    const items = await list.getByTestId('incomplete-item').allInnerTexts();
    assert.ok(
      items.some((t) => /public key labelled "root-ui", id 0c0d/.test(t)),
      items.join('\n'),
    );
    assert.ok(
      items.some((t) => /private key without label, without id.*not on the token when the generation of key "root-ui" began/.test(t)),
      items.join('\n'),
    );
    await expectNoSeriousA11y(p, 'Tokens: incomplete objects');

    // no consent, no removal: the button stays disabled until the box is ticked
    const removeBtn = panel.getByRole('button', { name: /Remove 2 incomplete object/ });
    assert.equal(await removeBtn.isDisabled(), true);
    await panel.getByLabel('I agree to remove these objects').check();
    await panel.getByLabel('PIN to check for incomplete objects').fill('1234');
    await removeBtn.click();
    await panel.getByTestId('incomplete-removed').waitFor();
    assert.equal(await panel.getByTestId('incomplete-removed').getAttribute('data-count'), '2');
    assert.deepEqual(await objectsOnToken(), [], 'both objects removed');

    // now the key is made, once
    await p.getByLabel('Token PIN', { exact: true }).fill('1234');
    await p.getByRole('button', { name: 'Generate key on token' }).click();
    await p.getByTestId('new-key').waitFor();
    assert.deepEqual(await objectsOnToken(), ['private:root-ui:true', 'public:root-ui:true']);
  },
);

/**
 * Journey 2 of issue 6: a targets update signed by 2 custodians on two machines — two browser
 * contexts, each with its own handler host, card reader and save folder, sharing ONLY the request
 * file. Custodian 1 opens the request, reads the diff and "0 of 2", signs with their SoftHSM token and
 * saves the request; the test carries that one file to machine 2, where custodian 2 signs (after the
 * token of custodian 1, whose key has signed already, is offered nothing) and saves the finished 2.targets.json. The finished metadata is checked
 * against the keys on the tokens, not against the page.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { signerKey } from '../../electron/core/tuf/sign';
import { createRequest, serializeRequest } from '../../electron/core/tuf/request';
import { newTargets, nextTargets, targetFileInfo } from '../../electron/core/tuf/repo';
import { checkThreshold } from '../../shared/tuf/threshold';
import { canonicalBytes } from '../../shared/json/canonical';
import type { TufKeyJSON } from '../../shared/tuf/keys';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let a: Machine;
let b: Machine;
let dir: string;
let requestPath: string;
const keys: Record<string, TufKeyJSON> = {};
const keyids: string[] = [];

const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['cust-1', 'cust-2', 'cust-3']);
  mod = Pkcs11Module.open(hsm.module);
  // Each custodian's targets key, made on their token beforehand (e.g. in the root ceremony).
  for (const t of hsm.tokens) {
    const k = await mod.withSession({ serial: t.serial }, { pin: () => new TextEncoder().encode(t.pin), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'targets-key' });
      return signerKey(s.signer(key));
    });
    keys[k.keyid] = k.key;
    keyids.push(k.keyid);
  }
  const expires = '2030-01-01T00:00:00Z';
  const prev = newTargets(expires, 1);
  const next = nextTargets(prev);
  next.targets['app-1.2.tar.gz'] = await targetFileInfo(new TextEncoder().encode('release 1.2 payload'));
  const req = await createRequest({
    signed: next.toJSON() as unknown as Record<string, unknown>,
    role: 'targets',
    rules: [{ name: 'targets', keyids, keys, threshold: 2 }],
    previous: prev.toJSON() as unknown as Record<string, unknown>,
    note: 'Release 1.2: adds app-1.2.tar.gz',
  });
  dir = mkdtempSync(join(tmpdir(), 'kc-threshold-'));
  requestPath = join(dir, 'targets-v2.request.json');
  writeFileSync(requestPath, serializeRequest(req));
  ui = await startUi({ tokens: () => mod });
  a = await ui.machine({ name: 'custodian-1-laptop' });
  b = await ui.machine({ name: 'custodian-2-laptop' });
  a.reader.insert(tok('cust-1').serial);
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openRequest(p: Machine['page'], file: string) {
  await p.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
  await p.getByRole('button', { name: 'Open a signing request' }).click();
  await p.getByLabel('Open a signing request file').setInputFiles(file);
  await p.getByTestId('request').waitFor();
}

/** The custodian's token is in the reader: their key (the one the request accepts) is offered. */
async function pickKey(p: Machine['page'], label: string) {
  await p.locator(`[data-testid="picker-token"][data-serial="${tok(label).serial}"]`).waitFor();
  await p.getByTestId('candidate').waitFor();
}

test('journey 2: targets update signed by 2 custodians on two machines sharing only the request file', { skip, timeout: 120_000 }, async () => {
  // Machine 1: custodian 1.
  const p1 = a.page;
  await openRequest(p1, requestPath);
  const rule = p1.getByTestId('rule');
  assert.equal(await rule.getAttribute('data-valid'), '0');
  assert.equal(await rule.getAttribute('data-threshold'), '2');
  assert.equal(await p1.getByTestId('signer').count(), 3, '3 keys may sign');
  assert.match(await p1.getByTestId('rule-line').innerText(), /targets v2: 0 of 2 targets keys — nobody signed yet/);
  assert.match(await p1.getByTestId('diff').innerText(), /app-1\.2\.tar\.gz/);
  await screenshot(p1, 'request-open', p1.getByTestId('request'));
  await pickKey(p1, 'cust-1');
  await p1.getByLabel('PIN of token “cust-1”').fill(tok('cust-1').pin);
  await p1.getByRole('button', { name: 'Add my signature' }).click();
  await p1.getByTestId('signed-now').waitFor();
  assert.equal(await p1.getByTestId('rule').getAttribute('data-valid'), '1');
  assert.equal(await p1.getByTestId('request').getAttribute('data-complete'), 'false');
  assert.equal(await p1.getByRole('button', { name: /^Save the signed/ }).count(), 0, 'cannot finish with 1 of 2');
  await p1.getByRole('button', { name: 'Save the updated request' }).click();
  await p1.getByTestId('saved').waitFor();
  await screenshot(p1, 'request-signed-1-of-2', p1.getByTestId('request'));
  const saved1 = readdirSync(a.saveDir);
  assert.deepEqual(saved1, ['targets-v2.request.json']);

  // The ONLY thing that travels: the request file, to machine 2's folder.
  const carried = join(dir, 'usb-stick', 'targets-v2.request.json');
  mkdirSync(join(dir, 'usb-stick'));
  copyFileSync(join(a.saveDir, saved1[0]!), carried);
  assert.equal(JSON.parse(readFileSync(carried, 'utf8')).signatures.length, 1);

  // Machine 2: custodian 2 puts the wrong token in first: refused before anything is signed.
  const p2 = b.page;
  b.reader.insert(tok('cust-1').serial);
  await openRequest(p2, carried);
  assert.equal(await p2.getByTestId('rule').getAttribute('data-valid'), '1');
  // cust-1's key has signed already: it is offered as "already signed" and cannot sign again.
  await pickKey(p2, 'cust-1');
  assert.equal(await p2.getByTestId('candidate').getAttribute('data-signed'), 'true');
  assert.equal(await p2.getByRole('button', { name: 'Add my signature' }).isDisabled(), true);
  await screenshot(p2, 'request-wrong-token', p2.getByTestId('key-picker'));
  b.reader.insert(tok('cust-2').serial);
  await pickKey(p2, 'cust-2');
  await p2.getByLabel('PIN of token “cust-2”').fill(tok('cust-2').pin);
  await p2.getByRole('button', { name: 'Add my signature' }).click();
  await p2.getByTestId('signed-now').waitFor();
  assert.equal(await p2.getByTestId('request').getAttribute('data-complete'), 'true');
  assert.match(await p2.getByTestId('request-summary').innerText(), /2 of 2 required targets keys — complete/);
  await p2.getByRole('button', { name: 'Save the signed 2.targets.json' }).click();
  await p2.getByTestId('saved').waitFor();
  await screenshot(p2, 'request-complete', p2.getByTestId('request'));

  // The finished metadata: exactly the signed bytes of the request, 2 valid signatures by the token keys of custodians 1 and 2.
  const meta = JSON.parse(readFileSync(join(b.saveDir, '2.targets.json'), 'utf8')) as {
    signed: Record<string, unknown>;
    signatures: { keyid: string; sig: string }[];
  };
  assert.equal((meta.signed as { version: number }).version, 2);
  assert.ok((meta.signed as { targets: Record<string, unknown> }).targets['app-1.2.tar.gz']);
  assert.equal(meta.signatures.length, 2);
  const th = await checkThreshold(canonicalBytes(meta.signed, '$.signed'), meta.signatures, keyids, keys, 2);
  assert.equal(th.ok, true);
  assert.deepEqual([...th.validKeyids].sort(), [keyids[0], keyids[1]].sort());
  // A tampered copy does not verify.
  const tampered = { ...meta.signed, version: 3 };
  assert.equal((await checkThreshold(canonicalBytes(tampered, '$.signed'), meta.signatures, keyids, keys, 2)).ok, false);
});

/**
 * Issue 11 proof: a TUF targets release made entirely in the app, then downloaded by tuf-js.
 *
 * Machines (browser contexts, each with its own handler host, card reader and save folder) share only
 * files: the release manager opens the repository's metadata folder (main's dialog), names the key
 * holders, chooses the release file in a dialog and makes the request; two custodians sign copies of
 * it IN PARALLEL on their own machines (each picks their key from the keys on their token that the
 * request accepts — nobody types a label; a wrong token is refused and a wrong PIN keeps the form);
 * the release manager merges the two copies, writes 2.targets.json into the folder and publishes a
 * snapshot + timestamp with the online token. tuf-js 5 (the npm / Sigstore JS client) then refreshes
 * from the original root over loopback and downloads the new target. axe-core runs on every screen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Updater } from 'tuf-js';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y } from '../helpers/axe';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { Pkcs11Module, type TokenSession } from '../../electron/adapters/pkcs11';
import type { Signer } from '../../electron/core/signer';
import { signerKey } from '../../electron/core/tuf/sign';
import { createRepository, expiresIn, newRoot, newTargets } from '../../electron/core/tuf/repo';
import { checkThreshold } from '../../shared/tuf/threshold';
import { canonicalBytes } from '../../shared/json/canonical';
import type { TufKeyJSON } from '../../shared/tuf/keys';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
const NOW = Date.now();
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let server: StaticServer;
let work: string;
let metadata: string;
const custodian: Record<string, { keyid: string; key: TufKeyJSON }> = {};

const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;

async function withSigner<T>(label: string, keyLabel: string, fn: (s: Signer, session: TokenSession) => Promise<T>): Promise<T> {
  return mod.withSession({ serial: tok(label).serial }, { pin: hsm.pinOf(label), rw: true }, async (s) => {
    const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: keyLabel });
    return fn(s.signer(key), s);
  });
}

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['cust-1', 'cust-2', 'cust-3', 'online']);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(path.join(tmpdir(), 'kc-ui-tuf-'));
  metadata = path.join(work, 'repo', 'metadata');
  mkdirSync(metadata, { recursive: true });
  mkdirSync(path.join(work, 'repo', 'targets'), { recursive: true });
  // The repository as the root ceremony left it: root v1 (2 of 3 custodians), targets v1 (2 of the
  // same 3 keys), snapshot and timestamp by the online key.
  await withSigner('cust-1', 'release-key', (c1) =>
    withSigner('cust-2', 'release-key', (c2) =>
      withSigner('cust-3', 'release-key', (c3) =>
        withSigner('online', 'online', async (online) => {
          for (const [name, s] of [
            ['cust-1', c1],
            ['cust-2', c2],
            ['cust-3', c3],
          ] as const)
            custodian[name] = await signerKey(s);
          const ck = [custodian['cust-1']!.key, custodian['cust-2']!.key, custodian['cust-3']!.key];
          const onlineKey = (await signerKey(online)).key;
          const root = await newRoot({
            roles: {
              root: { keys: ck, threshold: 2 },
              targets: { keys: ck, threshold: 2 },
              snapshot: { keys: [onlineKey], threshold: 1 },
              timestamp: { keys: [onlineKey], threshold: 1 },
            },
            expires: expiresIn(NOW, 365),
          });
          const files = await createRepository({
            root,
            rootSigners: [c1, c2],
            targets: newTargets(expiresIn(NOW, 90)),
            signers: { targets: [c1, c2], snapshot: [online], timestamp: [online] },
            now: NOW,
          });
          for (const f of files) writeFileSync(path.join(metadata, f.name), f.bytes);
        }),
      ),
    ),
  );
  writeFileSync(path.join(work, 'tool-1.2.tgz'), 'the release payload, version 1.2\n');
  ui = await startUi({ tokens: () => mod });
  server = await startStaticServer(path.join(work, 'repo'));
});

after(async () => {
  await server?.close();
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function openSign(m: Machine, file: string) {
  const p = m.page;
  await p.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
  await p.getByRole('button', { name: 'Open a signing request' }).click();
  await p.getByLabel('Open a signing request file').setInputFiles(file);
  await p.getByTestId('request').waitFor();
}

async function custodianSigns(m: Machine, token: string, pin: string) {
  const p = m.page;
  m.reader.insert(tok(token).serial);
  await p.locator(`[data-testid="picker-token"][data-serial="${tok(token).serial}"]`).waitFor();
  await p.getByTestId('candidate').first().waitFor();
  await p.getByLabel(`PIN of token “${token}”`).fill(pin);
  await p.getByRole('button', { name: 'Add my signature' }).click();
}

test('a targets release made entirely in the app; tuf-js downloads it over loopback', { skip, timeout: 240_000 }, async () => {
  const t0 = Date.now();
  const rm = await ui.machine({ name: 'release-manager' });
  const a = await ui.machine({ name: 'alice-laptop' });
  const b = await ui.machine({ name: 'bob-laptop' });
  const p = rm.page;

  // 1. The release manager opens the repository folder (main's folder dialog).
  await p.getByRole('navigation').getByRole('button', { name: 'TUF release' }).click();
  await expectNoSeriousA11y(p, 'TUF release (empty)');
  rm.dialogs.folder = metadata;
  await p.getByRole('button', { name: 'Choose the metadata folder…' }).click();
  await p.locator('[data-testid="repo"][data-root-version="1"]').waitFor();
  assert.equal(await p.locator('[data-testid="role-row"][data-role="targets"]').getAttribute('data-version'), '1');
  // Names of the key holders (shown to custodians; not signed).
  await p.getByText('Who holds which key').click();
  for (const [label, name] of [
    ['cust-1', 'alice'],
    ['cust-2', 'bob'],
    ['cust-3', 'carol'],
  ] as const) {
    await p.getByLabel(`Name of the holder of key ${custodian[label]!.keyid.slice(0, 8)}`).fill(name);
  }
  await expectNoSeriousA11y(p, 'TUF release: repository');

  // 2. A release: add the target chosen in a file dialog, under the path clients will ask for.
  rm.dialogs.open.push(path.join(work, 'tool-1.2.tgz'));
  await p.getByRole('button', { name: 'Add a target file…' }).click();
  await p.getByLabel('Target path for tool-1.2.tgz (33 bytes)').fill('app/tool-1.2.tgz');
  await p.getByLabel('New expiry in days (blank: keep the current expiry)').fill('60');
  await p.getByRole('button', { name: 'Make the signing request' }).click();
  const made = p.getByTestId('made-request');
  await made.waitFor();
  assert.equal(await made.getAttribute('data-name'), '2.targets.request.json');
  assert.match(await made.getByTestId('diff').innerText(), /\+ target app\/tool-1\.2\.tgz \(33 bytes/);
  assert.equal(
    await made.getByTestId('rule-line').innerText(),
    'targets v2: 0 of 2 targets keys — nobody signed yet; 2 more of alice, bob, carol still needed',
  );
  await expectNoSeriousA11y(p, 'TUF release: request made');
  await p.getByRole('button', { name: 'Save 2.targets.request.json for the custodians' }).click();
  await p.getByTestId('saved').waitFor();
  const request = path.join(rm.saveDir, '2.targets.request.json');
  assert.equal(JSON.parse(readFileSync(request, 'utf8')).names[custodian['cust-1']!.keyid], 'alice');

  // 3. Two custodians sign copies of the SAME request in parallel, each on their own machine.
  const copyA = path.join(work, 'usb-a', '2.targets.request.json');
  const copyB = path.join(work, 'usb-b', '2.targets.request.json');
  for (const c of [copyA, copyB]) {
    mkdirSync(path.dirname(c), { recursive: true });
    copyFileSync(request, c);
  }
  await openSign(a, copyA);
  await openSign(b, copyB);
  // Alice first puts in the online token: none of its keys may sign; nothing is offered.
  a.reader.insert(tok('online').serial);
  await a.page.getByTestId('no-accepted-key').waitFor();
  assert.equal(await a.page.getByRole('button', { name: 'Add my signature' }).count(), 0);
  await expectNoSeriousA11y(a.page, 'Sign: wrong token');
  await custodianSigns(a, 'cust-1', tok('cust-1').pin);
  await a.page.getByTestId('signed-now').waitFor();
  const lineA = await a.page.getByTestId('rule-line').innerText();
  assert.equal(lineA, 'targets v2: 1 of 2 targets keys — alice signed; bob or carol still needed');
  assert.equal(await a.page.locator('[data-testid="signer"][data-name="alice"]').getAttribute('data-signed'), 'true');
  await expectNoSeriousA11y(a.page, 'Sign: 1 of 2');
  await screenshot(a.page, 'request-who-signed', a.page.getByTestId('who-signs'));
  await a.page.getByRole('button', { name: 'Save the updated request' }).click();
  await a.page.getByTestId('saved').waitFor();

  // Bob, in parallel on the unsigned copy: a wrong PIN first keeps the form (token, key), then signs.
  b.reader.insert(tok('cust-2').serial);
  await b.page.getByTestId('candidate').waitFor();
  const bobKey = b.page.getByRole('radio', { name: /bob/ });
  assert.equal(await bobKey.isChecked(), true, 'his only acceptable key is preselected');
  await b.page.getByLabel('PIN of token “cust-2”').fill('9999');
  await b.page.getByRole('button', { name: 'Add my signature' }).click();
  await b.page.getByTestId('error').waitFor();
  assert.equal(await b.page.getByTestId('error').getAttribute('data-code'), 'PIN_INCORRECT');
  assert.equal(await bobKey.isChecked(), true, 'the choice is kept after a mistake');
  assert.equal(await b.page.getByLabel('PIN of token “cust-2”').inputValue(), '', 'the PIN field is cleared');
  await custodianSigns(b, 'cust-2', tok('cust-2').pin);
  await b.page.getByTestId('signed-now').waitFor();
  assert.equal(await b.page.getByTestId('rule-line').innerText(), 'targets v2: 1 of 2 targets keys — bob signed; alice or carol still needed');
  await b.page.getByRole('button', { name: 'Save the updated request' }).click();
  await b.page.getByTestId('saved').waitFor();

  // 4. The release manager merges the two copies and writes the finished file into the folder.
  await p
    .getByLabel('Open the signed request copies')
    .setInputFiles([path.join(a.saveDir, '2.targets.request.json'), path.join(b.saveDir, '2.targets.request.json')]);
  await p.locator('[data-testid="merged"][data-complete="true"]').waitFor();
  assert.equal(await p.getByTestId('merged-summary').innerText(), '✔ targets v2: signed by 2 of 2 required targets keys — complete');
  await p.getByRole('button', { name: 'Write 2.targets.json into metadata' }).click();
  await p.getByTestId('written').waitFor();
  assert.ok(existsSync(path.join(metadata, '2.targets.json')));
  await p.locator('[data-testid="role-row"][data-role="targets"][data-version="2"]').waitFor();

  // 5. Snapshot + timestamp on the online token.
  rm.reader.insert(tok('online').serial);
  const publish = p.getByRole('region', { name: 'Publish snapshot and timestamp' });
  await publish.getByTestId('candidate').waitFor();
  await publish.getByLabel('PIN of token “online”').fill(tok('online').pin);
  await publish.getByRole('button', { name: 'Sign snapshot and timestamp' }).click();
  await p.locator('[data-testid="published"][data-verified="true"]').waitFor();
  assert.deepEqual(readdirSync(metadata).sort(), ['1.root.json', '1.snapshot.json', '1.targets.json', '2.snapshot.json', '2.targets.json', 'timestamp.json']);
  await expectNoSeriousA11y(p, 'TUF release: published');
  await screenshot(p, 'tuf-release-in-app', p.getByTestId('published'));

  // Compare two metadata files (as tuf diff --old --new)
  await p.getByLabel('Older file (optional)').setInputFiles(path.join(metadata, '1.targets.json'));
  await p.getByLabel('Newer file').setInputFiles(path.join(metadata, '2.targets.json'));
  await p.getByRole('button', { name: 'Compare', exact: true }).click();
  assert.match(
    await p.getByRole('region', { name: 'Compare two metadata files' }).getByTestId('diff').innerText(),
    /^targets v1 -> v2\n(.|\n)*\+ target app\/tool-1\.2\.tgz \(33 bytes/,
  );

  // The finished targets v2 is signed by alice's and bob's token keys, nobody else's.
  const t2 = JSON.parse(readFileSync(path.join(metadata, '2.targets.json'), 'utf8')) as {
    signed: Record<string, unknown>;
    signatures: { keyid: string; sig: string }[];
  };
  const ids = ['cust-1', 'cust-2', 'cust-3'].map((c) => custodian[c]!.keyid);
  const keys = Object.fromEntries(['cust-1', 'cust-2', 'cust-3'].map((c) => [custodian[c]!.keyid, custodian[c]!.key]));
  const th = await checkThreshold(canonicalBytes(t2.signed, '$.signed'), t2.signatures, ids, keys, 2);
  assert.deepEqual([...th.validKeyids].sort(), [custodian['cust-1']!.keyid, custodian['cust-2']!.keyid].sort());

  // 6. tuf-js, trusting root v1 only, refreshes over loopback and downloads the release.
  const payload = readFileSync(path.join(work, 'tool-1.2.tgz'));
  const sha = (t2.signed as { targets: Record<string, { hashes: { sha256: string } }> }).targets['app/tool-1.2.tgz']!.hashes.sha256;
  mkdirSync(path.join(work, 'repo', 'targets', 'app'), { recursive: true });
  writeFileSync(path.join(work, 'repo', 'targets', 'app', `${sha}.tool-1.2.tgz`), payload);
  const client = path.join(work, 'client');
  mkdirSync(path.join(client, 'metadata'), { recursive: true });
  mkdirSync(path.join(client, 'targets'), { recursive: true });
  copyFileSync(path.join(metadata, '1.root.json'), path.join(client, 'metadata', 'root.json'));
  const updater = new Updater({
    metadataDir: path.join(client, 'metadata'),
    targetDir: path.join(client, 'targets'),
    metadataBaseUrl: `${server.url}/metadata`,
    targetBaseUrl: `${server.url}/targets`,
  });
  await updater.refresh();
  const info = await updater.getTargetInfo('app/tool-1.2.tgz');
  assert.ok(info, 'tuf-js finds the target');
  const got = await updater.downloadTarget(info, path.join(client, 'targets', 'tool-1.2.tgz'));
  assert.deepEqual(readFileSync(got), payload);
  assert.ok(server.requests.includes('GET /metadata/2.targets.json 200'), server.requests.join('\n'));
  console.log(`journey time: ${Date.now() - t0} ms`);
});

/**
 * Setups that used to dead-end, run start to finish in the app (issue 10 items 5, 6):
 *  - a TUF root ceremony with 2 custodians (the count changed in setup), then a root rotation from the
 *    root.json opened in setup (a targets.json opened by mistake is refused when opened, with its code): tuf-js (over a loopback server) trusts root v1 and then accepts the
 *    rotated root v2;
 *  - a Notary ceremony for a GUN typed in setup: openssl shows that CN in each root certificate;
 *  - a custom script opened from a file: a broken one is refused with its JSON path before anything
 *    runs, the corrected one runs with the names it carries;
 *  - who is who: roles and token holders set in setup, a witness given a share or left out refused
 *    before the run, the run made with the roles as set (transcript, script in the bundle, token).
 * Tokens checked with pkcs11-tool; bundles with verifyBundle and `keyceremony bundle verify`; axe-core
 * on every screen met.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y as axe } from '../helpers/axe';
import { drive, fillSetup, privateKeys, startCeremony } from '../helpers/ceremony-ui';
import { kcSync } from '../helpers/ceremony-run';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { verifyBundle } from '../../electron/core/ceremony/bundle';
import { dirBundleReader } from '../../electron/adapters/fs/ceremony-store';
import { templateText } from '../../electron/core/ceremony/templates';
import type { PreflightProbe } from '../../electron/core/ceremony/types';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;
let work: string;
let server: StaticServer | undefined;
const t0 = Date.now();
const probe = (): PreflightProbe => ({ run: async () => [{ id: 'clock', status: 'pass', summary: 'clock is plausible' }] });

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['root-1', 'root-2', 'online', 'new-1', 'new-2', 'new-3', 'notary-1', 'notary-2', 'notary-online', 'cosign', 'roles-cosign']);
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
  work = mkdtempSync(join(tmpdir(), 'kc-setup-'));
  m = await ui.machine({
    name: 'setup',
    mode: 'production',
    extraDeps: { ceremony: { workDir: join(work, 'runs'), rehearsal: false, module: () => mod, preflight: probe } },
  });
  for (const t of hsm.tokens) m.reader.insertAlso(t.serial);
});

after(async () => {
  await server?.close();
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
  process.stdout.write(`# ceremony-setup: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
});

const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;

async function finish(what: string): Promise<string> {
  const p = m.page;
  const status = await drive(m, hsm, { shares: new Map() });
  if (status !== 'done') assert.fail(`${what} ${status}: ${(await p.getByTestId('error').allInnerTexts()).join(' | ')}`);
  const bundle = (await p.getByTestId('ceremony-result').getAttribute('data-bundle'))!;
  const v = await verifyBundle(dirBundleReader(bundle));
  assert.equal(v.ok, true, v.problems.join('; '));
  await p.getByRole('button', { name: 'Start another ceremony' }).click();
  await p.getByTestId('setup').waitFor();
  return bundle;
}

test('root rotation from the root.json opened in setup: tuf-js trusts v1, then accepts the rotated v2', { skip, timeout: 300_000 }, async () => {
  const p = m.page;
  await p.getByRole('button', { name: 'Run a ceremony' }).click();
  // 2 custodians instead of the template's 3: their tokens, keys and lists follow.
  await fillSetup(m, { template: 'tuf-root', custodians: 2, tokens: {} });
  await p.getByLabel('Token for root-token-3').waitFor({ state: 'detached' });
  await fillSetup(m, { tokens: { 'root-token-1': tok('root-1').serial, 'root-token-2': tok('root-2').serial, 'online-token': tok('online').serial } });
  await startCeremony(p);
  const first = await finish('tuf-root');
  const root1 = JSON.parse(readFileSync(join(first, 'metadata', '1.root.json'), 'utf8')) as {
    signed: { roles: { root: { keyids: string[]; threshold: number } } };
  };
  assert.equal(root1.signed.roles.root.keyids.length, 2);
  assert.equal(root1.signed.roles.root.threshold, 2);

  // Publish v1 and let tuf-js trust it.
  const repo = join(work, 'www', 'metadata');
  mkdirSync(repo, { recursive: true });
  mkdirSync(join(work, 'www', 'targets'), { recursive: true });
  for (const f of readdirSync(join(first, 'metadata'))) copyFileSync(join(first, 'metadata', f), join(repo, f));
  server = await startStaticServer(join(work, 'www'));
  const client = join(work, 'client');
  mkdirSync(join(client, 'metadata'), { recursive: true });
  writeFileSync(join(client, 'metadata', 'root.json'), readFileSync(join(repo, '1.root.json')));
  const updater = () =>
    new Updater({
      metadataDir: join(client, 'metadata'),
      targetDir: join(client, 'targets'),
      metadataBaseUrl: `${server!.url}/metadata`,
      targetBaseUrl: `${server!.url}/targets`,
    });
  await updater().refresh();

  // Rotation: the current root.json is opened in the setup (the old dead end).
  await p.getByLabel('Ceremony', { exact: true }).selectOption('tuf-root-rotation');
  assert.equal(await p.getByRole('button', { name: 'Start the ceremony' }).isDisabled(), true);
  // The wrong file is refused when it is opened, not at the signing step after everyone checked in.
  const targetsFile = readdirSync(repo).find((f) => /targets\.json$/.test(f))!;
  m.dialogs.open.push(join(repo, targetsFile));
  await p.getByRole('button', { name: 'Open root.json…' }).click();
  const wrong = p.locator('[data-testid="input-file"][data-file="root.json"] [data-testid="error"]');
  await wrong.waitFor();
  assert.equal(await wrong.getAttribute('data-code'), 'INVALID_METADATA');
  assert.match(await wrong.innerText(), new RegExp(`${targetsFile.replace('.', '\\.')} is targets metadata; this ceremony needs the current root\\.json`));
  assert.equal(await p.locator('[data-testid="input-file"][data-file="root.json"]').getAttribute('data-open'), 'false');
  await axe(p, 'rotation setup with the wrong file opened');
  await fillSetup(m, {
    tokens: {
      'old-token-1': tok('root-1').serial,
      'old-token-2': tok('root-2').serial,
      'new-token-1': tok('new-1').serial,
      'new-token-2': tok('new-2').serial,
      'new-token-3': tok('new-3').serial,
    },
    files: { 'root.json': join(repo, '1.root.json') },
  });
  assert.match(await p.getByTestId('input-summary').innerText(), /1\.root\.json: root version 1: 2 root key\(s\), threshold 2, expires /);
  assert.equal(await wrong.count(), 0, 'the refusal is gone once the right file is open');
  await axe(p, 'rotation setup with root.json opened');
  await screenshot(p, 'ceremony-setup-rotation', p.getByTestId('setup'));
  await startCeremony(p);
  const rotated = await finish('tuf-root-rotation');
  for (const n of [1, 2, 3])
    assert.deepEqual(
      privateKeys(hsm, `new-${n}`).map((k) => k.label),
      [`tuf-root-new-${n}`],
    );
  const v2 = readdirSync(join(rotated, 'metadata')).find((f) => f === '2.root.json');
  assert.ok(v2, '2.root.json in the rotation bundle');
  copyFileSync(join(rotated, 'metadata', '2.root.json'), join(repo, '2.root.json'));
  await updater().refresh();
  const trusted = JSON.parse(readFileSync(join(client, 'metadata', 'root.json'), 'utf8')) as { signed: { version: number } };
  assert.equal(trusted.signed.version, 2, 'tuf-js accepted the rotated root from the old one');
  assert.ok(server!.requests.some((r) => r.includes('2.root.json')));
});

test('a Notary ceremony for the GUN typed in setup: each root certificate has that CN (openssl)', { skip, timeout: 180_000 }, async () => {
  const p = m.page;
  await p.getByLabel('Ceremony', { exact: true }).selectOption('notary-repository');
  await fillSetup(m, {
    tokens: { 'root-token-1': tok('notary-1').serial, 'root-token-2': tok('notary-2').serial, 'online-token': tok('notary-online').serial },
    fields: { 'GUN (repository name)': 'registry.test:5000/acme/app' },
  });
  await startCeremony(p);
  const bundle = await finish('notary-repository');
  for (const id of ['root-1', 'root-2']) {
    const crt = join(bundle, 'notary', `${id}.root.crt`);
    const subject = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-subject']).toString();
    assert.match(subject, /CN\s*=\s*registry\.test:5000\/acme\/app/);
    const pub = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-pubkey']).toString();
    assert.equal(pub.trim(), readFileSync(join(bundle, 'keys', `${id}.pub.pem`), 'utf8').trim(), 'the certificate holds the token key');
  }
  assert.deepEqual(
    privateKeys(hsm, 'notary-1').map((k) => k.label),
    ['notary-root-1'],
  );
});

test('a custom script opened from a file: refused with its JSON path when broken, run with its own names when fixed', { skip, timeout: 180_000 }, async () => {
  const p = m.page;
  const script = JSON.parse(templateText('cosign-key')!) as {
    name: string;
    title: string;
    participants: { id: string; name: string }[];
    steps: { id: string; params?: Record<string, unknown> }[];
  };
  script.name = 'release-signing-2026';
  script.title = 'Release signing key 2026';
  const names: Record<string, string> = {
    admin: 'Grace Hopper',
    'custodian-1': 'Ken Thompson',
    'custodian-2': 'Barbara Liskov',
    'custodian-3': 'Leslie Lamport',
    witness: 'Radia Perlman',
  };
  for (const x of script.participants) x.name = names[x.id]!;
  const backup = script.steps.find((s) => s.id === 'backup')!;
  backup.params!.threshold = 7;
  const broken = join(work, 'release-signing.json');
  writeFileSync(broken, JSON.stringify(script, null, 2));
  m.dialogs.open.push(broken);
  await p.getByRole('button', { name: 'Open a ceremony script file…' }).click();
  await p.getByTestId('script-file').waitFor();
  const problems = p.getByTestId('setup-problems');
  await problems.waitFor();
  assert.match(await problems.innerText(), /\$\.steps\[3\]\.params\.threshold: threshold 7 is more than the 3 shares/);
  assert.equal(await p.getByRole('button', { name: 'Start the ceremony' }).isDisabled(), true);
  backup.params!.threshold = 2;
  const fixed = join(work, 'release-signing-fixed.json');
  writeFileSync(fixed, JSON.stringify(script, null, 2));
  m.dialogs.open.push(fixed);
  await p.getByRole('button', { name: 'Open a ceremony script file…' }).click();
  await problems.waitFor({ state: 'detached' });
  assert.equal(await p.getByLabel('Name of custodian-2', { exact: true }).inputValue(), 'Barbara Liskov');
  await fillSetup(m, { tokens: { 'signing-token': tok('cosign').serial } });
  await axe(p, 'custom script setup');
  await screenshot(p, 'ceremony-setup-custom', p.getByTestId('setup'));
  await startCeremony(p);
  const bundle = await finish('custom script');
  assert.match(bundle, /release-signing-2026-bundle$/);
  assert.match(readFileSync(join(bundle, 'transcript.jsonl'), 'utf8'), /Barbara Liskov \(custodian-2, custodian\)/);
  const archive = join(bundle, '..', 'release-signing-2026.kcbundle.tar');
  const v = kcSync(['bundle', 'verify', archive]);
  assert.equal(v.code, 0, v.out + v.err);
  assert.deepEqual(
    privateKeys(hsm, 'cosign').map((k) => k.label),
    ['cosign-signing'],
  );
});

test('who is who: roles and token holders set in setup, validated before the run, recorded as set', { skip, timeout: 180_000 }, async () => {
  const p = m.page;
  await p.getByLabel('Ceremony', { exact: true }).selectOption('cosign-key');
  await fillSetup(m, {
    names: { admin: 'Grace Hopper', 'custodian-1': 'Alice Archer', 'custodian-2': 'Bob Baker', 'custodian-3': 'Carol Cole', witness: 'Wendy Ward' },
    tokens: {},
  });
  const problems = p.getByTestId('setup-problems');
  const start = p.getByRole('button', { name: 'Start the ceremony' });
  const role = (id: string) => p.getByLabel(`Role of ${id}`, { exact: true });

  // Carol as a witness would still be handed share 3: refused with its JSON path, nothing can start.
  await role('custodian-3').selectOption('witness');
  await problems.waitFor();
  assert.match(await problems.innerText(), /\$\.steps\[3\]\.params\.custodians\[2\]: Carol Cole \(custodian-3\) is a witness and would hold a share/);
  assert.equal(await start.isDisabled(), true);
  await axe(p, 'setup with a role problem');
  await role('custodian-3').selectOption('custodian');
  await problems.waitFor({ state: 'detached' });

  // The only witness made a custodian: no one would confirm what the script asks of a witness.
  await role('witness').selectOption('custodian');
  await problems.waitFor();
  assert.match(await problems.innerText(), /roles\.witness: Wendy Ward is no longer a witness, and step "preflight" asks a witness to confirm/);
  assert.equal(await start.isDisabled(), true);
  await role('witness').selectOption('witness');
  await problems.waitFor({ state: 'detached' });

  // Two administrators: refused at $.participants.
  await role('custodian-2').selectOption('administrator');
  await problems.waitFor();
  assert.match(await problems.innerText(), /\$\.participants: exactly one participant must have the role "administrator"/);
  await role('custodian-2').selectOption('custodian');
  await problems.waitFor({ state: 'detached' });

  // Alice, not the administrator, holds the signing token; witnesses are not offered as holders.
  const holder = p.getByLabel('Holder of signing-token', { exact: true });
  assert.deepEqual(await holder.locator('option').allInnerTexts(), [
    'no one in particular (the administrator keeps it)',
    'Grace Hopper (administrator)',
    'Alice Archer (custodian)',
    'Bob Baker (custodian)',
    'Carol Cole (custodian)',
  ]);
  await holder.selectOption('custodian-1');
  await p.locator('[data-testid="token-role"][data-token="signing-token"][data-holder="custodian-1"]').waitFor();
  await fillSetup(m, { tokens: { 'signing-token': tok('roles-cosign').serial } });
  await axe(p, 'setup with roles set');
  await screenshot(p, 'ceremony-setup-roles', p.getByTestId('setup'));
  await startCeremony(p);
  const bundle = await finish('roles');

  const script = JSON.parse(readFileSync(join(bundle, 'ceremony.json'), 'utf8')) as {
    participants: { id: string; name: string; role: string }[];
    tokens: { id: string; custodian?: string }[];
  };
  assert.equal(script.tokens.find((t) => t.id === 'signing-token')!.custodian, 'custodian-1');
  assert.deepEqual(
    script.participants.map((x) => `${x.name}/${x.role}`),
    ['Grace Hopper/administrator', 'Alice Archer/custodian', 'Bob Baker/custodian', 'Carol Cole/custodian', 'Wendy Ward/witness'],
  );
  const transcript = readFileSync(join(bundle, 'transcript.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; actor?: string; token?: { serial: string } });
  const checkedIn = transcript.find((e) => e.event === 'token-checked-in');
  assert.equal(checkedIn?.actor, 'custodian-1', 'check-in records Alice as the holder');
  assert.equal(checkedIn?.token?.serial, tok('roles-cosign').serial);
  assert.deepEqual(
    privateKeys(hsm, 'roles-cosign').map((k) => k.label),
    ['cosign-signing'],
  );
});

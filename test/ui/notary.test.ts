/**
 * Issue 11 proof, Notary v1 in the app, against Debian's notary-server and notary client on loopback
 * (test/helpers/notary-server.ts): two custodians make their root certificates on their tokens in the
 * app; the release manager makes the repository in the app (root 2-of-2); the custodians sign root
 * on two copies in parallel and the copies are merged; targets and snapshot are signed with the
 * online token; `keyceremony notary publish` (the CLI: the app has no network) uploads it and the
 * real `notary list` shows v1. Then a release made in the app — targets v2 with v2 added, signed with
 * the online key (a wrong token is refused first) and a new snapshot — is published, and the same
 * client (which pinned root v1) lists v2. axe-core on every screen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { hasCommand, startNotaryServer, type RunningNotary } from '../helpers/notary-server';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y } from '../helpers/axe';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { pemEncode } from '../../shared/encoding/bytes';
import { notaryCommand } from '../../electron/cli/commands/notary';
import { makeContext, type CliContext } from '../../electron/cli/context';

const missing = ['notary', 'notary-server', 'openssl', 'softhsm2-util'].filter((c) => !hasCommand(c));
const skip = !existsSync('/usr/bin/chromium') ? 'no /usr/bin/chromium' : missing.length ? `needs ${missing.join(', ')} (scripts/system-deps.sh)` : false;
const GUN = 'example.com/keyceremony/app-ui';

let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let server: RunningNotary;
let dir: string;
const fp: Record<string, string> = {};
const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;

async function kc(args: string[]) {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    ...makeContext({ env: { ...process.env, KEYCEREMONY_PIN: '' } }),
    out: (l) => void (out += l + '\n'),
    err: (l) => void (err += l + '\n'),
  };
  try {
    return { code: await notaryCommand.run(args, ctx), out, err };
  } catch (e) {
    return { code: 1, out, err: err + `error[${(e as { code?: string }).code}]: ${(e as Error).message}` };
  }
}

function notaryList(clientDir: string) {
  const r = spawnSync('notary', ['-s', server.url, '-d', clientDir, '--tlscacert', server.ca, 'list', GUN], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'kc-ui-notary-'));
  server = await startNotaryServer(dir);
  hsm = await makeSoftHsm(['custodian-a', 'custodian-b', 'online']);
  mod = Pkcs11Module.open(hsm.module);
  for (const [t, label] of [
    ['custodian-a', 'notary-root'],
    ['custodian-b', 'notary-root'],
    ['online', 'notary-targets'],
    ['online', 'notary-snapshot'],
  ] as const) {
    await mod.withSession({ label: t }, { pin: hsm.pinOf(t), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
      fp[`${t}/${label}`] = key.fingerprint;
      writeFileSync(join(dir, `${label}.pub.pem`), pemEncode('PUBLIC KEY', key.publicKeySpki));
    });
  }
  writeFileSync(join(dir, 'release-1.txt'), 'release one\n');
  writeFileSync(join(dir, 'release-2.txt'), 'release two, made in the app\n');
  // the online machine fetched the server's timestamp key (the only network step, CLI)
  const r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--gun', GUN, '--fetch-keys', join(dir, 'server-keys')]);
  assert.equal(r.code, 0, r.err);
  ui = await startUi({ tokens: () => mod });
});

after(async () => {
  await ui?.close();
  await server?.stop();
  mod?.close();
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openNotary(m: Machine, folder: string) {
  const p = m.page;
  await p.getByRole('navigation').getByRole('button', { name: 'Notary' }).click();
  m.dialogs.folder = folder;
  await p.getByRole('button', { name: 'Choose the repository folder…' }).click();
}

async function makeCert(m: Machine, token: string) {
  const p = m.page;
  await openNotary(m, join(dir, 'scratch'));
  await p.getByLabel('GUN for the certificate').fill(GUN);
  m.reader.insert(tok(token).serial);
  const card = p.getByRole('region', { name: 'Make a root certificate' });
  await card.getByTestId('candidate').waitFor();
  await card.getByLabel(`PIN of token “${token}”`).fill(tok(token).pin);
  await card.getByRole('button', { name: 'Make the certificate on my token' }).click();
  await card.getByTestId('notary-cert').waitFor();
  await card.getByRole('button', { name: 'Save notary-root.crt' }).click();
  await card.getByTestId('saved').waitFor();
  return join(m.saveDir, 'notary-root.crt');
}

async function signRole(m: Machine, role: string, token: string, pin = tok(token).pin) {
  const p = m.page;
  await p.getByLabel('Sign a role with my token').check();
  const card = p.getByRole('region', { name: 'Sign a role' });
  await card.getByLabel('Role to sign').selectOption(role);
  m.reader.insert(tok(token).serial);
  await card.locator(`[data-testid="picker-token"][data-serial="${tok(token).serial}"]`).waitFor();
  await card.getByTestId('candidate').waitFor();
  await card.getByLabel(`PIN of token “${token}”`).fill(pin);
  await card.getByRole('button', { name: `Sign ${role}` }).click();
  await card.getByTestId('notary-signed').waitFor();
  return (await card.getByTestId('notary-signed').innerText()).trim();
}

test(
  'Notary in the app: root certificates, a new GUN, root signed in parallel and merged, a release; notary-server serves it and the notary client lists it',
  { skip, timeout: 300_000 },
  async () => {
    const t0 = Date.now();
    mkdirSync(join(dir, 'scratch'));
    const a = await ui.machine({ name: 'notary-custodian-a' });
    const b = await ui.machine({ name: 'notary-custodian-b' });
    const rm = await ui.machine({ name: 'notary-release-manager' });

    // 1. each custodian makes a root certificate (CN = GUN) on their token
    const certA = await makeCert(a, 'custodian-a');
    await expectNoSeriousA11y(a.page, 'Notary: certificate made');
    const certB = await makeCert(b, 'custodian-b');
    const subj = spawnSync('openssl', ['x509', '-in', certA, '-noout', '-subject'], { encoding: 'utf8' });
    assert.match(subj.stdout, new RegExp(`CN ?= ?${GUN}`));

    // 2. the release manager makes the repository (root 2 of 2, client-held snapshot, target v1)
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const p = rm.page;
    await openNotary(rm, repo);
    await p.getByTestId('notary-empty').waitFor();
    await p.getByLabel('GUN (the repository name clients use, e.g. registry.example.com/team/app)').fill(GUN);
    for (const c of [certA, certB]) {
      rm.dialogs.open.push(c);
      await p.getByRole('button', { name: 'Add a root certificate…' }).click();
    }
    await p.getByRole('list', { name: 'Root certificates' }).getByRole('listitem').nth(1).waitFor();
    await p.getByLabel('Root threshold').fill('2');
    for (const [role, file] of [
      ['targets', 'notary-targets.pub.pem'],
      ['snapshot', 'notary-snapshot.pub.pem'],
      ['timestamp', join('server-keys', 'timestamp.key')],
    ] as const) {
      rm.dialogs.open.push(join(dir, file));
      await p.getByRole('button', { name: `Choose the ${role} key file…` }).click();
      await p.getByText(`${role} key: ${file.split('/').pop()}`).waitFor();
    }
    rm.dialogs.open.push(join(dir, 'release-1.txt'));
    await p.getByRole('button', { name: 'Add a target file…' }).click();
    await p.getByLabel('Target name for release-1.txt (12 bytes)').fill('v1');
    await expectNoSeriousA11y(p, 'Notary: new repository');
    await p.getByRole('button', { name: 'Make the repository' }).click();
    await p.getByTestId('notary-repo').waitFor();
    assert.equal(
      await p.locator('[data-testid="notary-role"][data-role="root"] [data-testid="notary-status"]').innerText(),
      'root v1: signed by 0 of 2 required root keys',
    );

    // 3. root signed in parallel: A on the folder, B on a copy; then merged
    const copyB = join(dir, 'repo-copy-b');
    cpSync(repo, copyB, { recursive: true });
    await openNotary(a, repo);
    assert.match(await signRole(a, 'root', 'custodian-a'), /root v1: signed by 1 of 2 required root keys/);
    await openNotary(b, copyB);
    await signRole(b, 'root', 'custodian-b');
    await p.getByLabel('Merge signatures made on another copy of this folder').check();
    rm.dialogs.folder = copyB;
    await p.getByRole('button', { name: 'Choose the other copy…' }).click();
    await p.getByTestId('notary-merged').waitFor();
    assert.match(await p.getByTestId('notary-merged').innerText(), /root\.json: \+1 signature/);
    await p.locator('[data-testid="notary-role"][data-role="root"][data-complete="true"]').waitFor();

    // names of the key holders (kept beside the metadata, never published)
    await p.getByLabel('Name the key holders').check();
    for (const [k, name] of [
      ['custodian-a/notary-root', 'alice'],
      ['custodian-b/notary-root', 'bob'],
      ['online/notary-targets', 'release manager (online token)'],
      ['online/notary-snapshot', 'release manager (online token)'],
    ] as const) {
      await p.getByLabel(new RegExp(`^Holder of key [0-9a-f]{12} \\(${fp[k]!.slice(0, 16)}…\\)`)).fill(name);
    }
    await p.getByRole('button', { name: 'Save the names' }).click();
    await p.locator('[data-testid="signer"][data-name="alice"]').first().waitFor();
    assert.match(
      await p.locator('[data-testid="notary-role"][data-role="root"] [data-testid="rule-line"]').innerText(),
      /^✔ root v1: 2 of 2 root keys — (alice and bob|bob and alice) signed; complete$/,
    );

    // 4. targets and snapshot with the online token, then published by the CLI; the client lists v1
    await signRole(rm, 'targets', 'online');
    await signRole(rm, 'snapshot', 'online');
    let r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
    assert.equal(r.code, 0, r.err + server.log().slice(-1500));
    const client = join(dir, 'client');
    let l = notaryList(client);
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, new RegExp(`v1\\s+${createHash('sha256').update('release one\n').digest('hex')}\\s+12\\s+targets`));

    // 5. a release in the app: targets v2 adds v2; the custodian's token is refused for targets; online signs
    await p.getByLabel('Add or remove targets (a release), or renew their expiry').check();
    rm.dialogs.open.push(join(dir, 'release-2.txt'));
    await p.getByRole('region', { name: 'Targets' }).getByRole('button', { name: 'Add a target file…' }).click();
    await p.getByLabel('Target name for release-2.txt (29 bytes)').fill('v2');
    await p.getByRole('button', { name: 'Change targets' }).click();
    await p.getByTestId('notary-changed').waitFor();
    await p.locator('[data-testid="notary-role"][data-role="targets"][data-complete="false"]').waitFor();
    await p.getByLabel('Sign a role with my token').check();
    const card = p.getByRole('region', { name: 'Sign a role' });
    await card.getByLabel('Role to sign').selectOption('targets');
    assert.match(await card.getByTestId('diff').innerText(), /\+ target v2/);
    rm.reader.insert(tok('custodian-a').serial);
    await card.getByTestId('no-accepted-key').waitFor();
    await expectNoSeriousA11y(p, 'Notary: sign targets, wrong token');
    rm.reader.insert(tok('online').serial);
    await card.getByTestId('candidate').waitFor();
    assert.equal(
      await p.locator('[data-testid="notary-role"][data-role="targets"] [data-testid="rule-line"]').innerText(),
      'targets v2: 0 of 1 targets keys — nobody signed yet; release manager (online token) still needed',
    );
    await screenshot(p, 'notary-sign', card.getByTestId('key-picker'));
    await card.getByLabel('PIN of token “online”').fill(tok('online').pin);
    await card.getByRole('button', { name: 'Sign targets' }).click();
    await card.getByTestId('notary-signed').waitFor();
    assert.match(await card.getByTestId('notary-signed').innerText(), /targets v2: signed by 1 of 1 required targets keys \(complete\)/);
    assert.match(await signRole(rm, 'snapshot', 'online'), /snapshot v2: signed by 1 of 1/);
    await expectNoSeriousA11y(p, 'Notary: signed');
    r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
    assert.equal(r.code, 0, r.err + server.log().slice(-1500));
    assert.match(r.out, /published .*: targets, snapshot/);
    l = notaryList(client);
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, new RegExp(`v2\\s+${createHash('sha256').update('release two, made in the app\n').digest('hex')}\\s+29\\s+targets`));
    assert.match(l.out, /v1\s/);
    console.log(`journey time: ${Date.now() - t0} ms`);
  },
);

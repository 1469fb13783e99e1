/**
 * Notary delegations in the app (`keyceremony notary delegation add|remove` on the Notary screen,
 * the same core call, stageDelegation): a repository made with the CLI from openssl keys; in the app
 * a delegation targets/qa is added with two path prefixes typed in a list and a key file, and the
 * staged targets.json ON DISK lists the role, the paths and the key id; removing its only key is
 * refused (error code and sentence, file unchanged); a path is removed; "every path" on another
 * role; that whole delegation removed only after the confirmation. axe-core on the screen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y } from '../helpers/axe';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { kcInProcess } from '../helpers/kc-inprocess';
import { notaryKeyFromText, notaryKeyId } from '../../shared/notary';

const skip = !existsSync('/usr/bin/chromium') ? 'no /usr/bin/chromium' : spawnSync('openssl', ['version']).status !== 0 ? 'needs openssl' : false;
const GUN = 'example.com/keyceremony/delegations';

let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let dir: string;

function openssl(args: string[]) {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** An EC P-256 key pair made by openssl; returns the public key file. */
function ecKey(name: string): string {
  const priv = join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', priv]);
  openssl(['pkey', '-in', priv, '-pubout', '-out', join(dir, `${name}.pub.pem`)]);
  return join(dir, `${name}.pub.pem`);
}

const targetsOnDisk = (repo: string) =>
  JSON.parse(readFileSync(join(repo, 'targets.json'), 'utf8')) as {
    signed: { delegations: { keys: Record<string, unknown>; roles: { name: string; keyids: string[]; paths: string[]; threshold: number }[] } };
  };

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'kc-ui-notary-deleg-'));
  hsm = await makeSoftHsm(['spare']);
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openNotary(m: Machine, folder: string) {
  await m.page.getByRole('navigation').getByRole('button', { name: 'Notary' }).click();
  m.dialogs.folder = folder;
  await m.page.getByRole('button', { name: 'Choose the repository folder…' }).click();
  await m.page.getByTestId('notary-repo').waitFor();
}

test(
  'Notary delegations in the app: paths listed and edited, a key file added, refusals shown with their code, a whole delegation removed after confirming',
  { skip, timeout: 180_000 },
  async () => {
    // a repository made with the CLI (root certificate and online keys from openssl)
    const rootKey = join(dir, 'root.key');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', rootKey]);
    openssl(['req', '-x509', '-key', rootKey, '-subj', `/CN=${GUN.replaceAll('/', '\\/')}`, '-days', '365', '-out', join(dir, 'root.crt')]);
    const [tk, sk, ts, qa] = ['targets', 'snapshot', 'timestamp', 'qa-signer'].map(ecKey);
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const r = await kcInProcess([
      'notary',
      'init',
      '--gun',
      GUN,
      '--dir',
      repo,
      '--root-cert',
      join(dir, 'root.crt'),
      '--targets-key',
      tk!,
      '--snapshot-key',
      sk!,
      '--timestamp-key',
      ts!,
    ]);
    assert.equal(r.code, 0, r.err);
    const qaId = await notaryKeyId(notaryKeyFromText(readFileSync(qa!, 'utf8'), 'qa key'));

    const m = await ui.machine({ name: 'notary-delegations' });
    const p = m.page;
    await openNotary(m, repo);
    await p.getByLabel('Change a delegation: its keys and paths (as notary delegation add|remove)').check();
    const card = p.getByRole('region', { name: 'Delegations' });

    // 1. add targets/qa with a key file and two path prefixes typed into the list
    await card.getByLabel('Delegated role (targets/NAME)').fill('targets/qa');
    m.dialogs.open.push(qa!);
    await card.getByRole('button', { name: 'Add a key file…' }).click();
    await card.getByRole('list', { name: 'Keys to add (public key or certificate)' }).getByRole('listitem').waitFor();
    for (const [i, path] of ['qa/', 'beta/'].entries()) {
      await card.getByRole('button', { name: 'Add a path prefix' }).click();
      await card.getByRole('textbox', { name: `Path prefix ${i + 1}`, exact: true }).fill(path);
    }
    await expectNoSeriousA11y(p, 'Notary: add a delegation');
    await card.getByRole('button', { name: 'Add to targets/qa' }).click();
    await card.getByTestId('notary-delegation-done').waitFor();
    assert.match(
      await card.getByTestId('notary-delegation-done').innerText(),
      new RegExp(`^new delegation targets/qa with keys ${qaId.slice(0, 12)} and paths \\["qa/", "beta/"\\] staged in targets v1`),
    );
    let t = targetsOnDisk(repo).signed.delegations;
    let qaRole = t.roles.find((x) => x.name === 'targets/qa');
    assert.deepEqual(qaRole, { name: 'targets/qa', keyids: [qaId], threshold: 1, paths: ['qa/', 'beta/'] });
    assert.ok(t.keys[qaId], 'the key is listed under delegations.keys by its id');
    assert.match(await card.locator('[data-testid="delegation-row"][data-role="targets/qa"]').innerText(), /qa\/, beta\//);
    // the delegating targets file is staged and waits for its signature
    await p.locator('[data-testid="notary-role"][data-role="targets"][data-complete="false"]').waitFor();

    // 2. refused: removing the only key of targets/qa (error code + sentence; the file on disk unchanged)
    const before = readFileSync(join(repo, 'targets.json'));
    await card.getByLabel('Remove keys or paths, or the whole delegation').check();
    await card.getByLabel('Delegated role (targets/NAME)').fill('targets/qa');
    await card.getByLabel(`Key ${qaId.slice(0, 12)} (`, { exact: false }).check();
    await card.getByRole('button', { name: 'Remove from targets/qa' }).click();
    const err = card.getByTestId('error');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'INVALID_INPUT');
    assert.match(await err.innerText(), /Nothing was changed\. that would leave targets\/qa without keys; remove the whole delegation instead/);
    assert.match(await err.innerText(), /Code: INVALID_INPUT/);
    assert.deepEqual(readFileSync(join(repo, 'targets.json')), before);
    await expectNoSeriousA11y(p, 'Notary: delegation refusal');

    // 3. a path removed (beta/), the key kept
    await card.getByLabel(`Key ${qaId.slice(0, 12)} (`, { exact: false }).uncheck();
    await card.getByRole('button', { name: 'Add a path prefix' }).click();
    await card.getByRole('textbox', { name: 'Path prefix 1', exact: true }).fill('beta/');
    await card.getByRole('button', { name: 'Remove from targets/qa' }).click();
    await card.getByTestId('notary-delegation-done').waitFor();
    qaRole = targetsOnDisk(repo).signed.delegations.roles.find((x) => x.name === 'targets/qa');
    assert.deepEqual(qaRole?.paths, ['qa/']);
    assert.deepEqual(qaRole?.keyids, [qaId]);

    // 4. every path for targets/releases (a new role with the same key)
    await card.getByLabel('Add keys or paths (a new role is made)').check();
    await card.getByLabel('Delegated role (targets/NAME)').fill('targets/releases');
    m.dialogs.open.push(qa!);
    await card.getByRole('button', { name: 'Add a key file…' }).click();
    await card.getByRole('list', { name: 'Keys to add (public key or certificate)' }).getByRole('listitem').waitFor();
    await card.getByLabel('All paths (the role may sign every target, path "")').check();
    await card.getByRole('button', { name: 'Add to targets/releases' }).click();
    await card.locator('[data-testid="delegation-row"][data-role="targets/releases"]').waitFor();
    t = targetsOnDisk(repo).signed.delegations;
    assert.deepEqual(t.roles.find((x) => x.name === 'targets/releases')?.paths, ['']);

    // 5. the whole delegation targets/releases: asked first, kept on "Keep it", removed on "Yes"
    await card.getByLabel('Remove keys or paths, or the whole delegation').check();
    await card.getByLabel('Delegated role (targets/NAME)').fill('targets/releases');
    await card.getByRole('button', { name: 'Remove the whole delegation targets/releases…' }).click();
    const confirm = card.getByRole('alertdialog', { name: 'Confirm removing the delegation' });
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /This removes targets\/releases with its keys and paths \(1 keys, 1 paths\)/);
    await expectNoSeriousA11y(p, 'Notary: confirm removing a delegation');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    assert.ok(
      targetsOnDisk(repo).signed.delegations.roles.some((x) => x.name === 'targets/releases'),
      'kept',
    );
    await card.getByRole('button', { name: 'Remove the whole delegation targets/releases…' }).click();
    await confirm.getByRole('button', { name: 'Yes, remove targets/releases' }).click();
    await card.getByTestId('notary-delegation-done').waitFor();
    assert.match(await card.getByTestId('notary-delegation-done').innerText(), /^delegation targets\/releases removed \(with its keys and paths\)/);
    t = targetsOnDisk(repo).signed.delegations;
    assert.deepEqual(
      t.roles.map((x) => x.name),
      ['targets/qa'],
    );
  },
);

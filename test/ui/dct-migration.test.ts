/**
 * Issue 15 item 3 in the app: the "Leave DCT" screen in Chromium over the real handler table. The
 * notary 0.3 fixture is verified and its three tags become a 2-of-2 cosign request by digest (two key
 * files, the signers named on screen) and a TUF targets request on a repository made here (each tag's
 * length and hashes); both saved and read back. An evaluation time outside the root certificate:
 * nothing is made, the verification failure is shown. The CLI's --gun (another GUN refused, naming
 * it), --trusted-root (a TUF root refused; the fixture's own root.json accepted) and --expires-in
 * (the TUF request's targets expiry) on screen. axe-core; screenshot dct-migration.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot, type Machine } from '../helpers/ui-harness';
import { soloMachine } from '../helpers/ui-solo';
import { expectNoSeriousA11y } from '../helpers/axe';
import { FIXTURES } from '../helpers/tuf-fs';
import { SoftwareSigner } from '../helpers/software-signer';
import { writeSoftwareRepository } from '../helpers/tuf-software-repo';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
const NOTARY03 = join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');
let m: Machine;
let close: (() => Promise<void>) | undefined;
let work: string;
let tufMd: string;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'kc-ui-dct-'));
  for (const n of ['alice', 'bob'])
    writeFileSync(join(work, `${n}.pub`), generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
  tufMd = join(work, 'tuf', 'metadata');
  const root = SoftwareSigner.generate('ecdsa-p256', undefined, 'root');
  await writeSoftwareRepository(tufMd, { now: Date.now(), roots: [root], threshold: 1, online: SoftwareSigner.generate('ecdsa-p256', undefined, 'online') });
  ({ m, close } = await soloMachine('release-manager'));
});

after(async () => {
  await close?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  'leave DCT: verified, every tag by digest into a cosign 2-of-2 request and a TUF targets request; a failed verification makes nothing',
  { skip, timeout: 120_000 },
  async () => {
    const p = m.page;
    await p.getByRole('navigation').getByRole('button', { name: 'Leave DCT' }).click();
    m.dialogs.folder = NOTARY03;
    await p.getByRole('button', { name: 'Choose the Notary repository folder…' }).click();
    await p.getByLabel('Verify at').fill('2016-06-01T00:00:00Z');
    for (const n of ['alice', 'bob']) {
      m.dialogs.open.push(join(work, `${n}.pub`));
      await p.getByRole('button', { name: 'Add a key file…' }).click();
      await p.getByRole('list', { name: 'Signers’ public keys' }).getByText(`${n}.pub`).waitFor();
    }
    await p.getByLabel('Name of the signer holding bob.pub').fill('Bob B');
    await p.getByRole('button', { name: 'Verify and make the migration request' }).click();
    const err = p.getByTestId('error');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'VERIFICATION_FAILED');
    assert.equal(await p.getByTestId('migration').count(), 0);

    await p.getByLabel('Verify at').fill('2017-01-01T00:00:00Z');
    // --gun: another GUN than the root certificate's CN is refused, naming both
    await p.getByLabel("GUN (blank: the root certificates' CN)").fill('docker.com/notary0.3/other');
    await p.getByRole('button', { name: 'Verify and make the migration request' }).click();
    await p
      .getByTestId('error')
      .getByText(/expected the GUN "docker\.com\/notary0\.3\/other"/)
      .waitFor();
    assert.equal(await p.getByTestId('error').getAttribute('data-code'), 'VERIFICATION_FAILED');
    assert.equal(await p.getByTestId('migration').count(), 0);
    await p.getByLabel("GUN (blank: the root certificates' CN)").fill('docker.com/notary0.3/tst');
    // --trusted-root: a TUF root is not the Notary root (refused); the fixture's root.json is trusted
    m.dialogs.open.push(join(tufMd, '1.root.json'));
    await p.getByRole('button', { name: 'Open the trusted root (optional)…' }).click();
    await p.getByTestId('migrate-trusted-root').getByText('Trusted root: 1.root.json').waitFor();
    await p.getByRole('button', { name: 'Verify and make the migration request' }).click();
    await p
      .getByTestId('error')
      .getByText(/trusted root: not Notary metadata/)
      .waitFor();
    assert.equal(await p.getByTestId('migration').count(), 0);
    m.dialogs.open.push(join(NOTARY03, 'root.json'));
    await p.getByRole('button', { name: 'Open the trusted root (optional)…' }).click();
    await p.getByTestId('migrate-trusted-root').getByText('Trusted root: root.json').waitFor();
    await p.getByRole('button', { name: 'Verify and make the migration request' }).click();
    const res = p.getByTestId('migration');
    await res.waitFor();
    assert.equal(await res.getAttribute('data-migrated'), '3');
    assert.equal(await res.getAttribute('data-skipped'), '0');
    await expectNoSeriousA11y(p, 'Leave DCT: cosign request');
    await screenshot(p, 'dct-migration', res);
    await p.getByRole('button', { name: 'Save docker.com_notary0.3_tst.cosign-request.json' }).click();
    await p.getByTestId('saved').waitFor();
    const req = JSON.parse(readFileSync(join(m.saveDir, 'docker.com_notary0.3_tst.cosign-request.json'), 'utf8')) as {
      images: string[];
      m: number;
      signers: { name: string }[];
    };
    assert.equal(req.m, 2);
    assert.deepEqual(
      req.signers.map((s) => s.name),
      ['alice', 'Bob B'],
    );
    assert.equal(req.images.length, 2);
    assert.ok(req.images.every((i) => /^docker\.com\/notary0\.3\/tst@sha256:[0-9a-f]{64}$/.test(i)));

    await p.getByLabel('TUF: a targets request with each tag’s length and hashes').check();
    m.dialogs.folder = tufMd;
    await p.getByRole('button', { name: 'Choose the TUF metadata folder…' }).click();
    await p.getByText(/^TUF repository: /).waitFor();
    await p.getByLabel('Targets expire in (days; blank: keep the targets expiry)').fill('30');
    const made = Date.now();
    await p.getByRole('button', { name: 'Verify and make the migration request' }).click();
    await p.getByRole('button', { name: 'Save 2.targets.request.json' }).click();
    await p
      .getByTestId('saved')
      .getByText(/2\.targets\.request\.json/)
      .waitFor();
    const t = JSON.parse(readFileSync(join(m.saveDir, '2.targets.request.json'), 'utf8')) as {
      signed: { version: number; expires: string; targets: Record<string, { length: number; hashes: { sha256: string } }> };
    };
    assert.equal(t.signed.version, 2);
    // --expires-in 30: the targets expire 30 days after the request was made
    const days = (Date.parse(t.signed.expires) - made) / 86_400_000;
    assert.ok(days > 29 && days < 31, `targets expire in ${days} days`);
    assert.deepEqual(Object.keys(t.signed.targets).sort(), ['LICENSE', 'change', 'hello']);
    await expectNoSeriousA11y(p, 'Leave DCT: TUF request');
  },
);

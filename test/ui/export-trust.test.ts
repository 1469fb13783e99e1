/**
 * Issue 15 item 2 in the app: the "Export trust anchors" screen in Chromium over the real handler
 * table. Sigstore's root-signing (fixtures): root v15 with its SHA-256 shown before anything is
 * written, then written into a chosen folder byte for byte as root_history/15.root.json, a second
 * write changes nothing; a folder whose root.json holds other contents is refused (CONFLICT) with
 * nothing written; the notary 0.3 GUN gives config.json with trust_pinning. axe-core; screenshot
 * export-trust.png. (tuf-js and the notary client using exported anchors: test/peers.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot, type Machine } from '../helpers/ui-harness';
import { soloMachine } from '../helpers/ui-solo';
import { expectNoSeriousA11y } from '../helpers/axe';
import { FIXTURES } from '../helpers/tuf-fs';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
const SIGSTORE = join(FIXTURES, 'tuf', 'sigstore-root-signing', 'metadata');
const NOTARY03 = join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');
let m: Machine;
let close: (() => Promise<void>) | undefined;
let work: string;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'kc-ui-trust-'));
  ({ m, close } = await soloMachine('release-manager'));
});

after(async () => {
  await close?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  'export trust anchors: shown, then written byte for byte; a re-write changes nothing; other contents refused; Notary pinning',
  { skip, timeout: 120_000 },
  async () => {
    const p = m.page;
    await p.getByRole('navigation').getByRole('button', { name: 'Trust anchors' }).click();
    m.dialogs.folder = SIGSTORE;
    await p.getByRole('button', { name: 'Choose a TUF metadata or Notary repository folder…' }).click();
    const anchors = p.getByTestId('trust-anchors');
    await anchors.waitFor();
    assert.equal(await anchors.getAttribute('data-kind'), 'tuf');
    const want = readFileSync(join(SIGSTORE, 'root_history', '15.root.json'));
    const sha = createHash('sha256').update(want).digest('hex');
    const summary = await p.getByTestId('trust-summary').textContent();
    assert.match(summary ?? '', /root v15, expires 2026-11-20T13:58:18Z/);
    assert.ok(summary?.includes(`sha256 ${sha}`), summary ?? '');
    await expectNoSeriousA11y(p, 'Export trust anchors: TUF');

    const out = join(work, 'usb');
    mkdirSync(out);
    m.dialogs.folder = out;
    await p.getByRole('button', { name: 'Write the trust anchors into a folder…' }).click();
    await p.getByTestId('trust-written').waitFor();
    assert.deepEqual(readFileSync(join(out, 'root.json')), want);
    assert.match(readFileSync(join(out, 'CLIENTS.md'), 'utf8'), /## tuf-js/);
    await screenshot(p, 'export-trust', p.getByTestId('trust-summary'));
    await p.getByText('How clients use them (CLIENTS.md)').click();
    await p
      .getByTestId('trust-clients')
      .getByText(/## python-tuf/)
      .waitFor();
    await p.getByRole('button', { name: 'Write the trust anchors into a folder…' }).click();
    await p
      .getByTestId('trust-written')
      .getByText(/nothing new; already there, unchanged: root\.json, CLIENTS\.md/)
      .waitFor();

    const taken = join(work, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'root.json'), '{}');
    m.dialogs.folder = taken;
    await p.getByRole('button', { name: 'Write the trust anchors into a folder…' }).click();
    const err = p.getByTestId('error');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'CONFLICT');
    assert.deepEqual(readdirSync(taken), ['root.json']);

    m.dialogs.folder = NOTARY03;
    await p.getByRole('button', { name: 'Choose a TUF metadata or Notary repository folder…' }).click();
    await p.locator('[data-testid="trust-anchors"][data-kind="notary"]').waitFor();
    const nout = join(work, 'notary');
    mkdirSync(nout);
    m.dialogs.folder = nout;
    await p.getByRole('button', { name: 'Write the trust anchors into a folder…' }).click();
    await p.getByTestId('trust-written').waitFor();
    const config = JSON.parse(readFileSync(join(nout, 'config.json'), 'utf8'));
    assert.deepEqual(Object.keys(config.trust_pinning.certs), ['docker.com/notary0.3/tst']);
    await expectNoSeriousA11y(p, 'Export trust anchors: Notary');
  },
);

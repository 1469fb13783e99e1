/**
 * Issue 15 item 1 in the app: the expiry dashboard in Chromium over the real handler table. A TUF
 * repository made here (its timestamp expired, its snapshot due, hash bins grouped) shows every role
 * with its state in colour AND words; "Make the renewal request" makes the same request as the TUF
 * release screen's renew flow (saved, then read back: targets v2 with the new expiry); the calendar is
 * written by main and read back with ical.js; a Notary GUN shows its root certificate as a deadline and
 * no button for the server's timestamp. axe-core on each state; screenshot expiry-dashboard.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { screenshot, type Machine } from '../helpers/ui-harness';
import { soloMachine } from '../helpers/ui-solo';
import { expectNoSeriousA11y } from '../helpers/axe';
import { SoftwareSigner } from '../helpers/software-signer';
import { FIXTURES } from '../helpers/tuf-fs';
import { expiresIn, hashBinTargets, targetFileInfo } from '../../electron/core/tuf/repo';
import { writeSoftwareRepository } from '../helpers/tuf-software-repo';
import { signerKey } from '../../electron/core/tuf/sign';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
const NOTARY03 = join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');
const MADE = Date.parse('2026-01-01T00:00:00Z');
/** Evaluated 4 days later: timestamp (1 day) expired, snapshot (7 days, window 3) due, the rest ok. */
const AT = '2026-01-05T00:00:00Z';
let m: Machine;
let close: (() => Promise<void>) | undefined;
let work: string;
let md: string;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'kc-ui-expiry-'));
  md = join(work, 'metadata');
  const roots = [0, 1, 2].map((i) => SoftwareSigner.generate('ecdsa-p256', undefined, `root-${i}`));
  const online = SoftwareSigner.generate('ecdsa-p256', undefined, 'online');
  const binned = await hashBinTargets({
    targets: { 'a.txt': await targetFileInfo(new Uint8Array([1])) },
    binKeys: [(await signerKey(online)).key],
    threshold: 1,
    bitLength: 1,
    expires: expiresIn(MADE, 90),
  });
  await writeSoftwareRepository(md, { now: MADE, roots, threshold: 2, online, targets: binned.top, delegated: binned.bins });
  ({ m, close } = await soloMachine('administrator'));
});

after(async () => {
  await close?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function rows(p: Machine['page']) {
  return p
    .getByTestId('expiry-row')
    .evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-role'), e.getAttribute('data-state'), e.querySelector('td')?.textContent, e.querySelector('td')?.className]),
    );
}

test(
  'expiry dashboard: states in colour and words, the renewal request through the renew flow, the calendar saved by main',
  { skip, timeout: 180_000 },
  async () => {
    const p = m.page;
    await p.getByRole('navigation').getByRole('button', { name: 'Expiry' }).click();
    await p.getByLabel('Evaluate at').fill(AT);
    m.dialogs.folder = md;
    await p.getByRole('button', { name: 'Choose a TUF metadata or Notary repository folder…' }).click();
    await p.getByTestId('expiry-report').waitFor();
    const r = await rows(p);
    const byRole = Object.fromEntries(r.map(([role, state, text, cls]) => [role, { state, text, cls }]));
    assert.deepEqual(Object.keys(byRole).sort(), ['bin-*', 'root', 'snapshot', 'targets', 'timestamp'].sort(), JSON.stringify(r));
    assert.deepEqual(byRole.timestamp, { state: 'expired', text: 'EXPIRED', cls: 'refuse' });
    assert.deepEqual(byRole.snapshot, { state: 'renew-soon', text: 'RENEW SOON', cls: 'warn' });
    assert.deepEqual(byRole.root, { state: 'ok', text: 'OK', cls: 'ok' });
    assert.equal(await p.getByTestId('expiry-report').getAttribute('data-expired'), '1');
    assert.match((await p.getByTestId('expiry-summary').textContent()) ?? '', /1 expired, 1 to renew soon, 3 ok/);
    await p.getByRole('cell', { name: /bin-\* \(2 hash bins/ }).waitFor();
    await expectNoSeriousA11y(p, 'Expiry dashboard');
    await screenshot(p, 'expiry-dashboard', p.getByTestId('expiry-report'));

    // the renewal request for targets, as the TUF release screen's renew flow makes it
    await p.getByRole('button', { name: 'Make the renewal request for targets' }).click();
    const made = p.getByTestId('made-request');
    await made.waitFor();
    assert.equal(await made.getAttribute('data-name'), '2.targets.request.json');
    await made.getByRole('button', { name: 'Save 2.targets.request.json for the custodians' }).click();
    await p.getByTestId('saved').waitFor();
    const req = JSON.parse(readFileSync(join(m.saveDir, '2.targets.request.json'), 'utf8')) as { signed: { _type: string; version: number; expires: string } };
    assert.equal(req.signed._type, 'targets');
    assert.equal(req.signed.version, 2);
    const days = (Date.parse(req.signed.expires) - Date.now()) / 86_400_000;
    assert.ok(days > 89 && days <= 90, `targets renewed for 90 days (got ${days})`);

    // the calendar: main builds and writes it
    await p.getByRole('button', { name: 'Save the renewal deadlines as a calendar (.ics)…' }).click();
    await p.getByTestId('ics-saved').waitFor();
    const ics = readFileSync(join(m.saveDir, 'metadata-renewals.ics'), 'utf8');
    const events = new ICAL.Component(ICAL.parse(ics)).getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    assert.equal(events.length, 5);
    assert.ok(
      events.some((e) => /^EXPIRED: Renew timestamp v1 /.test(e.summary)),
      events.map((e) => e.summary).join(' | '),
    );
    await expectNoSeriousA11y(p, 'Expiry dashboard: request made, calendar saved');
  },
);

test(
  'a Notary GUN: the root certificate is a deadline; the server-held timestamp has no button; targets renewal staged from the row; a folder without a root is an error',
  { skip, timeout: 120_000 },
  async () => {
    const p = m.page;
    await p.getByLabel('Evaluate at').fill('2026-07-01T00:00:00Z');
    m.dialogs.folder = NOTARY03;
    await p.getByRole('button', { name: 'Choose a TUF metadata or Notary repository folder…' }).click();
    await p.getByRole('heading', { name: /Notary docker\.com\/notary0\.3\/tst/ }).waitFor();
    const r = await rows(p);
    const cert = r.find(([role]) => role?.startsWith('root certificate'));
    assert.equal(cert?.[1], 'renew-soon');
    const ts = p.locator('[data-testid="expiry-row"][data-role="timestamp"]');
    assert.equal(await ts.getByRole('button').count(), 0);
    await ts.getByText(/notary-server holds the timestamp key/).waitFor();
    await expectNoSeriousA11y(p, 'Expiry dashboard: Notary');

    // The targets row stages its renewal in the folder (a copy: the fixture stays as it is), as
    // `keyceremony notary targets --days 1095` does: the new expiry, unsigned until the Notary screen signs it
    const copy = join(work, 'notary-copy');
    cpSync(NOTARY03, copy, { recursive: true });
    const before = JSON.parse(readFileSync(join(copy, 'targets.json'), 'utf8')) as { signed: { version: number; expires: string } };
    m.dialogs.folder = copy;
    await p.getByRole('button', { name: 'Choose a TUF metadata or Notary repository folder…' }).click();
    await p.getByRole('heading', { name: /Notary docker\.com\/notary0\.3\/tst/ }).waitFor();
    const targetsRow = p.locator('[data-testid="expiry-row"][data-role="targets"]');
    await targetsRow.getByRole('button', { name: 'Stage the renewal of targets (1095 days)' }).click();
    const staged = p.getByTestId('notary-staged');
    await staged.waitFor();
    assert.match((await staged.textContent()) ?? '', /targets .*Sign it on the Notary screen/);
    const after = JSON.parse(readFileSync(join(copy, 'targets.json'), 'utf8')) as { signed: { version: number; expires: string }; signatures: unknown[] };
    const days = (Date.parse(after.signed.expires) - Date.now()) / 86_400_000;
    assert.ok(days > 1093 && days < 1096, `staged targets expire in ${days.toFixed(1)} days (${after.signed.expires})`);
    assert.equal(after.signed.version, before.signed.version + 1);
    assert.deepEqual(after.signatures, [], 'staged, not signed');
    assert.equal(await p.locator('[data-testid="expiry-row"][data-role="timestamp"]').getByRole('button').count(), 0);
    await expectNoSeriousA11y(p, 'Expiry dashboard: Notary renewal staged');

    const empty = join(work, 'empty');
    mkdirSync(empty);
    m.dialogs.folder = empty;
    await p.getByRole('button', { name: 'Choose a TUF metadata or Notary repository folder…' }).click();
    const err = p.getByTestId('error');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'NOT_FOUND');
    assert.equal(await p.getByTestId('expiry-report').count(), 0);
  },
);

/**
 * Issue 18 item 4: a tuf-on-ci signing event signed in place in the app.
 *
 * The repository is what tuf-on-ci leaves on a signing-event branch (python-tuf's JSON layout, every
 * key naming its keyholder, a root rotation — carol leaves, dave joins — with a placeholder "sig": ""
 * for every old and new root key). Two custodians, each at their own machine with their own SoftHSM2
 * token, open the metadata folder in the app, see the status by keyholder (invited, signed, still
 * needed), read the diff (naming the owners) and sign root v2 in place in turn. The file's bytes
 * outside the signatures never change (compared), it stays exactly what python-tuf writes, and tuf-js
 * then accepts root v2 from root v1 over loopback. axe-core runs on every state.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y } from '../helpers/axe';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { ownedKey, outsideSignatures, placeholders, publishLikeTufOnCi, pythonDumps, tufJsClient, withSignatures, writeTufOnCi } from '../helpers/tuf-on-ci';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import type { Signer } from '../../electron/core/signer';
import { signerKey } from '../../electron/core/tuf/sign';
import { expiresIn, newRoot, newSnapshot, newTargets, newTimestamp, nextRoot } from '../../electron/core/tuf/repo';
import { utf8 } from '../../shared/encoding/bytes';
import { computeKeyId } from '../../shared/tuf/keys';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'online'] as const;
type Who = (typeof PEOPLE)[number];
const NOW = Date.now();
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let work: string;
let md: string;
let server: StaticServer;
let start: string;

const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;

async function withSigners<T>(fn: (s: Record<Who, Signer>) => Promise<T>): Promise<T> {
  const open = async (i: number, acc: Partial<Record<Who, Signer>>): Promise<T> => {
    if (i === PEOPLE.length) return fn(acc as Record<Who, Signer>);
    const who = PEOPLE[i]!;
    return mod.withSession({ label: who }, { pin: hsm.pinOf(who), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'tuf-key', profile: 'non-extractable' });
      return open(i + 1, { ...acc, [who]: s.signer(key) });
    });
  };
  return open(0, {});
}

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm([...PEOPLE]);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(path.join(tmpdir(), 'kc-ui-event-'));
  md = path.join(work, 'repo', 'metadata');
  mkdirSync(md, { recursive: true });
  await withSigners(async (s) => {
    const owned = async (who: Who) => ownedKey((await signerKey(s[who])).key, `@${who}`);
    const k = { alice: await owned('alice'), bob: await owned('bob'), carol: await owned('carol'), dave: await owned('dave') };
    const online = (await signerKey(s.online)).key;
    const v1 = await newRoot({
      roles: {
        root: { keys: [k.alice.key, k.bob.key, k.carol.key], threshold: 2 },
        targets: { keys: [k.alice.key], threshold: 1 },
        snapshot: { keys: [online], threshold: 1 },
        timestamp: { keys: [online], threshold: 1 },
      },
      expires: expiresIn(NOW, 365),
    });
    Object.assign(v1.unrecognized, { 'x-tuf-on-ci-expiry-period': 365, 'x-tuf-on-ci-signing-period': 60 });
    const toOwned: Record<string, string> = Object.fromEntries(
      await Promise.all((['alice', 'bob', 'carol', 'dave'] as const).map(async (w) => [(await signerKey(s[w])).keyid, k[w].keyid])),
    );
    writeTufOnCi(md, 'root', v1.toJSON(), await withSignatures(v1.toJSON(), placeholders(v1.roles.root.keyids), [s.alice, s.bob], toOwned));
    const targets = newTargets(expiresIn(NOW, 90));
    writeTufOnCi(md, 'targets', targets.toJSON(), await withSignatures(targets.toJSON(), placeholders([k.alice.keyid]), [s.alice], toOwned));
    toOwned[(await signerKey(s.online)).keyid] = await computeKeyId(online);
    const snap = newSnapshot({ targets: 1 }, expiresIn(NOW, 30), 1);
    const snapText = writeTufOnCi(md, 'snapshot', snap.toJSON(), await withSignatures(snap.toJSON(), [], [s.online], toOwned));
    const ts = await newTimestamp(utf8(snapText), 1, expiresIn(NOW, 7), 1);
    writeTufOnCi(md, 'timestamp', ts.toJSON(), await withSignatures(ts.toJSON(), [], [s.online], toOwned));
    // the signing event: carol leaves, dave joins; a placeholder for every old and new root key
    const v2 = await nextRoot(v1, { add: { root: [k.dave.key] }, remove: { root: [k.carol.keyid] }, expires: expiresIn(NOW, 365) });
    writeTufOnCi(md, 'root', v2.toJSON(), placeholders([...v1.roles.root.keyids, ...v2.roles.root.keyids]));
  });
  start = readFileSync(path.join(md, 'root.json'), 'utf8');
  ui = await startUi({ tokens: () => mod });
});

after(async () => {
  await server?.close();
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function openEvent(m: Machine) {
  const p = m.page;
  await p.getByRole('navigation').getByRole('button', { name: 'Signing event', exact: true }).click();
  m.dialogs.folder = md;
  await p.getByRole('button', { name: 'Open the metadata folder…' }).click();
  await p.getByTestId('event').waitFor();
}

const rootCard = (m: Machine) => m.page.locator('[data-testid="event-role"][data-role="root"]');
const ruleLines = async (m: Machine) => (await rootCard(m).getByTestId('rule-line').allInnerTexts()).map((t) => t.replace(/^✔ /, ''));

async function signRoot(m: Machine, who: string) {
  const p = m.page;
  await rootCard(m).getByRole('button', { name: 'Sign root v2…' }).click();
  await p.getByTestId('sign-role').waitFor();
  m.reader.insert(tok(who).serial);
  await p.locator(`[data-testid="picker-token"][data-serial="${tok(who).serial}"]`).waitFor();
  await p.getByTestId('candidate').first().waitFor();
  assert.equal(await p.getByRole('radio', { name: new RegExp(`@${who}`) }).isChecked(), true, 'the only key of theirs the event accepts is preselected');
  await p.getByLabel(`PIN of token “${who}”`).fill(tok(who).pin);
  await p.getByRole('button', { name: 'Sign root v2 in place' }).click();
  await p.getByTestId('signed-now').waitFor();
}

test(
  'two custodians sign a tuf-on-ci root rotation in place in the app; only signature bytes change; tuf-js accepts root v2',
  { skip, timeout: 240_000 },
  async () => {
    // ----- @alice's machine: the status by keyholder, nobody signed yet
    const a = await ui.machine({ name: 'alice-laptop' });
    await a.page.getByRole('navigation').getByRole('button', { name: 'Signing event', exact: true }).click();
    await expectNoSeriousA11y(a.page, 'Signing event (empty)');
    await openEvent(a);
    assert.equal(await a.page.getByTestId('event').getAttribute('data-ok'), 'false');
    assert.equal(await a.page.getByTestId('event').getAttribute('data-layout'), 'tuf-on-ci');
    assert.deepEqual(await ruleLines(a), [
      'root v2 (keys of root v1): 0 of 2 — nobody signed yet; 2 more of @alice (invited), @bob (invited), @carol (invited)',
      'root v2 (keys of root v2): 0 of 2 — nobody signed yet; 2 more of @alice (invited), @bob (invited), @dave (invited)',
    ]);
    assert.equal(await rootCard(a).locator('[data-testid="signer"][data-name="@dave"]').getAttribute('data-state'), 'invited');
    assert.equal(await a.page.locator('[data-testid="event-role"][data-role="targets"]').getAttribute('data-ok'), 'true');
    assert.match(await rootCard(a).innerText(), /renewal window opens .* \(signing period 60 days\)/);
    await expectNoSeriousA11y(a.page, 'Signing event: status');

    // the diff names the owners; a token whose key the event does not list is refused, nothing offered
    await rootCard(a).getByRole('button', { name: 'Sign root v2…' }).click();
    const diff = await a.page.getByTestId('sign-role').getByTestId('diff').innerText();
    assert.match(diff, /^root v1 -> v2$/m);
    assert.match(diff, /^\+ root: key added [0-9a-f]{16} of @dave ecdsa/m);
    assert.match(diff, /^- root: key removed [0-9a-f]{16} of @carol ecdsa/m);
    a.reader.insert(tok('online').serial);
    await a.page.getByTestId('no-accepted-key').waitFor();
    assert.equal(await a.page.getByRole('button', { name: 'Sign root v2 in place' }).count(), 0);
    await expectNoSeriousA11y(a.page, 'Signing event: wrong token');
    assert.equal(readFileSync(path.join(md, 'root.json'), 'utf8'), start, 'nothing written');

    // ----- @alice signs in place
    await signRoot(a, 'alice');
    assert.equal(
      await a.page.getByTestId('signed-now').innerText(),
      '✔ Signed root v2 in place as @alice: root.json and root_history/2.root.json changed by your signature only.',
    );
    assert.deepEqual(await ruleLines(a), [
      'root v2 (keys of root v1): 1 of 2 — signed @alice; 1 more of @bob (invited), @carol (invited)',
      'root v2 (keys of root v2): 1 of 2 — signed @alice; 1 more of @bob (invited), @dave (invited)',
    ]);
    const afterAlice = readFileSync(path.join(md, 'root.json'), 'utf8');
    assert.notEqual(afterAlice, start);
    assert.equal(outsideSignatures(afterAlice), outsideSignatures(start), 'only the signature bytes changed');
    assert.equal(readFileSync(path.join(md, 'root_history', '2.root.json'), 'utf8'), afterAlice);
    await expectNoSeriousA11y(a.page, 'Signing event: 1 of 2');

    // ----- @bob, at his machine, opens the same event and signs in turn
    const b = await ui.machine({ name: 'bob-laptop' });
    await openEvent(b);
    assert.equal(await rootCard(b).locator('[data-testid="signer"][data-name="@alice"]').first().getAttribute('data-state'), 'signed');
    await signRoot(b, 'bob');
    assert.deepEqual(await ruleLines(b), [
      'root v2 (keys of root v1): 2 of 2 — signed @alice, @bob; complete',
      'root v2 (keys of root v2): 2 of 2 — signed @alice, @bob; complete',
    ]);
    await b.page.locator('[data-testid="event"][data-ok="true"]').waitFor();
    assert.equal(await b.page.getByTestId('event-summary').getAttribute('data-complete'), 'true');
    await expectNoSeriousA11y(b.page, 'Signing event: complete');
    await screenshot(b.page, 'signing-event', rootCard(b));

    // ----- the bytes: only the two signatures were added; python-tuf would write exactly this file
    const done = readFileSync(path.join(md, 'root.json'), 'utf8');
    assert.equal(outsideSignatures(done), outsideSignatures(start));
    const sigBytes = (JSON.parse(done) as { signatures: { sig: string }[] }).signatures.reduce((n, x) => n + x.sig.length, 0);
    assert.equal(done.length - start.length, sigBytes, 'the file grew by the two signatures and nothing else');
    assert.equal(pythonDumps(JSON.parse(done)), done);

    // ----- tuf-js accepts root v2 from root v1 (published as tuf-on-ci's build step names the files)
    const pub = path.join(work, 'published');
    publishLikeTufOnCi(md, pub, 2);
    server = await startStaticServer(pub);
    const client = tufJsClient(path.join(work, 'client'), md, server.url);
    await client.refresh();
    assert.equal(client.rootVersion(), 2);
    assert.ok(server.requests.includes('GET /metadata/2.root.json 200'), server.requests.join('\n'));
  },
);

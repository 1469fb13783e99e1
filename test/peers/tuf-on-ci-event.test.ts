/**
 * A tuf-on-ci signing event signed with keyceremony on SoftHSM2 tokens, then accepted by tuf-js.
 *
 * The repository is made the way tuf-on-ci makes it: files written by Python's json.dumps exactly as
 * python-tuf's JSONSerializer calls it, every key carrying its keyholder (`x-tuf-on-ci-keyowner`), the
 * root rotation (carol leaves, dave joins) with a placeholder "sig": "" for every old and new root key.
 * Two custodians (@alice, @bob, each on their own token) sign in place in turn with
 * `keyceremony tuf sign --metadata DIR --role root`; the file's bytes outside the signatures never
 * change, and what is left is still exactly what python-tuf would write. tuf-js (npm, over a loopback
 * server) refuses root v2 while only one old key signed, and accepts it from root v1 once both did.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { kcInProcess } from '../helpers/kc-inprocess';
import { ownedKey, outsideSignatures, placeholders, publishLikeTufOnCi, pythonDumps, tufJsClient, withSignatures, writeTufOnCi } from '../helpers/tuf-on-ci';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import type { Signer } from '../../electron/core/signer';
import { signerKey } from '../../electron/core/tuf/sign';
import { expiresIn, newRoot, newSnapshot, newTargets, newTimestamp, nextRoot } from '../../electron/core/tuf/repo';
import { utf8 } from '../../shared/encoding/bytes';
import { computeKeyId } from '../../shared/tuf/keys';

const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'online'] as const;
let hsm: TestHsm;
let mod: Pkcs11Module;
let work: string;
let server: StaticServer;
const NOW = Date.now();

before(async () => {
  hsm = await makeSoftHsm([...PEOPLE]);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(path.join(tmpdir(), 'kc-tuf-on-ci-'));
});
after(async () => {
  await server?.close();
  mod?.close();
  hsm?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Run `fn` with each person's token signer (one session per token, all open together). */
async function withSigners<T>(fn: (s: Record<(typeof PEOPLE)[number], Signer>) => Promise<T>): Promise<T> {
  const open = async (i: number, acc: Partial<Record<(typeof PEOPLE)[number], Signer>>): Promise<T> => {
    if (i === PEOPLE.length) return fn(acc as Record<(typeof PEOPLE)[number], Signer>);
    const who = PEOPLE[i]!;
    return mod.withSession({ label: who }, { pin: hsm.pinOf(who), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'tuf-key', profile: 'non-extractable' });
      return open(i + 1, { ...acc, [who]: s.signer(key) });
    });
  };
  return open(0, {});
}

test('two custodians sign a tuf-on-ci root rotation in place on their tokens; tuf-js accepts root v2 from v1', async () => {
  const md = path.join(work, 'repo', 'metadata');
  mkdirSync(md, { recursive: true });
  // ----- the repository as tuf-on-ci leaves it at the start of the signing event
  const ids = await withSigners(async (s) => {
    const owned = async (who: (typeof PEOPLE)[number]) => ownedKey((await signerKey(s[who])).key, `@${who}`);
    const k = { alice: await owned('alice'), bob: await owned('bob'), carol: await owned('carol'), dave: await owned('dave') };
    const online = { ...(await signerKey(s.online)).key, 'x-tuf-on-ci-online-uri': 'pkcs11:token=online;object=tuf-key' };
    const onlineSpec = { keys: [online], threshold: 1 };
    const v1 = await newRoot({
      roles: {
        root: { keys: [k.alice.key, k.bob.key, k.carol.key], threshold: 2 },
        targets: { keys: [k.alice.key], threshold: 1 },
        snapshot: onlineSpec,
        timestamp: onlineSpec,
      },
      expires: expiresIn(NOW, 365),
    });
    Object.assign(v1.unrecognized, { 'x-tuf-on-ci-expiry-period': 365, 'x-tuf-on-ci-signing-period': 60 });
    // our signers' key ids are over the bare key; the listed ids cover the x-tuf-on-ci fields too
    const toOwned: Record<string, string> = Object.fromEntries(
      await Promise.all((['alice', 'bob', 'carol', 'dave'] as const).map(async (w) => [(await signerKey(s[w])).keyid, k[w].keyid])),
    );
    toOwned[(await signerKey(s.online)).keyid] = await computeKeyId(online);
    const v1sigs = await withSignatures(v1.toJSON(), placeholders(v1.roles.root.keyids), [s.alice, s.bob], toOwned);
    writeTufOnCi(md, 'root', v1.toJSON(), v1sigs);
    const targets = newTargets(expiresIn(NOW, 90));
    Object.assign(targets.unrecognized, { 'x-tuf-on-ci-expiry-period': 90, 'x-tuf-on-ci-signing-period': 30 });
    writeTufOnCi(md, 'targets', targets.toJSON(), await withSignatures(targets.toJSON(), placeholders([k.alice.keyid]), [s.alice], toOwned));
    const snap = newSnapshot({ targets: 1 }, expiresIn(NOW, 30), 1);
    const snapText = writeTufOnCi(md, 'snapshot', snap.toJSON(), await withSignatures(snap.toJSON(), [], [s.online], toOwned));
    const ts = await newTimestamp(utf8(snapText), 1, expiresIn(NOW, 7), 1);
    writeTufOnCi(md, 'timestamp', ts.toJSON(), await withSignatures(ts.toJSON(), [], [s.online], toOwned));
    // the signing event: carol leaves, dave joins; placeholders for old keys first, then new ones (tuf-on-ci close())
    const v2 = await nextRoot(v1, { add: { root: [k.dave.key] }, remove: { root: [k.carol.keyid] }, expires: expiresIn(NOW, 365) });
    writeTufOnCi(md, 'root', v2.toJSON(), placeholders([...v1.roles.root.keyids, ...v2.roles.root.keyids]));
    return { alice: k.alice.keyid, dave: k.dave.keyid };
  });
  const start = readFileSync(path.join(md, 'root.json'), 'utf8');
  assert.equal(pythonDumps(JSON.parse(start)), start);

  // ----- status: nobody signed yet; every root keyholder invited; exit 1
  let st = await kcInProcess(['tuf', 'status', '--metadata', md]);
  assert.equal(st.code, 1, st.out + st.err);
  assert.match(st.out, /✘ root v2 \(keys of root v1\): 0 of 2 — nobody signed yet; 2 more of @alice \(invited\), @bob \(invited\), @carol \(invited\)/);
  assert.match(st.out, /✘ root v2 \(keys of root v2\): 0 of 2 — nobody signed yet; 2 more of @alice \(invited\), @bob \(invited\), @dave \(invited\)/);
  assert.match(st.out, /✔ targets v1: 1 of 1 — signed @alice; complete/);

  const pinFile = (who: string) => {
    const p = path.join(work, `${who}.pin`);
    writeFileSync(p, `${hsm.tokens.find((t) => t.label === who)!.pin}\n`, { mode: 0o600 });
    return p;
  };
  const signAs = (who: string) =>
    kcInProcess(['tuf', 'sign', '--metadata', md, '--role', 'root', '--token', who, '--label', 'tuf-key', '--pin-file', pinFile(who)], {
      KEYCEREMONY_PKCS11_MODULE: hsm.module,
    });

  // ----- a key the event does not list is refused; nothing changes
  const refused = await signAs('online');
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /error\[KEY_NOT_FOUND\].*may not sign root v2: root v1 lists @alice, @bob, @carol; root v2 lists @alice, @bob, @dave/);
  assert.equal(readFileSync(path.join(md, 'root.json'), 'utf8'), start);

  // ----- publish as tuf-on-ci's build step would (consistent snapshot names) and ask tuf-js
  const pub = path.join(work, 'published');
  const publish = () => publishLikeTufOnCi(md, pub, 2);
  server = await startStaticServer(pub);
  const client = (name: string) => tufJsClient(path.join(work, 'clients', name), md, server.url);

  // ----- custodian 1: @alice signs in place
  const a = await signAs('alice');
  assert.equal(a.code, 0, a.out + a.err);
  assert.match(a.out, /^root v1 -> v2/m);
  assert.match(a.out, /- root: key removed/);
  assert.match(a.out, /signed root v2 in place as @alice/);
  const afterAlice = readFileSync(path.join(md, 'root.json'), 'utf8');
  assert.equal(outsideSignatures(afterAlice), outsideSignatures(start), 'only the signature bytes changed');
  assert.equal(readFileSync(path.join(md, 'root_history', '2.root.json'), 'utf8'), afterAlice, 'root_history/2.root.json signed too');
  const sigsAlice = (JSON.parse(afterAlice) as { signatures: { keyid: string; sig: string }[] }).signatures;
  assert.deepEqual(
    sigsAlice.filter((s) => s.sig !== '').map((s) => s.keyid),
    [ids.alice],
  );

  publish();
  const early = client('early');
  await assert.rejects(early.refresh(), (e: Error) => /root was signed by 1\/2 keys/.test(e.message));
  assert.equal(early.rootVersion(), 1, 'tuf-js refused root v2 with one old-root signature');

  // ----- custodian 2: @bob signs in place
  const b = await signAs('bob');
  assert.equal(b.code, 0, b.out + b.err);
  assert.match(b.out, /root v2 \(keys of root v1\): 2 of 2 — signed @alice, @bob; complete/);
  const done = readFileSync(path.join(md, 'root.json'), 'utf8');
  assert.equal(outsideSignatures(done), outsideSignatures(start), 'only the signature bytes changed');
  const sigBytes = (JSON.parse(done) as { signatures: { sig: string }[] }).signatures.reduce((n, x) => n + x.sig.length, 0);
  assert.equal(done.length - start.length, sigBytes, 'the file grew by the two signatures and nothing else');
  assert.equal(pythonDumps(JSON.parse(done)), done, 'python-tuf would write these exact bytes: the git diff is the two signatures');
  // signing again with the same key changes nothing
  const again = await signAs('bob');
  assert.match(again.out, /signed by this key \(@bob\) already; nothing written/);
  assert.equal(readFileSync(path.join(md, 'root.json'), 'utf8'), done);

  st = await kcInProcess(['tuf', 'status', '--metadata', md]);
  assert.equal(st.code, 0, st.out + st.err);
  assert.match(st.out, /✔ root v2 \(keys of root v2\): 2 of 2 — signed @alice, @bob; complete/);

  // ----- tuf-js accepts the new root from the old one
  publish();
  const c = client('after');
  await c.refresh();
  assert.equal(c.rootVersion(), 2);
  assert.ok(server.requests.includes('GET /metadata/2.root.json 200'), server.requests.join('\n'));
});

/**
 * The most widely deployed TUF client (npm tuf-js 5.0.1 Updater) against a repository we produced on
 * SoftHSM2 tokens, over a loopback static server: root v1 -> v2 (a key replaced) -> v3 (threshold
 * raised), targets with a delegation, a target download; and refusals: v2 signed by too few old keys,
 * a rolled-back timestamp.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Updater } from 'tuf-js';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { putFiles, signedRoot, tokenKeys } from '../helpers/tuf-token';
import type { Signer } from '../../electron/core/signer';
import { signerKey } from '../../electron/core/tuf/sign';
import { newRoot, nextRoot, replaceRootKey, newTargets, targetFileInfo, delegate, publishTargets, expiresIn } from '../../electron/core/tuf/repo';
import { utf8, pemEncode } from '../../shared/encoding/bytes';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';

let hsm: TestHsm;
let mod: Pkcs11Module;
let work: string;
let server: StaticServer;
const NOW = Date.now();

before(async () => {
  hsm = await makeSoftHsm(['tuf-root', 'tuf-online']);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(path.join(tmpdir(), 'kc-tufjs-'));
});
after(async () => {
  await server?.close();
  mod?.close();
  hsm?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const keys = tokenKeys;
const put = putFiles;
const rootFile = signedRoot;

function client(name: string, trustedRoot: Uint8Array, base: string) {
  const dir = path.join(work, 'clients', name);
  mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  writeFileSync(path.join(dir, 'metadata', 'root.json'), trustedRoot);
  const u = () =>
    new Updater({
      metadataDir: path.join(dir, 'metadata'),
      targetDir: path.join(dir, 'targets'),
      metadataBaseUrl: `${server.url}/${base}/metadata`,
      targetBaseUrl: `${server.url}/${base}/targets`,
    });
  const trustedRootVersion = () =>
    (JSON.parse(readFileSync(path.join(dir, 'metadata', 'root.json'), 'utf8')) as { signed: { version: number } }).signed.version;
  return { dir, u, trustedRootVersion };
}

test('tuf-js follows root v1 -> v2 -> v3, walks a delegation, downloads a target; refuses too few old keys and a rollback', async () => {
  server = await startStaticServer(work);
  await mod.withSession({ label: 'tuf-root' }, { pin: hsm.pinOf('tuf-root'), rw: true }, async (rs) => {
    await mod.withSession({ label: 'tuf-online' }, { pin: hsm.pinOf('tuf-online'), rw: true }, async (os) => {
      const [r1, r2, r3, r4, r5, r6] = (await keys(rs, ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'])) as [Signer, Signer, Signer, Signer, Signer, Signer];
      const [online, rel] = (await keys(os, ['online', 'releases'])) as [Signer, Signer];
      const k = async (s: Signer) => (await signerKey(s)).key;
      const onlineSpec = { keys: [await k(online)], threshold: 1 };
      const v1 = await newRoot({
        roles: { root: { keys: [await k(r1), await k(r2), await k(r3)], threshold: 2 }, targets: onlineSpec, snapshot: onlineSpec, timestamp: onlineSpec },
        expires: expiresIn(NOW, 365),
      });
      const good = path.join(work, 'good');
      const md = path.join(good, 'metadata');
      const v1f = await rootFile(v1, undefined, [r1, r2]);
      assert.equal(v1f.summary, 'root v1: signed by 2 of 2 required root keys — complete');
      put(md, [{ name: '1.root.json', bytes: v1f.bytes }]);

      // targets with a delegation; target files under consistent-snapshot names
      const content = utf8('hello from a TUF target on a SoftHSM-built repository\n');
      const targets = newTargets(expiresIn(NOW, 90));
      await delegate(targets, { name: 'releases', keys: [await k(rel)], threshold: 1, paths: ['releases/*'] });
      const releases = newTargets(expiresIn(NOW, 90));
      const info = await targetFileInfo(content);
      releases.targets['releases/hello.txt'] = info;
      mkdirSync(path.join(good, 'targets', 'releases'), { recursive: true });
      writeFileSync(path.join(good, 'targets', 'releases', `${info.hashes.sha256}.hello.txt`), content);
      const signers = { targets: [online], snapshot: [online], timestamp: [online], delegated: { releases: [rel] } };
      const pub1 = await publishTargets({
        roles: new Map([
          ['targets', targets],
          ['releases', releases],
        ]),
        snapshotVersion: 1,
        timestampVersion: 1,
        expires: { snapshot: expiresIn(NOW, 7), timestamp: expiresIn(NOW, 1) },
        signers,
      });
      put(md, pub1);
      const ts1 = pub1.find((f) => f.name === 'timestamp.json')!.bytes;

      // v2: r3 replaced by r4 (old 2/2, new 2/2), v3: threshold raised to 3
      const v2 = await replaceRootKey(v1, (await signerKey(r3)).keyid, await k(r4), expiresIn(NOW, 365));
      const v2f = await rootFile(v2, v1, [r1, r2, r4]);
      assert.equal(v2f.summary, 'root v2: signed by 2 of 2 required old-root keys, 3 of 2 required new-root keys — complete');
      const v3 = await nextRoot(v2, { threshold: { root: 3 } });
      const v3f = await rootFile(v3, v2, [r1, r2, r4]);
      assert.equal(v3f.summary, 'root v3: signed by 3 of 2 required old-root keys, 3 of 3 required new-root keys — complete');

      // client 1 starts at v1 with only v1 published
      const c1 = client('c1', v1f.bytes, 'good');
      await c1.u().refresh();
      assert.equal(c1.trustedRootVersion(), 1);
      put(md, [
        { name: '2.root.json', bytes: v2f.bytes },
        { name: '3.root.json', bytes: v3f.bytes },
      ]);
      const up = c1.u();
      await up.refresh();
      assert.equal(c1.trustedRootVersion(), 3);
      const ti = await up.getTargetInfo('releases/hello.txt');
      assert.ok(ti, 'target info through the delegation');
      const file = await up.downloadTarget(ti, path.join(c1.dir, 'targets', 'hello.txt'));
      assert.deepEqual(new Uint8Array(readFileSync(file)), content);
      assert.ok(server.requests.includes('GET /good/metadata/1.releases.json 200'), server.requests.join('\n'));

      // rollback: publish timestamp v2 / snapshot v2, client accepts, then the server rolls back to timestamp v1
      const pub2 = await publishTargets({
        roles: new Map(),
        otherVersions: { targets: 1, releases: 1 },
        snapshotVersion: 2,
        timestampVersion: 2,
        expires: { snapshot: expiresIn(NOW, 7), timestamp: expiresIn(NOW, 1) },
        signers,
      });
      put(md, pub2);
      await c1.u().refresh();
      put(md, [{ name: 'timestamp.json', bytes: ts1 }]);
      await assert.rejects(c1.u().refresh(), (e: Error) => {
        assert.match(`${e.name}: ${e.message}`, /timestamp.*version|version.*timestamp|must be >=/i);
        return true;
      });

      // bad: v2 signed by too few OLD keys (r1 only of v1's 2), though new keys r4,r5,r6 all signed
      const bad = path.join(work, 'bad', 'metadata');
      put(bad, [{ name: '1.root.json', bytes: v1f.bytes }, ...pub1]);
      const badV2 = await nextRoot(v1, {
        add: { root: [await k(r4), await k(r5), await k(r6)] },
        remove: { root: [(await signerKey(r1)).keyid, (await signerKey(r2)).keyid, (await signerKey(r3)).keyid] },
      });
      const badF = await rootFile(badV2, v1, [r1, r4, r5, r6]);
      assert.equal(badF.summary, 'root v2: signed by 1 of 2 required old-root keys, 3 of 2 required new-root keys');
      put(bad, [{ name: '2.root.json', bytes: badF.bytes }]);
      const c2 = client('c2', v1f.bytes, 'bad');
      await assert.rejects(c2.u().refresh(), (e: Error) => {
        assert.match(`${e.name}: ${e.message}`, /root was signed by 1\/2 keys/);
        return true;
      });
      assert.equal(c2.trustedRootVersion(), 1);
    });
  });
});

/** `keyceremony …` through main() with the SoftHSM module, on the real clock (tuf-js uses it too). */
async function kc(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, KEYCEREMONY_PKCS11_MODULE: hsm.module };
  delete env.KEYCEREMONY_NOW;
  const ctx = { ...makeContext({ env }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  assert.equal(code, 0, `keyceremony ${args.join(' ')}\n${out.join('\n')}\n${err.join('\n')}`);
  return out.join('\n');
}

test('tuf-js picks up a targets update and a delegation made with `tuf delegate` / `tuf targets add` on tokens', async () => {
  server ??= await startStaticServer(work);
  const base = path.join(work, 'cli');
  const md = path.join(base, 'metadata');
  const rq = path.join(base, 'requests');
  const pinFile = path.join(work, 'pin');
  writeFileSync(pinFile, `${hsm.tokens[0]!.pin}\n`);
  const pin = ['--pin-file', pinFile];
  const pem = async (token: string, label: string) => {
    const p = path.join(work, `${label}.pem`);
    await mod.withSession({ label: token }, { pin: hsm.pinOf(token), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label, profile: 'non-extractable' });
      writeFileSync(p, pemEncode('PUBLIC KEY', key.publicKeySpki));
    });
    return p;
  };
  const rootPem = await pem('tuf-root', 'cli-root');
  const onlinePem = await pem('tuf-online', 'cli-online');
  await pem('tuf-online', 'cli-apps'); // the delegated key: named by its pkcs11: URI below, not a file
  const onlineKey = ['--token', 'tuf-online', '--label', 'cli-online', ...pin];

  // a new repository: root 1 of 1 on the root token, targets/snapshot/timestamp by the online key
  await kc(['tuf', 'init', '--out', base, '--threshold', '1', '--root-key', rootPem, '--online-key', onlinePem, ...onlineKey]);
  await kc(['tuf', 'sign', path.join(rq, '1.root.request.json'), '--token', 'tuf-root', '--label', 'cli-root', ...pin, '--write', md]);
  const c = client('cli', readFileSync(path.join(md, '1.root.json')), 'cli');
  await c.u().refresh();
  assert.equal(await c.u().getTargetInfo('apps/tool.txt'), undefined);

  // delegation apps/* to a token key, then a target in the delegated role
  await kc([
    'tuf',
    'delegate',
    '--metadata',
    md,
    '--role',
    'apps',
    '--key-uri',
    `pkcs11:token=tuf-online;object=cli-apps?pin-source=file:${pinFile}`,
    '--paths',
    'apps/*',
    '--threshold',
    '1',
    '--out',
    path.join(rq, '2.targets.request.json'),
  ]);
  await kc(['tuf', 'sign', path.join(rq, '2.targets.request.json'), ...onlineKey, '--write', md]);
  await kc(['tuf', 'sign', path.join(rq, '1.apps.request.json'), '--token', 'tuf-online', '--label', 'cli-apps', ...pin, '--write', md]);
  const content = utf8('a tool released through a delegation made with keyceremony tuf delegate\n');
  const src = path.join(work, 'tool.txt');
  writeFileSync(src, content);
  const add = await kc([
    'tuf',
    'targets',
    'add',
    '--metadata',
    md,
    '--role',
    'apps',
    '--path',
    'apps/tool.txt',
    '--file',
    src,
    '--expires-in',
    '30',
    '--out',
    path.join(rq, '2.apps.request.json'),
  ]);
  assert.match(add, /apps v2: signed by 0 of 1 required apps keys/);
  await kc(['tuf', 'sign', path.join(rq, '2.apps.request.json'), '--token', 'tuf-online', '--label', 'cli-apps', ...pin, '--write', md]);
  await kc(['tuf', 'snapshot', '--metadata', md, ...onlineKey]);
  const sha = (await targetFileInfo(content)).hashes.sha256;
  mkdirSync(path.join(base, 'targets', 'apps'), { recursive: true });
  writeFileSync(path.join(base, 'targets', 'apps', `${sha}.tool.txt`), content);

  // the same client (trusting the old snapshot) refreshes and downloads the new target
  const up = c.u();
  await up.refresh();
  const ti = await up.getTargetInfo('apps/tool.txt');
  assert.ok(ti, 'target info through the new delegation');
  const got = await up.downloadTarget(ti, path.join(c.dir, 'targets', 'tool.txt'));
  assert.deepEqual(new Uint8Array(readFileSync(got)), content);
  assert.ok(server.requests.includes('GET /cli/metadata/2.apps.json 200'), server.requests.join('\n'));
});

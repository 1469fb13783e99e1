/**
 * `keyceremony export trust` on a TUF repository (issue 15 item 2), proven by tuf-js (npm tuf-js
 * Updater) over a loopback static server: a repository signed on SoftHSM2 tokens (root v1, then v2 with
 * a key replaced), the exported root.json is the latest root byte for byte, a client bootstrapped from
 * it downloads a target; the same client refuses a repository re-created with other root keys at the
 * same address; a root in the middle of its signing (v3, too few signatures) is not exported.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Updater } from 'tuf-js';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { kcInProcess } from '../helpers/kc-inprocess';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { putFiles, signedRoot, tokenKeys } from '../helpers/tuf-token';
import type { Signer } from '../../electron/core/signer';
import { signerKey } from '../../electron/core/tuf/sign';
import { newRoot, nextRoot, replaceRootKey, newTargets, targetFileInfo, publishTargets, expiresIn } from '../../electron/core/tuf/repo';
import type { Root } from '../../shared/tuf/models';
import { utf8 } from '../../shared/encoding/bytes';

let hsm: TestHsm;
let mod: Pkcs11Module;
let work: string;
let server: StaticServer;
const NOW = Date.now();

before(async () => {
  hsm = await makeSoftHsm(['tuf-root', 'tuf-online']);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(path.join(tmpdir(), 'kc-export-trust-'));
  server = await startStaticServer(work);
});
after(async () => {
  await server?.close();
  mod?.close();
  hsm?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const keys = tokenKeys;
const put = putFiles;
const rootFile = async (next: Root, prev: Root | undefined, signers: Signer[]) => (await signedRoot(next, prev, signers)).bytes;

/** A repository at `base`: the given roots, one target, snapshot and timestamp by `online`. */
async function repository(base: string, roots: Uint8Array[], online: Signer, content: Uint8Array): Promise<void> {
  const md = path.join(base, 'metadata');
  put(
    md,
    roots.map((bytes, i) => ({ name: `${i + 1}.root.json`, bytes })),
  );
  const targets = newTargets(expiresIn(NOW, 90));
  const info = await targetFileInfo(content);
  targets.targets['hello.txt'] = info;
  mkdirSync(path.join(base, 'targets'), { recursive: true });
  writeFileSync(path.join(base, 'targets', `${info.hashes.sha256}.hello.txt`), content);
  put(
    md,
    await publishTargets({
      roles: new Map([['targets', targets]]),
      snapshotVersion: 1,
      timestampVersion: 1,
      expires: { snapshot: expiresIn(NOW, 7), timestamp: expiresIn(NOW, 1) },
      signers: { targets: [online], snapshot: [online], timestamp: [online] },
    }),
  );
}

function client(name: string, trustedRoot: Uint8Array, base: string) {
  const dir = path.join(work, 'clients', name);
  mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  writeFileSync(path.join(dir, 'metadata', 'root.json'), trustedRoot);
  const u = new Updater({
    metadataDir: path.join(dir, 'metadata'),
    targetDir: path.join(dir, 'targets'),
    metadataBaseUrl: `${server.url}/${base}/metadata`,
    targetBaseUrl: `${server.url}/${base}/targets`,
  });
  return { dir, u };
}

test('tuf-js bootstraps from the exported root over loopback; refuses the repository re-created with other keys; a half-signed root is not exported', async () => {
  await mod.withSession({ label: 'tuf-root' }, { pin: hsm.pinOf('tuf-root'), rw: true }, async (rs) => {
    await mod.withSession({ label: 'tuf-online' }, { pin: hsm.pinOf('tuf-online'), rw: true }, async (os) => {
      const [r1, r2, r3, r4, x1] = (await keys(rs, ['r1', 'r2', 'r3', 'r4', 'other'])) as [Signer, Signer, Signer, Signer, Signer];
      const [online, otherOnline] = (await keys(os, ['online', 'other-online'])) as [Signer, Signer];
      const k = async (s: Signer) => (await signerKey(s)).key;
      const onlineSpec = { keys: [await k(online)], threshold: 1 };
      const v1 = await newRoot({
        roles: { root: { keys: [await k(r1), await k(r2), await k(r3)], threshold: 2 }, targets: onlineSpec, snapshot: onlineSpec, timestamp: onlineSpec },
        expires: expiresIn(NOW, 365),
      });
      const v2 = await replaceRootKey(v1, (await signerKey(r3)).keyid, await k(r4), expiresIn(NOW, 365));
      const v1b = await rootFile(v1, undefined, [r1, r2]);
      const v2b = await rootFile(v2, v1, [r1, r2, r4]);
      const content = utf8('a release behind an exported trust anchor\n');
      const repo = path.join(work, 'repo');
      await repository(repo, [v1b, v2b], online, content);

      const out = path.join(work, 'anchors');
      const r = await kcInProcess(['export', 'trust', '--metadata', path.join(repo, 'metadata'), '--out', out]);
      assert.equal(r.code, 0, r.err);
      const exported = readFileSync(path.join(out, 'root.json'));
      assert.deepEqual(new Uint8Array(exported), v2b, 'the latest root, byte for byte');
      const sha = createHash('sha256').update(exported).digest('hex');
      assert.match(r.out, new RegExp(`sha256 ${sha}`));
      const clients = readFileSync(path.join(out, 'CLIENTS.md'), 'utf8');
      assert.match(clients, new RegExp(`SHA-256 of root.json: \`${sha}\``));
      for (const lib of ['tuf-js', 'python-tuf', 'go-tuf']) assert.match(clients, new RegExp(`## ${lib}`));
      // a re-run changes nothing
      const again = await kcInProcess(['export', 'trust', '--metadata', path.join(repo, 'metadata'), '--out', out]);
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /root\.json \(already there, unchanged\)/);

      // tuf-js, bootstrapped from the exported root, updates and downloads over loopback
      const c = client('bootstrapped', exported, 'repo');
      await c.u.refresh();
      const ti = await c.u.getTargetInfo('hello.txt');
      assert.ok(ti);
      const file = await c.u.downloadTarget(ti, path.join(c.dir, 'targets', 'hello.txt'));
      assert.deepEqual(new Uint8Array(readFileSync(file)), content);
      assert.ok(server.requests.includes('GET /repo/metadata/3.root.json 404'), 'the client looked for a newer root');

      // the same address re-created with other root keys: the pinned client refuses it
      const otherSpec = { keys: [await k(otherOnline)], threshold: 1 };
      const evil = await newRoot({
        roles: { root: { keys: [await k(x1)], threshold: 1 }, targets: otherSpec, snapshot: otherSpec, timestamp: otherSpec },
        expires: expiresIn(NOW, 365),
      });
      const evil2 = await nextRoot(evil, {});
      const evil3 = await nextRoot(evil2, {});
      const evilDir = path.join(work, 'recreated');
      const evilRoots = [await rootFile(evil, undefined, [x1]), await rootFile(evil2, evil, [x1]), await rootFile(evil3, evil2, [x1])];
      await repository(evilDir, evilRoots, otherOnline, utf8('not the release\n'));
      const refused = client('pinned-against-recreated', exported, 'recreated');
      await assert.rejects(refused.u.refresh(), /root was signed by 0\/2 keys/);
      assert.ok(server.requests.includes('GET /recreated/metadata/3.root.json 200'), server.requests.join('\n'));
      assert.equal(existsSync(path.join(refused.dir, 'targets', 'hello.txt')), false);

      // root v3 being signed (1 of 2): not exported, nothing written
      const half = path.join(work, 'half');
      cpSync(path.join(repo, 'metadata'), half, { recursive: true });
      writeFileSync(path.join(half, '3.root.json'), await rootFile(await nextRoot(v2, {}), v2, [r1]));
      const halfOut = path.join(work, 'half-anchors');
      const h = await kcInProcess(['export', 'trust', '--metadata', half, '--out', halfOut]);
      assert.equal(h.code, 1);
      assert.match(h.err, /error\[THRESHOLD_NOT_MET\]: 3\.root\.json \(root v3\) carries 1 valid signatures of its own root keys, 2 needed/);
      assert.equal(existsSync(halfOut), false);
    });
  });
});

/**
 * A TUF repository built with `keyceremony tuf` on SoftHSM2 tokens: root keys on two custodians' tokens,
 * the online key on a third; init, per-custodian `tuf sign --token`, merge, status --write, verify;
 * then a rotation (threshold raised) signed on the tokens and verified as a chain.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { pemEncode } from '../../shared/encoding/bytes';

let hsm: TestHsm;
let dir: string;

before(async () => {
  hsm = await makeSoftHsm(['custodian-a', 'custodian-b', 'online']);
  dir = mkdtempSync(path.join(tmpdir(), 'kc-tuf-token-'));
  writeFileSync(path.join(dir, 'pin'), `${hsm.tokens[0]!.pin}\n`);
  const mod = Pkcs11Module.open(hsm.module);
  try {
    for (const [token, labels] of [
      ['custodian-a', ['root-a1', 'root-a2']],
      ['custodian-b', ['root-b1']],
      ['online', ['online']],
    ] as const) {
      await mod.withSession({ label: token }, { pin: hsm.pinOf(token), rw: true }, async (s) => {
        for (const label of labels) {
          const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
          writeFileSync(path.join(dir, `${label}.pem`), pemEncode('PUBLIC KEY', key.publicKeySpki));
        }
      });
    }
  } finally {
    mod.close();
  }
});
after(() => {
  hsm?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function kc(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { ...process.env, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_NOW: '2026-03-01T00:00:00Z' };
  const ctx = { ...makeContext({ env }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('tuf init/sign/merge/verify and a rotation, all signatures made on SoftHSM tokens', async () => {
  const repo = path.join(dir, 'repo');
  const md = path.join(repo, 'metadata');
  const pin = ['--pin-file', path.join(dir, 'pin')];
  const init = await kc([
    'tuf',
    'init',
    '--out',
    repo,
    '--threshold',
    '2',
    '--online-key',
    path.join(dir, 'online.pem'),
    '--root-key',
    path.join(dir, 'root-a1.pem'),
    '--root-key',
    path.join(dir, 'root-a2.pem'),
    '--root-key',
    path.join(dir, 'root-b1.pem'),
    '--token',
    'online',
    '--label',
    'online',
    ...pin,
  ]);
  assert.equal(init.code, 0, init.err);
  const req = path.join(repo, 'requests', '1.root.request.json');
  // custodian B signs a copy on their machine; custodian A signs the original; then merge
  const copy = path.join(dir, 'b-copy.json');
  copyFileSync(req, copy);
  const sb = await kc(['tuf', 'sign', copy, '--token', 'custodian-b', '--label', 'root-b1', ...pin]);
  assert.equal(sb.code, 0, sb.err);
  assert.match(sb.out, /root v1: signed by 1 of 2 required root keys/);
  const sa = await kc(['tuf', 'sign', req, '--token', 'custodian-a', '--label', 'root-a1', ...pin]);
  assert.equal(sa.code, 0, sa.err);
  // the online key is not a root key: refused, nothing written
  const no = await kc(['tuf', 'sign', req, '--token', 'online', '--label', 'online', ...pin]);
  assert.equal(no.code, 1);
  assert.match(no.err, /error\[KEY_NOT_FOUND\].*not one of the keys allowed to sign root v1/);
  const merged = path.join(dir, 'merged.json');
  const m = await kc(['tuf', 'merge', req, copy, '--out', merged]);
  assert.equal(m.out, 'root v1: signed by 2 of 2 required root keys — complete');
  assert.equal((await kc(['tuf', 'status', merged, '--write', md])).code, 0);
  const v = await kc(['tuf', 'verify', '--trusted-root', path.join(md, '1.root.json'), '--metadata', md, '--at', '2026-03-01T12:00:00Z']);
  assert.equal(v.code, 0, v.out);
  assert.match(v.out, /^VERIFIED/);

  // rotation: threshold 2 -> 3 (needs 2 of the old and 3 of the new)
  const rot = path.join(dir, 'rot.json');
  assert.equal((await kc(['tuf', 'rotate', '--metadata', md, '--threshold', '3', '--out', rot])).code, 0);
  for (const [token, label] of [
    ['custodian-a', 'root-a1'],
    ['custodian-a', 'root-a2'],
    ['custodian-b', 'root-b1'],
  ]) {
    const r = await kc(['tuf', 'sign', rot, '--token', token!, '--label', label!, ...pin, '--write', md]);
    assert.equal(r.code, 0, r.err);
  }
  const st = await kc(['tuf', 'status', rot]);
  assert.equal(st.out, 'root v2: signed by 3 of 2 required old-root keys, 3 of 3 required new-root keys — complete');
  const v2 = await kc(['tuf', 'verify', '--trusted-root', path.join(md, '1.root.json'), '--metadata', md, '--at', '2026-03-01T12:00:00Z', '--json']);
  assert.equal(v2.code, 0, v2.out);
  assert.equal((JSON.parse(v2.out) as { tuf: { rootVersion: number } }).tuf.rootVersion, 2);
});

test('tuf init --hash-bins: targets in succinct hash bins signed on the online token verify', async () => {
  const repo = path.join(dir, 'binned');
  const md = path.join(repo, 'metadata');
  const files = ['a', 'b', 'c', 'd', 'e']
    .map((n) => {
      const p = path.join(dir, `${n}.txt`);
      writeFileSync(p, `target ${n}\n`);
      return ['--target', `files/${n}.txt=${p}`];
    })
    .flat();
  const init = await kc([
    'tuf',
    'init',
    '--out',
    repo,
    '--threshold',
    '1',
    '--online-key',
    path.join(dir, 'online.pem'),
    '--root-key',
    path.join(dir, 'root-b1.pem'),
    ...files,
    '--hash-bins',
    '2',
    '--token',
    'online',
    '--label',
    'online',
    '--pin-file',
    path.join(dir, 'pin'),
  ]);
  assert.equal(init.code, 0, init.err);
  assert.match(init.out, /targets delegated to 4 succinct hash bins/);
  const s = await kc([
    'tuf',
    'sign',
    path.join(repo, 'requests', '1.root.request.json'),
    '--token',
    'custodian-b',
    '--label',
    'root-b1',
    '--pin-file',
    path.join(dir, 'pin'),
    '--write',
    md,
  ]);
  assert.equal(s.code, 0, s.err);
  const v = await kc(['tuf', 'verify', '--trusted-root', path.join(md, '1.root.json'), '--metadata', md, '--at', '2026-03-01T12:00:00Z', '--json']);
  assert.equal(v.code, 0, v.out);
  const rep = JSON.parse(v.out) as { roles: { role: string; delegator?: string }[]; tuf: { targetCount: number } };
  assert.deepEqual(
    rep.roles.map((r) => r.role),
    ['root', 'timestamp', 'snapshot', 'targets', 'bin-0', 'bin-1', 'bin-2', 'bin-3'],
  );
  assert.deepEqual(
    rep.roles.slice(4).map((r) => r.delegator),
    ['targets', 'targets', 'targets', 'targets'],
  );
  assert.equal(rep.tuf.targetCount, 5);
});

test('init without the online token: targets by request, then `tuf snapshot` signs snapshot + timestamp on the token', async () => {
  const repo = path.join(dir, 'later');
  const md = path.join(repo, 'metadata');
  const pin = ['--pin-file', path.join(dir, 'pin')];
  const t = path.join(dir, 'payload.txt');
  writeFileSync(t, 'payload\n');
  const init = await kc([
    'tuf',
    'init',
    '--out',
    repo,
    '--threshold',
    '1',
    '--online-key',
    path.join(dir, 'online.pem'),
    '--root-key',
    path.join(dir, 'root-a1.pem'),
    '--target',
    `payload.txt=${t}`,
  ]);
  assert.equal(init.code, 0, init.err);
  assert.equal(
    (await kc(['tuf', 'sign', path.join(repo, 'requests', '1.root.request.json'), '--token', 'custodian-a', '--label', 'root-a1', ...pin, '--write', md])).code,
    0,
  );
  const st = await kc(['tuf', 'sign', path.join(repo, 'requests', '1.targets.request.json'), '--token', 'online', '--label', 'online', ...pin, '--write', md]);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /targets v1: signed by 1 of 1 required targets keys — complete/);
  const sn = await kc(['tuf', 'snapshot', '--metadata', md, '--token', 'online', '--label', 'online', ...pin]);
  assert.equal(sn.code, 0, sn.err);
  assert.match(sn.out, /^snapshot v1 over targets v1; timestamp v1; signed with online \(fingerprint [0-9a-f]{16}…\)$/m);
  const again = await kc(['tuf', 'snapshot', '--metadata', md, '--token', 'online', '--label', 'online', ...pin]);
  assert.match(again.out, /snapshot v2 over targets v1; timestamp v2/);
  const v = await kc(['tuf', 'verify', '--trusted-root', path.join(md, '1.root.json'), '--metadata', md, '--at', '2026-03-01T12:00:00Z', '--targets', dir]);
  assert.equal(v.code, 0, v.out);
  assert.match(v.out, /^VERIFIED .* 1 targets/);
  assert.match(v.out, /ok {3}1 target file matches length and hashes/);
});

/**
 * Issue 12 item 3: two custodians signing the same file at the same moment both keep their signature.
 * The probe found `tuf sign` on one request file losing a signature in 6 of 6 runs, `notary sign` on one
 * folder in 2 of 4, `cosign request sign` in 3 of 3 — both processes exiting 0.
 *
 * Deterministic race: the test holds the file's lock itself (a live holder: this process), starts both
 * signers together, waits until BOTH have read the file, signed on the token and said "another signer is
 * writing …; retrying", then releases the lock. Both wrote from the same read — the lost update of the
 * probe — so the second to get the lock must re-read and merge. Both must exit 0 with both signatures
 * on disk. Without the lock neither waits and one signature is lost (the assertion says which).
 * Both keys are on ONE SoftHSM token: the two processes also use the token at the same time.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { kcStart, type Started } from '../helpers/ceremony-run';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { pemEncode } from '../../shared/encoding/bytes';
import { lockFileOf } from '../../electron/adapters/fs/lock';
import { REPO_LOCK } from '../../electron/adapters/notary/repo-dir';

const RUNS = 6;
const NOW = '2026-03-01T00:00:00Z';
let hsm: TestHsm;
let dir: string;
let env: Record<string, string>;

before(async () => {
  hsm = await makeSoftHsm(['signers']);
  dir = mkdtempSync(join(tmpdir(), 'kc-concurrent-'));
  writeFileSync(join(dir, 'pin'), '1234\n');
  env = { KEYCEREMONY_PKCS11_MODULE: hsm.module, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_NOW: NOW, KEYCEREMONY_PIN: '' };
  const mod = Pkcs11Module.open(hsm.module);
  try {
    await mod.withSession({ label: 'signers' }, { pin: hsm.pinOf('signers'), rw: true }, async (s) => {
      for (const label of ['a', 'b', 'online', 'snap', 'ts']) {
        const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
        writeFileSync(join(dir, `${label}.pem`), pemEncode('PUBLIC KEY', key.publicKeySpki));
      }
    });
  } finally {
    mod.close();
  }
});
after(() => {
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function kc(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { ...makeContext({ env: { ...process.env, ...env } }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  assert.equal(code, 0, err.join('\n'));
  return out.join('\n');
}

const key = (label: string) => ['--token', 'signers', '--label', label, '--pin-file', join(dir, 'pin')];

/** Hold `lockPath` as a live holder (this process) while both signers start; release once both wait. */
async function race(lockPath: string, a: string[], b: string[]): Promise<{ a: Awaited<Started['done']>; b: Awaited<Started['done']> }> {
  writeFileSync(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), what: 'the test', nonce: 'test' }) + '\n');
  const pa = kcStart(a, env);
  const pb = kcStart(b, env);
  const waited = await Promise.all([pa.printed('another signer is writing'), pb.printed('another signer is writing')]);
  rmSync(lockPath, { force: true });
  const [ra, rb] = await Promise.all([pa.done, pb.done]);
  assert.deepEqual(waited, [true, true], `both signers waited for the lock:\n--- a\n${ra.err}\n--- b\n${rb.err}`);
  assert.match(ra.err, /another signer is writing .* \(keyceremony process \d+ on .*\); retrying until it is done/);
  assert.equal(ra.code, 0, ra.err);
  assert.equal(rb.code, 0, rb.err);
  assert.ok(!existsSync(lockPath), 'the lock file is gone');
  return { a: ra, b: rb };
}

test(`tuf sign: two custodians on one request file at once, ${RUNS} runs, both signatures on disk every time`, async () => {
  await kc([
    'tuf',
    'init',
    '--out',
    join(dir, 'tuf'),
    '--threshold',
    '2',
    '--online-key',
    join(dir, 'online.pem'),
    '--root-key',
    join(dir, 'a.pem'),
    '--root-key',
    join(dir, 'b.pem'),
  ]);
  const template = join(dir, 'tuf', 'requests', '1.root.request.json');
  for (let i = 0; i < RUNS; i++) {
    const file = join(dir, `tuf-${i}.request.json`);
    copyFileSync(template, file);
    const r = await race(lockFileOf(file), ['tuf', 'sign', file, ...key('a')], ['tuf', 'sign', file, ...key('b')]);
    const req = JSON.parse(readFileSync(file, 'utf8')) as { signatures: { keyid: string }[] };
    assert.equal(req.signatures.length, 2, `run ${i + 1}: both signatures in the file`);
    assert.equal(new Set(req.signatures.map((s) => s.keyid)).size, 2);
    assert.match(r.a.out + r.b.out, /root v1: signed by 2 of 2 required root keys — complete/, 'the second writer reports the merged file');
    assert.match(r.a.err + r.b.err, /kept 1 signature\(s\) another signer wrote meanwhile/);
  }
});

test(`cosign request sign: two signers on one request at once, ${RUNS} runs, both entries on disk every time`, async () => {
  const digest = 'a'.repeat(64);
  writeFileSync(join(dir, 'images.txt'), `registry.example.com/rel/app@sha256:${digest}\n`);
  const template = join(dir, 'cosign-template.json');
  await kc([
    'cosign',
    'request',
    'create',
    '--images',
    join(dir, 'images.txt'),
    '--signer',
    `alice=${join(dir, 'a.pem')}`,
    '--signer',
    `bob=${join(dir, 'b.pem')}`,
    '--m',
    '2',
    '--out',
    template,
  ]);
  for (let i = 0; i < RUNS; i++) {
    const file = join(dir, `cosign-${i}.json`);
    copyFileSync(template, file);
    const r = await race(
      lockFileOf(file),
      ['cosign', 'request', 'sign', '--request', file, ...key('a')],
      ['cosign', 'request', 'sign', '--request', file, ...key('b')],
    );
    const req = JSON.parse(readFileSync(file, 'utf8')) as { signatures: { fingerprint: string }[] };
    assert.equal(req.signatures.length, 2, `run ${i + 1}: both entries in the file`);
    assert.match(r.a.out + r.b.out, /2 of 2 signatures .* — complete/);
  }
});

test(`notary sign: two root custodians on one folder at once, ${RUNS} runs, both signatures on disk every time`, async () => {
  const gun = 'registry.example.com/rel/app';
  for (const k of ['a', 'b']) await kc(['notary', 'cert', '--gun', gun, ...key(k), '--out', join(dir, `${k}.crt`)]);
  const template = join(dir, 'notary-template');
  await kc([
    'notary',
    'init',
    '--gun',
    gun,
    '--dir',
    template,
    '--root-cert',
    join(dir, 'a.crt'),
    '--root-cert',
    join(dir, 'b.crt'),
    '--root-threshold',
    '2',
    '--targets-key',
    join(dir, 'online.pem'),
    '--snapshot-key',
    join(dir, 'snap.pem'),
    '--timestamp-key',
    join(dir, 'ts.pem'),
  ]);
  for (let i = 0; i < RUNS; i++) {
    const repo = join(dir, `notary-${i}`);
    cpSync(template, repo, { recursive: true });
    const r = await race(
      join(repo, REPO_LOCK),
      ['notary', 'sign', '--dir', repo, '--role', 'root', ...key('a')],
      ['notary', 'sign', '--dir', repo, '--role', 'root', ...key('b')],
    );
    const root = JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')) as { signatures: { keyid: string }[] };
    assert.equal(root.signatures.length, 2, `run ${i + 1}: both signatures in root.json`);
    assert.match(r.a.out + r.b.out, /root v1: signed by 2 of 2 required root keys \(complete\)/);
    assert.match(r.a.err + r.b.err, /changed while you signed \(another signer wrote it\): signing root again over the files as they are now/);
  }
});

test('notary sign killed between root.json and 1.root.json: the re-run completes the write and says so', async () => {
  const repo = join(dir, 'notary-torn');
  cpSync(join(dir, 'notary-template'), repo, { recursive: true });
  const before = readFileSync(join(repo, '1.root.json'));
  await kc(['notary', 'sign', '--dir', repo, '--role', 'root', ...key('a')]);
  writeFileSync(join(repo, '1.root.json'), before); // as if the process died after its first rename
  const out = await kc(['notary', 'sign', '--dir', repo, '--role', 'root', ...key('a')]);
  assert.match(out, /already signed by this key/);
  assert.match(out, /completed an interrupted write: 1\.root\.json now holds this signature too/);
  assert.deepEqual(readFileSync(join(repo, '1.root.json')), readFileSync(join(repo, 'root.json')));
});

test('a lock left by a signer that died is taken over: the next tuf sign writes its signature and removes the lock', async () => {
  const file = join(dir, 'tuf-stale.request.json');
  copyFileSync(join(dir, 'tuf', 'requests', '1.root.request.json'), file);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(
    lockFileOf(file),
    JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: '2026-11-30T08:00:00.000Z', what: 'the test', nonce: 'dead' }) + '\n',
  );
  const p = kcStart(['tuf', 'sign', file, ...key('a')], env);
  const r = await p.done;
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /another signer is writing/);
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { signatures: unknown[] }).signatures.length, 1);
  assert.ok(!existsSync(lockFileOf(file)));
});

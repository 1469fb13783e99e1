/**
 * Issue 12 item 2: `backup recover` killed half way (strace kills it while SoftHSM writes the objects
 * it creates) is resumable. A run killed after the unwrap left the private key without its public
 * half: the re-run finds it by id, proves it by a fresh signature under the backup's public key,
 * creates the public half and says so (also with no journal entry). A run killed inside the unwrap
 * left a torn private key: the re-run removes it, says so, and recovers. Every end state: exactly one
 * private and one public key, and no KEY_AMBIGUOUS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry, kcAsync } from '../helpers/ceremony-run';
import { ftruncates, killAtFtruncate, pointInObject } from '../helpers/strace';
import { provisionSoftHsm } from '../../electron/adapters/softhsm';

const work = mkdtempSync(join(tmpdir(), 'kc-crash-recover-'));
after(() => rmSync(work, { recursive: true, force: true }));
let backup: string;
let shareArgs: string[];

function envFor(dir: string, state = join(dir, 'state')) {
  const hsm = provisionSoftHsm(join(work, dir), ['rec'], { pin: '1234', soPin: '12345678' });
  return {
    hsm,
    env: {
      ...process.env,
      SOFTHSM2_CONF: hsm.conf,
      KEYCEREMONY_PKCS11_MODULE: hsm.module,
      KEYCEREMONY_STATE_DIR: join(work, state),
      KEYCEREMONY_PIN: '',
      KEYCEREMONY_SO_PIN: '',
    },
  };
}
const recoverArgs = () => ['backup', 'recover', '--backup', backup, '--token', 'rec', '--pin-file', join(work, 'pin'), ...shareArgs];
function objectsOn(t: ReturnType<typeof envFor>): string[] {
  const out = execFileSync('pkcs11-tool', ['--module', t.hsm.module, '--token-label', 'rec', '--login', '--pin', '1234', '--list-objects'], {
    env: t.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split(/\n(?=\S)/).filter((b) => /Object/.test(b));
}

before(async () => {
  writeFileSync(join(work, 'pin'), '1234');
  writeFileSync(join(work, 'so'), '12345678');
  const src = provisionSoftHsm(join(work, 'src'), ['src'], { pin: '1234', soPin: '12345678' });
  const env = { SOFTHSM2_CONF: src.conf, KEYCEREMONY_PKCS11_MODULE: src.module, KEYCEREMONY_STATE_DIR: join(work, 'src-state') };
  const g = await kcAsync(['keygen', '--token', 'src', '--type', 'ecdsa-p256', '--label', 'ca-root', '--backupable', '--pin-file', join(work, 'pin')], env);
  assert.equal(g.code, 0, g.err);
  const b = await kcAsync(
    [
      'backup',
      'create',
      '--token',
      'src',
      '--label',
      'ca-root',
      '--m',
      '2',
      '--n',
      '3',
      '--out',
      join(work, 'bk'),
      '--pin-file',
      join(work, 'pin'),
      '--so-pin-file',
      join(work, 'so'),
    ],
    env,
  );
  assert.equal(b.code, 0, b.err);
  const set = join(
    work,
    'bk',
    readdirSync(join(work, 'bk')).find((n) => n.startsWith('set-'))!,
  );
  backup = join(set, 'backup.json');
  shareArgs = readdirSync(join(set, 'shares'))
    .filter((f) => f.endsWith('.txt'))
    .slice(0, 2)
    .flatMap((f) => ['--share-file', join(set, 'shares', f)]);
});

/** Kill `backup recover` at the k-th rewrite of the n-th object file it writes (1: the unwrapped key, 2: its public half). */
function crashRecover(name: string, nthObject: number, kthRewrite: number) {
  const learn = envFor(`${name}-learn`);
  const seen = ftruncates([process.execPath, cliEntry(), ...recoverArgs()], learn.env);
  assert.equal(seen.run.code, 0, seen.run.err);
  const t = envFor(name);
  const killed = killAtFtruncate([process.execPath, cliEntry(), ...recoverArgs()], t.env, pointInObject(seen.files, nthObject, kthRewrite));
  assert.ok(killed.signal === 'SIGKILL' || killed.code === 137, `killed: ${killed.signal} ${killed.code} ${killed.err}`);
  return t;
}

test('killed after the unwrap (the public half never written): the re-run proves the key it unwrapped and completes it', async () => {
  const t = crashRecover('after-unwrap', 2, 1);
  const left = objectsOn(t);
  assert.ok(
    left.some((b) => /^Private Key Object/.test(b) && /label:\s+ca-root/.test(b)),
    left.join('\n'),
  );
  assert.ok(!left.some((b) => /^Public Key Object/.test(b)), 'no public half');
  const r = await kcAsync(recoverArgs(), t.env);
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(
    r.out,
    /resumed: the private key an interrupted recovery had unwrapped .* made a signature that verifies under the backup's public key; its public half was created/,
  );
  const now = objectsOn(t);
  assert.equal(now.filter((b) => /^Private Key Object/.test(b)).length, 1, now.join('\n'));
  assert.equal(now.filter((b) => /^Public Key Object/.test(b)).length, 1);
  const again = await kcAsync(recoverArgs(), t.env);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /already recovered/);
  assert.equal(objectsOn(t).length, now.length);
});

test('the same without any journal entry (state lost): found by its id and proven by a signature under the backup key', async () => {
  const t = crashRecover('no-journal', 2, 1);
  const r = await kcAsync(recoverArgs(), { ...t.env, KEYCEREMONY_STATE_DIR: join(work, 'empty-state') });
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(r.out, /resumed: .*verifies under the backup's public key/);
  assert.equal(objectsOn(t).filter((b) => /^Private Key Object/.test(b)).length, 1);
});

test('killed inside the unwrap (a torn private key): the re-run removes it, says so, and recovers once', async () => {
  const t = crashRecover('in-unwrap', 1, 11);
  const left = objectsOn(t);
  assert.ok(
    left.some((b) => /^Private Key Object/.test(b) && /label:[ \t]*$/m.test(b)),
    `torn:\n${left.join('\n')}`,
  );
  const r = await kcAsync(recoverArgs(), t.env);
  assert.equal(r.code, 0, r.err + r.out);
  assert.match(r.out, /removed \(left by an interrupted recovery\): a private key without label, without id/);
  const now = objectsOn(t);
  assert.equal(now.filter((b) => /^Private Key Object/.test(b)).length, 1, now.join('\n'));
  assert.match(now.find((b) => /^Private Key Object/.test(b)) ?? '', /label:\s+ca-root[\s\S]*Access:\s+sensitive/);
  assert.equal(now.filter((b) => /^Public Key Object/.test(b)).length, 1);
});

test('another key under the backup id is never taken for it: a whole pair, or a lone private key whose signature does not verify, is refused and left alone', async () => {
  const t = envFor('other-key');
  const id = (JSON.parse((await import('node:fs')).readFileSync(backup, 'utf8')) as { key: { id: string } }).key.id;
  const g = await kcAsync(['keygen', '--token', 'rec', '--type', 'ecdsa-p256', '--label', 'ca-root', '--id', id, '--pin-file', join(work, 'pin')], t.env);
  assert.equal(g.code, 0, g.err);
  const whole = objectsOn(t);
  const r1 = await kcAsync(recoverArgs(), t.env);
  assert.equal(r1.code, 1);
  assert.match(r1.err, /error\[KEY_EXISTS\]/);
  assert.deepEqual(objectsOn(t), whole);
  execFileSync(
    'pkcs11-tool',
    ['--module', t.hsm.module, '--token-label', 'rec', '--login', '--pin', '1234', '--delete-object', '--type', 'pubkey', '--id', id],
    { env: t.env, stdio: 'ignore' },
  );
  const lone = objectsOn(t);
  assert.equal(lone.length, 1);
  const r2 = await kcAsync(recoverArgs(), t.env);
  assert.equal(r2.code, 1);
  assert.match(r2.err, /error\[KEY_EXISTS\].*not the key of this backup/);
  assert.deepEqual(objectsOn(t), lone);
});

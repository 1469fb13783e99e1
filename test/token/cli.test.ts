/** The keyceremony CLI (built bundle) against a real SoftHSM2 token. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';

const BIN = resolve('bin/keyceremony.mjs');
let hsm: TestHsm;
let dir: string;

function kc(args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    input: opts.input ?? '',
    env: { ...process.env, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_PIN: '', ...opts.env },
  });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString(), raw: r.stdout };
}

before(async () => {
  hsm = await makeSoftHsm(['cli-a']);
  dir = mkdtempSync(join(tmpdir(), 'kc-cli-'));
  writeFileSync(join(dir, 'pin'), '1234\n');
  writeFileSync(join(dir, 'badpin'), '0000\n');
  writeFileSync(join(dir, 'msg'), 'sign me');
});
after(() => {
  hsm?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('tokens --json lists the token with serial and flags', () => {
  const r = kc(['tokens', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const t = j.tokens.find((x: { label: string }) => x.label === 'cli-a');
  assert.equal(t.serial, hsm.tokens[0]?.serial);
  assert.equal(t.flags.loginRequired, true);
});

test('keygen, pubkey, sign (file and stdin, flags and pkcs11: URI); openssl verifies; no PIN in any output', () => {
  const g = kc(['keygen', '--token', 'cli-a', '--type', 'ecdsa-p256', '--label', 'rel', '--pin-file', 'pin', '--json']);
  assert.equal(g.code, 0, g.err);
  const key = JSON.parse(g.out).key;
  assert.equal(JSON.parse(g.out).created, true);
  assert.equal(JSON.parse(kc(['keygen', '--token', 'cli-a', '--type', 'ecdsa-p256', '--label', 'rel', '--pin-file', 'pin', '--json']).out).created, false);
  writeFileSync(join(dir, 'pub.pem'), key.publicKeyPem);
  const p = kc(['pubkey', '--token', 'cli-a', '--label', 'rel', '--pin-file', 'pin']);
  assert.equal(p.out.trim(), key.publicKeyPem.trim());

  const s1 = kc(['sign', '--token', 'cli-a', '--label', 'rel', '--in', 'msg', '--pin-file', 'pin']);
  assert.equal(s1.code, 0, s1.err);
  writeFileSync(join(dir, 'sig1'), Buffer.from(s1.out.trim(), 'base64'));
  const s2 = kc(['sign', '--key', key.uri, '--in', '-'], { input: 'sign me', env: { KEYCEREMONY_PIN: '1234' } });
  assert.equal(s2.code, 0, s2.err);
  writeFileSync(join(dir, 'sig2'), Buffer.from(s2.out.trim(), 'base64'));
  for (const sig of ['sig1', 'sig2']) {
    const v = spawnSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', sig, 'msg'], { cwd: dir, encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
  }
  for (const r of [g, p, s1, s2]) assert.doesNotMatch(r.out + r.err, /\b1234\b/);
});

test('wrong PIN: exit 1 with PIN_INCORRECT naming the token; the wrong PIN is not echoed', () => {
  const r = kc(['sign', '--token', 'cli-a', '--label', 'rel', '--in', 'msg', '--pin-file', 'badpin']);
  assert.equal(r.code, 1);
  assert.match(r.err, /error\[PIN_INCORRECT\].*cli-a/);
  assert.doesNotMatch(r.err + r.out, /0000/);
});

test('a PIN on the command line, in a URI, or a missing PIN with no terminal are refused', () => {
  const a = kc(['sign', '--token', 'cli-a', '--label', 'rel', '--in', 'msg', '--pin', '1234']);
  assert.equal(a.code, 1);
  assert.match(a.err, /command line/);
  const b = kc(['sign', '--key', 'pkcs11:token=cli-a;object=rel?pin-value=1234', '--in', 'msg']);
  assert.equal(b.code, 1);
  assert.match(b.err, /INVALID_URI/);
  const c = kc(['sign', '--token', 'cli-a', '--label', 'rel', '--in', 'msg']);
  assert.equal(c.code, 1);
  assert.match(c.err, /PIN_REQUIRED/);
  // a PIN file that never ends (/dev/zero) is refused by its limit, not read forever
  const z = kc(['sign', '--token', 'cli-a', '--label', 'rel', '--in', 'msg', '--pin-file', '/dev/zero']);
  assert.equal(z.code, 1);
  assert.match(z.err, /error\[TOO_LARGE\]: The PIN file \/dev\/zero is too large: more than 4096 bytes \(limit 4096 bytes\)/);
});

test('usage errors exit 2; unknown token and unknown key type exit 1 with clear errors', () => {
  assert.equal(kc(['keygen', '--token', 'cli-a']).code, 2);
  assert.equal(kc(['frobnicate']).code, 2);
  const t = kc(['keygen', '--token', 'nope', '--type', 'ed25519', '--label', 'x', '--pin-file', 'pin']);
  assert.equal(t.code, 1);
  assert.match(t.err, /TOKEN_NOT_FOUND.*"cli-a"/);
  const k = kc(['keygen', '--token', 'cli-a', '--type', 'dsa-1024', '--label', 'x', '--pin-file', 'pin']);
  assert.equal(k.code, 1);
  assert.match(k.err, /ALGORITHM_UNSUPPORTED/);
});

test('cert writes a PEM openssl accepts', () => {
  // its own key: this test does not lean on the keygen test having run
  assert.equal(kc(['keygen', '--token', 'cli-a', '--type', 'ecdsa-p256', '--label', 'cert-key', '--pin-file', 'pin']).code, 0);
  const r = kc(['cert', '--token', 'cli-a', '--label', 'cert-key', '--cn', 'example.com/app', '--out', 'c.pem', '--pin-file', 'pin']);
  assert.equal(r.code, 0, r.err);
  const v = spawnSync('openssl', ['verify', '-CAfile', 'c.pem', 'c.pem'], { cwd: dir, encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.match(readFileSync(join(dir, 'c.pem'), 'utf8'), /BEGIN CERTIFICATE/);
});

/**
 * Issue 12 item 1: a crash inside C_GenerateKeyPair (SoftHSM killed while it writes the private key
 * object, with strace) leaves a complete public key and a torn private key. A re-run must not add a
 * second key pair: it names what the interrupted run left (KEY_INCOMPLETE) and, with the custodian's
 * consent (--remove-incomplete), removes exactly those objects and generates the key once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry, kcAsync } from '../helpers/ceremony-run';
import { ftruncates, killAtFtruncate, pointInObject } from '../helpers/strace';
import { provisionSoftHsm } from '../../electron/adapters/softhsm';

const work = mkdtempSync(join(tmpdir(), 'kc-crash-keygen-'));
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'pin'), '1234');

function freshToken(name: string) {
  const hsm = provisionSoftHsm(join(work, name), ['kg'], { pin: '1234', soPin: '12345678' });
  return {
    hsm,
    env: {
      ...process.env,
      SOFTHSM2_CONF: hsm.conf,
      KEYCEREMONY_PKCS11_MODULE: hsm.module,
      KEYCEREMONY_STATE_DIR: join(work, name, 'state'),
      KEYCEREMONY_PIN: '',
    },
  };
}

const keygen = (extra: string[] = []) => [
  'keygen',
  '--token',
  'kg',
  '--type',
  'ecdsa-p256',
  '--label',
  'root-1',
  '--id',
  '0a0b0c',
  '--pin-file',
  join(work, 'pin'),
  ...extra,
];

function objects(t: ReturnType<typeof freshToken>): string[] {
  const out = execFileSync('pkcs11-tool', ['--module', t.hsm.module, '--token-label', 'kg', '--login', '--pin', '1234', '--list-objects'], {
    env: t.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split(/\n(?=\S)/).filter((b) => /Object/.test(b));
}

test('keygen killed while SoftHSM writes the private key: the re-run adds no key, names the torn objects, and removes them only when asked', async () => {
  // learning run: where SoftHSM rewrites the private key object (the 2nd object file it writes)
  const learn = freshToken('learn');
  const seen = ftruncates([process.execPath, cliEntry(), ...keygen()], learn.env);
  assert.equal(seen.run.code, 0, seen.run.err);
  const n = pointInObject(seen.files, 2, 11);

  const t = freshToken('crash');
  const killed = killAtFtruncate([process.execPath, cliEntry(), ...keygen()], t.env, n);
  assert.ok(killed.signal === 'SIGKILL' || killed.code === 137, `killed inside C_GenerateKeyPair: ${killed.signal} ${killed.code} ${killed.err}`);
  const torn = objects(t);
  assert.ok(
    torn.some((b) => /^Public Key Object/.test(b) && /label:\s+root-1/.test(b)),
    'the public half is complete',
  );
  assert.ok(
    torn.some((b) => /^Private Key Object/.test(b) && !/label:\s+root-1/.test(b)),
    `the private half is torn:\n${torn.join('\n')}`,
  );

  // a plain re-run refuses and changes nothing
  const again = await kcAsync(keygen(), t.env);
  assert.equal(again.code, 1, again.out + again.err);
  assert.match(again.err, /error\[KEY_INCOMPLETE\]/);
  assert.match(again.err, /public key labelled "root-1", id 0a0b0c/);
  assert.match(again.err, /private key without label, without id/);
  assert.match(again.err, /--remove-incomplete/);
  assert.equal(objects(t).length, torn.length, 'nothing added, nothing removed');

  // with consent: the torn objects go, the key is made once
  const fixed = await kcAsync(keygen(['--remove-incomplete']), t.env);
  assert.equal(fixed.code, 0, fixed.err);
  assert.match(fixed.out, /removed incomplete object: .*public key labelled "root-1"/);
  assert.match(fixed.out, /removed incomplete object: .*private key without label/);
  assert.match(fixed.out, /^created: ecdsa-p256 key "root-1" id 0a0b0c/m);
  const now = objects(t);
  assert.equal(now.length, 2, now.join('\n'));
  assert.match(now.find((b) => /^Private Key Object/.test(b)) ?? '', /label:\s+root-1[\s\S]*Access:\s+sensitive, always sensitive, never extractable, local/);

  // idempotent from here on
  const third = await kcAsync(keygen(), t.env);
  assert.equal(third.code, 0, third.err);
  assert.match(third.out, /^already present:/m);
  assert.equal(objects(t).length, 2);
});

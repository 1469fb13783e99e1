/**
 * Issue 12 item 8: two ceremonies on the same tokens raced — one of three probe runs left a second
 * `tuf-root-1` key on a root token. A ceremony now holds each token it uses (by serial) for the whole run:
 * a second ceremony on a held token is refused at once (TOKEN_IN_USE naming the token and the holder: its
 * ceremony and run folder, run id, process), a second run in the same folder too (CONFLICT), and the locks
 * of a ceremony that died are taken over. A keygen outside a ceremony is refused on a held token too. Real CLI processes on SoftHSM2 tokens; the key is counted with
 * OpenSC pkcs11-tool.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { kcAsync, kcStart } from '../helpers/ceremony-run';

let hsm: TestHsm;
let dir: string;
let env: Record<string, string>;

before(async () => {
  hsm = await makeSoftHsm(['race-a']);
  dir = mkdtempSync(join(tmpdir(), 'kc-token-locks-'));
  writeFileSync(join(dir, 'user.pin'), '1234\n');
  env = { KEYCEREMONY_PKCS11_MODULE: hsm.module, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_LOCK_DIR: join(dir, 'locks'), KEYCEREMONY_PIN: '' };
});
after(() => {
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A production ceremony making one root key on one token (serial pinned), then signing its root. */
function writeScript(name: string, label: string, serial: string): string {
  const people = [
    { id: 'admin', name: 'Admin', role: 'administrator' },
    { id: 'c1', name: 'Custodian One', role: 'custodian' },
    { id: 'w', name: 'Witness', role: 'witness' },
  ];
  const script = {
    version: 1,
    name,
    title: 'One root key',
    participants: people,
    tokens: [{ id: 't1', label, serial, custodian: 'c1' }],
    keys: [{ id: 'root-1', token: 't1', label: 'tuf-root-1', keyType: 'ecdsa-p256' }],
    steps: [
      {
        id: 'keygen',
        kind: 'keygen',
        params: { keys: ['root-1'] },
        acknowledgements: [{ id: 'fp', by: 'w', statement: 'Fingerprint read aloud.', allowAnswersFile: true }],
      },
      {
        id: 'sign',
        kind: 'tuf-repository',
        params: { rootKeys: ['root-1'], rootThreshold: 1, online: { targets: ['root-1'], snapshot: ['root-1'], timestamp: ['root-1'] } },
      },
      { id: 'close', kind: 'close', params: { signWith: ['root-1'] } },
    ],
  };
  const p = join(dir, `${name}-${label}.json`);
  writeFileSync(p, JSON.stringify(script, null, 2));
  writeFileSync(join(dir, 'answers.json'), JSON.stringify({ pins: { t1: 'user.pin' }, acknowledge: 'all' }));
  return p;
}

const run = (script: string, out: string) => ['ceremony', 'run', script, '--answers', join(dir, 'answers.json'), '--out', join(dir, out)];

/** The private and public keys labelled tuf-root-1 on the token, as OpenSC pkcs11-tool lists them. */
function rootKeys(label: string): string[] {
  const out = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', label, '--login', '--pin', '1234', '--list-objects'], {
    env: { ...process.env, SOFTHSM2_CONF: hsm.conf },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split(/\n(?=\S)/)
    .filter((b) => /label:\s+tuf-root-1\s*$/m.test(b))
    .map((b) => b.split('\n')[0]!);
}

test('a second ceremony on a held token is refused at once, naming the token and the holder; a dead holder is taken over; one key in the end', async () => {
  const serial = hsm.tokens[0]!.serial;
  const script = writeScript('race', 'race-a', serial);
  // A stops right before its key generation: it holds the token from its start
  const a = kcStart(run(script, 'a'), { ...env, KEYCEREMONY_TEST_PAUSE_AT: 'keygen:start' });
  try {
    assert.ok(await a.printed('KEYCEREMONY_TEST_PAUSED keygen:start'), a.err());
    const runA = (JSON.parse(readFileSync(join(dir, 'a', 'state.json'), 'utf8')) as { runId: string }).runId;

    const b = await kcAsync(run(script, 'b'), env);
    assert.equal(b.code, 1, b.out + b.err);
    assert.match(
      b.err,
      new RegExp(
        `error\\[TOKEN_IN_USE\\]: Token "race-a" \\(serial ${serial}\\) is in use by another ceremony: ceremony "race" in ${join(dir, 'a')}, run ${runA} \\(keyceremony process ${a.pid} on .*\\)\\. A token takes part in one ceremony at a time`,
      ),
    );
    assert.ok(!existsSync(join(dir, 'b', 'state.json')), 'nothing of the second run was started');

    const same = await kcAsync(run(script, 'a'), env);
    assert.equal(same.code, 1);
    assert.match(
      same.err,
      new RegExp(
        `error\\[CONFLICT\\]: The run folder ${join(dir, 'a')} is in use by ceremony "race" in ${join(dir, 'a')}, run ${runA} \\(keyceremony process ${a.pid} `,
      ),
    );
    // A keygen outside any ceremony is refused the same way (it would race the ceremony's key generation)
    const keygen = await kcAsync(['keygen', '--serial', serial, '--type', 'ecdsa-p256', '--label', 'tuf-root-1', '--pin-file', join(dir, 'user.pin')], env);
    assert.equal(keygen.code, 1, keygen.out + keygen.err);
    assert.match(
      keygen.err,
      new RegExp(
        `error\\[TOKEN_IN_USE\\]: Token "race-a" \\(serial ${serial}\\) is in use by another ceremony: ceremony "race" in ${join(dir, 'a')}, run ${runA} `,
      ),
    );
    assert.deepEqual(rootKeys('race-a'), [], 'no key yet');
  } finally {
    a.kill();
    await a.done;
  }

  // A died holding its locks: B takes them over and makes the key once
  assert.equal(readdirSync(join(dir, 'locks')).length, 1, 'the dead run left its token lock');
  const b2 = await kcAsync(run(script, 'b'), env);
  assert.equal(b2.code, 0, b2.err);
  assert.equal(rootKeys('race-a').length, 2, 'one key pair (private + public)');
  assert.deepEqual(readdirSync(join(dir, 'locks')), [], 'locks released at the end of the run');
  assert.ok(!existsSync(join(dir, 'b', '.keyceremony-run.lock')));

  // A resumed later does not add a second key: the token already has another tuf-root-1
  const a2 = await kcAsync(run(script, 'a'), env);
  assert.equal(a2.code, 1, a2.out);
  assert.match(a2.err, /error\[KEY_EXISTS\]/);
  assert.equal(rootKeys('race-a').length, 2, 'still one key pair');
});

test('two ceremonies started together on the same token, 3 runs: never a second key', async () => {
  for (let i = 0; i < 3; i++) {
    const label = `race-t${i}`;
    const serial = hsm.addToken(label).serial;
    const script = writeScript(`together${i}`, label, serial);
    const [x, y] = await Promise.all([kcAsync(run(script, `x${i}`), env), kcAsync(run(script, `y${i}`), env)]);
    const codes = [x.code, y.code].sort();
    assert.deepEqual(codes, [0, 1], `run ${i + 1}: one ceremony made the key, the other stopped\n--- x\n${x.err}\n--- y\n${y.err}`);
    const loser = x.code === 1 ? x : y;
    assert.match(loser.err, /error\[(TOKEN_IN_USE|KEY_EXISTS)\]/);
    assert.equal(rootKeys(label).length, 2, `run ${i + 1}: one key pair on the token`);
  }
});

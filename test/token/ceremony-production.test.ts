/**
 * A production (non-rehearsal) ceremony on SoftHSM2 tokens made by the test: serials pinned in the
 * script, PINs from files (answers file), preflight failures blocking unless a justified deviation is
 * recorded, a wrong token serial refused, and a bundle that `bundle verify --production` accepts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { allFiles, kcSync } from '../helpers/ceremony-run';

let hsm: TestHsm;
let dir: string;
before(async () => {
  hsm = await makeSoftHsm(['prod-root-1', 'prod-root-2', 'prod-online'], { pin: 'Prod-Pin-4821', soPin: 'Prod-So-77310' });
  dir = mkdtempSync(join(tmpdir(), 'kc-prod-'));
  writeFileSync(join(dir, 'user.pin'), 'Prod-Pin-4821\n');
});
after(() => {
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function script(serials: string[], opts: { allowAnswersFile?: boolean } = { allowAnswersFile: true }) {
  const allow = opts.allowAnswersFile ? { allowAnswersFile: true } : {};
  const people = [
    { id: 'admin', name: 'Admin', role: 'administrator' },
    { id: 'c1', name: 'Custodian One', role: 'custodian' },
    { id: 'c2', name: 'Custodian Two', role: 'custodian' },
    { id: 'w', name: 'Witness', role: 'witness' },
  ];
  return {
    version: 1,
    name: 'prod-root',
    title: 'Production TUF root on two tokens',
    participants: people,
    tokens: [
      { id: 't1', label: 'prod-root-1', serial: serials[0], custodian: 'c1' },
      { id: 't2', label: 'prod-root-2', serial: serials[1], custodian: 'c2' },
      { id: 'to', label: 'prod-online', serial: serials[2] },
    ],
    keys: [
      { id: 'root-1', token: 't1', label: 'root-1', keyType: 'ecdsa-p256' },
      { id: 'root-2', token: 't2', label: 'root-2', keyType: 'ed25519' },
      { id: 'online', token: 'to', label: 'online', keyType: 'ecdsa-p256' },
    ],
    steps: [
      { id: 'preflight', kind: 'preflight', params: { expiresInDays: { root: 365 } } },
      { id: 'check-in', kind: 'check-in', acknowledgements: [{ id: 'here', by: 'role:custodian', statement: 'My token serial matches.', ...allow }] },
      {
        id: 'keygen',
        kind: 'keygen',
        params: { keys: ['root-1', 'root-2', 'online'] },
        acknowledgements: [{ id: 'fp', by: 'w', statement: 'Fingerprints read aloud.', ...allow }],
      },
      {
        id: 'sign',
        kind: 'tuf-repository',
        params: { rootKeys: ['root-1', 'root-2'], rootThreshold: 2, online: { targets: ['online'], snapshot: ['online'], timestamp: ['online'] } },
      },
      { id: 'export', kind: 'export' },
      { id: 'close', kind: 'close', params: { signWith: ['root-1', 'root-2'] } },
    ],
  };
}

const pins = { t1: 'user.pin', t2: 'user.pin', to: 'user.pin' };
const everyCheckButTokens = {
  'network-interfaces': 'Test machine: the container keeps its loopback network.',
  'default-route': 'Test machine: the container keeps its loopback network.',
  wireless: 'Test machine: no radio is used by this test.',
  clock: 'Test machine: the clock is whatever the host says.',
};

test('production: preflight blocks on a wrong token serial; a wrong serial at check-in is refused', () => {
  const serials = hsm.tokens.map((t) => t.serial);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(script(['0000000000000000', serials[1]!, serials[2]!])));
  writeFileSync(join(dir, 'answers-bad.json'), JSON.stringify({ pins, acknowledge: 'all', deviations: everyCheckButTokens }));
  const r = kcSync(['ceremony', 'run', join(dir, 'bad.json'), '--answers', join(dir, 'answers-bad.json'), '--out', join(dir, 'bad-out')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /error\[PRECONDITION_FAILED\]: Preflight check "tokens" failed: missing token\(s\): prod-root-1 \(serial 0000000000000000\)/);

  writeFileSync(
    join(dir, 'answers-bad2.json'),
    JSON.stringify({ pins, acknowledge: 'all', deviations: { ...everyCheckButTokens, tokens: 'Deliberately wrong serial to prove check-in refuses it.' } }),
  );
  const r2 = kcSync(['ceremony', 'run', join(dir, 'bad.json'), '--answers', join(dir, 'answers-bad2.json'), '--out', join(dir, 'bad-out2')]);
  assert.equal(r2.code, 1);
  assert.match(r2.err, /error\[TOKEN_NOT_RECOGNIZED\]: Token "prod-root-1" has serial \S+, the script expects 0000000000000000/);
  const t = readFileSync(join(dir, 'bad-out2', 'prod-root-bundle', 'transcript.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(t[t.length - 1].event, 'step-failed');
  assert.match(t[t.length - 1].note, /^TOKEN_NOT_RECOGNIZED: /);
});

test('production: with justified deviations the ceremony runs; bundle verify --production accepts it; no PIN written', () => {
  const serials = hsm.tokens.map((t) => t.serial);
  writeFileSync(join(dir, 'good.json'), JSON.stringify(script(serials), null, 2));
  writeFileSync(join(dir, 'answers.json'), JSON.stringify({ pins, acknowledge: 'all', deviations: { ...everyCheckButTokens, 'removable-media': 'n/a' } }));
  const out = join(dir, 'out');
  const r = kcSync(['ceremony', 'run', join(dir, 'good.json'), '--answers', join(dir, 'answers.json'), '--out', out]);
  assert.equal(r.code, 0, r.err + r.out);
  assert.ok(existsSync(join(out, 'prod-root.kcbundle.tar')));
  assert.ok(!allFiles(out).some((f) => f.includes('REHEARSAL')));
  const v = kcSync(['bundle', 'verify', '--production', join(out, 'prod-root.kcbundle.tar')]);
  assert.equal(v.code, 0, v.err);
  const lines = readFileSync(join(out, 'prod-root-bundle', 'transcript.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(lines.every((e) => e.rehearsal === false));
  const pre = lines.find((e) => e.event === 'preflight');
  const failed = pre.checks
    .filter((c: { status: string }) => c.status === 'fail')
    .map((c: { id: string }) => c.id)
    .sort();
  assert.deepEqual((pre.deviations ?? []).map((d: { check: string }) => d.check).sort(), failed);
  const checkins = lines.filter((e) => e.event === 'token-checked-in').map((e) => e.token.serial);
  assert.deepEqual(checkins, serials);
  for (const f of allFiles(out)) assert.ok(!readFileSync(f).includes('Prod-Pin-4821'), f);
  // the same bundle is refused as production if it were a rehearsal, and a rehearsal one is refused here
  const root1 = JSON.parse(readFileSync(join(out, 'prod-root-bundle', 'metadata', '1.root.json'), 'utf8'));
  assert.equal(root1.signed.roles.root.threshold, 2);
  assert.equal(root1.signatures.length, 2);
  // every acknowledgement records that the answers file gave it
  const acks = lines.flatMap((e) => e.acknowledgements ?? []);
  assert.deepEqual(
    acks.map((a: { by: string; source: string }) => `${a.by}:${a.source}`),
    ['c1:answers-file', 'c2:answers-file', 'w:answers-file'],
  );
  assert.match(readFileSync(join(out, 'prod-root-bundle', 'transcript.html'), 'utf8'), /✔ w \(from the answers file\): “Fingerprints read aloud\.”/);
});

test('production: an answers file cannot acknowledge for custodians and witnesses unless the script allows it; no key is made', () => {
  const serials = hsm.tokens.map((t) => t.serial);
  writeFileSync(join(dir, 'strict.json'), JSON.stringify(script(serials, { allowAnswersFile: false }), null, 2));
  writeFileSync(
    join(dir, 'answers-strict.json'),
    JSON.stringify({ pins, acknowledge: 'all', deviations: { ...everyCheckButTokens, 'removable-media': 'n/a' } }),
  );
  const out = join(dir, 'out-strict');
  const r = kcSync(['ceremony', 'run', join(dir, 'strict.json'), '--answers', join(dir, 'answers-strict.json'), '--out', out]);
  assert.equal(r.code, 1, r.out);
  assert.match(
    r.err,
    /error\[PRECONDITION_FAILED\]: Custodian One \(c1, custodian\) must confirm "My token serial matches\." at the screen: in production an answers file cannot acknowledge for a custodian/,
  );
  const lines = readFileSync(join(out, 'prod-root-bundle', 'transcript.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(
    lines.some((e) => e.event === 'key-generated'),
    false,
    'no key generated',
  );
  assert.equal(lines[lines.length - 1].event, 'step-failed');
});

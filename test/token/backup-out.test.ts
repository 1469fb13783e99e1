/**
 * Issue 12 items 4 and 5 (CLI on SoftHSM2):
 * - a second `backup create` / `backup refresh --mode resplit` into the same --out never overwrites a
 *   share set: each set is published in its own folder named by its set id, and a folder that already
 *   holds a set is refused (the shares already handed out stay valid);
 * - a full disk during `backup create` (a 64 KiB tmpfs, mounted in a private mount namespace) leaves
 *   nothing: no share, no backup file, no staging folder; a crash (kill at a named point) leaves
 *   a staging folder that the next run removes, overwriting its shares first.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { cliEntry, kcAsync } from '../helpers/ceremony-run';

let hsm: TestHsm;
let dir: string;
let env: Record<string, string>;
const PIN = '1234';
const SO = '12345678';

before(async () => {
  hsm = await makeSoftHsm(['bo-a'], { pin: PIN, soPin: SO });
  dir = mkdtempSync(join(tmpdir(), 'kc-backup-out-'));
  writeFileSync(join(dir, 'pin'), PIN);
  writeFileSync(join(dir, 'so'), SO);
  env = { SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_PIN: '', KEYCEREMONY_SO_PIN: '' };
  const g = await kcAsync(['keygen', '--token', 'bo-a', '--type', 'ecdsa-p256', '--label', 'bk', '--backupable', '--pin-file', join(dir, 'pin')], env);
  assert.equal(g.code, 0, g.err);
});
after(() => {
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const create = (out: string, extra: string[] = [], more: Record<string, string> = {}) =>
  kcAsync(
    [
      'backup',
      'create',
      '--token',
      'bo-a',
      '--label',
      'bk',
      '--m',
      '2',
      '--n',
      '3',
      '--out',
      out,
      '--pin-file',
      join(dir, 'pin'),
      '--so-pin-file',
      join(dir, 'so'),
      ...extra,
    ],
    { ...env, ...more },
  );

/** Every backup.json under `out`, with the share files next to it. */
function sets(out: string): { backup: string; shares: string[] }[] {
  const found: { backup: string; shares: string[] }[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (n === 'backup.json') {
        const sd = join(d, 'shares');
        found.push({
          backup: p,
          shares: existsSync(sd)
            ? readdirSync(sd)
                .filter((x) => x.endsWith('.txt'))
                .map((x) => join(sd, x))
            : [],
        });
      } else if (
        !n.includes('.') &&
        existsSync(p) &&
        readdirSync(d, { withFileTypes: true })
          .find((e) => e.name === n)
          ?.isDirectory()
      )
        walk(p);
    }
  };
  walk(out);
  return found;
}

const verifyShares = (backup: string, shares: string[]) =>
  kcAsync(['backup', 'verify-shares', '--backup', backup, ...shares.flatMap((s) => ['--share-file', s])], env);

test('two backups into one --out: each set in its own folder named by set id; the first set still verifies', async () => {
  const out = join(dir, 'two');
  const a = await create(out);
  assert.equal(a.code, 0, a.err);
  const first = sets(out);
  assert.equal(first.length, 1);
  const firstBytes = readFileSync(first[0]!.backup);
  const b = await create(out);
  assert.equal(b.code, 0, b.err);
  const both = sets(out);
  assert.equal(both.length, 2, `two sets: ${both.map((s) => s.backup).join(', ')}`);
  for (const s of both) {
    const setId = (JSON.parse(readFileSync(s.backup, 'utf8')) as { shareSet: { id: string } }).shareSet.id;
    assert.match(s.backup, new RegExp(`${setId}[/\\\\]backup\\.json$`), 'the folder is named by the set id');
    assert.equal(s.shares.length, 3);
    const v = await verifyShares(s.backup, s.shares);
    assert.equal(v.code, 0, `set ${setId}: ${v.err}${v.out}`);
  }
  assert.deepEqual(readFileSync(first[0]!.backup), firstBytes, 'the first backup file is unchanged');
});

test('resplit into a folder that already holds a set is refused; into the same parent it makes a new set folder', async () => {
  const out = join(dir, 'resplit');
  assert.equal((await create(out)).code, 0);
  const [s1] = sets(out);
  const setDir = join(s1!.backup, '..');
  const before = readFileSync(s1!.backup);
  const refused = await kcAsync(
    [
      'backup',
      'refresh',
      '--mode',
      'resplit',
      '--backup',
      s1!.backup,
      ...s1!.shares.slice(0, 2).flatMap((s) => ['--share-file', s]),
      '--m',
      '2',
      '--n',
      '3',
      '--out',
      setDir,
    ],
    env,
  );
  assert.equal(refused.code, 1);
  assert.match(refused.err, /error\[CONFLICT\].*already holds a backup/);
  assert.deepEqual(readFileSync(s1!.backup), before);
  const ok = await kcAsync(
    [
      'backup',
      'refresh',
      '--mode',
      'resplit',
      '--backup',
      s1!.backup,
      ...s1!.shares.slice(0, 2).flatMap((s) => ['--share-file', s]),
      '--m',
      '2',
      '--n',
      '3',
      '--out',
      out,
    ],
    env,
  );
  assert.equal(ok.code, 0, ok.err);
  const all = sets(out);
  assert.equal(all.length, 2);
  for (const s of all) assert.equal((await verifyShares(s.backup, s.shares)).code, 0);
});

test('a full disk while writing the shares leaves no share, no backup file and no staging folder', () => {
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  // 3-of-5 set: backup.json, public key and two sheets fit in 64 KiB, the third does not
  const sh = [
    `mount -t tmpfs -o size=64k tmpfs ${mnt} || exit 99`,
    `${process.execPath} ${cliEntry()} backup create --token bo-a --label bk --m 3 --n 5 --out ${join(mnt, 'out')} --pin-file ${join(dir, 'pin')} --so-pin-file ${join(dir, 'so')} 2>&1`,
    'echo "EXIT=$?"',
    `find ${mnt} -mindepth 1 -printf "FILE %P %s\\n"`,
    `for f in $(find ${mnt} -type f -name '*.txt'); do echo "TEXT $f"; cat "$f"; done`,
  ].join('\n');
  const r = spawnSync('unshare', ['--mount', '--map-root-user', 'sh', '-c', sh], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  assert.notEqual(r.status, 99, `could not mount a tmpfs: ${r.stderr}`);
  const out = r.stdout;
  assert.match(out, /EXIT=1/, out);
  assert.match(out, /error\[IO_ERROR\]/, out);
  const files = [...out.matchAll(/^FILE (\S+) (\d+)$/gm)].map((m) => m[1] as string);
  assert.deepEqual(
    files.filter((f) => /share|backup\.json|staging/.test(f)),
    [],
    `left on the full disk: ${files.join(', ')}`,
  );
  assert.doesNotMatch(out, /^TEXT /m);
});

test('a crash while writing the shares leaves a staging folder; the next backup overwrites and removes it, and says so', async () => {
  const out = join(dir, 'crash');
  const killed = await create(out, [], { KEYCEREMONY_TEST_CRASH_AT: 'backup:file-written#4' });
  assert.equal(killed.code, null, killed.err);
  assert.deepEqual(sets(out), [], 'nothing published');
  const leftovers = readdirSync(out).filter((n) => n.includes('staging'));
  assert.equal(leftovers.length, 1, `staging folder left by the crash: ${readdirSync(out).join(', ')}`);
  const again = await create(out);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /removed an unfinished backup/i);
  assert.deepEqual(
    readdirSync(out).filter((n) => n.includes('staging')),
    [],
  );
  assert.equal(sets(out).length, 1);
});

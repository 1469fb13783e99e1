/**
 * Issue 12 item 12: `ceremony run` and `bundle extract` onto a read-only disk end with
 * error[DISK_READ_ONLY] and a sentence naming the folder, never error[INTERNAL]. The disk is a
 * read-only tmpfs mounted in a private mount namespace (`unshare -rm`: no root needed where user
 * namespaces are allowed; root works too).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kcArgv, writeAnswers, writeScript, REPO } from '../helpers/ceremony-run';
import { writeTar } from '../../electron/core/ceremony/tar';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'kc-rodisk-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Run the CLI with `ro` mounted as a read-only tmpfs (only inside this process's mount namespace). */
function kcOnReadOnlyDisk(ro: string, args: string[]) {
  mkdirSync(ro, { recursive: true });
  const script = 'mount -t tmpfs -o ro,size=1m tmpfs "$0" && exec "$@"';
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', script, ro, ...kcArgv(), ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('bundle extract into a folder on a read-only disk: DISK_READ_ONLY, named', () => {
  const archive = join(work, 'a.tar');
  writeFileSync(archive, writeTar([{ path: 'x.json', bytes: new TextEncoder().encode('{}') }]));
  const ro = join(work, 'ro1');
  const r = kcOnReadOnlyDisk(ro, ['bundle', 'extract', archive, join(ro, 'out')]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^error\[DISK_READ_ONLY\]: .*read-only/m);
  assert.ok(r.err.includes(join(ro, 'out')), r.err);
  assert.doesNotMatch(r.err, /INTERNAL/);
});

test('ceremony run with --out on a read-only disk: DISK_READ_ONLY, named', () => {
  const dir = join(work, 'run');
  const s = writeScript(dir, 'tuf-root');
  const a = writeAnswers(dir);
  const ro = join(work, 'ro2');
  const r = kcOnReadOnlyDisk(ro, ['ceremony', 'run', s, '--rehearsal', '--answers', a, '--out', join(ro, 'out')]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^error\[DISK_READ_ONLY\]: .*read-only/m);
  assert.ok(r.err.includes(join(ro, 'out')), r.err);
  assert.doesNotMatch(r.err, /INTERNAL/);
});

/**
 * Issue 12 item 10: child processes (softhsm2-util during rehearsal provisioning) get a minimal
 * environment and are called by absolute path. Watched with `strace -f -e trace=execve -v`, which
 * prints the path and the whole environment of every program the CLI starts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry, writeAnswers, writeScript } from '../helpers/ceremony-run';

const work = mkdtempSync(join(tmpdir(), 'kc-childenv-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a rehearsal starts softhsm2-util by absolute path with no PIN variables and no inherited environment', async () => {
  // a decoy softhsm2-util first on PATH: a PATH lookup would run it
  const decoy = join(work, 'decoy-bin');
  mkdirSync(decoy);
  writeFileSync(join(decoy, 'softhsm2-util'), `#!/bin/sh\necho called >> ${join(work, 'decoy-called')}\nexec /usr/bin/softhsm2-util "$@"\n`);
  chmodSync(join(decoy, 'softhsm2-util'), 0o755);
  const script = writeScript(join(work, 'run'), 'tuf-root');
  const answers = writeAnswers(join(work, 'run'));
  const log = join(work, 'execve.log');
  const stderr = await new Promise<string>((resolve, reject) => {
    const p = spawn(
      'strace',
      [
        '-f',
        '-qq',
        '-e',
        'trace=execve',
        '-v',
        '-s',
        '4096',
        '-o',
        log,
        process.execPath,
        cliEntry(),
        'ceremony',
        'run',
        script,
        '--rehearsal',
        '--answers',
        answers,
        '--out',
        join(work, 'run', 'out'),
      ],
      {
        detached: true, // its own process group: strace and the CLI are killed together below
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          PATH: `${decoy}:${process.env.PATH}`,
          KEYCEREMONY_PIN: 'user-pin-must-not-leak',
          KEYCEREMONY_SO_PIN: 'so-pin-must-not-leak',
          KEYCEREMONY_TEST_PAUSE_AT: 'preflight:start', // the tokens are provisioned by then: stop there
        },
      },
    );
    let err = '';
    const t = setTimeout(() => {
      process.kill(-(p.pid as number), 'SIGKILL');
      reject(new Error(`never paused:\n${err}`));
    }, 120_000);
    p.stderr.on('data', (d) => {
      err += d;
      if (err.includes('KEYCEREMONY_TEST_PAUSED')) process.kill(-(p.pid as number), 'SIGKILL');
    });
    p.on('exit', () => {
      clearTimeout(t);
      resolve(err);
    });
  });
  assert.match(stderr, /KEYCEREMONY_TEST_PAUSED preflight:start/, stderr);
  const children = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /execve\(/.test(l) && /softhsm2-util/.test(l));
  assert.ok(children.length >= 4, `softhsm2-util runs seen: ${children.length}`);
  for (const l of children) {
    const path = /execve\("([^"]+)"/.exec(l)?.[1] ?? '';
    assert.ok(path.startsWith('/') && !path.startsWith(decoy), `called by absolute path, not through PATH: ${path}`);
    assert.doesNotMatch(l, /must-not-leak|KEYCEREMONY_/, 'no KEYCEREMONY_* variable in the child environment');
    const env = /\], \[(.*)\]\) = /.exec(l)?.[1] ?? '';
    const names = [...env.matchAll(/"([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]);
    assert.deepEqual(
      names.filter((n) => !['SOFTHSM2_CONF', 'LC_ALL'].includes(n as string)),
      [],
      `minimal environment: ${names.join(' ')}`,
    );
  }
  assert.throws(() => readFileSync(join(work, 'decoy-called')), 'the decoy on PATH was never run');
});

/**
 * Issue 12 item 1, in a ceremony: a rehearsal of the TUF root ceremony killed inside SoftHSM's
 * C_GenerateKeyPair for the first root key (strace at the 11th rewrite of the private key object)
 * resumes: the objects the crash left are removed automatically (rehearsal), the transcript says so,
 * every token ends with exactly one key per label, and the bundle verifies.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry, kcAsync, writeAnswers, writeScript } from '../helpers/ceremony-run';
import { ftruncates, killAtFtruncate, pointInObject } from '../helpers/strace';
import { softHsmModulePath } from '../../electron/adapters/softhsm';
import { templateText } from '../../electron/core/ceremony/templates';
import { verifyBundle } from '../../electron/core/ceremony/bundle';
import { tarBundleReader } from '../../electron/adapters/fs/ceremony-store';

const work = mkdtempSync(join(tmpdir(), 'kc-crash-kg-cer-'));
after(() => rmSync(work, { recursive: true, force: true }));
const script = JSON.parse(templateText('tuf-root')!) as { keys: { label: string; token: string }[]; tokens: { id: string; label: string }[] };

function run(name: string) {
  const dir = join(work, name);
  const s = writeScript(dir, 'tuf-root');
  const a = writeAnswers(dir);
  const out = join(dir, 'out');
  return { out, args: ['ceremony', 'run', s, '--rehearsal', '--answers', a, '--out', out] };
}

function objectBlocks(out: string, token: string): string[] {
  const pins = JSON.parse(readFileSync(join(out, 'rehearsal-tokens', 'pins.json'), 'utf8')) as Record<string, { pin: string }>;
  const list = execFileSync('pkcs11-tool', ['--module', softHsmModulePath(), '--token-label', token, '--login', '--pin', pins[token]!.pin, '--list-objects'], {
    env: { ...process.env, SOFTHSM2_CONF: join(out, 'rehearsal-tokens', 'softhsm2.conf') },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return list.split(/\n(?=\S)/).filter((b) => /Object/.test(b));
}

test('a rehearsal killed inside C_GenerateKeyPair resumes: torn objects removed and said, one key per label, bundle verifies', async () => {
  const learn = run('learn');
  const seen = ftruncates([process.execPath, cliEntry(), ...learn.args], process.env);
  assert.equal(seen.run.code, 0, seen.run.err);
  const n = pointInObject(seen.files, 2, 11);

  const r = run('crash');
  const killed = killAtFtruncate([process.execPath, cliEntry(), ...r.args], process.env, n);
  assert.ok(killed.signal === 'SIGKILL' || killed.code === 137, `killed: ${killed.signal} ${killed.code}\n${killed.err}`);
  const first = script.tokens.find((t) => t.id === script.keys[0]!.token)!.label;
  const torn = objectBlocks(r.out, first);
  assert.ok(
    torn.some((b) => /^Private Key Object/.test(b) && /label:[ \t]*$/m.test(b)),
    `a torn private key on ${first}:\n${torn.join('\n')}`,
  );

  const resumed = await kcAsync(r.args);
  assert.equal(resumed.code, 0, resumed.err + resumed.out);
  for (const t of script.tokens) {
    const blocks = objectBlocks(r.out, t.label);
    const expected = script.keys
      .filter((k) => k.token === t.id)
      .map((k) => k.label)
      .sort();
    const privs = blocks.filter((b) => /^Private Key Object/.test(b)).map((b) => /label:\s+(.*)/.exec(b)?.[1]?.trim() ?? '');
    assert.deepEqual(privs.sort(), expected, `private keys on ${t.label}`);
    assert.equal(blocks.filter((b) => /^Public Key Object/.test(b)).length, expected.length, `public keys on ${t.label}`);
  }
  const transcript = readFileSync(join(r.out, 'REHEARSAL-tuf-root-bundle', 'transcript.jsonl'), 'utf8');
  assert.match(transcript, /"removedIncompleteObjects":2/);
  assert.match(transcript, /private key without label, without id/);
  const v = await verifyBundle(tarBundleReader(join(r.out, 'REHEARSAL-tuf-root.kcbundle.tar')));
  assert.deepEqual(v.problems, []);
});

/**
 * Crash test: for every step of the TUF root ceremony (and the sealing), kill -9 the CLI while the
 * step is in flight (after its start is journaled, and after its work is done but before it is
 * committed), run it again, and check: the same keys on the tokens (no duplicates), the transcript
 * chain intact with each step completed exactly once, and the bundle verifies.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { kcAsync, kcKillAt, writeAnswers, writeScript } from '../helpers/ceremony-run';
import { verifyBundle } from '../../electron/core/ceremony/bundle';
import { tarBundleReader } from '../../electron/adapters/fs/ceremony-store';
import { templateText } from '../../electron/core/ceremony/templates';
import { softHsmModulePath } from '../../electron/adapters/softhsm';
import { verifyTranscript } from '../../electron/core/ceremony/transcript';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'kc-crash-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const script = JSON.parse(templateText('tuf-root')!) as {
  steps: { id: string }[];
  keys: { label: string; token: string }[];
  tokens: { id: string; label: string }[];
};
const points = [...script.steps.map((s) => s.id), ...['keygen-root', 'backup-targets', 'sign-metadata'].map((s) => `${s}:start`), 'seal'];

function privateKeyLabels(runOut: string, tokenLabel: string): string[] {
  const pins = JSON.parse(readFileSync(join(runOut, 'rehearsal-tokens', 'pins.json'), 'utf8'));
  const out = execFileSync(
    'pkcs11-tool',
    ['--module', softHsmModulePath(), '--token-label', tokenLabel, '--login', '--pin', pins[tokenLabel].pin, '--list-objects', '--type', 'privkey'],
    {
      env: { ...process.env, SOFTHSM2_CONF: join(runOut, 'rehearsal-tokens', 'softhsm2.conf') },
      encoding: 'utf8',
    },
  );
  return [...out.matchAll(/label:\s+(.*)/g)].map((m) => (m[1] as string).trim());
}

async function crashAndResume(at: string): Promise<void> {
  {
    const dir = join(work, at.replace(':', '-'));
    const s = writeScript(dir, 'tuf-root');
    const a = writeAnswers(dir);
    const out = join(dir, 'out');
    const args = ['ceremony', 'run', s, '--rehearsal', '--answers', a, '--out', out];
    const killed = await kcKillAt(args, { KEYCEREMONY_TEST_PAUSE_AT: at }, `KEYCEREMONY_TEST_PAUSED ${at}`);
    assert.equal(killed.killed, true, `${at}: never paused\n${killed.err}`);
    const r = await kcAsync(args);
    assert.equal(r.code, 0, `${at}: resume failed\n${r.err}\n${r.out}`);

    // keys: exactly one private key per script key, on its token
    const manifest = JSON.parse(readFileSync(join(out, 'REHEARSAL-tuf-root-bundle', 'manifest.json'), 'utf8'));
    for (const t of script.tokens) {
      const labels = privateKeyLabels(out, t.label);
      const expected = script.keys
        .filter((k) => k.token === t.id)
        .map((k) => k.label)
        .sort();
      assert.deepEqual(labels.sort(), expected, `${at}: keys on ${t.label}`);
    }
    // chain intact; each step completed once; the interrupted step says it resumed
    const lines = readFileSync(join(out, 'REHEARSAL-tuf-root-bundle', 'transcript.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    const v = await verifyTranscript(lines);
    assert.ok(v.ok, `${at}: ${v.broken?.reason}`);
    const done = v.entries.filter((e) => e.event === 'step-completed').map((e) => e.step);
    assert.deepEqual(
      done,
      script.steps.map((x) => x.id),
      `${at}: steps completed once each`,
    );
    const step = at.split(':')[0];
    if (at !== 'seal')
      assert.ok(
        v.entries.some((e) => e.event === 'step-resumed' && e.step === step),
        `${at}: resumed entry`,
      );
    // the keys the transcript recorded at generation are the bundle's keys
    const gen = v.entries.filter((e) => e.event === 'key-generated').map((e) => e.keys![0]!);
    assert.equal(gen.length, 6, `${at}: six keygen entries`);
    for (const g of gen) assert.equal(manifest.keys.find((k: { id: string }) => k.id === g.id)?.fingerprint, g.fingerprint, `${at}: ${g.id}`);
    const vb = await verifyBundle(tarBundleReader(join(out, 'REHEARSAL-tuf-root.kcbundle.tar')));
    assert.deepEqual(vb.problems, [], at);
  }
}

test(`kill -9 at each of ${points.length} points, re-run: same keys, no duplicates, chain intact, bundle verifies`, async () => {
  // two at a time (2 cores): each point has its own run folder and tokens
  const queue = [...points];
  const worker = async () => {
    for (let at = queue.shift(); at !== undefined; at = queue.shift()) await crashAndResume(at);
  };
  await Promise.all([worker(), worker()]);
});

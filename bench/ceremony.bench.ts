/**
 * Ceremony engine (issue 5): wall time of the rehearsal TUF root ceremony, end to end, as
 * `npm run rehearse` runs it: 4 SoftHSM2 tokens created, 6 keys generated, a 2-of-3 backup of the
 * targets key with every share verified, root v1 + targets/snapshot/timestamp signed, the bundle
 * sealed (DSSE by 3 root keys), archived and verified twice. Target: < 10 s. Baseline = the target.
 * Also: verifying a 10,000-entry transcript chain.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from './run';
import { runCeremony } from '../electron/adapters/ceremony/runner';
import { templateText } from '../electron/core/ceremony/templates';
import { GENESIS, makeEntry, verifyTranscript } from '../electron/core/ceremony/transcript';

export async function run(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kc-bench-ceremony-'));
  try {
    const script = join(dir, 'tuf-root.json');
    writeFileSync(script, templateText('tuf-root')!);
    const answers = join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ acknowledge: 'all', shares: 'rehearsal-memory' }));
    const t0 = performance.now();
    const r = await runCeremony({
      scriptPath: script,
      rehearsal: true,
      outDir: join(dir, 'out'),
      answersPath: answers,
      io: { say: () => undefined, isTTY: false, ask: async () => '', askSecret: async () => new Uint8Array(), showSecret: () => undefined },
      env: process.env,
    });
    const s = (performance.now() - t0) / 1000;
    if (!r.verdict.ok || !r.archiveVerdict.ok) throw new Error(`bundle does not verify: ${r.verdict.problems.join('; ')}`);
    report({ name: 'ceremony: rehearsal TUF root ceremony end to end', ours: s, baseline: 10, unit: 's', ratio: 10 / s, note: 'baseline = 10 s target; 4 tokens, 6 keys, 2-of-3 backup, bundle sealed+verified' });

    const lines: string[] = [];
    let prev = GENESIS;
    for (let i = 0; i < 10_000; i++) {
      const e = await makeEntry({ ceremony: 'bench', runId: 'r', rehearsal: true }, i, prev, new Date(0).toISOString(), { event: 'bench', note: `entry ${i}` });
      lines.push(e.line);
      prev = e.hash;
    }
    const t1 = performance.now();
    const v = await verifyTranscript(lines);
    const ms = performance.now() - t1;
    if (!v.ok) throw new Error('chain broken');
    report({ name: 'ceremony: verify a 10,000-entry transcript chain', ours: ms, baseline: null, unit: 'ms', ratio: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

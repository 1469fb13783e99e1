/**
 * Shamir libraries on our workload (a 32-byte KEK): the audited `shamir-secret-sharing` (share
 * format v2) against `shamirs-secret-sharing` (v1, the baseline), raw split and combine, and a
 * verify-every-share pass (all C(5,3) subsets of a 3-of-5 set). Ratio > 1: the new library is faster.
 */
import sssOld from 'shamirs-secret-sharing';
import { split, combine } from 'shamir-secret-sharing';
import type { Report } from './run';
import { combinations } from '../electron/core/backup/envelope';

async function time(fn: () => Promise<unknown> | unknown, iterations: number): Promise<number> {
  await fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    best = Math.min(best, (performance.now() - t0) / iterations);
  }
  return best;
}

export async function run(report: Report): Promise<void> {
  const kek = crypto.getRandomValues(new Uint8Array(32));
  for (const [m, n] of [
    [2, 3],
    [3, 5],
    [8, 16],
  ] as const) {
    const oldSplit = await time(() => sssOld.split(kek, { shares: n, threshold: m }), 200);
    const newSplit = await time(() => split(kek, n, m), 200);
    report({
      name: `shamir: split a 32-byte KEK ${m}-of-${n}`,
      ours: newSplit * 1000,
      baseline: oldSplit * 1000,
      unit: 'µs',
      ratio: oldSplit / newSplit,
      note: 'new lib vs shamirs-secret-sharing, lower is better',
    });
    const o = sssOld.split(kek, { shares: n, threshold: m });
    const w = await split(kek, n, m);
    const oldComb = await time(() => sssOld.combine(o.slice(0, m)), 200);
    const newComb = await time(() => combine(w.slice(0, m)), 200);
    report({
      name: `shamir: combine ${m} shares of a 32-byte KEK`,
      ours: newComb * 1000,
      baseline: oldComb * 1000,
      unit: 'µs',
      ratio: oldComb / newComb,
      note: 'lower is better',
    });
  }
  const o = sssOld.split(kek, { shares: 5, threshold: 3 });
  const w = await split(kek, 5, 3);
  const every = async (f: (idx: number[]) => unknown) => {
    for (const s of combinations(5, 3)) await f(s);
  };
  const oldAll = await time(() => every((s) => sssOld.combine(s.map((i) => o[i] as Buffer))), 20);
  const newAll = await time(() => every((s) => combine(s.map((i) => w[i] as Uint8Array))), 20);
  report({
    name: 'shamir: verify-every-share, all 10 subsets of a 3-of-5 set',
    ours: newAll,
    baseline: oldAll,
    unit: 'ms',
    ratio: oldAll / newAll,
    note: 'lower is better',
  });
}

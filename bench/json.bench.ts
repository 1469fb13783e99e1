/** Strict JSON parsing (duplicate-key detection) of a 12 MB targets-like file vs plain JSON.parse. */
import { parseStrictJson } from '../shared/json/strict';
import type { Report } from './run';

export async function run(report: Report): Promise<void> {
  const targets: Record<string, unknown> = {};
  for (let i = 0; i < 60000; i++) {
    targets[`packages/some-name-${i}/artifact-${i}.tar.gz`] = { length: i * 13, hashes: { sha256: 'ab'.repeat(32), sha512: 'cd'.repeat(64) }, custom: { i } };
  }
  const text = JSON.stringify({ signed: { _type: 'targets', targets }, signatures: [] });
  const time = (fn: () => unknown) => {
    fn();
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      fn();
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const ours = time(() => parseStrictJson(text));
  const base = time(() => JSON.parse(text));
  report({ name: `json: strict parse ${(text.length / 1e6).toFixed(1)} MB vs JSON.parse`, ours, baseline: base, unit: 'ms', ratio: base / ours, note: 'ms, lower is better' });
}

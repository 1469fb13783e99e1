/**
 * Benchmark runner: every bench/*.bench.ts exports `run(report)`. Each figure is printed with the
 * baseline measured in the same run and the ratio (> 1 means we are better); with BENCH_JSON set,
 * one JSON line per figure is appended to that file.
 * Usage: npm run bench [-- name-filter]
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Figure {
  name: string;
  ours: number;
  baseline: number | null;
  unit: string;
  /** > 1 means ours is better. */
  ratio: number | null;
  note?: string;
}
export type Report = (f: Figure) => void;

const filter = process.argv[2];
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();
const report: Report = (f) => {
  const fmt = (n: number | null) => (n === null ? '-' : n >= 100 ? n.toFixed(0) : n.toFixed(3));
  console.log(
    `${f.name.padEnd(58)} ours ${fmt(f.ours).padStart(10)} ${f.unit.padEnd(10)} baseline ${fmt(f.baseline).padStart(10)}  ratio ${f.ratio === null ? '-' : f.ratio.toFixed(2)}${f.note ? `  (${f.note})` : ''}`,
  );
  if (process.env.BENCH_JSON) {
    appendFileSync(process.env.BENCH_JSON, JSON.stringify({ name: f.name, ours: f.ours, baseline: f.baseline, unit: f.unit, ratio: f.ratio }) + '\n');
  }
};
let failed = false;
for (const f of files) {
  console.log(`# ${f}`);
  try {
    const m = await import(pathToFileURL(join(process.cwd(), 'bench', f)).href);
    await m.run(report);
  } catch (e) {
    failed = true;
    console.error(`bench ${f} failed: ${(e as Error).stack ?? e}`);
  }
}
process.exit(failed ? 1 : 0);

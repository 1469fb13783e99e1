/**
 * Strict JSON parsing (duplicate keys, lone surrogates refused; shared/json/strict.ts) of an 18.9 MB
 * targets-like document vs plain JSON.parse of the same text, interleaved, best of ROUNDS each, in
 * wall-clock time and in CPU time (all threads). Target >= 0.8x JSON.parse. The headline figure is the
 * parser as the app and the CLI run it: the duplicate-key proof on a second core beside JSON.parse
 * (electron/adapters/json-key-prover.ts). Also printed: the same parser on one thread (no prover: the
 * renderer, worker threads), and the TUF/Notary form ({integersOnly}: numbers must be integers written
 * canonically, and the parsed objects are marked when already in canonical order), with the prover.
 * Every timed call starts after a forced full GC (interleave in bench/token.ts), on both sides.
 */
import { parseStrictJson, setParallelKeyProver } from '../shared/json/strict';
import { installParallelKeyProver } from '../electron/adapters/json-key-prover';
import { interleave, spread } from './token';
import type { Report } from './run';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

export async function run(report: Report): Promise<void> {
  const targets: Record<string, unknown> = {};
  for (let i = 0; i < 60000; i++) {
    targets[`packages/some-name-${i}/artifact-${i}.tar.gz`] = { length: i * 13, hashes: { sha256: 'ab'.repeat(32), sha512: 'cd'.repeat(64) }, custom: { i } };
  }
  const text = JSON.stringify({ signed: { _type: 'targets', targets }, signatures: [] });
  const cpu: Record<string, number[]> = { ours: [], one: [], tuf: [], base: [] };
  const timed = (k: string, fn: () => unknown) => () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu[k]?.push((c.user + c.system) / 1000);
    return wall;
  };
  // as the app and the CLI run it: the duplicate-key proof on a second core beside JSON.parse
  const installed = installParallelKeyProver({ startNow: true });
  const { prover } = installed;
  if (!installed.waitUntilReady(10_000)) throw new Error('the key-prover worker did not start');
  const oneThread = (fn: () => unknown) => () => {
    setParallelKeyProver(undefined);
    try {
      return fn();
    } finally {
      setParallelKeyProver(prover);
    }
  };
  parseStrictJson(text);
  JSON.parse(text);
  const m = await interleave(ROUNDS, {
    base: timed('base', () => JSON.parse(text)),
    ours: timed('ours', () => parseStrictJson(text)),
    one: timed(
      'one',
      oneThread(() => parseStrictJson(text)),
    ),
    tuf: timed('tuf', () => parseStrictJson(text, { integersOnly: true })),
  });
  await installed.stop();
  const mb = (text.length / 1e6).toFixed(1);
  const best = (xs: number[]) => Math.min(...xs);
  const base = best(m.base);
  const baseCpu = best(cpu.base as number[]);
  for (const [k, label] of [
    ['ours', 'strict parse'],
    ['one', 'strict parse, one thread'],
    ['tuf', 'strict parse {integersOnly} (TUF)'],
  ] as const) {
    const ours = best(m[k]);
    const oursCpu = best(cpu[k] as number[]);
    report({
      name: `json: ${label} ${mb} MB vs JSON.parse`,
      ours,
      baseline: base,
      unit: 'ms',
      ratio: base / ours,
      note: `wall, best of ${ROUNDS} interleaved; per round ${spread(m[k].map((x, r) => (m.base[r] as number) / x))}; CPU ${oursCpu.toFixed(0)} vs ${baseCpu.toFixed(0)} ms = ${(baseCpu / oursCpu).toFixed(2)}x${k === 'ours' ? '; target >= 0.8' : ''}`,
    });
  }
}

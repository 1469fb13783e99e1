/**
 * Imported first by test/pure/json-strict-parallel.test.ts: installs the parallel duplicate-key prover
 * for every text (minChars 0) and records what it answered, so the strict-JSON test files imported
 * after it run all their cases through the worker.
 */
import { installParallelKeyProver } from '../../electron/adapters/json-key-prover';
import { setParallelKeyProver, type ParallelKeyProver } from '../../shared/json/strict';

export const installed = installParallelKeyProver({ minChars: 0 });
/** Every answer of the worker: keys proven, -1 not proven; 'declined' when it took no job. */
export const answers: (number | 'declined')[] = [];

/** The installed prover, wrapped to record answers (a test that removes it puts this one back). */
export const wrapped: ParallelKeyProver = (text, maxDepth, integersOnly) => {
  const p = installed.prover(text, maxDepth, integersOnly);
  if (p === undefined) {
    answers.push('declined');
    return undefined;
  }
  return {
    result() {
      const r = p.result();
      answers.push(r);
      return r;
    },
    marks: () => p.marks?.(),
  };
};
setParallelKeyProver(wrapped);

// the worker starts on its own thread: wait for it here, synchronously, before the test files after this one load
if (!installed.waitUntilReady(10_000)) throw new Error('the key-prover worker did not start within 10 s');

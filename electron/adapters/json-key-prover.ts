/**
 * The duplicate-key proof of a large JSON text on a second core, while `JSON.parse` builds its value
 * on the calling thread (shared/json/strict.ts, `setParallelKeyProver`; the proof itself is
 * shared/json/key-proof.ts).
 *
 * One worker thread, started with the first text of DEFAULT_MIN_CHARS or more, unreferenced (it never
 * keeps the process alive), blocked in `Atomics.wait` between jobs. A job: the calling thread writes
 * the text's bytes (Latin-1 or UTF-8, see `fill`) into a SharedArrayBuffer (1.5–7 ms for 19 MB), wakes
 * the worker and parses; the worker proves; the calling thread then waits for the answer (usually
 * there already). No message per job, so no event-loop turn on either side: parseStrictJson stays
 * synchronous. The buffer is kept for the next text and let go DROP_MS after the last one.
 *
 * Only the text crosses (the JSON the caller is parsing: metadata, never a PIN or a share, which are far
 * below DEFAULT_MIN_CHARS), and the worker zeroes its copy once proven. Anything unexpected — the
 * worker not started yet, busy with an abandoned job, dead, or later than WAIT_MS — means "not
 * proven here", and parseStrictJson proves on its own thread as before: the result is never weaker.
 */
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { keyProofSource } from '../../shared/json/key-proof';
import { setParallelKeyProver, type KeyProof, type ParallelKeyProver } from '../../shared/json/strict';

/** Texts shorter than this are proven on the calling thread (the hand-over costs more than the walk). */
const DEFAULT_MIN_CHARS = 256 * 1024;
/** Longest wait for the worker's answer before proving on the calling thread instead. */
const WAIT_MS = 5000;
/** The text buffer (as large as the largest text so far) is kept this long after the last job. */
const DROP_MS = 30_000;

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

// ctrl slots
const STATE = 0; // 0 (idle: no job yet) / POSTED / DONE
const LEN = 1; // bytes of the job
const DEPTH = 2; // maxDepth of the job
const RESULT = 3; // keys proven, or -1
const READY = 4; // 1 once the worker waits for jobs
const INTS = 5; // 1: the {integersOnly} form (integers checked, canonical-order marks written)
/** Containers at depths 0..2 whose canonical-order marks come back (TUF and Notary files have a few dozen). */
const MAX_MARKS = 4096;
const POSTED = 1;
const DONE = 2;

// Plain JavaScript, evaluated in the worker (no loader): the proof from its own source text.
const workerSource = (): string => `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const __name = (f) => f; // esbuild's keepNames helper (tsx), which the functions' text may call
${keyProofSource()}
const ctrl = new Int32Array(workerData.ctrl);
const marks = new Int32Array(workerData.marks);
const port = workerData.port;
let data = null;
Atomics.store(ctrl, ${READY}, 1);
Atomics.notify(ctrl, ${READY});
for (;;) {
  const s = Atomics.load(ctrl, ${STATE});
  if (s !== ${POSTED}) { Atomics.wait(ctrl, ${STATE}, s); continue; }
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) data = m.message;
  let r = -1;
  try {
    const bytes = data === null ? null : Buffer.from(data, 0, Atomics.load(ctrl, ${LEN}));
    r = bytes === null ? -1 : proveNoDuplicateKeys(bytes, Atomics.load(ctrl, ${DEPTH}), Atomics.load(ctrl, ${INTS}) === 1 ? marks : undefined);
  } catch {
    r = -1;
  }
  // the copy does not outlive the proof (off the calling thread's path: it is still parsing)
  if (data !== null) new Uint8Array(data, 0, Atomics.load(ctrl, ${LEN})).fill(0);
  Atomics.store(ctrl, ${RESULT}, r);
  Atomics.store(ctrl, ${STATE}, ${DONE});
  Atomics.notify(ctrl, ${STATE});
}
`;

export interface InstalledKeyProver {
  /** The installed prover (what parseStrictJson calls). */
  prover: ParallelKeyProver;
  /** The worker has started and takes jobs (until then every text is proven on the calling thread). */
  ready(): boolean;
  /** Block this thread until the worker takes jobs, at most `ms`; whether it does (tests, benchmarks). */
  waitUntilReady(ms: number): boolean;
  /** (tests) The shared text buffer kept for the next text, if any: all zero once a proof is done. */
  heldBuffer(): Uint8Array | undefined;
  /** Stop the worker and uninstall (parseStrictJson proves on the calling thread again). */
  stop(): Promise<void>;
}

/**
 * Install the prover for parseStrictJson on this thread. The worker starts with the first text of
 * `minChars` or more (that text is still proven on the calling thread), or at once with `startNow`.
 * `minChars`: shorter texts stay on the calling thread (tests pass 0 to send everything through it).
 */
export function installParallelKeyProver(opts: { minChars?: number; startNow?: boolean; dropAfterMs?: number } = {}): InstalledKeyProver {
  const minChars = opts.minChars ?? DEFAULT_MIN_CHARS;
  const dropAfterMs = opts.dropAfterMs ?? DROP_MS;
  const ctrl = new Int32Array(new SharedArrayBuffer(8 * 4));
  const marks = new Int32Array(new SharedArrayBuffer(4 * (MAX_MARKS + 1)));
  let worker: Worker | undefined;
  let port: MessagePort | undefined;
  /** the worker could not start or died: everything stays on the calling thread */
  let gone = false;
  const start = (): void => {
    if (worker !== undefined || gone) return;
    try {
      const ch = new MessageChannel();
      // execArgv [] keeps a parent's loaders (tsx in tests) out of this plain-JS worker.
      const w = new Worker(workerSource(), {
        eval: true,
        execArgv: [],
        workerData: { ctrl: ctrl.buffer, marks: marks.buffer, port: ch.port2 },
        transferList: [ch.port2],
      });
      w.unref();
      ch.port1.unref();
      const stopUsing = () => {
        gone = true;
        worker = undefined;
      };
      w.on('error', stopUsing);
      w.on('exit', stopUsing);
      worker = w;
      port = ch.port1;
    } catch {
      gone = true;
    }
  };
  let kept: SharedArrayBuffer | undefined; // the buffer the worker holds
  let dropTimer: ReturnType<typeof setTimeout> | undefined;
  const encoder = new TextEncoder();
  /**
   * The text's bytes for the proof: Latin-1 (one byte per character, a copy) when every character is
   * below U+0100 — equal strings still give equal bytes, and `"` and `\` are still the only 0x22 and
   * 0x5C — else UTF-8. The test is free on V8's one-byte strings (no character there can match).
   */
  const fill = (buf: SharedArrayBuffer, text: string): number => {
    if (!BEYOND_LATIN1.test(text)) return buf.byteLength >= text.length ? Buffer.from(buf).write(text, 0, 'latin1') : -1;
    const r = encoder.encodeInto(text, new Uint8Array(buf));
    return r.read === text.length ? r.written : -1;
  };
  const post = (len: number, maxDepth: number, ints: boolean): void => {
    Atomics.store(ctrl, LEN, len);
    Atomics.store(ctrl, DEPTH, maxDepth);
    Atomics.store(ctrl, INTS, ints ? 1 : 0);
    Atomics.store(ctrl, STATE, POSTED);
    Atomics.notify(ctrl, STATE);
  };
  /** After DROP_MS without a job both threads let the buffer go (an empty job hands the worker null). */
  const drop = (): void => {
    dropTimer = undefined;
    if (port === undefined || kept === undefined || Atomics.load(ctrl, STATE) === POSTED) return;
    kept = undefined;
    port.postMessage(null);
    post(0, 0, false);
  };

  const prover = (text: string, maxDepth: number, integersOnly: boolean): KeyProof | undefined => {
    if (text.length < minChars || gone) return undefined;
    if (worker === undefined) {
      start();
      return undefined; // it takes jobs once started
    }
    if (port === undefined || Atomics.load(ctrl, READY) !== 1 || Atomics.load(ctrl, STATE) === POSTED) return undefined;
    // UTF-8 needs at most 3 bytes per UTF-16 unit; try the common all-ASCII size first
    let buf = kept !== undefined && kept.byteLength >= text.length ? kept : undefined;
    let written = buf === undefined ? -1 : fill(buf, text);
    if (written < 0) {
      buf = new SharedArrayBuffer(text.length + 16);
      written = fill(buf, text);
    }
    if (written < 0) {
      buf = new SharedArrayBuffer(text.length * 3 + 16);
      written = fill(buf, text);
    }
    if (buf !== kept) {
      port.postMessage(buf);
      kept = buf;
    }
    post(written, maxDepth, integersOnly);
    if (dropTimer !== undefined) clearTimeout(dropTimer);
    dropTimer = setTimeout(drop, dropAfterMs);
    dropTimer.unref();
    return {
      // the marks are read once the worker is done (result() returned), before this thread's next text
      marks: () => (integersOnly && Atomics.load(ctrl, STATE) === DONE && (marks[0] as number) >= 0 ? marks.slice(0, 1 + (marks[0] as number)) : undefined),
      result(): number {
        const end = Date.now() + WAIT_MS;
        for (;;) {
          const st = Atomics.load(ctrl, STATE);
          if (st === DONE) return Atomics.load(ctrl, RESULT);
          const left = end - Date.now();
          if (left <= 0) return -1; // the worker is late: prove here (the next text waits until it is done)
          Atomics.wait(ctrl, STATE, st, left);
        }
      },
    };
  };
  if (opts.startNow === true) start();
  setParallelKeyProver(prover);
  return {
    prover,
    ready: () => worker !== undefined && Atomics.load(ctrl, READY) === 1,
    heldBuffer: () => (kept === undefined ? undefined : new Uint8Array(kept)),
    waitUntilReady(ms: number): boolean {
      start();
      if (worker !== undefined) Atomics.wait(ctrl, READY, 0, ms);
      return worker !== undefined && Atomics.load(ctrl, READY) === 1;
    },
    async stop(): Promise<void> {
      setParallelKeyProver(undefined);
      gone = true;
      if (dropTimer !== undefined) clearTimeout(dropTimer);
      const w = worker;
      worker = undefined;
      port?.close();
      if (w) await w.terminate();
    },
  };
}

let processWide: InstalledKeyProver | undefined;

/**
 * The composition roots (the app's main process, the CLI) call this once at start: installs the prover
 * for this thread if it is not yet, starting no thread until the first large text.
 */
export function useParallelKeyProver(): void {
  processWide ??= installParallelKeyProver();
}

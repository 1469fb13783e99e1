/**
 * Verification of batch signatures on a second core while the token signs on this one.
 *
 * One worker thread (started on first use, kept for the life of the process, unreferenced while idle)
 * verifies chunks of (message, signature) pairs with node:crypto. A batch and the worker share memory
 * (SharedArrayBuffers): the calling thread writes each message and its signature there as the token
 * makes it and publishes finished chunks with one atomic store; the worker verifies published chunks
 * in order and writes each chunk's verdict beside it. Each chunk is claimed exactly once, by the worker
 * or by the calling thread, through a compare-and-swap: when the token has made every signature, the
 * calling thread verifies the chunks the worker has not yet started, from the last backwards, while
 * the worker continues from the first. No message crosses per chunk in either direction (a message
 * cost 25–60 µs on each side, about 2 % of a batch), only one per batch, when it starts.
 *
 * Only public data is shared with the worker (messages, signatures, the public key). If the worker
 * cannot start or dies, the calling thread verifies whatever the worker did not finish: every
 * signature is checked either way, and nothing is returned before all of them are. The calling
 * thread verifies the caller's own bytes, not the shared copies.
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** node:crypto verification parameters: the hash (null for Ed25519) and key options (dsaEncoding, padding...). */
export interface VerifyParams {
  hash: string | null;
  options: Record<string, unknown>;
}

/** Indexes in a batch's control words (Int32Array). */
const PUBLISHED = 0; // chunks the worker may take
const CLOSED = 1; // the caller is finishing or gone: no more chunks
const DONE = 2; // chunks the worker has finished (the caller waits on this word)
const FAILED = 3; // a signature the worker checked did not verify
/** Chunk states. */
const FREE = 0;
const WORKER = 1;
const HERE = 2;
const OK = 3;
const BAD = 4;

/**
 * A worker waiting this long for a batch's next chunk leaves the batch (a person may take a while to
 * touch a token between two signatures; the caller then verifies the rest itself).
 */
const IDLE_MS = 60_000;

// Plain JavaScript, evaluated in the worker (no loader, no bundler entry point). One batch at a time:
// a batch opened while the worker is busy waits for it, and its caller verifies what it does not reach.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
parentPort.on('message', (m) => {
  const key = { key: createPublicKey({ key: Buffer.from(m.spki), format: 'der', type: 'spki' }), ...m.options };
  const ctl = new Int32Array(m.ctl);
  const state = new Int32Array(m.state);
  const ends = new Int32Array(m.ends);
  const msgOff = new Float64Array(m.msgOff);
  const sigLen = new Uint16Array(m.sigLen);
  const arena = new Uint8Array(m.arena);
  const { hash, sigBase, sigStride } = m;
  let c = 0;
  let idleFrom = performance.now();
  for (;;) {
    const published = Atomics.load(ctl, ${PUBLISHED});
    if (c < published) {
      if (Atomics.compareExchange(state, c, ${FREE}, ${WORKER}) === ${FREE}) {
        let ok = true;
        try {
          for (let i = c === 0 ? 0 : ends[c - 1]; i < ends[c] && ok; i++) {
            const s = sigBase + i * sigStride;
            ok = verify(hash, arena.subarray(msgOff[i], msgOff[i + 1]), key, arena.subarray(s, s + sigLen[i]));
          }
        } catch {
          ok = false;
        }
        if (!ok) Atomics.store(ctl, ${FAILED}, 1);
        Atomics.store(state, c, ok ? ${OK} : ${BAD});
        Atomics.add(ctl, ${DONE}, 1);
        Atomics.notify(ctl, ${DONE});
        if (!ok) return;
      }
      c++;
      idleFrom = performance.now();
    } else if (Atomics.load(ctl, ${CLOSED}) !== 0) {
      return;
    } else if (Atomics.wait(ctl, ${PUBLISHED}, published, Math.min(1000, m.idleMs)) === 'timed-out') {
      // Waited for the next chunk (the caller notifies after publishing it, and when it closes). A
      // batch left open this long is not served for ever: its caller verifies what is left.
      if (performance.now() - idleFrom >= m.idleMs) return;
    } else {
      idleFrom = performance.now();
    }
  }
});
`;

/** The most a batch shares with the worker (messages + signatures); a larger batch is verified on the calling thread. */
const SHARED_MAX = 256 * 1024 * 1024;

class VerifyWorker {
  private worker: Worker | undefined;
  /** worker_threads unusable here: batches verify on the calling thread. */
  private dead = false;
  private open = 0;
  private readonly deathListeners = new Set<() => void>();

  private ensure(): Worker | undefined {
    if (this.dead) return undefined;
    if (this.worker) return this.worker;
    try {
      // execArgv [] keeps a parent's loaders (tsx in tests) out of this plain-JS worker.
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      // A worker that errs or exits is dropped (the next batch starts another); its open batches
      // verify what it did not finish.
      const die = () => {
        if (this.worker !== w) return;
        this.worker = undefined;
        for (const l of this.deathListeners) l();
      };
      w.on('error', die);
      w.on('exit', die);
      w.unref();
      this.worker = w;
      return w;
    } catch {
      this.dead = true;
      return undefined;
    }
  }

  /** Whether a worker runs or can be started (no: batches share nothing and verify on the calling thread). */
  available(): boolean {
    return this.ensure() !== undefined;
  }

  /** Start a batch on the worker (undefined: no worker, the caller verifies everything). */
  start(message: Record<string, unknown>, onDeath: () => void): Worker | undefined {
    const worker = this.ensure();
    if (!worker) return undefined;
    // a batch is waiting on it: keep the process alive (unref again when none is open)
    this.open++;
    worker.ref();
    this.deathListeners.add(onDeath);
    worker.postMessage(message);
    return worker;
  }

  end(onDeath: () => void): void {
    if (!this.deathListeners.delete(onDeath)) return;
    if (--this.open === 0) this.worker?.unref();
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (w) await w.terminate();
  }
}

const shared = new VerifyWorker();

/** Terminate the verifying worker (open batches finish on the calling thread; the next batch starts a new one). */
export function stopVerifyWorker(): Promise<void> {
  return shared.stop();
}

/** The memory a batch shares with the worker. */
interface SharedBatch {
  ctl: Int32Array;
  state: Int32Array;
  ends: Int32Array;
  msgOff: Float64Array;
  sigLen: Uint16Array;
  arena: Uint8Array;
  sigBase: number;
  sigStride: number;
}

function shareBatch(items: readonly Uint8Array[], maxSignatureBytes: number, maxShared: number): SharedBatch | undefined {
  const n = items.length;
  const msgOff = new Float64Array(new SharedArrayBuffer(8 * (n + 1)));
  let size = 0;
  for (let i = 0; i < n; i++) {
    size += (items[i] as Uint8Array).byteLength;
    msgOff[i + 1] = size;
  }
  const sigStride = maxSignatureBytes;
  if (size + n * sigStride > maxShared) return undefined;
  const sab = (bytes: number) => new SharedArrayBuffer(Math.max(4, bytes));
  return {
    ctl: new Int32Array(sab(16)),
    state: new Int32Array(sab(4 * n)),
    ends: new Int32Array(sab(4 * n)),
    msgOff,
    sigLen: new Uint16Array(sab(2 * n)),
    arena: new Uint8Array(sab(size + n * sigStride)),
    sigBase: size,
    sigStride,
  };
}

export interface BatchOptions {
  /** The longest signature this key makes (bytes); a longer one is verified on the calling thread. */
  maxSignatureBytes: number;
  /** Progress: n more signatures verified (called from `poll` and `finish`). */
  onVerified?: (n: number) => void;
  /** How long the worker waits for the next chunk before it leaves the batch to its caller (default 60 s). */
  workerIdleMs?: number;
  /** The most this batch shares with the worker, messages + signature slots (default 256 MiB); above it the caller verifies all. */
  maxSharedBytes?: number;
}

/**
 * One batch over `items`: `add` the signature of each item in order (chunks go to the worker when
 * `flush`ed), `poll` now and then to take in the worker's verdicts (progress, a failure), then
 * `finish` verifies what is left here and resolves true when every signature verified.
 */
export class BatchVerifier {
  private readonly key: KeyObject;
  private readonly sigs: Uint8Array[] = [];
  /** items[ends[c - 1] .. ends[c]) is chunk c. */
  private readonly chunkEnds: number[] = [];
  private readonly settled: boolean[] = [];
  private readonly mem: SharedBatch | undefined;
  private readonly onVerified: (n: number) => void;
  private worker: Worker | undefined;
  private pendingFrom = 0;
  /** A signature in the pending chunk longer than the shared slots (verified here). */
  private oversize = false;
  private reported = 0;
  /** Chunks before this one are all settled. */
  private scan = 0;
  private doneSeen = 0;
  private failed = false;
  /** Chunks verified by the worker and by the calling thread (how the work was shared). */
  chunksByWorker = 0;
  chunksHere = 0;
  private readonly onDeath = () => {
    this.worker = undefined;
  };

  constructor(
    spki: Uint8Array,
    private readonly params: VerifyParams,
    private readonly items: readonly Uint8Array[],
    opts: BatchOptions,
  ) {
    this.key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    this.onVerified = opts.onVerified ?? (() => {});
    // nothing is copied into shared memory when no worker can take it
    this.mem = shared.available() ? shareBatch(items, opts.maxSignatureBytes, opts.maxSharedBytes ?? SHARED_MAX) : undefined;
    const m = this.mem;
    if (!m) return;
    this.worker = shared.start(
      {
        spki,
        hash: params.hash,
        options: params.options,
        ctl: m.ctl.buffer,
        state: m.state.buffer,
        ends: m.ends.buffer,
        msgOff: m.msgOff.buffer,
        sigLen: m.sigLen.buffer,
        arena: m.arena.buffer,
        sigBase: m.sigBase,
        sigStride: m.sigStride,
        idleMs: opts.workerIdleMs ?? IDLE_MS,
      },
      this.onDeath,
    );
  }

  /** A failure seen so far (the caller stops signing). */
  get anyFailed(): boolean {
    return this.failed || (this.mem !== undefined && Atomics.load(this.mem.ctl, FAILED) !== 0);
  }

  /** Number of signatures added but not yet handed to the worker. */
  get buffered(): number {
    return this.sigs.length - this.pendingFrom;
  }

  /** The signature of the next item (in the order of `items`). */
  add(sig: Uint8Array): void {
    const i = this.sigs.length;
    this.sigs.push(sig);
    const m = this.mem;
    if (!m || !this.worker) return;
    if (sig.byteLength > m.sigStride) {
      this.oversize = true;
      return;
    }
    m.arena.set(this.items[i] as Uint8Array, m.msgOff[i] as number);
    m.arena.set(sig, m.sigBase + i * m.sigStride);
    m.sigLen[i] = sig.byteLength;
  }

  /** Publish the signatures added since the last flush as one chunk. */
  flush(): void {
    const end = this.sigs.length;
    if (end === this.pendingFrom) return;
    const c = this.chunkEnds.length;
    this.chunkEnds.push(end);
    this.settled.push(false);
    this.pendingFrom = end;
    const m = this.mem;
    if (!m) return;
    m.ends[c] = end;
    if (this.oversize || !this.worker) m.state[c] = HERE;
    this.oversize = false;
    Atomics.store(m.ctl, PUBLISHED, c + 1);
    Atomics.notify(m.ctl, PUBLISHED);
  }

  /** Take in the verdicts the worker has written since the last poll: progress, and a failure. */
  poll(): void {
    const m = this.mem;
    if (!m) return;
    const done = Atomics.load(m.ctl, DONE);
    if (done === this.doneSeen) return;
    this.doneSeen = done;
    for (let c = this.scan; c < this.chunkEnds.length; c++) {
      if (this.settled[c]) continue;
      const st = Atomics.load(m.state, c);
      if (st === OK || st === BAD) {
        this.chunksByWorker++;
        this.settle(c, st === OK);
      } else if (st === FREE) break; // the worker goes in order: nothing further is finished
    }
    while (this.scan < this.chunkEnds.length && this.settled[this.scan]) this.scan++;
  }

  private settle(c: number, ok: boolean): void {
    this.settled[c] = true;
    this.reported++;
    if (!ok) this.failed = true;
    else this.onVerified((this.chunkEnds[c] as number) - (c === 0 ? 0 : (this.chunkEnds[c - 1] as number)));
  }

  private verifyHere(c: number): void {
    const key = { key: this.key, ...this.params.options } as never;
    const end = this.chunkEnds[c] as number;
    let ok = true;
    try {
      for (let i = c === 0 ? 0 : (this.chunkEnds[c - 1] as number); i < end && ok; i++)
        ok = nodeVerify(this.params.hash, this.items[i] as Uint8Array, key, this.sigs[i] as Uint8Array);
    } catch {
      ok = false;
    }
    this.chunksHere++;
    this.settle(c, ok);
  }

  /** Whether chunk c is this thread's to verify now (claimed here, or no worker will finish it). */
  private claimHere(c: number): boolean {
    const m = this.mem;
    if (!m || !this.worker) {
      // no worker (any more): whatever it has not finished is verified here
      if (m) this.poll();
      return !this.settled[c] && (!m || Atomics.load(m.state, c) < OK);
    }
    const st = Atomics.compareExchange(m.state, c, FREE, HERE);
    return st === FREE || st === HERE;
  }

  /** Verify every remaining chunk (here, or by the worker that already claimed it); true when all verified. */
  async finish(): Promise<boolean> {
    this.flush();
    try {
      this.closeShared();
      // The chunks the worker has not claimed, from the last backwards.
      for (let c = this.chunkEnds.length - 1; c >= 0 && !this.anyFailed; c--) if (!this.settled[c] && this.claimHere(c)) this.verifyHere(c);
      for (;;) {
        this.poll();
        if (this.anyFailed || this.reported === this.chunkEnds.length) break;
        const m = this.mem as SharedBatch; // with no shared memory every chunk was verified above
        if (!this.worker) {
          // The worker died: whatever it did not finish is verified here.
          for (let c = 0; c < this.chunkEnds.length && !this.failed; c++) if (this.claimHere(c)) this.verifyHere(c);
          continue;
        }
        const seen = this.doneSeen;
        // wake at the worker's next verdict; look again every 20 ms (a worker that died says so on the event loop)
        const w = waitAsync(m.ctl, DONE, seen, 20);
        if (w.async) await w.value;
        else await turn();
      }
      return !this.anyFailed;
    } finally {
      this.close();
    }
  }

  private closeShared(): void {
    const m = this.mem;
    if (!m) return;
    Atomics.store(m.ctl, CLOSED, 1);
    Atomics.notify(m.ctl, PUBLISHED);
  }

  /** Stop using the worker for this batch (also after a cancel or an error while signing). */
  close(): void {
    this.closeShared();
    shared.end(this.onDeath);
    this.worker = undefined;
  }
}

/** Atomics.waitAsync (ES2024; in Node since 16), typed here for this project's ES2022 library. */
const waitAsync = (
  Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, ms: number) => { async: boolean; value: Promise<unknown> | string } }
).waitAsync;

/** One turn of the event loop. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

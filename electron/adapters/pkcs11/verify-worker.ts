/**
 * Verification of batch signatures on a second core while the token signs on this one.
 *
 * One worker thread (started on first use, kept for the life of the process, unreferenced while idle)
 * verifies chunks of (message, signature) pairs with node:crypto. Each chunk is claimed exactly once,
 * by the worker or by the calling thread, through a compare-and-swap on a shared Int32Array: when
 * the token has made every signature, the calling thread verifies the chunks the worker has not yet
 * started, from the last backwards, while the worker continues from the first. Two cores then share
 * signing + verifying with no thread pool in between and no per-signature message.
 *
 * Only public data crosses to the worker (messages, signatures, the public key). If the worker cannot
 * start or dies, the calling thread verifies whatever it has not reported: every signature is checked
 * either way, and nothing is returned before all of them are.
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** node:crypto verification parameters: the hash (null for Ed25519) and key options (dsaEncoding, padding...). */
export interface VerifyParams {
  hash: string | null;
  options: Record<string, unknown>;
}

// Plain JavaScript, evaluated in the worker (no loader, no bundler entry point).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const batches = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'open') {
    const key = { key: createPublicKey({ key: Buffer.from(m.spki), format: 'der', type: 'spki' }), ...m.options };
    batches.set(m.b, { key, hash: m.hash, claims: new Int32Array(m.claims) });
  } else if (m.t === 'close') {
    batches.delete(m.b);
  } else if (m.t === 'chunk') {
    const b = batches.get(m.b);
    if (!b || Atomics.compareExchange(b.claims, m.c, 0, 1) !== 0) return;
    // One packed buffer per chunk: n messages, then n signatures; offs holds the 2n+1 boundaries.
    const { buf, offs } = m;
    const n = (offs.length - 1) / 2;
    let ok = true;
    try {
      for (let i = 0; i < n && ok; i++) {
        ok = verify(b.hash, buf.subarray(offs[i], offs[i + 1]), b.key, buf.subarray(offs[n + i], offs[n + i + 1]));
      }
    } catch {
      ok = false;
    }
    parentPort.postMessage({ b: m.b, c: m.c, ok });
  }
});
`;

interface Reply {
  b: number;
  c: number;
  ok: boolean;
}

type Listener = (r: Reply) => void;

class VerifyWorker {
  private worker: Worker | undefined;
  /** worker_threads unusable here: batches verify on the calling thread. */
  private dead = false;
  private readonly listeners = new Map<number, Listener>();
  private readonly deathListeners = new Set<() => void>();
  private nextBatch = 1;

  private ensure(): Worker | undefined {
    if (this.dead) return undefined;
    if (this.worker) return this.worker;
    try {
      // execArgv [] keeps a parent's loaders (tsx in tests) out of this plain-JS worker.
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      w.on('message', (r: Reply) => this.listeners.get(r.b)?.(r));
      // A worker that errs or exits is dropped (the next batch starts another); its open batches
      // verify what it did not report.
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

  open(listener: Listener, onDeath: () => void): { id: number; worker: Worker | undefined } {
    const id = this.nextBatch++;
    const worker = this.ensure();
    if (worker) {
      worker.ref(); // a batch is waiting on it: keep the process alive (unref again when none is open)
      this.listeners.set(id, listener);
      this.deathListeners.add(onDeath);
    }
    return { id, worker };
  }

  close(id: number, onDeath: () => void): void {
    this.deathListeners.delete(onDeath);
    if (!this.listeners.delete(id)) return;
    this.worker?.postMessage({ t: 'close', b: id });
    if (this.listeners.size === 0) this.worker?.unref();
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

/** Chunk states in the shared array. */
const FREE = 0;
const MINE = 2;

interface Chunk {
  data: Uint8Array[];
  sigs: Uint8Array[];
  /** undefined: not reported yet */
  ok?: boolean;
}

/**
 * One batch: `add` each signature as it is made (chunks go to the worker as they fill, or `flush`),
 * then `finish` verifies what is left here and resolves with the number of signatures that failed
 * (0: all verified). `onVerified(n)` reports progress as chunks verify.
 */
export class BatchVerifier {
  private readonly key: KeyObject;
  private readonly claims: Int32Array;
  private readonly chunks: Chunk[] = [];
  private pending: Chunk = { data: [], sigs: [] };
  private readonly id: number;
  private worker: Worker | undefined;
  private reported = 0;
  private failed = false;
  /** Chunks verified by the worker and by the calling thread (how the work was shared). */
  chunksByWorker = 0;
  chunksHere = 0;
  private wake: (() => void) | undefined;
  private readonly onDeath = () => {
    this.worker = undefined;
    this.wake?.();
  };

  constructor(
    spki: Uint8Array,
    private readonly params: VerifyParams,
    capacity: number,
    private readonly onVerified: (n: number) => void = () => {},
  ) {
    this.key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    this.claims = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, capacity)));
    const { id, worker } = shared.open((r) => this.reply(r), this.onDeath);
    this.id = id;
    this.worker = worker;
    worker?.postMessage({ t: 'open', b: id, spki, hash: params.hash, options: params.options, claims: this.claims.buffer });
  }

  /** A failure reported so far (the caller stops signing). */
  get anyFailed(): boolean {
    return this.failed;
  }

  /** Number of signatures added but not yet handed to the worker. */
  get buffered(): number {
    return this.pending.data.length;
  }

  add(data: Uint8Array, sig: Uint8Array): void {
    this.pending.data.push(data);
    this.pending.sigs.push(sig);
  }

  /**
   * Hand the buffered signatures to the worker as one chunk: the messages and signatures copied into
   * one new buffer that is transferred, not cloned (a message may be a view of a larger buffer, such
   * as Node's 8 KiB Buffer pool, which a structured clone would copy whole for every chunk).
   */
  flush(): void {
    const chunk = this.pending;
    const n = chunk.data.length;
    if (n === 0) return;
    this.pending = { data: [], sigs: [] };
    const c = this.chunks.length;
    this.chunks.push(chunk);
    const worker = this.worker;
    if (!worker) return;
    const offs = new Uint32Array(2 * n + 1);
    let size = 0;
    for (let i = 0; i < n; i++) {
      size += (chunk.data[i] as Uint8Array).length;
      offs[i + 1] = size;
    }
    for (let i = 0; i < n; i++) {
      size += (chunk.sigs[i] as Uint8Array).length;
      offs[n + i + 1] = size;
    }
    const buf = new Uint8Array(size);
    for (let i = 0; i < n; i++) {
      buf.set(chunk.data[i] as Uint8Array, offs[i] as number);
      buf.set(chunk.sigs[i] as Uint8Array, offs[n + i] as number);
    }
    worker.postMessage({ t: 'chunk', b: this.id, c, buf, offs }, [buf.buffer, offs.buffer]);
  }

  private reply(r: Reply): void {
    const chunk = this.chunks[r.c];
    if (!chunk || chunk.ok !== undefined) return;
    this.chunksByWorker++;
    this.settle(chunk, r.ok);
    this.wake?.();
  }

  private settle(chunk: Chunk, ok: boolean): void {
    chunk.ok = ok;
    this.reported++;
    if (!ok) this.failed = true;
    else this.onVerified(chunk.data.length);
  }

  private verifyHere(chunk: Chunk): void {
    const key = { key: this.key, ...this.params.options } as never;
    let ok = true;
    try {
      for (let i = 0; i < chunk.data.length && ok; i++) ok = nodeVerify(this.params.hash, chunk.data[i] as Uint8Array, key, chunk.sigs[i] as Uint8Array);
    } catch {
      ok = false;
    }
    this.chunksHere++;
    this.settle(chunk, ok);
  }

  /** Verify every remaining chunk (here, or by the worker that already claimed it); true when all verified. */
  async finish(): Promise<boolean> {
    this.flush();
    try {
      // The chunks the worker has not claimed, from the last backwards.
      for (let c = this.chunks.length - 1; c >= 0 && !this.failed; c--) {
        const chunk = this.chunks[c] as Chunk;
        if (chunk.ok === undefined && (!this.worker || Atomics.compareExchange(this.claims, c, FREE, MINE) === FREE)) this.verifyHere(chunk);
      }
      while (this.reported < this.chunks.length && !this.failed) {
        if (!this.worker) {
          // The worker died: whatever it did not report is verified here.
          for (const chunk of this.chunks) if (chunk.ok === undefined) this.verifyHere(chunk);
          break;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
      return !this.failed;
    } finally {
      this.close();
    }
  }

  /** Stop using the worker for this batch (also after a cancel or an error while signing). */
  close(): void {
    shared.close(this.id, this.onDeath);
    this.worker = undefined;
  }
}

/**
 * Shared bench plumbing: a throwaway SoftHSM2 token with one ECDSA P-256 key, and the baseline every
 * signing bench compares against — a raw pkcs11js C_SignInit/C_Sign loop over pre-computed SHA-256
 * digests on the same key and session.
 */
import { createPublicKey, verify } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { provisionSoftHsm, removeSoftHsm } from '../electron/adapters/softhsm';
import { Pkcs11Module, type TokenKey, type TokenSession } from '../electron/adapters/pkcs11';

export async function withBenchKey<T>(label: string, fn: (s: TokenSession, key: TokenKey, mod: Pkcs11Module) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `kc-bench-${label}-`));
  const env = provisionSoftHsm(dir, [label], { pin: '1234' });
  process.env.SOFTHSM2_CONF = env.conf;
  const mod = Pkcs11Module.open(env.module);
  try {
    return await mod.withSession({ label }, { pin: () => new TextEncoder().encode('1234'), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
      return fn(s, key, mod);
    });
  } finally {
    mod.close();
    removeSoftHsm(dir);
  }
}

/** Signatures per second of the raw loop over `digests` (32-byte SHA-256 values). */
export function rawSignRate(s: TokenSession, key: TokenKey, digests: readonly Buffer[]): number {
  // a plain pkcs11js session beside ours (same process, same login, same key handle)
  const { lib, session, close } = plainSession(s);
  const out = Buffer.alloc(64);
  const t0 = process.hrtime.bigint();
  for (const d of digests) {
    lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key.privateHandle);
    lib.C_Sign(session, d, out);
  }
  const rate = digests.length / (Number(process.hrtime.bigint() - t0) / 1e9);
  close();
  return rate;
}

/** A plain pkcs11js session on the bench token (same process, same login), for baselines and wrappers. */
export function plainSession(s: TokenSession): { lib: pkcs11js.PKCS11; session: Buffer; close: () => void } {
  const lib = new pkcs11js.PKCS11();
  lib.load(s.modulePath);
  try {
    lib.C_Initialize();
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  const session = lib.C_OpenSession(Buffer.from(s.token.slotId, 'hex'), pkcs11js.CKF_SERIAL_SESSION);
  return { lib, session, close: () => lib.C_CloseSession(session) };
}

/**
 * Signatures per second of node:crypto verifying `sigs` (DER ECDSA over `msgs`) one after the other
 * on this thread: 1/v, the verification half of the physical limit.
 */
export function verifyRate(spki: Uint8Array, msgs: readonly Uint8Array[], sigs: readonly Uint8Array[]): number {
  const pub = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const key = { key: pub, dsaEncoding: 'der' } as const;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < msgs.length; i++) {
    if (!verify('sha256', msgs[i] as Uint8Array, key, sigs[i] as Uint8Array)) throw new Error('bench: a signature did not verify');
  }
  return msgs.length / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/**
 * The most a process can do when it signs every item on the token and verifies every signature, on
 * two cores: signing is serial on one core (rate 1/s at best) and the two together cost s + v of CPU
 * per signature over two cores, so min(1/s, 2/(s+v)) signatures per second.
 */
export function physicalLimit(rawSignPerSec: number, verifyPerSec: number): number {
  const s = 1 / rawSignPerSec;
  const v = 1 / verifyPerSec;
  return Math.min(1 / s, 2 / (s + v));
}

setFlagsFromString('--expose-gc');
/**
 * A full garbage collection now. Every timed measurement starts with one, on every side: otherwise a
 * round pays for the garbage (or the retained results) of the round before it — a 10,000-image cosign
 * batch leaves ~10 MB, whose mark-compact (60 ms) then lands in whichever measurement runs next.
 */
export const collectGarbage = runInNewContext('gc') as () => void;

/** Runs each measurement `rounds` times, interleaved, each after a full GC, and returns every value (for best and spread). */
export async function interleave<K extends string>(rounds: number, fns: Record<K, () => number | Promise<number>>): Promise<Record<K, number[]>> {
  const out = Object.fromEntries(Object.keys(fns).map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++)
    for (const k of Object.keys(fns) as K[]) {
      collectGarbage();
      out[k].push(await fns[k]());
    }
  return out;
}

/** "min–max (median m)" of a list of per-round ratios, for the spread column. */
export const spread = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} (median ${median.toFixed(2)})`;
};

/** Log the bench token in again (another session's C_Logout/C_CloseAllSessions logged the whole application out). */
export function relogin(s: TokenSession): void {
  const { lib, session, close } = plainSession(s);
  try {
    lib.C_Login(session, pkcs11js.CKU_USER, '1234');
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw e;
  }
  close();
}

// A plain-JS worker that verifies the given signatures in a loop until told to stop (flag[0] = 1).
const CONTENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const flag = new Int32Array(workerData.flag);
const key = { key: createPublicKey({ key: Buffer.from(workerData.spki), format: 'der', type: 'spki' }), dsaEncoding: 'der' };
const msgs = workerData.msgs.map((m) => Buffer.from(m));
const sigs = workerData.sigs.map((m) => Buffer.from(m));
parentPort.on('message', () => {
  Atomics.store(flag, 1, 1);
  Atomics.notify(flag, 1);
  let n = 0;
  const t0 = performance.now();
  while (Atomics.load(flag, 0) === 0) { verify('sha256', msgs[n % msgs.length], key, sigs[n % sigs.length]); n++; }
  parentPort.postMessage(n / ((performance.now() - t0) / 1000));
});`;

/**
 * s and v as the two cores run them together: the raw C_Sign loop on this thread while a worker
 * verifies in a loop on the other core, each rate measured over the same interval. Whether the two
 * "cores" are independent (a VM's two vCPUs may share a physical core or be preempted) shows as the
 * difference from s and v measured alone. `round` measures one round (and keeps it); `limits` gives the
 * limit from the best s and best v of the rounds kept, and each round's own limit, in round order.
 */
export async function concurrentRates(
  s: TokenSession,
  key: TokenKey,
  digests: readonly Buffer[],
  msgs: readonly Uint8Array[],
  sigs: readonly Uint8Array[],
): Promise<{ round: (current: TokenKey) => Promise<void>; limits: () => TogetherLimits; close: () => Promise<number> }> {
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const w = new Worker(CONTENDER, {
    eval: true,
    execArgv: [],
    workerData: { flag: flag.buffer, spki: key.publicKeySpki, msgs: msgs.map((m) => new Uint8Array(m)), sigs: sigs.map((m) => new Uint8Array(m)) },
  });
  await new Promise((r) => w.once('online', r));
  const rounds: { sign: number; verify: number }[] = [];
  // `current`: the key's handle now (SoftHSM hands out new handles after another session logs out).
  const round = async (current: TokenKey) => {
    Atomics.store(flag, 0, 0);
    Atomics.store(flag, 1, 0);
    const verified = new Promise<number>((res) => w.once('message', res));
    w.postMessage(0);
    Atomics.wait(flag, 1, 0); // the worker is verifying
    const sign = rawSignRate(s, current, digests);
    Atomics.store(flag, 0, 1);
    rounds.push({ sign, verify: await verified });
  };
  const limits = (): TogetherLimits => {
    const sign = Math.max(...rounds.map((r) => r.sign));
    const verify = Math.max(...rounds.map((r) => r.verify));
    return { sUs: 1e6 / sign, vUs: 1e6 / verify, best: physicalLimit(sign, verify), perRound: rounds.map((r) => physicalLimit(r.sign, r.verify)) };
  };
  return { round, limits, close: () => w.terminate() };
}

/** The limit from s and v measured together: s and v (µs) of the best rounds, that limit, and each round's own. */
export interface TogetherLimits {
  sUs: number;
  vUs: number;
  best: number;
  perRound: number[];
}

/**
 * CPU time of each thread of this process so far, in ms by thread id (Linux /proc, in clock ticks of
 * 10 ms); undefined where /proc is not there. Used to show whether a pipeline's two threads were busy
 * for the whole batch (then only less work per signature, or faster cores, makes it faster).
 */
export function threadCpuMs(): Map<number, number> | undefined {
  try {
    const out = new Map<number, number>();
    for (const t of readdirSync('/proc/self/task')) {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(f[11]) + Number(f[12])) * 10); // utime + stime (fields 14, 15)
    }
    return out;
  } catch {
    return undefined;
  }
}

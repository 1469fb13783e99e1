/**
 * The case custodians meet: a token that takes its time per signature (a YubiKey signs P-256 in the
 * order of 20 ms). The SoftHSM token is wrapped so that every C_Sign first blocks this thread for
 * BENCH_HSM_MS (as a USB token's C_Sign does), then signs.
 *
 * Baseline: the token's own time, a raw C_SignInit/C_Sign loop through the same wrapper.
 * Ours: TokenSigner.signMany through the same wrapper (hash, C_Sign, DER, every signature verified by
 * the worker while the token is busy with the next one). Target: ours adds < 2% (ratio >= 0.98).
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { interleave, plainSession, spread, withBenchKey } from './token';
import { TokenSigner } from '../electron/adapters/pkcs11/signer';
import type { Report } from './run';

const N = Number(process.env.BENCH_HSM_N ?? 100);
const MS = Number(process.env.BENCH_HSM_MS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The library with a blocking delay before every C_Sign (Atomics.wait: the thread sleeps, as in a USB call). */
function slowToken(lib: pkcs11js.PKCS11, ms: number): pkcs11js.PKCS11 {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return new Proxy(lib, {
    get(target, prop) {
      if (prop === 'C_Sign') {
        return (...args: Parameters<pkcs11js.PKCS11['C_Sign']>) => {
          Atomics.wait(cell, 0, 0, ms);
          return target.C_Sign(...args);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export async function run(report: Report): Promise<void> {
  await withBenchKey('hsm-latency', async (s, key) => {
    const { lib, session, close } = plainSession(s);
    const slow = slowToken(lib, MS);
    const msgs = Array.from({ length: N }, (_, i) => Buffer.from(`release ${i}`));
    const digests = msgs.map((m) => createHash('sha256').update(m).digest());
    const signer = new TokenSigner(slow, session, key, 'ecdsa-p256-sha256', s.token, { needed: false, pin: async () => undefined, login: () => {} });
    const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
    const tokenOnly = () => {
      const out = Buffer.alloc(64);
      const t0 = process.hrtime.bigint();
      for (const d of digests) {
        slow.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key.privateHandle);
        slow.C_Sign(session, d, out);
      }
      return seconds(t0);
    };
    const ours = async () => {
      const t0 = process.hrtime.bigint();
      const sigs = await signer.signMany(msgs);
      if (sigs.length !== N) throw new Error('short batch');
      return seconds(t0);
    };
    await ours();
    const m = await interleave(ROUNDS, { tokenOnly, ours });
    close();
    const base = Math.min(...m.tokenOnly);
    const best = Math.min(...m.ours);
    report({
      name: `hsm: signMany on a ${MS} ms/C_Sign token vs the token's own time`,
      ours: best * 1000,
      baseline: base * 1000,
      unit: 'ms',
      ratio: base / best,
      note: `${N} P-256 signatures, every one verified; overhead ${(((best - base) / base) * 100).toFixed(2)}%; per-round ${spread(m.ours.map((o, i) => (m.tokenOnly[i] as number) / o))}; target >= 0.98 (< 2%)`,
    });
  });
}

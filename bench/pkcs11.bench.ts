/**
 * ECDSA P-256 signatures per second on one SoftHSM token: our Signer (host SHA-256, token CKM_ECDSA,
 * DER conversion, verification of every signature) vs a raw pkcs11js C_SignInit/C_Sign loop over
 * pre-computed digests on the same key and session, measured in the same run. Target ratio >= 0.9.
 */
import { createHash } from 'node:crypto';
import { rawSignRate, withBenchKey } from './token';
import type { Report } from './run';

const N = Number(process.env.BENCH_SIGNS ?? 5000);

export async function run(report: Report): Promise<void> {
  await withBenchKey('bench', async (s, key) => {
    const msgs = Array.from({ length: N }, (_, i) => Buffer.from(`message ${i}`));
    const digests = msgs.map((m) => createHash('sha256').update(m).digest());
    const rawLoop = () => rawSignRate(s, key, digests);
    const signer = s.signer(key);
    const ours = async () => {
      const t0 = process.hrtime.bigint();
      const sigs = await signer.signMany(msgs);
      if (sigs.length !== N) throw new Error('short batch');
      return N / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    const oursSingle = async () => {
      const n = Math.min(N, 2000);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await signer.sign(msgs[i] as Buffer);
      return n / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    // Warm up both paths, then interleave runs and keep the best of three for each.
    rawLoop();
    await ours();
    const raws: number[] = [];
    const oursRates: number[] = [];
    for (let i = 0; i < 3; i++) {
      raws.push(rawLoop());
      oursRates.push(await ours());
    }
    const base = Math.max(...raws);
    const best = Math.max(...oursRates);
    report({ name: 'pkcs11: ECDSA P-256 batch signMany (verified) vs raw C_Sign', ours: best, baseline: base, unit: 'sig/s', ratio: best / base, note: `${N} signatures, target >= 0.9` });
    const single = await oursSingle();
    report({ name: 'pkcs11: ECDSA P-256 one-by-one sign() (verified) vs raw C_Sign', ours: single, baseline: base, unit: 'sig/s', ratio: single / base, note: 'sync verify per call' });
    // Where the time goes: node:crypto's P-256 verification of one signature, the floor for
    // "verify every signature" on this CPU.
    const { createPublicKey, verify } = await import('node:crypto');
    const pub = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
    const sig = await signer.sign(msgs[0] as Buffer);
    const n = 2000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) verify('sha256', msgs[0] as Buffer, pub, sig);
    const vRate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
    report({ name: 'pkcs11: node:crypto P-256 verify alone vs raw C_Sign', ours: vRate, baseline: base, unit: 'op/s', ratio: vRate / base, note: 'the cost of the self-check' });
  });
}

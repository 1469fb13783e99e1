/**
 * ECDSA P-256 signatures per second on one SoftHSM token: our Signer (host SHA-256, token CKM_ECDSA,
 * DER conversion, verification of every signature) vs a raw pkcs11js C_SignInit/C_Sign loop over
 * pre-computed digests on the same key and session, measured in the same run. Target ratio >= 0.9.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { provisionSoftHsm, removeSoftHsm } from '../electron/adapters/softhsm';
import { Pkcs11Module } from '../electron/adapters/pkcs11';
import type { Report } from './run';

const N = Number(process.env.BENCH_SIGNS ?? 5000);

export async function run(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kc-bench-'));
  const env = provisionSoftHsm(dir, ['bench'], { pin: '1234' });
  process.env.SOFTHSM2_CONF = env.conf;
  const mod = Pkcs11Module.open(env.module);
  try {
    await mod.withSession({ label: 'bench' }, { pin: () => new TextEncoder().encode('1234'), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'bench' });
      const msgs = Array.from({ length: N }, (_, i) => Buffer.from(`message ${i}`));
      const digests = msgs.map((m) => createHash('sha256').update(m).digest());
      const { pkcs11: lib, session } = s.raw;
      const rawLoop = () => {
        const t0 = process.hrtime.bigint();
        for (const d of digests) {
          lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key.privateHandle);
          lib.C_Sign(session, d, Buffer.alloc(64));
        }
        return N / (Number(process.hrtime.bigint() - t0) / 1e9);
      };
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
    });
  } finally {
    mod.close();
    removeSoftHsm(dir);
  }
}

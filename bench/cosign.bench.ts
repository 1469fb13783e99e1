/**
 * cosign batch signing on one SoftHSM token: 10,000 image digests through `signImages` (simple-signing
 * payload per image, SHA-256 digest for the bundle, token ECDSA P-256 via Signer.signMany with every
 * signature verified, DER, bundle v0.3 per image) vs a raw pkcs11js C_SignInit/C_Sign loop over
 * pre-computed SHA-256 digests of the same payloads, same key and session, same run. Target ratio >= 0.9.
 * A second figure isolates the cosign layer: signImages vs the bare Signer.signMany of the same payloads.
 */
import { createHash } from 'node:crypto';
import { rawSignRate, withBenchKey } from './token';
import { parseImageReference } from '../shared/cosign/reference';
import { simpleSigningPayload } from '../shared/cosign/simple-signing';
import { signImages } from '../electron/core/cosign/sign';
import type { Report } from './run';

/** What the CLI injects: node:crypto's synchronous hash. */
const nodeHash = (alg: 'sha256' | 'sha384', d: Uint8Array) => new Uint8Array(createHash(alg).update(d).digest());

const N = Number(process.env.BENCH_COSIGN_N ?? 10000);

export async function run(report: Report): Promise<void> {
  await withBenchKey('cosign-bench', async (s, key) => {
    {
      const refs = Array.from({ length: N }, (_, i) =>
        parseImageReference(`registry.example.com/release/app@sha256:${createHash('sha256').update(`image ${i}`).digest('hex')}`),
      );
      const digests = refs.map((r) => createHash('sha256').update(simpleSigningPayload(r)).digest());
      const rawLoop = () => rawSignRate(s, key, digests);
      const signer = s.signer(key);
      const payloads = refs.map((r) => simpleSigningPayload(r));
      const signManyOnly = async () => {
        const t0 = process.hrtime.bigint();
        await signer.signMany(payloads);
        return N / (Number(process.hrtime.bigint() - t0) / 1e9);
      };
      let progressCalls = 0;
      const ours = async () => {
        const t0 = process.hrtime.bigint();
        const sigs = await signImages(signer, refs, { onProgress: () => progressCalls++, hash: nodeHash });
        if (sigs.length !== N) throw new Error('short batch');
        return N / (Number(process.hrtime.bigint() - t0) / 1e9);
      };
      rawLoop();
      await ours();
      const raws: number[] = [];
      const oursRates: number[] = [];
      const signerRates: number[] = [];
      for (let i = 0; i < 3; i++) {
        raws.push(rawLoop());
        oursRates.push(await ours());
        signerRates.push(await signManyOnly());
      }
      const base = Math.max(...raws);
      const best = Math.max(...oursRates);
      report({
        name: `cosign: ${N} image signatures + bundles (signImages) vs raw C_Sign`,
        ours: best,
        baseline: base,
        unit: 'img/s',
        ratio: best / base,
        note: `best of 3 each, interleaved; progress callbacks ${progressCalls}; target >= 0.9`,
      });
      // What the cosign layer itself costs: the same batch through signImages vs the bare Signer.signMany
      // of the same payloads (which already verifies every signature).
      const bare = Math.max(...signerRates);
      report({
        name: `cosign: signImages vs bare Signer.signMany (${N} payloads)`,
        ours: best,
        baseline: bare,
        unit: 'img/s',
        ratio: best / bare,
        note: 'cosign-layer overhead only; target >= 0.9',
      });
    }
  });
}

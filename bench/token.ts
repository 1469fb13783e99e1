/**
 * Shared bench plumbing: a throwaway SoftHSM2 token with one ECDSA P-256 key, and the baseline every
 * signing bench compares against — a raw pkcs11js C_SignInit/C_Sign loop over pre-computed SHA-256
 * digests on the same key and session.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { provisionSoftHsm, removeSoftHsm } from '../electron/adapters/softhsm';
import { Pkcs11Module, type TokenKey, type TokenSession } from '../electron/adapters/pkcs11';

export async function withBenchKey<T>(label: string, fn: (s: TokenSession, key: TokenKey) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `kc-bench-${label}-`));
  const env = provisionSoftHsm(dir, [label], { pin: '1234' });
  process.env.SOFTHSM2_CONF = env.conf;
  const mod = Pkcs11Module.open(env.module);
  try {
    return await mod.withSession({ label }, { pin: () => new TextEncoder().encode('1234'), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
      return fn(s, key);
    });
  } finally {
    mod.close();
    removeSoftHsm(dir);
  }
}

/** Signatures per second of the raw loop over `digests` (32-byte SHA-256 values). */
export function rawSignRate(s: TokenSession, key: TokenKey, digests: readonly Buffer[]): number {
  // a plain pkcs11js session beside ours (same process, same login, same key handle)
  const lib = new pkcs11js.PKCS11();
  lib.load(s.modulePath);
  try {
    lib.C_Initialize();
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  const session = lib.C_OpenSession(Buffer.from(s.token.slotId, 'hex'), pkcs11js.CKF_SERIAL_SESSION);
  const out = Buffer.alloc(64);
  const t0 = process.hrtime.bigint();
  for (const d of digests) {
    lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key.privateHandle);
    lib.C_Sign(session, d, out);
  }
  const rate = digests.length / (Number(process.hrtime.bigint() - t0) / 1e9);
  lib.C_CloseSession(session);
  return rate;
}

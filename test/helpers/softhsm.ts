/**
 * A private SoftHSM2 for one test file: its own SOFTHSM2_CONF and token dir in a temp folder, removed
 * by cleanup(). Sets process.env.SOFTHSM2_CONF for this process (node --test runs each file in its own
 * process), so create it before opening the module.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markModuleExercised } from './token-modules';
import { initSoftHsmToken, provisionSoftHsm, removeSoftHsm, type SoftHsmEnv, type SoftHsmToken } from '../../electron/adapters/softhsm';

export interface TestHsm extends SoftHsmEnv {
  cleanup(): void;
  /** Add another token (call before opening the module, or re-open it after). */
  addToken(label: string, pin?: string): SoftHsmToken;
  pinOf(label: string): () => Uint8Array;
}

export async function makeSoftHsm(labels: string[], opts: { pin?: string; soPin?: string } = {}): Promise<TestHsm> {
  const dir = mkdtempSync(join(tmpdir(), 'kc-softhsm-'));
  const env = provisionSoftHsm(dir, labels, { pin: opts.pin ?? '1234', soPin: opts.soPin ?? '12345678' });
  process.env.SOFTHSM2_CONF = env.conf;
  process.env.KEYCEREMONY_PKCS11_MODULE = env.module;
  markModuleExercised('softhsm2');
  return {
    ...env,
    cleanup: () => removeSoftHsm(dir),
    addToken(label: string, pin = opts.pin ?? '1234') {
      const soPin = opts.soPin ?? '12345678';
      const t = { label, pin, soPin, serial: initSoftHsmToken(env.conf, label, pin, soPin) };
      env.tokens.push(t);
      return t;
    },
    pinOf(label: string) {
      const t = env.tokens.find((x) => x.label === label);
      if (!t) throw new Error(`no test token ${label}`);
      return () => new TextEncoder().encode(t.pin);
    },
  };
}

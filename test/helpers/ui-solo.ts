/**
 * Test helper: one Chromium machine over the real handler table for a screen that needs no token (a
 * SoftHSM2 module with an unused token satisfies the harness), and its teardown.
 */
import { makeSoftHsm } from './softhsm';
import { startUi, type Machine } from './ui-harness';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import type { Mode } from '../../shared/ipc/contract';

export async function soloMachine(name: string, mode: Mode = 'production'): Promise<{ m: Machine; close(): Promise<void> }> {
  const hsm = await makeSoftHsm(['unused']);
  const mod = Pkcs11Module.open(hsm.module);
  const ui = await startUi({ tokens: () => mod });
  const m = await ui.machine({ name, mode });
  return {
    m,
    close: async () => {
      await ui.close();
      mod.close();
      hsm.cleanup();
    },
  };
}

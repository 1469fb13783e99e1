/** Handlers of IPC area "verify" (shared/ipc/channels/verify.ts). */
import { fromBase64 } from '../../../shared/encoding/bytes';
import type { verifyChannels } from '../../../shared/ipc/channels/verify';
import { verifyBundleBytes, verifyTufFiles } from '../verify';
import type { AreaHandlers, HostKit } from '../host-kit';

export function verifyHandlers(_kit: HostKit): AreaHandlers<typeof verifyChannels> {
  return {
    'kc:verify.bundle': async (req) => verifyBundleBytes(fromBase64(req.archiveB64)),
    'kc:verify.tuf': async (req) => verifyTufFiles(req.trustedRoot, req.files),
  };
}

/** Handlers of IPC area "backup" (shared/ipc/channels/backup.ts). */
import type { backupChannels } from '../../../shared/ipc/channels/backup';
import { checkShareText } from '../share-check';
import type { AreaHandlers, HostKit } from '../host-kit';

export function backupHandlers(_kit: HostKit): AreaHandlers<typeof backupChannels> {
  return {
    'kc:backup.checkShare': async (req) => checkShareText(req.text, req.expect),
  };
}

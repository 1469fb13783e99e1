/**
 * Serves the handler table on Electron's ipcMain: one `handle` per channel of the contract, each
 * call checked by IpcHost.dispatch (sender frame is the app's own top-level page, payload schema).
 */
import type { IpcMain } from 'electron';
import { CHANNELS, EVENT_CHANNEL } from '../../shared/ipc/contract';
import type { IpcHost } from './handlers';

export function serveOnIpcMain(ipcMain: IpcMain, host: IpcHost): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, payload: unknown) => {
      const frame = event.senderFrame;
      return host.dispatch(channel, payload, {
        senderUrl: frame?.url ?? '',
        isMainFrame: frame !== null && frame !== undefined && frame.parent === null,
        emit: (e) => {
          if (!event.sender.isDestroyed()) event.sender.send(EVENT_CHANNEL, e);
        },
      });
    });
  }
}

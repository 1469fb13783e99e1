/**
 * The preload: exposes ONE typed API (shared/ipc/contract.ts KeyceremonyApi) as
 * `window.keyceremony`, and nothing else: no ipcRenderer, no node. Runs sandboxed.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_CHANNEL, isChannel, type KeyceremonyApi, type MainEvent } from '../shared/ipc/contract';
import { KeyceremonyError } from '../shared/errors';

const api: KeyceremonyApi = {
  invoke(channel, request) {
    if (!isChannel(channel)) return Promise.reject(new KeyceremonyError('INVALID_INPUT', `unknown IPC channel ${String(channel)}`));
    return ipcRenderer.invoke(channel, request);
  },
  onEvent(listener: (e: MainEvent) => void) {
    const wrapped = (_e: unknown, payload: MainEvent) => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('keyceremony', api);

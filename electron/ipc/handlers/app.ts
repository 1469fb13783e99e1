/** Handlers of IPC area "app" (shared/ipc/channels/app.ts). */
import type { appChannels } from '../../../shared/ipc/channels/app';
import type { AreaHandlers, HostKit } from '../host-kit';

export function appHandlers(kit: HostKit): AreaHandlers<typeof appChannels> {
  const { deps } = kit;
  return {
    'kc:app.info': async () => ({
      mode: deps.mode,
      version: deps.version,
      features: { tokens: true, ceremony: !!deps.ceremony, backup: !!deps.ceremony, tuf: !!deps.ceremony, verify: true },
      module: deps.moduleName,
    }),

    'kc:jobs.cancel': async (req) => {
      const ac = kit.jobs.get(req.jobId);
      if (!ac) return { cancelled: false };
      ac.abort();
      return { cancelled: true };
    },
  };
}

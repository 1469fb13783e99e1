/**
 * THE handler table: channel → async handler(request, ctx). Electron's ipcMain serves it in the app
 * (electron/ipc/serve-electron.ts) and the Playwright harness serves the very same table to the
 * renderer running in Chromium (test/helpers/ui-harness.ts).
 *
 * The table is assembled from one module per area in `handlers/` (the same areas as
 * shared/ipc/channels/); what they share (token access, PIN source, jobs) is the HostKit
 * (host-kit.ts). TypeScript checks that the table has exactly one handler per channel.
 *
 * `dispatch` is the boundary: it refuses an untrusted sender or an unknown channel, parses the
 * payload with the channel's schema (shared/ipc/contract.ts), runs the handler, and always answers a
 * Result (`{ok, value}` | `{ok:false, error:{code, message}}`); nothing thrown crosses IPC.
 *
 * PINs: a handler turns the request's `pin` string into bytes inside a PinSource that the token
 * adapter calls once and zeroes; the string is never stored, logged or echoed.
 */
import { toErrorInfo } from '../../shared/errors';
import { fail, ok, type Result } from '../../shared/result';
import { isChannel, parseRequest, type Channel, type Request } from '../../shared/ipc/contract';
import type { HandlerDeps } from './deps';
import { createHostKit, type Handler, type HandlerContext } from './host-kit';
import { appHandlers } from './handlers/app';
import { tokenHandlers } from './handlers/tokens';
import { ceremonyHandlers } from './handlers/ceremony';
import { backupHandlers } from './handlers/backup';
import { tufHandlers } from './handlers/tuf';
import { verifyHandlers } from './handlers/verify';
import { filesHandlers } from './handlers/files';
import { cosignHandlers } from './handlers/cosign';
import { notaryHandlers } from './handlers/notary';
import { custodyHandlers } from './handlers/custody';
import { incompleteHandlers } from './handlers/incomplete';
import { tufEventHandlers } from './handlers/tuf-event';
import { lifecycleHandlers } from './handlers/lifecycle';

export type { Handler, HandlerContext } from './host-kit';
export { keyInfo, requireToken, summarizeToken } from './host-kit';

export type HandlerTable = { [C in Channel]: Handler<C> };

export interface IpcHost {
  table: HandlerTable;
  /** Check sender, channel and payload; run; always answer a Result. */
  dispatch(channel: unknown, payload: unknown, ctx: HandlerContext & { isMainFrame: boolean }): Promise<Result<unknown>>;
  /** The app quits: every area drops what it holds in memory (a recovery's kept shares, PINs). */
  dispose(): void;
}

export function createIpcHost(deps: HandlerDeps, opts: { isTrustedSender: (url: string) => boolean }): IpcHost {
  const kit = createHostKit(deps);
  const table: HandlerTable = {
    ...appHandlers(kit),
    ...tokenHandlers(kit),
    ...ceremonyHandlers(kit),
    ...backupHandlers(kit),
    ...tufHandlers(kit),
    ...verifyHandlers(kit),
    ...filesHandlers(kit),
    ...cosignHandlers(kit),
    ...notaryHandlers(kit),
    ...custodyHandlers(kit),
    ...incompleteHandlers(kit),
    ...tufEventHandlers(kit),
    ...lifecycleHandlers(kit),
  };

  const dispatch: IpcHost['dispatch'] = async (channel, payload, ctx) => {
    if (!ctx.isMainFrame || !opts.isTrustedSender(ctx.senderUrl)) {
      return fail({ code: 'PRECONDITION_FAILED', message: 'Refused: the call did not come from the app’s own page.', where: 'sender' });
    }
    if (!isChannel(channel)) {
      return fail({ code: 'INVALID_INPUT', message: `Unknown channel ${JSON.stringify(String(channel)).slice(0, 80)}.`, where: 'channel' });
    }
    try {
      const req = parseRequest(channel, payload);
      const handler = table[channel] as Handler<Channel>;
      return ok(await handler(req as Request<Channel>, ctx));
    } catch (e) {
      return fail(toErrorInfo(e));
    }
  };

  return { table, dispatch, dispose: () => kit.dispose() };
}

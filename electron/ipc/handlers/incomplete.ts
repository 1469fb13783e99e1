/**
 * Handlers of IPC area "incomplete" (shared/ipc/channels/incomplete.ts): what an interrupted key
 * generation or recovery left on a token, and its removal with the custodian's consent. The journal is
 * the app's (deps.tokenJournal: the per-user token journal the CLI also uses); a ceremony run keeps
 * its own and asks through its acknowledgement "remove-incomplete-objects" instead.
 */
import type { IncompleteObjectInfo, IncompleteReportInfo, incompleteChannels } from '../../../shared/ipc/channels/incomplete';
import { describe, findInterrupted, removeInterrupted, type InterruptedReport } from '../../adapters/pkcs11/interrupted';
import type { AreaHandlers, HostKit } from '../host-kit';

function info(r: InterruptedReport): IncompleteReportInfo {
  const one = (o: {
    kind: IncompleteObjectInfo['kind'];
    label: string;
    idHex: string;
    missing: string[];
    signature: string;
    reason?: string;
  }): IncompleteObjectInfo => ({
    kind: o.kind,
    label: o.label,
    idHex: o.idHex,
    missing: o.missing,
    description: describe(o),
    signature: o.signature,
    ...(o.reason ? { reason: o.reason } : {}),
  });
  return { token: r.token, remove: r.objects.map(one), resumable: r.resumable.map(one), notOurs: r.unexplained.map(one) };
}

export function incompleteHandlers(kit: HostKit): AreaHandlers<typeof incompleteChannels> {
  const journal = () => kit.deps.tokenJournal;
  return {
    'kc:tokens.incomplete': async (req) => kit.withToken(req.token, req.pin, false, async (s) => info(findInterrupted(s, journal()))),

    'kc:tokens.removeIncomplete': async (req) =>
      kit.withToken(req.token, req.pin, true, async (s) => {
        const removed = removeInterrupted(s, journal(), findInterrupted(s, journal()), req.signatures);
        return { removed, report: info(findInterrupted(s, journal())) };
      }),
  };
}

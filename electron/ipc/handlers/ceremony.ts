/** Handlers of IPC area "ceremony" (shared/ipc/channels/ceremony.ts): one running session per host. */
import { KeyceremonyError } from '../../../shared/errors';
import type { ceremonyChannels } from '../../../shared/ipc/channels/ceremony';
import { CeremonySession, listTemplates } from '../ceremony-session';
import type { AreaHandlers, HostKit } from '../host-kit';

export function ceremonyHandlers(kit: HostKit): AreaHandlers<typeof ceremonyChannels> {
  const { deps } = kit;
  let ceremony: CeremonySession | null = null;
  const ceremonyDeps = () => {
    if (!deps.ceremony) throw new KeyceremonyError('PRECONDITION_FAILED', 'The ceremony engine is not available in this build.', { where: 'ceremony' });
    return deps.ceremony;
  };
  const session = () => {
    if (!ceremony) throw new KeyceremonyError('PRECONDITION_FAILED', 'No ceremony is running. Start one first.', { where: 'ceremony' });
    return ceremony;
  };
  return {
    'kc:ceremony.templates': async () => listTemplates(),

    'kc:ceremony.start': async (req) => {
      if (ceremony && ceremony.snapshot().status === 'running') {
        throw new KeyceremonyError('CONFLICT', 'A ceremony is already running. Finish or stop it first.', { where: 'ceremony' });
      }
      const start: Parameters<typeof CeremonySession.start>[1] = {};
      if (req.template !== undefined) start.template = req.template;
      if (req.scriptText !== undefined) start.scriptText = req.scriptText;
      if (req.serials !== undefined) start.serials = req.serials;
      if (req.inputs !== undefined) start.inputs = req.inputs;
      ceremony = CeremonySession.start(ceremonyDeps(), start);
      return ceremony.snapshot();
    },

    'kc:ceremony.state': async () => ceremony?.snapshot() ?? null,

    'kc:ceremony.answer': async (req) => {
      const s = session();
      s.answer(req.questionId, req.answer);
      await new Promise((r) => setImmediate(r)); // let the engine take the answer before we report
      return s.snapshot();
    },

    'kc:ceremony.resume': async () => {
      const s = session();
      s.resume();
      return s.snapshot();
    },

    'kc:ceremony.revealShare': async (req) => session().revealShare(req.questionId),

    'kc:ceremony.shareSheet': async (req) => {
      const sheet = await session().shareSheet(req.questionId);
      try {
        const r = await deps.saveFile({ suggestedName: sheet.name, text: sheet.pdf, kind: 'share-sheet' });
        return { saved: r.saved, name: r.name, ...(r.saved && r.path ? { fileId: kit.files.addWritten(r.path) } : {}) };
      } finally {
        sheet.pdf.fill(0);
      }
    },

    'kc:ceremony.cancel': async () => {
      ceremony?.cancel();
      return ceremony?.snapshot() ?? null;
    },
  };
}

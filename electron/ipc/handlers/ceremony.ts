/**
 * Handlers of IPC area "ceremony" (shared/ipc/channels/ceremony.ts): one open run per host. The run's
 * view is pushed to the renderer that started, reopened or looked at it (EVENT_CHANNEL, kind
 * "ceremony") whenever it changes.
 */
import { checkCeremonyInput } from '../ceremony-inputs';
import { KeyceremonyError } from '../../../shared/errors';
import type { ceremonyChannels } from '../../../shared/ipc/channels/ceremony';
import { CeremonySession, listTemplates, listUnfinished, prepareScript } from '../ceremony-session';
import type { AreaHandlers, HandlerContext, HostKit } from '../host-kit';
import { join } from 'node:path';
import { verifyBundle } from '../../core/ceremony/bundle';
import { writeFilesInto } from '../../adapters/fs/files';
import { tarBundleReader } from '../../adapters/fs/ceremony-store';

export function ceremonyHandlers(kit: HostKit): AreaHandlers<typeof ceremonyChannels> {
  const { deps } = kit;
  let ceremony: CeremonySession | null = null;
  let unsubscribe: (() => void) | null = null;
  const ceremonyDeps = () => {
    if (!deps.ceremony) throw new KeyceremonyError('PRECONDITION_FAILED', 'The ceremony engine is not available in this build.', { where: 'ceremony' });
    return deps.ceremony;
  };
  const session = () => {
    if (!ceremony) throw new KeyceremonyError('PRECONDITION_FAILED', 'No ceremony is open. Start or resume one first.', { where: 'ceremony' });
    return ceremony;
  };
  /** The caller's screen gets every change of the open run from now on. */
  const follow = (ctx: HandlerContext) => {
    unsubscribe?.();
    unsubscribe = ceremony ? ceremony.subscribe((view) => ctx.emit({ kind: 'ceremony', view })) : null;
  };
  const replace = (next: CeremonySession) => {
    ceremony?.dispose();
    ceremony = next;
  };
  const busy = () => {
    const st = ceremony?.snapshot().status;
    if (st === 'running' || st === 'abandoning')
      throw new KeyceremonyError('CONFLICT', 'A ceremony is open and running. Stop it first.', { where: 'ceremony' });
  };
  kit.onDispose(() => {
    ceremony?.dispose();
    ceremony = null;
  });
  return {
    'kc:ceremony.templates': async () => listTemplates(),

    'kc:ceremony.prepare': async (req) => prepareScript(req).preview,

    'kc:ceremony.checkInput': async (req) => checkCeremonyInput(req.purpose, req.name, req.text),

    'kc:ceremony.start': async (req, ctx) => {
      busy();
      const start: Parameters<typeof CeremonySession.start>[1] = {};
      if (req.template !== undefined) start.template = req.template;
      if (req.scriptText !== undefined) start.scriptText = req.scriptText;
      if (req.inputs !== undefined) start.inputs = req.inputs;
      if (req.setup !== undefined) start.setup = req.setup;
      replace(CeremonySession.start(ceremonyDeps(), start));
      follow(ctx);
      return session().snapshot();
    },

    'kc:ceremony.state': async (_req, ctx) => {
      if (ceremony) follow(ctx);
      return ceremony?.snapshot() ?? null;
    },

    'kc:ceremony.answer': async (req) => {
      const s = session();
      s.answer(req.questionId, req.answer);
      await new Promise((r) => setImmediate(r)); // let the engine take the answer before we report
      return s.snapshot();
    },

    'kc:ceremony.resume': async (_req, ctx) => {
      const s = session();
      s.resume();
      follow(ctx);
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

    'kc:ceremony.unfinished': async () =>
      deps.ceremony ? listUnfinished(deps.ceremony).filter((r) => r.run !== ceremony?.run || ceremony.snapshot().status !== 'running') : [],

    'kc:ceremony.reopen': async (req, ctx) => {
      busy();
      replace(CeremonySession.reopen(ceremonyDeps(), req.run));
      follow(ctx);
      session().continueRun();
      return session().snapshot();
    },

    'kc:ceremony.abandon': async (req, ctx) => {
      if (req.run !== undefined && req.run !== ceremony?.run) {
        busy();
        replace(CeremonySession.reopen(ceremonyDeps(), req.run));
      }
      const s = session();
      follow(ctx);
      s.abandon({ by: req.by, reason: req.reason, removeKeys: req.removeKeys });
      return s.snapshot();
    },

    'kc:ceremony.exportBundle': async (req) => {
      const s = session();
      const folder = kit.files.folder(req.folderId);
      const files = s.finishedFiles();
      const written = writeFilesInto(
        folder,
        files.map((f) => ({ name: f.name, bytes: f.bytes })),
      );
      // Read the copy back from the medium and verify it, as `keyceremony bundle verify` would.
      const archive = written.find((w) => w.endsWith('.tar')) as string;
      const verdict = await verifyBundle(tarBundleReader(join(folder, archive)));
      return { folder, written, ok: verdict.ok, problems: verdict.problems, manifestSha256: s.snapshot().result?.manifestSha256 ?? '' };
    },

    'kc:ceremony.printable': async (req) => session().printable(req.what),

    'kc:ceremony.close': async () => {
      busy();
      const had = !!ceremony;
      ceremony?.dispose();
      ceremony = null;
      unsubscribe = null;
      return { closed: had };
    },
  };
}

/** Handlers of IPC area "files" (shared/ipc/channels/files.ts): paths stay in main, behind handles. */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { fromBase64, toBase64 } from '../../../shared/encoding/bytes';
import type { filesChannels } from '../../../shared/ipc/channels/files';
import { readOpenedFile, shredFile, writeFilesInto } from '../../adapters/fs/files';
import type { AreaHandlers, HostKit } from '../host-kit';

/** Files opened in the app: JSON, scripts, backups are small; a bundle archive may be larger. */
const DEFAULT_MAX = 8 * 1024 * 1024;

export function filesHandlers(kit: HostKit): AreaHandlers<typeof filesChannels> {
  const { deps } = kit;
  return {
    'kc:files.save': async (req) => {
      const r = await deps.saveFile(req);
      return { saved: r.saved, name: r.name };
    },

    'kc:files.chooseFolder': async (req) => {
      const path = await kit.dialogs().chooseFolder(req);
      if (path === null) return null;
      return { folderId: kit.files.addFolder(path), display: path };
    },

    'kc:files.writeInto': async (req) => {
      const folder = kit.files.folder(req.folderId);
      const files = req.files.map((f, i) => {
        if ((f.text === undefined) === (f.b64 === undefined)) {
          throw new KeyceremonyError('INVALID_INPUT', 'Each file needs either text or b64 contents.', { where: `files[${i}]` });
        }
        return { name: f.name, bytes: f.text ?? fromBase64(f.b64 as string) };
      });
      return { folder, written: writeFilesInto(folder, files) };
    },

    'kc:files.open': async (req) => {
      const path = await kit.dialogs().openFile({ purpose: req.purpose });
      if (path === null) return null;
      const bytes = readOpenedFile(path, req.maxBytes ?? DEFAULT_MAX);
      const name = basename(path);
      if (req.encoding === 'base64') return { name, text: toBase64(bytes), size: bytes.length };
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch (e) {
        throw new KeyceremonyError('INVALID_INPUT', `${name} is not a UTF-8 text file.`, { where: name, cause: e });
      }
      return { name, text, size: bytes.length };
    },

    'kc:files.pick': async (req) => {
      const path = await kit.dialogs().openFile({ purpose: req.purpose });
      if (path === null) return null;
      let st;
      try {
        st = statSync(path);
      } catch (e) {
        throw new KeyceremonyError('NOT_FOUND', `Cannot open ${basename(path)}.`, { where: basename(path), cause: e });
      }
      if (!st.isFile()) throw new KeyceremonyError('INVALID_INPUT', `${basename(path)} is not a regular file.`, { where: basename(path) });
      return { fileId: kit.files.addPicked(path), name: basename(path), size: st.size };
    },

    'kc:files.shred': async (req) => {
      const path = kit.files.takeWritten(req.fileId);
      const bytes = shredFile(path);
      return { removed: true as const, name: basename(path), bytes };
    },
  };
}

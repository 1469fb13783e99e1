/**
 * IPC area "files": the renderer never names a path. Main asks the person (a dialog in the app, a
 * test folder or file in the Playwright harness) and hands back an opaque id for a chosen folder or a
 * file main wrote; later calls name that id.
 *
 * - kc:files.save: one file produced by the renderer, saved where the person says.
 * - kc:files.chooseFolder: the folder to write finished outputs into (the removable medium).
 * - kc:files.writeInto: files produced by the renderer written into a chosen folder, atomically.
 * - kc:files.open: a file the person opens (a script, root.json, a backup file, a bundle...).
 * - kc:files.shred: a secret file main wrote (a share sheet PDF) overwritten, synced, then removed.
 * - kc:files.pick: a file the person chooses for main to read later (a release file, possibly large:
 *   main hashes it, the renderer never carries its bytes), named by an opaque id ("o5").
 */
import { arr, b64Str, int, obj, oneOf, opt, str, type Schema } from '../schema';
import { fileName, fileText } from '../common';

export const FILE_PURPOSES = [
  'ceremony-script',
  'tuf-root',
  'tuf-targets',
  'backup',
  'share',
  'request',
  'metadata',
  'bundle',
  'other',
  // release managers and auditors (issue 11)
  'target',
  'public-key',
  'image-list',
  'predicate',
  'certificate',
  'report',
] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];
export const FOLDER_PURPOSES = ['bundle', 'backup', 'export', 'tuf-metadata', 'notary-repository', 'bundle-folder'] as const;
export type FolderPurpose = (typeof FOLDER_PURPOSES)[number];

/** An opaque handle to a folder ("f3"), a written file ("w4") or a picked file ("o5") whose path only main knows. */
export const handleId = str({ min: 2, max: 16, pattern: /^[fwo][0-9]{1,12}$/, what: 'a folder or file handle' });

export interface ChosenFolder {
  folderId: string;
  /** The folder's path, to show the person where the files go. */
  display: string;
}

export interface OpenedFile {
  /** File name (no folders). */
  name: string;
  /** UTF-8 text (encoding "text") or base64 bytes (encoding "base64"). */
  text: string;
  size: number;
}

/** A file chosen for main to read later (by `fileId`). */
export interface PickedFile {
  fileId: string;
  name: string;
  size: number;
}

export const filesChannels = {
  /** Main shows a save dialog (in the app) and writes atomically; the renderer never picks a path. */
  'kc:files.save': obj({
    suggestedName: fileName,
    text: fileText,
    kind: oneOf(['request', 'metadata', 'transcript', 'bundle', 'signature', 'other'] as const),
  }),
  'kc:files.chooseFolder': obj({ purpose: oneOf(FOLDER_PURPOSES) }),
  'kc:files.writeInto': obj({
    folderId: handleId,
    files: arr(obj({ name: fileName, text: opt(fileText), b64: opt(b64Str(64 * 1024 * 1024)) }), { min: 1, max: 256 }),
  }),
  'kc:files.open': obj({
    purpose: oneOf(FILE_PURPOSES),
    encoding: opt(oneOf(['text', 'base64'] as const)),
    maxBytes: opt(int({ min: 1, max: 256 * 1024 * 1024 })),
  }),
  'kc:files.shred': obj({ fileId: handleId }),
  'kc:files.pick': obj({ purpose: oneOf(FILE_PURPOSES) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface FilesResponses {
  'kc:files.save': { saved: boolean; name: string; fileId?: string };
  'kc:files.chooseFolder': ChosenFolder | null;
  'kc:files.writeInto': { folder: string; written: string[] };
  'kc:files.open': OpenedFile | null;
  'kc:files.shred': { removed: true; name: string; bytes: number };
  'kc:files.pick': PickedFile | null;
}

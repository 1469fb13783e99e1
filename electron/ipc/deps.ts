/**
 * What the IPC handler table needs from the rest of main, as narrow interfaces (Signal-Desktop style:
 * handles are injected). main.ts wires the real adapters; the Playwright harness wires the same
 * adapters with test folders. The token interfaces are the subset of electron/adapters/pkcs11 that
 * the handlers use, so the real Pkcs11Module satisfies them structurally.
 */
import type { Pkcs11Module } from '../adapters/pkcs11';
import type { TokenJournal } from '../adapters/pkcs11/types';
import type { FilePurpose, FolderPurpose, Mode } from '../../shared/ipc/contract';
import type { CeremonyDeps } from './ceremony-session';

/** The part of the token layer (electron/adapters/pkcs11) the handlers use. */
export type TokenModuleLike = Pick<Pkcs11Module, 'tokens' | 'findToken' | 'withSession'>;
export type { PinSource, TokenInfo, TokenKey, TokenSession } from '../adapters/pkcs11';

/**
 * Saving a file the renderer produced: main picks the place (a dialog in the app, a folder in tests).
 * `path` stays in main (a written share sheet can then be removed by handle).
 */
export type SaveFile = (req: { suggestedName: string; text: string | Uint8Array; kind: string }) => Promise<{ saved: boolean; name: string; path?: string }>;

/** Asking the person for a place: a dialog in the app, the test's folder or file in the harness. */
export interface FileDeps {
  /** An existing folder to write into (the removable medium), or null when they cancel. */
  chooseFolder(req: { purpose: FolderPurpose }): Promise<string | null>;
  /** A file to open, or null when they cancel. */
  openFile(req: { purpose: FilePurpose }): Promise<string | null>;
}

export interface HandlerDeps {
  mode: Mode;
  version: string;
  /** Opens the PKCS#11 module lazily (first token call); the same instance is reused after. */
  openTokens: () => TokenModuleLike;
  moduleName: string | null;
  saveFile: SaveFile;
  /** Folder and file dialogs; absent = those actions say they are not available in this build. */
  files?: FileDeps;
  /** The ceremony engine and its services; absent = the ceremony screens say it is not wired. */
  ceremony?: CeremonyDeps;
  /**
   * Called right after "touch the YubiKey now" was sent to the screen, before C_Sign. A real YubiKey
   * holds C_Sign until it is touched; a test stand-in waits here for the test's touch instead.
   */
  afterTouchPrompt?: () => Promise<void>;
  /**
   * Where key generations are journaled before the token is asked (issue 12 item 1): the per-user
   * token journal (electron/adapters/fs/token-journal.ts). Absent: orphan halves are still found by
   * label/id, but torn objects without label cannot be attributed.
   */
  tokenJournal?: TokenJournal;
}

/**
 * Paths main knows and the renderer only names by handle: folders the person chose ("f1") and
 * secret files main wrote for them ("w1", a share sheet PDF to remove after printing). One registry
 * per IpcHost; nothing here is persisted.
 */
import { KeyceremonyError } from '../../shared/errors';

export class FileRegistry {
  private seq = 0;
  private readonly folders = new Map<string, string>();
  private readonly written = new Map<string, string>();
  private readonly picked = new Map<string, string>();

  addFolder(path: string): string {
    const id = `f${++this.seq}`;
    this.folders.set(id, path);
    return id;
  }

  folder(id: string): string {
    const p = this.folders.get(id);
    if (p === undefined) throw new KeyceremonyError('NOT_FOUND', 'That folder is no longer chosen; choose it again.', { where: 'folderId' });
    return p;
  }

  addWritten(path: string): string {
    const id = `w${++this.seq}`;
    this.written.set(id, path);
    return id;
  }

  /** A file the person picked for main to read later (a release file). */
  addPicked(path: string): string {
    const id = `o${++this.seq}`;
    this.picked.set(id, path);
    return id;
  }

  pickedFile(id: string): string {
    const p = this.picked.get(id);
    if (p === undefined) throw new KeyceremonyError('NOT_FOUND', 'That file is no longer chosen; choose it again.', { where: 'fileId' });
    return p;
  }

  /** The path of a written file, forgotten once taken (a file is removed once). */
  takeWritten(id: string): string {
    const p = this.written.get(id);
    if (p === undefined)
      throw new KeyceremonyError('NOT_FOUND', 'That file is not one this app wrote in this session, or it was removed already.', { where: 'fileId' });
    this.written.delete(id);
    return p;
  }
}

/**
 * File-system adapters for the ceremony engine:
 * - FsJournal: `state.json` in the run folder (atomic replace) and the transcript as JSON lines in the
 *   bundle folder (append + fsync). A torn last line (a crash in the middle of an append: the line
 *   has no '\n') was never committed; it is ignored on read and cut off before the next append.
 * - FsOutputStore: the bundle folder; atomic writes; paths checked by the engine (no "..").
 *   Opening it removes the temp files of atomic writes a crash interrupted (`.<name>.<hex>.tmp`),
 *   so a resumed run seals a folder holding only its own files.
 * - dirBundleReader / tarBundleReader: what `bundle verify` reads; links, non-regular files and
 *   oversized entries are refused; every other file is listed (hidden ones too) so that anything
 *   the manifest does not list is reported.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, fsyncSync, lstatSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import type { Journal, OutputStore } from '../../core/ceremony/types';
import { TRANSCRIPT, type BundleReader } from '../../core/ceremony/bundle';
import { readTar, TAR_LIMITS } from '../../core/ceremony/tar';
import { ATOMIC_TEMP, ensureDir, fsWriteError, writeFileAtomic } from './atomic';
import { readInputFile, readInputText } from './read';

export class FsJournal implements Journal {
  readonly statePath: string;
  readonly transcriptPath: string;
  constructor(runDir: string, bundleDir: string) {
    this.statePath = join(runDir, 'state.json');
    this.transcriptPath = join(bundleDir, TRANSCRIPT);
    ensureDir(runDir);
    ensureDir(bundleDir);
  }

  async loadState(): Promise<string | null> {
    if (!existsSync(this.statePath)) return null;
    return readInputText(this.statePath, { what: 'ceremony state', kind: 'journal' });
  }

  async saveState(text: string): Promise<void> {
    writeFileAtomic(this.statePath, text, { mode: 0o600 });
  }

  async readTranscript(): Promise<string[]> {
    if (!existsSync(this.transcriptPath)) return [];
    const text = readInputText(this.transcriptPath, { what: 'transcript', kind: 'journal' });
    const lines = text.split('\n');
    lines.pop(); // '' after the final '\n', or a torn line without one
    return lines;
  }

  async appendTranscript(lines: string[]): Promise<void> {
    for (const l of lines) if (l.includes('\n')) throw new KeyceremonyError('INTERNAL', 'A transcript line contains a newline.');
    let fd: number;
    try {
      fd = openSync(this.transcriptPath, 'a+', 0o644);
    } catch (e) {
      throw fsWriteError(e, this.transcriptPath, 'append to');
    }
    try {
      const size = fstatSync(fd).size;
      if (size > 0) {
        const all = readInputFile(this.transcriptPath, { what: 'transcript', kind: 'journal' });
        if (all[all.length - 1] !== 0x0a) ftruncateSync(fd, all.lastIndexOf(0x0a) + 1); // torn tail
      }
      const buf = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } catch (e) {
      throw fsWriteError(e, this.transcriptPath, 'append to');
    } finally {
      closeSync(fd);
    }
  }
}

export class FsOutputStore implements OutputStore {
  /** Temp files of interrupted atomic writes found (and removed) when the store was opened. */
  readonly removedTempFiles: string[];
  constructor(readonly dir: string) {
    ensureDir(dir);
    this.removedTempFiles = removeInterruptedWrites(dir);
  }
  async write(path: string, bytes: Uint8Array): Promise<void> {
    writeFileAtomic(join(this.dir, path), bytes);
  }
  async read(path: string): Promise<Uint8Array> {
    return readInputFile(join(this.dir, path), { what: 'bundle file', limit: TAR_LIMITS.maxEntry });
  }
  async exists(path: string): Promise<boolean> {
    return existsSync(join(this.dir, path));
  }
  async list(): Promise<string[]> {
    return listRegularFiles(this.dir);
  }
}

/** Every regular file under `dir` (relative, "/" separated). Links and special files are refused. */
export function listRegularFiles(dir: string, maxEntry = TAR_LIMITS.maxEntry): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p).split(sep).join('/');
      const st = lstatSync(p);
      if (st.isSymbolicLink()) throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing ${rel}: links are not allowed in a bundle.`, { where: rel });
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        if (st.size > maxEntry) throw new KeyceremonyError('TOO_LARGE', `Refusing ${rel}: ${st.size} bytes (limit ${maxEntry}).`, { where: rel });
        if (st.nlink > 1) throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing ${rel}: hard links are not allowed in a bundle.`, { where: rel });
        out.push(rel);
      } else throw new KeyceremonyError('UNSUPPORTED_FORMAT', `Refusing ${rel}: not a regular file.`, { where: rel });
    }
  };
  walk(dir);
  return out;
}

/** Remove `.<name>.<12 hex>.tmp` files (writeFileAtomic's, left by a crash) under `dir`; returns them. */
export function removeInterruptedWrites(dir: string): string[] {
  const gone: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && ATOMIC_TEMP.test(name)) {
        rmSync(p, { force: true });
        gone.push(relative(dir, p).split(sep).join('/'));
      }
    }
  };
  walk(dir);
  return gone;
}

export function dirBundleReader(dir: string): BundleReader {
  return {
    list: async () => listRegularFiles(dir),
    read: async (p) => {
      if (p.startsWith('/') || p.split('/').some((x) => x === '..' || x === ''))
        throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing to read "${p}" outside the bundle.`, { where: p });
      return readInputFile(join(dir, p), { what: 'bundle file', limit: TAR_LIMITS.maxEntry });
    },
  };
}

export function tarBundleReader(file: string): BundleReader {
  const entries = readTar(readInputFile(file, { what: 'bundle archive', limit: TAR_LIMITS.maxTotal }));
  const m = new Map(entries.map((e) => [e.path, e.bytes]));
  return {
    list: async () => [...m.keys()].sort(),
    read: async (p) => {
      const b = m.get(p);
      if (!b) throw new KeyceremonyError('NOT_FOUND', `${p} is not in the archive.`, { where: p });
      return b;
    },
  };
}

export function bundleReaderFor(path: string): BundleReader {
  if (!existsSync(path)) throw new KeyceremonyError('NOT_FOUND', `No bundle at ${path}.`, { where: path });
  const st = lstatSync(path);
  if (st.isSymbolicLink()) throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing ${path}: it is a link.`, { where: path });
  return st.isDirectory() ? dirBundleReader(path) : tarBundleReader(path);
}

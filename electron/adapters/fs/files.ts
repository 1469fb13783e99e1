/**
 * Files a person chooses in the app: writing finished outputs into a chosen folder (the removable
 * medium), reading a file they opened (size-limited), and removing a written secret file (a share
 * sheet PDF) by overwriting it, syncing, then unlinking.
 *
 * Every write is atomic (electron/adapters/fs/atomic.ts). Names are plain file names: a name with a
 * folder part, "..", or a control character is refused before anything is written.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, lstatSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { KeyceremonyError } from '../../../shared/errors';
import { fsyncDir, writeFileAtomic } from './atomic';
import { readInputFile } from './read';

/** A plain file name (no folder, no "..", printable). */
export function safeFileName(name: string, where = 'file name'): string {
  if (!/^[^/\\\u0000-\u001f\u007f]{1,255}$/.test(name) || name === '.' || name === '..') {
    throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing the file name "${name.slice(0, 80)}": a plain file name without folders is needed.`, { where });
  }
  return name;
}

/** A name not yet taken in `dir`: "name", then "name (2)", "name (3)"... before the extension. */
export function freeName(dir: string, name: string): string {
  if (!existsSync(join(dir, name))) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 2; i < 10_000; i++) {
    const n = `${stem} (${i})${ext}`;
    if (!existsSync(join(dir, n))) return n;
  }
  throw new KeyceremonyError('CONFLICT', `Too many files named like ${name} in ${dir}.`, { where: dir });
}

/**
 * Write several files into a chosen folder, each atomically; a sub-folder name may be given (the
 * bundle folder). Existing files are never replaced: a taken name gets " (2)". Returns the names
 * written (relative to `dir`).
 */
export function writeFilesInto(dir: string, files: { name: string; bytes: Uint8Array | string; mode?: number }[], sub?: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new KeyceremonyError('NOT_FOUND', `The folder ${dir} is not there any more (was the medium removed?).`, { where: dir, cause: e });
  }
  if (!st.isDirectory()) throw new KeyceremonyError('INVALID_INPUT', `${dir} is not a folder.`, { where: dir });
  let target = dir;
  let prefix = '';
  if (sub !== undefined) {
    const s = freeName(dir, safeFileName(sub, 'folder name'));
    target = join(dir, s);
    prefix = `${s}/`;
  }
  const out: string[] = [];
  for (const f of files) {
    const parts = f.name.split('/');
    parts.forEach((p) => safeFileName(p, f.name));
    const rel = sub !== undefined ? f.name : [...parts.slice(0, -1), freeName(join(dir, ...parts.slice(0, -1)), parts[parts.length - 1] as string)].join('/');
    writeFileAtomic(join(target, rel), f.bytes, f.mode !== undefined ? { mode: f.mode } : {});
    out.push(prefix + rel);
  }
  fsyncDir(target);
  return out;
}

/** Read a file the person opened, refusing anything but a regular file of at most `maxBytes`. */
export function readOpenedFile(path: string, maxBytes: number): Uint8Array {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    throw new KeyceremonyError('NOT_FOUND', `Cannot open ${basename(path)}.`, { where: basename(path), cause: e });
  }
  if (!st.isFile()) throw new KeyceremonyError('INVALID_INPUT', `${basename(path)} is not a regular file.`, { where: basename(path) });
  return readInputFile(path, { what: 'file', limit: maxBytes });
}

/**
 * Remove a file that held a secret (a share sheet PDF): overwrite every byte (random, then zeros),
 * fsync, then unlink and sync the folder. On flash media and copy-on-write file systems the old blocks
 * may survive the overwrite; docs/desktop-app.md says so. Returns the bytes overwritten.
 */
export function shredFile(path: string): number {
  let fd: number | undefined;
  let size = 0;
  try {
    const st = lstatSync(path);
    if (!st.isFile()) throw new KeyceremonyError('INVALID_INPUT', `${basename(path)} is not a regular file; not removed.`, { where: basename(path) });
    fd = openSync(path, 'r+');
    size = fstatSync(fd).size;
    const chunk = Buffer.alloc(Math.min(Math.max(size, 1), 1 << 20));
    for (const fill of ['random', 'zero'] as const) {
      let off = 0;
      while (off < size) {
        const n = Math.min(chunk.length, size - off);
        if (fill === 'random') randomFillSync(chunk, 0, n);
        else chunk.fill(0, 0, n);
        off += writeSync(fd, chunk, 0, n, off);
      }
      fsyncSync(fd);
    }
    closeSync(fd);
    fd = undefined;
    rmSync(path);
    fsyncDir(dirname(path));
    return size;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    if (e instanceof KeyceremonyError) throw e;
    throw new KeyceremonyError('IO_ERROR', `Could not remove ${basename(path)}: ${(e as Error).message}`, { where: basename(path), cause: e });
  }
}

/**
 * Write files under their exact names into a folder whose names mean something (TUF and Notary
 * metadata: "2.targets.json" must not become "2.targets (2).json"), each atomically. A file already
 * there with the same bytes is left alone; with other bytes it is refused (CONFLICT, nothing
 * written) unless `replace` says that name is replaced by design (timestamp.json). All names are
 * checked before the first write.
 */
export function writeExactInto(
  dir: string,
  files: readonly { name: string; bytes: Uint8Array }[],
  opts: { replace?: (name: string) => boolean } = {},
): { written: string[]; unchanged: string[] } {
  const same = (p: string, b: Uint8Array) => {
    if (statSync(p).size !== b.length) return false;
    return Buffer.from(readInputFile(p, { what: 'existing file', limit: b.length })).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  };
  for (const f of files) {
    for (const part of f.name.split('/')) safeFileName(part, f.name);
    const p = join(dir, f.name);
    if (existsSync(p) && !(opts.replace?.(f.name) ?? false) && !same(p, f.bytes)) {
      throw new KeyceremonyError(
        'CONFLICT',
        `${basename(dir)}/${f.name} already exists with other contents; nothing was written. Move it away or choose another folder.`,
        {
          where: f.name,
        },
      );
    }
  }
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const f of files) {
    const p = join(dir, f.name);
    if (existsSync(p) && same(p, f.bytes)) {
      unchanged.push(f.name);
      continue;
    }
    writeFileAtomic(p, f.bytes);
    written.push(f.name);
  }
  return { written, unchanged };
}

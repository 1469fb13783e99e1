/**
 * Atomic file writes: write a temp file in the same directory, fsync it, rename over the target,
 * fsync the directory. A crash at any point leaves either the old file or the new one, never half.
 * File-system failures become domain errors with a sentence (`fsWriteError`): a read-only disk is
 * DISK_READ_ONLY, everything else IO_ERROR naming the path and the system's reason.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeyceremonyError } from '../../../shared/errors';

/** The temp-file name pattern of writeFileAtomic: `.<name>.<12 hex>.tmp`. */
export const ATOMIC_TEMP = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** Is `path` (or, when it does not exist yet, its nearest existing parent) on a read-only file system? */
export function onReadOnlyDisk(path: string): boolean {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    accessSync(p, constants.W_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/**
 * A file-system error met while writing `path` (action: "create the folder", "write the file" ...)
 * as a KeyceremonyError. Node reports some read-only failures as ENOENT (recursive mkdir), so a
 * failure is also checked against the disk itself.
 */
export function fsWriteError(e: unknown, path: string, action: string): KeyceremonyError {
  if (e instanceof KeyceremonyError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EROFS' || onReadOnlyDisk(path)) {
    return new KeyceremonyError(
      'DISK_READ_ONLY',
      `Cannot ${action} ${path}: the disk is read-only (mounted read-only or write-protected). Choose a folder on a writable disk.`,
      {
        where: path,
        cause: e,
      },
    );
  }
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOTDIR'
          ? 'a part of the path is a file, not a folder'
          : ((e as Error).message ?? String(e));
  return new KeyceremonyError('IO_ERROR', `Cannot ${action} ${path}: ${why}.`, { where: path, cause: e });
}

/** mkdir -p with domain errors. */
export function ensureDir(dir: string, mode?: number): void {
  try {
    mkdirSync(dir, mode === undefined ? { recursive: true } : { recursive: true, mode });
  } catch (e) {
    throw fsWriteError(e, dir, 'create the folder');
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  const dir = dirname(path);
  ensureDir(dir);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    fsyncDir(dir);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* ignore */
      }
    }
    rmSync(tmp, { force: true });
    throw fsWriteError(e, path, 'write');
  }
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some filesystems do not support fsync on directories */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A folder that appears whole or not at all (issue 12 item 5): files are written into
 * `<parent>/.<name>.staging`, every file fsynced, and the folder published by ONE rename once the
 * last file is on disk. On a failure (a full disk) the staging folder is removed, its secret files
 * overwritten with zeros first. A crash leaves only the staging folder, which the next writer of the
 * same parent removes the same way (removeStaleStaging) and reports. (Overwriting cannot reach old
 * blocks on flash or copy-on-write file systems; docs/backup.md says so.)
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { fsyncDir, writeFileAtomic } from './atomic';
import { shredFile } from './files';

const STAGING = /^\.(.+)\.staging$/;

export class StagedFolder {
  readonly final: string;
  readonly staging: string;
  private readonly dirs = new Set<string>();
  private done = false;

  private constructor(
    readonly parent: string,
    readonly name: string,
  ) {
    this.final = join(parent, name);
    this.staging = join(parent, `.${name}.staging`);
  }

  /** Start a new folder `<parent>/<name>`; refused (CONFLICT) when it exists already. */
  static begin(parent: string, name: string): StagedFolder {
    const f = new StagedFolder(parent, name);
    if (existsSync(f.final)) throw new KeyceremonyError('CONFLICT', `${f.final} exists already; nothing was written.`, { where: f.final });
    try {
      mkdirSync(parent, { recursive: true });
      rmSync(f.staging, { recursive: true, force: true });
      mkdirSync(f.staging, { mode: 0o700 });
    } catch (e) {
      throw new KeyceremonyError('IO_ERROR', `Cannot create ${f.staging}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, {
        where: f.staging,
        cause: e,
      });
    }
    f.dirs.add(f.staging);
    return f;
  }

  /** Write one file (relative path) into the staging folder, fsynced. */
  write(rel: string, data: string | Uint8Array, opts: { mode?: number } = {}): string {
    const path = join(this.staging, rel);
    const dir = join(path, '..');
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.dirs.add(dir);
    }
    writeFileAtomic(path, data, opts);
    return join(this.final, rel);
  }

  /** Publish: fsync every folder, one rename, fsync the parent. Returns the final path. */
  publish(): string {
    for (const d of this.dirs) fsyncDir(d);
    try {
      renameSync(this.staging, this.final);
    } catch (e) {
      throw new KeyceremonyError('IO_ERROR', `Cannot publish ${this.final}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, {
        where: this.final,
        cause: e,
      });
    }
    fsyncDir(this.parent);
    this.done = true;
    return this.final;
  }

  /** Remove the staging folder after a failure, overwriting every file in it first. */
  abandon(): void {
    if (this.done) return;
    shred(this.staging);
  }
}

/** Overwrite every regular file under `dir` (shredFile: random, zeros, fsync), then remove the folder. */
export function shred(dir: string): void {
  if (!existsSync(dir)) return;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        try {
          shredFile(p);
        } catch {
          /* best effort: the folder is removed next */
        }
      }
    }
  };
  try {
    walk(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Staging folders a crashed writer left in `parent` (`.<name>.staging`): overwritten and removed.
 * Returns the names of the folders they would have become.
 */
export function removeStaleStaging(parent: string): string[] {
  if (!existsSync(parent)) return [];
  const out: string[] = [];
  for (const n of readdirSync(parent)) {
    const m = STAGING.exec(n);
    const p = join(parent, n);
    if (!m || !lstatSync(p).isDirectory()) continue;
    shred(p);
    out.push(relative(parent, join(parent, m[1] as string)));
  }
  return out;
}

/**
 * fs edge of a Notary repository folder (used by `keyceremony notary`, `tuf verify` on Notary data,
 * and the desktop app): every *.json under the folder by relative path with `/` separators
 * (root.json, 2.root.json, targets/releases.json, .previous/targets.json), and writing staged files
 * back, each atomically. Symbolic links and paths leaving the folder are refused.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { writeFileAtomic } from '../fs/atomic';

const MAX_FILES = 10_000;

function readFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new KeyceremonyError('NOT_FOUND', `cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { where: path });
  }
}

export function readRepoDir(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch (e) {
      throw new KeyceremonyError('NOT_FOUND', `cannot read the folder ${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { where: d });
    }
    for (const e of entries.sort()) {
      if (e.startsWith('.') && !(d === dir && e === '.previous')) continue;
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) throw new KeyceremonyError('PATH_TRAVERSAL', `${p} is a symbolic link; a repository folder holds plain files only`, { where: p });
      if (st.isDirectory()) walk(p);
      else if (e.endsWith('.json')) {
        if (out.size >= MAX_FILES) throw new KeyceremonyError('TOO_LARGE', `more than ${MAX_FILES} metadata files in ${dir}`, { where: dir });
        out.set(relative(dir, p).split(sep).join('/'), readFile(p, 'metadata file'));
      }
    }
  };
  walk(dir);
  return out;
}

/** Write staged files into the folder (each atomically); returns the names written. */
export function writeRepoFiles(dir: string, files: ReadonlyMap<string, Uint8Array>, onWrite?: (name: string) => void): string[] {
  const names = [...files.keys()];
  for (const name of names) {
    if (name.split('/').some((p) => p === '..' || p === '') || name.startsWith('/') || name.includes('\\')) {
      throw new KeyceremonyError('PATH_TRAVERSAL', `refusing to write ${name}`, { where: name });
    }
  }
  for (const [name, bytes] of files) {
    writeFileAtomic(join(dir, ...name.split('/')), bytes);
    onWrite?.(name);
  }
  return names;
}

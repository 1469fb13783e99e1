/**
 * fs edge for repository folders: a metadata folder on disk as the core's MetadataFolder (names and
 * bytes, read when asked). Plain files directly in the folder are seen, and tuf-on-ci's root history
 * (`root_history/N.root.json`, names given with that prefix). Any other name with a path separator is
 * refused, so metadata cannot make us read outside the folder.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import type { MetadataFolder } from '../../core/tuf/updates';
import { readInputFile } from '../fs/read';

/** tuf-on-ci keeps every root version in this subfolder of its metadata folder. */
export const ROOT_HISTORY = 'root_history';

const PLAIN = (n: string) => n.length > 0 && !n.includes('/') && !n.includes('\\') && !n.includes('\0') && n !== '..' && n !== '.';

export function dirFolder(dir: string): MetadataFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new KeyceremonyError('NOT_FOUND', `no such metadata folder ${dir}`, { where: dir });
  const history = path.join(dir, ROOT_HISTORY);
  return {
    label: dir,
    names: () => {
      const top = readdirSync(dir).filter((n) => !n.startsWith('.'));
      if (!top.includes(ROOT_HISTORY) || !statSync(history).isDirectory()) return top;
      return [
        ...top,
        ...readdirSync(history)
          .filter((n) => /^\d+\.root\.json$/.test(n))
          .map((n) => `${ROOT_HISTORY}/${n}`),
      ];
    },
    read: (name) => {
      const sub = name.startsWith(`${ROOT_HISTORY}/`) ? name.slice(ROOT_HISTORY.length + 1) : undefined;
      if (sub !== undefined ? !PLAIN(sub) : !PLAIN(name)) return undefined;
      const p = sub !== undefined ? path.join(history, sub) : path.join(dir, name);
      try {
        if (!statSync(p).isFile()) return undefined;
        return readInputFile(p, { what: 'metadata file', kind: 'metadata' });
      } catch (e) {
        if (e instanceof KeyceremonyError) throw e;
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new KeyceremonyError('IO_ERROR', `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { where: p, cause: e });
      }
    },
  };
}

/** tuf-on-ci's invitation file in a signing event's metadata folder, if there is one. */
export function signingEventState(dir: string): Uint8Array | undefined {
  const p = path.join(dir, '.signing-event-state');
  try {
    return statSync(p).isFile() ? readInputFile(p, { what: 'signing event state', kind: 'document' }) : undefined;
  } catch (e) {
    if (e instanceof KeyceremonyError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyceremonyError('IO_ERROR', `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { where: p, cause: e });
  }
}

/**
 * fs edge for repository updates: a metadata folder on disk as the core's MetadataFolder (names and
 * bytes, read when asked). Only plain files directly in the folder are seen; names with a path
 * separator are refused, so metadata cannot make us read outside it.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import type { MetadataFolder } from '../../core/tuf/updates';

export function dirFolder(dir: string): MetadataFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new KeyceremonyError('NOT_FOUND', `no such metadata folder ${dir}`, { where: dir });
  return {
    label: dir,
    names: () => readdirSync(dir).filter((n) => !n.startsWith('.')),
    read: (name) => {
      if (name.includes('/') || name.includes('\\') || name.includes('\0') || name === '..' || name === '.') return undefined;
      const p = path.join(dir, name);
      try {
        if (!statSync(p).isFile()) return undefined;
        return new Uint8Array(readFileSync(p));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new KeyceremonyError('IO_ERROR', `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { where: p, cause: e });
      }
    },
  };
}

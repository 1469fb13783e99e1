/**
 * fs edge for TUF verification: a MetadataReader over a directory. Names come from metadata (role
 * names), so anything that would leave the directory is refused (python-tuf "fishy role names").
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import type { MetadataReader } from '../../core/tuf/verify';
import { readInputFile } from '../fs/read';

export function dirMetadataReader(dir: string, opts: { maxBytes?: number } = {}): MetadataReader {
  const root = path.resolve(dir);
  const max = opts.maxBytes ?? 256 << 20;
  const readPath = (p: string): Uint8Array | undefined => {
    const st = statSync(p);
    if (!st.isFile()) return undefined;
    return readInputFile(p, { what: 'metadata file', limit: max });
  };
  return {
    async read(name: string) {
      if (name.includes('\0') || name.includes('\\') || path.isAbsolute(name)) return undefined;
      const p = path.resolve(root, name);
      if (p !== root && !p.startsWith(root + path.sep)) {
        throw new KeyceremonyError('PATH_TRAVERSAL', `metadata names a file outside ${dir}: ${JSON.stringify(name)}`, { where: name });
      }
      if (!existsSync(p)) {
        // tuf-on-ci keeps root versions in root_history/ (a signing event's folder): N.root.json is read there
        const hist = /^\d+\.root\.json$/.test(name) ? path.join(root, 'root_history', name) : undefined;
        if (!hist || !existsSync(hist)) return undefined;
        return readPath(hist);
      }
      return readPath(p);
    },
    async list() {
      return readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name);
    },
  };
}

/** The metadata folder a command names, refused (NOT_FOUND, naming it) when it is not a folder. */
export function metadataDirReader(dir: string): MetadataReader {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new KeyceremonyError('NOT_FOUND', `no such folder ${dir}`, { where: dir });
  return dirMetadataReader(dir);
}

/** Test helper: a MetadataReader over a directory (what the CLI adapter does, kept tiny here). */
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { MetadataReader } from '../../electron/core/tuf/verify';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const FIXTURES = path.resolve(REPO, '..', 'shared', 'fixtures', 'interop');

export function dirReader(dir: string, map: Record<string, string> = {}): MetadataReader {
  return {
    async read(name) {
      const p = path.join(dir, map[name] ?? name);
      if (!existsSync(p) || !statSync(p).isFile()) return undefined;
      return new Uint8Array(readFileSync(p));
    },
  };
}

export function readBytes(p: string): Uint8Array {
  return new Uint8Array(readFileSync(p));
}

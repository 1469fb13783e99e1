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

/**
 * go-tuf fixtures keep git symlinks as small text files holding the relative target path
 * ("../../4/repository/1.root.json"): follow them, as a checkout with symlinks would.
 */
export function readFollowingGitLinks(p: string, depth = 0): Uint8Array | undefined {
  if (!existsSync(p) || !statSync(p).isFile()) return undefined;
  const b = new Uint8Array(readFileSync(p));
  if (depth < 8 && b.length < 256 && b[0] === 0x2e) {
    const target = Buffer.from(b).toString('utf8');
    if (/^\.\.?\/[^\n]*$/.test(target)) return readFollowingGitLinks(path.resolve(path.dirname(p), target), depth + 1);
  }
  return b;
}

export function gitLinkReader(dir: string): MetadataReader {
  return { read: async (name) => readFollowingGitLinks(path.join(dir, name)) };
}

/**
 * Serves the renderer's built files for the app:// scheme: only files inside the renderer folder,
 * only known types, with the app CSP on every answer. No directory listing, no traversal.
 */
import { realpath } from 'node:fs/promises';
import { readInputFile } from './adapters/fs/read';
import { extname, join, normalize, sep } from 'node:path';
import { APP_HOST, APP_SCHEME, CSP } from './security';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface AppFileAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | null;
}

export const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
};

export async function appFile(rendererDir: string, url: string): Promise<AppFileAnswer> {
  const deny = (status: number): AppFileAnswer => ({ status, headers: { ...SECURITY_HEADERS }, body: null });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return deny(400);
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return deny(403);
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return deny(400);
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  if (rel.includes('\0')) return deny(400);
  const type = TYPES[extname(rel).toLowerCase()];
  if (!type) return deny(404);
  const root = await realpath(rendererDir);
  const candidate = normalize(join(root, rel));
  if (!candidate.startsWith(root + sep)) return deny(403);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return deny(404);
  }
  if (!real.startsWith(root + sep)) return deny(403);
  const body = readInputFile(real, { what: 'app file', kind: 'journal' });
  return { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': type }, body };
}

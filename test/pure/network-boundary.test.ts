/**
 * keyceremony is offline: the only code that may open a network connection is the Notary publish
 * adapter (`keyceremony notary publish`, meant for the online machine). This scans the product
 * sources (shared/, electron/, renderer/) for networking imports and APIs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ALLOWED = new Set(['electron/adapters/notary/publish.ts']);
const NET = [
  /from\s+'(node:)?(http|https|http2|net|tls|dgram)'/,
  /require\(\s*'(node:)?(http|https|http2|net|tls|dgram)'\s*\)/,
  /import\(\s*'(node:)?(http|https|http2|net|tls|dgram)'\s*\)/,
  /\bfetch\s*\(/,
  /\bnew\s+WebSocket\s*\(/,
  /\bXMLHttpRequest\b/,
  /\bEventSource\s*\(/,
  /from\s+'(undici|axios|node-fetch|got)'/,
];

function files(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'node_modules' && e !== 'dist') out = out.concat(files(p));
    } else if (/\.(ts|tsx|mts|cts)$/.test(e)) out.push(p);
  }
  return out;
}

const stripComments = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

test('only electron/adapters/notary/publish.ts uses the network', () => {
  const offenders: string[] = [];
  for (const f of ['shared', 'electron', 'renderer'].flatMap(files)) {
    const src = stripComments(readFileSync(f, 'utf8'));
    for (const re of NET) if (re.test(src) && !ALLOWED.has(f.split('\\').join('/'))) offenders.push(`${f}: ${re}`);
  }
  assert.deepEqual(offenders, []);
  // and the allowed one really is the network code (the scan would notice if it moved)
  assert.match(readFileSync('electron/adapters/notary/publish.ts', 'utf8'), /from 'node:https'/);
});

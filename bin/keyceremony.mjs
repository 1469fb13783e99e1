#!/usr/bin/env node
// keyceremony CLI entry (the bundle is built by `npm run build`, which `npm ci` runs via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const bundle = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
if (!existsSync(bundle)) {
  console.error('keyceremony: dist/cli.mjs is missing; run `npm run build` first.');
  process.exit(2);
}
// A closed pipe (`keyceremony tokens | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  else throw e;
});
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));

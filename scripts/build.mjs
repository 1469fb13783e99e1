#!/usr/bin/env node
// Bundles the CLI (and, when present, the Electron main/preload and the renderer) with esbuild.
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: ['electron/cli/main.ts'],
  outfile: 'dist/cli.mjs',
  format: 'esm',
  banner: { js: "import { createRequire as __kcCreateRequire } from 'node:module'; const require = __kcCreateRequire(import.meta.url);" },
});
if (existsSync('electron/main.ts')) {
  await build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs', format: 'cjs', external: ['electron'] });
}
if (existsSync('electron/preload.ts')) {
  await build({ ...common, packages: undefined, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] });
}

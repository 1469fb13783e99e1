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
  await build({
    ...common,
    packages: undefined,
    entryPoints: ['electron/preload.ts'],
    outfile: 'dist/electron/preload.cjs',
    format: 'cjs',
    external: ['electron'],
  });
}

// Renderer: esbuild, not vite. (vite's rollup pulls platform packages that the npm registry mirror
// used by our CI does not serve, which breaks `npm ci`.) Output: renderer/dist/{index.html,assets/}.
// The same function builds the renderer for the Playwright harness (scripts/build-renderer.mjs).
if (existsSync('renderer/src/main.tsx')) {
  const { buildRenderer } = await import('./build-renderer.mjs');
  await buildRenderer();
}

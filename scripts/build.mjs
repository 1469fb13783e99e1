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

// Renderer: esbuild, not vite. (vite's rollup pulls platform packages that the npm registry mirror
// used by our CI does not serve, which breaks `npm ci`.) Output: renderer/dist/{index.html,assets/}.
if (existsSync('renderer/src/main.tsx')) {
  const { readFileSync, writeFileSync, rmSync } = await import('node:fs');
  rmSync('renderer/dist', { recursive: true, force: true });
  await build({
    entryPoints: ['renderer/src/main.tsx'],
    outfile: 'renderer/dist/assets/app.js',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    jsx: 'automatic',
    jsxImportSource: 'react',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const html = readFileSync('renderer/index.html', 'utf8').replace(
    /<script type="module" src="\.\/src\/main\.tsx"><\/script>/,
    (existsSync('renderer/dist/assets/app.css') ? '<link rel="stylesheet" href="./assets/app.css" />\n    ' : '') +
      '<script type="module" src="./assets/app.js"></script>',
  );
  if (html.includes('main.tsx')) throw new Error('renderer/index.html: could not find the main.tsx script tag to replace');
  writeFileSync('renderer/dist/index.html', html);
}

// The renderer build (esbuild, not vite: vite's rollup needs platform packages the npm registry mirror does not serve, which breaks npm ci), shared by
// scripts/build.mjs and the Playwright harness (test/helpers/ui-harness.ts), so tests drive exactly
// what the app ships: renderer/src/main.tsx → <outDir>/assets/app.js (+ app.css),
// renderer/index.html → <outDir>/index.html.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

export async function buildRenderer({ outDir = join(REPO, 'renderer', 'dist') } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: REPO,
    entryPoints: [join(REPO, 'renderer/src/main.tsx')],
    outfile: join(outDir, 'assets/app.js'),
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
  const html = readFileSync(join(REPO, 'renderer/index.html'), 'utf8').replace(
    /<script type="module" src="\.\/src\/main\.tsx"><\/script>/,
    (existsSync(join(outDir, 'assets/app.css')) ? '<link rel="stylesheet" href="./assets/app.css" />\n    ' : '') +
      '<script type="module" src="./assets/app.js"></script>',
  );
  if (html.includes('main.tsx')) throw new Error('renderer/index.html: could not find the main.tsx script tag to replace');
  writeFileSync(join(outDir, 'index.html'), html);
  return outDir;
}

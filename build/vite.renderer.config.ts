// Renderer build: `vite build --config build/vite.renderer.config.ts` → renderer/dist (scripts/build.mjs calls
// the same config through vite's JS API). JSX through esbuild (no @vitejs/plugin-react needed).
// Lives in build/ because it runs in Node at build time; renderer/ itself is a pure (browser) layer.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../renderer/', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'react' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: false,
    sourcemap: false,
    target: 'chrome120',
    assetsInlineLimit: 0,
  },
  server: { host: '127.0.0.1' },
});

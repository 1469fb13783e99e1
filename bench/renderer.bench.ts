/**
 * The renderer as a person receives it.
 * - Bundle size: renderer/dist (what `npm run build` ships: app.js, app.css, index.html), gzipped at
 *   level 6 (what a download or an installer's compression sees). Target < 400 KB.
 * - Cold start to the first screen in the Chromium harness (test/helpers/ui-harness.ts: the real
 *   renderer, the same IPC handler table, a SoftHSM module): a new browser context, index.html
 *   loaded, until the start screen's heading "What are you here to do?" is visible. Baseline: a new
 *   context showing a one-line page in the same browser, the floor any page pays. Best of ROUNDS.
 * Electron itself cannot run here: this is the renderer's cold start, not the Electron window's.
 */
import { readFileSync, readdirSync, statSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { provisionSoftHsm, removeSoftHsm } from '../electron/adapters/softhsm';
import { Pkcs11Module } from '../electron/adapters/pkcs11';
import { CHROMIUM, startUi } from '../test/helpers/ui-harness';
import type { Report } from './run';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_KB = 400;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

export async function run(report: Report): Promise<void> {
  const dist = join('renderer', 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error('renderer/dist is missing: run npm run build (npm run bench does)');
  let raw = 0;
  let gz = 0;
  for (const f of files(dist)) {
    const b = readFileSync(f);
    raw += b.length;
    gz += gzipSync(b, { level: 6 }).length;
  }
  report({
    name: 'renderer: bundle size gzipped (renderer/dist)',
    ours: gz / 1024,
    baseline: TARGET_KB,
    unit: 'KB',
    ratio: TARGET_KB / (gz / 1024),
    note: `${(raw / 1024).toFixed(0)} KB before gzip, not minified (readable for review); baseline is the 400 KB target`,
  });

  if (!existsSync(CHROMIUM)) {
    console.log(`renderer: cold start skipped: no ${CHROMIUM}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'kc-bench-ui-'));
  const env = provisionSoftHsm(dir, ['ui-bench'], { pin: '1234' });
  process.env.SOFTHSM2_CONF = env.conf;
  const mod = Pkcs11Module.open(env.module);
  const ui = await startUi({ tokens: () => mod });
  try {
    const app: number[] = [];
    const blank: number[] = [];
    for (let i = 0; i < ROUNDS + 1; i++) {
      let t0 = performance.now();
      const m = await ui.machine({ name: `cold-${i}` });
      await m.page.getByRole('heading', { name: 'What are you here to do?' }).waitFor();
      const tApp = performance.now() - t0;
      await m.context.close();
      t0 = performance.now();
      const ctx = await ui.browser.newContext();
      const page = await ctx.newPage();
      await page.setContent('<h1>hello</h1>');
      await page.getByRole('heading', { name: 'hello' }).waitFor();
      const tBlank = performance.now() - t0;
      await ctx.close();
      if (i > 0) {
        // the first round warms the browser process
        app.push(tApp);
        blank.push(tBlank);
      }
    }
    const best = Math.min(...app);
    const base = Math.min(...blank);
    report({
      name: 'renderer: cold start to the first screen (Chromium harness)',
      ours: best,
      baseline: base,
      unit: 'ms',
      ratio: base / best,
      note: `new context + index.html + start screen; baseline a one-line page; spread ${Math.min(...app).toFixed(0)}–${Math.max(...app).toFixed(0)} ms`,
    });
  } finally {
    await ui.close();
    mod.close();
    removeSoftHsm(dir);
  }
}

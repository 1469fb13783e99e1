/**
 * axe-core (npm `axe-core`) run in a Playwright page: the page's own CSP blocks injected <script>
 * tags, so the library is evaluated through the DevTools protocol (page.evaluate), which CSP does
 * not govern, and run on the whole document. `expectNoSeriousA11y` fails with every serious or
 * critical violation listed (rule, impact, help, the first offending nodes).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let source: string | undefined;
const axeSource = () => (source ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(axeSource());
  return page.evaluate(
    `window.axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))`,
  ) as Promise<AxeViolation[]>;
}

/** 0 serious or critical violations on the page as it is now; `screen` names it in the failure. */
export async function expectNoSeriousA11y(page: Page, screen: string): Promise<AxeViolation[]> {
  const all = await axeViolations(page);
  const bad = all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`),
    [],
    `axe-core on "${screen}": serious/critical violations`,
  );
  return all;
}

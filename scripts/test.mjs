#!/usr/bin/env node
// Runs the test tiers with node's own test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [pure|token|peers|ui ...]   (default: all tiers, in that order)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const TIERS = ['pure', 'token', 'peers', 'ui'];
const asked = process.argv.slice(2);
const tiers = asked.length ? asked : TIERS;
for (const t of tiers) if (!TIERS.includes(t)) { console.error(`unknown tier ${t}`); process.exit(2); }

function find(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (/\.test\.tsx?$/.test(e)) out.push(p);
  }
  return out;
}

const files = tiers.flatMap((t) => find(join('test', t)));
if (files.length === 0) { console.error('no test files found'); process.exit(1); }
const concurrency = process.env.KEYCEREMONY_TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, KEYCEREMONY_TEST: '1' } },
);
process.exit(r.status ?? 1);

#!/usr/bin/env node
// Runs the test tiers with node's own test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [pure|token|peers|ui ...]   (default: all tiers, in that order)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
// Token-tier test files mark each PKCS#11 module they really used (test/helpers/token-modules.ts);
// the summary line names only those.
const markers = tiers.includes('token') ? mkdtempSync(join(tmpdir(), 'kc-token-markers-')) : undefined;
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, KEYCEREMONY_TEST: '1', ...(markers ? { KEYCEREMONY_TOKEN_MARKERS: markers } : {}) } },
);
if (markers) {
  const MODULES = ['softhsm2', 'tpm2-pkcs11', 'opencryptoki'];
  const seen = new Set(readdirSync(markers));
  rmSync(markers, { recursive: true, force: true });
  const ran = MODULES.filter((m) => seen.has(m));
  console.log(`token modules exercised: ${ran.join(', ') || 'none'}`);
  const not = MODULES.filter((m) => !seen.has(m));
  if (not.length) console.log(`token modules NOT exercised: ${not.join(', ')} (see the skipped tests above for why)`);
}
process.exit(r.status ?? 1);

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
for (const t of tiers)
  if (!TIERS.includes(t)) {
    console.error(`unknown tier ${t}`);
    process.exit(2);
  }

function find(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (/\.test\.tsx?$/.test(e)) out.push(p);
  }
  return out;
}

// The pure tier runs under c8 (.c8rc.json): coverage of shared/ and electron/core/ is printed and
// `npm test` fails below the thresholds there. KEYCEREMONY_COVERAGE=0 runs it without.
const concurrency = process.env.KEYCEREMONY_TEST_CONCURRENCY ?? '2';
// Token-tier test files mark each PKCS#11 module they really used (test/helpers/token-modules.ts);
// the summary line names only those.
const markers = tiers.includes('token') ? mkdtempSync(join(tmpdir(), 'kc-token-markers-')) : undefined;
const nodeTest = (files) => ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files];
const env = { ...process.env, KEYCEREMONY_TEST: '1', ...(markers ? { KEYCEREMONY_TOKEN_MARKERS: markers } : {}) };
const runs = [];
const pure = tiers.includes('pure') ? find(join('test', 'pure')) : [];
const rest = tiers.filter((t) => t !== 'pure').flatMap((t) => find(join('test', t)));
if (pure.length + rest.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
if (pure.length) {
  const c8 = join('node_modules', 'c8', 'bin', 'c8.js');
  runs.push(process.env.KEYCEREMONY_COVERAGE === '0' ? nodeTest(pure) : [c8, process.execPath, ...nodeTest(pure)]);
}
if (rest.length) runs.push(nodeTest(rest));
let status = 0;
for (const args of runs) {
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env });
  if (r.status !== 0) status = r.status ?? 1;
}
if (markers) {
  const MODULES = ['softhsm2', 'tpm2-pkcs11', 'opencryptoki'];
  const seen = new Set(readdirSync(markers));
  rmSync(markers, { recursive: true, force: true });
  const ran = MODULES.filter((m) => seen.has(m));
  console.log(`token modules exercised: ${ran.join(', ') || 'none'}`);
  const not = MODULES.filter((m) => !seen.has(m));
  if (not.length) console.log(`token modules NOT exercised: ${not.join(', ')} (see the skipped tests above for why)`);
}
process.exit(status);

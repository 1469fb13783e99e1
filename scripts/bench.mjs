#!/usr/bin/env node
// npm run bench [-- filter]: runs bench/*.bench.ts (see bench/run.ts).
import { spawnSync } from 'node:child_process';
const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);

/**
 * Child of bench/tuf.bench.ts: verify the TUF repository in a folder (1.root.json as the trusted root)
 * the way `keyceremony tuf verify` does, and print this process's peak RSS. Not a bench on its own.
 * Usage: node --import tsx bench/tuf-verify-child.ts DIR NOW_MS
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { verifyRepository } from '../electron/core/tuf/verify';
import { dirMetadataReader } from '../electron/adapters/tuf/fs-reader';
import { installParallelKeyProver } from '../electron/adapters/json-key-prover';

const [dir, now] = process.argv.slice(2);
if (!dir || !now) throw new Error('usage: tuf-verify-child.ts DIR NOW_MS');
installParallelKeyProver({ startNow: true }).waitUntilReady(10_000); // as the CLI runs (its worker counts in the RSS)
const { report } = await verifyRepository(new Uint8Array(readFileSync(path.join(dir, '1.root.json'))), dirMetadataReader(dir), { now: Number(now) });
if (report.verdict !== 'verified') throw new Error(report.summary);
process.stdout.write(JSON.stringify({ targets: report.tuf.targetCount, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');

/**
 * Helpers every CLI command shares (one copy each): whole-number flags, the clock (KEYCEREMONY_NOW or
 * --at), and writing an output file atomically with a line on stderr.
 */
import path from 'node:path';
import { ensureDir, writeFileAtomic } from '../adapters/fs/atomic';
import { UsageError } from './args';
import type { CliContext } from './context';

/** The token-key flags (../keyref.ts `keyOptions`) as the usage of `tuf` and `notary` shows them. */
export const KEY_USAGE = '(--key pkcs11:URI | (--token L | --serial S) (--label L | --id HEX)) [--pin-file F]';

/** A whole-number flag value (or `dflt` when absent). */
export function intFlag(v: string | undefined, flag: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} takes a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Now, in ms: `--at TIME` when given, else KEYCEREMONY_NOW (rehearsals and tests pin the clock), else the system clock. */
export function clockNow(ctx: CliContext, at?: string): number {
  const v = at ?? ctx.env.KEYCEREMONY_NOW;
  if (!v) return Date.now();
  const ms = Date.parse(v);
  if (!RFC3339.test(v) || Number.isNaN(ms)) {
    throw new UsageError(`${at ? '--at' : 'KEYCEREMONY_NOW'} must be an RFC 3339 time such as 2026-08-22T00:00:00Z, got ${JSON.stringify(v)}`);
  }
  return ms;
}

/** Write `file` atomically (its folder made if needed) and say so on stderr. */
export function writeOut(ctx: CliContext, file: string, data: string | Uint8Array): void {
  ensureDir(path.dirname(path.resolve(file)));
  writeFileAtomic(file, data);
  ctx.err(`wrote ${file}`);
}

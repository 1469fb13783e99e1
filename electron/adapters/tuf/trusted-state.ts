/**
 * fs edge for the trusted state a repeated verification keeps (`tuf verify --trusted-state FILE`,
 * keyceremony/tuf-trusted-state; the rule is core/tuf/update.ts `verifyWithTrustedState`): a missing
 * file is a fresh start, a malformed one an error that leaves it as it is, and the new state is
 * written atomically.
 */
import { existsSync } from 'node:fs';
import { fromUtf8 } from '../../../shared/encoding/bytes';
import { parseTrustedState, type TrustedState } from '../../core/tuf/update';
import path from 'node:path';
import { ensureDir, writeFileAtomic } from '../fs/atomic';
import { readInputFile } from '../fs/read';

export function readTrustedStateFile(file: string): TrustedState | undefined {
  if (!existsSync(file)) return undefined;
  const bytes = readInputFile(file, { what: 'trusted state', kind: 'document' });
  return parseTrustedState(fromUtf8(bytes), file);
}

export function writeTrustedStateFile(file: string, state: TrustedState): void {
  ensureDir(path.dirname(path.resolve(file)));
  writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n');
}

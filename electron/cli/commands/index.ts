/** Command registry: one line per group. */
import type { Command } from './types';
import { tokenCommands } from './tokens';
import { cosignCommand } from './cosign';
import { tufCommand } from './tuf';
import { backupCommand } from './backup';
import { notaryCommand } from './notary';

export const commands: Command[] = [
  ...tokenCommands,
  cosignCommand,
  tufCommand,
  backupCommand,
  notaryCommand,
];

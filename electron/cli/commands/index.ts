/** Command registry: one line per group. */
import type { Command } from './types';
import { tokenCommands } from './tokens';
import { cosignCommand } from './cosign';
import { tufCommand } from './tuf';
import { backupCommand } from './backup';
import { notaryCommand } from './notary';
import { ceremonyCommand } from './ceremony';
import { bundleCommand } from './bundle';
import { attestCommand } from './attest';
import { expiryCommand } from './expiry';
import { exportCommand } from './export';

export const commands: Command[] = [
  ...tokenCommands,
  cosignCommand,
  tufCommand,
  backupCommand,
  notaryCommand,
  ceremonyCommand,
  bundleCommand,
  attestCommand,
  expiryCommand,
  exportCommand,
];

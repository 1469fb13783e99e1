/** Command registry: one line per group. */
import type { Command } from './types';
import { tokenCommands } from './tokens';

export const commands: Command[] = [
  ...tokenCommands,
];

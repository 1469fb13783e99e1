import type { CliContext } from '../context';

/**
 * One node of the CLI's command tree. The dispatcher (../dispatch.ts) walks `subcommands` to find the
 * node an argv names, answers `--help` / `-h` from the node's own `usage`, and prints that usage on a
 * usage error. A subcommand is reachable only through this table, so it cannot lack a usage.
 */
export interface Command {
  name: string;
  summary: string;
  /**
   * How to call it: one entry per form, written WITHOUT the leading `keyceremony <path>` (the
   * dispatcher prefixes it). Continuation lines start with spaces. Empty only for a pure group
   * (made with `group()`), which has subcommands and no behaviour of its own.
   */
  usage: readonly string[];
  /** Shown under the usage of this command and of everything below it (formats, variables). */
  notes?: string;
  subcommands?: readonly Command[];
  /** Returns the exit code: 0 ok, 1 verification failed / refused, 2 usage error. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

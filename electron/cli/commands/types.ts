import type { CliContext } from '../context';

export interface Command {
  name: string;
  summary: string;
  usage?: string;
  /** Returns the exit code: 0 ok, 1 verification failed / refused, 2 usage error. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

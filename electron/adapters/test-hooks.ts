/**
 * Named crash points for the crash tests (issue 12). When KEYCEREMONY_TEST_CRASH_AT names a point
 * ("name", or "name#N" for the Nth time it is reached), the process writes
 * `KEYCEREMONY_TEST_CRASH name` to stderr and kills itself with SIGKILL right there, as a power cut
 * would: no finally blocks, no exit handlers. KEYCEREMONY_TEST_CRASH_SIGNAL=SIGABRT aborts instead
 * (the signal that writes a core dump, for the core-dump test). Inert unless that variable is set
 * (keyceremony never sets it); the point names are listed in ARCHITECTURE.md ("Failure model").
 */
import { writeSync } from 'node:fs';

const reached = new Map<string, number>();

export function crashPoint(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const want = env.KEYCEREMONY_TEST_CRASH_AT;
  if (!want) return;
  const n = (reached.get(name) ?? 0) + 1;
  reached.set(name, n);
  if (want !== name && want !== `${name}#${n}`) return;
  writeSync(2, `KEYCEREMONY_TEST_CRASH ${want}\n`);
  if (env.KEYCEREMONY_TEST_CRASH_SIGNAL === 'SIGABRT') process.abort();
  process.kill(process.pid, 'SIGKILL');
}

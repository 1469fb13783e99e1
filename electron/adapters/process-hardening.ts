/**
 * No core dumps (issue 12 item 9): a core file of a process that held a PIN holds the PIN. Node has no
 * setrlimit and no prctl, so:
 *
 * - RLIMIT_CORE: on Linux we run util-linux `prlimit --pid <our pid> --core=0:0` (absolute path,
 *   empty environment), which sets soft AND hard limit of THIS running process through prlimit(2);
 *   nothing in the process can raise it again, and children inherit it. We then re-read
 *   /proc/self/limits; if the limit is still not 0 (no prlimit, a seccomp'd sandbox), the caller
 *   refuses to run (CLI) or warns (see ensureNoCoreDumps). With core_pattern piping to a dumper
 *   (systemd-coredump, apport), RLIMIT_CORE 0 is what those dumpers honour to store nothing.
 * - PR_SET_DUMPABLE 0 is NOT set: it needs prctl(2) inside the process, which Node cannot call
 *   without a native addon, and no wrapper can set it for us (execve resets it). The consequence:
 *   another process of the same user can still ptrace us or read /proc/<pid>/mem. The machine is
 *   the ceremony laptop; we say so in docs/ and do not claim otherwise.
 * - Not Linux: nothing is changed (macOS's default core limit is 0; we cannot check it without a
 *   shell); coreDumpLimit() answers undefined.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readInputText } from './fs/read';
import { KeyceremonyError } from '../../shared/errors';

export interface CoreLimit {
  soft: string;
  hard: string;
}

const PRLIMIT_PATHS = ['/usr/bin/prlimit', '/bin/prlimit'];

/** The current core-file limit from /proc/self/limits ("0", a byte count, or "unlimited"), Linux only. */
export function coreDumpLimit(limitsText?: string): CoreLimit | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readInputText('/proc/self/limits', { what: 'process limits', limit: 64 * 1024 });
    } catch {
      return undefined;
    }
  }
  const m = /^Max core file size\s+(\S+)\s+(\S+)/m.exec(text);
  return m ? { soft: m[1] as string, hard: m[2] as string } : undefined;
}

export interface HardeningResult {
  /** True when the core limit is known to be 0 now. */
  ok: boolean;
  /** What was done, for --verbose output and the failure message. */
  how: string;
}

export function disableCoreDumps(deps: { limit?: () => CoreLimit | undefined; prlimit?: (pid: number) => void } = {}): HardeningResult {
  const limit = deps.limit ?? (() => coreDumpLimit());
  const before = limit();
  if (!before) return { ok: false, how: 'core-file limit unknown on this system (no /proc/self/limits)' };
  if (before.soft === '0' && before.hard === '0') return { ok: true, how: 'core dumps already off (RLIMIT_CORE 0)' };
  const run =
    deps.prlimit ??
    ((pid: number) => {
      const bin = PRLIMIT_PATHS.find((p) => existsSync(p));
      if (!bin) throw new KeyceremonyError('NOT_FOUND', 'prlimit (util-linux) is not installed.');
      execFileSync(bin, ['--pid', String(pid), '--core=0:0'], { env: {}, stdio: 'ignore', timeout: 10_000 });
    });
  try {
    run(process.pid);
  } catch {
    /* reported below from the limit itself */
  }
  const after = limit();
  if (after?.soft === '0' && after.hard === '0') return { ok: true, how: `RLIMIT_CORE lowered from ${before.soft} to 0 (prlimit)` };
  return { ok: false, how: `core dumps stay enabled (limit ${after?.soft ?? before.soft}); prlimit could not lower it` };
}

let done: HardeningResult | undefined;

/**
 * Once per process, before any PIN is read: core dumps off, or a refusal that says how to turn them
 * off. `allow` (KEYCEREMONY_ALLOW_CORE_DUMPS=1, for debugging a crash on a test machine) proceeds anyway.
 */
export function ensureNoCoreDumps(env: NodeJS.ProcessEnv = process.env, deps?: Parameters<typeof disableCoreDumps>[0]): HardeningResult {
  const r = deps ? disableCoreDumps(deps) : (done ??= disableCoreDumps());
  if (!r.ok && (deps?.limit ?? coreDumpLimit)() !== undefined && env.KEYCEREMONY_ALLOW_CORE_DUMPS !== '1') {
    throw new KeyceremonyError(
      'PRECONDITION_FAILED',
      `Core dumps are enabled and keyceremony could not turn them off (${r.how}); a crash would write the PIN to disk. Run \`ulimit -c 0\` in this shell and start again.`,
      { where: 'RLIMIT_CORE' },
    );
  }
  return r;
}

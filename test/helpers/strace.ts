/**
 * Crash a process at an exact point inside a PKCS#11 module with strace's fault injection.
 * SoftHSM rewrites an object file once per attribute it sets: ftruncate(fd, 0), then one write of the
 * whole file. Killing the process at its Nth ftruncate leaves the object file as the (N-1)th store
 * wrote it: a partly written object. A learning run first lists every ftruncate with its file and
 * thread (`strace -f -y`), so a test names the point as "the k-th rewrite of the n-th object file".
 * strace counts `inject=…:when=N` per thread (per tracee), so the point is the index among the
 * ftruncates of the thread that wrote that file (pkcs11js runs C_GenerateKeyPair on a libuv worker).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface Truncation {
  tid: string;
  file: string;
}

/** Every ftruncate the command makes, in order, with the file it truncated and the thread. */
export function ftruncates(cmd: string[], env: NodeJS.ProcessEnv): { files: Truncation[]; run: Run } {
  const dir = mkdtempSync(join(tmpdir(), 'kc-strace-'));
  const log = join(dir, 'log');
  try {
    const r = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=ftruncate', '-o', log, ...cmd], { env, encoding: 'utf8', timeout: 300_000 });
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .map((l) => /^(\d+)\s+ftruncate\(\d+<([^>]+)>/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ tid: m[1] as string, file: m[2] as string }));
    return { files, run: { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The `when=` for the k-th ftruncate of the n-th distinct SoftHSM object file (token.object excluded):
 * its 1-based index among the ftruncates of the thread that made it.
 */
export function pointInObject(files: readonly Truncation[], nthObject: number, kthRewrite: number): number {
  const objects: string[] = [];
  const seen = new Map<string, number>();
  const perThread = new Map<string, number>();
  for (const { tid, file: f } of files) {
    const t = (perThread.get(tid) ?? 0) + 1;
    perThread.set(tid, t);
    if (!f.endsWith('.object') || basename(f) === 'token.object') continue;
    if (!objects.includes(f)) objects.push(f);
    const k = (seen.get(f) ?? 0) + 1;
    seen.set(f, k);
    if (objects.indexOf(f) === nthObject - 1 && k === kthRewrite) return t;
  }
  throw new Error(`no rewrite ${kthRewrite} of object file ${nthObject} among ${files.length} ftruncates (${objects.length} object files)`);
}

/** Run the command and SIGKILL it at its n-th ftruncate. */
export function killAtFtruncate(cmd: string[], env: NodeJS.ProcessEnv, n: number): Run {
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=ftruncate', '-e', `inject=ftruncate:signal=KILL:when=${n}`, ...cmd], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

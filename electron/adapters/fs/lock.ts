/**
 * A lock file for writes that several people (or processes) may make to the same file at once — two
 * custodians signing one signing event from two terminals, the app and the CLI on one folder. The lock
 * is a file created with O_EXCL holding who took it ({pid, host, since, what}); it is removed when the
 * work ends. A holder that is gone (same host, process no longer running) leaves a stale lock, which is
 * taken over; a live holder is waited for (a write under the lock takes milliseconds), then refused
 * with CONFLICT naming the holder and the lock file.
 *
 * The lock orders writers; it does not replace re-reading: code under the lock re-reads what it is
 * about to replace (the other writer may have changed it meanwhile).
 */
import { closeSync, openSync, rmSync, statSync, writeSync, fsyncSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeyceremonyError } from '../../../shared/errors';
import { fsWriteError, writeFileAtomic } from './atomic';
import { readInputText } from './read';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  what: string;
  /** Tells two holders in one process apart. */
  nonce: string;
  /** A ceremony's run id, when a ceremony holds the lock. */
  run?: string;
}

/** Whether a process with this id runs on this machine (EPERM: it runs, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(lockPath: string): LockHolder | undefined {
  try {
    const v = JSON.parse(readInputText(lockPath, { what: 'lock file', limit: 64 * 1024 })) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string')
      return {
        pid: v.pid,
        host: v.host,
        since: String(v.since ?? ''),
        what: String(v.what ?? ''),
        nonce: String(v.nonce ?? ''),
        ...(typeof v.run === 'string' ? { run: v.run } : {}),
      };
  } catch {
    /* unreadable or gone */
  }
  return undefined;
}

/** A lock left by a process that is gone (same host), or an unreadable lock older than a minute. */
function isStale(lockPath: string, holder: LockHolder | undefined): boolean {
  if (holder) return holder.host === hostname() && !alive(holder.pid);
  try {
    return Date.now() - statSync(lockPath).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

function tryCreate(lockPath: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fsWriteError(e, lockPath, 'create the lock file');
  }
  try {
    writeSync(fd, JSON.stringify(me) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LockOptions {
  /** How long to wait for a live holder (default 30 s; 0: refuse at once). */
  waitMs?: number;
  pollMs?: number;
  /** Said once, when a live holder is found and the wait begins ("another signer is writing …; retrying"). */
  onWait?: (holder: LockHolder | undefined) => void;
  /** The error when the wait ends; default CONFLICT naming the holder and the lock file. */
  busyError?: (holder: LockHolder | undefined) => KeyceremonyError;
  /** Stored in the lock for whoever finds it (a ceremony's run id). */
  run?: string;
}

export interface HeldLock {
  path: string;
  holder: LockHolder;
  /** Remove the lock file if it is still ours (idempotent). */
  release(): void;
  /** Record a run id in the lock (atomically replaced; still ours, still held). */
  setRun(run: string): void;
}

/** Take the lock file `lockPath` and keep it until `release()`; see withFileLock. */
export async function acquireFileLock(lockPath: string, what: string, opts: LockOptions = {}): Promise<HeldLock> {
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    what,
    nonce: randomBytes(6).toString('hex'),
    ...(opts.run ? { run: opts.run } : {}),
  };
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  let told = false;
  for (;;) {
    if (tryCreate(lockPath, me)) break;
    const holder = readHolder(lockPath);
    if (isStale(lockPath, holder)) {
      // take over a dead holder's lock (re-checked right before removing it)
      const again = readHolder(lockPath);
      if (JSON.stringify(again) === JSON.stringify(holder)) rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      if (opts.busyError) throw opts.busyError(holder);
      const who = holder ? `keyceremony process ${holder.pid} on ${holder.host} since ${holder.since}` : 'another process';
      throw new KeyceremonyError(
        'CONFLICT',
        `${what} is being written by ${who}. Wait for it to finish and try again; if no keyceremony is running there, remove ${lockPath}.`,
        { where: lockPath, ...(holder ? { details: { pid: holder.pid, host: holder.host } } : {}) },
      );
    }
    if (!told) {
      told = true;
      opts.onWait?.(holder);
    }
    await sleep(opts.pollMs ?? 50);
  }
  let held = true;
  return {
    path: lockPath,
    holder: me,
    setRun(run: string) {
      if (!held || me.run === run) return;
      me.run = run;
      writeFileAtomic(lockPath, JSON.stringify(me) + '\n', { mode: 0o644 });
    },
    release() {
      if (!held) return;
      held = false;
      const h = readHolder(lockPath);
      if (h && h.nonce === me.nonce && h.pid === me.pid && h.host === me.host) rmSync(lockPath, { force: true });
    },
  };
}

/**
 * Run `fn` holding the lock file `lockPath`. `what` says what is locked ("the signing event in DIR").
 * Waits up to `waitMs` (default 30 s) for a live holder.
 */
export async function withFileLock<T>(lockPath: string, what: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireFileLock(lockPath, what, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** The lock file of one file: a dot file beside it (`.NAME.lock`), which folder readers skip. */
export function lockFileOf(file: string): string {
  return join(dirname(file), `.${basename(file)}.lock`);
}

/** What a signer who waits is told: "another signer is writing …; retrying". */
export function waitingLine(what: string, holder: LockHolder | undefined): string {
  const who = holder ? ` (keyceremony process ${holder.pid} on ${holder.host}, since ${holder.since})` : '';
  return `another signer is writing ${what}${who}; retrying until it is done`;
}

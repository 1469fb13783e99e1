/**
 * A ceremony holds what it works on for the whole run (issue 12 item 8): its run folder, and every token
 * it opens a session with, by serial. A second ceremony on the same tokens could otherwise look for a
 * key, find none, and generate it at the same moment as the first — one of three probe runs left a second
 * `tuf-root-1` on a root token. The second ceremony is refused at once (TOKEN_IN_USE naming the token and
 * the holder: its ceremony, run folder, run id, process), not made to wait: a ceremony takes hours, and
 * the room must know. A lock left by a process that is gone is taken over (electron/adapters/fs/lock.ts).
 *
 * Token locks live in one folder per user on this machine ($KEYCEREMONY_LOCK_DIR, else
 * $XDG_RUNTIME_DIR/keyceremony, else <tmp>/keyceremony-<uid>), made 0700 and refused if it is a link or
 * someone else's: a ceremony of another user account on the same machine is not seen (say so in docs).
 */
import { lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import type { CeremonyScript } from '../../core/ceremony/types';
import { ensureDir } from '../fs/atomic';
import { acquireFileLock, type HeldLock, type LockHolder } from '../fs/lock';
import type { Pkcs11Module, TokenInfo } from '../pkcs11';
import { readInputText } from '../fs/read';

/** The run folder's lock file. */
export const RUN_LOCK = '.keyceremony-run.lock';

/** Where token locks are kept (one folder per user account on this machine). */
export function tokenLockDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.KEYCEREMONY_LOCK_DIR ||
    (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'keyceremony') : join(tmpdir(), `keyceremony-${process.getuid?.() ?? 'user'}`));
  ensureDir(dir, 0o700);
  const st = lstatSync(dir);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) {
    throw new KeyceremonyError(
      'PRECONDITION_FAILED',
      `The lock folder ${dir} is not a private folder of this user (a link, another owner, or writable by others); remove it or set KEYCEREMONY_LOCK_DIR.`,
      { where: dir },
    );
  }
  return dir;
}

/** The lock file of one token: by serial (and label, where the module gives every token one serial). */
export function tokenLockFile(dir: string, t: Pick<TokenInfo, 'serial' | 'label' | 'serialIsUnique'>): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(dir, `token-${safe(t.serial)}${t.serialIsUnique ? '' : `-${safe(t.label)}`}.lock`);
}

function holderLine(h: LockHolder | undefined): string {
  if (!h) return 'a keyceremony process that is starting';
  return `${h.what}${h.run ? `, run ${h.run}` : ''} (keyceremony process ${h.pid} on ${h.host}, since ${h.since})`;
}

function runIdIn(outDir: string): string | undefined {
  try {
    const v = JSON.parse(readInputText(join(outDir, 'state.json'), { what: 'ceremony state', kind: 'journal' })) as { runId?: unknown };
    return typeof v.runId === 'string' ? v.runId : undefined;
  } catch {
    return undefined;
  }
}

function tokenInUse(t: Pick<TokenInfo, 'serial' | 'label'>, h: LockHolder | undefined, lockPath: string): KeyceremonyError {
  const by = !h || h.what.startsWith('ceremony') ? 'another ceremony' : 'another keyceremony command';
  return new KeyceremonyError(
    'TOKEN_IN_USE',
    `Token "${t.label}" (serial ${t.serial}) is in use by ${by}: ${holderLine(h)}. A token takes part in one ceremony at a time: let that ceremony finish, or stop it, then run this one again. If no keyceremony is running there, remove ${lockPath}.`,
    {
      where: `token ${t.label}`,
      details: { token: t.label, serial: t.serial, ...(h ? { pid: h.pid, host: h.host, ...(h.run ? { run: h.run } : {}) } : {}) },
    },
  );
}

/**
 * Hold one token for a command that makes keys outside a ceremony (keygen, backup recover): refused at
 * once with TOKEN_IN_USE while a ceremony holds it, and a ceremony started meanwhile is refused naming
 * the command. Released when `fn` settles.
 */
export async function withTokenLock<T>(
  t: Pick<TokenInfo, 'serial' | 'label' | 'serialIsUnique'>,
  what: string,
  fn: () => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const lockPath = tokenLockFile(tokenLockDir(env), t);
  const held = await acquireFileLock(lockPath, what, { waitMs: 0, busyError: (h) => tokenInUse(t, h, lockPath) });
  try {
    return await fn();
  } finally {
    held.release();
  }
}

export class CeremonyLocks {
  private readonly tokens = new Map<string, HeldLock>();
  private runId: string | undefined;

  private constructor(
    private readonly what: string,
    private readonly runLock: HeldLock,
    private readonly lockDir: string,
  ) {}

  /**
   * Take the run folder (refused at once with CONFLICT if another run holds it): before anything in it
   * is read or written — two runs in one folder would write one journal and one set of rehearsal tokens.
   */
  static async take(outDir: string, name: string, env: NodeJS.ProcessEnv = process.env): Promise<CeremonyLocks> {
    const what = `ceremony "${name}" in ${outDir}`;
    const lockPath = join(outDir, RUN_LOCK);
    const lockDir = tokenLockDir(env);
    ensureDir(outDir);
    const run = await acquireFileLock(lockPath, what, {
      waitMs: 0,
      busyError: (h) =>
        new KeyceremonyError(
          'CONFLICT',
          `The run folder ${outDir} is in use by ${holderLine(h)}. Two runs in one folder would write the same journal: let that run finish or stop it, then start again. If no keyceremony is running there, remove ${lockPath}.`,
          { where: outDir, ...(h ? { details: { pid: h.pid, host: h.host } } : {}) },
        ),
    });
    const locks = new CeremonyLocks(what, run, lockDir);
    const id = runIdIn(outDir);
    if (id) locks.setRun(id);
    return locks;
  }

  /** The run id, once the engine has one (shown to whoever finds the token locks taken after this). */
  setRun(runId: string): void {
    this.runId = runId;
    this.runLock.setRun(runId);
    for (const l of this.tokens.values()) l.setRun(runId);
  }

  /** Hold this token for the run (again: nothing to do); refused at once if another ceremony holds it. */
  async claim(t: Pick<TokenInfo, 'serial' | 'label' | 'serialIsUnique'>): Promise<void> {
    const lockPath = tokenLockFile(this.lockDir, t);
    if (this.tokens.has(lockPath)) return;
    const held = await acquireFileLock(lockPath, this.what, {
      waitMs: 0,
      ...(this.runId ? { run: this.runId } : {}),
      busyError: (h) => tokenInUse(t, h, lockPath),
    });
    this.tokens.set(lockPath, held);
  }

  /**
   * Claim every token of the script before the run starts, so a second ceremony is refused at once: the
   * tokens present now, and — by the serial the script gives — those it names that are not listed now.
   * A token another process is using can be missing from this process's list: SoftHSM skips a token
   * whose files another process is rewriting when it enumerates its store ("Failed to open token",
   * ObjectStore.cpp), and a smart card held exclusively by another program is not seen. Without this
   * claim the second ceremony stopped with TOKEN_NOT_FOUND ("not inserted") instead of naming the
   * ceremony that holds the token. A token that is truly absent is held for this run all the same, as
   * it would be once inserted (its lock by serial; a module that gives every token one serial adds the
   * label to the lock's name when the token is seen).
   */
  async claimPresent(mod: Pick<Pkcs11Module, 'tokens'>, script: CeremonyScript): Promise<void> {
    const present = mod.tokens();
    for (const spec of script.tokens) {
      const hits = present.filter((t) => (spec.serial ? t.serial === spec.serial : t.label === spec.label));
      if (hits.length === 1) await this.claim(hits[0]!);
      else if (hits.length === 0 && spec.serial) await this.claim({ serial: spec.serial, label: spec.label, serialIsUnique: true });
    }
  }

  /** Labels and serials held now (for tests and the transcript of the app's session). */
  held(): string[] {
    return [...this.tokens.keys()];
  }

  /** Release every token and the run folder (idempotent). */
  release(): void {
    for (const l of this.tokens.values()) l.release();
    this.tokens.clear();
    this.runLock.release();
  }
}

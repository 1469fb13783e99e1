/**
 * fs edge of a Notary repository folder (used by `keyceremony notary`, `tuf verify` on Notary data,
 * and the desktop app): every *.json under the folder by relative path with `/` separators
 * (root.json, 2.root.json, targets/releases.json, .previous/targets.json), and writing staged files
 * back, each atomically. Symbolic links and paths leaving the folder are refused.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { writeFileAtomic } from '../fs/atomic';
import { waitingLine, withFileLock } from '../fs/lock';
import { bytesEqual } from '../../../shared/encoding/bytes';
import { signRole, type RepoFiles } from '../../core/notary/repo';
import type { Signer } from '../../core/signer';
import { readInput } from '../fs/read';

const MAX_FILES = 10_000;

export function readRepoDir(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch (e) {
      throw new KeyceremonyError('NOT_FOUND', `cannot read the folder ${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { where: d });
    }
    for (const e of entries.sort()) {
      if (e.startsWith('.') && !(d === dir && e === '.previous')) continue;
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isSymbolicLink())
        throw new KeyceremonyError('PATH_TRAVERSAL', `${p} is a symbolic link; a repository folder holds plain files only`, { where: p });
      if (st.isDirectory()) walk(p);
      else if (e.endsWith('.json')) {
        if (out.size >= MAX_FILES) throw new KeyceremonyError('TOO_LARGE', `more than ${MAX_FILES} metadata files in ${dir}`, { where: dir });
        out.set(relative(dir, p).split(sep).join('/'), readInput(p, 'metadata file', 'metadata'));
      }
    }
  };
  walk(dir);
  return out;
}

/** Write staged files into the folder (each atomically); returns the names written. */
export function writeRepoFiles(dir: string, files: ReadonlyMap<string, Uint8Array>, onWrite?: (name: string) => void): string[] {
  const names = [...files.keys()];
  for (const name of names) {
    if (name.split('/').some((p) => p === '..' || p === '') || name.startsWith('/') || name.includes('\\')) {
      throw new KeyceremonyError('PATH_TRAVERSAL', `refusing to write ${name}`, { where: name });
    }
  }
  for (const [name, bytes] of files) {
    writeFileAtomic(join(dir, ...name.split('/')), bytes);
    onWrite?.(name);
  }
  return names;
}

/** The folder's lock file (a dot file: readRepoDir and notary's own client skip it). */
export const REPO_LOCK = '.keyceremony-notary.lock';

function sameFiles(a: RepoFiles, b: RepoFiles): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !bytesEqual(v, w)) return false;
  }
  return true;
}

/**
 * Sign `role` in the folder and write it, safe against other signers of the same folder (issue 12
 * item 3): the signature is made over `files` (what the signer was shown; read now if not given), then,
 * under the folder's lock, the folder is read again; if another signer changed it meanwhile, the role is
 * signed again over what is there now (the token session is still open), so their signature is kept.
 * The files are written atomically and read back: this returns only with our signature on disk.
 */
export async function signRoleInDir(
  dir: string,
  role: string,
  signer: Signer,
  opts: { now: Date; snapshotDays?: number; rebuild?: boolean },
  hooks: { files?: RepoFiles; onWait?: (line: string) => void; onChanged?: () => void; onWrite?: (name: string) => void } = {},
): Promise<Awaited<ReturnType<typeof signRole>> & { completed: string[] }> {
  const files = hooks.files ?? readRepoDir(dir);
  let res = await signRole(files, role, signer, opts);
  // Already signed by this key: nothing to write — unless a crash stopped the write between two files
  // (root.json written, N.root.json not yet): then the rest is written now and named.
  const unwritten = (r: typeof res, on: RepoFiles) => [...r.files].filter(([n, b]) => !on.get(n) || !bytesEqual(on.get(n)!, b)).map(([n]) => n);
  if (res.signedAs.length === 0 && unwritten(res, files).length === 0) return { ...res, completed: [] };
  const what = `the Notary repository ${dir}`;
  return withFileLock(
    join(dir, REPO_LOCK),
    what,
    async () => {
      const now = readRepoDir(dir);
      if (!sameFiles(files, now)) {
        hooks.onChanged?.();
        res = await signRole(now, role, signer, opts);
      }
      const completed = res.signedAs.length === 0 ? unwritten(res, now) : [];
      writeRepoFiles(dir, res.files, hooks.onWrite);
      const back = readRepoDir(dir);
      for (const [name, bytes] of res.files) {
        const got = back.get(name);
        if (!got || !bytesEqual(got, bytes)) {
          throw new KeyceremonyError('IO_ERROR', `${join(dir, name)} was written but does not hold your signature when read back; sign again.`, {
            where: name,
          });
        }
      }
      return { ...res, completed };
    },
    { onWait: (h) => hooks.onWait?.(waitingLine(what, h)) },
  );
}

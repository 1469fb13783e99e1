/**
 * fs edge for signing a signing event in place: under the folder's lock file, each file that holds the
 * signed version is re-read (another custodian may have signed it meanwhile: their signature is kept),
 * our signature is put into it (electron/core/tuf/event.ts `applyEventSignatures`: only our signature's
 * bytes change), and it is written atomically with its mode kept. A file whose signed part changed
 * since we signed is refused and nothing is written.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { applyEventSignatures, type PreparedSignature } from '../../core/tuf/event';
import { withFileLock } from '../fs/lock';
import { writeFileAtomic } from '../fs/atomic';
import { dirFolder } from './fs-folder';

/** The lock file of a metadata folder (a dot file: tuf-on-ci and git tooling look at *.json only). */
export const EVENT_LOCK = '.keyceremony-sign.lock';

export async function writeEventSignature(dir: string, prepared: PreparedSignature, opts: { waitMs?: number } = {}): Promise<{ written: string[] }> {
  if (prepared.already || prepared.signatures.length === 0) return { written: [] };
  return withFileLock(
    path.join(dir, EVENT_LOCK),
    `the signing event in ${dir}`,
    async () => {
      const folder = dirFolder(dir);
      const out: { file: string; bytes: Uint8Array; mode: number }[] = [];
      for (const name of prepared.files) {
        const file = path.join(dir, ...name.split('/'));
        const now = folder.read(name);
        if (!now) throw new KeyceremonyError('NOT_FOUND', `${file} disappeared while it was being signed; nothing was written`, { where: file });
        out.push({ file, bytes: await applyEventSignatures(now, prepared, file), mode: statSync(file).mode & 0o777 });
      }
      for (const o of out) writeFileAtomic(o.file, o.bytes, { mode: o.mode });
      return { written: out.map((o) => o.file) };
    },
    opts,
  );
}

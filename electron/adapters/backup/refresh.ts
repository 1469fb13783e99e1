/**
 * Backup refresh, shared by the CLI (`keyceremony backup refresh`) and the app (Backups & PINs):
 * - re-split: the old shares rebuild the SAME KEK, which is split again into a new share set; the
 *   wrapped key is unchanged and the new backup file carries the new set (old shares + old file still
 *   open the key, which the explanation says);
 * - rotate: a NEW KEK on the token holding the key, the key wrapped again, a new file and set.
 * The KEK is zeroed in every case; the caller zeroes the returned shares' bodies.
 */
import { zeroize } from '../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../shared/errors';
import { RESPLIT_EXPLANATION, ROTATE_EXPLANATION, resplit, sealBackup, type BackupFile, type LabeledShare, type Share } from '../../core/backup';
import { createBackup, reconstructKek, type CreatedBackup } from '../pkcs11/backup';
import type { PinSource, TokenSession } from '../pkcs11';

export interface NewSet {
  m: number;
  n: number;
  custodians: string[];
}

export async function resplitBackup(
  previous: BackupFile,
  old: readonly LabeledShare[],
  set: NewSet,
  now: () => Date = () => new Date(),
): Promise<{ backup: BackupFile; shares: Share[] }> {
  const kek = await reconstructKek(previous, old);
  try {
    const r = await resplit(kek, { m: set.m, n: set.n, custodians: set.custodians, oldSetId: previous.shareSet.id });
    const { mac: _mac, ...rest } = previous;
    const backup = await sealBackup(
      {
        ...rest,
        createdAt: now().toISOString(),
        shareSet: { id: r.setId, m: set.m, n: set.n, custodians: set.custodians },
        origin: { kind: 'resplit', previousSetId: previous.shareSet.id, explanation: RESPLIT_EXPLANATION },
      },
      kek,
    );
    return { backup, shares: r.shares };
  } finally {
    zeroize(kek);
  }
}

/** Rotate on session `s` (the token holding the key, logged in as its user). */
export async function rotateBackup(s: TokenSession, previous: BackupFile, set: NewSet, pins: { userPin: PinSource; soPin: PinSource }): Promise<CreatedBackup> {
  const made = await createBackup(s, {
    key: { label: previous.key.label, id: Buffer.from(previous.key.id, 'hex') },
    m: set.m,
    n: set.n,
    custodians: set.custodians,
    soPin: pins.soPin,
    userPin: pins.userPin,
    origin: { kind: 'rotated', previousSetId: previous.shareSet.id, explanation: ROTATE_EXPLANATION },
  });
  if (made.backup.key.fingerprint !== previous.key.fingerprint) {
    made.shares.forEach((x) => zeroize(x.body));
    throw new KeyceremonyError('VERIFICATION_FAILED', 'The key on the token is not the key of the old backup file.', { where: 'rotate' });
  }
  return made;
}

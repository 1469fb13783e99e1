/** The words the app and CLI show when custodians change: re-split or rotate. */

export const RESPLIT_EXPLANATION =
  'Re-split: the SAME key-encryption key (KEK) is split again into new shares with a new share-set id ' +
  "and a new m'-of-n'. The wrapped key blob does not change. Be aware: the OLD shares together with the " +
  'OLD backup file STILL recover the key. Choose this only when every old share is accounted for and ' +
  'will be destroyed (a custodian retires, the quorum changes) and nobody is suspected of keeping a copy.';

export const ROTATE_EXPLANATION =
  'Rotate: a NEW KEK is made on the token, the key is wrapped again under it, and a new backup file and ' +
  'new shares are made. The OLD shares and the OLD backup file become useless for this key (they only ' +
  'open the old blob, which you should destroy too). It needs the original token (the key is wrapped ' +
  'from it again). Choose this when a share or the backup file may be lost, stolen or copied, or when ' +
  'in doubt.';

export const STRATEGY_EXPLANATION =
  'Two ways to survive the loss of a key holder. (1) Independent keys + threshold: each custodian ' +
  'holds their own non-exportable key and the format (e.g. TUF root) requires t of n signatures; ' +
  'nothing is ever exported, losing up to n - t tokens costs nothing. Prefer it wherever the format ' +
  'has thresholds. (2) HSM key + m-of-n backup: one key, made "backup-able" on the token, is wrapped ' +
  'under an AES-256 KEK; the wrapped blob goes into a backup file and the KEK is split into m-of-n ' +
  'paper shares. Use it when the format needs one key (a single signing key, a CA).';

export function chooseExplanation(kind: 'resplit' | 'rotate'): string {
  return kind === 'resplit' ? RESPLIT_EXPLANATION : ROTATE_EXPLANATION;
}

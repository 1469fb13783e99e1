/** IPC area "backup": shares typed by people, checked word by word (never echoed back). */
import { arr, int, label, obj, opt, str, type Schema } from '../schema';

export interface ShareCheck {
  /** Per typed word: is it in the word list? */
  words: { word: string; ok: boolean }[];
  expectedWords: number;
  /** The whole share parsed and its checksum holds. */
  complete: boolean;
  /** Why not (checksum names the wrong word; a foreign share says whose it is). */
  problem?: { code: string; message: string };
  share?: { index: number; n: number; m: number; setId: string };
}

export const backupChannels = {
  /** Per-word validation of a typed share (expected: whose share it should be). */
  'kc:backup.checkShare': obj({
    text: str({ max: 4096 }),
    expect: opt(
      obj({
        index: opt(int({ min: 1, max: 16 })),
        custodian: opt(label(64)),
        /** A recovery: the share must belong to this set (and not be one already entered). */
        setId: opt(str({ min: 6, max: 6, pattern: /^[0-9a-f]{6}$/, what: 'a share set id' })),
        entered: opt(arr(int({ min: 1, max: 16 }), { max: 16 })),
      }),
    ),
  }),
} as const satisfies Record<string, Schema<unknown>>;

export interface BackupResponses {
  'kc:backup.checkShare': ShareCheck;
}

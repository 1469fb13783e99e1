/**
 * IPC area "custody": a custodian's work outside a ceremony. Change a token's PIN (C_SetPIN) and see
 * the tries-left state the token reports; check stored shares against their backup file; refresh a
 * backup (re-split the same KEK with the old shares, or rotate to a new KEK on the token) and hand the
 * new shares out one custodian at a time, each typed back before the new backup file is saved.
 * Shares typed in are kept in main's memory only (never echoed back); new shares cross IPC once, to
 * their custodian's screen.
 */
import { arr, bool, int, label, obj, oneOf, opt, str, type Schema } from '../schema';
import { empty, fileText, PinSchema, TokenRefSchema } from '../common';
import type { TokenSummary } from './tokens';
import { handleId } from './files';

const shareText = str({ min: 1, max: 4096, what: 'share words' });
const newPin = str({ min: 4, max: 64, pattern: /^[^\u0000-\u001f\u007f]+$/, what: 'a PIN of 4 to 64 printable characters' });

export interface PinState {
  token: TokenSummary;
  /** Tries-left state of the user PIN and the SO PIN, in words, as the token's flags say. */
  user: string;
  so: string;
}

/** Shares checked so far against one backup file (never their words). */
export interface SharesReport {
  setId: string;
  m: number;
  n: number;
  holders: string[];
  key: { label: string; fingerprint: string };
  /** Indexes whose checksum and set membership hold. */
  checked: { index: number; by: string }[];
  /** Set once m or more shares are in: they rebuild the KEK, its check value and the file's MAC hold. */
  opens?: { ok: true; subsets: string } | { ok: false; message: string };
}

export interface RefreshView {
  mode: 'resplit' | 'rotate';
  setId: string;
  previousSetId: string;
  m: number;
  n: number;
  custodians: string[];
  fingerprint: string;
  /** New shares typed back correctly by their custodian. */
  verified: number[];
  explanation: string;
}

export const custodyChannels = {
  'kc:custody.pinState': obj({ token: TokenRefSchema }),
  'kc:custody.changePin': obj({ token: TokenRefSchema, so: bool, oldPin: PinSchema, newPin }),
  /** Start checking shares against a backup file (forgets shares held from before). */
  'kc:custody.sharesOpen': obj({ backupText: fileText }),
  /** One share typed by its holder: checked at once (checksum, set, repeat), kept in memory. */
  'kc:custody.sharesAdd': obj({ text: shareText, by: label(64) }),
  'kc:custody.sharesForget': empty,
  /** A new share set from the backup file opened with sharesOpen (resplit: the shares added; rotate: the token). */
  'kc:custody.refreshStart': obj({
    mode: oneOf(['resplit', 'rotate'] as const),
    m: int({ min: 1, max: 16 }),
    n: int({ min: 1, max: 16 }),
    custodians: arr(label(64), { min: 1, max: 16 }),
    token: opt(TokenRefSchema),
    pin: opt(PinSchema),
    soPin: opt(PinSchema),
  }),
  /** New share `index` for its custodian's screen (once). */
  'kc:custody.refreshReveal': obj({ index: int({ min: 1, max: 16 }) }),
  /** The custodian types the new share back: it must be exactly that share. */
  'kc:custody.refreshConfirm': obj({ index: int({ min: 1, max: 16 }), text: shareText }),
  /** Every new share typed back: the new backup file (never a share) goes into the chosen folder. */
  'kc:custody.refreshSave': obj({ folderId: handleId }),
} as const satisfies Record<string, Schema<unknown>>;

export interface CustodyResponses {
  'kc:custody.pinState': PinState;
  'kc:custody.changePin': PinState;
  'kc:custody.sharesOpen': SharesReport;
  'kc:custody.sharesAdd': SharesReport;
  'kc:custody.sharesForget': { forgotten: number };
  'kc:custody.refreshStart': RefreshView;
  'kc:custody.refreshReveal': { text: string };
  'kc:custody.refreshConfirm': RefreshView;
  'kc:custody.refreshSave': { folder: string; written: string[] };
}

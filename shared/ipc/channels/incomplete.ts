/**
 * IPC area "incomplete": objects an interrupted key generation or recovery left on a token (issue 12
 * item 1). The Tokens screen (and any dialog that reuses it) lists them and removes them only with the
 * custodian's consent: the removal names the objects the person saw, by signature, and is refused
 * (CONFLICT, nothing removed) if the token changed in between.
 */
import { PinSchema, TokenRefSchema } from '../common';
import { arr, obj, opt, str, type Schema } from '../schema';

export interface IncompleteObjectInfo {
  kind: 'private' | 'public' | 'secret' | 'unknown' | 'other';
  label: string;
  idHex: string;
  /** What the object lacks (label, id, sensitive, public key value, class). */
  missing: string[];
  /** One line a custodian can read. */
  description: string;
  /** Why keyceremony knows it made this object (absent for objects it does not claim). */
  reason?: string;
  /** What a consent refers to (stable across sessions; no handle). */
  signature: string;
}

export interface IncompleteReportInfo {
  token: { label: string; serial: string };
  /** Made by an interrupted keyceremony operation: not usable keys, removable. */
  remove: IncompleteObjectInfo[];
  /** A recovered key whose public half is missing: the recovery completes it when run again. */
  resumable: IncompleteObjectInfo[];
  /** Incomplete, but nothing says keyceremony made them: shown, never removed here. */
  notOurs: IncompleteObjectInfo[];
}

const signature = str({ min: 1, max: 512, pattern: /^[^\u0000-\u001f]+$/, what: 'an object signature from kc:tokens.incomplete' });

export const incompleteChannels = {
  'kc:tokens.incomplete': obj({ token: TokenRefSchema, pin: opt(PinSchema) }),
  'kc:tokens.removeIncomplete': obj({ token: TokenRefSchema, pin: opt(PinSchema), signatures: arr(signature, { min: 1, max: 256 }) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface IncompleteResponses {
  'kc:tokens.incomplete': IncompleteReportInfo;
  'kc:tokens.removeIncomplete': { removed: number; report: IncompleteReportInfo };
}

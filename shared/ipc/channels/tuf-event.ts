/**
 * IPC area "tuf-event": take part in a tuf-on-ci signing event (or any TUF repository folder) in the
 * app, as `keyceremony tuf status --metadata DIR` and `tuf sign --metadata DIR --role ROLE` do on the
 * command line (electron/core/tuf/event.ts). The custodian opens the repository's metadata folder
 * (main's folder dialog: the renderer names only the folder's handle), sees every role's status by
 * keyholder handle, and signs one role in place on their token: only their signature's bytes change
 * in the file, under the folder's lock.
 */
import { PinSchema, TokenRefSchema, KeyRefSchema } from '../common';
import { obj, str, type Schema } from '../schema';
import { handleId } from './files';
import type { CandidateList } from './tuf';

const roleName = str({ min: 1, max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, what: 'a role name (letters, digits, . _ -)' });

/** One key a role lists, by keyholder. `state`: invited = a placeholder "sig": "" waits for it. */
export interface TufEventSigner {
  keyid: string;
  fingerprint: string;
  /** The keyholder's handle (`x-tuf-on-ci-keyowner`), when the key names one. */
  name?: string;
  signed: boolean;
  state: 'signed' | 'invited' | 'unsigned' | 'bad';
}

export interface TufEventRule {
  /** "keys of root v1", "root v2", "targets v3" */
  name: string;
  threshold: number;
  valid: number;
  ok: boolean;
  /** "root v2 (keys of root v1): 1 of 2 — signed @alice; 1 more of @bob (invited), @carol (invited)" */
  line: string;
  signers: TufEventSigner[];
}

export interface TufEventRole {
  role: string;
  version: number;
  files: string[];
  expires: string;
  expired: boolean;
  renewal?: { at: string; days: number };
  ok: boolean;
  /** The file is byte for byte what tuf-on-ci (python-tuf) writes. */
  tufOnCiLayout: boolean;
  notes: string[];
  rules: TufEventRule[];
  /** What changed against the previous version in the folder (what the custodian reads before signing). */
  diff: string[];
}

export interface TufEventView {
  folder: string;
  layout: 'tuf-on-ci' | 'published';
  evaluatedAt: string;
  ok: boolean;
  roles: TufEventRole[];
  /** Invited to join a role without a key yet (tuf-on-ci's .signing-event-state), by handle. */
  invites: Record<string, string[]>;
  /** The status as `tuf status --metadata` prints it. */
  lines: string[];
}

export const tufEventChannels = {
  /** The folder's signing event: every role's status by keyholder, and its diff. */
  'kc:tuf.event.open': obj({ folderId: handleId }),
  /** The keys on the inserted token that may sign `role` (read without a PIN). */
  'kc:tuf.event.candidates': obj({ folderId: handleId, role: roleName, token: TokenRefSchema }),
  /** Sign `role` in place with the chosen token key. */
  'kc:tuf.event.sign': obj({ folderId: handleId, role: roleName, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema }),
} as const satisfies Record<string, Schema<unknown>>;

export interface TufEventResponses {
  'kc:tuf.event.open': TufEventView;
  'kc:tuf.event.candidates': CandidateList;
  /** `already`: this key had signed; nothing was written. `written`: the files changed (names in the folder). */
  'kc:tuf.event.sign': { already: boolean; written: string[]; owners: string[]; version: number; view: TufEventView };
}

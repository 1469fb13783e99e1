/**
 * IPC area "notary": the offline Notary v1 / Docker Content Trust operations of `keyceremony notary`
 * (init, cert, targets, signer, delegation add|remove, rotate, sign, diff, status, merge) on a repository folder the person
 * chose, in the same request/status style as TUF: per role, who signed and who is still needed, by
 * name and key, and the change against the previous version before signing.
 */
import { KeyRefSchema, PinSchema, TokenRefSchema } from '../common';
import { arr, bool, int, label, obj, oneOf, opt, record, str, type Schema } from '../schema';
import { handleId } from './files';
import type { CandidateList, SignerView } from './tuf';

export interface NotaryRoleView {
  role: string;
  version: number;
  complete: boolean;
  /** `keyceremony notary status` line: "root v2: signed by 1 of 2 required old-root (v1) keys, …" */
  status: string;
  rules: { name: string; threshold: number; valid: number; ok: boolean; line: string; signers: (SignerView & { cn?: string })[] }[];
  /** What signing it now would sign, against the previous version (`notary diff`). */
  diff: string[];
}

export interface NotaryRepoView {
  folder: string;
  /** No root.json yet: a new repository can be made here. */
  empty: boolean;
  gun?: string;
  roles: NotaryRoleView[];
  /** Delegated roles (targets/NAME) that can be edited. */
  delegations: string[];
  /** Every delegation as its delegating targets file lists it (what `notary delegation list` shows). */
  delegationRules: { role: string; parent: string; threshold: number; keyids: string[]; paths: string[] }[];
  /** Every key root and the delegations list, with the roles it is for (to name its holder). */
  keys: { keyid: string; fingerprint: string; roles: string[] }[];
  /** Key holders' names by key id (kept in the folder as .keyceremony-names.json; never published or signed). */
  names: Record<string, string>;
}

const role = str({
  min: 1,
  max: 255,
  pattern: /^(root|targets|snapshot|targets\/[A-Za-z0-9][A-Za-z0-9._\-/]*)$/,
  what: 'a Notary role (root, targets, snapshot, targets/NAME)',
});
const keyText = str({ min: 1, max: 65536, what: 'a public key or certificate (PEM, or Notary key JSON)' });
const gun = str({ min: 1, max: 255, what: 'a GUN (registry/repository)' });
const targetName = str({ min: 1, max: 255, what: 'a target name' });
const days = opt(int({ min: 1, max: 36500 }));

export const notaryChannels = {
  'kc:notary.open': obj({ folderId: handleId }),
  'kc:notary.names': obj({ folderId: handleId, names: record(label(64), 256) }),
  /** A new repository in an empty folder (`notary init`): root v1 and targets v1, unsigned. */
  'kc:notary.init': obj({
    folderId: handleId,
    gun,
    rootCerts: arr(keyText, { min: 1, max: 16 }),
    rootThreshold: int({ min: 1, max: 16 }),
    targetsKey: keyText,
    snapshotKey: opt(keyText),
    serverSnapshotKey: opt(keyText),
    timestampKey: keyText,
    targets: arr(obj({ name: targetName, fileId: handleId }), { max: 1000 }),
    rootDays: days,
    targetsDays: days,
  }),
  /** A root certificate (CN = GUN) for a key on the token, signed on the token (`notary cert`). */
  'kc:notary.cert': obj({ gun, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema, days }),
  'kc:notary.targets': obj({
    folderId: handleId,
    role,
    add: arr(obj({ name: targetName, fileId: handleId }), { max: 1000 }),
    remove: arr(targetName, { max: 1000 }),
    days,
  }),
  'kc:notary.signer': obj({
    folderId: handleId,
    name: str({ min: 1, max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, what: 'a signer name' }),
    keys: arr(keyText, { min: 1, max: 16 }),
    days,
  }),
  /**
   * `notary delegation add|remove` (the same core, stageDelegation): keys and/or paths added to or
   * removed from targets/NAME; `paths: []` with `allPaths: false` and no keys on remove is the whole
   * delegation, which the screen confirms first.
   */
  'kc:notary.delegation': obj({
    folderId: handleId,
    op: oneOf(['add', 'remove'] as const),
    role: str({ min: 9, max: 255, pattern: /^targets\/[A-Za-z0-9][A-Za-z0-9._\-/]*$/, what: 'a delegated role (targets/NAME)' }),
    keys: arr(keyText, { max: 16 }),
    keyIds: arr(str({ min: 1, max: 128, pattern: /^[0-9a-f]+$/, what: 'a key id (hex)' }), { max: 16 }),
    paths: arr(str({ min: 0, max: 255, what: 'a path prefix' }), { max: 256 }),
    allPaths: bool,
    /** Removing the whole delegation (no keys, no paths given) needs this, as the CLI's --yes. */
    confirmWhole: opt(bool),
    days,
  }),
  'kc:notary.rotate': obj({
    folderId: handleId,
    rootCerts: opt(arr(keyText, { min: 1, max: 16 })),
    rootThreshold: opt(int({ min: 1, max: 16 })),
    rootDays: days,
    targetsKey: opt(keyText),
    snapshotKey: opt(keyText),
    timestampKey: opt(keyText),
  }),
  /** Keys on the inserted token that may sign this role (read without a PIN). */
  'kc:notary.candidates': obj({ folderId: handleId, role, token: TokenRefSchema }),
  'kc:notary.sign': obj({ folderId: handleId, role, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema, snapshotDays: days }),
  /** Signatures another custodian made in parallel on a copy of the folder. */
  'kc:notary.merge': obj({ folderId: handleId, fromFolderId: handleId }),
} as const satisfies Record<string, Schema<unknown>>;

export interface NotaryResponses {
  'kc:notary.open': NotaryRepoView;
  'kc:notary.names': NotaryRepoView;
  'kc:notary.init': NotaryRepoView;
  'kc:notary.cert': { pem: string; suggestedName: string; keyId: string; canonicalKeyId: string; fingerprint: string };
  'kc:notary.targets': NotaryRepoView;
  'kc:notary.signer': NotaryRepoView;
  'kc:notary.delegation': { view: NotaryRepoView; summary: string };
  'kc:notary.rotate': NotaryRepoView;
  'kc:notary.candidates': CandidateList;
  'kc:notary.sign': { view: NotaryRepoView; signedAs: string[]; already: string[]; status: string };
  'kc:notary.merge': { view: NotaryRepoView; merged: string[] };
}

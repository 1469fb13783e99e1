/**
 * IPC area "lifecycle" (issue 15): the expiry dashboard and the trust anchors, as `keyceremony expiry`
 * and `keyceremony export trust` make them, over a folder the person chose (kc:files.chooseFolder).
 *
 * - kc:lifecycle.expiry: every role of the TUF repository or Notary GUN in the folder, its expiry,
 *   state, signers and the renewal command; for TUF roles also what the renew flow
 *   (kc:tuf.request.create with `renew`) needs.
 * - kc:lifecycle.saveIcs: the renewal deadlines as an RFC 5545 calendar; main builds it and writes it
 *   where the person says (the save dialog).
 * - kc:lifecycle.trust: the trust anchors of the repository in a folder (as `keyceremony export
 *   trust`); shown first, then, with `outFolderId`, written into that folder (exact names, a re-run
 *   changes nothing, other contents refused).
 * - kc:lifecycle.migrate: a Docker Content Trust repository (a chosen Notary folder) verified and its
 *   tags made into a cosign m-of-n request or a TUF targets request, as `keyceremony notary migrate`;
 *   the request text comes back to be saved (kc:files.save) and signed like any other.
 */
import { handleId } from './files';
import { fileText } from '../common';
import { arr, int, literal, obj, opt, str, union, type Schema } from '../schema';

const time = str({ min: 20, max: 25, pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, what: 'a UTC time such as 2027-01-31T00:00:00Z' });
const expiryQuery = obj({ folderId: handleId, at: opt(time), warnDays: opt(int({ min: 0, max: 36500 })) });

export type ExpiryStateName = 'ok' | 'renew-soon' | 'expired';

export interface ExpiryRowInfo {
  role: string;
  kind: 'root' | 'targets' | 'snapshot' | 'timestamp' | 'delegated' | 'hash-bins' | 'root-certificate';
  version: number;
  expires: string;
  daysLeft: number;
  state: ExpiryStateName;
  renewBy: string;
  windowDays: number;
  windowSource: string;
  threshold: number;
  signers: { keyid: string; name?: string }[];
  /** Hash bins: how many, and how many are due. */
  bins?: { count: number; due: number };
  command?: string;
  commandNote?: string;
  /** TUF: the renew request the app can make (the role to renew and its new validity). */
  renew?: { role: string; expiresInDays: number };
  /**
   * Notary: the staging step the app can make here, as `keyceremony notary targets --days` (a targets or
   * delegated role with a new expiry) or `notary rotate --root-days` (root v+1); it is signed on the
   * Notary screen afterwards.
   */
  notaryRenew?: { op: 'targets' | 'rotate'; role: string; days: number };
}

export interface ExpiryReportInfo {
  kind: 'tuf' | 'notary';
  /** The folder's name (not its path). */
  folder: string;
  layout: string;
  gun?: string;
  evaluatedAt: string;
  rows: ExpiryRowInfo[];
  notes: string[];
  ok: boolean;
  counts: Record<ExpiryStateName, number>;
  /** The ceremony script whose renewalWindowDays set the windows, if any (file name). */
  settingsFile?: string;
}

export interface TrustAnchorsInfo {
  kind: 'tuf' | 'notary' | 'cosign';
  /** What a consumer compares out of band (version, SHA-256, pinned certificates). */
  summary: string[];
  files: { name: string; size: number }[];
  /** CLIENTS.md: how each client bootstraps from or pins these anchors. */
  clients: string;
  /** Set when written: the folder and what was written or already there. */
  written?: { folder: string; written: string[]; unchanged: string[] };
}

export interface MigrationInfo {
  gun: string;
  verification: string;
  migrated: { tag: string; role: string; digest: string; length: number }[];
  skipped: { tag: string; role: string; reason: string }[];
  request: { text: string; suggestedName: string; line: string; warnings: string[] };
}

const signerName = str({ min: 1, max: 63, pattern: /^[A-Za-z0-9][A-Za-z0-9._ -]{0,62}$/, what: 'a signer name (letters, digits, . _ - or spaces)' });

export const lifecycleChannels = {
  'kc:lifecycle.expiry': expiryQuery,
  'kc:lifecycle.saveIcs': expiryQuery,
  'kc:lifecycle.trust': obj({ folderId: handleId, outFolderId: opt(handleId) }),
  'kc:lifecycle.migrate': obj({
    folderId: handleId,
    at: opt(time),
    /** `--gun`: the GUN the root certificates must name (blank: their CN). */
    gun: opt(str({ min: 1, max: 255, what: 'a GUN (registry/repository)' })),
    /** `--trusted-root`: a root.json the person already trusts (blank: the folder's own root, reported as TOFU). */
    trustedRoot: opt(fileText),
    target: union('to', {
      cosign: obj({
        to: literal('cosign'),
        signers: arr(obj({ name: signerName, publicKeyPem: str({ min: 1, max: 16384, what: 'a PEM public key' }) }), { min: 1, max: 32 }),
        m: int({ min: 1, max: 32 }),
      }),
      tuf: obj({ to: literal('tuf'), tufFolderId: handleId, expiresInDays: opt(int({ min: 1, max: 36500 })) }),
    }),
  }),
} as const satisfies Record<string, Schema<unknown>>;

export interface LifecycleResponses {
  'kc:lifecycle.expiry': ExpiryReportInfo;
  'kc:lifecycle.saveIcs': { saved: boolean; name: string; events: number };
  'kc:lifecycle.trust': TrustAnchorsInfo;
  'kc:lifecycle.migrate': MigrationInfo;
}

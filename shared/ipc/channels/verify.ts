/** IPC area "verify": bundles and TUF metadata checked offline. */
import { fileText } from '../common';
import { b64Str, obj, record, type Schema } from '../schema';

export interface Verdict {
  item: string;
  ok: boolean;
  detail: string;
}

export interface BundleVerification {
  ok: boolean;
  rehearsal: boolean;
  title?: string;
  problems: string[];
  items: Verdict[];
  signedBy: { id: string; fingerprint: string }[];
}

export interface TufVerification {
  ok: boolean;
  summary: string[];
  items: Verdict[];
}

export const verifyChannels = {
  /** A ceremony bundle archive (.kcbundle.tar) as base64. */
  'kc:verify.bundle': obj({ archiveB64: b64Str(48 * 1024 * 1024) }),
  /** TUF metadata: the trusted root, and the repository's metadata files by name. */
  'kc:verify.tuf': obj({ trustedRoot: fileText, files: record(fileText, 256) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface VerifyResponses {
  'kc:verify.bundle': BundleVerification;
  'kc:verify.tuf': TufVerification;
}

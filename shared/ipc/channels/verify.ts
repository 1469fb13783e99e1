/** IPC area "verify": bundles and TUF metadata checked offline. */
import { fileText } from '../common';
import { b64Str, obj, record, type Schema } from '../schema';
import type { VerificationReport } from '../../verification/report';

/** One line of a verdict list (the signature check on the Verify screen). */
export interface Verdict {
  item: string;
  ok: boolean;
  detail: string;
}

export const verifyChannels = {
  /** A ceremony bundle archive (.kcbundle.tar) as base64. */
  'kc:verify.bundle': obj({ archiveB64: b64Str(48 * 1024 * 1024) }),
  /** TUF metadata: the trusted root, and the repository's metadata files by name. */
  'kc:verify.tuf': obj({ trustedRoot: fileText, files: record(fileText, 256) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface VerifyResponses {
  /** shared/verification/report.ts: decide on items[].check / status / code, never on messages. */
  'kc:verify.bundle': VerificationReport;
  'kc:verify.tuf': VerificationReport;
}

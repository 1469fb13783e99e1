/** IPC area "verify": bundles and TUF metadata checked offline. */
import { fileName, fileText } from '../common';
import { arr, b64Str, bool, int, obj, oneOf, opt, record, str, type Schema } from '../schema';
import { handleId } from './files';
import type { VerificationReport } from '../../verification/report';

/** One line of a verdict list (the signature check on the Verify screen). */
export interface Verdict {
  item: string;
  ok: boolean;
  detail: string;
}

/**
 * What the auditor pinned before verifying (issue 11): keys that must have signed (public keys or
 * certificates as PEM, or SHA-256 fingerprints) and the mode. Unmet = a failing item, a red verdict.
 */
export const PinsSchema = obj({
  keys: arr(str({ min: 1, max: 65536, what: 'a public key or certificate (PEM)' }), { max: 32 }),
  fingerprints: arr(str({ min: 1, max: 200, what: 'a key fingerprint (64 hex digits)' }), { max: 32 }),
  mode: oneOf(['production', 'rehearsal', 'any'] as const),
});
/** The evaluation time, like --at: expiries are judged at it. */
const at = str({
  min: 20,
  max: 35,
  pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/,
  what: 'an RFC 3339 time such as 2027-01-31T00:00:00Z',
});
const lookups = arr(str({ min: 1, max: 1024, what: 'a target path' }), { max: 100 });

export const verifyChannels = {
  /** A ceremony bundle archive (.kcbundle.tar) as base64. */
  /** A key file the auditor pins, read when it is pinned: its fingerprint, or why it is not a key. */
  'kc:verify.pinKey': obj({ name: str({ min: 1, max: 255 }), text: fileText }),
  'kc:verify.bundle': obj({ archiveB64: b64Str(48 * 1024 * 1024), pins: opt(PinsSchema) }),
  /** A ceremony bundle from a picked archive (fileId) or a chosen folder (folderId), read by main. */
  'kc:verify.bundleAt': obj({ fileId: opt(handleId), folderId: opt(handleId), pins: opt(PinsSchema) }),
  /** TUF metadata: the trusted root, and the repository's metadata files by name. */
  'kc:verify.tuf': obj({ trustedRoot: fileText, files: record(fileText, 256), at: opt(at), lookups: opt(lookups), pins: opt(PinsSchema) }),
  /** TUF or Notary metadata in a chosen folder, as `tuf verify --trusted-root F --metadata DIR [--at] [--target P] [--targets DIR]`. */
  'kc:verify.folder': obj({
    folderId: handleId,
    /** Required for TUF; for Notary absent = trust on first use (reported). */
    trustedRoot: opt(fileText),
    dialect: oneOf(['tuf', 'notary'] as const),
    at: opt(at),
    lookups: opt(lookups),
    targetsFolderId: opt(handleId),
    gun: opt(str({ min: 1, max: 255 })),
    requireAll: opt(bool),
    pins: opt(PinsSchema),
  }),
  /** cosign signatures and bundles, as `keyceremony cosign verify`. */
  'kc:verify.cosign': obj({
    keys: arr(str({ min: 1, max: 16384, what: 'a PEM public key' }), { min: 1, max: 64 }),
    bundles: arr(obj({ name: fileName, text: fileText }), { max: 64 }),
    payload: opt(fileText),
    signature: opt(str({ min: 1, max: 8192 })),
    image: opt(str({ min: 1, max: 512 })),
    artifactFileId: opt(handleId),
    threshold: opt(int({ min: 1, max: 64 })),
    trustedRoot: opt(fileText),
    pins: opt(PinsSchema),
  }),
} as const satisfies Record<string, Schema<unknown>>;

export interface VerifyResponses {
  /** shared/verification/report.ts: decide on items[].check / status / code, never on messages. */
  'kc:verify.pinKey': { fingerprint: string };
  'kc:verify.bundle': VerificationReport;
  'kc:verify.tuf': VerificationReport;
  'kc:verify.bundleAt': VerificationReport;
  'kc:verify.folder': VerificationReport;
  /** `cliJson`: exactly what `keyceremony cosign verify --json` prints (what "Save the report" writes). */
  'kc:verify.cosign': { report: VerificationReport; cliJson: string };
}

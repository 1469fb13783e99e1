/**
 * IPC area "tuf": the release manager's TUF work (open a repository folder, make every kind of
 * signing request the CLI makes, merge copies signed in parallel, write finished metadata, snapshot
 * + timestamp on the online token) and the custodian's part (see who must sign, pick a key on the
 * inserted token that the request accepts, sign).
 */
import { fileText, KeyRefSchema, PinSchema, TokenRefSchema } from '../common';
import { arr, bool, hexStr, int, label, literal, obj, oneOf, opt, record, str, union, type Schema } from '../schema';
import { handleId } from './files';

/** One key a rule accepts, by name (when the request names it) and by key. */
export interface SignerView {
  keyid: string;
  fingerprint: string;
  name?: string;
  signed: boolean;
}

export interface SigningRequestView {
  role: string;
  version: number;
  fileName: string;
  signedSha256: string;
  note?: string;
  /** "targets v2: signed by 1 of 2 required targets keys" */
  summary: string;
  complete: boolean;
  rules: {
    name: string;
    threshold: number;
    valid: number;
    ok: boolean;
    total: number;
    signedBy: string[];
    missing: string[];
    /** Every key the rule accepts: who signed and who is still needed. */
    signers: SignerView[];
    /** "root v3: 1 of 2 old-root keys — alice signed; bob or carol still needed" */
    line: string;
  }[];
  /** What changed against the trusted previous version (lines starting +, -, ~). */
  diff: string[];
  signatures: number;
}

/** A key on the inserted token that a request (or the snapshot step) accepts. */
export interface KeyCandidate {
  label: string;
  idHex: string;
  keyType: string;
  fingerprint: string;
  fingerprintWords: string;
  /** The signer's name in the request, when it names them. */
  name?: string;
  /** The rules (roles) it counts for. */
  rules: string[];
  /** It has signed already (signing again adds nothing). */
  signed: boolean;
}

export interface CandidateList {
  token: { label: string; serial: string };
  keys: KeyCandidate[];
  /** Keys on the token that this request does not accept. */
  otherKeys: number;
}

export interface TufRepoView {
  folder: string;
  files: string[];
  rootVersion: number;
  roles: { role: string; version: number; expires: string; threshold: number; keyids: string[]; file: string }[];
  delegations: { name: string; threshold: number; keyids: string[]; scope: string; terminating: boolean; hasFile: boolean }[];
  hashBins?: { prefix: string; bitLength: number; count: number; threshold: number; keyids: string[] };
  targets: number;
  keys: { keyid: string; keytype: string; scheme: string; fingerprint: string }[];
}

export interface CreatedRequest {
  /** Where the CLI would write it: "<version>.<role>.request.json". */
  suggestedName: string;
  text: string;
  view: SigningRequestView;
}

const roleName = str({ min: 1, max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, what: 'a role name (letters, digits, . _ -)' });
const time = str({ min: 20, max: 25, pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, what: 'a UTC time such as 2027-01-31T00:00:00Z' });
const expiry = obj({ expires: opt(time), expiresInDays: opt(int({ min: 1, max: 36500 })) });
const keyText = str({ min: 1, max: 16384, what: 'a public key (PEM or TUF key JSON)' });
const targetPath = str({ min: 1, max: 1024, what: 'a target path' });

export const tufChannels = {
  'kc:tuf.request.open': obj({ text: fileText }),
  /** Sign the request with my token (refused before login if the token is not the expected one). */
  'kc:tuf.request.sign': obj({ text: fileText, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema }),
  'kc:tuf.request.finalize': obj({ text: fileText }),
  /** The keys on the inserted token that this request accepts (read without a PIN). */
  'kc:tuf.request.candidates': obj({ text: fileText, token: TokenRefSchema }),
  /** Merge copies of one request signed in parallel (signatures re-verified, unioned). */
  'kc:tuf.request.merge': obj({ texts: arr(fileText, { min: 2, max: 32 }) }),
  /** Write the finished metadata file of a complete request into an opened folder. */
  'kc:tuf.request.write': obj({ text: fileText, folderId: handleId }),
  /** The repository in an opened metadata folder. */
  'kc:tuf.repo.open': obj({ folderId: handleId }),
  /** Make a signing request, as `keyceremony tuf targets|renew|rotate|delegate` do. */
  'kc:tuf.request.create': obj({
    folderId: handleId,
    change: union('kind', {
      'targets-add': obj({
        kind: literal('targets-add'),
        role: opt(roleName),
        /** Each target from a picked file (`fileId`: main hashes it) or by known `length` + `sha256` (+ `sha512`), as `tuf targets add --length --sha256`. */
        entries: arr(
          obj({
            path: targetPath,
            fileId: opt(handleId),
            length: opt(int({ min: 0, max: Number.MAX_SAFE_INTEGER })),
            sha256: opt(hexStr(64)),
            sha512: opt(hexStr(128)),
            customJson: opt(str({ max: 65536 })),
          }),
          { min: 1, max: 1000 },
        ),
        expiry: opt(expiry),
      }),
      'targets-remove': obj({ kind: literal('targets-remove'), role: opt(roleName), paths: arr(targetPath, { min: 1, max: 1000 }), expiry: opt(expiry) }),
      renew: obj({ kind: literal('renew'), role: roleName, expiry }),
      rotate: obj({
        kind: literal('rotate'),
        role: oneOf(['root', 'targets', 'snapshot', 'timestamp'] as const),
        addKeys: arr(keyText, { max: 32 }),
        removeKeyids: arr(hexStr(64), { max: 32 }),
        threshold: opt(int({ min: 1, max: 64 })),
        expiry: opt(expiry),
      }),
      delegate: obj({
        kind: literal('delegate'),
        name: roleName,
        /** The delegating role (default targets): a delegated role for a nested delegation, as `tuf delegate --from`. */
        from: opt(roleName),
        keys: arr(keyText, { min: 1, max: 32 }),
        threshold: int({ min: 1, max: 64 }),
        paths: opt(arr(str({ min: 1, max: 512 }), { min: 1, max: 256 })),
        pathHashPrefixes: opt(arr(hexStr(64), { min: 1, max: 256 })),
        terminating: bool,
        expiry: opt(expiry),
        roleExpiresInDays: opt(int({ min: 1, max: 36500 })),
      }),
      'delegate-remove': obj({ kind: literal('delegate-remove'), name: roleName, from: opt(roleName), expiry: opt(expiry) }),
    }),
    /** Who holds which key (key id -> name), shown to custodians next to the fingerprint. */
    names: opt(record(label(64), 256)),
  }),
  /** Two metadata files compared, as `tuf diff --old FILE --new FILE`. */
  'kc:tuf.diff': obj({ old: opt(obj({ name: label(255), text: fileText })), new: obj({ name: label(255), text: fileText }) }),
  /** The online keys on the inserted token that may sign snapshot and timestamp. */
  'kc:tuf.snapshot.candidates': obj({ folderId: handleId, token: TokenRefSchema }),
  /** New snapshot + timestamp over the folder, signed on the online token, written into the folder. */
  'kc:tuf.snapshot': obj({
    folderId: handleId,
    token: TokenRefSchema,
    key: KeyRefSchema,
    pin: PinSchema,
    snapshotDays: opt(int({ min: 1, max: 3650 })),
    timestampDays: opt(int({ min: 1, max: 3650 })),
  }),
} as const satisfies Record<string, Schema<unknown>>;

export interface TufResponses {
  'kc:tuf.request.open': SigningRequestView;
  'kc:tuf.request.sign': { text: string; view: SigningRequestView; fingerprint: string };
  'kc:tuf.request.finalize': { fileName: string; text: string };
  'kc:tuf.request.candidates': CandidateList;
  'kc:tuf.request.merge': { text: string; view: SigningRequestView; added: number };
  'kc:tuf.request.write': { fileName: string; written: boolean };
  'kc:tuf.repo.open': TufRepoView;
  'kc:tuf.request.create': { requests: CreatedRequest[]; warnings: string[] };
  'kc:tuf.snapshot.candidates': CandidateList;
  'kc:tuf.diff': { lines: string[]; changed: boolean };
  /** `verified`: the folder, read as a client would from its first root, after writing. */
  'kc:tuf.snapshot': { summary: string; written: string[]; verified: boolean; verification: string[] };
}

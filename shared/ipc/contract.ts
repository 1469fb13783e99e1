/**
 * The IPC contract between the renderer and main: one table of channels, each with a request schema
 * (checked in main on every call) and a response type. Answers are `Result<T>` =
 * `{ok:true, value}` | `{ok:false, error:{code, message, where?, details?}}` (shared/result.ts).
 *
 * Secrets: a PIN crosses IPC only inside the single call that needs it, as the `pin` string field;
 * main turns it into bytes for C_Login and the token adapter zeroes them. `pin: null` means the
 * token has a PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH): the PIN is typed on the reader.
 * The renderer never stores a PIN (the input is cleared right after the call). Shares are typed by
 * people, sent once for validation/recovery, and never echoed back.
 *
 * Pure module: no node, no electron (lint-enforced).
 */
import type { Result } from '../result';
import type { ErrorInfo } from '../errors';
import type { KeyType, SignatureAlgorithm } from '../crypto/algorithms';
import { KeyTypes, SignatureAlgorithms } from '../crypto/algorithms';
import { arr, b64Str, bool, hexStr, int, label, literal, nullable, obj, oneOf, opt, record, str, union, type Infer, type Schema } from './schema';

/** Every channel starts with this prefix; the preload and main refuse anything else. */
export const CHANNEL_PREFIX = 'kc:';
/** Main → renderer event channel (progress of long work). */
export const EVENT_CHANNEL = 'kc:event';

// ---------- shared pieces ----------

const serial = str({ min: 1, max: 32, pattern: /^[\x20-\x7e]+$/, what: 'a token serial (printable ASCII, 1-32 chars)' });
/** Which token: the serial is what identifies a token; the label is checked too when given. */
export const TokenRefSchema = obj({ serial, label: opt(label(32)) });
export type TokenRef = Infer<typeof TokenRefSchema>;

export const KeyRefSchema = obj({ label: opt(label(64)), idHex: opt(hexStr(128)) });
export type KeyRef = Infer<typeof KeyRefSchema>;

/** A PIN for one call: a string (4-64 chars), or null when the token has a PIN pad. */
export const PinSchema = nullable(str({ min: 4, max: 64, pattern: /^[^\u0000-\u001f\u007f]+$/, what: 'a PIN of 4 to 64 printable characters' }));

const jobId = str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/, what: 'a job id' });
const empty = obj({});
const fileText = str({ max: 8 * 1024 * 1024, what: 'file contents (text, at most 8 MiB)' });
const fileName = str({ min: 1, max: 255, pattern: /^[^/\\\u0000-\u001f]+$/, what: 'a file name without folders' });

// ---------- value types (answers) ----------

export type Mode = 'rehearsal' | 'production';

export interface AppInfo {
  mode: Mode;
  version: string;
  /** Features whose main-process modules are wired in this build. */
  features: { tokens: boolean; ceremony: boolean; backup: boolean; tuf: boolean; verify: boolean };
  /** The PKCS#11 module in use (path basename only). */
  module: string | null;
}

export interface TokenSummary {
  slotId: string;
  label: string;
  serial: string;
  manufacturer: string;
  model: string;
  /** The reader has a PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH): no PIN field, type it on the pad. */
  pinPad: boolean;
  initialized: boolean;
  /** What the token says about tries left (CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED). */
  pin: { countLow: boolean; finalTry: boolean; locked: boolean; toBeChanged: boolean };
}

export interface KeyInfo {
  label: string;
  idHex: string;
  keyType: KeyType;
  /** SHA-256 of the DER SPKI, lower-case hex. */
  fingerprint: string;
  /** The same fingerprint as PGP words people can read aloud (shared/pgp-words.ts). */
  fingerprintWords: string;
  spkiB64: string;
  uri?: string;
}

export type TokenCheck =
  | { status: 'present'; token: TokenSummary }
  | { status: 'absent'; others: TokenSummary[] }
  | { status: 'wrong'; others: TokenSummary[] };

export interface SignOutput {
  signatureB64: string;
  algorithm: SignatureAlgorithm;
  fingerprint: string;
  /** The signature verified against the key's public key before it was returned. */
  verified: true;
}

export interface BatchOutput {
  signaturesB64: string[];
  fingerprint: string;
}

export interface ProgressEvent {
  kind: 'progress';
  jobId: string;
  done: number;
  total: number;
}
export type MainEvent = ProgressEvent;


// ---------- ceremony (the engine runs in main; the UI answers its questions) ----------

export interface CeremonyTemplate {
  name: string;
  title: string;
  summary: string;
  participants: { id: string; name: string; role: string }[];
  tokens: { id: string; label: string; custodian?: string }[];
  /** Files the script reads (e.g. the backup file of a recovery), to open before starting. */
  inputs: string[];
}

export interface CeremonyTokenView {
  id: string;
  label: string;
  serial?: string;
  /** The custodian's name (or the administrator). */
  custodian: string;
}

export type CeremonyQuestion =
  | { id: string; kind: 'ack'; step: string; ackId: string; statement: string; by: { id: string; name: string; role: string }; shown: string[] }
  | { id: string; kind: 'pin'; so: boolean; token: CeremonyTokenView }
  | { id: string; kind: 'deviation'; step: string; check: { id: string; status: string; summary: string }; administrator: { id: string; name: string; role: string } }
  /** The share itself is not in the question: the screen fetches it with kc:ceremony.revealShare when its custodian asks. */
  | { id: string; kind: 'share-show'; custodian: string; custodianId: string; index: number; total: number }
  | { id: string; kind: 'share-enter'; custodian: string; custodianId: string; index: number };

export type CeremonyAnswer =
  | { kind: 'ack'; confirm: boolean }
  | { kind: 'pin'; pin: string | null }
  | { kind: 'deviation'; justification: string | null }
  | { kind: 'share-show'; received: true }
  | { kind: 'share-enter'; text: string };

export interface CeremonyView {
  status: 'running' | 'done' | 'failed';
  name: string;
  title: string;
  rehearsal: boolean;
  runDir: string;
  participants: { id: string; name: string; role: string }[];
  steps: { id: string; title: string; kind: string; instructions: string; status: 'pending' | 'running' | 'done' | 'skipped' | 'stopped'; summary?: string }[];
  current: number | null;
  /** What the engine says to the room (never PINs or shares). */
  log: string[];
  keys: { id: string; label: string; keyType: string; fingerprint: string; fingerprintWords: string; token: { label: string; serial?: string }; purpose?: string }[];
  acknowledgements: { step: string; ackId: string; by: string; statement: string }[];
  question: CeremonyQuestion | null;
  error?: ErrorInfo;
  result?: { bundleDir: string; archivePath: string; ok: boolean; problems: string[]; files: number; signedBy: { id: string; fingerprint: string }[]; manifestSha256: string };
}

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

// ---------- threshold signing of TUF metadata (portable signing requests) ----------

export interface SigningRequestView {
  role: string;
  version: number;
  fileName: string;
  signedSha256: string;
  note?: string;
  /** "targets v2: signed by 1 of 2 required targets keys" */
  summary: string;
  complete: boolean;
  rules: { name: string; threshold: number; valid: number; ok: boolean; total: number; signedBy: string[]; missing: string[] }[];
  /** What changed against the trusted previous version (lines starting +, -, ~). */
  diff: string[];
  signatures: number;
}

// ---------- verification ----------

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

// ---------- the table ----------

const keyType = oneOf(KeyTypes);
const algorithm = oneOf(SignatureAlgorithms);

export const requestSchemas = {
  'kc:app.info': empty,
  'kc:tokens.list': empty,
  /** Is the expected token the one in the reader? Refuses a wrong token before any login. */
  'kc:tokens.check': obj({ expect: TokenRefSchema }),
  'kc:keys.list': obj({ token: TokenRefSchema, pin: opt(PinSchema) }),
  'kc:keys.generate': obj({
    token: TokenRefSchema,
    pin: PinSchema,
    keyType,
    label: label(64),
    idHex: opt(hexStr(64)),
    profile: opt(oneOf(['non-extractable', 'backupable'] as const)),
  }),
  'kc:keys.publicKey': obj({ token: TokenRefSchema, key: KeyRefSchema, pin: opt(PinSchema) }),
  'kc:sign.data': obj({
    token: TokenRefSchema,
    key: KeyRefSchema,
    pin: PinSchema,
    dataB64: b64Str(1024 * 1024),
    algorithm: opt(algorithm),
  }),
  'kc:sign.batch': obj({
    jobId,
    token: TokenRefSchema,
    key: KeyRefSchema,
    pin: PinSchema,
    itemsB64: arr(b64Str(64 * 1024), { min: 1, max: 10000 }),
  }),
  'kc:jobs.cancel': obj({ jobId }),
  /** Main shows a save dialog (in the app) and writes atomically; the renderer never picks a path. */
  'kc:files.save': obj({ suggestedName: fileName, text: fileText, kind: oneOf(['request', 'metadata', 'transcript', 'bundle', 'signature', 'other'] as const) }),
  /** Generic verification of a signature by a known public key. */
  'kc:verify.signature': obj({ spkiB64: b64Str(4096), algorithm, dataB64: b64Str(8 * 1024 * 1024), signatureB64: b64Str(2048) }),
  'kc:ceremony.templates': empty,
  /** Start a run from a built-in template or an opened script; serials typed by the administrator; input files opened in the UI. */
  'kc:ceremony.start': obj({
    template: opt(str({ min: 1, max: 64, pattern: /^[a-z0-9-]+$/, what: 'a template name' })),
    scriptText: opt(str({ max: 1024 * 1024 })),
    serials: opt(record(serial, 32)),
    inputs: opt(record(fileText, 8)),
  }),
  'kc:ceremony.state': empty,
  'kc:ceremony.answer': obj({
    questionId: str({ min: 1, max: 32, pattern: /^q[0-9]+$/, what: 'a question id' }),
    answer: union('kind', {
      ack: obj({ kind: literal('ack'), confirm: bool }),
      pin: obj({ kind: literal('pin'), pin: PinSchema }),
      deviation: obj({ kind: literal('deviation'), justification: nullable(str({ min: 1, max: 2000 })) }),
      'share-show': obj({ kind: literal('share-show'), received: literal(true) }),
      'share-enter': obj({ kind: literal('share-enter'), text: str({ min: 1, max: 4096 }) }),
    }),
  }),
  'kc:ceremony.resume': empty,
  /** The share of the open share-show question, once, when its custodian presses "Show". */
  'kc:ceremony.revealShare': obj({ questionId: str({ min: 1, max: 32, pattern: /^q[0-9]+$/, what: 'a question id' }) }),
  /** Save the PDF share sheet of the share being shown (main writes it; the renderer gets no file). */
  'kc:ceremony.shareSheet': obj({ questionId: str({ min: 1, max: 32, pattern: /^q[0-9]+$/, what: 'a question id' }) }),
  'kc:ceremony.cancel': empty,
  /** A ceremony bundle archive (.kcbundle.tar) as base64. */
  'kc:verify.bundle': obj({ archiveB64: b64Str(48 * 1024 * 1024) }),
  /** TUF metadata: the trusted root, and the repository's metadata files by name. */
  'kc:verify.tuf': obj({ trustedRoot: fileText, files: record(fileText, 256) }),
  'kc:tuf.request.open': obj({ text: fileText }),
  /** Sign the request with my token (refused before login if the token is not the expected one). */
  'kc:tuf.request.sign': obj({ text: fileText, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema }),
  'kc:tuf.request.finalize': obj({ text: fileText }),
  /** Per-word validation of a typed share (expected: whose share it should be). */
  'kc:backup.checkShare': obj({ text: str({ max: 4096 }), expect: opt(obj({ index: int({ min: 1, max: 16 }), custodian: opt(label(64)) })) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface ResponseTypes {
  'kc:app.info': AppInfo;
  'kc:tokens.list': TokenSummary[];
  'kc:tokens.check': TokenCheck;
  'kc:keys.list': KeyInfo[];
  'kc:keys.generate': KeyInfo & { created: boolean };
  'kc:keys.publicKey': KeyInfo;
  'kc:sign.data': SignOutput;
  'kc:sign.batch': BatchOutput;
  'kc:jobs.cancel': { cancelled: boolean };
  'kc:files.save': { saved: boolean; name: string };
  'kc:verify.signature': { valid: boolean };
  'kc:ceremony.templates': CeremonyTemplate[];
  'kc:ceremony.start': CeremonyView;
  'kc:ceremony.state': CeremonyView | null;
  'kc:ceremony.answer': CeremonyView;
  'kc:ceremony.resume': CeremonyView;
  'kc:ceremony.shareSheet': { saved: boolean; name: string };
  'kc:ceremony.revealShare': { text: string };
  'kc:ceremony.cancel': CeremonyView | null;
  'kc:backup.checkShare': ShareCheck;
  'kc:tuf.request.open': SigningRequestView;
  'kc:verify.bundle': BundleVerification;
  'kc:verify.tuf': TufVerification;
  'kc:tuf.request.sign': { text: string; view: SigningRequestView; fingerprint: string };
  'kc:tuf.request.finalize': { fileName: string; text: string };
}

export type Channel = keyof typeof requestSchemas & keyof ResponseTypes;
export type Request<C extends Channel> = Infer<(typeof requestSchemas)[C]>;
export type Response<C extends Channel> = ResponseTypes[C];

export const CHANNELS = Object.keys(requestSchemas) as Channel[];

export function isChannel(x: unknown): x is Channel {
  return typeof x === 'string' && x.startsWith(CHANNEL_PREFIX) && Object.prototype.hasOwnProperty.call(requestSchemas, x);
}

/** Parse one request payload for `channel` (throws INVALID_INPUT naming the field). */
export function parseRequest<C extends Channel>(channel: C, payload: unknown): Request<C> {
  return (requestSchemas[channel] as Schema<Request<C>>).parse(payload, channel);
}

/**
 * The one API the preload exposes on `window.keyceremony` (and the Playwright shim imitates).
 * `invoke` is typed by channel; `onEvent` receives progress events; both are the whole surface.
 */
export interface KeyceremonyApi {
  invoke<C extends Channel>(channel: C, request: Request<C>): Promise<Result<Response<C>>>;
  onEvent(listener: (e: MainEvent) => void): () => void;
}

export const ProgressEventSchema = obj({ kind: literal('progress'), jobId, done: int({ min: 0 }), total: int({ min: 0 }) });

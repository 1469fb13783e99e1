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
import type { KeyType, SignatureAlgorithm } from '../crypto/algorithms';
import { KeyTypes, SignatureAlgorithms } from '../crypto/algorithms';
import { arr, b64Str, hexStr, int, label, literal, nullable, obj, oneOf, opt, str, type Infer, type Schema } from './schema';

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

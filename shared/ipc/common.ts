/**
 * Pieces every area of the IPC contract uses: the channel prefix, token/key references, the
 * one-call PIN, file payloads, and the main → renderer event type. Pure: no node, no electron.
 */
import { hexStr, int, label, literal, nullable, obj, opt, str, type Infer } from './schema';

/** Every channel starts with this prefix; the preload and main refuse anything else. */
export const CHANNEL_PREFIX = 'kc:';
/** Main → renderer event channel (progress of long work). */
export const EVENT_CHANNEL = 'kc:event';

export type Mode = 'rehearsal' | 'production';

export const serial = str({ min: 1, max: 32, pattern: /^[\x20-\x7e]+$/, what: 'a token serial (printable ASCII, 1-32 chars)' });
/** Which token: the serial is what identifies a token; the label is checked too when given. */
export const TokenRefSchema = obj({ serial, label: opt(label(32)) });
export type TokenRef = Infer<typeof TokenRefSchema>;

export const KeyRefSchema = obj({ label: opt(label(64)), idHex: opt(hexStr(128)) });
export type KeyRef = Infer<typeof KeyRefSchema>;

/** A PIN for one call: a string (4-64 chars), or null when the token has a PIN pad. */
export const PinSchema = nullable(str({ min: 4, max: 64, pattern: /^[^\u0000-\u001f\u007f]+$/, what: 'a PIN of 4 to 64 printable characters' }));

export const jobId = str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/, what: 'a job id' });
export const empty = obj({});
export const fileText = str({ max: 8 * 1024 * 1024, what: 'file contents (text, at most 8 MiB)' });
export const fileName = str({ min: 1, max: 255, pattern: /^[^/\\\u0000-\u001f]+$/, what: 'a file name without folders' });
/** A question of the running ceremony ("q12"). */
export const questionId = str({ min: 1, max: 32, pattern: /^q[0-9]+$/, what: 'a question id' });

export interface ProgressEvent {
  kind: 'progress';
  jobId: string;
  done: number;
  total: number;
}

/**
 * A signature the device will hold until it is touched (YubiKey touch policy always/cached): the
 * screen says "touch the YubiKey now" until the call returns.
 */
export interface UserPresenceEvent {
  kind: 'user-presence';
  token: string;
  key: string;
  touchPolicy: 'always' | 'cached';
}

export const ProgressEventSchema = obj({ kind: literal('progress'), jobId, done: int({ min: 0 }), total: int({ min: 0 }) });

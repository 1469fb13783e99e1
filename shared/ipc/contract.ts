/**
 * The IPC contract between the renderer and main: one table of channels, each with a request schema
 * (checked in main on every call) and a response type. Answers are `Result<T>` =
 * `{ok:true, value}` | `{ok:false, error:{code, message, where?, details?}}` (shared/result.ts).
 *
 * The table is assembled from one file per area in `channels/` (app, tokens, ceremony, backup, tuf,
 * verify, ...): each exports its request schemas and an interface of its response types. A channel
 * name appearing in two areas is refused when this module loads.
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
import { KeyceremonyError } from '../errors';
import { CHANNEL_PREFIX, type ProgressEvent, type UserPresenceEvent } from './common';
import type { CeremonyEvent } from './channels/ceremony';
import type { Infer, Schema } from './schema';
import { appChannels, type AppResponses } from './channels/app';
import { tokenChannels, type TokenResponses } from './channels/tokens';
import { ceremonyChannels, type CeremonyResponses } from './channels/ceremony';
import { backupChannels, type BackupResponses } from './channels/backup';
import { tufChannels, type TufResponses } from './channels/tuf';
import { verifyChannels, type VerifyResponses } from './channels/verify';
import { filesChannels, type FilesResponses } from './channels/files';
import { cosignChannels, type CosignResponses } from './channels/cosign';
import { notaryChannels, type NotaryResponses } from './channels/notary';
import { custodyChannels, type CustodyResponses } from './channels/custody';
import { incompleteChannels, type IncompleteResponses } from './channels/incomplete';
import { tufEventChannels, type TufEventResponses } from './channels/tuf-event';
import { lifecycleChannels, type LifecycleResponses } from './channels/lifecycle';

export * from './common';
export type * from './channels/app';
export type * from './channels/tokens';
export type * from './channels/ceremony';
export type * from './channels/backup';
export type * from './channels/tuf';
export type * from './channels/verify';
export type * from './channels/files';
export type * from './channels/cosign';
export type * from './channels/notary';
export type * from './channels/custody';
export type * from './channels/incomplete';
export type * from './channels/tuf-event';
export type * from './channels/lifecycle';

/** Main → renderer events on EVENT_CHANNEL: batch progress, the ceremony view whenever it changes, touch prompts. */
export type MainEvent = ProgressEvent | CeremonyEvent | UserPresenceEvent;

/** Merge the areas' tables; a channel defined twice is a programming error caught at load. */
function combine<T extends Record<string, Schema<unknown>>[]>(...tables: T): UnionToIntersection<T[number]> {
  const out: Record<string, Schema<unknown>> = {};
  for (const t of tables) {
    for (const [k, v] of Object.entries(t)) {
      if (Object.prototype.hasOwnProperty.call(out, k)) {
        throw new KeyceremonyError('INTERNAL', `IPC channel ${k} is defined in two areas.`, { where: 'shared/ipc/contract' });
      }
      out[k] = v;
    }
  }
  return out as UnionToIntersection<T[number]>;
}
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

export const requestSchemas = combine(
  appChannels,
  tokenChannels,
  ceremonyChannels,
  backupChannels,
  tufChannels,
  verifyChannels,
  filesChannels,
  cosignChannels,
  notaryChannels,
  custodyChannels,
  incompleteChannels,
  tufEventChannels,
  lifecycleChannels,
);

export interface ResponseTypes
  extends
    AppResponses,
    TokenResponses,
    CeremonyResponses,
    BackupResponses,
    TufResponses,
    VerifyResponses,
    FilesResponses,
    CosignResponses,
    NotaryResponses,
    CustodyResponses,
    IncompleteResponses,
    TufEventResponses,
    LifecycleResponses {}

/** Compile-time check: every channel has a request schema AND a response type (names the odd one out). */
type Unpaired = Exclude<keyof typeof requestSchemas, keyof ResponseTypes> | Exclude<keyof ResponseTypes, keyof typeof requestSchemas>;
export const everyChannelPaired: [Unpaired] extends [never] ? true : Unpaired = true;

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

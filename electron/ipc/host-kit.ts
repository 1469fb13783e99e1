/**
 * What every area's handlers share: the injected deps, the lazily opened token module, the
 * wrong-token refusal, the one-call PIN source, key lookup, and the registry of cancellable jobs.
 * One kit per IpcHost (electron/ipc/handlers.ts builds it and hands it to each area).
 */
import { KeyceremonyError } from '../../shared/errors';
import { fromHex, toBase64, utf8 } from '../../shared/encoding/bytes';
import { fingerprintWords } from '../../shared/pgp-words';
import type { Channel, KeyInfo, KeyRef, MainEvent, Request, Response, TokenRef, TokenSummary } from '../../shared/ipc/contract';
import type { FileDeps, HandlerDeps, PinSource, TokenInfo, TokenKey, TokenModuleLike, TokenSession } from './deps';
import { FileRegistry } from './file-registry';

export interface HandlerContext {
  /** URL of the frame that sent the call (already checked by dispatch). */
  senderUrl: string;
  /** Push an event (progress) to the calling renderer. */
  emit(e: MainEvent): void;
}

export type Handler<C extends Channel> = (req: Request<C>, ctx: HandlerContext) => Promise<Response<C>>;
/** The handlers of one area: exactly the channels of that area's table in shared/ipc/channels/. */
export type AreaHandlers<Table> = { [C in keyof Table & Channel]: Handler<C> };

export function summarizeToken(t: TokenInfo): TokenSummary {
  return {
    slotId: t.slotId,
    label: t.label,
    serial: t.serial,
    manufacturer: t.manufacturer,
    model: t.model,
    pinPad: t.flags.protectedAuthenticationPath,
    initialized: t.flags.tokenInitialized,
    pin: {
      countLow: t.flags.pinCountLow,
      finalTry: t.flags.pinFinalTry,
      locked: t.flags.pinLocked,
      toBeChanged: t.flags.pinToBeChanged,
      ...(t.pinTriesLeft !== undefined ? { triesLeft: t.pinTriesLeft } : {}),
    },
    ...(t.profile ? { profile: t.profile } : {}),
  };
}

export function keyInfo(k: TokenKey): KeyInfo {
  return {
    label: k.label,
    idHex: k.idHex,
    keyType: k.keyType,
    fingerprint: k.fingerprint,
    fingerprintWords: fingerprintWords(k.fingerprint),
    spkiB64: toBase64(k.publicKeySpki),
    uri: k.uri,
  };
}

export const describeToken = (t: { label: string; serial: string }) => `"${t.label}" (serial ${t.serial})`;

/**
 * Find the expected token by serial and refuse anything else BEFORE any login or signature:
 * a different token in the reader is TOKEN_WRONG (naming both), none at all is TOKEN_NOT_PRESENT.
 */
export function requireToken(mod: TokenModuleLike, ref: TokenRef): TokenInfo {
  const all = mod.tokens();
  let hit = all.filter((t) => t.serial === ref.serial);
  // some modules give every token the same serial (tpm2-pkcs11, openCryptoki): the label tells them apart
  if (hit.length > 1 && ref.label !== undefined) hit = hit.filter((t) => t.label === ref.label);
  if (hit.length === 1) {
    const t = hit[0] as TokenInfo;
    if (ref.label !== undefined && t.label !== ref.label) {
      throw new KeyceremonyError(
        'TOKEN_WRONG',
        `The token with serial ${t.serial} is labelled "${t.label}", not "${ref.label}". This is not the expected token: remove it and insert the right one.`,
        { where: 'token', details: { expectedSerial: ref.serial, expectedLabel: ref.label, presentLabel: t.label } },
      );
    }
    return t;
  }
  if (hit.length > 1) {
    throw new KeyceremonyError('TOKEN_AMBIGUOUS', `${hit.length} tokens report serial ${ref.serial}: give the token's label as well, or remove all but one.`, {
      where: 'token',
    });
  }
  const expected = ref.label ? describeToken({ label: ref.label, serial: ref.serial }) : `with serial ${ref.serial}`;
  if (all.length > 0) {
    throw new KeyceremonyError(
      'TOKEN_WRONG',
      `Wrong token: the reader has ${all.map(describeToken).join(', ')}, but this step needs the token ${expected}. Nothing was signed. Remove it and insert the right token.`,
      { where: 'token', details: { expectedSerial: ref.serial, present: all.map((t) => t.serial).join(',') } },
    );
  }
  throw new KeyceremonyError('TOKEN_NOT_PRESENT', `No token is inserted. Insert the token ${expected}.`, {
    where: 'token',
    details: { expectedSerial: ref.serial },
  });
}

/** The PIN of one call as a PinSource: fresh bytes each time, zeroed by the adapter after login. */
export function pinSource(token: TokenInfo, pin: string | null | undefined): PinSource | undefined {
  if (pin === null || pin === undefined) {
    if (token.flags.protectedAuthenticationPath) return undefined; // PIN pad: the adapter logs in with no PIN
    throw new KeyceremonyError('PIN_REQUIRED', `Enter the PIN of token ${describeToken(token)}.`, { where: 'pin' });
  }
  return () => utf8(pin);
}

export async function findKey(s: TokenSession, ref: KeyRef): Promise<TokenKey> {
  if (ref.label === undefined && ref.idHex === undefined) {
    throw new KeyceremonyError('INVALID_INPUT', 'Say which key: a label or an id.', { where: 'key' });
  }
  const sel: { label?: string; id?: Uint8Array } = {};
  if (ref.label !== undefined) sel.label = ref.label;
  if (ref.idHex !== undefined) sel.id = fromHex(ref.idHex);
  return s.findKey(sel);
}

/** "touch the YubiKey now" on the screen before each signature the device holds until it is touched. */
export function touchPromptFor(kit: HostKit, ctx: HandlerContext) {
  return async (r: { token: string; key: string; touchPolicy: 'always' | 'cached' }): Promise<void> => {
    ctx.emit({ kind: 'user-presence', ...r });
    await kit.deps.afterTouchPrompt?.();
  };
}

/** What a cancellable batch gets: the job's abort signal and a throttled progress callback. */
export interface JobOptions {
  signal: AbortSignal;
  onProgress: (done: number, total: number) => void;
}

/**
 * Run a cancellable job (kc:jobs.cancel aborts it): its progress reaches the renderer at most every
 * 50 ms, and always the last step, so a fast batch does not flood the window.
 */
export async function runJob<T>(kit: HostKit, id: string, ctx: HandlerContext, fn: (o: JobOptions) => Promise<T>): Promise<T> {
  if (kit.jobs.has(id)) throw new KeyceremonyError('CONFLICT', `Job ${id} is already running.`, { where: 'jobId' });
  const ac = new AbortController();
  kit.jobs.set(id, ac);
  let last = 0;
  try {
    return await fn({
      signal: ac.signal,
      onProgress: (done, total) => {
        if (done === total || Date.now() - last >= 50) {
          last = Date.now();
          ctx.emit({ kind: 'progress', jobId: id, done, total });
        }
      },
    });
  } finally {
    kit.jobs.delete(id);
  }
}

export interface HostKit {
  deps: HandlerDeps;
  /** The PKCS#11 module, opened on first use and reused. */
  tokens(): TokenModuleLike;
  /** Refuse a wrong token, then open a session (logged in with the call's PIN) and run fn. */
  withToken<T>(ref: TokenRef, pin: string | null | undefined, rw: boolean, fn: (s: TokenSession, t: TokenInfo) => Promise<T>): Promise<T>;
  /** Cancellable jobs by id (kc:jobs.cancel aborts them). */
  jobs: Map<string, AbortController>;
  /** Chosen folders and written secret files, by handle. */
  files: FileRegistry;
  /** The folder/file dialogs, or a clear refusal when this build has none. */
  dialogs(): FileDeps;
  /** Register work to do when the host goes away (the app quits): drop secrets held in memory. */
  onDispose(fn: () => void): void;
  dispose(): void;
}

export function createHostKit(deps: HandlerDeps): HostKit {
  let mod: TokenModuleLike | undefined;
  const disposers: (() => void)[] = [];
  const tokens = () => (mod ??= deps.openTokens());
  return {
    deps,
    tokens,
    jobs: new Map(),
    files: new FileRegistry(),
    dialogs() {
      if (!deps.files) throw new KeyceremonyError('PRECONDITION_FAILED', 'Choosing folders and files is not available in this build.', { where: 'files' });
      return deps.files;
    },
    onDispose: (fn) => void disposers.push(fn),
    dispose: () => {
      for (const fn of disposers.splice(0)) fn();
    },
    async withToken(ref, pin, rw, fn) {
      const m = tokens();
      const t = requireToken(m, ref);
      const source = pinSource(t, pin);
      const o: { pin?: PinSource; rw: boolean; login: boolean } = { rw, login: true };
      if (source) o.pin = source;
      return m.withSession({ serial: t.serial }, o, (s) => fn(s, t));
    },
  };
}

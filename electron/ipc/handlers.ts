/**
 * THE handler table: channel → async handler(request, ctx). Electron's ipcMain serves it in the app
 * (electron/ipc/serve-electron.ts) and the Playwright harness serves the very same table to the
 * renderer running in Chromium (test/helpers/ui-harness.ts).
 *
 * `dispatch` is the boundary: it refuses an untrusted sender or an unknown channel, parses the
 * payload with the channel's schema (shared/ipc/contract.ts), runs the handler, and always answers a
 * Result (`{ok, value}` | `{ok:false, error:{code, message}}`); nothing thrown crosses IPC.
 *
 * PINs: a handler turns the request's `pin` string into bytes inside a PinSource that the token
 * adapter calls once and zeroes; the string is never stored, logged or echoed.
 */
import { KeyceremonyError, toErrorInfo } from '../../shared/errors';
import { fail, ok, type Result } from '../../shared/result';
import { fromBase64, fromHex, toBase64, utf8 } from '../../shared/encoding/bytes';
import { verifySignature } from '../../shared/crypto/webcrypto';
import { fingerprintWords } from '../../shared/pgp-words';
import {
  isChannel,
  parseRequest,
  type Channel,
  type KeyInfo,
  type KeyRef,
  type MainEvent,
  type Request,
  type Response,
  type TokenRef,
  type TokenSummary,
} from '../../shared/ipc/contract';
import { CeremonySession, listTemplates } from './ceremony-session';
import { checkShareText } from './share-check';
import { finalizeRequestText, openRequest, signRequestText } from './tuf-requests';
import { verifyBundleBytes, verifyTufFiles } from './verify';
import type { HandlerDeps, PinSource, TokenInfo, TokenKey, TokenModuleLike, TokenSession } from './deps';

export interface HandlerContext {
  /** URL of the frame that sent the call (already checked by dispatch). */
  senderUrl: string;
  /** Push an event (progress) to the calling renderer. */
  emit(e: MainEvent): void;
}

export type Handler<C extends Channel> = (req: Request<C>, ctx: HandlerContext) => Promise<Response<C>>;
export type HandlerTable = { [C in Channel]: Handler<C> };

export interface IpcHost {
  table: HandlerTable;
  /** Check sender, channel and payload; run; always answer a Result. */
  dispatch(channel: unknown, payload: unknown, ctx: HandlerContext & { isMainFrame: boolean }): Promise<Result<unknown>>;
}

// ---------- helpers ----------

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
    },
  };
}

export function keyInfo(k: TokenKey): KeyInfo {
  return {
    label: k.label,
    idHex: k.idHex,
    keyType: k.keyType,
    fingerprint: k.fingerprint,
    fingerprintWords: fingerprintWords(k.fingerprint, 8),
    spkiB64: toBase64(k.publicKeySpki),
    uri: k.uri,
  };
}

const describeToken = (t: { label: string; serial: string }) => `"${t.label}" (serial ${t.serial})`;

/**
 * Find the expected token by serial and refuse anything else BEFORE any login or signature:
 * a different token in the reader is TOKEN_WRONG (naming both), none at all is TOKEN_NOT_PRESENT.
 */
export function requireToken(mod: TokenModuleLike, ref: TokenRef): TokenInfo {
  const all = mod.tokens();
  const hit = all.filter((t) => t.serial === ref.serial);
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
    throw new KeyceremonyError('TOKEN_AMBIGUOUS', `Two tokens report serial ${ref.serial}. Remove all but one.`, { where: 'token' });
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
function pinSource(token: TokenInfo, pin: string | null | undefined): PinSource | undefined {
  if (pin === null || pin === undefined) {
    if (token.flags.protectedAuthenticationPath) return undefined; // PIN pad: the adapter logs in with no PIN
    throw new KeyceremonyError('PIN_REQUIRED', `Enter the PIN of token ${describeToken(token)}.`, { where: 'pin' });
  }
  return () => utf8(pin);
}

async function findKey(s: TokenSession, ref: KeyRef): Promise<TokenKey> {
  if (ref.label === undefined && ref.idHex === undefined) {
    throw new KeyceremonyError('INVALID_INPUT', 'Say which key: a label or an id.', { where: 'key' });
  }
  const sel: { label?: string; id?: Uint8Array } = {};
  if (ref.label !== undefined) sel.label = ref.label;
  if (ref.idHex !== undefined) sel.id = fromHex(ref.idHex);
  return s.findKey(sel);
}

// ---------- the table ----------

export function createIpcHost(deps: HandlerDeps, opts: { isTrustedSender: (url: string) => boolean }): IpcHost {
  let mod: TokenModuleLike | undefined;
  const tokens = () => (mod ??= deps.openTokens());
  const jobs = new Map<string, AbortController>();
  let ceremony: CeremonySession | null = null;
  const ceremonyDeps = () => {
    if (!deps.ceremony) throw new KeyceremonyError('PRECONDITION_FAILED', 'The ceremony engine is not available in this build.', { where: 'ceremony' });
    return deps.ceremony;
  };
  const session = () => {
    if (!ceremony) throw new KeyceremonyError('PRECONDITION_FAILED', 'No ceremony is running. Start one first.', { where: 'ceremony' });
    return ceremony;
  };

  const withToken = async <T>(ref: TokenRef, pin: string | null | undefined, rw: boolean, fn: (s: TokenSession, t: TokenInfo) => Promise<T>) => {
    const m = tokens();
    const t = requireToken(m, ref);
    const source = pinSource(t, pin);
    const o: { pin?: PinSource; rw: boolean; login: boolean } = { rw, login: true };
    if (source) o.pin = source;
    return m.withSession({ serial: t.serial }, o, (s) => fn(s, t));
  };

  const table: HandlerTable = {
    'kc:app.info': async () => ({
      mode: deps.mode,
      version: deps.version,
      features: { tokens: true, ceremony: !!deps.ceremony, backup: !!deps.ceremony, tuf: !!deps.ceremony, verify: true },
      module: deps.moduleName,
    }),

    'kc:tokens.list': async () => tokens().tokens().map(summarizeToken),

    'kc:tokens.check': async (req) => {
      const all = tokens().tokens();
      const hit = all.find((t) => t.serial === req.expect.serial && (req.expect.label === undefined || t.label === req.expect.label));
      if (hit) return { status: 'present', token: summarizeToken(hit) };
      const others = all.map(summarizeToken);
      return others.length ? { status: 'wrong', others } : { status: 'absent', others };
    },

    'kc:keys.list': async (req) => withToken(req.token, req.pin, false, async (s) => (await s.findKeys()).map(keyInfo)),

    'kc:keys.generate': async (req) =>
      withToken(req.token, req.pin, true, async (s) => {
        const spec: Parameters<TokenSession['generateKeyPair']>[0] = { keyType: req.keyType, label: req.label };
        if (req.idHex !== undefined) spec.id = fromHex(req.idHex);
        if (req.profile !== undefined) spec.profile = req.profile;
        const { key, created } = await s.generateKeyPair(spec);
        return { ...keyInfo(key), created };
      }),

    'kc:keys.publicKey': async (req) => withToken(req.token, req.pin, false, async (s) => keyInfo(await findKey(s, req.key))),

    'kc:sign.data': async (req) =>
      withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const signer = s.signer(key, req.algorithm ? { algorithm: req.algorithm } : {});
        const data = fromBase64(req.dataB64);
        const sig = await signer.sign(data);
        // The token signer verifies before returning; check again here, independently, with WebCrypto.
        if (!(await verifySignature(key.publicKeySpki, signer.algorithm, data, sig))) {
          throw new KeyceremonyError('SIGNATURE_SELF_CHECK_FAILED', 'The token produced a signature that does not verify. Nothing was saved.', {
            where: 'sign',
          });
        }
        return { signatureB64: toBase64(sig), algorithm: signer.algorithm, fingerprint: key.fingerprint, verified: true as const };
      }),

    'kc:sign.batch': async (req, ctx) => {
      if (jobs.has(req.jobId)) throw new KeyceremonyError('CONFLICT', `Job ${req.jobId} is already running.`, { where: 'jobId' });
      const ac = new AbortController();
      jobs.set(req.jobId, ac);
      try {
        return await withToken(req.token, req.pin, false, async (s) => {
          const key = await findKey(s, req.key);
          const signer = s.signer(key);
          const items = req.itemsB64.map((b) => fromBase64(b));
          const total = items.length;
          ctx.emit({ kind: 'progress', jobId: req.jobId, done: 0, total });
          const sigs: Uint8Array[] = [];
          let lastEmit = 0;
          // One at a time so that a cancel stops between two signatures and nothing half-done is returned.
          for (const it of items) {
            if (ac.signal.aborted) {
              throw new KeyceremonyError('CANCELLED', `Cancelled after ${sigs.length} of ${total} signatures. Nothing was saved; run it again to sign everything.`, {
                where: 'sign.batch',
                details: { done: sigs.length, total },
              });
            }
            sigs.push(await signer.sign(it));
            // Progress at most every 50 ms (and at the end), so the renderer is not flooded.
            if (sigs.length === total || Date.now() - lastEmit >= 50) {
              lastEmit = Date.now();
              ctx.emit({ kind: 'progress', jobId: req.jobId, done: sigs.length, total });
            }
            await new Promise((r) => setImmediate(r));
          }
          return { signaturesB64: sigs.map(toBase64), fingerprint: key.fingerprint };
        });
      } finally {
        jobs.delete(req.jobId);
      }
    },

    'kc:jobs.cancel': async (req) => {
      const ac = jobs.get(req.jobId);
      if (!ac) return { cancelled: false };
      ac.abort();
      return { cancelled: true };
    },

    'kc:files.save': async (req) => deps.saveFile(req),

    'kc:verify.signature': async (req) => ({
      valid: await verifySignature(fromBase64(req.spkiB64), req.algorithm, fromBase64(req.dataB64), fromBase64(req.signatureB64)),
    }),

    'kc:ceremony.templates': async () => listTemplates(),

    'kc:ceremony.start': async (req) => {
      if (ceremony && ceremony.snapshot().status === 'running') {
        throw new KeyceremonyError('CONFLICT', 'A ceremony is already running. Finish or stop it first.', { where: 'ceremony' });
      }
      const start: Parameters<typeof CeremonySession.start>[1] = {};
      if (req.template !== undefined) start.template = req.template;
      if (req.scriptText !== undefined) start.scriptText = req.scriptText;
      if (req.serials !== undefined) start.serials = req.serials;
      if (req.inputs !== undefined) start.inputs = req.inputs;
      ceremony = CeremonySession.start(ceremonyDeps(), start);
      return ceremony.snapshot();
    },

    'kc:ceremony.state': async () => ceremony?.snapshot() ?? null,

    'kc:ceremony.answer': async (req) => {
      const s = session();
      s.answer(req.questionId, req.answer);
      await new Promise((r) => setImmediate(r)); // let the engine take the answer before we report
      return s.snapshot();
    },

    'kc:ceremony.resume': async () => {
      const s = session();
      s.resume();
      return s.snapshot();
    },

    'kc:ceremony.revealShare': async (req) => session().revealShare(req.questionId),

    'kc:ceremony.shareSheet': async (req) => {
      const sheet = await session().shareSheet(req.questionId);
      try {
        return await deps.saveFile({ suggestedName: sheet.name, text: sheet.pdf, kind: 'share-sheet' });
      } finally {
        sheet.pdf.fill(0);
      }
    },

    'kc:ceremony.cancel': async () => {
      ceremony?.cancel();
      return ceremony?.snapshot() ?? null;
    },

    'kc:backup.checkShare': async (req) => checkShareText(req.text, req.expect),

    'kc:verify.bundle': async (req) => verifyBundleBytes(fromBase64(req.archiveB64)),

    'kc:verify.tuf': async (req) => verifyTufFiles(req.trustedRoot, req.files),

    'kc:tuf.request.open': async (req) => openRequest(req.text),

    'kc:tuf.request.sign': async (req) => {
      const before = await openRequest(req.text); // refuse a bad request before touching the token
      return withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const out = await signRequestText(req.text, s.signer(key));
        if (out.view.signatures <= before.signatures) {
          throw new KeyceremonyError('CONFLICT', 'This key had already signed the request; nothing changed.', { where: 'signatures' });
        }
        return { ...out, fingerprint: key.fingerprint };
      });
    },

    'kc:tuf.request.finalize': async (req) => finalizeRequestText(req.text),
  };

  const dispatch: IpcHost['dispatch'] = async (channel, payload, ctx) => {
    if (!ctx.isMainFrame || !opts.isTrustedSender(ctx.senderUrl)) {
      return fail({ code: 'PRECONDITION_FAILED', message: 'Refused: the call did not come from the app’s own page.', where: 'sender' });
    }
    if (!isChannel(channel)) {
      return fail({ code: 'INVALID_INPUT', message: `Unknown channel ${JSON.stringify(String(channel)).slice(0, 80)}.`, where: 'channel' });
    }
    try {
      const req = parseRequest(channel, payload);
      const handler = table[channel] as Handler<Channel>;
      return ok(await handler(req as Request<Channel>, ctx));
    } catch (e) {
      return fail(toErrorInfo(e));
    }
  };

  return { table, dispatch };
}

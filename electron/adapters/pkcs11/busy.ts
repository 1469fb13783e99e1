/**
 * A token that another process is writing to at the same moment is busy, not broken (issue 12 item 3).
 * SoftHSM2 keeps a token as files and rewrites `token.object` (ftruncate, then one write) whenever an
 * object is added or removed; a second process that reads it in between finds it invalid and answers
 * CKR_GENERAL_ERROR — from C_GetTokenInfo and C_Login in our measurements (two processes signing on one
 * token: 4,353 of 5,028 attempts in 8 s; SoftHSM rewrites token.object at every login), and now and then
 * CKR_USER_PIN_NOT_INITIALIZED from C_Login although the token's flags said the PIN is set. Telling the custodian to
 * "remove and re-insert" a file-backed token is wrong; asking again a moment later is right.
 *
 * So the calls that only read (token information, opening a session, logging in) are retried a bounded
 * number of times with growing pauses while they answer GENERAL_ERROR or DEVICE_ERROR. Calls that
 * change the token (key generation, unwrap, destroy) are never retried here: a half-done write is for
 * the journaled intent of ./interrupted.ts to find. When the attempts run out, the error is TOKEN_BUSY
 * with a sentence that names the concurrent user first and the hardware last.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { CKR, mapPkcs11Error, rvName, rvOf } from './errors';

/** The pauses between attempts (ms): 11 attempts over about 2.6 s. */
export const BUSY_PAUSES_MS: readonly number[] = [10, 20, 40, 80, 160, 320, 500, 500, 500, 500];

const BUSY = new Set<number>([CKR.GENERAL_ERROR, CKR.DEVICE_ERROR]);

/** Whether a pkcs11js error is one a busy token answers. */
export function isBusyAnswer(e: unknown): boolean {
  const rv = rvOf(e);
  return rv !== undefined && BUSY.has(rv);
}

const waitCell = new Int32Array(new SharedArrayBuffer(4));

/** Block this thread for `ms` (the token calls are synchronous; the pauses total under 3 s). */
function pause(ms: number): void {
  Atomics.wait(waitCell, 0, 0, ms);
}

export interface BusyTarget {
  /** Which token, for the sentence: 'Token "root-1" (serial 1a2b…)', 'The token in slot 0x3c6e1393'. */
  who: string;
  /** What we were doing: "reading token information", "logging in". */
  context: string;
  /** Safe facts for `details` (label, serial). */
  details?: Record<string, string>;
}

/**
 * Run `fn` (one read-only PKCS#11 call); while it answers GENERAL_ERROR / DEVICE_ERROR, pause and try
 * again, at most BUSY_PAUSES_MS.length more times. Other errors pass through unchanged.
 */
export function retryWhileBusy<T>(target: BusyTarget, fn: () => T, opts: { pauses?: readonly number[]; alsoBusy?: (rv: number) => boolean } = {}): T {
  const pauses = opts.pauses ?? BUSY_PAUSES_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      const rv = rvOf(e);
      if (!isBusyAnswer(e) && !(rv !== undefined && opts.alsoBusy?.(rv))) throw e;
      const wait = pauses[attempt];
      if (wait === undefined) throw busyError(target, e, attempt + 1, pauses);
      pause(wait);
    }
  }
}

function busyError(t: BusyTarget, cause: unknown, attempts: number, pauses: readonly number[]): KeyceremonyError {
  const rv = rvOf(cause) as number;
  const seconds = (pauses.reduce((a, b) => a + b, 0) / 1000).toFixed(1);
  const mapped = mapPkcs11Error(cause, t.context);
  return new KeyceremonyError(
    'TOKEN_BUSY',
    `${t.who} stayed busy: it answered ${rvName(rv)} ${attempts} times in ${seconds} s while ${t.context}. ` +
      'Another program is probably using it at the same moment (another keyceremony, pkcs11-tool, a browser): let it finish, then try again. ' +
      'If nothing else uses the token and this repeats, remove and re-insert it (a hardware token may be faulty).',
    { cause, details: { ...(mapped.details ?? {}), attempts, ...(t.details ?? {}) } },
  );
}

/**
 * The ONE login of the token layer: user login when a session opens, the context-specific login a
 * CKA_ALWAYS_AUTHENTICATE key needs after C_SignInit, and the security officer's login in the
 * backup's SO/user switch all come here. It decodes the PIN, calls C_Login, zeroes the PIN bytes in
 * every case, and turns a refusal into a sentence that says how many tries are left.
 *
 * pkcs11js takes the PIN as a JS string for the duration of C_Login (a limit of the binding: that
 * string cannot be zeroed); we keep it only for that call and zero the byte buffer we were given.
 */
import pkcs11js from 'pkcs11js';
import { KeyceremonyError } from '../../../shared/errors';
import { CKU_CONTEXT_SPECIFIC } from './constants';
import { CKR, mapPkcs11Error, rvOf } from './errors';
import { profileById } from './profiles';
import { retryWhileBusy } from './busy';
import type { Handle, LoginRole, TokenInfo } from './types';

export interface LoginTarget {
  lib: pkcs11js.PKCS11;
  session: Handle;
  token: TokenInfo;
  /** Re-read the token's flags after a wrong PIN (to say how many tries are left). */
  refresh?: () => TokenInfo | undefined;
}

const USER_TYPE: Record<LoginRole, number> = { user: pkcs11js.CKU_USER, so: pkcs11js.CKU_SO, context: CKU_CONTEXT_SPECIFIC };
const WHO: Record<LoginRole, string> = { user: 'PIN', so: 'security officer (SO) PIN', context: 'PIN' };

function lockedError(t: TokenInfo, role: LoginRole, cause?: unknown): KeyceremonyError {
  const details = { token: t.label, serial: t.serial, triesLeft: 0 };
  if (role === 'so') {
    return new KeyceremonyError(
      'PIN_LOCKED',
      `The security officer PIN of token "${t.label}" (serial ${t.serial}) is locked. Only a re-initialisation of the token can reset it.`,
      { cause, details },
    );
  }
  const own = profileById(t.profile).pinLockedMessage?.(t);
  return new KeyceremonyError(
    'PIN_LOCKED',
    own ??
      `The PIN of token "${t.label}" (serial ${t.serial}) is locked after too many wrong tries. The security officer must reset it before this token can be used.`,
    { cause, details: own ? { ...details, profile: t.profile } : details },
  );
}

/**
 * Log `role` in on the target's session. `pin` undefined means a PIN pad (the token asks itself);
 * the bytes are zeroed before this returns or throws. Already logged in counts as success.
 */
export function login(t: LoginTarget, role: LoginRole, pin: Uint8Array | undefined): void {
  const token = t.token;
  const details = { token: token.label, serial: token.serial };
  try {
    if (role === 'so' ? token.flags.soPinLocked : role === 'user' && token.flags.pinLocked) throw lockedError(token, role);
    if (!pin && !token.flags.protectedAuthenticationPath) {
      throw new KeyceremonyError('PIN_REQUIRED', `Token "${token.label}" needs its ${WHO[role]} to continue.`, { details: { ...details, role } });
    }
    // A PIN the token says it cannot accept is refused here, before C_Login: some modules
    // (openCryptoki) count it as a wrong PIN and use up a try.
    const { minPinLen: min, maxPinLen: max } = token;
    if (pin && role !== 'so' && max > 0 && max < 0xffff && min <= max && (pin.length < min || pin.length > max)) {
      throw new KeyceremonyError(
        'PIN_INVALID',
        `Token "${token.label}" accepts PINs of ${min} to ${max} characters; this one has ${pin.length}. Nothing was sent to the token, no try was used.`,
        {
          where: 'pin',
          details: { ...details, minPinLen: min, maxPinLen: max },
        },
      );
    }
    const ctx = `logging in to token "${token.label}" (serial ${token.serial})${role === 'so' ? ' as security officer' : ''}`;
    try {
      // a token another process is writing to answers GENERAL_ERROR for a moment: asked again (./busy.ts)
      // (and what the token's profile knows to be transient: SoftHSM's USER_PIN_NOT_INITIALIZED then,
      // although the flags say the PIN is set)
      const busy = { who: `Token "${token.label}" (serial ${token.serial})`, context: ctx, details };
      const alsoBusy = (rv: number) => token.flags.userPinInitialized && profileById(token.profile).transient?.(rv, 'login') === true;
      if (pin) retryWhileBusy(busy, () => t.lib.C_Login(t.session, USER_TYPE[role], new TextDecoder().decode(pin)), { alsoBusy });
      else retryWhileBusy(busy, () => t.lib.C_Login(t.session, USER_TYPE[role]), { alsoBusy }); // PIN pad: the token asks for the PIN itself
    } catch (e) {
      const rv = rvOf(e);
      if (rv === CKR.USER_ALREADY_LOGGED_IN) return;
      if (rv === CKR.PIN_LOCKED) throw lockedError(token, role, e);
      throw withProfileNote(rv === CKR.PIN_INCORRECT ? wrongPin(t, role, e) : mapPkcs11Error(e, ctx, details), token, rv);
    }
  } finally {
    pin?.fill(0);
  }
}

/** The token profile's sentence for a login refusal this module is known for (tpm2: the TPM's lockout). */
function withProfileNote(err: KeyceremonyError, token: TokenInfo, rv: number | undefined): KeyceremonyError {
  const note = rv === undefined ? undefined : profileById(token.profile).explain?.(rv, 'login');
  if (!note) return err;
  return new KeyceremonyError(err.code, `${err.message} ${note}`, {
    cause: err.cause,
    ...(err.where ? { where: err.where } : {}),
    ...(err.details ? { details: { ...err.details, profile: token.profile } } : {}),
  });
}

function wrongPin(t: LoginTarget, role: LoginRole, cause: unknown): KeyceremonyError {
  const token = t.token;
  const now = t.refresh?.();
  const f = now?.flags;
  const locked = role === 'so' ? f?.soPinLocked : f?.pinLocked;
  if (locked) {
    const e = lockedError(token, role, cause);
    return new KeyceremonyError('PIN_LOCKED', `Wrong ${WHO[role]}: ${e.message}`, {
      cause,
      details: { token: token.label, serial: token.serial, triesLeft: 0 },
    });
  }
  const finalTry = role === 'so' ? f?.soPinFinalTry : f?.pinFinalTry;
  const countLow = role === 'so' ? f?.soPinCountLow : f?.pinCountLow;
  // exact count where the token's profile knows how its flags map to tries (ykcs11, openCryptoki)
  const left = role === 'user' ? now?.pinTriesLeft : undefined;
  const tries = finalTry
    ? ' Only ONE try is left before the token locks.'
    : left !== undefined
      ? ` ${left} tries are left before the token locks.`
      : countLow
        ? ' Few tries are left before the token locks.'
        : '';
  return new KeyceremonyError('PIN_INCORRECT', `Wrong ${WHO[role]} for token "${token.label}" (serial ${token.serial}).${tries} Check the PIN and try again.`, {
    cause,
    details: {
      token: token.label,
      serial: token.serial,
      role,
      ...(finalTry ? { triesLeft: 1, finalTry: true } : left !== undefined ? { triesLeft: left } : {}),
      ...(countLow ? { pinCountLow: true } : {}),
    },
  });
}

/**
 * Change a PIN with C_SetPIN (PKCS#11 v2.40 §5.6): the user's PIN on a session nobody is logged in
 * to, or the security officer's after the SO logged in (`role` "so"; the caller logs in first). Both
 * byte buffers are zeroed in every case; a wrong old PIN says how many tries are left, like login.
 */
export function changePin(t: LoginTarget, role: 'user' | 'so', oldPin: Uint8Array, newPin: Uint8Array): void {
  const token = t.token;
  try {
    if (role === 'user' ? token.flags.pinLocked : token.flags.soPinLocked) throw lockedError(token, role);
    try {
      t.lib.C_SetPIN(t.session, new TextDecoder().decode(oldPin), new TextDecoder().decode(newPin));
    } catch (e) {
      const rv = rvOf(e);
      if (rv === CKR.PIN_INCORRECT) throw wrongPin(t, role, e);
      if (rv === CKR.PIN_LOCKED) throw lockedError(token, role, e);
      throw mapPkcs11Error(e, `changing the ${WHO[role]} of token "${token.label}" (serial ${token.serial})`, { token: token.label, serial: token.serial });
    }
  } finally {
    oldPin.fill(0);
    newPin.fill(0);
  }
}

/** Log out; a session that is gone or was never logged in is not an error here. */
export function logout(t: Pick<LoginTarget, 'lib' | 'session'>): void {
  try {
    t.lib.C_Logout(t.session);
  } catch {
    /* not logged in, or the session is already gone */
  }
}

import { KeyceremonyError, type ErrorCode } from '../../../shared/errors';

/**
 * Every CK_RV becomes a domain error with a sentence a custodian understands and what to do next.
 * The PKCS#11 name and number go into `details` for the technically minded. No PIN is ever included.
 */
interface Mapping {
  code: ErrorCode;
  message: string;
}

const RV: Record<number, [string, Mapping]> = {
  0x05: ['CKR_GENERAL_ERROR', { code: 'DEVICE_ERROR', message: 'The token reported a general error. Remove and re-insert it, then try again.' }],
  0x06: ['CKR_FUNCTION_FAILED', { code: 'DEVICE_ERROR', message: 'The token could not complete the operation. Try again; if it repeats, use another token.' }],
  0x07: ['CKR_ARGUMENTS_BAD', { code: 'INVALID_INPUT', message: 'The token rejected the request as malformed. This is a bug in keyceremony or an unsupported token; please report it.' }],
  0x12: ['CKR_ATTRIBUTE_TYPE_INVALID', { code: 'MECHANISM_UNSUPPORTED', message: 'The token does not support a key attribute keyceremony needs for this key type.' }],
  0x13: ['CKR_ATTRIBUTE_VALUE_INVALID', { code: 'ALGORITHM_UNSUPPORTED', message: 'The token does not accept the key parameters requested (curve or size). Choose another key type.' }],
  0x11: ['CKR_ATTRIBUTE_SENSITIVE', { code: 'KEY_NOT_EXTRACTABLE', message: 'The key material is sensitive and cannot be read from the token, as intended.' }],
  0x10: ['CKR_ATTRIBUTE_READ_ONLY', { code: 'PRECONDITION_FAILED', message: 'The token does not allow this key attribute to be set by this user.' }],
  0x30: ['CKR_DEVICE_ERROR', { code: 'DEVICE_ERROR', message: 'The token reported a hardware error. Remove and re-insert it; if it repeats, the token may be faulty.' }],
  0x31: ['CKR_DEVICE_MEMORY', { code: 'TOKEN_FULL', message: 'The token has no room for another object. Delete unused keys or use another token.' }],
  0x32: ['CKR_DEVICE_REMOVED', { code: 'TOKEN_NOT_PRESENT', message: 'The token was removed. Insert it again and repeat the step.' }],
  0x40: ['CKR_ENCRYPTED_DATA_INVALID', { code: 'INVALID_INPUT', message: 'The token could not decrypt the data given.' }],
  0x50: ['CKR_FUNCTION_CANCELED', { code: 'CANCELLED', message: 'The operation was cancelled on the token.' }],
  0x54: ['CKR_FUNCTION_NOT_SUPPORTED', { code: 'MECHANISM_UNSUPPORTED', message: 'The token does not support this operation.' }],
  0x60: ['CKR_KEY_HANDLE_INVALID', { code: 'KEY_NOT_FOUND', message: 'The key is no longer on the token (it may have been deleted or the token swapped).' }],
  0x63: ['CKR_KEY_TYPE_INCONSISTENT', { code: 'KEY_UNUSABLE', message: 'This key cannot be used with the chosen algorithm.' }],
  0x68: ['CKR_KEY_FUNCTION_NOT_PERMITTED', { code: 'KEY_UNUSABLE', message: 'The key is not allowed to do this on the token (its usage flags forbid it).' }],
  0x6a: ['CKR_KEY_UNEXTRACTABLE', { code: 'KEY_NOT_EXTRACTABLE', message: 'The key was created non-extractable and cannot be backed up. Only keys made with the backup-able profile can be.' }],
  0x67: ['CKR_KEY_INDIGESTIBLE', { code: 'KEY_UNUSABLE', message: 'The token cannot digest this key.' }],
  0x69: ['CKR_KEY_NOT_WRAPPABLE', { code: 'KEY_NOT_EXTRACTABLE', message: 'The token refuses to wrap this key with the given wrapping key (a backup-able key can only be wrapped by a trusted key).' }],
  0x70: ['CKR_MECHANISM_INVALID', { code: 'MECHANISM_UNSUPPORTED', message: 'The token does not support this algorithm or mechanism. Choose another key type or token.' }],
  0x71: ['CKR_MECHANISM_PARAM_INVALID', { code: 'MECHANISM_UNSUPPORTED', message: 'The token does not accept the parameters for this mechanism.' }],
  0x82: ['CKR_OBJECT_HANDLE_INVALID', { code: 'KEY_NOT_FOUND', message: 'The object is no longer on the token.' }],
  0x90: ['CKR_OPERATION_ACTIVE', { code: 'SESSION_FAILED', message: 'Another operation is still running on the token. Wait for it to finish and try again.' }],
  0x91: ['CKR_OPERATION_NOT_INITIALIZED', { code: 'SESSION_FAILED', message: 'The token lost track of the operation. Repeat the step.' }],
  0xa0: ['CKR_PIN_INCORRECT', { code: 'PIN_INCORRECT', message: 'The PIN is incorrect. Check it and try again; repeated wrong PINs lock the token.' }],
  0xa1: ['CKR_PIN_INVALID', { code: 'PIN_INVALID', message: 'The PIN contains characters the token does not accept.' }],
  0xa2: ['CKR_PIN_LEN_RANGE', { code: 'PIN_INVALID', message: 'The PIN is too short or too long for this token.' }],
  0xa3: ['CKR_PIN_EXPIRED', { code: 'PIN_EXPIRED', message: 'The PIN has expired. Change it with the token vendor tool, then try again.' }],
  0xa4: ['CKR_PIN_LOCKED', { code: 'PIN_LOCKED', message: 'The PIN is locked after too many wrong tries. The security officer must unlock it (reset the user PIN) before this token can be used.' }],
  0xb0: ['CKR_SESSION_CLOSED', { code: 'SESSION_CLOSED', message: 'The session with the token was closed (was it removed?). Repeat the step.' }],
  0xb1: ['CKR_SESSION_COUNT', { code: 'SESSION_FAILED', message: 'The token has too many open sessions. Close other applications using it.' }],
  0xb3: ['CKR_SESSION_HANDLE_INVALID', { code: 'SESSION_CLOSED', message: 'The session with the token is no longer valid (was it removed?). Repeat the step.' }],
  0xb5: ['CKR_SESSION_READ_ONLY', { code: 'TOKEN_WRITE_PROTECTED', message: 'The token session is read-only; this step needs to write to the token.' }],
  0xb6: ['CKR_SESSION_EXISTS', { code: 'SESSION_FAILED', message: 'A session with this token already exists.' }],
  0xb8: ['CKR_SESSION_READ_ONLY_EXISTS', { code: 'SESSION_FAILED', message: 'A read-only session prevents the security officer from logging in.' }],
  0xc0: ['CKR_SIGNATURE_INVALID', { code: 'INVALID_SIGNATURE', message: 'The token says the signature is invalid.' }],
  0xc1: ['CKR_SIGNATURE_LEN_RANGE', { code: 'INVALID_SIGNATURE', message: 'The signature has the wrong length.' }],
  0xd0: ['CKR_TEMPLATE_INCOMPLETE', { code: 'MECHANISM_UNSUPPORTED', message: 'The token needs key attributes keyceremony did not give; it may not support this key type.' }],
  0xd1: ['CKR_TEMPLATE_INCONSISTENT', { code: 'MECHANISM_UNSUPPORTED', message: 'The token refuses this combination of key attributes.' }],
  0xe0: ['CKR_TOKEN_NOT_PRESENT', { code: 'TOKEN_NOT_PRESENT', message: 'No token is in the reader. Insert the token and try again.' }],
  0xe1: ['CKR_TOKEN_NOT_RECOGNIZED', { code: 'TOKEN_NOT_RECOGNIZED', message: 'The reader does not recognise the token. Re-insert it or try another reader.' }],
  0xe2: ['CKR_TOKEN_WRITE_PROTECTED', { code: 'TOKEN_WRITE_PROTECTED', message: 'The token is write-protected; keys cannot be created on it.' }],
  0xf0: ['CKR_UNWRAPPING_KEY_HANDLE_INVALID', { code: 'KEY_NOT_FOUND', message: 'The unwrapping key is not on the token.' }],
  0x100: ['CKR_USER_ALREADY_LOGGED_IN', { code: 'ALREADY_LOGGED_IN', message: 'Already logged in to the token.' }],
  0x101: ['CKR_USER_NOT_LOGGED_IN', { code: 'USER_ACTION_REQUIRED', message: 'The token needs you to log in again, or to confirm on the device (touch it or enter the PIN on its pad), then repeat the step.' }],
  0x102: ['CKR_USER_PIN_NOT_INITIALIZED', { code: 'PIN_REQUIRED', message: 'The token has no user PIN set. Initialise it with the vendor tool first.' }],
  0x103: ['CKR_USER_TYPE_INVALID', { code: 'INVALID_INPUT', message: 'The token does not accept this kind of login.' }],
  0x104: ['CKR_USER_ANOTHER_ALREADY_LOGGED_IN', { code: 'ALREADY_LOGGED_IN', message: 'Another user (the security officer?) is logged in to this token. Log them out first.' }],
  0x110: ['CKR_WRAPPED_KEY_INVALID', { code: 'INVALID_INPUT', message: 'The wrapped key blob is damaged or was wrapped with another key.' }],
  0x112: ['CKR_WRAPPED_KEY_LEN_RANGE', { code: 'INVALID_INPUT', message: 'The wrapped key blob has the wrong length: it is damaged or truncated.' }],
  0x113: ['CKR_WRAPPING_KEY_HANDLE_INVALID', { code: 'KEY_NOT_FOUND', message: 'The wrapping key is not on the token.' }],
  0x115: ['CKR_WRAPPING_KEY_TYPE_INCONSISTENT', { code: 'KEY_UNUSABLE', message: 'The wrapping key cannot wrap with this mechanism.' }],
  0x150: ['CKR_BUFFER_TOO_SMALL', { code: 'INTERNAL', message: 'Internal buffer too small for the token answer; please report this.' }],
  0x190: ['CKR_CRYPTOKI_NOT_INITIALIZED', { code: 'MODULE_LOAD_FAILED', message: 'The PKCS#11 module is not initialised.' }],
  0x191: ['CKR_CRYPTOKI_ALREADY_INITIALIZED', { code: 'MODULE_LOAD_FAILED', message: 'The PKCS#11 module was already initialised.' }],
  0x1b0: ['CKR_PIN_TOO_WEAK', { code: 'PIN_INVALID', message: 'The token considers this PIN too weak.' }],
  0x3: ['CKR_SLOT_ID_INVALID', { code: 'TOKEN_NOT_PRESENT', message: 'The token reader (slot) is gone. Re-insert the token.' }],
};

export const CKR = {
  OK: 0,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
  USER_ALREADY_LOGGED_IN: 0x100,
  PIN_INCORRECT: 0xa0,
  PIN_LOCKED: 0xa4,
  USER_NOT_LOGGED_IN: 0x101,
} as const;

export function rvName(rv: number): string {
  return RV[rv]?.[0] ?? `CKR_0x${rv.toString(16)}`;
}

/** The CK_RV carried by a pkcs11js error, if any. */
export function rvOf(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/**
 * Map an error thrown by pkcs11js to a KeyceremonyError. `context` says what we were doing (no
 * secrets), e.g. "logging in to token 'tokA'". Errors already mapped pass through.
 */
export function mapPkcs11Error(e: unknown, context: string, extra?: Record<string, string | number | boolean>): KeyceremonyError {
  if (e instanceof KeyceremonyError) return e;
  const rv = rvOf(e);
  if (rv === undefined) {
    const msg = e instanceof Error ? e.message : String(e);
    return new KeyceremonyError('PKCS11_ERROR', `PKCS#11 failure while ${context}: ${msg}`, { cause: e, details: extra });
  }
  const [name, m] = RV[rv] ?? [rvName(rv), { code: 'PKCS11_ERROR' as ErrorCode, message: 'The token returned an unexpected error.' }];
  return new KeyceremonyError(m.code, `${m.message} (while ${context}; ${name})`, {
    cause: e,
    details: { ckr: name, rv: `0x${rv.toString(16)}`, ...extra },
  });
}

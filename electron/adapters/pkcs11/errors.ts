/**
 * Every CK_RV becomes a domain error with a sentence a custodian understands and what to do next.
 * The PKCS#11 name and number go into `details` for the technically minded. No PIN is ever included.
 * Return values are named (`CKR.KEY_NOT_WRAPPABLE`), their numbers come from pkcs11js.
 */
import pkcs11js from 'pkcs11js';
import { KeyceremonyError, type ErrorCode } from '../../../shared/errors';

/** The CK_RVs keyceremony names, by their PKCS#11 name without the CKR_ prefix. */
export const CKR = {
  OK: pkcs11js.CKR_OK,
  GENERAL_ERROR: pkcs11js.CKR_GENERAL_ERROR,
  FUNCTION_FAILED: pkcs11js.CKR_FUNCTION_FAILED,
  ARGUMENTS_BAD: pkcs11js.CKR_ARGUMENTS_BAD,
  ATTRIBUTE_TYPE_INVALID: pkcs11js.CKR_ATTRIBUTE_TYPE_INVALID,
  ATTRIBUTE_VALUE_INVALID: pkcs11js.CKR_ATTRIBUTE_VALUE_INVALID,
  ATTRIBUTE_SENSITIVE: pkcs11js.CKR_ATTRIBUTE_SENSITIVE,
  ATTRIBUTE_READ_ONLY: pkcs11js.CKR_ATTRIBUTE_READ_ONLY,
  DEVICE_ERROR: pkcs11js.CKR_DEVICE_ERROR,
  DEVICE_MEMORY: pkcs11js.CKR_DEVICE_MEMORY,
  DEVICE_REMOVED: pkcs11js.CKR_DEVICE_REMOVED,
  ENCRYPTED_DATA_INVALID: pkcs11js.CKR_ENCRYPTED_DATA_INVALID,
  FUNCTION_CANCELED: pkcs11js.CKR_FUNCTION_CANCELED,
  FUNCTION_NOT_SUPPORTED: pkcs11js.CKR_FUNCTION_NOT_SUPPORTED,
  KEY_HANDLE_INVALID: pkcs11js.CKR_KEY_HANDLE_INVALID,
  KEY_TYPE_INCONSISTENT: pkcs11js.CKR_KEY_TYPE_INCONSISTENT,
  KEY_FUNCTION_NOT_PERMITTED: pkcs11js.CKR_KEY_FUNCTION_NOT_PERMITTED,
  KEY_UNEXTRACTABLE: pkcs11js.CKR_KEY_UNEXTRACTABLE,
  KEY_INDIGESTIBLE: pkcs11js.CKR_KEY_INDIGESTIBLE,
  KEY_NOT_WRAPPABLE: pkcs11js.CKR_KEY_NOT_WRAPPABLE,
  MECHANISM_INVALID: pkcs11js.CKR_MECHANISM_INVALID,
  MECHANISM_PARAM_INVALID: pkcs11js.CKR_MECHANISM_PARAM_INVALID,
  OBJECT_HANDLE_INVALID: pkcs11js.CKR_OBJECT_HANDLE_INVALID,
  OPERATION_ACTIVE: pkcs11js.CKR_OPERATION_ACTIVE,
  OPERATION_NOT_INITIALIZED: pkcs11js.CKR_OPERATION_NOT_INITIALIZED,
  PIN_INCORRECT: pkcs11js.CKR_PIN_INCORRECT,
  PIN_INVALID: pkcs11js.CKR_PIN_INVALID,
  PIN_LEN_RANGE: pkcs11js.CKR_PIN_LEN_RANGE,
  PIN_EXPIRED: pkcs11js.CKR_PIN_EXPIRED,
  PIN_LOCKED: pkcs11js.CKR_PIN_LOCKED,
  SESSION_CLOSED: pkcs11js.CKR_SESSION_CLOSED,
  SESSION_COUNT: pkcs11js.CKR_SESSION_COUNT,
  SESSION_HANDLE_INVALID: pkcs11js.CKR_SESSION_HANDLE_INVALID,
  SESSION_READ_ONLY: pkcs11js.CKR_SESSION_READ_ONLY,
  SESSION_EXISTS: pkcs11js.CKR_SESSION_EXISTS,
  SESSION_READ_ONLY_EXISTS: pkcs11js.CKR_SESSION_READ_ONLY_EXISTS,
  SIGNATURE_INVALID: pkcs11js.CKR_SIGNATURE_INVALID,
  SIGNATURE_LEN_RANGE: pkcs11js.CKR_SIGNATURE_LEN_RANGE,
  TEMPLATE_INCOMPLETE: pkcs11js.CKR_TEMPLATE_INCOMPLETE,
  TEMPLATE_INCONSISTENT: pkcs11js.CKR_TEMPLATE_INCONSISTENT,
  TOKEN_NOT_PRESENT: pkcs11js.CKR_TOKEN_NOT_PRESENT,
  TOKEN_NOT_RECOGNIZED: pkcs11js.CKR_TOKEN_NOT_RECOGNIZED,
  TOKEN_WRITE_PROTECTED: pkcs11js.CKR_TOKEN_WRITE_PROTECTED,
  UNWRAPPING_KEY_HANDLE_INVALID: pkcs11js.CKR_UNWRAPPING_KEY_HANDLE_INVALID,
  USER_ALREADY_LOGGED_IN: pkcs11js.CKR_USER_ALREADY_LOGGED_IN,
  USER_NOT_LOGGED_IN: pkcs11js.CKR_USER_NOT_LOGGED_IN,
  USER_PIN_NOT_INITIALIZED: pkcs11js.CKR_USER_PIN_NOT_INITIALIZED,
  USER_TYPE_INVALID: pkcs11js.CKR_USER_TYPE_INVALID,
  USER_ANOTHER_ALREADY_LOGGED_IN: pkcs11js.CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
  WRAPPED_KEY_INVALID: pkcs11js.CKR_WRAPPED_KEY_INVALID,
  WRAPPED_KEY_LEN_RANGE: pkcs11js.CKR_WRAPPED_KEY_LEN_RANGE,
  WRAPPING_KEY_HANDLE_INVALID: pkcs11js.CKR_WRAPPING_KEY_HANDLE_INVALID,
  WRAPPING_KEY_TYPE_INCONSISTENT: pkcs11js.CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
  BUFFER_TOO_SMALL: pkcs11js.CKR_BUFFER_TOO_SMALL,
  CRYPTOKI_NOT_INITIALIZED: pkcs11js.CKR_CRYPTOKI_NOT_INITIALIZED,
  CRYPTOKI_ALREADY_INITIALIZED: pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED,
  PIN_TOO_WEAK: pkcs11js.CKR_PIN_TOO_WEAK,
  SLOT_ID_INVALID: pkcs11js.CKR_SLOT_ID_INVALID,
  SESSION_READ_WRITE_SO_EXISTS: pkcs11js.CKR_SESSION_READ_WRITE_SO_EXISTS,
} as const;

/** [rv, domain code, what happened and what to do]. */
const MAPPINGS: [number, ErrorCode, string][] = [
  [
    CKR.GENERAL_ERROR,
    'DEVICE_ERROR',
    'The token reported a general error. If another program is using it at the same moment, let it finish and try again; if it repeats, remove and re-insert it.',
  ],
  [CKR.FUNCTION_FAILED, 'DEVICE_ERROR', 'The token could not complete the operation. Try again; if it repeats, use another token.'],
  [CKR.ARGUMENTS_BAD, 'INVALID_INPUT', 'The token rejected the request as malformed. This is a bug in keyceremony or an unsupported token; please report it.'],
  [CKR.ATTRIBUTE_TYPE_INVALID, 'MECHANISM_UNSUPPORTED', 'The token does not support a key attribute keyceremony needs for this key type.'],
  [CKR.ATTRIBUTE_VALUE_INVALID, 'ALGORITHM_UNSUPPORTED', 'The token does not accept the key parameters requested (curve or size). Choose another key type.'],
  [CKR.ATTRIBUTE_SENSITIVE, 'KEY_NOT_EXTRACTABLE', 'The key material is sensitive and cannot be read from the token, as intended.'],
  [CKR.ATTRIBUTE_READ_ONLY, 'PRECONDITION_FAILED', 'The token does not allow this key attribute to be set by this user.'],
  [
    CKR.DEVICE_ERROR,
    'DEVICE_ERROR',
    'The token reported a device error. If another program is using it at the same moment, let it finish and try again; if it repeats, remove and re-insert it (the token may be faulty).',
  ],
  [CKR.DEVICE_MEMORY, 'TOKEN_FULL', 'The token has no room for another object. Delete unused keys or use another token.'],
  [CKR.DEVICE_REMOVED, 'TOKEN_NOT_PRESENT', 'The token was removed. Insert it again and repeat the step.'],
  [CKR.ENCRYPTED_DATA_INVALID, 'INVALID_INPUT', 'The token could not decrypt the data given.'],
  [CKR.FUNCTION_CANCELED, 'CANCELLED', 'The operation was cancelled on the token.'],
  [CKR.FUNCTION_NOT_SUPPORTED, 'MECHANISM_UNSUPPORTED', 'The token does not support this operation.'],
  [CKR.KEY_HANDLE_INVALID, 'KEY_NOT_FOUND', 'The key is no longer on the token (it may have been deleted or the token swapped).'],
  [CKR.KEY_TYPE_INCONSISTENT, 'KEY_UNUSABLE', 'This key cannot be used with the chosen algorithm.'],
  [CKR.KEY_FUNCTION_NOT_PERMITTED, 'KEY_UNUSABLE', 'The key is not allowed to do this on the token (its usage flags forbid it).'],
  [
    CKR.KEY_UNEXTRACTABLE,
    'KEY_NOT_EXTRACTABLE',
    'The key was created non-extractable and cannot be backed up. Only keys made with the backup-able profile can be.',
  ],
  [CKR.KEY_INDIGESTIBLE, 'KEY_UNUSABLE', 'The token cannot digest this key.'],
  [
    CKR.KEY_NOT_WRAPPABLE,
    'KEY_NOT_EXTRACTABLE',
    'The token refuses to wrap this key with the given wrapping key (a backup-able key can only be wrapped by a trusted key).',
  ],
  [CKR.MECHANISM_INVALID, 'MECHANISM_UNSUPPORTED', 'The token does not support this algorithm or mechanism. Choose another key type or token.'],
  [CKR.MECHANISM_PARAM_INVALID, 'MECHANISM_UNSUPPORTED', 'The token does not accept the parameters for this mechanism.'],
  [CKR.OBJECT_HANDLE_INVALID, 'KEY_NOT_FOUND', 'The object is no longer on the token.'],
  [CKR.OPERATION_ACTIVE, 'SESSION_FAILED', 'Another operation is still running on the token. Wait for it to finish and try again.'],
  [CKR.OPERATION_NOT_INITIALIZED, 'SESSION_FAILED', 'The token lost track of the operation. Repeat the step.'],
  [CKR.PIN_INCORRECT, 'PIN_INCORRECT', 'The PIN is incorrect. Check it and try again; repeated wrong PINs lock the token.'],
  [CKR.PIN_INVALID, 'PIN_INVALID', 'The PIN contains characters the token does not accept.'],
  [CKR.PIN_LEN_RANGE, 'PIN_INVALID', 'The PIN is too short or too long for this token.'],
  [CKR.PIN_EXPIRED, 'PIN_EXPIRED', 'The PIN has expired. Change it with the token vendor tool, then try again.'],
  [
    CKR.PIN_LOCKED,
    'PIN_LOCKED',
    'The PIN is locked after too many wrong tries. The security officer must unlock it (reset the user PIN) before this token can be used.',
  ],
  [CKR.SESSION_CLOSED, 'SESSION_CLOSED', 'The session with the token was closed (was it removed?). Repeat the step.'],
  [CKR.SESSION_COUNT, 'SESSION_FAILED', 'The token has too many open sessions. Close other applications using it.'],
  [CKR.SESSION_HANDLE_INVALID, 'SESSION_CLOSED', 'The session with the token is no longer valid (was it removed?). Repeat the step.'],
  [CKR.SESSION_READ_ONLY, 'TOKEN_WRITE_PROTECTED', 'The token session is read-only; this step needs to write to the token.'],
  [CKR.SESSION_EXISTS, 'SESSION_FAILED', 'A session with this token already exists.'],
  [CKR.SESSION_READ_ONLY_EXISTS, 'SESSION_FAILED', 'A read-only session prevents the security officer from logging in.'],
  [
    CKR.SESSION_READ_WRITE_SO_EXISTS,
    'SESSION_FAILED',
    'The security officer is logged in to this token in another session. Log them out (close the other program), then repeat the step.',
  ],
  [CKR.SIGNATURE_INVALID, 'INVALID_SIGNATURE', 'The token says the signature is invalid.'],
  [CKR.SIGNATURE_LEN_RANGE, 'INVALID_SIGNATURE', 'The signature has the wrong length.'],
  [CKR.TEMPLATE_INCOMPLETE, 'MECHANISM_UNSUPPORTED', 'The token needs key attributes keyceremony did not give; it may not support this key type.'],
  [CKR.TEMPLATE_INCONSISTENT, 'MECHANISM_UNSUPPORTED', 'The token refuses this combination of key attributes.'],
  [CKR.TOKEN_NOT_PRESENT, 'TOKEN_NOT_PRESENT', 'No token is in the reader. Insert the token and try again.'],
  [CKR.TOKEN_NOT_RECOGNIZED, 'TOKEN_NOT_RECOGNIZED', 'The reader does not recognise the token. Re-insert it or try another reader.'],
  [CKR.TOKEN_WRITE_PROTECTED, 'TOKEN_WRITE_PROTECTED', 'The token is write-protected; keys cannot be created on it.'],
  [CKR.UNWRAPPING_KEY_HANDLE_INVALID, 'KEY_NOT_FOUND', 'The unwrapping key is not on the token.'],
  [CKR.USER_ALREADY_LOGGED_IN, 'ALREADY_LOGGED_IN', 'Already logged in to the token.'],
  [
    CKR.USER_NOT_LOGGED_IN,
    'USER_ACTION_REQUIRED',
    'The token needs you to log in again, or to confirm on the device (touch it or enter the PIN on its pad), then repeat the step.',
  ],
  [CKR.USER_PIN_NOT_INITIALIZED, 'PIN_REQUIRED', 'The token has no user PIN set. Initialise it with the vendor tool first.'],
  [CKR.USER_TYPE_INVALID, 'INVALID_INPUT', 'The token does not accept this kind of login.'],
  [CKR.USER_ANOTHER_ALREADY_LOGGED_IN, 'ALREADY_LOGGED_IN', 'Another user (the security officer?) is logged in to this token. Log them out first.'],
  [CKR.WRAPPED_KEY_INVALID, 'INVALID_INPUT', 'The wrapped key blob is damaged or was wrapped with another key.'],
  [CKR.WRAPPED_KEY_LEN_RANGE, 'INVALID_INPUT', 'The wrapped key blob has the wrong length: it is damaged or truncated.'],
  [CKR.WRAPPING_KEY_HANDLE_INVALID, 'KEY_NOT_FOUND', 'The wrapping key is not on the token.'],
  [CKR.WRAPPING_KEY_TYPE_INCONSISTENT, 'KEY_UNUSABLE', 'The wrapping key cannot wrap with this mechanism.'],
  [CKR.BUFFER_TOO_SMALL, 'INTERNAL', 'Internal buffer too small for the token answer; please report this.'],
  [CKR.CRYPTOKI_NOT_INITIALIZED, 'MODULE_LOAD_FAILED', 'The PKCS#11 module is not initialised.'],
  [CKR.CRYPTOKI_ALREADY_INITIALIZED, 'MODULE_LOAD_FAILED', 'The PKCS#11 module was already initialised.'],
  [CKR.PIN_TOO_WEAK, 'PIN_INVALID', 'The token considers this PIN too weak.'],
  [CKR.SLOT_ID_INVALID, 'TOKEN_NOT_PRESENT', 'The token reader (slot) is gone. Re-insert the token.'],
];

const RV = new Map<number, { code: ErrorCode; message: string }>(MAPPINGS.map(([rv, code, message]) => [rv, { code, message }]));

/** PKCS#11 names of every CK_RV pkcs11js knows (for `details.ckr`), not only the mapped ones. */
const RV_NAMES = new Map<number, string>(
  Object.entries(pkcs11js)
    .filter((e): e is [string, number] => e[0].startsWith('CKR_') && typeof e[1] === 'number')
    .map(([name, rv]) => [rv, name]),
);

export function rvName(rv: number): string {
  return RV_NAMES.get(rv) ?? `CKR_0x${rv.toString(16)}`;
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
  const m = RV.get(rv) ?? { code: 'PKCS11_ERROR' as ErrorCode, message: 'The token returned an unexpected error.' };
  const name = rvName(rv);
  return new KeyceremonyError(m.code, `${m.message} (while ${context}; ${name})`, {
    cause: e,
    details: { ckr: name, rv: `0x${rv.toString(16)}`, ...extra },
  });
}

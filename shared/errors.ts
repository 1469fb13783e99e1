/**
 * Domain error codes shared by main, renderer and CLI. Every failure that reaches a person is one of
 * these codes with a sentence that says what happened and what to do next. Messages never contain a
 * PIN, share, KEK or private key.
 */
export const ErrorCodes = [
  // tokens (PKCS#11)
  'PIN_INCORRECT',
  'PIN_LOCKED',
  'PIN_INVALID',
  'PIN_EXPIRED',
  'PIN_REQUIRED',
  /** A share passphrase is needed and there is no terminal to ask on (give --passphrase-file). */
  'PASSPHRASE_REQUIRED',
  /** A share must be typed and there is no terminal (give --share-file). */
  'SHARE_REQUIRED',
  'NOT_LOGGED_IN',
  'ALREADY_LOGGED_IN',
  'TOKEN_NOT_PRESENT',
  'TOKEN_NOT_FOUND',
  'TOKEN_AMBIGUOUS',
  'TOKEN_WRONG',
  'TOKEN_NOT_RECOGNIZED',
  'TOKEN_WRITE_PROTECTED',
  'TOKEN_FULL',
  /** Another process is writing to the token right now; retried, then this. */
  'TOKEN_BUSY',
  /** Another ceremony holds this token for its run. */
  'TOKEN_IN_USE',
  'SESSION_CLOSED',
  'SESSION_FAILED',
  'MECHANISM_UNSUPPORTED',
  'ALGORITHM_UNSUPPORTED',
  'KEY_NOT_FOUND',
  'KEY_EXISTS',
  'KEY_INCOMPLETE',
  'KEY_AMBIGUOUS',
  'KEY_UNUSABLE',
  'KEY_NOT_EXTRACTABLE',
  'USER_ACTION_REQUIRED',
  'DEVICE_ERROR',
  'MODULE_NOT_FOUND',
  'MODULE_LOAD_FAILED',
  'PKCS11_ERROR',
  'SIGNATURE_SELF_CHECK_FAILED',
  // inputs and formats
  'INVALID_INPUT',
  'INVALID_JSON',
  'DUPLICATE_KEY',
  'INVALID_URI',
  'INVALID_KEY',
  'INVALID_SIGNATURE',
  'INVALID_METADATA',
  'INVALID_REFERENCE',
  'UNSUPPORTED_FORMAT',
  'INVALID_ENCODING',
  'TOO_LARGE',
  'PATH_TRAVERSAL',
  // verification
  'VERIFICATION_FAILED',
  'THRESHOLD_NOT_MET',
  'EXPIRED',
  'ROLLBACK',
  'HASH_MISMATCH',
  'SIGNATURE_MISMATCH',
  'ATTESTATION_INVALID',
  // backup / shares
  'SHARE_INVALID',
  'SHARE_CHECKSUM',
  'SHARE_FOREIGN',
  'SHARE_DUPLICATE',
  'SHARES_INSUFFICIENT',
  'KEK_MISMATCH',
  // a server the user named (notary publish)
  'AUTH_FAILED',
  // files and process
  'IO_ERROR',
  'DISK_READ_ONLY',
  'NOT_FOUND',
  'CONFLICT',
  'CANCELLED',
  'PRECONDITION_FAILED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ErrorCodes as readonly string[]).includes(x);
}

/** Serializable error shape: what crosses IPC and what the CLI prints. */
export interface ErrorInfo {
  code: ErrorCode;
  /** One or two sentences a custodian understands: what happened and what to do next. */
  message: string;
  /** Where: a JSON path, a file, a share index, a token label... */
  where?: string;
  /** Extra facts safe to show (never secrets): tries left, the token serial, the PKCS#11 return value. */
  details?: Record<string, string | number | boolean>;
}

/** The one error class of the project (sigstore-js style: a code plus an optional cause). */
export class KeyceremonyError extends Error {
  readonly code: ErrorCode;
  readonly where?: string;
  readonly details?: Record<string, string | number | boolean>;

  constructor(code: ErrorCode, message: string, opts: { where?: string; details?: Record<string, string | number | boolean>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KeyceremonyError';
    this.code = code;
    if (opts.where !== undefined) this.where = opts.where;
    if (opts.details !== undefined) this.details = opts.details;
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.where !== undefined) info.where = this.where;
    if (this.details !== undefined) info.details = this.details;
    return info;
  }
}

export function isKeyceremonyError(e: unknown): e is KeyceremonyError {
  return e instanceof KeyceremonyError;
}

/** Turn anything thrown into ErrorInfo without leaking internals. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof KeyceremonyError) return e.toInfo();
  const msg = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message: `Unexpected error: ${msg}` };
}

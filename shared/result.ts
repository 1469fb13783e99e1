import { type ErrorInfo, toErrorInfo } from './errors';

/** What every IPC handler returns: `{ok, value}` or `{ok:false, error}`. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: ErrorInfo): Result<T> => ({ ok: false, error });

/** Run `fn` and capture any thrown error as a failed Result. */
export async function capture<T>(fn: () => Promise<T> | T): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (e) {
    return fail(toErrorInfo(e));
  }
}

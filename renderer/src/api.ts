/**
 * The renderer's only way to main: `window.keyceremony` (the preload in the app, the Playwright shim
 * in tests). `call` unwraps a Result into a value or throws UiError carrying the {code, message}.
 */
import type { Channel, KeyceremonyApi, MainEvent, Request, Response } from '../../shared/ipc/contract';
import type { ErrorInfo } from '../../shared/errors';

declare global {
  interface Window {
    keyceremony?: KeyceremonyApi;
  }
}

export class UiError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'UiError';
  }
  get code() {
    return this.info.code;
  }
}

function bridge(): KeyceremonyApi {
  const api = window.keyceremony;
  if (!api) throw new UiError({ code: 'INTERNAL', message: 'The app bridge is missing: this page must run inside keyceremony.' });
  return api;
}

export async function call<C extends Channel>(channel: C, request: Request<C>): Promise<Response<C>> {
  const r = await bridge().invoke(channel, request);
  if (r.ok) return r.value;
  throw new UiError(r.error);
}

export function onEvent(listener: (e: MainEvent) => void): () => void {
  return bridge().onEvent(listener);
}

export function toUiError(e: unknown): UiError {
  if (e instanceof UiError) return e;
  return new UiError({ code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
}

let jobCounter = 0;
export function newJobId(prefix = 'job'): string {
  jobCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${jobCounter}`;
}

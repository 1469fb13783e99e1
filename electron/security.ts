/**
 * The app's security constants, free of any electron import so that the harness, the file server
 * and tests can use the very same values main uses (electron/window.ts re-exports them).
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'keyceremony';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** The one Content-Security-Policy of the app (also written as a <meta> in renderer/index.html). */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "media-src 'none'",
  "manifest-src 'none'",
].join('; ');

/** Is this a URL of the app's own files (the only sender main accepts calls from)? */
export function isAppUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
}

/** Requests the app itself may make: its own files, and devtools-internal schemes never. */
export function isAllowedRequestUrl(url: string): boolean {
  return isAppUrl(url);
}

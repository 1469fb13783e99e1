/**
 * The window factory and the lock-down of every web contents. One place sets the security options;
 * test/ui/electron-shell.test.ts loads the BUILT bundle (dist/electron/main.cjs) with a stub
 * `electron` and checks what this file really passes to Electron.
 *
 * - every window: sandbox, contextIsolation, no nodeIntegration, no webview, no remote content;
 * - the app's files are served only through the `app://keyceremony/` scheme (APP_ORIGIN) with a strict
 *   CSP header (default-src 'none' plus the app's own scripts, styles, images and fonts);
 * - navigation, redirects, window.open, webviews and permission requests are all denied;
 * - every other scheme (http, https, ws, wss, ftp, file, data for top-level...) is cancelled.
 */
import { BrowserWindow, type Session, type WebContents } from 'electron';
import { APP_INDEX_URL, CSP, isAllowedRequestUrl, isAppUrl } from './security';

export { APP_HOST, APP_INDEX_URL, APP_ORIGIN, APP_SCHEME, CSP, isAllowedRequestUrl, isAppUrl } from './security';

export function windowOptions(preloadPath: string): Electron.BrowserWindowConstructorOptions {
  return {
    width: 1180,
    height: 820,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'keyceremony',
    backgroundColor: '#ffffff',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: false,
      safeDialogs: true,
      disableDialogs: true,
      autoplayPolicy: 'user-gesture-required',
    },
  };
}

/** Deny navigation, redirects, new windows and webviews on one web contents. */
export function lockDownWebContents(wc: WebContents): void {
  wc.on('will-navigate', (e) => e.preventDefault());
  wc.on('will-frame-navigate', (e) => {
    // The initial load of the app's own page is the only navigation allowed.
    if (!isAppUrl(e.url)) e.preventDefault();
  });
  wc.on('will-redirect', (e) => e.preventDefault());
  wc.on('will-attach-webview', (e) => e.preventDefault());
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Session-wide rules: deny every permission, cancel every request that is not the app's own file, add the CSP. */
export function lockDownSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler?.(() => false);
  ses.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => {
    callback({ cancel: !isAllowedRequestUrl(details.url) });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    headers['Content-Security-Policy'] = [CSP];
    callback({ responseHeaders: headers });
  });
  ses.on('will-download', (e) => e.preventDefault());
}

export function createMainWindow(opts: { preloadPath: string }): BrowserWindow {
  const win = new BrowserWindow(windowOptions(opts.preloadPath));
  lockDownWebContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_INDEX_URL);
  return win;
}

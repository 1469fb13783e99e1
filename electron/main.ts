/**
 * Composition root of the desktop app, nothing else: wires Electron, the lock-down (window.ts), the
 * app:// file server (app-files.ts), the token layer and the IPC handler table (ipc/handlers.ts).
 * Built to dist/electron/main.cjs by scripts/build.mjs.
 *
 * Mode: rehearsal unless started with `--production` (or KEYCEREMONY_MODE=production); the renderer
 * shows the mode at all times and watermarks rehearsal.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from './adapters/fs/atomic';
import { ensureNoCoreDumps } from './adapters/process-hardening';
import { useParallelKeyProver } from './adapters/json-key-prover';
import { FsTokenJournal, defaultTokenJournalDir } from './adapters/fs/token-journal';
import { Pkcs11Module, resolveModulePath } from './adapters/pkcs11';
import { appFile } from './app-files';
import { createIpcHost } from './ipc/handlers';
import { serveOnIpcMain } from './ipc/serve-electron';
import { createMainWindow, lockDownSession, lockDownWebContents } from './window';
import { APP_SCHEME, isAppUrl } from './security';
import type { FilePurpose, FolderPurpose, Mode } from '../shared/ipc/contract';

const BLOCKED_SCHEMES = ['http', 'https', 'file'];

/** File-type filters of the open dialog, per purpose (the person can still choose "All files"). */
const OPEN_FILTERS: Partial<Record<FilePurpose, { name: string; extensions: string[] }[]>> = {
  'ceremony-script': [{ name: 'Ceremony script', extensions: ['json'] }],
  'tuf-root': [{ name: 'TUF root metadata', extensions: ['json'] }],
  'tuf-targets': [{ name: 'TUF targets metadata', extensions: ['json'] }],
  backup: [{ name: 'Backup file', extensions: ['json'] }],
  share: [{ name: 'Share text', extensions: ['txt'] }],
  bundle: [{ name: 'Ceremony bundle', extensions: ['tar'] }],
  'public-key': [{ name: 'Public key (PEM, TUF key JSON, Notary key JSON)', extensions: ['pem', 'pub', 'json', 'key'] }],
  certificate: [{ name: 'Certificate (PEM)', extensions: ['crt', 'pem'] }],
  'image-list': [{ name: 'Image digests, one per line', extensions: ['txt', 'list'] }],
  predicate: [{ name: 'Predicate (JSON)', extensions: ['json'] }],
  report: [{ name: 'Verification report (JSON)', extensions: ['json'] }],
};

/** Titles of the folder dialog, by what the folder is for. */
const FOLDER_TITLES: Record<FolderPurpose, string> = {
  bundle: 'Choose the folder (removable medium) for the ceremony bundle',
  backup: 'Choose a folder to write into',
  export: 'Choose a folder to write into',
  'tuf-metadata': "Choose the TUF repository's metadata folder",
  'notary-repository': 'Choose the Notary repository folder',
  'bundle-folder': 'Choose the ceremony bundle folder',
};

function modeFrom(argv: readonly string[], env: NodeJS.ProcessEnv): Mode {
  return argv.includes('--production') || env.KEYCEREMONY_MODE === 'production' ? 'production' : 'rehearsal';
}

// Before ready: the app:// scheme is standard and secure (so 'self' in the CSP means the app's files).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false, stream: false } },
]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('web-contents-created', (_e, wc) => lockDownWebContents(wc));
  app.on('window-all-closed', () => app.quit());

  void app.whenReady().then(() => {
    try {
      ensureNoCoreDumps(); // core dumps off before any PIN reaches this process (issue 12 item 9)
    } catch (e) {
      dialog.showErrorBox('keyceremony cannot start safely', (e as Error).message);
      app.quit();
      return;
    }
    useParallelKeyProver(); // large JSON: the duplicate-key proof on a second core (docs/performance.md)
    const rendererDir = resolve(__dirname, '..', '..', 'renderer', 'dist');
    const ses = session.defaultSession;
    lockDownSession(ses);
    protocol.handle(APP_SCHEME, async (request) => {
      const a = await appFile(rendererDir, request.url);
      return new Response(a.body as BodyInit | null, { status: a.status, headers: a.headers });
    });
    for (const s of BLOCKED_SCHEMES) protocol.handle(s, () => new Response(null, { status: 403 }));

    const modulePath = resolveModulePath();
    const mode = modeFrom(process.argv, process.env);
    let mod: Pkcs11Module | undefined;
    const openModule = () => (mod ??= Pkcs11Module.open(modulePath));
    const host = createIpcHost(
      {
        mode,
        version: app.getVersion(),
        moduleName: modulePath ? basename(modulePath) : null,
        openTokens: openModule,
        tokenJournal: new FsTokenJournal(defaultTokenJournalDir()),
        ceremony: { workDir: join(app.getPath('documents'), 'keyceremony'), rehearsal: mode === 'rehearsal', module: openModule },
        saveFile: async (req) => {
          const parent = win ?? BrowserWindow.getFocusedWindow();
          const opts = {
            defaultPath: req.suggestedName,
            properties: ['createDirectory', 'showOverwriteConfirmation'] as ('createDirectory' | 'showOverwriteConfirmation')[],
          };
          const r = parent ? await dialog.showSaveDialog(parent, opts) : await dialog.showSaveDialog(opts);
          if (r.canceled || !r.filePath) return { saved: false, name: req.suggestedName };
          writeFileAtomic(r.filePath, req.text, { mode: 0o600 });
          return { saved: true, name: basename(r.filePath), path: r.filePath };
        },
        files: {
          chooseFolder: async ({ purpose }) => {
            const parent = win ?? BrowserWindow.getFocusedWindow();
            const opts = {
              title: FOLDER_TITLES[purpose],
              properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[],
            };
            const r = parent ? await dialog.showOpenDialog(parent, opts) : await dialog.showOpenDialog(opts);
            return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
          },
          openFile: async ({ purpose }) => {
            const parent = win ?? BrowserWindow.getFocusedWindow();
            const filters = OPEN_FILTERS[purpose] ?? [];
            const opts = { title: 'Open a file', properties: ['openFile'] as 'openFile'[], filters: [...filters, { name: 'All files', extensions: ['*'] }] };
            const r = parent ? await dialog.showOpenDialog(parent, opts) : await dialog.showOpenDialog(opts);
            return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
          },
        },
      },
      { isTrustedSender: isAppUrl },
    );
    serveOnIpcMain(ipcMain, host);
    win = createMainWindow({ preloadPath: join(__dirname, 'preload.cjs') });
    app.on('will-quit', () => {
      host.dispose(); // zero shares and PINs a ceremony holds in memory
      mod?.close();
    });
    win.on('closed', () => {
      win = null;
    });
  });
}

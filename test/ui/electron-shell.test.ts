/**
 * The Electron shell as BUILT: the main bundle (esbuild, the same options as scripts/build.mjs) is
 * loaded in plain Node with a stub `electron` module that records what main passes to Electron.
 * We assert the real window options, CSP header, blocked schemes, permission/navigation/window.open
 * denial, single instance, and the sender/payload checks of the IPC served on ipcMain. The values
 * are read from what the bundle does, not copied from the source.
 *
 * A second test launches the app with Playwright's `_electron` where an Electron binary exists; on
 * these machines there is none (its postinstall downloads it), so it is skipped with that reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import Module from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildRenderer, REPO } from '../helpers/ui-harness';
import { CHANNELS } from '../../shared/ipc/contract';

type Fn = (...a: unknown[]) => unknown;
interface Captured {
  windows: ({ webPreferences: Record<string, unknown> } & Record<string, unknown>[]) | Record<string, unknown>[];
  loaded: string[];
  wcEvents: Record<string, Fn>;
  openHandler?: Fn;
  appEvents: Record<string, Fn>;
  protocol: Record<string, Fn>;
  privileged?: { scheme: string; privileges: Record<string, boolean> }[];
  ipc: Record<string, Fn>;
  permission?: Fn;
  permissionCheck?: Fn;
  beforeRequest?: { filter: { urls: string[] }; fn: Fn };
  headersReceived?: Fn;
  sessionEvents: Record<string, Fn>;
  singleInstance: boolean;
  sandboxAll: boolean;
}

let work: string;
let cap: Captured;
let mainPath: string;
/** The folder holding dist/electron and renderer/dist of the bundle under test. */
let distRoot: string;

/** Build main.cjs and preload.cjs exactly like scripts/build.mjs, into <tmp>/dist/electron, with the renderer at <tmp>/renderer/dist. */
async function buildShell(root: string) {
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    sourcemap: true,
    packages: 'external' as const,
    logLevel: 'warning' as const,
    absWorkingDir: REPO,
  };
  await build({ ...common, entryPoints: ['electron/main.ts'], outfile: join(root, 'dist/electron/main.cjs'), format: 'cjs', external: ['electron'] });
  await build({
    ...common,
    packages: undefined,
    entryPoints: ['electron/preload.ts'],
    outfile: join(root, 'dist/electron/preload.cjs'),
    format: 'cjs',
    external: ['electron'],
  });
  await buildRenderer(join(root, 'renderer/dist'));
  return join(root, 'dist/electron/main.cjs');
}

function stubElectron(c: Captured) {
  const makeWc = () => ({
    on(ev: string, fn: Fn) {
      c.wcEvents[ev] = fn;
      return this;
    },
    setWindowOpenHandler(fn: Fn) {
      c.openHandler = fn;
    },
    isDestroyed: () => false,
    send: () => {},
  });
  class BrowserWindow {
    webContents = makeWc();
    constructor(opts: Record<string, unknown>) {
      (c.windows as Record<string, unknown>[]).push(opts);
    }
    once() {
      return this;
    }
    on() {
      return this;
    }
    loadURL(u: string) {
      c.loaded.push(u);
      return Promise.resolve();
    }
    show() {}
    static getFocusedWindow() {
      return null;
    }
  }
  return {
    app: {
      enableSandbox: () => {
        c.sandboxAll = true;
      },
      requestSingleInstanceLock: () => {
        c.singleInstance = true;
        return true;
      },
      quit: () => {},
      on: (ev: string, fn: Fn) => {
        c.appEvents[ev] = fn;
      },
      whenReady: () => Promise.resolve(),
      getVersion: () => '0.0.0-test',
      getPath: (name: string) => join(work, 'electron-path', name),
    },
    BrowserWindow,
    protocol: {
      registerSchemesAsPrivileged: (x: Captured['privileged']) => {
        c.privileged = x;
      },
      handle: (scheme: string, fn: Fn) => {
        c.protocol[scheme] = fn;
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: Fn) => {
          c.permission = fn;
        },
        setPermissionCheckHandler: (fn: Fn) => {
          c.permissionCheck = fn;
        },
        setDevicePermissionHandler: () => {},
        webRequest: {
          onBeforeRequest: (filter: { urls: string[] }, fn: Fn) => {
            c.beforeRequest = { filter, fn };
          },
          onHeadersReceived: (fn: Fn) => {
            c.headersReceived = fn;
          },
        },
        on: (ev: string, fn: Fn) => {
          c.sessionEvents[ev] = fn;
        },
      },
    },
    ipcMain: {
      handle: (ch: string, fn: Fn) => {
        c.ipc[ch] = fn;
      },
    },
    dialog: {},
  };
}

/** Newest modification time of the sources that go into main.cjs / preload.cjs / the renderer. */
function newestSource(): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|css|html|json)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ['electron', 'shared', 'renderer/src']) walk(join(REPO, d));
  newest = Math.max(newest, statSync(join(REPO, 'renderer/index.html')).mtimeMs);
  return newest;
}

before(async () => {
  // Inside the repo (.tmp/ is git-ignored) so that the bundle's external packages resolve from node_modules.
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  work = mkdtempSync(join(REPO, '.tmp', 'shell-'));
  // `npm test` builds first: then the test reads THE dist/electron/main.cjs. Otherwise (a single test
  // run after editing sources) it builds the bundle with the same esbuild options into a temp folder.
  const dist = join(REPO, 'dist/electron/main.cjs');
  const fresh =
    existsSync(dist) &&
    existsSync(join(REPO, 'dist/electron/preload.cjs')) &&
    existsSync(join(REPO, 'renderer/dist/index.html')) &&
    Math.min(statSync(dist).mtimeMs, statSync(join(REPO, 'renderer/dist/index.html')).mtimeMs) >= newestSource();
  if (fresh) {
    mainPath = dist;
    distRoot = REPO;
  } else {
    mainPath = await buildShell(work);
    distRoot = work;
  }
  cap = { windows: [], loaded: [], wcEvents: {}, appEvents: {}, protocol: {}, ipc: {}, sessionEvents: {}, singleInstance: false, sandboxAll: false };
  const stub = stubElectron(cap);
  const M = Module as unknown as { _load: (req: string, parent: unknown, isMain: boolean) => unknown };
  const orig = M._load;
  // Never let the real `electron` package load here: its index.js tries to download a binary.
  M._load = function (req, parent, isMain) {
    if (req === 'electron') return stub;
    return orig.call(this, req, parent, isMain);
  };
  try {
    createRequire(import.meta.url)(mainPath);
  } finally {
    M._load = orig;
  }
  // app.whenReady().then(...): wait for the window (or give up after 5 s; the first test then fails).
  for (let i = 0; i < 100 && cap.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
});

after(() => rmSync(work, { recursive: true, force: true }));

test('every window: sandbox, contextIsolation, no nodeIntegration, no webview, preload is the built preload', (t) => {
  t.diagnostic(`bundle under test: ${mainPath}`);
  assert.equal(cap.windows.length, 1);
  const w = cap.windows[0] as { webPreferences: Record<string, unknown> };
  const wp = w.webPreferences;
  assert.equal(wp.sandbox, true);
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.nodeIntegrationInSubFrames, false);
  assert.equal(wp.nodeIntegrationInWorker, false);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.allowRunningInsecureContent, false);
  assert.equal(wp.devTools, false);
  assert.equal(wp.preload, join(distRoot, 'dist/electron/preload.cjs'));
  assert.ok(existsSync(wp.preload as string));
  // The preload bundle requires nothing but electron (a sandboxed preload cannot).
  const requires = [...readFileSync(wp.preload as string, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(requires)], ['electron']);
  assert.deepEqual(cap.loaded, ['app://keyceremony/index.html']);
  assert.equal(cap.sandboxAll, true, 'app.enableSandbox()');
  assert.equal(cap.singleInstance, true, 'single instance lock requested');
  assert.equal(typeof cap.appEvents['second-instance'], 'function');
});

test('the app:// scheme serves only the renderer files, with the strict CSP header', async () => {
  assert.deepEqual(
    cap.privileged?.map((p) => p.scheme),
    ['app'],
  );
  assert.equal(cap.privileged?.[0]?.privileges.secure, true);
  const handler = cap.protocol.app!;
  const res = (await handler({ url: 'app://keyceremony/index.html' })) as Response;
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  const dirs = Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]),
  );
  assert.deepEqual(dirs['default-src'], ["'none'"]);
  assert.deepEqual(dirs['script-src'], ["'self'"]);
  assert.deepEqual(dirs['style-src'], ["'self'"]);
  assert.deepEqual(dirs['connect-src'], ["'none'"]);
  assert.deepEqual(dirs['object-src'], ["'none'"]);
  assert.deepEqual(dirs['frame-ancestors'], ["'none'"]);
  assert.equal(/unsafe-(inline|eval)|\*|https?:/.test(csp), false, 'no unsafe-*, wildcard or remote source');
  assert.match(await res.text(), /<div id="root">/);
  // The renderer's own <meta> CSP says the same (minus frame-ancestors, which a meta cannot carry).
  const html = readFileSync(join(distRoot, 'renderer/dist/index.html'), 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
  assert.equal(
    meta,
    csp
      .split('; ')
      .filter((d) => !d.startsWith('frame-ancestors'))
      .join('; '),
  );
  for (const u of ['app://keyceremony/%2e%2e/%2e%2e/package.json', 'app://other/index.html', 'app://keyceremony/missing.js', 'app://keyceremony/x.exe']) {
    const r = (await handler({ url: u })) as Response;
    assert.notEqual(r.status, 200, u);
  }
  for (const s of ['http', 'https', 'file']) {
    const r = (await cap.protocol[s]!({ url: `${s}://example.com/` })) as Response;
    assert.equal(r.status, 403, s);
  }
});

test('network is blocked, CSP added to every response, permissions and downloads denied', () => {
  assert.deepEqual(cap.beforeRequest?.filter.urls, ['<all_urls>']);
  const decide = (url: string) => {
    let answer: { cancel?: boolean } | undefined;
    cap.beforeRequest!.fn({ url }, (a: { cancel?: boolean }) => (answer = a));
    return answer?.cancel;
  };
  for (const u of ['http://127.0.0.1/', 'https://example.com/', 'ws://example.com/', 'wss://x/', 'ftp://x/', 'file:///etc/passwd', 'devtools://devtools/']) {
    assert.equal(decide(u), true, u);
  }
  assert.equal(decide('app://keyceremony/assets/index.js'), false);
  let headers: Record<string, string[]> | undefined;
  cap.headersReceived!({ responseHeaders: {} }, (a: { responseHeaders: Record<string, string[]> }) => (headers = a.responseHeaders));
  assert.match(headers?.['Content-Security-Policy']?.[0] ?? '', /^default-src 'none'/);
  let granted: boolean | undefined;
  cap.permission!({}, 'media', (g: boolean) => (granted = g));
  assert.equal(granted, false);
  assert.equal(cap.permissionCheck!(), false);
  let prevented = false;
  cap.sessionEvents['will-download']!({ preventDefault: () => (prevented = true) });
  assert.equal(prevented, true);
});

test('navigation, redirects, webviews and window.open are denied on every web contents', () => {
  for (const ev of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    let prevented = false;
    cap.wcEvents[ev]!({ preventDefault: () => (prevented = true), url: 'https://example.com/' });
    assert.equal(prevented, true, ev);
  }
  assert.deepEqual(cap.openHandler!({ url: 'https://example.com/' }), { action: 'deny' });
  assert.equal(typeof cap.appEvents['web-contents-created'], 'function', 'lock-down applies to every web contents');
});

test('ipcMain serves every channel of the contract and checks sender and payload', async () => {
  assert.deepEqual(Object.keys(cap.ipc).sort(), [...CHANNELS].sort());
  const ev = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent }, sender: { isDestroyed: () => false, send: () => {} } });
  const info = (await cap.ipc['kc:app.info']!(ev('app://keyceremony/index.html'), {})) as { ok: boolean; value: { mode: string } };
  assert.equal(info.ok, true);
  assert.equal(info.value.mode, 'rehearsal');
  for (const bad of [ev('https://evil.example/'), ev('file:///tmp/x.html'), ev('app://keyceremony/index.html', { url: 'app://keyceremony/index.html' })]) {
    const r = (await cap.ipc['kc:app.info']!(bad, {})) as { ok: boolean; error: { code: string } };
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'PRECONDITION_FAILED');
  }
  const r = (await cap.ipc['kc:tokens.check']!(ev('app://keyceremony/index.html'), { expect: { serial: 'x' }, extra: 1 })) as {
    ok: boolean;
    error: { code: string; where: string };
  };
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'INVALID_INPUT');
  assert.equal(r.error.where, 'kc:tokens.check.extra');
});

/** Where `require('electron')` would point, found WITHOUT requiring it (its index.js downloads a binary when missing). */
function electronBinary(): string | null {
  const dir = join(REPO, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron');
    return existsSync(p) ? p : null;
  }
  if (!existsSync(pathFile)) return null;
  const p = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(p) ? p : null;
}

const electronPath = electronBinary();
test(
  'Electron launch: the real app window opens sandboxed on app:// and shows the mode',
  {
    skip:
      electronPath === null &&
      'no Electron binary on this machine (node_modules/electron has no path.txt/dist: its postinstall downloads the binary from GitHub, which is unreachable here)',
  },
  async () => {
    const { _electron } = await import('playwright-core');
    const app = await _electron.launch({ executablePath: electronPath!, args: [mainPath], env: { ...process.env, KEYCEREMONY_MODE: 'rehearsal' } });
    try {
      const page = await app.firstWindow();
      await page.getByTestId('mode-banner').waitFor();
      assert.equal(page.url(), 'app://keyceremony/index.html');
      assert.equal(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require), 'undefined');
      assert.equal(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process), 'undefined');
      assert.deepEqual(await page.evaluate(() => Object.keys((window as unknown as { keyceremony: object }).keyceremony).sort()), ['invoke', 'onEvent']);
      assert.equal(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length), 1);
    } finally {
      await app.close();
    }
  },
);

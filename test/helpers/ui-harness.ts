/**
 * Playwright harness for the UI tier: Debian Chromium (no Electron binary here) loads the BUILT
 * renderer from a 127.0.0.1 static server (with the app's CSP header) and talks to the SAME handler
 * table as the app (electron/ipc/handlers.ts createIpcHost) through `exposeBinding`, behind a shim
 * that implements the preload API (`window.keyceremony`: invoke + onEvent).
 *
 * A "machine" is one browser context with its own handler host, save folder and card reader. The
 * reader is a view over the real SoftHSM module that shows only the token(s) "inserted" in it, so a
 * test can insert the wrong token; signing and key generation run on the real SoftHSM tokens.
 *
 * Everything stays on loopback: every request that is not the static server is aborted.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, realpathSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { createIpcHost, type IpcHost } from '../../electron/ipc/handlers';
import { useParallelKeyProver } from '../../electron/adapters/json-key-prover';
import type { HandlerDeps, TokenModuleLike, TokenInfo } from '../../electron/ipc/deps';
import { SECURITY_HEADERS } from '../../electron/app-files';
import { writeFileAtomic } from '../../electron/adapters/fs/atomic';
import { KeyceremonyError } from '../../shared/errors';
import type { Mode, MainEvent } from '../../shared/ipc/contract';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Build the renderer exactly as `npm run build` does (scripts/build-renderer.mjs), into a private folder. */
export async function buildRenderer(outDir: string): Promise<string> {
  const mod = (await import(pathToFileURL(join(REPO, 'scripts', 'build-renderer.mjs')).href)) as { buildRenderer: (o: { outDir: string }) => Promise<string> };
  await mod.buildRenderer({ outDir });
  if (!existsSync(join(outDir, 'index.html'))) throw new Error(`renderer build produced no index.html in ${outDir}`);
  return outDir;
}

function serveStatic(root: string): Promise<{ server: Server; origin: string }> {
  const realRoot = realpathSync(root);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rel = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
    const file = normalize(join(realRoot, rel));
    const type = TYPES[extname(file)];
    if (!file.startsWith(realRoot + sep) || !type || !existsSync(file)) {
      res.writeHead(404, SECURITY_HEADERS).end();
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

/** A card reader: only the inserted tokens of the real module are visible to the handlers. */
export class Reader implements TokenModuleLike {
  private inserted = new Set<string>();
  /** Serials this reader reports as PIN-pad (CKF_PROTECTED_AUTHENTICATION_PATH), to exercise the UI. */
  readonly pinPad = new Set<string>();
  constructor(private readonly mod: TokenModuleLike) {}
  insert(serial: string): void {
    this.inserted.clear();
    this.inserted.add(serial);
  }
  insertAlso(serial: string): void {
    this.inserted.add(serial);
  }
  remove(): void {
    this.inserted.clear();
  }
  tokens(): TokenInfo[] {
    return this.mod
      .tokens()
      .filter((t) => this.inserted.has(t.serial))
      .map((t) => (this.pinPad.has(t.serial) ? { ...t, flags: { ...t.flags, protectedAuthenticationPath: true } } : t));
  }
  findToken(sel: { label?: string; serial?: string }): TokenInfo {
    const hits = this.tokens().filter((t) => (sel.serial === undefined || t.serial === sel.serial) && (sel.label === undefined || t.label === sel.label));
    if (hits.length !== 1) throw new KeyceremonyError(hits.length ? 'TOKEN_AMBIGUOUS' : 'TOKEN_NOT_FOUND', 'token not in the reader', { where: 'reader' });
    return hits[0] as TokenInfo;
  }
  withSession: TokenModuleLike['withSession'] = (sel, opts, fn) => {
    this.findToken(sel);
    return this.mod.withSession(sel, opts, fn);
  };
}

/** The preload API (electron/preload.ts) imitated over the Playwright binding: invoke + onEvent, frozen. */
const SHIM = `(() => {
  const listeners = new Set();
  Object.defineProperty(window, '__kcEmit', { value: (e) => listeners.forEach((l) => l(e)) });
  Object.defineProperty(window, 'keyceremony', {
    value: Object.freeze({
      invoke: (channel, request) => window.__kcInvoke(channel, request),
      onEvent: (l) => { listeners.add(l); return () => listeners.delete(l); },
    }),
  });
})();`;

export interface Machine {
  name: string;
  context: BrowserContext;
  page: Page;
  host: IpcHost;
  reader: Reader;
  /** Where files.save writes (the "USB stick" of this machine). */
  saveDir: string;
  /** Every channel called, in order (never the payloads: they may hold a PIN). */
  calls: string[];
  /**
   * The "dialogs" of this machine: the folder a folder dialog answers (null = cancelled), and the
   * files the next open dialogs answer, in order (an empty queue = cancelled).
   */
  dialogs: { folder: string | null; open: string[] };
}

export interface UiHarness {
  browser: Browser;
  origin: string;
  rendererDir: string;
  machine(opts: { name: string; mode?: Mode; extraDeps?: Partial<HandlerDeps> }): Promise<Machine>;
  close(): Promise<void>;
}

export async function startUi(opts: { tokens: () => TokenModuleLike; moduleName?: string }): Promise<UiHarness> {
  const work = mkdtempSync(join(tmpdir(), 'kc-ui-'));
  const rendererDir = await buildRenderer(join(work, 'renderer'));
  const { server, origin } = await serveStatic(rendererDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const machines: Machine[] = [];

  const isTrustedSender = (url: string) => {
    try {
      const u = new URL(url);
      return u.origin === origin && (u.pathname === '/' || u.pathname === '/index.html');
    } catch {
      return false;
    }
  };

  return {
    browser,
    origin,
    rendererDir,
    async machine({ name, mode = 'rehearsal', extraDeps = {} }) {
      const saveDir = join(work, `save-${name}`);
      mkdirSync(saveDir, { recursive: true });
      const reader = new Reader(opts.tokens());
      useParallelKeyProver(); // as electron/main.ts does
      const dialogs: Machine['dialogs'] = { folder: null, open: [] };
      const host = createIpcHost(
        {
          mode,
          version: 'test',
          moduleName: opts.moduleName ?? 'libsofthsm2.so',
          openTokens: () => reader,
          saveFile: async (req) => {
            writeFileAtomic(join(saveDir, req.suggestedName), req.text);
            return { saved: true, name: req.suggestedName, path: join(saveDir, req.suggestedName) };
          },
          files: {
            chooseFolder: async () => dialogs.folder,
            openFile: async () => dialogs.open.shift() ?? null,
          },
          ...extraDeps,
        },
        { isTrustedSender },
      );
      const context = await browser.newContext({ viewport: { width: 1180, height: 860 }, acceptDownloads: false, serviceWorkers: 'block' });
      // Offline, like the app: anything that is not the static server is aborted.
      await context.route('**/*', (route) =>
        route
          .request()
          .url()
          .startsWith(origin + '/')
          ? route.continue()
          : route.abort('blockedbyclient'),
      );
      const calls: string[] = [];
      await context.exposeBinding('__kcInvoke', async (source, channel: unknown, payload: unknown) => {
        calls.push(String(channel));
        const emit = (e: MainEvent) => {
          void source.page.evaluate(`window.__kcEmit(${JSON.stringify(e)})`).catch(() => {});
        };
        return host.dispatch(channel, payload, { senderUrl: source.frame.url(), isMainFrame: source.frame === source.page.mainFrame(), emit });
      });
      // The shim: the same surface as electron/preload.ts (invoke + onEvent), frozen.
      // (A string, not a function: tsx would inject helpers that do not exist in the page.)
      await context.addInitScript({ content: SHIM });
      const page = await context.newPage();
      await page.goto(`${origin}/index.html`);
      const m: Machine = { name, context, page, host, reader, saveDir, calls, dialogs };
      machines.push(m);
      return m;
    },
    async close() {
      for (const m of machines) await m.context.close().catch(() => {});
      await browser.close().catch(() => {});
      await new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections?.();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Save a screenshot of a main screen: the window as a person sees it (the sticky mode banner on top),
 * scrolled so that `focus` (the part the guide talks about) is visible. With
 * KEYCEREMONY_UPDATE_SCREENSHOTS=1 it goes to docs/screenshots/<name>.png (the pictures the README
 * and guides show); otherwise to .tmp/screenshots/, so an ordinary test run leaves the tree clean
 * (serials and fingerprints differ on every run).
 */
export async function screenshot(page: Page, name: string, focus?: Locator): Promise<string> {
  const dir = process.env.KEYCEREMONY_UPDATE_SCREENSHOTS === '1' ? join(REPO, 'docs', 'screenshots') : join(REPO, '.tmp', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const p = join(dir, `${name}.png`);
  if (focus) await focus.first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
  await page.screenshot({ path: p, fullPage: false });
  return p;
}

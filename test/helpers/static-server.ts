/**
 * A static file server for peer tests: 127.0.0.1 only, port picked by the OS, serves files under `root`
 * (no directory listing, no path escapes), logs requests, stops itself on close() or after `ttlMs`.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface StaticServer {
  url: string;
  port: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startStaticServer(root: string, opts: { ttlMs?: number } = {}): Promise<StaticServer> {
  const base = path.resolve(root);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let p: string;
    try {
      p = path.resolve(base, '.' + decodeURIComponent(url.pathname));
    } catch {
      res.writeHead(400).end();
      return;
    }
    let status = 404;
    if (req.method === 'GET' && (p === base || p.startsWith(base + path.sep))) {
      try {
        if (statSync(p).isFile()) {
          const body = readFileSync(p);
          status = 200;
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
          res.end(body);
        }
      } catch {
        /* 404 */
      }
    }
    requests.push(`${req.method} ${url.pathname} ${status}`);
    if (status !== 200) res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  const timer = setTimeout(() => server.close(), opts.ttlMs ?? 120_000);
  timer.unref();
  return {
    url: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

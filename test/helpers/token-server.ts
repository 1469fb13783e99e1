/**
 * A loopback token service for Notary publish tests: the Docker Registry token flow (distribution
 * docs/spec/auth/token.md) that Docker Hub's notary and a notary-server with
 * `"auth": {"type": "token"}` use. `GET /token?service=…&scope=…` with HTTP Basic credentials answers
 * `{"token", "access_token", "expires_in", "issued_at"}`; the token is a JWT (ES256) whose header
 * carries the signing certificate (`x5c`), which the notary-server trusts through `rootcertbundle`.
 * Grants, as Docker Hub's for a public repository: a known user with the right password gets the
 * actions asked for; no credentials at all gets "pull" only; wrong credentials 401. Requests are
 * recorded without the credentials (only the user name, or none).
 */
import { createServer, type Server } from 'node:https';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface TokenServer {
  /** The realm: https://127.0.0.1:PORT/token */
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate of the token signing key (notary-server's `rootcertbundle`). */
  rootCertBundle: string;
  /** "GET user=alice scope=repository:x:pull 200" per request. */
  requests: string[];
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function startTokenServer(opts: {
  dir: string;
  tls: { cert: string; key: string };
  users: Record<string, string>;
  service?: string;
  issuer?: string;
}): Promise<TokenServer> {
  const service = opts.service ?? 'notary-server';
  const issuer = opts.issuer ?? 'keyceremony-test-token-issuer';
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: opts.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'token-signing.key');
  o('req', '-x509', '-new', '-key', 'token-signing.key', '-sha256', '-days', '2', '-subj', '/CN=keyceremony test token issuer', '-out', 'token-signing.crt');
  const certPem = readFileSync(join(opts.dir, 'token-signing.crt'), 'utf8');
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const key = createPrivateKey(readFileSync(join(opts.dir, 'token-signing.key')));
  const requests: string[] = [];

  const jwt = (sub: string, access: { type: string; name: string; actions: string[] }[]) => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [der.toString('base64')] }));
    const body = b64url(
      JSON.stringify({ iss: issuer, sub, aud: service, exp: now + 600, nbf: now - 60, iat: now, jti: randomBytes(12).toString('hex'), access }),
    );
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key, dsaEncoding: 'ieee-p1363' });
    return `${head}.${body}.${b64url(sig)}`;
  };

  const server: Server = createServer({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const auth = req.headers.authorization ?? '';
    let user: string | undefined;
    let ok = false;
    if (auth.startsWith('Basic ')) {
      const [u, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      user = u;
      ok = u !== undefined && opts.users[u] !== undefined && opts.users[u] === rest.join(':');
    }
    const scopes = url.searchParams.getAll('scope');
    const anonymous = auth === '';
    const status = url.pathname !== '/token' ? 404 : url.searchParams.get('service') !== service ? 400 : ok || anonymous ? 200 : 401;
    requests.push(`${req.method} user=${user ?? '-'} scope=${scopes.join(' ')} ${status}`);
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ errors: [{ code: status === 401 ? 'UNAUTHORIZED' : 'DENIED', message: status === 401 ? 'authentication required' : 'bad request' }] }),
      );
      return;
    }
    const access = scopes.map((s) => {
      const parts = s.split(':');
      const asked = (parts[parts.length - 1] ?? '').split(',').filter(Boolean);
      return { type: parts[0] ?? '', name: parts.slice(1, -1).join(':'), actions: ok ? asked : asked.filter((a) => a === 'pull') };
    });
    const token = jwt(user ?? '', access);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 600, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `https://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: join(opts.dir, 'token-signing.crt'),
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

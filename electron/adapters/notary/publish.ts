/**
 * The ONLY network code in keyceremony: talk to a Notary server the user names (notary-server's
 * HTTP API, docs/notary.md). Used by `keyceremony notary publish` on the online machine:
 * - GET  /v2/<gun>/_trust/tuf/timestamp.key (and snapshot.key): the server-held keys to put in root;
 * - GET  /v2/<gun>/_trust/tuf/<role>.json: what the server has now (404 = nothing yet);
 * - POST /v2/<gun>/_trust/tuf/  multipart/form-data, one part per role, field "files",
 *   filename = role name without ".json". Accepted or rejected whole.
 * HTTPS only, with an optional CA file (a private notary-server); the server certificate is always
 * verified. Responses are size-capped and requests time out.
 *
 * Token authentication (Docker Hub's notary, a notary-server with `"auth": {"type": "token"}`): the
 * Docker Registry token flow (distribution docs/spec/auth/token.md). A 401 answer carrying
 * `WWW-Authenticate: Bearer realm="https://…",service="…",scope="repository:GUN:pull,push"` sends us to
 * the realm — `GET realm?service=…&scope=…`, with HTTP Basic credentials when the user gave some — for a
 * JSON `{"token": …}` (or `access_token`), and the request is sent again once with
 * `Authorization: Bearer <token>`. The token is kept in memory for that realm, service and scope only.
 * The realm must be https; credentials go only to the realm, the token only to the Notary server.
 * Credentials come from a file or the environment (the CLI), never from argv, and are never printed.
 */
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json/strict';
import { checkKey, parseNotaryFile, type NotaryKey } from '../../../shared/notary';

export interface NotaryServer {
  /** https://host[:port] (no path). */
  url: string;
  /** PEM CA bundle to trust for this server and its token realm (else the system CAs). */
  ca?: string | Uint8Array;
  timeoutMs?: number;
  /** For a server that uses token authentication: the user name and password (or token) the realm takes. */
  credentials?: { username: string; password: string };
  /** Tokens got from the realm, by "realm service scope" (filled as the calls go). */
  tokens?: Map<string, string>;
}

/**
 * The user name and password for token authentication, from the text of a credentials file or of
 * NOTARY_AUTH (the notary client's variable): "user:password", or the same in base64 as NOTARY_AUTH
 * holds it. Whitespace around it is ignored; the password may contain ':'.
 */
export function parseCredentials(text: string, where: string): { username: string; password: string } {
  let t = text.trim();
  if (!t.includes(':') && /^[A-Za-z0-9+/=]+$/.test(t)) t = Buffer.from(t, 'base64').toString('utf8').trim();
  const i = t.indexOf(':');
  if (i <= 0 || i === t.length - 1 || /[\u0000-\u001f]/.test(t)) {
    throw new KeyceremonyError('INVALID_INPUT', `${where} must hold user:password (or its base64, as NOTARY_AUTH does)`, { where });
  }
  return { username: t.slice(0, i), password: t.slice(i + 1) };
}

/** `Bearer realm="…",service="…",scope="…"` -> its parameters (RFC 7235 auth-params), or null for another scheme. */
export function parseBearerChallenge(header: string): Record<string, string> | null {
  const m = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[1]!)) !== null && p[0] !== '') out[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  return out;
}

const MAX_RESPONSE = 16 * 1024 * 1024;

export function checkServerUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new KeyceremonyError('INVALID_INPUT', `not a URL: ${JSON.stringify(url)}`, { where: '--server' });
  }
  if (u.protocol !== 'https:') throw new KeyceremonyError('INVALID_INPUT', `the Notary server must be https:// (got ${u.protocol}//)`, { where: '--server' });
  if (u.username || u.password) throw new KeyceremonyError('INVALID_INPUT', 'credentials in the server URL are not accepted', { where: '--server' });
  if (u.pathname !== '/' && u.pathname !== '')
    throw new KeyceremonyError('INVALID_INPUT', `give the server root only (https://host:port), not a path: ${u.pathname}`, { where: '--server' });
  return u;
}

function gunPath(gun: string): string {
  return gun.split('/').map(encodeURIComponent).join('/');
}

interface HttpResult {
  status: number;
  body: Uint8Array;
}

function send(
  server: NotaryServer,
  base: URL,
  method: 'GET' | 'POST',
  path: string,
  body?: { data: Uint8Array; contentType: string },
  authorization?: string,
): Promise<HttpResult & { challenge?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port || 443,
        method,
        path,
        ca: server.ca ? (typeof server.ca === 'string' ? server.ca : Buffer.from(server.ca)) : undefined,
        rejectUnauthorized: true,
        servername: /^[\d.]+$|:/.test(base.hostname) ? undefined : base.hostname,
        headers: {
          ...(body ? { 'content-type': body.contentType, 'content-length': String(body.data.length) } : {}),
          ...(authorization ? { authorization } : {}),
        },
        timeout: server.timeoutMs ?? 30_000,
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) {
            req.destroy(
              new KeyceremonyError('TOO_LARGE', `the server's answer to ${method} ${path} is larger than ${MAX_RESPONSE} bytes`, { where: server.url }),
            );
            return;
          }
          parts.push(c);
        });
        const www = res.headers['www-authenticate'];
        const challenge = Array.isArray(www) ? (www.find((h) => /^\s*bearer\s/i.test(h)) ?? www[0]) : www;
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: new Uint8Array(Buffer.concat(parts)), ...(challenge ? { challenge } : {}) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new KeyceremonyError('IO_ERROR', `no answer from ${base.origin} within ${(server.timeoutMs ?? 30_000) / 1000}s`, { where: base.origin })),
    );
    req.on('error', (e) => {
      if (e instanceof KeyceremonyError) reject(e);
      else reject(new KeyceremonyError('IO_ERROR', `cannot reach ${base.origin}: ${(e as Error).message}`, { where: base.origin, cause: e }));
    });
    if (body) req.write(body.data);
    req.end();
  });
}

/** A token from the realm a Bearer challenge names (kept for the same realm, service and scope). */
async function bearerToken(server: NotaryServer, challenge: Record<string, string>, path: string): Promise<string> {
  const realm = challenge.realm;
  if (!realm)
    throw new KeyceremonyError('AUTH_FAILED', `the Notary server asked for a token for ${path} but named no realm to get it from`, { where: server.url });
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new KeyceremonyError('AUTH_FAILED', `the Notary server's token realm is not a URL: ${JSON.stringify(realm).slice(0, 200)}`, { where: server.url });
  }
  if (url.protocol !== 'https:' || url.username || url.password) {
    throw new KeyceremonyError(
      'AUTH_FAILED',
      `the Notary server sends us to a token realm that is not plain https (${url.protocol}//${url.host}); credentials are sent over https only`,
      {
        where: server.url,
      },
    );
  }
  if (challenge.service) url.searchParams.set('service', challenge.service);
  for (const sc of (challenge.scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', sc);
  const key = `${realm} ${challenge.service ?? ''} ${challenge.scope ?? ''}`;
  const known = server.tokens?.get(key);
  if (known) return known;
  const c = server.credentials;
  const basic = c ? `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}` : undefined;
  const r = await send(server, url, 'GET', url.pathname + url.search, undefined, basic);
  if (r.status === 401 || r.status === 403) {
    throw new KeyceremonyError(
      'AUTH_FAILED',
      c
        ? `the token service ${url.origin} refused the credentials for ${challenge.scope ?? 'this repository'} (HTTP ${r.status}): ${describeServerError(r.body)}`
        : `the Notary server needs a login (token service ${url.origin}, ${challenge.scope ?? 'this repository'}): give --auth-file FILE (user:password) or set NOTARY_AUTH`,
      { where: url.origin },
    );
  }
  if (r.status !== 200)
    throw new KeyceremonyError('AUTH_FAILED', `the token service ${url.origin} answered HTTP ${r.status}: ${describeServerError(r.body)}`, {
      where: url.origin,
    });
  const j = parseStrictJsonBytes(r.body, { source: `token from ${url.origin}`, maxBytes: 256 * 1024 }) as { token?: unknown; access_token?: unknown };
  const token = typeof j?.token === 'string' && j.token ? j.token : typeof j?.access_token === 'string' && j.access_token ? j.access_token : undefined;
  if (!token || !/^[\x21-\x7e]+$/.test(token))
    throw new KeyceremonyError('AUTH_FAILED', `the token service ${url.origin} answered without a usable token`, { where: url.origin });
  (server.tokens ??= new Map()).set(key, token);
  return token;
}

/** One request to the Notary server; a 401 with a Bearer challenge is answered once with a token. */
async function call(server: NotaryServer, method: 'GET' | 'POST', path: string, body?: { data: Uint8Array; contentType: string }): Promise<HttpResult> {
  const base = checkServerUrl(server.url);
  const first = await send(server, base, method, path, body);
  if (first.status !== 401) return first;
  const challenge = first.challenge ? parseBearerChallenge(first.challenge) : null;
  if (!challenge) {
    throw new KeyceremonyError(
      'AUTH_FAILED',
      `${method} ${path} needs authentication the Notary server did not offer as a Bearer token (${first.challenge ? first.challenge.split(/\s/)[0] : 'no WWW-Authenticate'}): ${describeServerError(first.body)}`,
      {
        where: server.url,
      },
    );
  }
  const token = await bearerToken(server, challenge, path);
  const again = await send(server, base, method, path, body, `Bearer ${token}`);
  if ((again.status === 401 || again.status === 403) && !server.credentials) {
    throw new KeyceremonyError(
      'AUTH_FAILED',
      `the Notary server needs a login for ${method} ${path} (token service ${new URL(challenge.realm ?? server.url).origin}, ${challenge.scope ?? 'this repository'}): give --auth-file FILE (user:password) or set NOTARY_AUTH`,
      { where: server.url },
    );
  }
  if (again.status === 401 || again.status === 403) {
    throw new KeyceremonyError(
      'AUTH_FAILED',
      `the Notary server refused the token for ${method} ${path} (HTTP ${again.status}; scope ${challenge.scope ?? 'none'}): ${describeServerError(again.body)}`,
      {
        where: server.url,
      },
    );
  }
  return again;
}

/** notary-server error bodies: {"errors":[{"code","message","detail":{...}}]} -> one line. */
export function describeServerError(body: Uint8Array): string {
  const text = Buffer.from(body).toString('utf8').slice(0, 2000);
  try {
    const j = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    if (Array.isArray(j.errors) && j.errors.length) {
      return j.errors
        .map((e) => {
          const d = e.detail as { Error?: { Msg?: string } | string; Name?: string } | string | undefined;
          const inner = typeof d === 'string' ? d : d && typeof d.Error === 'object' ? d.Error?.Msg : typeof d?.Error === 'string' ? d.Error : undefined;
          return [e.code, e.message, inner].filter(Boolean).join(': ');
        })
        .join('; ');
    }
  } catch {
    /* not JSON */
  }
  return text.trim() || '(empty body)';
}

/** GET the server-held public key for a role (`timestamp` always; `snapshot` if server-managed). */
export async function fetchServerKey(server: NotaryServer, gun: string, role: 'timestamp' | 'snapshot'): Promise<NotaryKey> {
  const path = `/v2/${gunPath(gun)}/_trust/tuf/${role}.key`;
  const r = await call(server, 'GET', path);
  if (r.status !== 200) {
    throw new KeyceremonyError('IO_ERROR', `GET ${path} answered HTTP ${r.status}: ${describeServerError(r.body)}`, { where: server.url });
  }
  const j = parseStrictJsonBytes(r.body, { source: `${role}.key`, maxBytes: 64 * 1024 });
  const k = checkKey(j, '$', `${role}.key`);
  return { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
}

/** The version the server has for a role now, or null when it has none (404). */
export async function fetchServerVersion(server: NotaryServer, gun: string, role: string): Promise<number | null> {
  const path = `/v2/${gunPath(gun)}/_trust/tuf/${role.split('/').map(encodeURIComponent).join('/')}.json`;
  const r = await call(server, 'GET', path);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new KeyceremonyError('IO_ERROR', `GET ${path} answered HTTP ${r.status}: ${describeServerError(r.body)}`, { where: server.url });
  return parseNotaryFile(r.body, { source: `server ${role}.json` }).signed.version;
}

/** Fetch a role file from the server (for `notary verify` of what was published). */
export async function fetchServerFile(server: NotaryServer, gun: string, role: string): Promise<Uint8Array | null> {
  const path = `/v2/${gunPath(gun)}/_trust/tuf/${role.split('/').map(encodeURIComponent).join('/')}.json`;
  const r = await call(server, 'GET', path);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new KeyceremonyError('IO_ERROR', `GET ${path} answered HTTP ${r.status}: ${describeServerError(r.body)}`, { where: server.url });
  return r.body;
}

/** Upload role files in one multipart POST (all accepted or none). */
export async function uploadRoles(server: NotaryServer, gun: string, files: readonly { role: string; bytes: Uint8Array }[]): Promise<void> {
  if (files.length === 0)
    throw new KeyceremonyError('PRECONDITION_FAILED', 'nothing to publish: the server already has every version here', { where: server.url });
  const boundary = `keyceremony-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    if (!/^[a-z0-9/_.-]+$/i.test(f.role)) throw new KeyceremonyError('INVALID_INPUT', `bad role name ${JSON.stringify(f.role)}`, { where: f.role });
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.role}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.from(f.bytes),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const path = `/v2/${gunPath(gun)}/_trust/tuf/`;
  const r = await call(server, 'POST', path, { data: new Uint8Array(Buffer.concat(chunks)), contentType: `multipart/form-data; boundary=${boundary}` });
  if (r.status !== 200) {
    throw new KeyceremonyError('VERIFICATION_FAILED', `the Notary server refused the update (HTTP ${r.status}): ${describeServerError(r.body)}`, {
      where: server.url,
    });
  }
}

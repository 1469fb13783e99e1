/**
 * The ONLY network code in keyceremony: talk to a Notary server the user names (notary-server's
 * HTTP API, docs/notary.md). Used by `keyceremony notary publish` on the online machine:
 * - GET  /v2/<gun>/_trust/tuf/timestamp.key (and snapshot.key): the server-held keys to put in root;
 * - GET  /v2/<gun>/_trust/tuf/<role>.json: what the server has now (404 = nothing yet);
 * - POST /v2/<gun>/_trust/tuf/  multipart/form-data, one part per role, field "files",
 *   filename = role name without ".json". Accepted or rejected whole.
 * HTTPS only, with an optional CA file (a private notary-server); the server certificate is always
 * verified. Responses are size-capped and requests time out.
 */
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json/strict';
import { checkKey, parseNotaryFile, type NotaryKey } from '../../../shared/notary';

export interface NotaryServer {
  /** https://host[:port] (no path). */
  url: string;
  /** PEM CA bundle to trust for this server (else the system CAs). */
  ca?: string | Uint8Array;
  timeoutMs?: number;
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
  if (u.pathname !== '/' && u.pathname !== '') throw new KeyceremonyError('INVALID_INPUT', `give the server root only (https://host:port), not a path: ${u.pathname}`, { where: '--server' });
  return u;
}

function gunPath(gun: string): string {
  return gun.split('/').map(encodeURIComponent).join('/');
}

interface HttpResult {
  status: number;
  body: Uint8Array;
}

function call(server: NotaryServer, method: 'GET' | 'POST', path: string, body?: { data: Uint8Array; contentType: string }): Promise<HttpResult> {
  const base = checkServerUrl(server.url);
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
        headers: body ? { 'content-type': body.contentType, 'content-length': String(body.data.length) } : {},
        timeout: server.timeoutMs ?? 30_000,
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) {
            req.destroy(new KeyceremonyError('TOO_LARGE', `the server's answer to ${method} ${path} is larger than ${MAX_RESPONSE} bytes`, { where: server.url }));
            return;
          }
          parts.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: new Uint8Array(Buffer.concat(parts)) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new KeyceremonyError('IO_ERROR', `no answer from ${server.url} within ${(server.timeoutMs ?? 30_000) / 1000}s`, { where: server.url })));
    req.on('error', (e) => {
      if (e instanceof KeyceremonyError) reject(e);
      else reject(new KeyceremonyError('IO_ERROR', `cannot reach the Notary server ${server.url}: ${(e as Error).message}`, { where: server.url, cause: e }));
    });
    if (body) req.write(body.data);
    req.end();
  });
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
  if (files.length === 0) throw new KeyceremonyError('PRECONDITION_FAILED', 'nothing to publish: the server already has every version here', { where: server.url });
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
    throw new KeyceremonyError('VERIFICATION_FAILED', `the Notary server refused the update (HTTP ${r.status}): ${describeServerError(r.body)}`, { where: server.url });
  }
}

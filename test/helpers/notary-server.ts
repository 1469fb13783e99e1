/**
 * A throwaway notary-server (Debian `notary` package) for peer tests: a loopback CA + server
 * certificate made with openssl in a temp dir, memory storage, 127.0.0.1 on free ports. The trust
 * service is local (ed25519 server keys) or, with `remoteSigner`, a notary-signer over mutual TLS
 * (ECDSA server keys). stop() kills what it started, by pid.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** EC P-256 CA and a server certificate for IP:127.0.0.1 / DNS:localhost. */
export function makeTestTls(dir: string): { ca: string; cert: string; key: string } {
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  o(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=keyceremony test CA',
    '-out',
    'ca.crt',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key');
  o('req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', '-out', 'server.csr');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  o(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.crt',
  );
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

export interface RunningNotary {
  url: string;
  ca: string;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

function health(url: string, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL('/_notary_server/health', url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, ca, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port }, () => {
      c.end();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
}

/** notary-server's token authentication (docker distribution's token access controller). */
export interface NotaryTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
}

export async function startNotaryServer(
  dir: string,
  opts: { remoteSigner?: boolean; tls?: { ca: string; cert: string; key: string }; auth?: NotaryTokenAuth } = {},
): Promise<RunningNotary> {
  const tls = opts.tls ?? makeTestTls(dir);
  const port = await freePort();
  let log = '';
  const capture = (p: ChildProcess, tag: string) => {
    p.stdout?.on('data', (d: Buffer) => (log += `[${tag}] ${d.toString()}`));
    p.stderr?.on('data', (d: Buffer) => (log += `[${tag}] ${d.toString()}`));
  };
  let trust: Record<string, unknown> = { type: 'local' };
  let stopSigner = async () => {};
  if (opts.remoteSigner) {
    const grpc = await freePort();
    const signerConfig = {
      server: { grpc_addr: `127.0.0.1:${grpc}`, tls_cert_file: tls.cert, tls_key_file: tls.key, client_ca_file: tls.ca },
      storage: { backend: 'memory' },
      logging: { level: 'info' },
    };
    writeFileSync(join(dir, 'signer.json'), JSON.stringify(signerConfig));
    const signer = spawn('notary-signer', ['-config', join(dir, 'signer.json'), '-logf', 'logfmt'], { stdio: ['ignore', 'pipe', 'pipe'] });
    capture(signer, 'signer');
    stopSigner = stopper(signer);
    let up = false;
    for (let i = 0; i < 100 && !up && signer.exitCode === null; i++) {
      up = await listening(grpc);
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (!up) {
      await stopSigner();
      throw new Error(`notary-signer did not come up on 127.0.0.1:${grpc}:\n${log}`);
    }
    trust = {
      type: 'remote',
      hostname: '127.0.0.1',
      port: String(grpc),
      key_algorithm: 'ecdsa',
      tls_ca_file: tls.ca,
      tls_client_cert: tls.cert,
      tls_client_key: tls.key,
    };
  }
  const config = {
    server: { http_addr: `127.0.0.1:${port}`, tls_key_file: tls.key, tls_cert_file: tls.cert },
    trust_service: trust,
    storage: { backend: 'memory' },
    logging: { level: 'info' },
    ...(opts.auth
      ? {
          auth: {
            type: 'token',
            options: { realm: opts.auth.realm, service: opts.auth.service, issuer: opts.auth.issuer, rootcertbundle: opts.auth.rootCertBundle },
          },
        }
      : {}),
  };
  writeFileSync(join(dir, 'server.json'), JSON.stringify(config));
  const proc = spawn('notary-server', ['-config', join(dir, 'server.json'), '-logf', 'logfmt'], { stdio: ['ignore', 'pipe', 'pipe'] });
  capture(proc, 'server');
  const url = `https://127.0.0.1:${port}`;
  const ca = readFileSync(tls.ca);
  const stopServer = stopper(proc);
  const stop = async () => {
    await stopServer();
    await stopSigner();
  };
  for (let i = 0; i < 100; i++) {
    if (await health(url, ca)) return { url, ca: tls.ca, proc, log: () => log, stop };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`notary-server did not come up on ${url}:\n${log}`);
}

/**
 * Issue 14 item 17: `keyceremony notary publish` to a Notary server that uses token authentication
 * (Docker Hub's notary; here the real notary-server 0.7 with `"auth": {"type": "token"}`), through a
 * loopback token service (test/helpers/token-server.ts) that issues ES256 JWTs the server trusts.
 * Without credentials the publish is refused with what to give; wrong credentials are refused by the
 * token service; with `NOTARY_AUTH` (the notary client's variable) or `--auth-file` it fetches the
 * server's timestamp key and publishes a GUN made on a SoftHSM2 token; the real notary client, with an
 * anonymous pull token from the same service, lists the target. Credentials never appear in any output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { hasCommand, makeTestTls, startNotaryServer, type RunningNotary } from '../helpers/notary-server';
import { startTokenServer, type TokenServer } from '../helpers/token-server';
import { notaryCommand } from '../../electron/cli/commands/notary';
import { makeContext, type CliContext } from '../../electron/cli/context';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { pemEncode } from '../../shared/encoding/bytes';

const missing = ['notary', 'notary-server', 'openssl', 'softhsm2-util'].filter((c) => !hasCommand(c));
const skip = missing.length ? `needs ${missing.join(', ')} (scripts/system-deps.sh)` : false;
const GUN = 'example.com/keyceremony/token-auth';
const PASSWORD = 'correct horse battery staple';

let hsm: TestHsm;
let dir: string;
let server: RunningNotary;
let tokens: TokenServer;

async function kc(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const base = makeContext({ env: { ...process.env, KEYCEREMONY_PIN: '', NOTARY_AUTH: '', ...env } });
  const ctx: CliContext = { ...base, out: (l) => void (out += l + '\n'), err: (l) => void (err += l + '\n') };
  try {
    return { code: await notaryCommand.run(args, ctx), out, err };
  } catch (e) {
    return { code: 1, out, err: err + `error[${(e as { code?: string }).code}]: ${(e as Error).message}` };
  }
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'kc-notary-token-'));
  const tls = makeTestTls(dir);
  tokens = await startTokenServer({ dir, tls, users: { publisher: PASSWORD } });
  server = await startNotaryServer(dir, {
    tls,
    auth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle },
  });
  hsm = await makeSoftHsm(['publisher']);
  writeFileSync(join(dir, 'pin'), `${hsm.tokens.find((t) => t.label === 'publisher')!.pin}\n`, { mode: 0o600 });
  const mod = Pkcs11Module.open(hsm.module);
  try {
    await mod.withSession({ label: 'publisher' }, { pin: hsm.pinOf('publisher'), rw: true }, async (s) => {
      for (const label of ['notary-root', 'notary-targets', 'notary-snapshot']) {
        const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
        writeFileSync(join(dir, `${label}.pub.pem`), pemEncode('PUBLIC KEY', key.publicKeySpki));
      }
    });
  } finally {
    mod.close();
  }
  writeFileSync(join(dir, 'payload.txt'), 'token-auth release\n');
});

after(async () => {
  await server?.stop();
  await tokens?.close();
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'publish through token authentication: refused without or with wrong credentials, accepted with NOTARY_AUTH / --auth-file; the real client lists it',
  { skip, timeout: 120_000 },
  async () => {
    const srv = ['--server', server.url, '--tls-ca', server.ca];
    const keys = join(dir, 'server-keys');
    const fetchKeys = ['publish', ...srv, '--gun', GUN, '--fetch-keys', keys];

    // no credentials: the token service grants an anonymous pull only, the server wants push: a login is needed
    let r = await kc(fetchKeys);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /error\[AUTH_FAILED\]: the Notary server needs a login for GET \/v2\/example\.com\/keyceremony\/token-auth\/_trust\/tuf\/timestamp\.key \(token service https:\/\/127\.0\.0\.1:\d+, repository:example\.com\/keyceremony\/token-auth:[a-z,]+\): give --auth-file FILE \(user:password\) or set NOTARY_AUTH/,
    );
    // wrong password (a file), refused by the token service
    writeFileSync(join(dir, 'wrong.auth'), 'publisher:not-the-password\n', { mode: 0o600 });
    r = await kc([...fetchKeys, '--auth-file', join(dir, 'wrong.auth')]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /error\[AUTH_FAILED\]: the token service https:\/\/127\.0\.0\.1:\d+ refused the credentials for repository:example\.com\/keyceremony\/token-auth:[a-z,]+ \(HTTP 401\)/,
    );
    assert.ok(!r.err.includes('not-the-password'));
    // a malformed credentials file
    writeFileSync(join(dir, 'bad.auth'), 'just-a-name\n', { mode: 0o600 });
    r = await kc([...fetchKeys, '--auth-file', join(dir, 'bad.auth')]);
    assert.match(r.err, /error\[INVALID_INPUT\]: .*bad\.auth must hold user:password/);

    // NOTARY_AUTH (base64 user:password, as the notary client reads it): the server's timestamp key
    const NOTARY_AUTH = Buffer.from(`publisher:${PASSWORD}`).toString('base64');
    r = await kc(fetchKeys, { NOTARY_AUTH });
    assert.equal(r.code, 0, r.err + server.log().slice(-1500));
    assert.match(r.out, /timestamp key \(ed25519\)/);

    // offline: a GUN on the token (root certificate, targets and snapshot keys), one target
    const repo = join(dir, 'repo');
    const pin = ['--pin-file', join(dir, 'pin')];
    r = await kc(['cert', '--gun', GUN, '--token', 'publisher', '--label', 'notary-root', '--out', join(dir, 'root.crt'), ...pin]);
    assert.equal(r.code, 0, r.err);
    r = await kc([
      'init',
      '--gun',
      GUN,
      '--dir',
      repo,
      '--root-cert',
      join(dir, 'root.crt'),
      '--root-threshold',
      '1',
      '--targets-key',
      join(dir, 'notary-targets.pub.pem'),
      '--snapshot-key',
      join(dir, 'notary-snapshot.pub.pem'),
      '--timestamp-key',
      join(keys, 'timestamp.key'),
      '--target',
      `v1=${join(dir, 'payload.txt')}`,
    ]);
    assert.equal(r.code, 0, r.err);
    for (const [role, label] of [
      ['root', 'notary-root'],
      ['targets', 'notary-targets'],
      ['snapshot', 'notary-snapshot'],
    ] as const) {
      r = await kc(['sign', '--dir', repo, '--role', role, '--token', 'publisher', '--label', label, ...pin]);
      assert.equal(r.code, 0, r.err);
    }

    // publish with a credentials file (user:password)
    writeFileSync(join(dir, 'publisher.auth'), `publisher:${PASSWORD}\n`, { mode: 0o600 });
    r = await kc(['publish', ...srv, '--dir', repo, '--auth-file', join(dir, 'publisher.auth')]);
    assert.equal(r.code, 0, r.err + server.log().slice(-1500));
    assert.match(r.out, /published .*: root, targets, snapshot/);
    assert.ok(![r.out, r.err].some((t) => t.includes(PASSWORD) || t.includes(NOTARY_AUTH)), 'credentials never printed');
    assert.ok(
      tokens.requests.some((l) => /^GET user=publisher scope=repository:example\.com\/keyceremony\/token-auth:\S*push\S* 200$/.test(l)),
      tokens.requests.join('\n'),
    );

    // the real notary client lists our target through the same token service (an anonymous pull, as
    // `notary list` does; run async: the token service answers from this process)
    const l = await promisify(execFile)('notary', ['-s', server.url, '-d', join(dir, 'client'), '--tlscacert', server.ca, 'list', GUN], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NOTARY_AUTH },
    }).catch((e: { stdout?: string; stderr?: string; message: string }) =>
      assert.fail(`${e.message}\n${e.stdout}\n${e.stderr}\n${tokens.requests.join('\n')}`),
    );
    assert.match(l.stdout, /^v1\s+[0-9a-f]{64}\s+19\s+targets/m);
    assert.ok(tokens.requests.includes(`GET user=- scope=repository:${GUN}:pull 200`), tokens.requests.join('\n'));
  },
);

/**
 * Interop with Debian's notary 0.7: a GUN initialised offline by keyceremony (root certificate keys
 * on SoftHSM tokens, threshold 2 of 2), published with `keyceremony notary publish` to a real
 * notary-server on 127.0.0.1, listed by the real `notary` client; then a root rotation (a key
 * replaced) signed by us is accepted by the same client (which had pinned root v1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { hasCommand, startNotaryServer, type RunningNotary } from '../helpers/notary-server';
import { notaryCommand, readRepoDir } from '../../electron/cli/commands/notary';
import { makeContext, type CliContext } from '../../electron/cli/context';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { pemEncode } from '../../shared/encoding/bytes';
import { fetchServerFile, uploadRoles } from '../../electron/adapters/notary/publish';
import { verifyNotaryRepository } from '../../electron/core/notary';
import { kcInProcess as kcCli } from '../helpers/kc-inprocess';

const missing = ['notary', 'notary-server', 'openssl', 'softhsm2-util'].filter((c) => !hasCommand(c));
const skip = missing.length ? `notary interop needs ${missing.join(', ')} (scripts/system-deps.sh installs the notary, softhsm2 and openssl packages)` : false;

let hsm: TestHsm;
let dir: string;
let server: RunningNotary;
const GUN = 'example.com/keyceremony/app';

async function kc(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const base = makeContext({ env: { ...process.env, KEYCEREMONY_PIN: '', ...env } });
  const ctx: CliContext = { ...base, out: (l) => void (out += l + '\n'), err: (l) => void (err += l + '\n') };
  try {
    const code = await notaryCommand.run(args, ctx);
    return { code, out, err };
  } catch (e) {
    return { code: 1, out, err: err + `error[${(e as { code?: string }).code}]: ${(e as Error).message}` };
  }
}

function notaryClient(clientDir: string, ...args: string[]) {
  const r = spawnSync('notary', ['-s', server.url, '-d', clientDir, '--tlscacert', server.ca, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'kc-notary-'));
  server = await startNotaryServer(dir);
  hsm = await makeSoftHsm(['custodian-a', 'custodian-b', 'custodian-c', 'online']);
  writeFileSync(join(dir, 'pin'), '1234\n', { mode: 0o600 });
  const mod = Pkcs11Module.open(hsm.module);
  try {
    for (const [tok, label] of [
      ['custodian-a', 'notary-root'],
      ['custodian-b', 'notary-root'],
      ['custodian-c', 'notary-root'],
      ['online', 'notary-targets'],
      ['online', 'notary-snapshot'],
      ['online', 'alice'],
    ] as const) {
      await mod.withSession({ label: tok }, { pin: hsm.pinOf(tok), rw: true }, async (s) => {
        const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
        writeFileSync(join(dir, `${tok}-${label}.pub.pem`), pemEncode('PUBLIC KEY', key.publicKeySpki));
      });
    }
  } finally {
    mod.close();
  }
  writeFileSync(join(dir, 'payload-v1.txt'), 'release one\n');
  writeFileSync(join(dir, 'payload-v2.txt'), 'release two\n');
});

after(async () => {
  await server?.stop();
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pin = () => ['--pin-file', join(dir, 'pin')];

/**
 * A GUN made afresh on `srv` (server-held snapshot key): its timestamp and snapshot keys fetched from the
 * server, `init` with one root certificate and one target, root signed on custodian-b's token and
 * targets on the online token, then published. Returns the repository folder and the key-fetch output.
 */
async function publishNewGun(srv: RunningNotary, gun: string, name: string, rootCert: string, target: string): Promise<{ repo: string; fetched: string }> {
  const repo = join(dir, `repo-${name}`);
  const keys = join(dir, `server-keys-${name}`);
  const srvArgs = ['--server', srv.url, '--tls-ca', srv.ca];
  let r = await kc(['publish', ...srvArgs, '--gun', gun, '--fetch-keys', keys, '--server-snapshot']);
  assert.equal(r.code, 0, r.err);
  const fetched = r.out;
  r = await kc([
    'init',
    '--gun',
    gun,
    '--dir',
    repo,
    '--root-cert',
    rootCert,
    '--targets-key',
    join(dir, 'online-notary-targets.pub.pem'),
    '--server-snapshot-key',
    join(keys, 'snapshot.key'),
    '--timestamp-key',
    join(keys, 'timestamp.key'),
    '--target',
    target,
  ]);
  assert.equal(r.code, 0, r.err);
  for (const [role, tok, label] of [
    ['root', 'custodian-b', 'notary-root'],
    ['targets', 'online', 'notary-targets'],
  ] as const) {
    r = await kc(['sign', '--dir', repo, '--role', role, '--token', tok, '--label', label, ...pin()]);
    assert.equal(r.code, 0, r.err);
  }
  r = await kc(['publish', ...srvArgs, '--dir', repo]);
  assert.equal(r.code, 0, r.err + srv.log().slice(-2000));
  return { repo, fetched };
}

test('offline GUN on SoftHSM, published by us, listed by the real notary client; root rotation accepted', { skip, timeout: 120_000 }, async () => {
  const repo = join(dir, 'repo');
  const keys = join(dir, 'server-keys');
  // 1. online machine: the server's timestamp key
  let r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--gun', GUN, '--fetch-keys', keys]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /timestamp key \(ed25519\)/);

  // 2. offline: root certificates made on the tokens (CN = GUN)
  const certIds: Record<string, string> = {};
  for (const t of ['custodian-a', 'custodian-b', 'custodian-c']) {
    r = await kc(['cert', '--gun', GUN, '--token', t, '--label', 'notary-root', '--out', join(dir, `${t}.crt`), ...pin()]);
    assert.equal(r.code, 0, r.err);
    certIds[t] = /key id \(root\.json\): +([0-9a-f]{64})/.exec(r.out)?.[1] ?? '';
    assert.match(r.out, /canonical root key id: +[0-9a-f]{64}/);
  }
  const x = spawnSync('openssl', ['x509', '-in', join(dir, 'custodian-a.crt'), '-noout', '-subject'], { encoding: 'utf8' });
  assert.match(x.stdout, new RegExp(`CN ?= ?${GUN}`));

  // 3. offline: new GUN, root 2-of-2, client-held snapshot key, one target
  r = await kc([
    'init',
    '--gun',
    GUN,
    '--dir',
    repo,
    '--root-cert',
    join(dir, 'custodian-a.crt'),
    '--root-cert',
    join(dir, 'custodian-b.crt'),
    '--root-threshold',
    '2',
    '--targets-key',
    join(dir, 'online-notary-targets.pub.pem'),
    '--snapshot-key',
    join(dir, 'online-notary-snapshot.pub.pem'),
    '--timestamp-key',
    join(keys, 'timestamp.key'),
    '--target',
    `v1=${join(dir, 'payload-v1.txt')}`,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /root v1: signed by 0 of 2 required root keys/);

  // the snapshot cannot be built before root is complete
  r = await kc(['sign', '--dir', repo, '--role', 'snapshot', '--token', 'online', '--label', 'notary-snapshot', ...pin()]);
  assert.equal(r.code, 1);
  assert.match(r.err, /PRECONDITION_FAILED.*root\.json is not fully signed/);

  r = await kc(['sign', '--dir', repo, '--role', 'root', '--token', 'custodian-a', '--label', 'notary-root', ...pin()]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /root v1: signed by 1 of 2 required root keys/);
  r = await kc(['sign', '--dir', repo, '--role', 'root', '--token', 'custodian-b', '--label', 'notary-root', ...pin()]);
  assert.match(r.out, /root v1: signed by 2 of 2 required root keys \(complete\)/);
  // a key that is not a root key is refused
  r = await kc(['sign', '--dir', repo, '--role', 'root', '--token', 'online', '--label', 'notary-targets', ...pin()]);
  assert.equal(r.code, 1);
  assert.match(r.err, /KEY_NOT_FOUND/);
  r = await kc(['sign', '--dir', repo, '--role', 'targets', '--token', 'online', '--label', 'notary-targets', ...pin()]);
  assert.equal(r.code, 0, r.err);
  r = await kc(['sign', '--dir', repo, '--role', 'snapshot', '--token', 'online', '--label', 'notary-snapshot', ...pin()]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /snapshot v1: signed by 1 of 1/);
  r = await kc(['verify', '--dir', repo]);
  assert.equal(r.code, 0, r.out);
  const rootV1 = readFileSync(join(repo, 'root.json'));

  // 4. online: publish with our command; the real client lists our target
  r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
  assert.equal(r.code, 0, r.err + server.log().slice(-2000));
  assert.match(r.out, /published .*: root, targets, snapshot/);
  const client = join(dir, 'client');
  let l = notaryClient(client, 'list', GUN);
  assert.equal(l.code, 0, l.err);
  const sha1 = createHash('sha256')
    .update(readFileSync(join(dir, 'payload-v1.txt')))
    .digest('hex');
  assert.match(l.out, new RegExp(`v1\\s+${sha1}\\s+12\\s+targets`));

  // 5. root rotation: custodian-b's key replaced by custodian-c's, threshold stays 2
  r = await kc(['rotate', '--dir', repo, '--root-cert', join(dir, 'custodian-a.crt'), '--root-cert', join(dir, 'custodian-c.crt'), '--root-threshold', '2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /root v2: signed by 0 of 2 required old-root \(v1\) keys, 0 of 2 required new-root keys/);
  // custodian-c signs on another machine (a copy of the folder), in parallel with custodian-a
  const copyC = join(dir, 'repo-copy-c');
  cpSync(repo, copyC, { recursive: true });
  r = await kc(['sign', '--dir', repo, '--role', 'root', '--token', 'custodian-a', '--label', 'notary-root', ...pin()]);
  // the diff read before signing: one key out, one in, with fingerprints and certificate CN
  assert.match(r.out, /^root: v1 -> v2$/m);
  assert.match(r.out, /root: \+ key ecdsa-x509 [0-9a-f]{12}… fingerprint [0-9a-f]{16}… cert CN=example\.com\/keyceremony\/app until/);
  assert.match(r.out, /root: - key ecdsa-x509 /);
  assert.match(r.out, /root v2: signed by 1 of 2 required old-root \(v1\) keys, 1 of 2 required new-root keys/);
  r = await kc(['sign', '--dir', copyC, '--role', 'root', '--token', 'custodian-c', '--label', 'notary-root', ...pin()]);
  assert.match(r.out, /root v2: signed by 0 of 2 required old-root \(v1\) keys, 1 of 2 required new-root keys/);
  r = await kc(['merge', '--dir', repo, '--from', copyC]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /root v2: signed by 1 of 2 required old-root \(v1\) keys, 2 of 2 required new-root keys/);

  // too few old-root signatures: our verifier and notary-server both refuse it
  const partial = readRepoDir(repo);
  const ours = await verifyNotaryRepository({ files: partial, at: new Date(), trustedRoot: rootV1 });
  assert.equal(ours.ok, false);
  assert.match(JSON.stringify(ours.items), /needs 2 valid old-root \(v1\) signatures, has 1/);
  await assert.rejects(
    uploadRoles({ url: server.url, ca: readFileSync(server.ca) }, GUN, [{ role: 'root', bytes: partial.get('root.json') as Uint8Array }]),
    /refused the update \(HTTP 400\).*(ErrBadRoot|rotate trust)/,
  );

  r = await kc(['sign', '--dir', repo, '--role', 'root', '--token', 'custodian-b', '--label', 'notary-root', ...pin()]);
  assert.match(r.out, /root v2: signed by 2 of 2 required old-root \(v1\) keys, 2 of 2 required new-root keys \(complete\)/);
  // a new release with the rotation
  r = await kc(['targets', '--dir', repo, '--add', `v2=${join(dir, 'payload-v2.txt')}`]);
  assert.equal(r.code, 0, r.err);
  r = await kc(['sign', '--dir', repo, '--role', 'targets', '--token', 'online', '--label', 'notary-targets', ...pin()]);
  assert.match(r.out, /^targets: v1 -> v2$/m);
  assert.match(r.out, /\+ target v2 \(12 bytes, sha256 3ef6b3f27f6fab41…\)/);
  assert.match(r.out, /targets v2: signed by 1 of 1/);
  r = await kc(['sign', '--dir', repo, '--role', 'snapshot', '--token', 'online', '--label', 'notary-snapshot', ...pin()]);
  assert.match(r.out, /snapshot v2: signed by 1 of 1/);
  writeFileSync(join(dir, 'root-v1.json'), rootV1);
  r = await kc(['verify', '--dir', repo, '--trusted-root', join(dir, 'root-v1.json')]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^root v2 \(2\.root\.json\): verified/m);

  r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
  assert.equal(r.code, 0, r.err + server.log().slice(-2000));
  assert.match(r.out, /root, targets, snapshot/);

  // the same client (root v1 pinned from the first list) follows the rotation
  l = notaryClient(client, 'list', GUN);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /^v1\s/m);
  assert.match(l.out, /^v2\s/m);
  // 6. a DCT signer, as `docker trust signer add alice GUN --key alice.pub`, then a release signed by alice into targets/releases
  r = await kc(['signer', '--dir', repo, '--name', 'alice', '--key-file', join(dir, 'online-alice.pub.pem')]);
  assert.equal(r.code, 0, r.err);
  r = await kc(['sign', '--dir', repo, '--role', 'targets', '--token', 'online', '--label', 'notary-targets', ...pin()]);
  assert.match(r.out, /\+ delegation targets\/alice: threshold 1, paths \[""\]/);
  assert.match(r.out, /\+ delegation targets\/releases: threshold 1, paths \[""\]/);
  r = await kc(['targets', '--dir', repo, '--role', 'targets/releases', '--add', `latest=${join(dir, 'payload-v2.txt')}`]);
  assert.equal(r.code, 0, r.err);
  r = await kc(['sign', '--dir', repo, '--role', 'targets/releases', '--token', 'online', '--label', 'alice', ...pin()]);
  assert.match(r.out, /targets\/releases v1: signed by 1 of 1 required targets\/releases keys \(complete\)/);
  r = await kc(['sign', '--dir', repo, '--role', 'snapshot', '--token', 'online', '--label', 'notary-snapshot', ...pin()]);
  assert.match(r.out, /\+ targets\/releases \(/);
  r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
  assert.equal(r.code, 0, r.err + server.log().slice(-2000));
  assert.match(r.out, /: targets, targets\/releases, snapshot$/m);
  l = notaryClient(client, 'list', GUN);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /^latest\s+3ef6b3f27f6fab4188bd75144639cc4783985359e32a8b9101dbb23ba8acd49f\s+12\s+targets\/releases/m);
  const dl = notaryClient(client, 'delegation', 'list', GUN);
  assert.equal(dl.code, 0, dl.err);
  assert.match(dl.out, /targets\/alice\s+"" <all paths>/);
  assert.match(dl.out, /targets\/releases\s+"" <all paths>/);
  // 7. `notary delegation add|remove --paths` as the notary client has them: a role limited to qa/ (beta/ added, then removed)
  r = await kc(['delegation', 'add', '--dir', repo, '--role', 'targets/qa', '--key-file', join(dir, 'online-alice.pub.pem'), '--paths', 'qa/,beta/']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^new delegation targets\/qa with keys [0-9a-f]{12} and paths \["qa\/", "beta\/"\] staged in targets v\d+$/m);
  r = await kc(['delegation', 'remove', '--dir', repo, '--role', 'targets/qa', '--paths', 'beta/']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^from targets\/qa: removed paths \["beta\/"\] in targets v\d+$/m);
  r = await kc(['delegation', 'remove', '--dir', repo, '--role', 'targets/qa']);
  assert.notEqual(r.code, 0, 'removing a whole delegation asks for --yes');
  assert.match(r.err, /add --yes to confirm/);
  r = await kc(['sign', '--dir', repo, '--role', 'targets', '--token', 'online', '--label', 'notary-targets', ...pin()]);
  assert.match(r.out, /\+ delegation targets\/qa: threshold 1, paths \["qa\/"\]/);
  r = await kc(['targets', '--dir', repo, '--role', 'targets/qa', '--add', `qa/tool=${join(dir, 'payload-v1.txt')}`]);
  assert.equal(r.code, 0, r.err);
  r = await kc(['sign', '--dir', repo, '--role', 'targets/qa', '--token', 'online', '--label', 'alice', ...pin()]);
  assert.match(r.out, /targets\/qa v1: signed by 1 of 1/);
  r = await kc(['sign', '--dir', repo, '--role', 'snapshot', '--token', 'online', '--label', 'notary-snapshot', ...pin()]);
  r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
  assert.equal(r.code, 0, r.err + server.log().slice(-2000));
  const dq = notaryClient(client, 'delegation', 'list', GUN);
  assert.equal(dq.code, 0, dq.err);
  assert.match(dq.out, /targets\/qa\s+qa\/\s/);
  assert.doesNotMatch(dq.out, /beta\//);
  l = notaryClient(client, 'list', GUN);
  assert.match(l.out, /^qa\/tool\s+[0-9a-f]{64}\s+12\s+targets\/qa/m);

  // a fresh client too (TOFU on root v2)
  l = notaryClient(join(dir, 'client2'), 'list', GUN);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /^v2\s/m);
  // trust pinning (notary -c): the root.json key id `notary cert` printed pins the GUN; a wrong id is refused
  const pinCfg = (ids: string[], name: string) => {
    const f = join(dir, `${name}.json`);
    writeFileSync(
      f,
      JSON.stringify({ trust_dir: join(dir, name), remote_server: { url: server.url, root_ca: server.ca }, trust_pinning: { certs: { [GUN]: ids } } }),
    );
    return spawnSync('notary', ['-c', f, 'list', GUN], { encoding: 'utf8', timeout: 20_000 });
  };
  let pinned = pinCfg([certIds['custodian-a'] as string, certIds['custodian-c'] as string], 'pinned-ok');
  assert.equal(pinned.status, 0, pinned.stderr + pinned.stdout);
  assert.match(pinned.stdout, /^v2\s/m);
  // notary counts only pinned certificates toward the root threshold: pinning 1 of a 2-of-2 root fails
  pinned = pinCfg([certIds['custodian-a'] as string], 'pinned-one');
  assert.notEqual(pinned.status, 0);
  assert.match(pinned.stderr + pinned.stdout, /failed to validate integrity of roots/);
  pinned = pinCfg([certIds['custodian-b'] as string], 'pinned-wrong'); // rotated out in v2
  assert.notEqual(pinned.status, 0);
  assert.match(pinned.stderr + pinned.stdout, /unable to match any certificates to trust_pinning config/);

  // the client now trusts root v2's certificates: its cached root is v2
  const cached = JSON.parse(readFileSync(join(client, 'tuf', GUN, 'metadata', 'root.json'), 'utf8')) as { signed: { version: number } };
  assert.equal(cached.signed.version, 2);
});

test('server-managed snapshot: we upload root + targets only, the server signs the snapshot over our bytes', { skip, timeout: 60_000 }, async () => {
  const gun = 'example.com/keyceremony/srvsnap';
  const repo = join(dir, 'repo-srv');
  const keys = join(dir, 'server-keys-srv');
  let r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--gun', gun, '--fetch-keys', keys, '--server-snapshot']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /snapshot key \(ed25519\)/);
  r = await kc(['cert', '--gun', gun, '--token', 'custodian-a', '--label', 'notary-root', '--out', join(dir, 'srv-a.crt'), ...pin()]);
  assert.equal(r.code, 0, r.err);
  r = await kc([
    'init',
    '--gun',
    gun,
    '--dir',
    repo,
    '--root-cert',
    join(dir, 'srv-a.crt'),
    '--targets-key',
    join(dir, 'online-notary-targets.pub.pem'),
    '--server-snapshot-key',
    join(keys, 'snapshot.key'),
    '--timestamp-key',
    join(keys, 'timestamp.key'),
    '--target',
    `app=${join(dir, 'payload-v1.txt')}`,
  ]);
  assert.equal(r.code, 0, r.err);
  // a root signed by nobody is not published
  r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
  assert.equal(r.code, 1);
  assert.match(r.err, /VERIFICATION_FAILED.*not publishing/);
  r = await kc(['sign', '--dir', repo, '--role', 'root', '--token', 'custodian-a', '--label', 'notary-root', ...pin()]);
  assert.equal(r.code, 0, r.err);
  r = await kc(['sign', '--dir', repo, '--role', 'targets', '--token', 'online', '--label', 'notary-targets', ...pin()]);
  assert.equal(r.code, 0, r.err);
  r = await kc(['publish', '--server', server.url, '--tls-ca', server.ca, '--dir', repo]);
  assert.equal(r.code, 0, r.err + server.log().slice(-2000));
  assert.match(r.out, /: root, targets$/m);
  const l = notaryClient(join(dir, 'client-srv'), 'list', gun);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /^app\s+[0-9a-f]{64}\s+12\s+targets/m);

  // what the server now serves (its ed25519 timestamp and snapshot over our files) verifies with ours
  const pulled = join(dir, 'pulled-srv');
  mkdirSync(pulled);
  const srv = { url: server.url, ca: readFileSync(server.ca) };
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
    const b = await fetchServerFile(srv, gun, role);
    assert.ok(b, `server has ${role}.json`);
    writeFileSync(join(pulled, `${role}.json`), b, { flag: 'w' });
  }
  assert.deepEqual(readFileSync(join(pulled, 'root.json')), readFileSync(join(repo, 'root.json')));
  assert.deepEqual(readFileSync(join(pulled, 'targets.json')), readFileSync(join(repo, 'targets.json')));
  const ts = JSON.parse(readFileSync(join(pulled, 'timestamp.json'), 'utf8')) as { signatures: { method: string }[] };
  assert.equal(ts.signatures[0]?.method, 'eddsa');
  r = await kc(['verify', '--dir', pulled, '--trusted-root', join(repo, 'root.json'), '--require-all']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^timestamp v1 \(timestamp\.json\): verified, delegated by root/m);
  assert.match(r.out, /^snapshot v1 \(snapshot\.json\): verified, delegated by root/m);
});

test(
  'with notary-signer (ECDSA server keys): server-held ECDSA timestamp + snapshot over our files',
  { skip: skip || (!hasCommand('notary-signer') && 'needs notary-signer (Debian notary package)'), timeout: 60_000 },
  async () => {
    const sdir = join(dir, 'ecdsa-server');
    mkdirSync(sdir);
    const ecdsaServer = await startNotaryServer(sdir, { remoteSigner: true });
    try {
      const gun = 'example.com/keyceremony/ecdsa';
      let r = await kc(['cert', '--gun', gun, '--token', 'custodian-b', '--label', 'notary-root', '--out', join(dir, 'ecdsa-b.crt'), ...pin()]);
      assert.equal(r.code, 0, r.err);
      const { repo, fetched } = await publishNewGun(ecdsaServer, gun, 'ecdsa', join(dir, 'ecdsa-b.crt'), `tool=${join(dir, 'payload-v2.txt')}`);
      assert.match(fetched, /timestamp key \(ecdsa\)/);
      assert.match(fetched, /snapshot key \(ecdsa\)/);
      const l = spawnSync('notary', ['-s', ecdsaServer.url, '-d', join(dir, 'client-ecdsa'), '--tlscacert', ecdsaServer.ca, 'list', gun], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(l.status, 0, l.stderr);
      assert.match(l.stdout, /^tool\s+3ef6b3f27f6fab4188bd75144639cc4783985359e32a8b9101dbb23ba8acd49f\s+12\s+targets/m);
      const pulled = join(dir, 'pulled-ecdsa');
      mkdirSync(pulled);
      const srv = { url: ecdsaServer.url, ca: readFileSync(ecdsaServer.ca) };
      for (const role of ['root', 'targets', 'snapshot', 'timestamp'])
        writeFileSync(join(pulled, `${role}.json`), (await fetchServerFile(srv, gun, role)) as Uint8Array);
      const ts = JSON.parse(readFileSync(join(pulled, 'timestamp.json'), 'utf8')) as { signatures: { method: string; sig: string }[] };
      assert.equal(ts.signatures[0]?.method, 'ecdsa');
      assert.equal(Buffer.from(ts.signatures[0]?.sig ?? '', 'base64').length, 64);
      r = await kc(['verify', '--dir', pulled, '--trusted-root', join(repo, 'root.json'), '--require-all']);
      assert.equal(r.code, 0, r.out);
    } finally {
      await ecdsaServer.stop();
    }
  },
);

test(
  'export trust (issue 15): the exported config.json pins the GUN — a fresh notary client lists it; the same GUN re-created with another root on another server is refused',
  { skip, timeout: 90_000 },
  async () => {
    const repo = join(dir, 'repo');
    const anchors = join(dir, 'anchors');
    const r = await kcCli(['export', 'trust', '--metadata', repo, '--out', anchors]);
    assert.equal(r.code, 0, r.err);
    const config = JSON.parse(readFileSync(join(anchors, 'config.json'), 'utf8')) as {
      trust_pinning: { certs: Record<string, string[]>; disable_tofu: boolean };
    };
    assert.equal(config.trust_pinning.disable_tofu, true);
    assert.deepEqual(Object.keys(config.trust_pinning.certs), [GUN]);
    const list = (srv: RunningNotary, name: string) =>
      spawnSync('notary', ['-c', join(anchors, 'config.json'), '-s', srv.url, '-d', join(dir, name), '--tlscacert', srv.ca, 'list', GUN], {
        encoding: 'utf8',
        timeout: 20_000,
      });
    const ok = list(server, 'client-pinned-by-export');
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /^v2\s/m);

    // the same GUN re-created with another root (custodian-b's certificate alone) on another server
    mkdirSync(join(dir, 'server-recreated'));
    const other = await startNotaryServer(join(dir, 'server-recreated'));
    try {
      await publishNewGun(other, GUN, 'recreated', join(dir, 'custodian-b.crt'), `v1=${join(dir, 'payload-v2.txt')}`);
      // a client without pinning takes it (TOFU); the exported pinning refuses it
      const tofu = spawnSync('notary', ['-s', other.url, '-d', join(dir, 'client-tofu-recreated'), '--tlscacert', other.ca, 'list', GUN], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(tofu.status, 0, tofu.stderr);
      const refused = list(other, 'client-pinned-recreated');
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr + refused.stdout, /unable to match any certificates to trust_pinning config/);
    } finally {
      await other.stop();
    }
  },
);

/**
 * Unbounded reads (issue 12 item 7): `/dev/zero`, a FIFO, or a file far over the limit as ANY input
 * of the CLI is refused with TOO_LARGE naming the file and the limit, quickly, never read to
 * exhaustion. Each case runs the CLI in a child process with a timeout, so a regression (a hang or
 * a memory blow-up) fails the test instead of the test runner.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync, truncateSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kcArgv } from '../helpers/ceremony-run';
import { SoftwareSigner } from '../helpers/software-signer';
import { publicKeyPem } from '../../shared/cosign/keys';
import { signBlob } from '../../electron/core/cosign/sign';
import { serializeBundle } from '../../shared/cosign/bundle';
import { readInputFile, readStreamBounded, INPUT_LIMITS } from '../../electron/adapters/fs/read';
import { readSecretFile } from '../../electron/cli/context';
import { templateText } from '../../electron/core/ceremony/templates';

const V1 = resolve(import.meta.dirname, '..', 'fixtures', 'backup-v1');
let dir: string;
const at = (f: string) => join(dir, f);
const ZERO = '/dev/zero';

function kc(args: string[], env: Record<string, string> = {}) {
  const t0 = Date.now();
  const r = spawnSync(kcArgv()[0] as string, [...kcArgv().slice(1), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, KEYCEREMONY_PIN: '', KEYCEREMONY_MAX_ARTIFACT_BYTES: '', ...env },
    timeout: 60_000,
    maxBuffer: 1 << 20,
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kc-bounded-'));
  const s = SoftwareSigner.generate('ecdsa-p256');
  writeFileSync(at('key.pem'), publicKeyPem(s.publicKeySpki));
  writeFileSync(at('blob'), 'hello\n');
  writeFileSync(at('blob.sigstore.json'), serializeBundle((await signBlob(s, new TextEncoder().encode('hello\n'))).bundle));
  writeFileSync(at('sig'), 'MEUCIQ==\n');
  mkdirSync(at('metadata'));
  writeFileSync(at('pin'), '1234\n');
  writeFileSync(at('script.json'), templateText('cosign-key') as string);
  for (const f of ['backup.json', 'share-1-of-3-ada.txt', 'share-3-of-3-cy.txt']) copyFileSync(join(V1, f), at(f));
  // a sparse file far over every limit but the artifact one: refused by its size before any read
  const fd = openSync(at('huge.json'), 'w');
  closeSync(fd);
  truncateSync(at('huge.json'), 3 * 1024 ** 3);
  execFileSync('mkfifo', [at('fifo')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** [name, argv, what the error names, limit, env] */
const CASES: [string, string[], string, number, Record<string, string>?][] = [
  ['tuf verify --trusted-root', ['tuf', 'verify', '--trusted-root', ZERO, '--metadata', 'metadata'], 'trusted root', INPUT_LIMITS.tufRoot],
  ['tuf init --root-key', ['tuf', 'init', '--out', 'repo', '--root-key', ZERO, '--threshold', '1', '--online-key', 'key.pem'], 'key file', INPUT_LIMITS.key],
  ['tuf sign REQUEST', ['tuf', 'sign', ZERO, '--token', 't', '--label', 'k'], 'signing request', INPUT_LIMITS.metadata],
  [
    'cosign verify --payload',
    ['cosign', 'verify', '--key', 'key.pem', '--payload', ZERO, '--signature', 'sig'],
    'payload',
    1 << 20,
    { KEYCEREMONY_MAX_ARTIFACT_BYTES: String(1 << 20) },
  ],
  ['cosign verify --bundle', ['cosign', 'verify', '--key', 'key.pem', '--bundle', ZERO, '--artifact', 'blob'], 'bundle', INPUT_LIMITS.metadata],
  ['cosign verify --key', ['cosign', 'verify', '--key', ZERO, '--bundle', 'blob.sigstore.json', '--artifact', 'blob'], 'public key', INPUT_LIMITS.key],
  [
    'cosign verify --artifact',
    ['cosign', 'verify', '--key', 'key.pem', '--bundle', 'blob.sigstore.json', '--artifact', ZERO],
    'artifact',
    1 << 20,
    { KEYCEREMONY_MAX_ARTIFACT_BYTES: String(1 << 20) },
  ],
  [
    'cosign verify --trusted-root',
    ['cosign', 'verify', '--key', 'key.pem', '--bundle', 'blob.sigstore.json', '--artifact', 'blob', '--trusted-root', ZERO],
    'trusted root',
    INPUT_LIMITS.sigstoreTrustedRoot,
  ],
  [
    'cosign sign --blob',
    ['cosign', 'sign', '--token', 't', '--label', 'k', '--blob', ZERO, '--out', 'sigs'],
    'blob',
    1 << 20,
    { KEYCEREMONY_MAX_ARTIFACT_BYTES: String(1 << 20) },
  ],
  ['cosign status --request', ['cosign', 'status', '--request', ZERO], 'request', INPUT_LIMITS.metadata],
  [
    'backup verify-shares --backup',
    ['backup', 'verify-shares', '--backup', ZERO, '--share-file', 'share-1-of-3-ada.txt'],
    'backup file',
    INPUT_LIMITS.document,
  ],
  ['backup verify-shares --share-file', ['backup', 'verify-shares', '--backup', 'backup.json', '--share-file', ZERO], 'share file', INPUT_LIMITS.share],
  [
    'backup --passphrase-file',
    ['backup', 'verify-shares', '--backup', 'backup.json', '--share-file', 'share-3-of-3-cy.txt', '--passphrase-file', `3=${ZERO}`],
    'passphrase for share 3 file',
    INPUT_LIMITS.secret,
  ],
  ['bundle verify (archive)', ['bundle', 'verify', ZERO], 'bundle archive', 1024 ** 3],
  ['ceremony validate', ['ceremony', 'validate', ZERO], 'ceremony script', INPUT_LIMITS.document],
  ['ceremony run SCRIPT', ['ceremony', 'run', ZERO, '--rehearsal'], 'ceremony script', 1024 * 1024],
  ['ceremony run --answers', ['ceremony', 'run', 'script.json', '--rehearsal', '--answers', ZERO], 'answers file', INPUT_LIMITS.document],
  ['notary verify --trusted-root', ['notary', 'verify', '--dir', 'metadata', '--trusted-root', ZERO], 'trusted root', INPUT_LIMITS.tufRoot],
  ['attest verify --cert', ['attest', 'verify', '--cert', ZERO, '--device-cert', 'key.pem'], 'key certificate', INPUT_LIMITS.certificate],
];

describe('/dev/zero as an input: TOO_LARGE naming the file and the limit, no hang', () => {
  let results: { code: number; err: string }[] = [];
  before(() => {
    writeFileSync(at('cases.json'), JSON.stringify(CASES.map(([, args, , , env]) => ({ args, env: env ?? {} }))));
    const r = spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), resolve(import.meta.dirname, '..', 'helpers', 'kc-many.ts'), at('cases.json')],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, KEYCEREMONY_PIN: '', KEYCEREMONY_MAX_ARTIFACT_BYTES: '' },
        timeout: 120_000,
        maxBuffer: 16 << 20,
      },
    );
    assert.equal(r.signal, null, `the CLI was killed by ${r.signal}: a case hung or read without end\n${r.stdout}\n${r.stderr.slice(0, 2000)}`);
    results = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { code: number; err: string });
  });
  CASES.forEach(([name, , what, limit], i) => {
    test(name, () => {
      const r = results[i];
      assert.ok(r, `${name}: no result (the run stopped before it)`);
      assert.equal(r.code, 1, `${name}: exit ${r.code}\n${r.err}`);
      assert.match(r.err, /^error\[TOO_LARGE\]: /m, name);
      assert.ok(r.err.includes(`The ${what} ${ZERO} is too large: more than ${limit} bytes (limit ${limit} bytes)`), `${name}:\n${r.err}`);
    });
  });
});

describe('other unbounded inputs', () => {
  test('a 3 GB (sparse) file is refused by its size before any byte is read', () => {
    const r = kc(['cosign', 'verify', '--key', 'key.pem', '--bundle', 'huge.json', '--artifact', 'blob']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /error\[TOO_LARGE\]: The bundle huge\.json is too large: 3221225472 bytes \(limit 67108864 bytes\)/);
    const x = kc(['bundle', 'extract', 'huge.json', 'x']);
    assert.equal(x.code, 1, x.err);
    assert.match(x.err, /error\[TOO_LARGE\]: The bundle archive huge\.json is too large: 3221225472 bytes \(limit 1073741824 bytes\)/);
  });

  test('stdin: `sign --in -` from /dev/zero stops at the limit', () => {
    const r = spawnSync('sh', ['-c', `exec "$0" "$@" < /dev/zero`, ...kcArgv(), 'sign', '--token', 't', '--label', 'k', '--in', '-'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, KEYCEREMONY_MAX_ARTIFACT_BYTES: String(1 << 20) },
      timeout: 60_000,
    });
    assert.equal(r.signal, null, 'hang');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /error\[TOO_LARGE\]: The data on stdin is too large: more than 1048576 bytes \(limit 1048576 bytes\)/);
  });

  test('KEYCEREMONY_MAX_ARTIFACT_BYTES that is not a byte count is refused by name', () => {
    const r = kc(['cosign', 'verify', '--key', 'key.pem', '--bundle', 'blob.sigstore.json', '--artifact', 'blob'], { KEYCEREMONY_MAX_ARTIFACT_BYTES: 'lots' });
    assert.equal(r.code, 1);
    assert.match(r.err, /error\[INVALID_INPUT\]: KEYCEREMONY_MAX_ARTIFACT_BYTES must be a whole number/);
  });
});

describe('readInputFile', () => {
  test('a FIFO with more than the limit written into it is refused; a small one is read whole', async () => {
    const big = spawn('sh', ['-c', `head -c 5000 /dev/zero > "${at('fifo')}"`]);
    const bigGone = new Promise((r) => big.once('exit', r));
    assert.throws(() => readInputFile(at('fifo'), { what: 'share file', limit: 4096 }), { code: 'TOO_LARGE', message: /more than 4096 bytes/ });
    big.kill();
    // The first writer must be gone: while it holds the FIFO open, its unread bytes stay in the pipe.
    await bigGone;
    const small = spawn('sh', ['-c', `printf abc > "${at('fifo')}"`]);
    assert.deepEqual([...readInputFile(at('fifo'), { what: 'x', limit: 4096 })], [97, 98, 99]);
    small.kill();
  });

  test('regular files: at the limit read whole, one byte over refused; a folder and a missing file are named', () => {
    writeFileSync(at('exact'), Buffer.alloc(100, 1));
    assert.equal(readInputFile(at('exact'), { what: 'x', limit: 100 }).length, 100);
    assert.throws(() => readInputFile(at('exact'), { what: 'x', limit: 99 }), {
      code: 'TOO_LARGE',
      message: /The x .*exact is too large: 100 bytes \(limit 99 bytes\)/,
    });
    assert.throws(() => readInputFile(dir, { what: 'key file', kind: 'key' }), { code: 'INVALID_INPUT', message: /is a folder/ });
    assert.throws(() => readInputFile(at('missing'), { what: 'key file', kind: 'key' }), { code: 'NOT_FOUND', message: /there is no such file \(ENOENT\)/ });
    // /proc files say size 0 but have content: read to the end
    assert.match(new TextDecoder().decode(readInputFile('/proc/self/status', { what: 'x', limit: 1 << 20 })), /^Name:/);
  });

  test('a PIN file of /dev/zero is TOO_LARGE (limit 4096), not read forever', () => {
    assert.throws(() => readSecretFile(ZERO, 'PIN'), {
      code: 'TOO_LARGE',
      message: 'The PIN file /dev/zero is too large: more than 4096 bytes (limit 4096 bytes); nothing was done.',
    });
    assert.deepEqual([...readSecretFile(at('pin'), 'PIN')], [...new TextEncoder().encode('1234')]);
  });

  test('stdin-like streams stop at the limit', async () => {
    async function* endless() {
      for (;;) yield Buffer.alloc(1000);
    }
    await assert.rejects(readStreamBounded(endless(), { what: 'data on stdin', limit: 10_000 }), { code: 'TOO_LARGE' });
  });
});

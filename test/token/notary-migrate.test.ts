/**
 * Docker Content Trust -> cosign (issue 15 item 3) end to end on SoftHSM2: the notary 0.3 fixture's
 * tags migrated into a 2-of-2 cosign request, signed by two custodians on their own tokens with
 * `cosign request sign`, exported, and every migrated digest verified with `cosign verify` under both
 * keys (threshold 2) — each image's simple-signing payload names exactly the digest Notary signed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { kcInProcess } from '../helpers/kc-inprocess';
import { FIXTURES } from '../helpers/tuf-fs';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { publicKeyPem } from '../../shared/cosign/keys';

const NOTARY03 = join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');
const GUN = 'docker.com/notary0.3/tst';
let hsm: TestHsm;
let dir: string;

before(async () => {
  hsm = await makeSoftHsm(['custodian-a', 'custodian-b']);
  dir = mkdtempSync(join(tmpdir(), 'kc-migrate-tok-'));
  writeFileSync(join(dir, 'pin'), '1234\n', { mode: 0o600 });
  const mod = Pkcs11Module.open(hsm.module);
  try {
    for (const t of ['custodian-a', 'custodian-b']) {
      await mod.withSession({ label: t }, { pin: hsm.pinOf(t), rw: true }, async (s) => {
        const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'release' });
        writeFileSync(join(dir, `${t}.pem`), publicKeyPem(key.publicKeySpki));
      });
    }
  } finally {
    mod.close();
  }
});
after(() => {
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('notary migrate --to cosign, signed on two tokens: every migrated digest verifies under both keys', { timeout: 120_000 }, async () => {
  const req = join(dir, 'migrate.request.json');
  let r = await kcInProcess([
    'notary',
    'migrate',
    '--metadata',
    NOTARY03,
    '--at',
    '2017-01-01T00:00:00Z',
    '--to',
    'cosign',
    '--signer',
    `alice=${join(dir, 'custodian-a.pem')}`,
    '--signer',
    `bob=${join(dir, 'custodian-b.pem')}`,
    '--m',
    '2',
    '--out',
    req,
  ]);
  assert.equal(r.code, 0, r.err);
  const digests = [...r.out.matchAll(/-> docker\.com\/notary0\.3\/tst@(sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);
  assert.equal(digests.length, 3);
  for (const t of ['custodian-a', 'custodian-b']) {
    r = await kcInProcess(['cosign', 'request', 'sign', '--request', req, '--token', t, '--label', 'release', '--pin-file', join(dir, 'pin')], {
      KEYCEREMONY_PIN: '',
    });
    assert.equal(r.code, 0, r.err);
  }
  r = await kcInProcess(['cosign', 'status', '--request', req]);
  assert.match(r.out, /^2 of 2 .*complete/);
  const exp = join(dir, 'export');
  r = await kcInProcess(['cosign', 'export-policy', '--request', req, '--out', exp]);
  assert.equal(r.code, 0, r.err);
  const imageDirs = readdirSync(exp).filter((d) => d.startsWith('docker.com'));
  assert.equal(imageDirs.length, new Set(digests).size);
  for (const digest of new Set(digests)) {
    const image = `${GUN}@${digest}`;
    const d = imageDirs
      .map((x) => join(exp, x))
      .find((x) => JSON.parse(readFileSync(join(x, 'payload.json'), 'utf8')).critical.image['docker-manifest-digest'] === digest);
    assert.ok(d, `an exported signature for ${digest}`);
    const files = readdirSync(d);
    const bundles = ['alice', 'bob'].map((n) =>
      join(
        d,
        files.find((f) => f.startsWith(n) && f.endsWith('.sigstore.json'))!,
      ),
    );
    r = await kcInProcess([
      'cosign',
      'verify',
      '--key',
      join(dir, 'custodian-a.pem'),
      '--key',
      join(dir, 'custodian-b.pem'),
      '--threshold',
      '2',
      '--bundle',
      bundles[0]!,
      '--bundle',
      bundles[1]!,
      '--artifact',
      join(d, 'payload.json'),
      '--image',
      image,
    ]);
    assert.equal(r.code, 0, `${image}: ${r.err}${r.out}`);
  }
});

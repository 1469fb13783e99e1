/**
 * `keyceremony export trust` on real data (issue 15 item 2): Sigstore's root-signing (tuf-on-ci
 * layout: root v15 exported byte for byte as root_history/15.root.json holds it), the notary 0.3 GUN
 * (config.json pins the GUN to the root certificate's ecdsa-x509 key id as root.json lists it, the
 * certificate PEM beside it); an out folder holding other contents is refused with nothing written;
 * usage errors. tuf-js bootstrapping from an exported root: test/peers/export-trust.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { kcInProcess } from '../helpers/kc-inprocess';
import { FIXTURES } from '../helpers/tuf-fs';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-export-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SIGSTORE = path.join(FIXTURES, 'tuf', 'sigstore-root-signing', 'metadata');
const NOTARY03 = path.join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');

test('TUF (tuf-on-ci layout): the latest root byte for byte, CLIENTS.md with its version, SHA-256 and named keyholders', async () => {
  const out = path.join(tmp, 'sigstore');
  const r = await kcInProcess(['export', 'trust', '--metadata', SIGSTORE, '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readFileSync(path.join(out, 'root.json')), readFileSync(path.join(SIGSTORE, 'root_history', '15.root.json')));
  assert.match(r.out, /root v15, expires 2026-11-20T13:58:18Z/);
  assert.match(r.out, /root threshold 3 of 5/);
  const md = readFileSync(path.join(out, 'CLIENTS.md'), 'utf8');
  assert.match(md, /^# Trust anchor: TUF root v15/);
  assert.match(md, /— @mnm678/);
  assert.deepEqual(readdirSync(out).sort(), ['CLIENTS.md', 'root.json']);
});

test('Notary: config.json trust_pinning pins the GUN to the root certificate key id root.json lists; the certificate beside it', async () => {
  const out = path.join(tmp, 'notary');
  const r = await kcInProcess(['export', 'trust', '--metadata', NOTARY03, '--out', out]);
  assert.equal(r.code, 0, r.err);
  const root = JSON.parse(readFileSync(path.join(NOTARY03, 'root.json'), 'utf8')) as {
    signed: { roles: { root: { keyids: string[] } }; keys: Record<string, { keytype: string }> };
  };
  const ids = root.signed.roles.root.keyids;
  assert.equal(root.signed.keys[ids[0]!]!.keytype, 'ecdsa-x509');
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config, { trust_pinning: { certs: { 'docker.com/notary0.3/tst': ids }, disable_tofu: true } });
  const crt = readdirSync(out).find((n) => n.endsWith('.crt'))!;
  assert.equal(crt, `root-${ids[0]!.slice(0, 12)}.crt`);
  assert.match(new X509Certificate(readFileSync(path.join(out, crt))).subject, /CN=docker\.com\/notary0\.3\/tst/);
  assert.match(
    readFileSync(path.join(out, 'CLIENTS.md'), 'utf8'),
    /notary -c config\.json -s https:\/\/NOTARY-SERVER -d ~\/\.notary list docker\.com\/notary0\.3\/tst/,
  );
});

test('an out folder with other contents is refused (CONFLICT), nothing written; usage errors', async () => {
  const out = path.join(tmp, 'taken');
  mkdirSync(out);
  writeFileSync(path.join(out, 'root.json'), '{}');
  const r = await kcInProcess(['export', 'trust', '--metadata', SIGSTORE, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.err, /error\[CONFLICT\]: taken\/root\.json already exists with other contents; nothing was written/);
  assert.deepEqual(readdirSync(out), ['root.json']);
  assert.equal(readFileSync(path.join(out, 'root.json'), 'utf8'), '{}');
  const u = await kcInProcess(['export', 'trust', '--metadata', SIGSTORE]);
  assert.equal(u.code, 2);
  assert.match(u.err, /--out DIR is required/);
  const h = await kcInProcess(['export', 'trust', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /trust_pinning/);
});

test('cosign (--cosign-request): one key per signer, all keys in one file, the policies for m of them', async () => {
  const { generateKeyPairSync, createHash } = await import('node:crypto');
  const keys = ['alice', 'bob'].map((n) => {
    const p = path.join(tmp, `${n}.pub`);
    writeFileSync(p, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    return p;
  });
  const req = path.join(tmp, 'cosign.request.json');
  const digest = createHash('sha256').update('image').digest('hex');
  let r = await kcInProcess([
    'cosign',
    'request',
    'create',
    '--image',
    `registry.example/org/app@sha256:${digest}`,
    '--signer',
    `alice=${keys[0]}`,
    '--signer',
    `bob=${keys[1]}`,
    '--m',
    '2',
    '--out',
    req,
  ]);
  assert.equal(r.code, 0, r.err);
  const out = path.join(tmp, 'cosign-anchors');
  r = await kcInProcess(['export', 'trust', '--cosign-request', req, '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(path.join(out, 'keys', 'alice.pub'), 'utf8'), readFileSync(keys[0]!, 'utf8'));
  assert.equal(readFileSync(path.join(out, 'keys', 'bob.pub'), 'utf8'), readFileSync(keys[1]!, 'utf8'));
  const all = readFileSync(path.join(out, 'keys', 'signers.pem'), 'utf8');
  assert.equal(all, readFileSync(keys[0]!, 'utf8') + readFileSync(keys[1]!, 'utf8'));
  assert.match(readFileSync(path.join(out, 'kyverno-clusterpolicy.yaml'), 'utf8'), /count: 2/);
  assert.match(readFileSync(path.join(out, 'policy-controller-clusterimagepolicy.yaml'), 'utf8'), /registry\.example\/org\/app@\*/);
  assert.ok(readdirSync(out).includes('kyverno-imagevalidatingpolicy.yaml'));
  const both = await kcInProcess(['export', 'trust', '--cosign-request', req, '--metadata', SIGSTORE, '--out', out]);
  assert.equal(both.code, 2);
});

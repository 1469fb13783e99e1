/**
 * `keyceremony notary migrate` on the Notary compatibility fixtures (issue 15 item 3): verified first
 * (an evaluation time outside the root certificate's validity: nothing migrated); to cosign — every
 * tag of targets and targets/releases by digest (Notary's base64 sha256 as sha256:<hex>, the GUN as the
 * reference), tags sharing a manifest signed once; a delegation that does not verify is skipped with its
 * reason; to TUF — a targets request whose entries carry each tag's length, sha256 and sha512 as the
 * Notary metadata states them. Two custodians' tokens signing the cosign request:
 * test/token/notary-migrate.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generateKeyPairSync } from 'node:crypto';
import { kcInProcess } from '../helpers/kc-inprocess';
import { FIXTURES } from '../helpers/tuf-fs';
import { SoftwareSigner } from '../helpers/software-signer';
import { writeSoftwareRepository } from '../helpers/tuf-software-repo';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-migrate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const NOTARY03 = path.join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');
const AT = '2017-01-01T00:00:00Z';
const GUN = 'docker.com/notary0.3/tst';

function pub(name: string): string {
  const p = path.join(tmp, `${name}.pub`);
  writeFileSync(p, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
  return p;
}
const signers = ['--signer', `alice=${pub('alice')}`, '--signer', `bob=${pub('bob')}`, '--m', '2'];

/** The Notary entries (base64 hashes) of the fixture, by tag. */
function notaryEntries(): Record<string, { length: number; hashes: { sha256: string; sha512?: string } }> {
  const t = JSON.parse(readFileSync(path.join(NOTARY03, 'targets.json'), 'utf8')).signed.targets;
  const r = JSON.parse(readFileSync(path.join(NOTARY03, 'targets', 'releases.json'), 'utf8')).signed.targets;
  return { ...t, ...r };
}
const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');

test('to cosign: every verified tag by digest, the GUN as the reference, a shared manifest signed once; the report says what was migrated', async () => {
  const out = path.join(tmp, 'cosign.request.json');
  const r = await kcInProcess(['notary', 'migrate', '--metadata', NOTARY03, '--at', AT, '--to', 'cosign', ...signers, '--out', out]);
  assert.equal(r.code, 0, r.err);
  const entries = notaryEntries();
  assert.deepEqual(Object.keys(entries).sort(), ['LICENSE', 'change', 'hello']);
  const req = JSON.parse(readFileSync(out, 'utf8')) as { images: string[]; m: number; signers: { name: string }[] };
  const want = [...new Set(Object.values(entries).map((e) => `${GUN}@sha256:${hex(e.hashes.sha256)}`))].sort();
  assert.deepEqual([...req.images].sort(), want);
  assert.equal(req.images.length, 2, 'change and hello are the same (empty) manifest');
  assert.equal(req.m, 2);
  assert.match(r.out, /^Notary GUN docker\.com\/notary0\.3\/tst -> cosign: 3 tag\(s\) migrated, 0 skipped$/m);
  assert.match(r.out, new RegExp(`migrated hello \\(targets/releases\\) -> ${GUN}@sha256:${hex(entries.hello!.hashes.sha256)}`));
});

test('verified first: outside the root certificate validity nothing is migrated and nothing written', async () => {
  const out = path.join(tmp, 'early.request.json');
  const r = await kcInProcess(['notary', 'migrate', '--metadata', NOTARY03, '--at', '2016-06-01T00:00:00Z', '--to', 'cosign', ...signers, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.err, /error\[VERIFICATION_FAILED\]: the repository does not verify at 2016-06-01T00:00:00\.000Z, nothing is migrated: .*root certificate/);
  assert.equal(existsSync(out), false);
});

test('a delegation that does not verify is skipped with its reason; the rest is migrated', async () => {
  const copy = path.join(tmp, 'tampered');
  cpSync(NOTARY03, copy, { recursive: true });
  const f = path.join(copy, 'targets', 'releases.json');
  const doc = JSON.parse(readFileSync(f, 'utf8'));
  doc.signatures[0].sig = Buffer.alloc(64, 1).toString('base64');
  writeFileSync(f, JSON.stringify(doc));
  const out = path.join(tmp, 'partial.request.json');
  const r = await kcInProcess(['notary', 'migrate', '--metadata', copy, '--at', AT, '--to', 'cosign', ...signers, '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /2 tag\(s\) migrated, 1 skipped/);
  assert.match(r.out, /skipped {2}hello \(targets\/releases\): targets\/releases did not verify: /);
});

test('to TUF: a targets request with each tag by length, sha256 and sha512 as Notary states them (no image needed)', async () => {
  const md = path.join(tmp, 'tuf', 'metadata');
  const root = SoftwareSigner.generate('ecdsa-p256', undefined, 'root');
  await writeSoftwareRepository(md, { now: Date.now(), roots: [root], threshold: 1, online: SoftwareSigner.generate('ecdsa-p256', undefined, 'online') });
  const out = path.join(tmp, '2.targets.request.json');
  const r = await kcInProcess(['notary', 'migrate', '--metadata', NOTARY03, '--at', AT, '--to', 'tuf', '--tuf-metadata', md, '--out', out]);
  assert.equal(r.code, 0, r.err);
  const req = JSON.parse(readFileSync(out, 'utf8')) as {
    signed: { _type: string; version: number; targets: Record<string, { length: number; hashes: Record<string, string> }> };
  };
  assert.equal(req.signed._type, 'targets');
  assert.equal(req.signed.version, 2);
  for (const [tag, e] of Object.entries(notaryEntries())) {
    const t = req.signed.targets[tag];
    assert.ok(t, tag);
    assert.equal(t.length, e.length);
    assert.equal(t.hashes.sha256, hex(e.hashes.sha256));
    if (e.hashes.sha512) assert.equal(t.hashes.sha512, hex(e.hashes.sha512));
  }
  const usage = await kcInProcess(['notary', 'migrate', '--metadata', NOTARY03, '--to', 'tuf', '--out', path.join(tmp, 'x.json')]);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--to tuf needs --tuf-metadata DIR/);
  const taken = await kcInProcess(['notary', 'migrate', '--metadata', NOTARY03, '--at', AT, '--to', 'tuf', '--tuf-metadata', md, '--out', out]);
  assert.equal(taken.code, 1);
  assert.match(taken.err, /error\[CONFLICT\]/);
});

/**
 * Notary v1 / DCT dialect: real fixtures (notary 0.1 and 0.3 compatibility repos) verify as
 * INDEX.md records, byte-exact serialisation, key-id rules, building and threshold signing with
 * software signers, `docker trust signer add` shape, and a corpus of bad inputs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { SoftwareSigner } from '../helpers/software-signer';
import { createSelfSignedCert } from '../../electron/adapters/pkcs11/x509';
import {
  canonicalKeyId,
  isNotaryMetadata,
  notaryKeyFromCertPem,
  notaryKeyFromSpki,
  notaryKeyId,
  parseNotaryFile,
  serializeSignedFile,
  type NotaryRoot,
  type NotaryTargets,
} from '../../shared/notary';
import {
  formatNotaryReport,
  initRepo,
  mergeSignatures,
  repoStatus,
  signRole,
  stageRootRotation,
  stageSigner,
  stageTargets,
  verifyNotaryRepository,
  rulesFor,
  statusOf,
  signWith,
  buildRoot,
  emptyTargets,
  diffNotary,
  mergeRepos,
  pendingFor,
  addDelegation,
  removeDelegation,
} from '../../electron/core/notary';
import { KeyceremonyError } from '../../shared/errors';

const FIX = path.resolve(process.cwd(), '..', 'shared', 'fixtures', 'interop', 'notary', 'notary', 'fixtures', 'compatibility');
const N01 = path.join(FIX, 'notary0.1', 'tuf', 'docker.com', 'notary0.1', 'samplerepo', 'metadata');
const N03 = path.join(FIX, 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');

function readDir(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.json')) out.set(path.relative(dir, p).split(path.sep).join('/'), new Uint8Array(readFileSync(p)));
    }
  };
  walk(dir);
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Notary fixtures (INDEX.md: notary/)', () => {
  test('notary0.1 samplerepo verifies (TOFU, clock pinned)', async () => {
    const r = await verifyNotaryRepository({ files: readDir(N01), at: new Date('2024-01-01T00:00:00Z'), requireAll: true });
    assert.equal(r.ok, true, formatNotaryReport(r).join('\n'));
    assert.equal(r.notary.gun, 'docker.com/notary0.1/samplerepo');
    assert.deepEqual(
      r.roles.map((x) => [x.role, x.version]),
      [
        ['root', 1],
        ['timestamp', 1],
        ['snapshot', 2],
        ['targets', 2],
      ],
    );
    assert.deepEqual(
      r.notary.targets.map((t) => t.name),
      ['LICENSE'],
    );
    for (const x of r.roles)
      assert.deepEqual(
        x.thresholds.map((t) => `${t.valid} of ${t.threshold}`),
        ['1 of 1'],
        x.role,
      );
    assert.equal(r.verdict, 'verified');
    assert.equal(r.items.find((i) => i.check === 'trust.mode')?.status, 'warn', 'TOFU is a warning');
  });

  test('notary0.3 tst verifies incl. targets/releases (rsapss), clock pinned before the root cert expiry', async () => {
    const r = await verifyNotaryRepository({ files: readDir(N03), at: new Date('2026-01-01T00:00:00Z'), requireAll: true });
    assert.equal(r.ok, true, formatNotaryReport(r).join('\n'));
    assert.equal(r.notary.gun, 'docker.com/notary0.3/tst');
    assert.deepEqual(
      r.roles.map((x) => [x.role, x.version]),
      [
        ['root', 1],
        ['timestamp', 4],
        ['snapshot', 5],
        ['targets', 5],
        ['targets/releases', 1],
      ],
    );
    const rel = r.roles.find((x) => x.role === 'targets/releases');
    assert.deepEqual([rel?.delegator, rel?.status], ['targets', 'verified']);
    const cert = r.items.find((i) => i.subject === 'targets/releases' && i.check === 'role.certificates');
    assert.equal(cert?.status, 'warn');
    assert.match(cert?.message ?? '', /expired 2017-07-27.*warns only/);
    assert.deepEqual(r.notary.targets.map((t) => `${t.role}:${t.name}`).sort(), ['targets/releases:hello', 'targets:LICENSE', 'targets:change']);
  });

  test('notary0.3 fails today: its root certificate expired 2026-07-25', async () => {
    const r = await verifyNotaryRepository({ files: readDir(N03), at: new Date('2026-11-22T00:00:00Z') });
    assert.equal(r.ok, false);
    const cert = r.items.find((i) => i.check === 'root.certificates' && i.status === 'fail');
    assert.equal(r.items[0], cert, 'the failure comes first');
    assert.deepEqual([cert?.subject, cert?.code], ['root', 'EXPIRED']);
    assert.match(cert?.message ?? '', /valid 2016-07-27T22:56:32.000Z \.\. 2026-07-25T22:56:32.000Z, not at/);
  });

  test('key ids: sha256 of canonical key JSON; canonical root key id names the private key file', async () => {
    for (const [dir, canon] of [
      [N01, 'd0c623c8e70c70d42a8a8125c44a8598588b3f6e31d5c21a83cbc338dfde8a68'],
      [N03, 'f4eaf871a74aa3b3a0ff95cef2455a1e4d461639f5625418e76756fc5c948690'],
    ] as const) {
      const root = parseNotaryFile<NotaryRoot>(new Uint8Array(readFileSync(path.join(dir, 'root.json'))), { expectType: 'Root' }).signed;
      for (const [id, k] of Object.entries(root.keys)) assert.equal(await notaryKeyId(k), id);
      const rootKey = root.keys[root.roles.root.keyids[0] as string];
      assert.ok(rootKey);
      assert.equal(rootKey.keytype, 'ecdsa-x509');
      assert.equal(await canonicalKeyId(rootKey), canon);
    }
  });

  test('Go-style serialisation reproduces every fixture file byte for byte', () => {
    for (const dir of [N01, N03]) {
      for (const [name, bytes] of readDir(dir)) {
        const f = parseNotaryFile(bytes, { source: name });
        assert.equal(dec(serializeSignedFile(f.signed, f.signatures)), dec(bytes), name);
      }
    }
  });

  test('dialect detector: Notary yes, TUF 1.0 no', () => {
    const n = JSON.parse(readFileSync(path.join(N03, 'root.json'), 'utf8'));
    assert.equal(isNotaryMetadata(n), true);
    const tufRoot = path.resolve(FIX, '..', '..', '..', '..', 'tuf', 'python-tuf', 'tests', 'repository_data', 'repository', 'metadata', 'root.json');
    assert.equal(isNotaryMetadata(JSON.parse(readFileSync(tufRoot, 'utf8'))), false);
    assert.equal(isNotaryMetadata({ signed: { _type: 'root' } }), false);
    assert.equal(isNotaryMetadata(null), false);
  });
});

describe('bad inputs are refused with what and where', () => {
  const rootText = readFileSync(path.join(N03, 'root.json'), 'utf8');
  const expectErr = (fn: () => unknown, code: string, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof KeyceremonyError && e.code === code && re.test(`${e.message} ${e.where}`));

  test('a root with a duplicate object key is DUPLICATE_KEY naming the key', () => {
    const dup = rootText.replace('"version":1}', '"version":1,"version":2}');
    expectErr(() => parseNotaryFile(enc(dup), { source: 'root.json' }), 'DUPLICATE_KEY', /version/);
  });
  test('a role threshold of 0 is INVALID_METADATA naming roles.root.threshold', () => {
    const t0 = rootText.replace('"threshold":1}', '"threshold":0}');
    expectErr(() => parseNotaryFile(enc(t0), { source: 'root.json' }), 'INVALID_METADATA', /at least 1 \(got 0\).*roles\.root\.threshold/);
  });
  test('a root naming an unknown role is INVALID_METADATA naming the role', () => {
    const bad = rootText.replace('"roles":{', '"roles":{"mirror":{"keyids":[],"threshold":1},');
    expectErr(() => parseNotaryFile(enc(bad), { source: 'root.json' }), 'INVALID_METADATA', /unknown role "mirror".*roles\.mirror/);
  });
  test('TUF-style hex hashes and lower-case _type are not Notary', () => {
    const sn = readFileSync(path.join(N03, 'snapshot.json'), 'utf8');
    expectErr(() => parseNotaryFile(enc(sn.replace('"_type":"Snapshot"', '"_type":"snapshot"'))), 'INVALID_METADATA', /not Notary metadata/);
    expectErr(() => parseNotaryFile(enc(sn.replace(/"sha256":"[^"]+"/, '"sha256":"not-base64!"'))), 'INVALID_METADATA', /base64.*meta\.root\.hashes\.sha256/);
  });
  test('metadata carrying a private key is refused', () => {
    const bad = rootText.replace('"private":null', '"private":"AAAA"');
    expectErr(() => parseNotaryFile(enc(bad)), 'INVALID_METADATA', /private key must never appear/);
  });
  test('a file over maxBytes is TOO_LARGE', () => {
    expectErr(() => parseNotaryFile(enc(rootText), { maxBytes: 1000 }), 'TOO_LARGE', /1000/);
  });
  test('a changed target (hash) fails the snapshot check; a bad signature fails the threshold', async () => {
    const files = readDir(N03);
    const t = dec(files.get('targets.json') as Uint8Array).replace('"length":11309', '"length":11310');
    files.set('targets.json', enc(t));
    const r = await verifyNotaryRepository({ files, at: new Date('2026-01-01T00:00:00Z') });
    assert.equal(r.ok, false);
    const bad = r.items.filter((i) => i.subject === 'targets' && i.status === 'fail');
    assert.deepEqual(
      bad.map((i) => [i.check, i.code]),
      [
        ['role.hashes', 'HASH_MISMATCH'],
        ['role.hashes', 'HASH_MISMATCH'],
        ['role.signatures', 'THRESHOLD_NOT_MET'],
      ],
    );
    assert.match(bad.map((i) => i.message).join(' '), /does not match snapshot\.json: sha256 is/);
    assert.match(bad.map((i) => i.message).join(' '), /needs 1 valid targets signatures, has 0/);
    assert.equal(r.roles.find((x) => x.role === 'targets')?.status, 'failed');
  });
  test('a garbage certificate or key is a clear error, never a crash', async () => {
    expectErr(() => notaryKeyFromCertPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'INVALID_KEY', /not a usable certificate/);
    const files = readDir(N01);
    const root = dec(files.get('root.json') as Uint8Array);
    // replace the targets key with a base64 blob that is not an SPKI (its id no longer matches either)
    const broken = root.replace(
      /("7fc757801b9bab4ec9e35bfe7a6b61668ff6f4c81b5632af19e6c728ab799599":\{"keytype":"ecdsa","keyval":\{"private":null,"public":")[^"]+/,
      '$1AAAA',
    );
    assert.notEqual(broken, root);
    files.set('root.json', enc(broken));
    const r = await verifyNotaryRepository({ files, at: new Date('2024-01-01T00:00:00Z') });
    assert.equal(r.ok, false);
    assert.match(formatNotaryReport(r).join('\n'), /root v1: signed by 0 of 1 required root keys/);
  });

  test('metadata read after its expiry fails with the expiry date', async () => {
    const r = await verifyNotaryRepository({ files: readDir(N01), at: new Date('2117-01-01T00:00:00Z') });
    assert.equal(r.ok, false);
    assert.match(formatNotaryReport(r).join('\n'), /expired at 2116-/);
  });
});

async function rootCert(s: SoftwareSigner, cn: string): Promise<string> {
  return (await createSelfSignedCert(s, { cn, days: 3650, keyEncipherment: true })).pem;
}

describe('building and threshold signing (software signers)', () => {
  const gun = 'registry.example/team/app';
  // after the certificates' notBefore (made now), with a fraction of a second to be dropped from expiry
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_456);
  const tenYears = new Date(now.getTime() - 456 + 3650 * 86_400_000).toISOString().replace('.000Z', 'Z');

  test('new GUN 2-of-3, status per rule, Go layout, whole-second expiry, rotation needs old AND new thresholds', async () => {
    const [a, b, c, d] = [0, 1, 2, 3].map(() => SoftwareSigner.generate('ecdsa-p256'));
    const tg = SoftwareSigner.generate('ecdsa-p256');
    const sn = SoftwareSigner.generate('ecdsa-p256');
    const ts = SoftwareSigner.generate('ed25519');
    const certs = [await rootCert(a!, gun), await rootCert(b!, gun), await rootCert(c!, gun)];
    const files = await initRepo({
      gun,
      rootCertsPem: certs,
      rootThreshold: 2,
      targetsKeys: [notaryKeyFromSpki(tg.publicKeySpki)],
      snapshotKeys: [notaryKeyFromSpki(sn.publicKeySpki)],
      timestampKey: notaryKeyFromSpki(ts.publicKeySpki),
      now,
      targets: [{ name: 'v1', bytes: enc('hello') }],
    });
    const rootText = dec(files.get('root.json') as Uint8Array);
    assert.ok(rootText.startsWith(`{"signed":{"_type":"Root","consistent_snapshot":false,"expires":"${tenYears}","keys":`), rootText.slice(0, 120));
    assert.match(tenYears, /T\d\d:\d\d:\d\dZ$/);
    assert.match(rootText, /"signatures":\[\]\}$/);
    assert.ok(files.has('1.root.json'));
    const apply = (m: Map<string, Uint8Array>) => m.forEach((v, k) => files.set(k, v));

    let s = await signRole(files, 'root', a!, { now });
    apply(s.files);
    assert.equal(s.status, 'root v1: signed by 1 of 2 required root keys');
    // signing twice with the same key changes nothing
    s = await signRole(files, 'root', a!, { now });
    assert.equal(s.already.length, 1);
    assert.equal(s.signedAs.length, 0);
    apply((await signRole(files, 'root', c!, { now })).files);
    await assert.rejects(signRole(files, 'root', d!, { now }), (e: KeyceremonyError) => e.code === 'KEY_NOT_FOUND');
    apply((await signRole(files, 'targets', tg, { now })).files);
    apply((await signRole(files, 'snapshot', sn, { now })).files);
    const st = await repoStatus(files);
    assert.deepEqual(
      st.map((x) => x.complete),
      [true, true, true],
    );
    const sig = parseNotaryFile(files.get('root.json') as Uint8Array).signatures[0];
    assert.equal(sig?.method, 'ecdsa');
    assert.equal(Buffer.from(sig?.sig ?? '', 'base64').length, 64); // raw r||s
    let r = await verifyNotaryRepository({ files, at: now });
    assert.equal(r.ok, true, formatNotaryReport(r).join('\n'));

    // rotation: replace b and c by d, threshold 2 -> needs 2 of {a,b,c} AND 2 of {a,d}
    const rootV1 = files.get('root.json') as Uint8Array;
    apply(await stageRootRotation(files, { rootCertsPem: [certs[0]!, await rootCert(d!, gun)], rootThreshold: 2, now }));
    apply((await signRole(files, 'root', a!, { now })).files);
    s = await signRole(files, 'root', d!, { now });
    apply(s.files);
    assert.equal(s.status, 'root v2: signed by 1 of 2 required old-root (v1) keys, 2 of 2 required new-root keys');
    r = await verifyNotaryRepository({ files, at: now, trustedRoot: rootV1 });
    assert.equal(r.ok, false);
    assert.match(formatNotaryReport(r).join('\n'), /needs 2 valid old-root \(v1\) signatures, has 1/);
    s = await signRole(files, 'root', b!, { now });
    apply(s.files);
    assert.match(s.status, /2 of 2 required old-root \(v1\) keys, 2 of 2 required new-root keys \(complete\)/);
    // the snapshot is stale until re-signed
    assert.match((await repoStatus(files)).at(-1)?.line ?? '', /stale/);
    apply((await signRole(files, 'snapshot', sn, { now })).files);
    r = await verifyNotaryRepository({ files, at: now, trustedRoot: rootV1 });
    assert.equal(r.ok, true, formatNotaryReport(r).join('\n'));
    // rollback: trusting v2 and handing v1 as root.json
    const rolled = new Map(files);
    rolled.set('root.json', rootV1);
    rolled.delete('2.root.json');
    r = await verifyNotaryRepository({ files: rolled, at: now, trustedRoot: files.get('2.root.json') });
    assert.equal(r.ok, false);
    assert.match(formatNotaryReport(r).join('\n'), /rollback: version 1 is older than the trusted root v2/);
  });

  test('docker trust signer add: targets/<name> and targets/releases, paths [""], threshold 1; releases target signed by the delegate', async () => {
    const root = SoftwareSigner.generate('ecdsa-p256');
    const tg = SoftwareSigner.generate('ecdsa-p256');
    const alice = SoftwareSigner.generate('ecdsa-p256');
    const files = await initRepo({
      gun,
      rootCertsPem: [await rootCert(root, gun)],
      rootThreshold: 1,
      targetsKeys: [notaryKeyFromSpki(tg.publicKeySpki)],
      snapshotKeys: [notaryKeyFromSpki(SoftwareSigner.generate('ed25519').publicKeySpki)],
      timestampKey: notaryKeyFromSpki(SoftwareSigner.generate('ed25519').publicKeySpki),
      now,
    });
    const apply = (m: Map<string, Uint8Array>) => m.forEach((v, k) => files.set(k, v));
    apply((await signRole(files, 'root', root, { now })).files);
    apply((await signRole(files, 'targets', tg, { now })).files);
    apply(await stageSigner(files, { name: 'alice', keys: [notaryKeyFromSpki(alice.publicKeySpki)], now }));
    const t = parseNotaryFile<NotaryTargets>(files.get('targets.json') as Uint8Array).signed;
    assert.equal(t.version, 2);
    const id = await notaryKeyId(notaryKeyFromSpki(alice.publicKeySpki));
    assert.deepEqual(t.delegations.roles, [
      { keyids: [id], name: 'targets/alice', paths: [''], threshold: 1 },
      { keyids: [id], name: 'targets/releases', paths: [''], threshold: 1 },
    ]);
    assert.deepEqual(Object.keys(t.delegations.keys), [id]);
    apply((await signRole(files, 'targets', tg, { now })).files);
    apply(await stageTargets(files, { role: 'targets/releases', add: [{ name: 'latest', bytes: enc('image manifest') }], now }));
    await assert.rejects(signRole(files, 'targets/releases', tg, { now }), /not one of the keys allowed/);
    const s = await signRole(files, 'targets/releases', alice, { now });
    apply(s.files);
    assert.equal(s.status, 'targets/releases v1: signed by 1 of 1 required targets/releases keys (complete)');
    const r = await verifyNotaryRepository({ files, at: now });
    assert.equal(r.ok, true, formatNotaryReport(r).join('\n'));
    assert.deepEqual(
      r.notary.targets.map((x) => `${x.role}:${x.name}`),
      ['targets/releases:latest'],
    );
    const absent = r.items.find((i) => i.subject === 'snapshot' && i.check === 'scope');
    assert.equal(absent?.status, 'skip');
    assert.match(absent?.message ?? '', /absent/);
  });

  test('one key listed under two ids counts once; merge refuses signatures over other bytes', async () => {
    const r1 = SoftwareSigner.generate('ecdsa-p256');
    const tk = SoftwareSigner.generate('ecdsa-p256');
    const plain = notaryKeyFromSpki(tk.publicKeySpki);
    const asCert = notaryKeyFromCertPem(await rootCert(tk, gun));
    const root = await buildRoot({
      gun,
      rootKeys: [notaryKeyFromCertPem(await rootCert(r1, gun))],
      rootThreshold: 1,
      targetsKeys: [plain, asCert],
      targetsThreshold: 2,
      snapshotKeys: [plain],
      timestampKeys: [plain],
      version: 1,
      expires: '2030-01-01T00:00:00Z',
    });
    const t = emptyTargets(1, '2030-01-01T00:00:00Z');
    const rules = rulesFor('targets', t, { root });
    const signed = await signWith(t, [], rules, tk);
    assert.equal(signed.signatures.length, 2); // signed under both ids
    const st = await statusOf(rules, signed.signatures, parseNotaryFile(serializeSignedFile(t, signed.signatures)).signedBytes);
    assert.equal(st[0]?.valid, 1);
    assert.equal(st[0]?.met, false);
    const other = { ...t, version: 2 };
    assert.throws(
      () => mergeSignatures({ signed: t, signatures: signed.signatures }, { signed: other, signatures: [] }),
      (e: KeyceremonyError) => e.code === 'SIGNATURE_MISMATCH',
    );
    assert.equal(mergeSignatures({ signed: t, signatures: signed.signatures.slice(0, 1) }, { signed: t, signatures: signed.signatures.slice(1) }).length, 2);
  });

  test('refused at init: CN != GUN, threshold above key count, Go-escaped characters', async () => {
    const s = SoftwareSigner.generate('ecdsa-p256');
    const base = {
      gun,
      rootThreshold: 1,
      targetsKeys: [notaryKeyFromSpki(s.publicKeySpki)],
      snapshotKeys: [notaryKeyFromSpki(s.publicKeySpki)],
      timestampKey: notaryKeyFromSpki(s.publicKeySpki),
      now,
    };
    await assert.rejects(initRepo({ ...base, rootCertsPem: [await rootCert(s, 'other/gun')] }), /CN="other\/gun".*requires CN = the GUN/);
    await assert.rejects(initRepo({ ...base, rootThreshold: 2, rootCertsPem: [await rootCert(s, gun)] }), /root threshold must be 1\.\.1/);
    await assert.rejects(initRepo({ ...base, rootCertsPem: [await rootCert(s, gun)], targets: [{ name: 'a<b', bytes: enc('x') }] }), /Go escapes them/);
  });
});

describe('diff before signing and merging parallel signatures', () => {
  const gun = 'registry.example/team/diff';
  const now = new Date(Date.now() + 60_000);
  test('root and targets diffs name keys by fingerprint, thresholds, targets; merge refuses other bytes', async () => {
    const [a, b, c] = [0, 1, 2].map(() => SoftwareSigner.generate('ecdsa-p256')) as [SoftwareSigner, SoftwareSigner, SoftwareSigner];
    const tg = SoftwareSigner.generate('ecdsa-p256');
    const files = await initRepo({
      gun,
      rootCertsPem: [await rootCert(a, gun), await rootCert(b, gun)],
      rootThreshold: 1,
      targetsKeys: [notaryKeyFromSpki(tg.publicKeySpki)],
      snapshotKeys: [notaryKeyFromSpki(tg.publicKeySpki)],
      timestampKey: notaryKeyFromSpki(SoftwareSigner.generate('ed25519').publicKeySpki),
      now,
      targets: [
        { name: 'keep', bytes: enc('k') },
        { name: 'change', bytes: enc('1') },
        { name: 'drop', bytes: enc('d') },
      ],
    });
    const apply = (m: Map<string, Uint8Array>) => m.forEach((v, k) => files.set(k, v));
    apply((await signRole(files, 'root', a, { now })).files);
    apply((await signRole(files, 'targets', tg, { now })).files);

    apply(await stageRootRotation(files, { rootCertsPem: [await rootCert(a, gun), await rootCert(c, gun)], rootThreshold: 2, now }));
    let p = await pendingFor(files, 'root', { now });
    const rd = (await diffNotary('root', p.prev, p.next)).join('\n');
    assert.match(rd, /^root: v1 -> v2$/m);
    const fpC = c.fingerprint.slice(0, 16);
    assert.match(rd, new RegExp(`root: \\+ key ecdsa-x509 [0-9a-f]{12}… fingerprint ${fpC}… cert CN=${gun.replace(/[/.]/g, '\\$&')}`));
    assert.match(rd, new RegExp(`root: - key ecdsa-x509 [0-9a-f]{12}… fingerprint ${b.fingerprint.slice(0, 16)}…`));
    // a's key got a new certificate (new serial): the id changes, the fingerprint does not
    assert.match(rd, /root: threshold 1 of 2 -> 2 of 2/);

    // parallel signing on two copies, then merge
    const copy = new Map(files);
    apply((await signRole(files, 'root', a, { now })).files);
    const other = await signRole(copy, 'root', c, { now });
    other.files.forEach((v, k) => copy.set(k, v));
    const m = mergeRepos(files, copy);
    assert.deepEqual(m.merged.sort(), ['2.root.json: +1 signature(s)', 'root.json: +1 signature(s)']);
    apply(m.files);
    assert.match(
      (await repoStatus(files))[0]?.line ?? '',
      /root v2: signed by 1 of 1 required old-root \(v1\) keys, 2 of 2 required new-root keys \(complete\)/,
    );
    // a copy over other bytes is refused
    const stale = new Map(files);
    apply(
      await stageTargets(files, {
        add: [
          { name: 'change', bytes: enc('2') },
          { name: 'new', bytes: enc('n') },
        ],
        remove: ['drop'],
        now,
      }),
    );
    assert.ok(files.has('.previous/targets.json'));
    stale.set('targets.json', (await signRole(stale, 'targets', tg, { now })).files.get('targets.json') as Uint8Array);
    assert.throws(
      () => mergeRepos(files, stale),
      (e: KeyceremonyError) => e.code === 'SIGNATURE_MISMATCH' && /targets\.json: the other copy signs different contents/.test(e.message),
    );

    p = await pendingFor(files, 'targets', { now });
    const td = (await diffNotary('targets', p.prev, p.next)).join('\n');
    assert.match(td, /^targets: v1 -> v2$/m);
    assert.match(td, /\+ target new \(1 bytes, sha256 /);
    assert.match(td, /- target drop \(1 bytes/);
    assert.match(td, /~ target change: 1 bytes sha256 [0-9a-f]{16}… -> 1 bytes sha256 [0-9a-f]{16}…/);
    assert.doesNotMatch(td, /target keep/);
  });
});

describe('expiry renewals', () => {
  test('targets --days alone and snapshot --rebuild make new versions with new expiry', async () => {
    const gun = 'registry.example/team/renew';
    const t0 = new Date('2026-01-01T00:00:00Z');
    const t1 = new Date('2027-01-01T00:00:00Z');
    const root = SoftwareSigner.generate('ecdsa-p256');
    const on = SoftwareSigner.generate('ecdsa-p256');
    const files = await initRepo({
      gun,
      rootCertsPem: [await rootCert(root, gun)],
      rootThreshold: 1,
      targetsKeys: [notaryKeyFromSpki(on.publicKeySpki)],
      snapshotKeys: [notaryKeyFromSpki(on.publicKeySpki)],
      timestampKey: notaryKeyFromSpki(SoftwareSigner.generate('ed25519').publicKeySpki),
      now: t0,
    });
    const apply = (m: Map<string, Uint8Array>) => m.forEach((v, k) => files.set(k, v));
    apply((await signRole(files, 'root', root, { now: t0 })).files);
    apply((await signRole(files, 'targets', on, { now: t0 })).files);
    apply((await signRole(files, 'snapshot', on, { now: t0 })).files);
    // nothing changed: signing the snapshot again keeps v1
    assert.match((await signRole(files, 'snapshot', on, { now: t1 })).status, /snapshot v1/);
    const s = await signRole(files, 'snapshot', on, { now: t1, rebuild: true, snapshotDays: 30 });
    apply(s.files);
    assert.match(s.status, /snapshot v2: signed by 1 of 1/);
    assert.equal(parseNotaryFile(files.get('snapshot.json') as Uint8Array).signed.expires, '2027-01-31T00:00:00Z');
    apply(await stageTargets(files, { now: t1, days: 10 }));
    const t = parseNotaryFile<NotaryTargets>(files.get('targets.json') as Uint8Array).signed;
    assert.deepEqual([t.version, t.expires], [2, '2027-01-11T00:00:00Z']);
  });
});

describe('online key replacement', () => {
  test('rotate with a new targets key: targets must be re-signed under the new root', async () => {
    const gun = 'registry.example/team/rekey';
    const now = new Date(Date.now() + 60_000); // the certificates are made now
    const root = SoftwareSigner.generate('ecdsa-p256');
    const oldT = SoftwareSigner.generate('ecdsa-p256');
    const newT = SoftwareSigner.generate('ecdsa-p256');
    const files = await initRepo({
      gun,
      rootCertsPem: [await rootCert(root, gun)],
      rootThreshold: 1,
      targetsKeys: [notaryKeyFromSpki(oldT.publicKeySpki)],
      snapshotKeys: [notaryKeyFromSpki(SoftwareSigner.generate('ed25519').publicKeySpki)],
      timestampKey: notaryKeyFromSpki(SoftwareSigner.generate('ed25519').publicKeySpki),
      now,
      targets: [{ name: 'a', bytes: enc('a') }],
    });
    const apply = (m: Map<string, Uint8Array>) => m.forEach((v, k) => files.set(k, v));
    apply((await signRole(files, 'root', root, { now })).files);
    apply((await signRole(files, 'targets', oldT, { now })).files);
    apply(await stageRootRotation(files, { targetsKeys: [notaryKeyFromSpki(newT.publicKeySpki)], now }));
    const p = await pendingFor(files, 'root', { now });
    assert.match((await diffNotary('root', p.prev, p.next)).join('\n'), /targets: \+ key ecdsa [\s\S]*targets: - key ecdsa/);
    apply((await signRole(files, 'root', root, { now })).files);
    let r = await verifyNotaryRepository({ files, at: now });
    assert.equal(r.ok, false);
    assert.match(
      formatNotaryReport(r).join('\n'),
      /\[THRESHOLD_NOT_MET\] targets v1: signed by 0 of 1 required targets keys: needs 1 valid targets signatures, has 0/,
    );
    await assert.rejects(signRole(files, 'targets', oldT, { now }), /not one of the keys allowed/);
    apply(await stageTargets(files, { now }));
    apply((await signRole(files, 'targets', newT, { now })).files);
    r = await verifyNotaryRepository({ files, at: now });
    assert.equal(r.ok, true, formatNotaryReport(r).join('\n'));
  });
});

describe('CLI: keyceremony notary verify / tuf verify (registered commands)', () => {
  async function run(argv: string[]) {
    const { main } = await import('../../electron/cli/main');
    const { makeContext } = await import('../../electron/cli/context');
    let out = '';
    let err = '';
    const ctx = { ...makeContext({ env: {} }), out: (l: string) => void (out += l + '\n'), err: (l: string) => void (err += l + '\n') };
    return { code: await main(argv, ctx), out, err };
  }
  test('exit 0 verified, 1 with reasons, 2 on usage errors', async () => {
    let r = await run(['notary', 'verify', '--dir', N03, '--at', '2026-01-01T00:00:00Z']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^VERIFIED$/m);
    r = await run(['notary', 'verify', '--dir', N03, '--at', '2026-11-22T00:00:00Z', '--json']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out) as { kind: string; ok: boolean; verdict: string; items: { status: string; check: string }[] };
    assert.deepEqual([j.kind, j.ok, j.verdict, j.items[0]?.status, j.items[0]?.check], ['notary', false, 'failed', 'fail', 'root.certificates']);
    r = await run(['tuf', 'verify', '--trusted-root', path.join(N01, 'root.json'), '--metadata', N01, '--at', '2024-01-01T00:00:00Z']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Notary repository docker\.com\/notary0\.1\/samplerepo/);
    r = await run(['notary', 'sign', '--dir', N01]);
    assert.equal(r.code, 2);
    r = await run(['notary', 'publish', '--server', 'http://127.0.0.1:1', '--dir', N01]);
    assert.equal(r.code, 1);
    assert.match(r.err, /error\[INVALID_INPUT\]: the Notary server must be https:\/\//);
  });
});

describe('notary delegation add|remove --paths (as the notary client)', () => {
  const key = (n: number) => notaryKeyFromSpki(SoftwareSigner.generate('ecdsa-p256', undefined, `k${n}`).publicKeySpki);
  test('paths added and removed, "" = every path, keys by id prefix; bad edits refused with what and where', async () => {
    const t = emptyTargets(1, '2030-01-01T00:00:00Z');
    const [k1, k2] = [key(1), key(2)];
    const refused = async (p: Promise<unknown> | (() => unknown), code: string, msg: RegExp) => {
      const run = typeof p === 'function' ? Promise.resolve().then(p) : p;
      await assert.rejects(run, (e: unknown) => e instanceof KeyceremonyError && e.code === code && msg.test(e.message));
    };
    await refused(
      addDelegation(t, 'targets/qa', { keys: [], paths: ['qa/'], allPaths: false }),
      'INVALID_INPUT',
      /targets\/qa does not exist yet: give at least one key/,
    );
    await refused(addDelegation(t, 'releases', { keys: [k1], paths: [], allPaths: false }), 'INVALID_INPUT', /invalid delegation name "releases"/);
    await refused(addDelegation(t, 'targets/../x', { keys: [k1], paths: [], allPaths: false }), 'INVALID_INPUT', /invalid delegation name/);
    const a = await addDelegation(t, 'targets/qa', { keys: [k1], paths: ['qa/', 'beta/'], allPaths: false });
    assert.equal(a.created, true);
    await addDelegation(t, 'targets/qa', { keys: [k2], paths: ['qa/', 'rc/'], allPaths: false });
    const qa = () => t.delegations.roles.find((r) => r.name === 'targets/qa')!;
    assert.deepEqual(qa().paths, ['qa/', 'beta/', 'rc/']);
    assert.equal(qa().keyids.length, 2);
    assert.equal(qa().threshold, 1);
    // a nested role's paths must lie within its parent's
    await refused(
      addDelegation(emptyTargets(1, '2030-01-01T00:00:00Z'), 'targets/qa/team', { keys: [k1], paths: ['prod/x'], allPaths: false, within: ['qa/'] }),
      'INVALID_INPUT',
      /path "prod\/x" is outside the paths of targets\/qa \("qa\/"\)/,
    );
    // remove: paths, a key by prefix; not the last key
    const id1 = await notaryKeyId(k1);
    let r = removeDelegation(t, 'targets/qa', { keyIds: [], paths: ['beta/'], allPaths: false });
    assert.deepEqual(r.paths, ['beta/']);
    assert.deepEqual(qa().paths, ['qa/', 'rc/']);
    r = removeDelegation(t, 'targets/qa', { keyIds: [id1.slice(0, 10)], paths: [], allPaths: false });
    assert.deepEqual(r.keyIds, [id1]);
    assert.equal(t.delegations.keys[id1], undefined, 'a key nothing uses any more leaves the key list');
    await refused(
      () => removeDelegation(t, 'targets/qa', { keyIds: ['ffff'], paths: [], allPaths: false }),
      'KEY_NOT_FOUND',
      /key id ffff matches 0 keys of targets\/qa/,
    );
    await refused(
      () => removeDelegation(t, 'targets/qa', { keyIds: [qa().keyids[0]!], paths: [], allPaths: false }),
      'INVALID_INPUT',
      /would leave targets\/qa without keys/,
    );
    assert.equal(qa().keyids.length, 1, 'a refused removal changes nothing');
    // every path: --all-paths (or the "" path) makes the list [""]; remove --all-paths clears it
    await addDelegation(t, 'targets/qa', { keys: [], paths: [], allPaths: true });
    assert.deepEqual(qa().paths, ['']);
    removeDelegation(t, 'targets/qa', { keyIds: [], paths: [], allPaths: true });
    assert.deepEqual(qa().paths, []);
    await addDelegation(t, 'targets/qa', { keys: [], paths: ['a', ''], allPaths: false });
    assert.deepEqual(qa().paths, ['']);
    // the whole role
    r = removeDelegation(t, 'targets/qa', { keyIds: [], paths: [], allPaths: false });
    assert.equal(r.removedRole, true);
    assert.deepEqual(t.delegations, { keys: {}, roles: [] });
    await refused(() => removeDelegation(t, 'targets/qa', { keyIds: [], paths: [], allPaths: false }), 'NOT_FOUND', /no delegation targets\/qa/);
  });
});

describe('notary publish: token authentication parsing (electron/adapters/notary/publish.ts)', () => {
  test('Bearer challenges (quoted, escaped, unquoted, other schemes) and credentials (user:password or base64)', async () => {
    const { parseBearerChallenge, parseCredentials } = await import('../../electron/adapters/notary/publish');
    assert.deepEqual(
      parseBearerChallenge('Bearer realm="https://auth.docker.io/token",service="notary.docker.io",scope="repository:docker.io/library/alpine:pull,push"'),
      {
        realm: 'https://auth.docker.io/token',
        service: 'notary.docker.io',
        scope: 'repository:docker.io/library/alpine:pull,push',
      },
    );
    assert.deepEqual(parseBearerChallenge('bearer realm=https://a/t, service="s\\"x"'), { realm: 'https://a/t', service: 's"x' });
    assert.equal(parseBearerChallenge('Basic realm="registry"'), null);
    assert.deepEqual(parseCredentials('alice:pa:ss\n', 'f'), { username: 'alice', password: 'pa:ss' });
    assert.deepEqual(parseCredentials(Buffer.from('alice:secret').toString('base64'), 'NOTARY_AUTH'), { username: 'alice', password: 'secret' });
    for (const bad of ['alice', ':x', 'alice:', 'a:b\u0001c']) {
      assert.throws(
        () => parseCredentials(bad, 'creds'),
        (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_INPUT' && /creds must hold user:password/.test(e.message),
      );
    }
  });
});

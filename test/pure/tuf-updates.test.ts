/**
 * electron/core/tuf/updates.ts and the app's use of it (electron/ipc/tuf-requests.ts), over an
 * in-memory metadata folder: the same requests the CLI makes, signer names in the status ("alice
 * signed; bob or carol still needed"), names merged with signatures, a release over a hash-binned
 * repository split into one request per bin, the snapshot step refusing an unready folder, and bad
 * input refused with nothing returned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftwareSigner } from '../helpers/software-signer';
import { createRepository, expiresIn, hashBinTargets, newRoot, newTargets, targetFileInfo } from '../../electron/core/tuf/repo';
import { signerKey } from '../../electron/core/tuf/sign';
import { mergeRequests, parseRequest, requestStatus, ruleLine, serializeRequest, signRequest } from '../../electron/core/tuf/request';
import { checkOverwrite, planSnapshot, rolesForPaths, snapshotFiles, targetsRequest, type MetadataFolder } from '../../electron/core/tuf/updates';
import { createRequests, mergeRequestTexts, repoView } from '../../electron/ipc/tuf-requests';
import { binForTarget } from '../../shared/tuf/delegation';
import { KeyceremonyError } from '../../shared/errors';
import { utf8 } from '../../shared/encoding/bytes';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const people = ['alice', 'bob', 'carol'].map((n) => SoftwareSigner.generate('ecdsa-p256', undefined, n));
const online = SoftwareSigner.generate('ecdsa-p256', undefined, 'online');

function memFolder(files: Map<string, Uint8Array>, label = 'mem/metadata'): MetadataFolder {
  return { label, names: () => [...files.keys()], read: (n) => files.get(n) };
}

async function repo(bins?: number): Promise<{ files: Map<string, Uint8Array>; names: Record<string, string> }> {
  const k = async (s: SoftwareSigner) => (await signerKey(s)).key;
  const team = { keys: await Promise.all(people.map(k)), threshold: 2 };
  const on = { keys: [await k(online)], threshold: 1 };
  const root = await newRoot({ roles: { root: team, targets: bins ? on : team, snapshot: on, timestamp: on }, expires: expiresIn(NOW, 365) });
  const binned = bins
    ? await hashBinTargets({
        targets: { 'seed.txt': await targetFileInfo(new Uint8Array([1])) },
        binKeys: [await k(online)],
        threshold: 1,
        bitLength: bins,
        expires: expiresIn(NOW, 90),
      })
    : undefined;
  const out = await createRepository({
    root,
    rootSigners: people.slice(0, 2),
    targets: binned?.top ?? newTargets(expiresIn(NOW, 90)),
    ...(binned ? { delegated: binned.bins } : {}),
    signers: { targets: bins ? [online] : people.slice(0, 2), snapshot: [online], timestamp: [online], delegated: { '*': [online] } },
    now: NOW,
  });
  const names: Record<string, string> = {};
  for (const p of people) names[(await signerKey(p)).keyid] = p.description;
  return { files: new Map(out.map((f) => [f.name, f.bytes])), names };
}

test('status by name and key: who signed, who is still needed; names survive a merge', async () => {
  const { files, names } = await repo();
  const folder = memFolder(files);
  const { request } = await targetsRequest(folder, { action: 'add', add: [{ path: 'app/x.tgz', bytes: utf8('x') }], now: NOW, names });
  let st = await requestStatus(request);
  assert.equal(st.rules[0]!.line, 'targets v2: 0 of 2 targets keys — nobody signed yet; 2 more of alice, bob, carol still needed');
  const byAlice = await signRequest(request, people[0]!);
  st = await requestStatus(byAlice);
  assert.equal(st.rules[0]!.line, 'targets v2: 1 of 2 targets keys — alice signed; bob or carol still needed');
  assert.deepEqual(
    st.rules[0]!.signers.map((s) => [s.name, s.signed]),
    [
      ['alice', true],
      ['bob', false],
      ['carol', false],
    ],
  );
  assert.equal(st.rules[0]!.signers[0]!.fingerprint, people[0]!.fingerprint);
  // a copy signed in parallel by carol, without names (e.g. made by an older CLI): names kept
  const { names: _n, ...noNames } = request;
  void _n;
  const byCarol = await signRequest(noNames, people[2]!);
  const merged = await mergeRequests(byCarol, byAlice);
  const ms = await requestStatus(merged);
  assert.equal(ms.complete, true);
  assert.equal(ms.rules[0]!.line, 'targets v2: 2 of 2 targets keys — alice and carol signed; complete');
  // the app's merge over texts reports what was added
  const m2 = await mergeRequestTexts([serializeRequest(byAlice), serializeRequest(byCarol)]);
  assert.equal(m2.added, 1);
  assert.equal(m2.view.complete, true);
  // a rule line without names uses key ids
  assert.equal(
    ruleLine('root v3', {
      name: 'old-root',
      threshold: 2,
      valid: 1,
      signers: [
        { keyid: 'aaaaaaaa11', fingerprint: 'f1', signed: true },
        { keyid: 'bbbbbbbb22', fingerprint: 'f2', signed: false },
        { keyid: 'cccccccc33', fingerprint: 'f3', signed: false },
      ],
    }),
    'root v3: 1 of 2 old-root keys — key aaaaaaaa signed; key bbbbbbbb or key cccccccc still needed',
  );
});

test('names in a request file are checked when read', async () => {
  const { files, names } = await repo();
  const { request } = await targetsRequest(memFolder(files), { action: 'add', add: [{ path: 'a', bytes: utf8('a') }], now: NOW, names });
  const text = serializeRequest(request);
  assert.equal(parseRequest(text).names?.[Object.keys(names)[0]!], 'alice');
  const bad = JSON.parse(text) as Record<string, unknown>;
  bad.names = { x: 42 };
  assert.throws(
    () => parseRequest(JSON.stringify(bad)),
    (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_INPUT' && /\$\.names/.test(e.where ?? ''),
  );
  bad.names = ['alice'];
  assert.throws(() => parseRequest(JSON.stringify(bad)), /names must be an object/);
});

test('the app splits a release over a hash-binned repository into one request per bin', async () => {
  const { files } = await repo(2);
  const folder = memFolder(files);
  const paths = ['pkg/a.tgz', 'pkg/b.tgz', 'pkg/c.tgz', 'pkg/d.tgz', 'pkg/e.tgz'];
  const groups = await rolesForPaths(folder, paths);
  const bins = await Promise.all(paths.map((p) => binForTarget({ bitLength: 2, namePrefix: 'bin' }, p)));
  assert.deepEqual([...groups.keys()].sort(), [...new Set(bins)].sort());
  const bytes = new Map(paths.map((p) => [`h-${p}`, utf8(p)]));
  const r = await createRequests(
    folder,
    { kind: 'targets-add', entries: paths.map((p) => ({ path: p, fileId: `h-${p}` })) },
    { now: NOW, readTarget: (h) => bytes.get(h)! },
  );
  assert.equal(r.requests.length, groups.size);
  for (const c of r.requests) {
    const req = parseRequest(c.text);
    assert.match(req.role, /^bin-[0-3]$/);
    assert.equal(c.suggestedName, `2.${req.role}.request.json`);
    assert.deepEqual(
      Object.keys(req.signed.targets as object)
        .filter((p) => p !== 'seed.txt')
        .sort(),
      groups.get(req.role)!.sort(),
    );
    assert.equal(c.view.rules[0]!.name, req.role);
  }
  // the repository view names the bins
  const v = await repoView(folder, 'metadata');
  assert.deepEqual(v.hashBins && [v.hashBins.prefix, v.hashBins.count], ['bin', 4]);
});

test('the app adds a target by known length and hashes (no file), as tuf targets add --length --sha256 does', async () => {
  const { files } = await repo();
  const folder = memFolder(files);
  const sha256 = 'ab'.repeat(32);
  const r = await createRequests(
    folder,
    { kind: 'targets-add', entries: [{ path: 'img/manifest', length: 1234, sha256 }] },
    { now: NOW, readTarget: () => assert.fail('no file is read') },
  );
  assert.deepEqual((parseRequest(r.requests[0]!.text).signed.targets as Record<string, unknown>)['img/manifest'], { hashes: { sha256 }, length: 1234 });
  const refuse = async (entry: Record<string, unknown>, msg: RegExp) =>
    assert.rejects(
      createRequests(folder, { kind: 'targets-add', entries: [{ path: 'img/manifest', ...entry }] }, { now: NOW, readTarget: () => utf8('x') }),
      (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_INPUT' && msg.test(e.message),
    );
  await refuse({ length: 3 }, /choose the file, or give its length and SHA-256/);
  await refuse({ fileId: 'o1', sha256 }, /a file or its length and hashes, not both/);
  await refuse({ length: 3, sha256: 'ab'.repeat(31) }, /--sha256 must be 64 lower-case hex characters/);
});

test('bad input: every kind refused with the reason, nothing returned', async () => {
  const { files } = await repo();
  const folder = memFolder(files);
  const refuse = async (p: Promise<unknown>, code: string, msg: RegExp) =>
    assert.rejects(p, (e: unknown) => e instanceof KeyceremonyError && e.code === code && msg.test(e.message));
  await refuse(targetsRequest(folder, { action: 'add', add: [{ path: '../x', bytes: utf8('x') }], now: NOW }), 'INVALID_INPUT', /"\.\." segment/);
  await refuse(targetsRequest(folder, { action: 'remove', remove: ['nope'], now: NOW }), 'NOT_FOUND', /has no target nope/);
  await refuse(
    targetsRequest(folder, { action: 'add', add: [{ path: 'a', bytes: utf8('a') }], expiry: { expiresInDays: 1, expires: '2027-01-01T00:00:00Z' }, now: NOW }),
    'INVALID_INPUT',
    /not both/,
  );
  await refuse(
    createRequests(
      folder,
      { kind: 'delegate', name: 'x/y', keys: [(await signerKey(online)).key.keyval.public], threshold: 1, paths: ['a/*'], terminating: false },
      { now: NOW, readTarget: () => new Uint8Array() },
    ),
    'INVALID_INPUT',
    /role name/,
  );
  await refuse(
    createRequests(folder, { kind: 'rotate', role: 'root', addKeys: ['not a key'], removeKeyids: [] }, { now: NOW, readTarget: () => new Uint8Array() }),
    'INVALID_KEY',
    /added key 1: not a PEM public key/,
  );
  await refuse(
    createRequests(folder, { kind: 'delegate-remove', name: 'ghost' }, { now: NOW, readTarget: () => new Uint8Array() }),
    'NOT_FOUND',
    /no delegated role "ghost"/,
  );
  // no metadata at all
  await refuse(
    targetsRequest(memFolder(new Map()), { action: 'add', add: [{ path: 'a', bytes: utf8('a') }], now: NOW }),
    'NOT_FOUND',
    /no N\.root\.json in mem\/metadata/,
  );
});

test('snapshot: refused while a delegated role has no file; otherwise snapshot v+1 and timestamp v+1 by the online key', async () => {
  const { files } = await repo();
  const folder = memFolder(files);
  const r = await snapshotFiles(folder, online, { now: NOW });
  assert.deepEqual(
    r.files.map((f) => f.name),
    ['2.snapshot.json', 'timestamp.json'],
  );
  assert.equal(r.summary, 'snapshot v2 over targets v1; timestamp v2');
  // a delegation written into targets v2 without the role's file yet
  const rel = SoftwareSigner.generate('ecdsa-p256');
  const made = await createRequests(
    folder,
    { kind: 'delegate', name: 'releases', keys: [(await signerKey(rel)).key.keyval.public], threshold: 1, paths: ['releases/*'], terminating: false },
    { now: NOW, readTarget: () => new Uint8Array() },
  );
  assert.deepEqual(
    made.requests.map((c) => c.suggestedName),
    ['2.targets.request.json', '1.releases.request.json'],
  );
  let t2 = parseRequest(made.requests[0]!.text);
  for (const p of people.slice(0, 2)) t2 = await signRequest(t2, p);
  const { finalizeRequest } = await import('../../electron/core/tuf/request');
  files.set('2.targets.json', await finalizeRequest(t2));
  assert.throws(
    () => planSnapshot(folder, 'write it'),
    (e: unknown) =>
      e instanceof KeyceremonyError &&
      e.code === 'PRECONDITION_FAILED' &&
      /delegates to releases but mem\/metadata has no N\.<role>\.json for it: sign and write its request first \(write it\)/.test(e.message),
  );
  // a request over other bytes is never overwritten; an unsigned one may be
  const other = (await targetsRequest(folder, { action: 'add', add: [{ path: 'b', bytes: utf8('b') }], now: NOW })).request;
  assert.throws(
    () => checkOverwrite(serializeRequest(t2), other, 'out.json'),
    (e: unknown) => e instanceof KeyceremonyError && e.code === 'CONFLICT',
  );
  assert.doesNotThrow(() => checkOverwrite(made.requests[1]!.text, other, 'out.json'));
  assert.throws(() => checkOverwrite('not json', other, 'out.json'), /is not a signing request/);
});

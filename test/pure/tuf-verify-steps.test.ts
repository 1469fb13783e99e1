/**
 * The TUF client workflow step by step (electron/core/tuf/verify.ts) and the one VerificationReport:
 * nested delegations name their real delegator and are walked pre-order depth first; path-like role
 * names are read by their URL-encoded file names (tough's `../../path/like/dubious`); RSA-PSS with any
 * salt length (go-tuf v2 signs with the maximum); P-521 verified, unknown key types "unsupported";
 * non-canonical numbers refused (python-tuf, go-tuf); rehearsal folders and root-only folders never
 * read as a full VERIFIED.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPairSync, sign as nodeSign, constants, type KeyObject } from 'node:crypto';
import { SoftwareSigner } from '../helpers/software-signer';
import { verifyRepository, type MetadataReader } from '../../electron/core/tuf/verify';
import { dirMetadataReader } from '../../electron/adapters/tuf/fs-reader';
import { newRoot, newTargets, delegate, expiresIn, createRepository, targetFileInfo, type OutFile } from '../../electron/core/tuf/repo';
import { signerKey } from '../../electron/core/tuf/sign';
import { canonicalBytes } from '../../shared/json/canonical';
import { utf8 } from '../../shared/encoding/bytes';
import { failures, formatVerificationReport, VERIFICATION_REPORT_TYPE } from '../../shared/verification/report';
import type { TufKeyJSON } from '../../shared/tuf/keys';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const k = async (s: SoftwareSigner) => (await signerKey(s)).key;
const text = (r: Parameters<typeof formatVerificationReport>[0]) => formatVerificationReport(r).join('\n');
const mem = (files: OutFile[]): MetadataReader => {
  const m = new Map(files.map((f) => [f.name, f.bytes]));
  return { read: async (n) => m.get(n), list: async () => [...m.keys()] };
};

/** targets -> {a, b}; a -> c (c holds a/x). Names can be changed (path-like names). */
async function nested(names = { a: 'a', b: 'b', c: 'c' }) {
  const root = SoftwareSigner.generate('ecdsa-p256');
  const on = SoftwareSigner.generate('ed25519');
  const [sa, sb, sc] = [0, 1, 2].map(() => SoftwareSigner.generate('ecdsa-p256')) as [SoftwareSigner, SoftwareSigner, SoftwareSigner];
  const spec = { keys: [await k(on)], threshold: 1 };
  const r = await newRoot({
    roles: { root: { keys: [await k(root)], threshold: 1 }, targets: spec, snapshot: spec, timestamp: spec },
    expires: expiresIn(NOW, 365),
  });
  const t = newTargets(expiresIn(NOW, 90));
  await delegate(t, { name: names.a, keys: [await k(sa)], threshold: 1, paths: ['a/*'] });
  await delegate(t, { name: names.b, keys: [await k(sb)], threshold: 1, paths: ['b/*'] });
  const a = newTargets(expiresIn(NOW, 90));
  await delegate(a, { name: names.c, keys: [await k(sc)], threshold: 1, paths: ['a/*'] });
  const c = newTargets(expiresIn(NOW, 90));
  c.targets['a/x'] = await targetFileInfo(utf8('x'));
  const b = newTargets(expiresIn(NOW, 90));
  const files = await createRepository({
    root: r,
    rootSigners: [root],
    targets: t,
    delegated: new Map([
      [names.a, a],
      [names.b, b],
      [names.c, c],
    ]),
    signers: { targets: [on], snapshot: [on], timestamp: [on], delegated: { [names.a]: [sa], [names.b]: [sb], [names.c]: [sc] } },
    now: NOW,
  });
  return { files, keys: { a: sa, b: sb, c: sc } };
}

/** A root v1 with one key for every role, signed by `sign` (bytes of the canonical signed part -> signature). */
function rootWith(key: TufKeyJSON, sign: (data: Uint8Array) => Uint8Array) {
  return async () => {
    const spec = { keys: [key], threshold: 1 };
    const r = await newRoot({ roles: { root: spec, targets: spec, snapshot: spec, timestamp: spec }, expires: expiresIn(NOW, 365) });
    const signed = r.toJSON();
    const sig = sign(canonicalBytes(signed));
    return JSON.stringify({ signatures: [{ keyid: r.roles.root.keyids[0], sig: Buffer.from(sig).toString('hex') }], signed });
  };
}

const pemOf = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }) as string;

describe('delegations: the right delegator, pre-order depth first (issue 16 item 3, issue 14 item 15)', () => {
  test('targets -> {a, b}, a -> c: c is reported as delegated by a and signed by keys a delegates; walk order targets, a, c, b', async () => {
    const { files, keys } = await nested();
    const { report } = await verifyRepository(files[0]!.bytes, mem(files), { now: NOW });
    assert.equal(report.verdict, 'verified', text(report));
    assert.deepEqual(
      report.roles.map((x) => x.role),
      ['root', 'timestamp', 'snapshot', 'targets', 'a', 'c', 'b'],
    );
    assert.deepEqual(
      report.roles.map((x) => x.delegator ?? '-'),
      ['-', 'root', 'root', 'root', 'targets', 'a', 'targets'],
    );
    const c = report.roles.find((x) => x.role === 'c')!;
    assert.deepEqual([c.thresholds[0]!.delegator, c.thresholds[0]!.description], ['a', 'keys delegated by a']);
    assert.equal(c.thresholds[0]!.signedBy[0]!.fingerprint, keys.c.fingerprint);
    const sig = report.items.find((i) => i.subject === 'c' && i.check === 'role.signatures')!;
    assert.equal(sig.message, 'signed by 1 of 1 required keys delegated by a');
    assert.doesNotMatch(text(report), /b-delegated|delegated by b/);
  });

  test("c signed by b's key instead of its own: refused, and the failure names a as the delegator", async () => {
    const { files, keys } = await nested();
    const { signEnvelope } = await import('../../electron/core/tuf/sign');
    const cFile = files.find((f) => f.name === '1.c.json')!;
    const env = JSON.parse(Buffer.from(cFile.bytes).toString()) as { signed: Record<string, unknown> };
    const forged = await signEnvelope(env.signed, [keys.b]);
    // the snapshot lists versions only (no hashes): the forged c reaches the signature check
    const m = new Map(files.map((f) => [f.name, f.bytes]));
    m.set('1.c.json', forged);
    const sn = JSON.parse(Buffer.from(m.get('1.snapshot.json')!).toString()) as { signed: { meta: Record<string, { version: number }> } };
    assert.deepEqual(Object.keys(sn.signed.meta).sort(), ['a.json', 'b.json', 'c.json', 'targets.json']);
    const { report } = await verifyRepository(files[0]!.bytes, { read: async (n) => m.get(n) }, { now: NOW });
    assert.equal(report.verdict, 'failed');
    const f = failures(report)[0]!;
    assert.deepEqual([f.check, f.code, f.subject, f.spec], ['role.signatures', 'THRESHOLD_NOT_MET', 'c', '5.6.3']);
    assert.equal(f.message, 'c v1: signed by 0 of 1 required keys delegated by a');
    assert.equal(report.items[0], f, 'failures first');
    assert.deepEqual(
      report.roles.map((x) => `${x.role}:${x.status}`),
      ['root:verified', 'timestamp:verified', 'snapshot:verified', 'targets:verified', 'a:verified', 'c:failed'],
    );
  });
});

describe('path-like delegated role names (issue 14 item 1)', () => {
  test('tough\'s "../../path/like/dubious" is written and read as 1...%2F..%2Fpath%2Flike%2Fdubious.json, never as a path', async () => {
    const name = '../../path/like/dubious';
    const { files } = await nested({ a: name, b: 'b', c: 'c' });
    assert.ok(
      files.some((f) => f.name === '1...%2F..%2Fpath%2Flike%2Fdubious.json'),
      files.map((f) => f.name).join(' '),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-dubious-'));
    for (const f of files) writeFileSync(path.join(dir, f.name), f.bytes);
    assert.equal(readdirSync(dir).length, files.length, 'every file inside the folder');
    const { report } = await verifyRepository(files[0]!.bytes, dirMetadataReader(dir), { now: NOW });
    assert.equal(report.verdict, 'verified', text(report));
    assert.deepEqual(
      report.roles.map((x) => x.role),
      ['root', 'timestamp', 'snapshot', 'targets', name, 'c', 'b'],
    );
    assert.equal(report.roles.find((x) => x.role === name)!.file, '1...%2F..%2Fpath%2Flike%2Fdubious.json');
  });
});

describe('signature schemes (issue 14 items 2, 3)', () => {
  test('rsassa-pss-sha256 verifies with the salt length in the signature: maximum (go-tuf v2), 0, 20 and 32', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pemOf(publicKey) } };
    for (const saltLength of [constants.RSA_PSS_SALTLEN_MAX_SIGN, 0, 20, 32]) {
      const json = await rootWith(key, (d) => nodeSign('sha256', d, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }))();
      const { report } = await verifyRepository(utf8(json), mem([]), { now: NOW });
      assert.equal(report.ok, true, `salt ${saltLength}: ${text(report)}`);
      assert.equal(report.roles[0]!.thresholds[0]!.valid, 1);
    }
    // a PKCS#1 v1.5 signature by the same key is not a PSS signature of any salt length
    const v15 = await rootWith(key, (d) => nodeSign('sha256', d, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }))();
    const bad = await verifyRepository(utf8(v15), mem([]), { now: NOW });
    assert.equal(failures(bad.report)[0]?.code, 'THRESHOLD_NOT_MET');
    assert.match(text(bad.report), /signature by [0-9a-f]{8} does not verify/);
  });

  test("a 1024-bit RSA key with the maximum salt (94 bytes), as go-tuf v2's test repository signs", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const key = { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pemOf(publicKey) + '\n' } };
    const json = await rootWith(key, (d) => nodeSign('sha256', d, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 94 }))();
    const { report } = await verifyRepository(utf8(json), mem([]), { now: NOW });
    assert.equal(report.ok, true, text(report));
  });

  test('ecdsa-sha2-nistp521 (P-521, SHA-512) verifies; a wrong signature by it does not', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    for (const keytype of ['ecdsa', 'ecdsa-sha2-nistp521']) {
      const key = { keytype, scheme: 'ecdsa-sha2-nistp521', keyval: { public: pemOf(publicKey) } };
      const json = await rootWith(key, (d) => nodeSign('sha512', d, privateKey))();
      const { report } = await verifyRepository(utf8(json), mem([]), { now: NOW });
      assert.equal(report.ok, true, `${keytype}: ${text(report)}`);
    }
    const key = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp521', keyval: { public: pemOf(publicKey) } };
    const sha256 = await rootWith(key, (d) => nodeSign('sha256', d, privateKey))();
    const { report } = await verifyRepository(utf8(sha256), mem([]), { now: NOW });
    assert.equal(failures(report)[0]?.code, 'THRESHOLD_NOT_MET', 'P-521 signs with SHA-512 in this scheme');
  });

  test('a key type we do not implement is "unsupported key type" (ALGORITHM_UNSUPPORTED), never "does not verify"', async () => {
    const odd = { keytype: 'sphincs', scheme: 'sphincs-shake-256f', keyval: { public: 'ab'.repeat(32) } };
    const json = await rootWith(odd, () => new Uint8Array(64).fill(7))();
    const { report } = await verifyRepository(utf8(json), mem([]), { now: NOW });
    const f = failures(report)[0]!;
    assert.deepEqual([f.check, f.code], ['trust.anchor', 'ALGORITHM_UNSUPPORTED']);
    assert.match(f.message, /unsupported type not counted/);
    assert.match(text(report), /not checked: unsupported key type sphincs\/sphincs-shake-256f/);
    assert.doesNotMatch(text(report), /does not verify/);
  });
});

describe('non-canonical numbers (issue 12 item 11, TUF part)', () => {
  test('version written 1.0, 1e0, 1E+0 or 0.99999999999999999999 is refused with path and line:column; "1.0" in a string is not', async () => {
    const s = SoftwareSigner.generate('ed25519');
    const json = await rootWith(await k(s), () => new Uint8Array(0))();
    const signed = JSON.parse(json).signed as Record<string, unknown>;
    const sig = Buffer.from(await s.sign(canonicalBytes(signed))).toString('hex');
    const good = JSON.stringify({ signatures: [{ keyid: Object.keys(signed.keys as object)[0], sig }], signed }, null, 1);
    assert.match(good, /"spec_version": "1\.0\.31"/, 'a decimal-looking string is present and fine');
    assert.equal((await verifyRepository(utf8(good), mem([]), { now: NOW })).report.ok, true);
    for (const bad of ['1.0', '1e0', '1E+0', '0.99999999999999999999']) {
      const t = good.replace('"version": 1', `"version": ${bad}`);
      assert.notEqual(t, good);
      const { report } = await verifyRepository(utf8(t), mem([]), { now: NOW });
      const f = failures(report)[0];
      assert.deepEqual([report.verdict, f?.check, f?.code], ['failed', 'role.parse', 'INVALID_JSON'], bad);
      assert.match(
        f!.message,
        new RegExp(`non-canonical number ${bad.replace(/[.+]/g, '\\$&')}: only integers .* at \\$\\.signed\\.version \\(line \\d+, column \\d+\\)`),
        f!.message,
      );
    }
  });
});

describe('scope: what a folder holds is verified or refused, never half verified as if whole (issue 14 item 10)', () => {
  test('a rehearsal folder (every file REHEARSAL-…) verifies as rehearsal metadata', async () => {
    const { files } = await nested();
    const renamed = files.map((f) => ({ name: `REHEARSAL-${f.name}`, bytes: f.bytes }));
    const { report } = await verifyRepository(files[0]!.bytes, mem(renamed), { now: NOW });
    assert.equal(report.verdict, 'verified', text(report));
    assert.equal(report.rehearsal, true);
    assert.match(report.summary, /^VERIFIED .*\(REHEARSAL metadata\)$/);
    assert.equal(report.items[0]?.check, 'scope');
    assert.equal(report.items[0]?.status, 'warn');
    assert.deepEqual(
      report.roles.map((x) => x.role),
      ['root', 'timestamp', 'snapshot', 'targets', 'a', 'c', 'b'],
    );
  });

  test('only root files: PARTIAL (root chain only), not VERIFIED', async () => {
    const { files } = await nested();
    const { report } = await verifyRepository(files[0]!.bytes, mem(files.slice(0, 1)), { now: NOW });
    assert.deepEqual([report.verdict, report.ok, report.tuf.rootChainOnly], ['partial', true, true]);
    assert.match(report.summary, /^PARTIAL at .*root chain only/);
  });

  test('targets and snapshot without timestamp.json: refused with the reason, not "root chain only"', async () => {
    const { files } = await nested();
    const { report } = await verifyRepository(files[0]!.bytes, mem(files.filter((f) => f.name !== 'timestamp.json')), { now: NOW });
    const f = failures(report)[0]!;
    assert.deepEqual([report.verdict, f.check, f.code], ['failed', 'scope', 'NOT_FOUND']);
    assert.match(f.message, /timestamp\.json is missing, but the folder holds .*1\.targets\.json/);
  });
});

describe('one report schema', () => {
  test('type, kind, evaluation time; a failure stops the walk and marks later steps skipped', async () => {
    const { files } = await nested();
    const { report } = await verifyRepository(files[0]!.bytes, mem(files), { now: NOW + 30 * 86400_000 });
    assert.deepEqual([report.type, report.kind, report.evaluatedAt], [VERIFICATION_REPORT_TYPE, 'tuf', '2026-01-31T00:00:00.000Z']);
    const f = failures(report)[0]!;
    assert.deepEqual([f.check, f.code, f.subject, f.spec], ['role.expiry', 'EXPIRED', 'timestamp', '5.4.5']);
    assert.deepEqual(
      report.items.filter((i) => i.status === 'skip').map((i) => i.subject),
      ['snapshot', 'targets'],
    );
    assert.deepEqual(
      report.items.map((i) => i.status),
      [...report.items.map((i) => i.status)].sort((a, b) => ['fail', 'warn', 'pass', 'skip'].indexOf(a) - ['fail', 'warn', 'pass', 'skip'].indexOf(b)),
    );
  });
});

describe("tuf verify on a rehearsal bundle's metadata/ (issue 14 item 10, CLI)", () => {
  async function kc(args: string[]) {
    const { main } = await import('../../electron/cli/main');
    const { makeContext } = await import('../../electron/cli/context');
    let out = '';
    const ctx = { ...makeContext({ env: {} }), out: (l: string) => void (out += l + '\n'), err: () => undefined };
    return { code: await main(args, ctx), out };
  }
  test('REHEARSAL-* files: every role verified and the output says REHEARSAL; never "root chain only"', async () => {
    const { files } = await nested();
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-rehearsal-md-'));
    for (const f of files) writeFileSync(path.join(dir, `REHEARSAL-${f.name}`), f.bytes);
    const r = await kc(['tuf', 'verify', '--trusted-root', path.join(dir, 'REHEARSAL-1.root.json'), '--metadata', dir, '--at', '2026-01-01T00:00:00Z']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^VERIFIED at .*root v1 -> v1, 1 targets \(REHEARSAL metadata\)$/m);
    assert.match(r.out, /^REHEARSAL: not for production$/m);
    assert.match(r.out, /^c v1 \(1\.c\.json\): verified, delegated by a/m);
    assert.doesNotMatch(r.out, /root chain only/);
  });
});

describe('a large targets file written compactly (canonical JSON)', () => {
  test('verifies over its own bytes; the same file re-indented still verifies; one changed target does not', async () => {
    const root = SoftwareSigner.generate('ed25519');
    const on = SoftwareSigner.generate('ecdsa-p256');
    const spec = { keys: [await k(on)], threshold: 1 };
    const r = await newRoot({
      roles: { root: { keys: [await k(root)], threshold: 1 }, targets: spec, snapshot: spec, timestamp: spec },
      expires: expiresIn(NOW, 365),
    });
    const t = newTargets(expiresIn(NOW, 90));
    const info = await targetFileInfo(utf8('x'));
    for (let i = 0; i < 3000; i++) t.targets[`pkg/${i}/file.tgz`] = info;
    const files = await createRepository({ root: r, rootSigners: [root], targets: t, signers: { targets: [on], snapshot: [on], timestamp: [on] }, now: NOW });
    const tf = files.find((f) => f.name === '1.targets.json')!;
    const compact = Buffer.from(tf.bytes).toString();
    assert.match(compact, /^\{"signatures":\[.*\],"signed":\{"_type":"targets",/, 'written compactly');
    const run = async (bytes: Uint8Array) =>
      (await verifyRepository(files[0]!.bytes, mem(files.map((f) => (f === tf ? { name: f.name, bytes } : f))), { now: NOW })).report;
    assert.equal((await run(tf.bytes)).verdict, 'verified');
    const pretty = utf8(JSON.stringify(JSON.parse(compact), null, 2));
    assert.equal((await run(pretty)).verdict, 'verified', 'whitespace does not change what is signed');
    const changed = utf8(
      compact
        .replace('"pkg/2999/file.tgz":{"hashes":{"sha256":"', '"pkg/2999/file.tgz":{"hashes":{"sha256":"0')
        .replace(/("pkg\/2999\/file\.tgz":\{"hashes":\{"sha256":"0[0-9a-f]{63})[0-9a-f]/, '$1'),
    );
    assert.notEqual(Buffer.from(changed).toString(), compact);
    const bad = await run(changed);
    assert.deepEqual([bad.verdict, failures(bad)[0]?.check, failures(bad)[0]?.code], ['failed', 'role.signatures', 'THRESHOLD_NOT_MET']);
  });
});

/**
 * Issue 19, pure tier: VERIFY.sh is shellcheck-clean (Debian shellcheck, POSIX sh) for every
 * algorithm it knows; on a sealed bundle (software keys) it agrees with `verifyBundle`; SHA256SUMS
 * is parsed strictly; a changed VERIFY.sh, a missing SHA256SUMS or signature, and a v1 manifest are
 * each named by `verifyBundle`.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKSUMS, MANIFEST, VERIFY_SCRIPT, parseChecksums, verifyBundle } from '../../electron/core/ceremony/bundle';
import { renderVerifyScript } from '../../electron/core/ceremony/verify-script';
import { fingerprintWords } from '../../shared/pgp-words';
import { makeFakeBundle, memReader, resignManifest, writeBundleDir, type FakeBundle } from '../helpers/fake-bundle';

const TOOLS = ['sha256sum', 'base64', 'wc', 'head', 'tail', 'tr', 'cut', 'od', 'sed', 'awk', 'grep', 'openssl'];
let tmp: string;
let bin: string;
let good: FakeBundle;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kc-verify-script-'));
  bin = join(tmp, 'bin');
  mkdirSync(bin);
  for (const t of TOOLS) symlinkSync(spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim(), join(bin, t));
  good = await makeFakeBundle();
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const copy = (b: FakeBundle): FakeBundle => ({ ...b, files: new Map(b.files) });
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);
const sh = (dir: string) => spawnSync('/bin/sh', ['VERIFY.sh'], { cwd: dir, env: { PATH: bin }, encoding: 'utf8' });

describe('VERIFY.sh', () => {
  test('is shellcheck-clean as POSIX sh, for every algorithm it checks', () => {
    const script = renderVerifyScript([
      { name: 'REHEARSAL-root-1', algorithm: 'ecdsa-p256-sha256' },
      { name: 'p384', algorithm: 'ecdsa-p384-sha256' },
      { name: 'rsa', algorithm: 'rsa-pss-sha256' },
      { name: 'ed', algorithm: 'ed25519' },
    ]);
    const f = join(tmp, 'VERIFY.sh');
    writeFileSync(f, script);
    const r = spawnSync('shellcheck', ['--shell=sh', '--severity=style', '--enable=all', '--exclude=SC2250,SC2312', f], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'shellcheck is installed (scripts/system-deps.sh)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
  });

  test('only the first block differs between bundles; names and algorithms it cannot express are refused', () => {
    const a = renderVerifyScript([{ name: 'a', algorithm: 'ed25519' }]);
    const b = renderVerifyScript([{ name: 'b', algorithm: 'rsa-pss-sha256' }]);
    const tail = (s: string) => s.slice(s.indexOf('# ---- from here on'));
    assert.equal(tail(a), tail(b));
    assert.throws(() => renderVerifyScript([{ name: "x'; rm -rf /", algorithm: 'ed25519' }]), /cannot name a signature file/);
    assert.throws(() => renderVerifyScript([{ name: 'x', algorithm: 'rsa-pkcs1-sha256' }]), /cannot check/);
  });

  test('on a sealed bundle: exit 0 with only the allowed tools, fingerprints and PGP words as keyceremony prints them', async () => {
    const dir = writeBundleDir(good.files, join(tmp, 'ok'));
    const r = sh(dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const v = await verifyBundle(memReader(good.files));
    assert.deepEqual(v.problems, []);
    assert.equal(v.signedBy.length, 3);
    for (const s of v.signedBy) assert.ok(r.stdout.includes(`  fingerprint ${s.fingerprint}\n  words       ${fingerprintWords(s.fingerprint)}\n`), r.stdout);
    assert.deepEqual(
      v.checksums?.signatures.map((s) => [s.path, s.ok]),
      [
        ['SHA256SUMS.REHEARSAL-root-1.sig', true],
        ['SHA256SUMS.REHEARSAL-root-2.sig', true],
        ['SHA256SUMS.REHEARSAL-root-3.sig', true],
      ],
    );
    assert.deepEqual([v.checksums?.present, v.checksums?.matches, v.verifyScript?.present, v.verifyScript?.matches], [true, true, true, true]);
  });

  test('a changed VERIFY.sh is named by verifyBundle (and by SHA256SUMS)', async () => {
    const b = copy(good);
    b.files.set(VERIFY_SCRIPT, bytes(text(b.files.get(VERIFY_SCRIPT)!).replace('set -u\n', 'set -u\nexit 0\n')));
    const v = await verifyBundle(memReader(b.files));
    assert.equal(v.verifyScript?.matches, false);
    assert.ok(v.problems.includes("VERIFY.sh: not the script keyceremony writes for this bundle's signers (it was changed)"), v.problems.join('\n'));
    assert.ok(v.problems.includes('VERIFY.sh: SHA-256 does not match SHA256SUMS'), v.problems.join('\n'));
  });

  test('a missing SHA256SUMS or signature fails both verifiers', async () => {
    for (const gone of [CHECKSUMS, 'SHA256SUMS.REHEARSAL-root-2.sig']) {
      const b = copy(good);
      b.files.delete(gone);
      const v = await verifyBundle(memReader(b.files));
      assert.equal(v.ok, false);
      assert.match(v.problems.join('\n'), new RegExp(`${gone.replace(/\./g, '\\.')}: missing`));
      const r = sh(writeBundleDir(b.files, join(tmp, `gone-${gone}`)));
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, new RegExp(`FAIL {2}${gone.replace(/\./g, '\\.')}.* missing`));
    }
  });
});

describe('SHA256SUMS and the manifest format', () => {
  test('SHA256SUMS is parsed strictly: the form, plain relative paths, each once, a final line feed', () => {
    const h = 'a'.repeat(64);
    assert.deepEqual(parseChecksums(bytes(`${h}  a.json\n${h}  keys/b.pem\n`)).problems, []);
    const bad = parseChecksums(bytes(`${h} *a.json\n${h}  ../x\n${h}  c\n${h}  c\n${h}  SHA256SUMS.x.sig\n${h.toUpperCase()}  d\n${h}  e`)).problems;
    assert.deepEqual(bad, [
      'SHA256SUMS: the last line has no line feed',
      'SHA256SUMS: line 1 is not "<64 hex digits><2 spaces><relative path>"',
      'SHA256SUMS: line 2 names "../x", which cannot be a file it lists',
      'SHA256SUMS: "c" is listed twice',
      'SHA256SUMS: line 5 names "SHA256SUMS.x.sig", which cannot be a file it lists',
      'SHA256SUMS: line 6 is not "<64 hex digits><2 spaces><relative path>"',
    ]);
  });

  test('a v1 manifest (sealed before SHA256SUMS and VERIFY.sh) is refused with its version named', async () => {
    const b = copy(good);
    const m = JSON.parse(text(b.files.get(MANIFEST)!)) as { _type: string };
    m._type = 'https://keyceremony.dev/bundle/manifest/v1';
    await resignManifest(b, bytes(JSON.stringify(m, null, 2) + '\n'));
    const v = await verifyBundle(memReader(b.files));
    assert.equal(v.ok, false);
    assert.match(v.problems[0]!, /^manifest\.json: bundle format v1 .* this version reads format v2 only/);
  });

  test('a re-signed manifest that declares another algorithm or file for a signature is refused', async () => {
    const b = copy(good);
    const m = JSON.parse(text(b.files.get(MANIFEST)!)) as { checksums: { signatures: { algorithm: string }[] } };
    m.checksums.signatures[0]!.algorithm = 'ed25519';
    await resignManifest(b, bytes(JSON.stringify(m, null, 2) + '\n'));
    const v = await verifyBundle(memReader(b.files));
    assert.match(v.problems.join('\n'), /SHA256SUMS\.REHEARSAL-root-1\.sig: declared as ed25519 .* a ecdsa-p256 key signs .* with ecdsa-p256-sha256/);
  });
});

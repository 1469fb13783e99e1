/**
 * Issue 19 proof: a rehearsal bundle (SoftHSM2 tokens, the CLI end to end), extracted with
 * `keyceremony bundle extract`, checks with `sh VERIFY.sh` on a PATH that holds ONLY sha256sum,
 * base64, wc, head, tail, tr, cut, od, sed, awk, grep and openssl (symlinks in a temp folder; no
 * node, python or jq): exit 0, the signers' fingerprints printed as keyceremony records them. Each
 * tampered copy (edited transcript line, deleted line, changed metadata byte, added file, swapped key
 * file, signature from another key) fails in VERIFY.sh AND in `keyceremony bundle verify`.
 * Then every key type a ceremony can use (P-256, P-384, Ed25519, RSA-3072) signs SHA256SUMS on the
 * token, and the exact openssl commands of docs/bundle-format.md verify each signature.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kcSync, writeAnswers, writeScript } from '../helpers/ceremony-run';
import { fingerprintWords } from '../../shared/pgp-words';

const TOOLS = ['sha256sum', 'base64', 'wc', 'head', 'tail', 'tr', 'cut', 'od', 'sed', 'awk', 'grep', 'openssl'];

let work: string;
let bin: string;
let bundle: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'kc-verify-sh-'));
  bin = join(work, 'bin');
  mkdirSync(bin);
  for (const t of TOOLS) {
    const which = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
    assert.ok(which, `${t} is installed`);
    symlinkSync(which, join(bin, t));
  }
  // a rehearsal of the TUF root ceremony, its archive extracted as an outsider would
  const dir = join(work, 'root');
  const r = kcSync(['ceremony', 'run', writeScript(dir, 'tuf-root'), '--rehearsal', '--answers', writeAnswers(dir), '--out', join(dir, 'out')]);
  assert.equal(r.code, 0, r.err);
  bundle = join(work, 'extracted');
  const x = kcSync(['bundle', 'extract', join(dir, 'out', 'REHEARSAL-tuf-root.kcbundle.tar'), bundle]);
  assert.equal(x.code, 0, x.err);
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `sh VERIFY.sh` inside `dir`, with only the allowed tools on the PATH and nothing else in the environment. */
function verifySh(dir: string) {
  const r = spawnSync('/bin/sh', ['VERIFY.sh'], { cwd: dir, env: { PATH: bin }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function copy(name: string): string {
  const d = join(work, name);
  cpSync(bundle, d, { recursive: true });
  return d;
}

test('VERIFY.sh in the extracted rehearsal bundle, on a PATH without node/python/jq: exit 0, every check ok, fingerprints as the manifest records them', () => {
  const path = spawnSync('/bin/sh', ['-c', 'for t in node nodejs python3 jq cat ls find dirname; do command -v "$t" && exit 1; done; exit 0'], {
    env: { PATH: bin },
    encoding: 'utf8',
  });
  assert.equal(path.status, 0, `the PATH holds only the allowed tools, found: ${path.stdout}`);
  const r = verifySh(bundle);
  assert.equal(r.code, 0, r.out + r.err);
  assert.doesNotMatch(r.out, /FAIL/);
  assert.match(r.out, /^\*\*\* REHEARSAL: NOT FOR PRODUCTION \*\*\*$/m);
  assert.match(r.out, /^ok {4}SHA256SUMS: all \d+ files match their SHA-256$/m);
  assert.match(r.out, /^ok {4}no file outside SHA256SUMS$/m);
  assert.match(r.out, /^ok {4}transcript\.jsonl: \d+ entries chained, line by line/m);
  assert.match(r.out, /^VERIFIED: /m);
  const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { signers: string[]; keys: { id: string; fingerprint: string }[] };
  assert.deepEqual(manifest.signers, ['root-1', 'root-2', 'root-3']);
  for (const id of manifest.signers) {
    const fp = manifest.keys.find((k) => k.id === id)!.fingerprint;
    assert.ok(
      r.out.includes(`signer REHEARSAL-${id} (ecdsa-p256-sha256)\n  fingerprint ${fp}\n  words       ${fingerprintWords(fp)}\n`),
      `${id} fingerprint and words\n${r.out}`,
    );
    assert.match(r.out, new RegExp(`^ok {4}SHA256SUMS\\.REHEARSAL-${id}\\.sig: verifies with keys/REHEARSAL-${id}\\.pub\\.pem$`, 'm'));
  }
  const kc = kcSync(['bundle', 'verify', bundle]);
  assert.equal(kc.code, 0, kc.err);
  assert.match(kc.out, /SHA256SUMS: \d+ files, matching; signed by 3 of 3 signers/);
  assert.match(kc.out, /VERIFY\.sh: present, the script keyceremony writes for these signers/);
});

const tampers: { name: string; edit: (d: string) => void; sh: RegExp; kc: RegExp }[] = [
  {
    name: 'an edited transcript line',
    edit: (d) => {
      const p = join(d, 'transcript.jsonl');
      const lines = readFileSync(p, 'utf8').split('\n');
      lines[4] = lines[4]!.replace('"event":"', '"event":"x-');
      writeFileSync(p, lines.join('\n'));
    },
    sh: /FAIL {2}transcript\.jsonl: line 6: entry 5 does not chain to line 5 \(previous-hash mismatch\): line 5 was altered/,
    kc: /transcript\.jsonl: line 6: entry 5 does not chain to line 5/,
  },
  {
    name: 'a deleted transcript line',
    edit: (d) => {
      const p = join(d, 'transcript.jsonl');
      const lines = readFileSync(p, 'utf8').split('\n');
      lines.splice(5, 1);
      writeFileSync(p, lines.join('\n'));
    },
    sh: /FAIL {2}transcript\.jsonl: line 6: entry 5 is missing \(found entry 6 in its place\)/,
    kc: /transcript\.jsonl: line 6: entry 5 is missing/,
  },
  {
    name: 'a changed metadata byte',
    edit: (d) => {
      const p = join(d, 'metadata', 'REHEARSAL-1.root.json');
      const b = readFileSync(p);
      b[b.length - 3] = b[b.length - 3]! ^ 0x01;
      writeFileSync(p, b);
    },
    sh: /metadata\/REHEARSAL-1\.root\.json: FAILED/,
    kc: /metadata\/REHEARSAL-1\.root\.json: SHA-256 does not match/,
  },
  {
    name: 'an added file',
    edit: (d) => writeFileSync(join(d, 'metadata', 'extra.json'), '{}\n'),
    sh: /FAIL {2}metadata\/extra\.json: not in SHA256SUMS \(added after the bundle was sealed\)/,
    kc: /metadata\/extra\.json: not listed in the manifest/,
  },
  {
    name: 'a swapped key file',
    edit: (d) => writeFileSync(join(d, 'keys', 'REHEARSAL-root-1.pub.pem'), readFileSync(join(d, 'keys', 'REHEARSAL-root-2.pub.pem'))),
    sh: /FAIL {2}SHA256SUMS\.REHEARSAL-root-1\.sig: does NOT verify with keys\/REHEARSAL-root-1\.pub\.pem/,
    kc: /keys\/REHEARSAL-root-1\.pub\.pem: SHA-256 does not match/,
  },
  {
    name: 'a signature from another key',
    edit: (d) => writeFileSync(join(d, 'SHA256SUMS.REHEARSAL-root-1.sig'), readFileSync(join(d, 'SHA256SUMS.REHEARSAL-root-2.sig'))),
    sh: /FAIL {2}SHA256SUMS\.REHEARSAL-root-1\.sig: does NOT verify with keys\/REHEARSAL-root-1\.pub\.pem/,
    kc: /SHA256SUMS\.REHEARSAL-root-1\.sig: does not verify with keys\/REHEARSAL-root-1\.pub\.pem/,
  },
  {
    name: 'a signature file by a key that is not a signer',
    edit: (d) => writeFileSync(join(d, 'SHA256SUMS.REHEARSAL-targets.sig'), readFileSync(join(d, 'SHA256SUMS.REHEARSAL-root-2.sig'))),
    sh: /FAIL {2}SHA256SUMS\.REHEARSAL-targets\.sig: a signature by a key that is not one of this bundle's signers/,
    kc: /SHA256SUMS\.REHEARSAL-targets\.sig: not listed in the manifest/,
  },
  {
    name: 'a line appended to SHA256SUMS',
    edit: (d) => appendFileSync(join(d, 'SHA256SUMS'), `${'0'.repeat(64)}  ../outside\n`),
    sh: /FAIL {2}SHA256SUMS: line \d+ names a path outside the bundle/,
    kc: /SHA256SUMS: line \d+ names "\.\.\/outside"/,
  },
];

for (const t of tampers) {
  test(`tampered: ${t.name}: VERIFY.sh and keyceremony bundle verify both fail, naming it`, () => {
    const d = copy(t.name.replace(/\W+/g, '-'));
    t.edit(d);
    const sh = verifySh(d);
    assert.notEqual(sh.code, 0, sh.out);
    assert.equal(sh.code, 1, sh.out + sh.err);
    assert.match(sh.out, t.sh);
    assert.match(sh.out, /^NOT VERIFIED: \d+ problem/m);
    const kc = kcSync(['bundle', 'verify', d]);
    assert.equal(kc.code, 1, kc.out);
    assert.match(kc.err, t.kc);
  });
}

test('every key type signs SHA256SUMS on the token; the documented openssl commands verify each; VERIFY.sh and bundle verify agree', () => {
  const dir = join(work, 'keytypes');
  const script = JSON.parse(readFileSync(writeScript(dir, 'cosign-key'), 'utf8'));
  const types = { p256: 'ecdsa-p256', p384: 'ecdsa-p384', ed: 'ed25519', rsa: 'rsa-3072' } as const;
  script.name = 'key-types';
  script.keys = Object.entries(types).map(([id, keyType]) => ({ id, token: 'signing-token', label: `kt-${id}`, keyType, profile: 'non-extractable' }));
  script.steps = script.steps.filter((s: { kind: string }) => s.kind !== 'backup');
  script.steps.find((s: { kind: string }) => s.kind === 'keygen').params.keys = Object.keys(types);
  script.steps.find((s: { kind: string }) => s.kind === 'close').params.signWith = Object.keys(types);
  const sp = join(dir, 'key-types.json');
  writeFileSync(sp, JSON.stringify(script, null, 2));
  const r = kcSync(['ceremony', 'run', sp, '--rehearsal', '--answers', writeAnswers(dir), '--out', join(dir, 'out')]);
  assert.equal(r.code, 0, r.err + r.out);
  const b = join(dir, 'out', 'REHEARSAL-key-types-bundle');
  const manifest = JSON.parse(readFileSync(join(b, 'manifest.json'), 'utf8'));
  assert.deepEqual(
    manifest.checksums.signatures.map((s: { key: string; algorithm: string }) => `${s.key}:${s.algorithm}`),
    ['p256:ecdsa-p256-sha256', 'p384:ecdsa-p384-sha256', 'ed:ed25519', 'rsa:rsa-pss-sha256'],
  );
  const openssl = (args: string[]) => spawnSync('openssl', args, { cwd: b, encoding: 'utf8' });
  // docs/bundle-format.md, "Checking SHA256SUMS with openssl"
  const ec = (n: string) => ['dgst', '-sha256', '-verify', `keys/${n}.pub.pem`, '-signature', `SHA256SUMS.${n}.sig`, 'SHA256SUMS'];
  const rsa = (n: string) => [
    'dgst',
    '-sha256',
    '-sigopt',
    'rsa_padding_mode:pss',
    '-sigopt',
    'rsa_pss_saltlen:32',
    '-sigopt',
    'rsa_mgf1_md:sha256',
    '-verify',
    `keys/${n}.pub.pem`,
    '-signature',
    `SHA256SUMS.${n}.sig`,
    'SHA256SUMS',
  ];
  const ed = (n: string) => ['pkeyutl', '-verify', '-pubin', '-inkey', `keys/${n}.pub.pem`, '-rawin', '-in', 'SHA256SUMS', '-sigfile', `SHA256SUMS.${n}.sig`];
  for (const [n, args] of [
    ['REHEARSAL-p256', ec('REHEARSAL-p256')],
    ['REHEARSAL-p384', ec('REHEARSAL-p384')],
    ['REHEARSAL-rsa', rsa('REHEARSAL-rsa')],
    ['REHEARSAL-ed', ed('REHEARSAL-ed')],
  ] as const) {
    const v = openssl([...args]);
    assert.equal(v.status, 0, `${n}: ${v.stdout}${v.stderr}`);
    assert.match(v.stdout, /Verified OK|Signature Verified Successfully/, n);
  }
  // the P-384 signature is over SHA-256 (what -sha256 checks), not SHA-384
  assert.notEqual(
    openssl(['dgst', '-sha384', '-verify', 'keys/REHEARSAL-p384.pub.pem', '-signature', 'SHA256SUMS.REHEARSAL-p384.sig', 'SHA256SUMS']).status,
    0,
  );
  // a changed byte of SHA256SUMS fails every one of them
  const tampered = copy('keytypes-copy');
  rmSync(tampered, { recursive: true });
  cpSync(b, tampered, { recursive: true });
  const sums = readFileSync(join(tampered, 'SHA256SUMS'));
  sums[0] = sums[0] === 0x30 ? 0x31 : 0x30;
  writeFileSync(join(tampered, 'SHA256SUMS'), sums);
  for (const args of [ec('REHEARSAL-p256'), ec('REHEARSAL-p384'), rsa('REHEARSAL-rsa'), ed('REHEARSAL-ed')]) {
    assert.notEqual(spawnSync('openssl', args, { cwd: tampered, encoding: 'utf8' }).status, 0, args.join(' '));
  }
  const sh = verifySh(b);
  assert.equal(sh.code, 0, sh.out);
  for (const [id, alg] of [
    ['p256', 'ecdsa-p256-sha256'],
    ['p384', 'ecdsa-p384-sha256'],
    ['ed', 'ed25519'],
    ['rsa', 'rsa-pss-sha256'],
  ])
    assert.match(sh.out, new RegExp(`^signer REHEARSAL-${id} \\(${alg}\\)$`, 'm'));
  assert.equal(kcSync(['bundle', 'verify', b]).code, 0);
  const bad = verifySh(tampered);
  assert.equal(bad.code, 1);
  assert.equal((bad.out.match(/does NOT verify/g) ?? []).length, 4, bad.out);
  assert.equal(kcSync(['bundle', 'verify', tampered]).code, 1);
});

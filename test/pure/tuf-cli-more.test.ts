/**
 * `keyceremony tuf targets add|remove`, `delegate [remove]`, `rotate --role`, `renew`, `verify --trusted-state`
 * through main(): each produces a signing request (diff, status, atomic write); custodians' signatures are
 * made with software signers (what `tuf sign --token` does on their machines), written with
 * `tuf status --write`, and the result verified with `tuf verify`. Every bad input: its error, nothing changed.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync, readdirSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { SoftwareSigner } from '../helpers/software-signer';
import { pemEncode } from '../../shared/encoding/bytes';
import { parseRequest, signRequest, serializeRequest } from '../../electron/core/tuf/request';
import { createRepository, newRoot, newTargets, publishTargets, expiresIn, hashBinTargets, targetFileInfo } from '../../electron/core/tuf/repo';
import { binForTarget } from '../../shared/tuf/delegation';
import { signerKey } from '../../electron/core/tuf/sign';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-tuf-cli-more-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const NOW_ISO = '2026-01-01T00:00:00Z';
const NOW = Date.parse(NOW_ISO);
const LATER = '2026-01-01T12:00:00Z';

async function kc(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    ...makeContext({ env: { ...process.env, KEYCEREMONY_NOW: NOW_ISO, ...env } }),
    out: (l: string) => void out.push(l),
    err: (l: string) => void err.push(l),
  };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const roots = [0, 1, 2].map((i) => SoftwareSigner.generate('ecdsa-p256', undefined, `root-${i}`));
const online = SoftwareSigner.generate('ecdsa-p256', undefined, 'online');
const rel = SoftwareSigner.generate('ecdsa-p256', undefined, 'releases');
const rel2 = SoftwareSigner.generate('ecdsa-p256', undefined, 'releases-2');
const newTs = SoftwareSigner.generate('ecdsa-p256', undefined, 'timestamp-2');

function pemFile(s: SoftwareSigner, name: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, pemEncode('PUBLIC KEY', s.publicKeySpki));
  return p;
}
const REL_PEM = pemFile(rel, 'releases.pem');
const REL2_PEM = pemFile(rel2, 'releases-2.pem');
const TS_PEM = pemFile(newTs, 'timestamp-2.pem');

let n = 0;
/** A fresh repository: root v1 (2 of 3 root keys), the online key for targets, snapshot and timestamp. */
async function repo(bins?: number): Promise<{ base: string; md: string }> {
  const base = path.join(tmp, `repo-${++n}`);
  const md = path.join(base, 'metadata');
  mkdirSync(md, { recursive: true });
  const k = async (s: SoftwareSigner) => (await signerKey(s)).key;
  const onlineSpec = { keys: [await k(online)], threshold: 1 };
  const root = await newRoot({
    roles: { root: { keys: await Promise.all(roots.map(k)), threshold: 2 }, targets: onlineSpec, snapshot: onlineSpec, timestamp: onlineSpec },
    expires: expiresIn(NOW, 365),
  });
  const binned = bins
    ? await hashBinTargets({
        targets: { 'seed.txt': await targetFileInfo(new Uint8Array([1])) },
        binKeys: [await k(online)],
        threshold: 1,
        bitLength: bins,
        expires: expiresIn(NOW, 90),
      })
    : undefined;
  const files = await createRepository({
    root,
    rootSigners: roots.slice(0, 2),
    targets: binned?.top ?? newTargets(expiresIn(NOW, 90)),
    ...(binned ? { delegated: binned.bins } : {}),
    signers: { targets: [online], snapshot: [online], timestamp: [online], delegated: { '*': [online] } },
    now: NOW,
  });
  for (const f of files) writeFileSync(path.join(md, f.name), f.bytes);
  return { base, md };
}

/** Sign a request file with each signer (custodians' copies, merged), then write it into DIR. */
async function signAndWrite(req: string, signers: SoftwareSigner[], md: string): Promise<void> {
  let r = parseRequest(readFileSync(req, 'utf8'));
  for (const s of signers) r = await signRequest(r, s);
  writeFileSync(req, serializeRequest(r));
  const st = await kc(['tuf', 'status', req, '--write', md]);
  assert.equal(st.code, 0, st.out + st.err);
  assert.match(st.out, /— complete$/);
}

/** What `tuf snapshot` does with the online token: snapshot + timestamp over the latest role files. */
async function publish(md: string, signer: SoftwareSigner = online): Promise<void> {
  const latest = new Map<string, number>();
  for (const f of readdirSync(md)) {
    const m = /^(\d+)\.(.+)\.json$/.exec(f);
    if (m && Number(m[1]) > (latest.get(m[2]!) ?? 0)) latest.set(m[2]!, Number(m[1]));
  }
  const versions: Record<string, number> = {};
  for (const [r, v] of latest) if (r !== 'root' && r !== 'snapshot') versions[r] = v;
  const ts = JSON.parse(readFileSync(path.join(md, 'timestamp.json'), 'utf8')) as { signed: { version: number } };
  const files = await publishTargets({
    roles: new Map(),
    otherVersions: versions,
    snapshotVersion: (latest.get('snapshot') ?? 0) + 1,
    timestampVersion: ts.signed.version + 1,
    expires: { snapshot: expiresIn(NOW, 7), timestamp: expiresIn(NOW, 1) },
    signers: { snapshot: [signer], timestamp: [signer] },
  });
  for (const f of files) writeFileSync(path.join(md, f.name), f.bytes);
}

function verifyArgs(md: string, ...more: string[]): string[] {
  return ['tuf', 'verify', '--trusted-root', path.join(md, '1.root.json'), '--metadata', md, '--at', LATER, ...more];
}

/** Every file under a folder with its bytes: compared before and after a refused command. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    const p = path.join(dir, f);
    if (statSync(p).isFile()) out[f] = readFileSync(p).toString('base64');
  }
  return out;
}

/** Run a command that must be refused: its exit code and error, and nothing changed under `base`. */
async function refused(base: string, args: string[], code: number, pattern: RegExp): Promise<void> {
  const before = tree(base);
  const r = await kc(args);
  assert.equal(r.code, code, `${args.join(' ')}\n${r.out}\n${r.err}`);
  assert.match(r.err, pattern, args.join(' '));
  assert.deepEqual(tree(base), before, `${args.join(' ')} changed files`);
}

describe('tuf targets add | remove', () => {
  test('add: a request for targets v2 with length, sha256, sha512 from the file; signed, written, verified; then remove', async () => {
    const { base, md } = await repo();
    const content = Buffer.from('release 1.0 of the app\n');
    const file = path.join(base, 'app-1.0.bin');
    writeFileSync(file, content);
    const req = path.join(base, 'requests', '2.targets.request.json');
    const r = await kc(['tuf', 'targets', 'add', '--metadata', md, '--path', 'app/1.0.bin', '--file', file, '--expires-in', '30', '--out', req]);
    assert.equal(r.code, 0, r.err);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const sha512 = createHash('sha512').update(content).digest('hex');
    assert.match(r.out, /^targets v1 -> v2\n~ expires 2026-04-01T00:00:00Z -> 2026-01-31T00:00:00Z\n  targets: 1 added, 0 removed, 0 changed, 1 in total/);
    assert.ok(r.out.includes(`+ target app/1.0.bin (${content.length} bytes, sha256 ${sha256.slice(0, 16)}…)`), r.out);
    assert.match(r.out, /targets v2: signed by 0 of 1 required targets keys\n  targets: 1 more of: /);
    const body = parseRequest(readFileSync(req, 'utf8'));
    assert.deepEqual([body.role, body.version, body.fileName], ['targets', 2, '2.targets.json']);
    assert.deepEqual((body.signed.targets as Record<string, unknown>)['app/1.0.bin'], { hashes: { sha256, sha512 }, length: content.length });
    assert.equal((body.previous as { version: number }).version, 1);

    await signAndWrite(req, [online], md);
    await publish(md);
    const v = await kc(verifyArgs(md, '--target', 'app/1.0.bin'));
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, new RegExp(`target app/1\\.0\\.bin: found in targets \\(targets\\), ${content.length} bytes, sha256 ${sha256}`));

    // a changed file under the same path shows as changed
    writeFileSync(file, 'release 1.0, rebuilt\n');
    const ch = await kc(['tuf', 'targets', 'add', '--metadata', md, '--path', 'app/1.0.bin', '--file', file, '--out', path.join(base, 'ch.json')]);
    assert.equal(ch.code, 0, ch.err);
    assert.match(ch.out, /targets: 0 added, 0 removed, 1 changed, 1 in total\n~ target app\/1\.0\.bin: 23 -> 21 bytes/);
    assert.doesNotMatch(ch.out, /~ expires/); // no expiry option: the expiry is kept

    const rm = path.join(base, 'requests', '3.targets.request.json');
    const d = await kc(['tuf', 'targets', 'remove', '--metadata', md, '--path', 'app/1.0.bin', '--out', rm]);
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /^targets v2 -> v3\n  targets: 0 added, 1 removed, 0 changed, 0 in total\n- target app\/1\.0\.bin\n/);
    await signAndWrite(rm, [online], md);
    await publish(md);
    const v3 = await kc(verifyArgs(md, '--target', 'app/1.0.bin'));
    assert.equal(v3.code, 1);
    // the metadata verifies (every role), the target asked for is not there: the answer is no
    assert.match(v3.out, /^NOT VERIFIED .*\[NOT_FOUND\] target app\/1\.0\.bin: NOT FOUND in any role a client would search/);
    assert.match(v3.out, /^targets v3 \(3\.targets\.json\): verified, delegated by root, expires [^,]+, 0 targets$/m);
  });

  test('bad inputs: each a clear error, no request written, metadata unchanged', async () => {
    const { base, md } = await repo();
    const file = path.join(base, 'f.bin');
    writeFileSync(file, 'x');
    const out = path.join(base, 'out.json');
    const add = (...a: string[]) => ['tuf', 'targets', 'add', '--metadata', md, '--out', out, ...a];
    await refused(
      base,
      add('--path', 'a.bin', '--file', path.join(base, 'missing.bin')),
      1,
      /error\[NOT_FOUND\]: Cannot read the target file .*missing\.bin: there is no such file \(ENOENT\)/,
    );
    await refused(
      base,
      add('--path', '../etc/passwd', '--file', file),
      1,
      /error\[INVALID_INPUT\]: target path "\.\.\/etc\/passwd" has an empty, "\." or "\.\." segment \(--path \.\.\/etc\/passwd\)/,
    );
    await refused(base, add('--path', '/abs', '--file', file), 1, /error\[INVALID_INPUT\]: target path "\/abs" must be relative/);
    await refused(base, add('--path', 'a', '--path', 'b', '--file', file), 2, /one --file F per --path P \(2 --path, 1 --file\)/);
    await refused(base, add('--path', 'a', '--file', file, '--path', 'a', '--file', file), 1, /error\[INVALID_INPUT\]: --path a is given twice/);
    await refused(
      base,
      add('--path', 'a', '--file', file, '--expires', '2025-06-01T00:00:00Z'),
      1,
      /error\[EXPIRED\]: targets v2 would expire at 2025-06-01T00:00:00Z, which is not after now/,
    );
    await refused(
      base,
      add('--path', 'a', '--file', file, '--expires', 'soon'),
      1,
      /error\[(INVALID_METADATA|INVALID_INPUT)\]: "soon" is not a date-time.* \(--expires\)/,
    );
    await refused(
      base,
      add('--path', 'a', '--file', file, '--expires', '2027-01-01T00:00:00Z', '--expires-in', '3'),
      1,
      /give --expires or --expires-in, not both/,
    );
    await refused(base, add('--path', 'a', '--file', file, '--expires-in', 'ten'), 2, /--expires-in takes a whole number/);
    await refused(
      base,
      add('--path', 'a', '--file', file, '--role', 'nobody'),
      1,
      /error\[NOT_FOUND\]: role "nobody" is not delegated by targets v1 \(it has no delegations\) or by any role it delegates to/,
    );
    await refused(base, add('--path', 'a', '--file', file, '--custom', '{bad'), 1, /error\[INVALID_JSON\]: --custom #1 for a is not JSON/);
    await refused(
      base,
      ['tuf', 'targets', 'add', '--metadata', path.join(base, 'nope'), '--path', 'a', '--file', file, '--out', out],
      1,
      /error\[NOT_FOUND\]: no such metadata folder .*nope/,
    );
    await refused(base, ['tuf', 'targets', 'add', '--metadata', md, '--path', 'a', '--file', file], 2, /--out REQUEST is required/);
    await refused(
      base,
      ['tuf', 'targets', 'remove', '--metadata', md, '--path', 'nothing-here', '--out', out],
      1,
      /error\[NOT_FOUND\]: targets v1 has no target nothing-here; nothing to remove/,
    );
    await refused(base, ['tuf', 'targets', 'rename', '--metadata', md], 2, /tuf targets: unknown subcommand "rename" \(known: add, remove\)/);
    // --out: a signed request over other bytes, or a file that is no request, is not overwritten
    assert.equal((await kc(add('--path', 'a', '--file', file))).code, 0);
    writeFileSync(out, serializeRequest(await signRequest(parseRequest(readFileSync(out, 'utf8')), online)));
    await refused(
      base,
      add('--path', 'b', '--file', file),
      1,
      /error\[CONFLICT\]: .*out\.json already holds 1 signature\(s\) over targets v2 \(sha256 [0-9a-f]{16}…\); writing the new request there would lose them/,
    );
    await refused(
      base,
      ['tuf', 'targets', 'add', '--metadata', md, '--path', 'a', '--file', file, '--out', file],
      1,
      /error\[CONFLICT\]: .*f\.bin exists and is not a signing request; choose another --out/,
    );
    // a corrupt latest targets file is named
    writeFileSync(path.join(md, '2.targets.json'), '{"signed": {"_type": "targets", "_type": "targets"}, "signatures": []}');
    await refused(base, add('--path', 'a', '--file', file), 1, /2\.targets\.json.*duplicate/i);
  });
});

describe('tuf targets add --length --sha256 [--sha512]: targets by known hashes, no file (issue 14 item 16)', () => {
  test('the entry carries exactly the given length and hashes; signed, written; the real file verifies against it, another does not', async () => {
    const { base, md } = await repo();
    const content = Buffer.from('an image manifest we do not have here\n');
    const sha256 = createHash('sha256').update(content).digest('hex');
    const sha512 = createHash('sha512').update(content).digest('hex');
    const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
    const req = path.join(base, '2.targets.request.json');
    const r = await kc([
      'tuf',
      'targets',
      'add',
      '--metadata',
      md,
      '--path',
      'app/manifest.json',
      '--length',
      String(content.length),
      '--sha256',
      sha256.toUpperCase(),
      '--path',
      'app/empty',
      '--length',
      '0',
      '--sha256',
      EMPTY_SHA256,
      '--out',
      req,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(`+ target app/manifest.json (${content.length} bytes, sha256 ${sha256.slice(0, 16)}…)`), r.out);
    const body = parseRequest(readFileSync(req, 'utf8'));
    assert.deepEqual((body.signed.targets as Record<string, unknown>)['app/manifest.json'], { hashes: { sha256 }, length: content.length });
    // with --sha512 the entry is byte-for-byte what --file makes from the file itself
    const both = path.join(base, 'both.json');
    const fromFile = path.join(base, 'from-file.json');
    writeFileSync(path.join(base, 'm.json'), content);
    assert.equal(
      (
        await kc([
          'tuf',
          'targets',
          'add',
          '--metadata',
          md,
          '--path',
          'm',
          '--length',
          String(content.length),
          '--sha256',
          sha256,
          '--sha512',
          sha512,
          '--out',
          both,
        ])
      ).code,
      0,
    );
    assert.equal((await kc(['tuf', 'targets', 'add', '--metadata', md, '--path', 'm', '--file', path.join(base, 'm.json'), '--out', fromFile])).code, 0);
    assert.deepEqual(parseRequest(readFileSync(both, 'utf8')).signed, parseRequest(readFileSync(fromFile, 'utf8')).signed);

    await signAndWrite(req, [online], md);
    await publish(md);
    const targets = path.join(base, 'targets');
    mkdirSync(path.join(targets, 'app'), { recursive: true });
    writeFileSync(path.join(targets, 'app', 'manifest.json'), content);
    writeFileSync(path.join(targets, 'app', 'empty'), '');
    let v = await kc(verifyArgs(md, '--targets', targets, '--target', 'app/manifest.json'));
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, new RegExp(`target app/manifest\\.json: found in targets \\(targets\\), ${content.length} bytes, sha256 ${sha256}`));
    // another file under that path does not match what was signed
    writeFileSync(path.join(targets, 'app', 'manifest.json'), 'tampered\n');
    v = await kc(verifyArgs(md, '--targets', targets));
    assert.equal(v.code, 1, v.out);
    assert.match(v.out, /\[HASH_MISMATCH\] target app\/manifest\.json is 9 bytes, the referring metadata says 38/);
  });

  test('bad known hashes: each a clear error, nothing written', async () => {
    const { base, md } = await repo();
    const out = path.join(base, 'out.json');
    const file = path.join(base, 'f.bin');
    writeFileSync(file, 'x');
    const h = 'a'.repeat(64);
    const add = (...a: string[]) => ['tuf', 'targets', 'add', '--metadata', md, '--out', out, ...a];
    await refused(
      base,
      add('--path', 'a', '--length', '3'),
      2,
      /give --length N and --sha256 HEX .* once per --path P, paired in order: 1 --path, 1 --length, 0 --sha256/,
    );
    await refused(base, add('--path', 'a', '--path', 'b', '--length', '3', '--sha256', h), 2, /2 --path, 1 --length, 1 --sha256/);
    await refused(base, add('--path', 'a', '--length', '3', '--sha256', h, '--file', file), 2, /either --file F or --length N --sha256 HEX/);
    await refused(base, add('--path', 'a', '--length', '1.5', '--sha256', h), 2, /--length takes a whole number/);
    await refused(
      base,
      add('--path', 'a', '--length', '3', '--sha256', 'a'.repeat(63)),
      1,
      /error\[INVALID_INPUT\]: a: --sha256 must be 64 lower-case hex characters, got "a{63}" \(--path a --sha256\)/,
    );
    await refused(base, add('--path', 'a', '--length', '3', '--sha256', h, '--sha512', 'z'.repeat(128)), 1, /--sha512 must be 128 lower-case hex characters/);
    await refused(base, ['tuf', 'targets', 'remove', '--metadata', md, '--out', out, '--path', 'a', '--sha256', h], 2, /tuf targets remove takes --path only/);
  });
});

describe('tuf targets add on a hash-binned repository (TAP 15)', () => {
  test('the bin is named when --role is missing or wrong; added to its bin, found there by verify', async () => {
    const { base, md } = await repo(2);
    const f = file(base, 'x.bin', 'binned target\n');
    const bin = await binForTarget({ bitLength: 2, namePrefix: 'bin' }, 'pkg/x.bin');
    const other = ['bin-0', 'bin-1', 'bin-2', 'bin-3'].find((b) => b !== bin)!;
    const out = path.join(base, 'req.json');
    const add = (...a: string[]) => ['tuf', 'targets', 'add', '--metadata', md, '--path', 'pkg/x.bin', '--file', f, '--out', out, ...a];
    await refused(
      base,
      add(),
      1,
      new RegExp(`error\\[INVALID_INPUT\\]: targets delegates every path to hash bins: pkg/x\\.bin belongs in ${bin} \\(use --role ${bin}\\)`),
    );
    await refused(base, add('--role', other), 1, new RegExp(`pkg/x\\.bin belongs in hash bin ${bin}, not ${other}`));
    await refused(
      base,
      ['tuf', 'delegate', '--metadata', md, '--role', 'rel', '--key', REL_PEM, '--paths', 'r/*', '--threshold', '1', '--out', out],
      1,
      /error\[CONFLICT\]: targets v1 \(.*\) delegates with succinct hash bins; it cannot also list the role rel \(--role rel\)/,
    );
    const r = await kc(add('--role', bin));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`${bin} v2: signed by 0 of 1 required ${bin} keys`));
    await signAndWrite(out, [online], md);
    await publish(md);
    const v = await kc(verifyArgs(md, '--target', 'pkg/x.bin'));
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, new RegExp(`target pkg/x\\.bin: found in ${bin} \\(targets -> ${bin}\\), 14 bytes`));
  });
});

describe('tuf delegate', () => {
  test("delegate releases/* to a key: targets request + the role's own v1 request; a target added to the role; delegate remove", async () => {
    const { base, md } = await repo();
    const treq = path.join(base, 'requests', '2.targets.request.json');
    const d = await kc([
      'tuf',
      'delegate',
      '--metadata',
      md,
      '--role',
      'releases',
      '--key',
      REL_PEM,
      '--paths',
      'releases/*',
      '--threshold',
      '1',
      '--terminating',
      '--out',
      treq,
    ]);
    assert.equal(d.code, 0, d.err);
    assert.match(
      d.out,
      /^targets v1 -> v2\n  targets: 0 added, 0 removed, 0 changed, 0 in total\n\+ delegation releases: 1 of 1 keys, paths \["releases\/\*"\], terminating\n\+ delegation releases: key added [0-9a-f]{16} ecdsa\/ecdsa-sha2-nistp256 fingerprint/,
    );
    assert.match(d.out, /targets v2: signed by 0 of 1 required targets keys/);
    assert.match(d.out, /role releases: its own metadata must be signed by its new keys:\nnew releases \(targets\) v1 \(no previous version to compare\)/);
    assert.match(d.out, /releases v1: signed by 0 of 1 required releases keys/);
    const rreq = path.join(base, 'requests', '1.releases.request.json');
    assert.equal(parseRequest(readFileSync(rreq, 'utf8')).fileName, '1.releases.json');

    // snapshot refuses while the delegated role has no file (checked before any token is opened)
    await signAndWrite(treq, [online], md);
    const before = tree(base);
    const sn = await kc(['tuf', 'snapshot', '--metadata', md, '--token', 'none', '--label', 'none']);
    assert.equal(sn.code, 1);
    assert.match(sn.err, /error\[PRECONDITION_FAILED\]: targets v2 delegates to releases but .* has no N\.<role>\.json for it/);
    assert.deepEqual(tree(base), before);

    // signing the role request with another key is refused
    await assert.rejects(signRequest(parseRequest(readFileSync(rreq, 'utf8')), online), /not one of the keys allowed to sign releases v1/);
    await signAndWrite(rreq, [rel], md);
    await publish(md);
    assert.equal((await kc(verifyArgs(md))).code, 0);

    // a target in the delegated role
    const file = path.join(base, 'a.txt');
    writeFileSync(file, 'delegated target\n');
    const areq = path.join(base, 'requests', '2.releases.request.json');
    const a = await kc(['tuf', 'targets', 'add', '--role', 'releases', '--metadata', md, '--path', 'releases/a.txt', '--file', file, '--out', areq]);
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /^releases \(targets\) v1 -> v2\n  targets: 1 added, 0 removed, 0 changed, 1 in total\n\+ target releases\/a\.txt \(17 bytes/);
    // tuf diff on the request names the role too
    assert.match((await kc(['tuf', 'diff', areq])).out, /^releases \(targets\) v1 -> v2\n/);
    assert.match(a.out, /releases v2: signed by 0 of 1 required releases keys/);
    await refused(
      base,
      ['tuf', 'targets', 'add', '--role', 'releases', '--metadata', md, '--path', 'other/a.txt', '--file', file, '--out', path.join(base, 'x.json')],
      1,
      /error\[INVALID_INPUT\]: other\/a\.txt is outside role releases's delegated paths \["releases\/\*"\]: clients would not trust it there/,
    );
    await signAndWrite(areq, [rel], md);
    await publish(md);
    const v = await kc(verifyArgs(md, '--target', 'releases/a.txt'));
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /target releases\/a\.txt: found in releases \(targets -> releases\), 17 bytes/);

    // renew the delegated role: the same targets, a later expiry, signed by its key
    const rn = await kc(['tuf', 'renew', '--metadata', md, '--role', 'releases', '--expires-in', '200', '--out', path.join(base, 'renew-rel.json')]);
    assert.equal(rn.code, 0, rn.err);
    assert.match(
      rn.out,
      /^releases \(targets\) v2 -> v3\n~ expires 2026-04-01T00:00:00Z -> 2026-07-20T00:00:00Z\n  targets: 0 added, 0 removed, 0 changed, 1 in total\n/,
    );
    assert.match(rn.out, /releases v3: signed by 0 of 1 required releases keys/);

    // re-key the role: a new version of its file signed by the new key
    const kreq = path.join(base, 'requests', '3.targets.request.json');
    const k = await kc([
      'tuf',
      'delegate',
      '--metadata',
      md,
      '--role',
      'releases',
      '--key',
      REL2_PEM,
      '--paths',
      'releases/*',
      '--threshold',
      '1',
      '--out',
      kreq,
    ]);
    assert.equal(k.code, 0, k.err);
    assert.match(k.out, /~ delegation releases: paths \["releases\/\*"\], terminating -> paths \["releases\/\*"\]/);
    assert.match(k.out, /- delegation releases: key removed/);
    // the role's file: same content (1 target), next version, to be signed by the new key
    assert.match(
      k.out,
      /its new keys:\nreleases \(targets\) v2 -> v3\n  targets: 0 added, 0 removed, 0 changed, 1 in total\nreleases v3: signed by 0 of 1 required releases keys/,
    );

    // delegate remove
    const rm = path.join(base, 'requests', 'rm.json');
    const r = await kc(['tuf', 'delegate', 'remove', '--metadata', md, '--role', 'releases', '--out', rm]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^targets v2 -> v3\n.*\n- delegation releases$/m);
    assert.match(r.out, /targets v3: signed by 0 of 1 required targets keys/);
    await refused(
      base,
      ['tuf', 'delegate', 'remove', '--metadata', md, '--role', 'nobody', '--out', rm + '2'],
      1,
      /error\[NOT_FOUND\]: targets v2 \(.*\): no delegated role "nobody" \(--role nobody\)/,
    );
  });

  test('bad inputs: each a clear error, nothing written', async () => {
    const { base, md } = await repo();
    const out = path.join(base, 'd.json');
    const dl = (...a: string[]) => ['tuf', 'delegate', '--metadata', md, '--out', out, ...a];
    await refused(
      base,
      dl('--role', 'rel', '--key', REL_PEM, '--paths', 'r/*', '--threshold', '2'),
      1,
      /error\[INVALID_INPUT\]: rel: 1 key\(s\) cannot meet a threshold of 2/,
    );
    await refused(
      base,
      dl('--role', 'rel', '--key', REL_PEM, '--paths', 'r/*', '--threshold', '0'),
      1,
      /error\[INVALID_INPUT\]: rel: threshold must be at least 1/,
    );
    await refused(base, dl('--role', 'rel', '--key', REL_PEM, '--threshold', '1'), 2, /give --paths 'GLOB'… or --path-hash-prefix HEX…, one of them/);
    await refused(base, dl('--role', 'rel', '--key', REL_PEM, '--paths', 'r/*', '--path-hash-prefix', 'ab', '--threshold', '1'), 2, /one of them/);
    await refused(
      base,
      dl('--role', 'rel', '--key', REL_PEM, '--path-hash-prefix', 'XY', '--threshold', '1'),
      1,
      /--path-hash-prefix "XY" must be lowercase hex/,
    );
    await refused(
      base,
      dl('--role', 'root', '--key', REL_PEM, '--paths', 'r/*', '--threshold', '1'),
      1,
      /error\[INVALID_INPUT\]: a delegated role may not be called "root"/,
    );
    await refused(
      base,
      dl('--role', '../up', '--key', REL_PEM, '--paths', 'r/*', '--threshold', '1'),
      1,
      /error\[INVALID_INPUT\]: role name "\.\.\/up": use letters, digits/,
    );
    await refused(base, dl('--role', 'rel', '--paths', 'r/*', '--threshold', '1'), 2, /give the delegated keys: --key FILE… and\/or --key-uri pkcs11:…/);
    await refused(
      base,
      dl('--role', 'rel', '--key', file(base, 'junk.pem', 'not a key'), '--paths', 'r/*', '--threshold', '1'),
      1,
      /error\[INVALID_KEY\]: .*junk\.pem: not a PEM public key or TUF key JSON/,
    );
    await refused(base, dl('--role', 'rel', '--key-uri', 'file:///x', '--paths', 'r/*', '--threshold', '1'), 2, /--key-uri takes a pkcs11: URI/);
    await refused(
      base,
      dl('--role', 'rel', '--key-uri', 'pkcs11:token=t;object=k?pin-value=1234', '--paths', 'r/*', '--threshold', '1'),
      1,
      /error\[INVALID_URI\]: The pkcs11: URI carries a pin-value/,
    );
    await refused(
      base,
      ['tuf', 'delegate', 'remove', '--metadata', md, '--role', 'rel', '--out', out, '--threshold', '1'],
      2,
      /tuf delegate remove takes --metadata, --role, --from, --out and an expiry only \(not --threshold\)/,
    );
  });
});

function file(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('tuf delegate --from: nested delegations (issue 14 item 15)', () => {
  test("targets -> {a, b}, a -> c made with --from a; c signed by the keys a names; verify reports a as c's delegator, walks targets, a, c, b", async () => {
    const { base, md } = await repo();
    const sa = SoftwareSigner.generate('ecdsa-p256', undefined, 'a');
    const sb = SoftwareSigner.generate('ecdsa-p256', undefined, 'b');
    const sc = SoftwareSigner.generate('ecdsa-p256', undefined, 'c');
    const pem = { a: pemFile(sa, 'nested-a.pem'), b: pemFile(sb, 'nested-b.pem'), c: pemFile(sc, 'nested-c.pem') };
    const req = (name: string) => path.join(base, 'requests', name);
    // targets delegates a/* to a and b/* to b
    for (const [name, signer, v] of [
      ['a', sa, 2],
      ['b', sb, 3],
    ] as const) {
      const d = await kc([
        'tuf',
        'delegate',
        '--metadata',
        md,
        '--role',
        name,
        '--key',
        pem[name],
        '--paths',
        `${name}/*`,
        '--threshold',
        '1',
        '--out',
        req(`${v}.targets.json`),
      ]);
      assert.equal(d.code, 0, d.err);
      await signAndWrite(req(`${v}.targets.json`), [online], md);
      await signAndWrite(req(`1.${name}.request.json`), [signer], md);
    }
    // a delegates a/c-* to c: a request for a v2 (signed by a's key) and c's own v1 (signed by c's key)
    const d = await kc([
      'tuf',
      'delegate',
      '--metadata',
      md,
      '--from',
      'a',
      '--role',
      'c',
      '--key',
      pem.c,
      '--paths',
      'a/c-*',
      '--threshold',
      '1',
      '--out',
      req('2.a.json'),
    ]);
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /^a \(targets\) v1 -> v2\n/);
    assert.match(d.out, /\+ delegation c: 1 of 1 keys, paths \["a\/c-\*"\]/);
    assert.match(d.out, /a v2: signed by 0 of 1 required a keys/);
    assert.match(d.out, /c v1: signed by 0 of 1 required c keys/);
    await assert.rejects(signRequest(parseRequest(readFileSync(req('2.a.json'), 'utf8')), online), /not one of the keys allowed to sign a v2/);
    await signAndWrite(req('2.a.json'), [sa], md);
    await signAndWrite(req('1.c.request.json'), [sc], md);
    // a target in c, signed by c's key; renew c (its delegator is a, not targets)
    const file = path.join(base, 'x.txt');
    writeFileSync(file, 'deep target\n');
    const t = await kc(['tuf', 'targets', 'add', '--role', 'c', '--metadata', md, '--path', 'a/c-x.txt', '--file', file, '--out', req('2.c.json')]);
    assert.equal(t.code, 0, t.err);
    await refused(
      base,
      ['tuf', 'targets', 'add', '--role', 'c', '--metadata', md, '--path', 'a/x.txt', '--file', file, '--out', req('bad.json')],
      1,
      /a\/x\.txt is outside role c's delegated paths \["a\/c-\*"\]/,
    );
    await signAndWrite(req('2.c.json'), [sc], md);
    assert.equal((await kc(['tuf', 'renew', '--metadata', md, '--role', 'c', '--expires-in', '30', '--out', req('3.c.json')])).code, 0);
    await publish(md);

    const v = await kc(verifyArgs(md, '--json', '--target', 'a/c-x.txt'));
    assert.equal(v.code, 0, v.out);
    const j = JSON.parse(v.out) as {
      roles: { role: string; delegator?: string; thresholds: { delegator: string; signedBy: { fingerprint?: string }[] }[] }[];
      tuf: { lookups: { target: string; role: string; delegationPath: string[]; length: number }[] };
    };
    assert.deepEqual(
      j.roles.map((r) => `${r.role}<${r.delegator ?? ''}`),
      ['root<', 'timestamp<root', 'snapshot<root', 'targets<root', 'a<targets', 'c<a', 'b<targets'],
    );
    const c = j.roles.find((r) => r.role === 'c')!;
    assert.deepEqual([c.thresholds[0]!.delegator, c.thresholds[0]!.signedBy[0]!.fingerprint], ['a', sc.fingerprint]);
    const l = j.tuf.lookups[0]!;
    assert.deepEqual([l.target, l.role, l.delegationPath, l.length], ['a/c-x.txt', 'c', ['targets', 'a', 'c'], 12]);
    const text = await kc(verifyArgs(md));
    assert.match(text.out, /^c v2 \(2\.c\.json\): verified, delegated by a,/m);
    assert.match(text.out, /signed by 1 of 1 required keys delegated by a/);
    assert.doesNotMatch(text.out, /delegated by b/);

    // refused: a role already delegated elsewhere, an unknown --from, a role delegating to itself
    await refused(
      base,
      ['tuf', 'delegate', '--metadata', md, '--from', 'a', '--role', 'b', '--key', pem.b, '--paths', 'a/*', '--threshold', '1', '--out', req('x.json')],
      1,
      /error\[CONFLICT\]: role b is already delegated by targets/,
    );
    await refused(
      base,
      ['tuf', 'delegate', '--metadata', md, '--from', 'nobody', '--role', 'd', '--key', pem.b, '--paths', 'a/*', '--threshold', '1', '--out', req('x.json')],
      1,
      /error\[NOT_FOUND\]: role "nobody" is not delegated by targets v3 \(it delegates to: a, b\) or by any role it delegates to/,
    );
    await refused(
      base,
      ['tuf', 'delegate', '--metadata', md, '--from', 'a', '--role', 'a', '--key', pem.b, '--paths', 'a/*', '--threshold', '1', '--out', req('x.json')],
      1,
      /a role cannot delegate to itself/,
    );
    // delegate remove --from a: a v3 without c
    const rm = await kc(['tuf', 'delegate', 'remove', '--metadata', md, '--from', 'a', '--role', 'c', '--out', req('3.a.json')]);
    assert.equal(rm.code, 0, rm.err);
    assert.match(rm.out, /^a \(targets\) v2 -> v3\n[\s\S]*- delegation c$/m);
  });
});

describe('tuf rotate --role (online keys) and tuf renew (any role)', () => {
  test('timestamp key replaced in root v2; the new key signs the next timestamp; verified', async () => {
    const { base, md } = await repo();
    const onlineId = (await signerKey(online)).keyid;
    const req = path.join(base, 'requests', '2.root.request.json');
    const r = await kc(['tuf', 'rotate', '--metadata', md, '--role', 'timestamp', '--add-key', TS_PEM, '--remove-key', onlineId.slice(0, 12), '--out', req]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^root v1 -> v2\n/);
    assert.match(r.out, /\+ timestamp: key added [0-9a-f]{16} ecdsa/);
    assert.match(r.out, /- timestamp: key removed [0-9a-f]{16} ecdsa/);
    assert.match(r.out, /  root: 2 of 3 keys/);
    assert.match(r.out, /root v2: signed by 0 of 2 required old-root keys, 0 of 2 required new-root keys/);
    assert.match(r.out, /next: once root v2 is signed and written, run tuf snapshot with the new key/);
    await signAndWrite(req, [roots[0]!, roots[2]!], md);
    // the old online key no longer counts for the timestamp
    await publish(md, online);
    const bad = await kc(verifyArgs(md));
    assert.equal(bad.code, 1);
    assert.match(bad.out, /timestamp.*signed by 0 of 1 required/);
    // renew the timestamp with the new key: a request signed by the timestamp-2 key
    const treq = path.join(base, 'requests', 'ts.request.json');
    const t = await kc(['tuf', 'renew', '--metadata', md, '--role', 'timestamp', '--expires-in', '2', '--out', treq]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^timestamp v2 -> v3\n~ expires 2026-01-02T00:00:00Z -> 2026-01-03T00:00:00Z\n  snapshot.json v2 -> v2/);
    assert.match(t.out, /timestamp v3: signed by 0 of 1 required timestamp keys/);
    await signAndWrite(treq, [newTs], md);
    const ok = await kc(verifyArgs(md));
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /root v1 -> v2/);
  });

  test('rotate bad inputs; renew of root, targets, snapshot and timestamp; renew bad inputs', async () => {
    const { base, md } = await repo();
    const out = path.join(base, 'r.json');
    await refused(
      base,
      ['tuf', 'rotate', '--metadata', md, '--role', 'releases', '--add-key', TS_PEM, '--out', out],
      2,
      /--role is root, targets, snapshot or timestamp/,
    );
    await refused(
      base,
      ['tuf', 'rotate', '--metadata', md, '--role', 'snapshot', '--remove-key', 'ffff', '--out', out],
      1,
      /error\[KEY_NOT_FOUND\]: --remove-key ffff matches 0 snapshot keys of root v1/,
    );
    await refused(base, ['tuf', 'rotate', '--metadata', md, '--role', 'snapshot', '--out', out], 2, /nothing to change/);
    await refused(
      base,
      ['tuf', 'rotate', '--metadata', md, '--role', 'targets', '--threshold', '2', '--out', out],
      1,
      /error\[INVALID_INPUT\]: targets: 1 key\(s\) cannot meet a threshold of 2/,
    );
    await refused(
      base,
      ['tuf', 'rotate', '--metadata', md, '--role', 'targets', '--threshold', '1', '--expires-in', '10', '--root-days', '9', '--out', out],
      2,
      /not both/,
    );

    // renew each top-level role: a request for v+1 with the new expiry, only the expiry changed
    for (const [role, days, want] of [
      ['root', '400', /root v1 -> v2\n~ expires 2027-01-01T00:00:00Z -> 2027-02-05T00:00:00Z/],
      ['targets', '120', /targets v1 -> v2\n~ expires 2026-04-01T00:00:00Z -> 2026-05-01T00:00:00Z\n  targets: 0 added, 0 removed, 0 changed/],
      ['snapshot', '14', /snapshot v1 -> v2\n~ expires 2026-01-08T00:00:00Z -> 2026-01-15T00:00:00Z$/m],
    ] as const) {
      const req = path.join(base, `renew-${role}.json`);
      const r = await kc(['tuf', 'renew', '--metadata', md, '--role', role, '--expires-in', days, '--out', req]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, want);
      const signers = role === 'root' ? [roots[1]!, roots[2]!] : [online];
      await signAndWrite(req, signers, md);
    }
    assert.match(
      (await kc(['tuf', 'status', path.join(base, 'renew-root.json')])).out,
      /root v2: signed by 2 of 2 required old-root keys, 2 of 2 required new-root keys — complete/,
    );
    // timestamp over the renewed snapshot v2: verified well past the old snapshot's expiry
    const treq = path.join(base, 'renew-ts.json');
    const t = await kc(['tuf', 'renew', '--metadata', md, '--role', 'timestamp', '--expires-in', '12', '--out', treq]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /snapshot.json v1 -> v2/);
    await signAndWrite(treq, [online], md);
    const v = await kc(['tuf', 'verify', '--trusted-root', path.join(md, '1.root.json'), '--metadata', md, '--at', '2026-01-10T00:00:00Z']);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /root v1 -> v2/);
    assert.match(v.out, /snapshot v2 .*verified/);

    await refused(base, ['tuf', 'renew', '--metadata', md, '--role', 'targets', '--out', out], 2, /give --expires-in DAYS or --expires TIME/);
    await refused(
      base,
      ['tuf', 'renew', '--metadata', md, '--role', 'targets', '--expires-in', '0', '--out', out],
      1,
      /error\[INVALID_INPUT\]: --expires-in must be at least 1 day/,
    );
    await refused(
      base,
      ['tuf', 'renew', '--metadata', md, '--role', 'ghost', '--expires-in', '3', '--out', out],
      1,
      /error\[NOT_FOUND\]: role "ghost" is not delegated by targets v2/,
    );
    await refused(
      base,
      ['tuf', 'renew', '--metadata', md, '--role', 'targets', '--expires', '2025-01-01T00:00:00Z', '--out', out],
      1,
      /error\[EXPIRED\]: targets v3 would expire at 2025-01-01T00:00:00Z/,
    );
    await refused(
      base,
      ['tuf', 'renew', '--metadata', path.join(base, 'empty'), '--role', 'targets', '--expires-in', '3', '--out', out],
      1,
      /no such metadata folder/,
    );
  });
});

describe('tuf verify --trusted-state', () => {
  test('remembers the highest versions; refuses a rolled-back timestamp and root; written only after success', async () => {
    const { base, md } = await repo();
    const state = path.join(base, 'state', 'trusted.json');
    const v1 = await kc(verifyArgs(md, '--trusted-state', state));
    assert.equal(v1.code, 0, v1.out);
    const s1 = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      { ...s1, verifiedAt: undefined },
      { format: 'keyceremony/tuf-trusted-state', formatVersion: 1, root: 1, timestamp: 1, snapshot: 1, meta: { 'targets.json': 1 }, verifiedAt: undefined },
    );
    const ts1 = readFileSync(path.join(md, 'timestamp.json'));
    await publish(md);
    assert.equal((await kc(verifyArgs(md, '--trusted-state', state))).code, 0);
    assert.equal((JSON.parse(readFileSync(state, 'utf8')) as { timestamp: number }).timestamp, 2);
    // the server rolls the timestamp back: without the state it verifies, with it it is refused
    writeFileSync(path.join(md, 'timestamp.json'), ts1);
    assert.equal((await kc(verifyArgs(md))).code, 0);
    const stateBefore = readFileSync(state);
    const rb = await kc(verifyArgs(md, '--trusted-state', state));
    assert.equal(rb.code, 1);
    assert.match(rb.out, /NOT VERIFIED .*\[ROLLBACK\] timestamp v1 is older than the trusted v2 \(5\.4\.3\)/);
    assert.match(rb.err, /trusted state .* left unchanged: not verified/);
    assert.deepEqual(readFileSync(state), stateBefore);

    // root: the state saw v2; a folder without 2.root.json is a rollback
    await publish(md);
    const req = path.join(base, 'root2.json');
    assert.equal((await kc(['tuf', 'renew', '--metadata', md, '--role', 'root', '--expires-in', '300', '--out', req])).code, 0);
    await signAndWrite(req, [roots[0]!, roots[1]!], md);
    assert.equal((await kc(verifyArgs(md, '--trusted-state', state))).code, 0);
    assert.equal((JSON.parse(readFileSync(state, 'utf8')) as { root: number }).root, 2);
    rmSync(path.join(md, '2.root.json'));
    const rr = await kc(verifyArgs(md, '--trusted-state', state, '--json'));
    assert.equal(rr.code, 1);
    const j = JSON.parse(rr.out) as { ok: boolean; verdict: string; items: { check: string; status: string; code?: string; message: string }[] };
    assert.deepEqual([j.ok, j.verdict], [false, 'failed']);
    const bad = j.items.filter((i) => i.status === 'fail');
    assert.deepEqual(
      bad.map((f) => [f.check, f.code]),
      [['root.rollback', 'ROLLBACK']],
    );
    assert.match(bad[0]!.message, /root v1 is older than the trusted v2/);
    assert.equal(j.items[0], bad[0], 'failures come first');

    // a malformed state file is an error naming it, and is left as it is
    const junk = file(base, 'junk-state.json', '{"format": "something-else"}');
    const jr = await kc(verifyArgs(md, '--trusted-state', junk));
    assert.equal(jr.code, 1);
    assert.match(jr.err, /error\[INVALID_INPUT\]: .*junk-state\.json: not a keyceremony TUF trusted state/);
    assert.equal(readFileSync(junk, 'utf8'), '{"format": "something-else"}');
  });
});

/** `keyceremony tuf …` through main() (no build needed): the verify contract, init/rotate/status/merge/diff. */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync, copyFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { FIXTURES } from '../helpers/tuf-fs';
import { SoftwareSigner } from '../helpers/software-signer';
import { pemEncode } from '../../shared/encoding/bytes';
import { parseRequest, signRequest, serializeRequest } from '../../electron/core/tuf/request';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-tuf-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function kc(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { ...makeContext({ env: { ...process.env, ...env } }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const SIG = path.join(FIXTURES, 'tuf', 'sigstore-root-signing', 'metadata');

describe('tuf verify contract', () => {
  test('Sigstore production: exit 0 with the clock pinned, --json', async () => {
    const dir = path.join(tmp, 'sigstore');
    mkdirSync(dir);
    for (const f of readdirSync(path.join(SIG, 'root_history'))) copyFileSync(path.join(SIG, 'root_history', f), path.join(dir, f));
    for (const f of ['timestamp.json', 'snapshot.json', 'targets.json', 'registry.npmjs.org.json']) copyFileSync(path.join(SIG, f), path.join(dir, f));
    const r = await kc(['tuf', 'verify', '--trusted-root', path.join(dir, '1.root.json'), '--metadata', dir, '--at', '2026-08-22T00:00:00Z']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^VERIFIED at 2026-08-22T00:00:00.000Z: root v1 -> v15, \d+ targets/);
    const j = await kc(['tuf', 'verify', '--trusted-root', path.join(dir, '1.root.json'), '--metadata', dir, '--at', '2026-08-22T00:00:00Z', '--json']);
    const rep = JSON.parse(j.out) as { ok: boolean; verdict: string; kind: string; tuf: { rootVersion: number } };
    assert.deepEqual([rep.ok, rep.verdict, rep.tuf.rootVersion, rep.kind], [true, 'verified', 15, 'tuf']);
    const t = await kc([
      'tuf',
      'verify',
      '--trusted-root',
      path.join(dir, '1.root.json'),
      '--metadata',
      dir,
      '--at',
      '2026-08-22T00:00:00Z',
      '--target',
      'registry.npmjs.org/keys.json',
      '--target',
      'missing.json',
    ]);
    assert.equal(t.code, 1);
    assert.match(
      t.out,
      /target registry\.npmjs\.org\/keys\.json: found in registry\.npmjs\.org \(targets -> registry\.npmjs\.org\), \d+ bytes, sha256 [0-9a-f]{64}/,
    );
    assert.match(t.out, /target missing\.json: NOT FOUND in any role a client would search/);
    const late = await kc(['tuf', 'verify', '--trusted-root', path.join(dir, '1.root.json'), '--metadata', dir, '--at', '2027-01-01T00:00:00Z']);
    assert.equal(late.code, 1);
    assert.match(late.out, /NOT VERIFIED.*\[EXPIRED\]/);
  });

  test('only root files: the chain is verified', async () => {
    const dir = path.join(tmp, 'roots');
    mkdirSync(dir);
    for (const f of readdirSync(path.join(SIG, 'root_history'))) copyFileSync(path.join(SIG, 'root_history', f), path.join(dir, f));
    const r = await kc(['tuf', 'verify', '--trusted-root', path.join(dir, '1.root.json'), '--metadata', dir, '--at', '2026-08-22T00:00:00Z']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /root chain only/);
  });

  test('go-tuf must-fail scenario exits 1 with its reason; usage errors exit 2', async () => {
    const s = path.join(FIXTURES, 'tuf', 'go-tuf-v0.7.0', 'client', 'testdata', 'Published1Time_backwardRootVersion');
    const r = await kc([
      'tuf',
      'verify',
      '--trusted-root',
      path.join(s, 'client', 'metadata', 'current', 'root.json'),
      '--metadata',
      path.join(s, 'server', 'metadata'),
      '--at',
      '2025-01-01T00:00:00Z',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.out, /\[ROLLBACK\] 2\.root\.json \(5\.3\.5\): holds version 1, expected exactly 2/);
    assert.equal((await kc(['tuf', 'verify', '--metadata', s])).code, 2);
    assert.equal((await kc(['tuf', 'verify', '--trusted-root', 'x', '--metadata', s, '--at', 'yesterday'])).code, 2);
  });

  test('a Notary trusted root is detected and verified as Notary', async () => {
    const nd = path.join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility', 'notary0.3', 'tuf');
    const files = readdirSync(nd, { recursive: true }).map(String);
    const rootRel = files.find((f) => f.endsWith(path.join('metadata', 'root.json')));
    if (!rootRel) return assert.fail('notary fixture root.json not found');
    const md = path.join(nd, path.dirname(rootRel));
    const r = await kc(['tuf', 'verify', '--trusted-root', path.join(md, 'root.json'), '--metadata', md, '--at', '2016-06-01T00:00:00Z', '--json']);
    const j = JSON.parse(r.out) as { kind: string; type: string };
    assert.deepEqual([j.kind, j.type], ['notary', 'https://keyceremony.dev/verification/v1'], 'the same report schema as TUF');
  });
});

describe('tuf init / sign / status / merge / diff', () => {
  test('root ceremony flow with request files', async () => {
    const keys = [0, 1, 2].map((i) => SoftwareSigner.generate('ecdsa-p256', undefined, `custodian-${i}`));
    const online = SoftwareSigner.generate('ecdsa-p256', undefined, 'online');
    const kf = (s: SoftwareSigner, n: string) => {
      const p = path.join(tmp, n);
      writeFileSync(p, pemEncode('PUBLIC KEY', s.publicKeySpki));
      return p;
    };
    const out = path.join(tmp, 'repo');
    const args = ['tuf', 'init', '--out', out, '--threshold', '2', '--online-key', kf(online, 'online.pem')];
    keys.forEach((k, i) => args.push('--root-key', kf(k, `r${i}.pem`)));
    const init = await kc(args, { KEYCEREMONY_NOW: '2026-01-01T00:00:00Z' });
    assert.equal(init.code, 0, init.err);
    assert.match(init.out, /root v1: signed by 0 of 2 required root keys/);
    assert.match(init.out, /\+ root: key added/);
    const reqPath = path.join(out, 'requests', '1.root.request.json');
    // two custodians sign copies (what `tuf sign --token` does on their machine), then merge
    const base = parseRequest(readFileSync(reqPath, 'utf8'));
    writeFileSync(path.join(tmp, 'a.json'), serializeRequest(await signRequest(base, keys[0]!)));
    writeFileSync(path.join(tmp, 'b.json'), serializeRequest(await signRequest(base, keys[2]!)));
    const st = await kc(['tuf', 'status', path.join(tmp, 'a.json')]);
    assert.equal(st.code, 1);
    assert.match(st.out, /^root v1: signed by 1 of 2 required root keys\n  root: 1 more of: /);
    const m = await kc(['tuf', 'merge', path.join(tmp, 'a.json'), path.join(tmp, 'b.json'), '--out', path.join(tmp, 'ab.json')]);
    assert.equal(m.code, 0, m.err);
    assert.equal(m.out, 'root v1: signed by 2 of 2 required root keys — complete');
    const md = path.join(out, 'metadata');
    const w = await kc(['tuf', 'status', path.join(tmp, 'ab.json'), '--write', md]);
    assert.equal(w.code, 0);
    const v = await kc(['tuf', 'verify', '--trusted-root', path.join(md, '1.root.json'), '--metadata', md, '--at', '2026-01-02T00:00:00Z']);
    assert.equal(v.code, 0, v.out);
    // rotation request: raise the threshold, diff shows it
    const rot = await kc(['tuf', 'rotate', '--metadata', md, '--threshold', '3', '--out', path.join(tmp, 'rot.json')], {
      KEYCEREMONY_NOW: '2026-01-02T00:00:00Z',
    });
    assert.equal(rot.code, 0, rot.err);
    assert.match(rot.out, /~ root: threshold 2 -> 3/);
    assert.match(rot.out, /root v2: signed by 0 of 2 required old-root keys, 0 of 3 required new-root keys/);
    const d = await kc(['tuf', 'diff', path.join(tmp, 'rot.json')]);
    assert.match(d.out, /^root v1 -> v2/);
    // merging a request over other bytes is refused
    const bad = await kc(['tuf', 'merge', path.join(tmp, 'ab.json'), path.join(tmp, 'rot.json'), '--out', path.join(tmp, 'x.json')]);
    assert.equal(bad.code, 1, bad.err);
    assert.match(bad.err, /error\[CONFLICT\]/);
  });
});

describe('tuf init with a damaged key file', () => {
  test('a truncated or non-canonical PEM key is error[INVALID_KEY] naming the file and the DER fault, not INTERNAL; nothing is written', async () => {
    const good = SoftwareSigner.generate('ecdsa-p256', undefined, 'good');
    const online = path.join(tmp, 'damaged-online.pem');
    writeFileSync(online, pemEncode('PUBLIC KEY', good.publicKeySpki));
    const spki = good.publicKeySpki;
    const ber = new Uint8Array([0x30, 0x81, spki[1] as number, ...spki.subarray(2)]);
    for (const [name, der, fault] of [
      ['truncated.pem', spki.subarray(0, 40), /DER: truncated value at byte 0/],
      ['long-form.pem', ber, /DER: length 89 in long form at byte 0/],
    ] as const) {
      const damaged = path.join(tmp, name);
      writeFileSync(damaged, pemEncode('PUBLIC KEY', der));
      const out = path.join(tmp, `damaged-repo-${name}`);
      const r = await kc(['tuf', 'init', '--out', out, '--threshold', '1', '--online-key', online, '--root-key', damaged], {
        KEYCEREMONY_NOW: '2026-01-01T00:00:00Z',
      });
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.err, /^error\[INVALID_KEY\]: /);
      assert.ok(r.err.includes(damaged), r.err);
      assert.match(r.err, fault);
      assert.doesNotMatch(r.err, /INTERNAL/);
      assert.equal(existsSync(out), false, 'no repository folder for a refused key');
    }
  });

  test('a binary file, a TUF key JSON with unusable key material, a damaged EC point: INVALID_KEY naming the file, nothing written', async () => {
    const good = SoftwareSigner.generate('ecdsa-p256', undefined, 'good');
    const online = path.join(tmp, 'damaged-online2.pem');
    writeFileSync(online, pemEncode('PUBLIC KEY', good.publicKeySpki));
    const spki = good.publicKeySpki;
    const badPrefix = spki.slice();
    badPrefix[spki.length - 65] = 0x44; // the uncompressed-point marker 0x04 damaged
    const offCurve = spki.slice();
    offCurve[spki.length - 1] = (offCurve[spki.length - 1] as number) ^ 0x01; // y no longer on the curve
    const cases: [string, string | Uint8Array, RegExp][] = [
      ['random.bin', Uint8Array.from({ length: 300 }, (_, i) => ((i * 151 + 7) & 0xff) | 0x80), /not a text key file/],
      ['short-ed25519.json', JSON.stringify({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: 'zz' } }), /unusable ed25519\/ed25519 key/],
      ['bad-prefix.pem', pemEncode('PUBLIC KEY', badPrefix), /the public key is damaged/],
      ['off-curve.pem', pemEncode('PUBLIC KEY', offCurve), /the public key is damaged/],
    ];
    for (const [name, data, fault] of cases) {
      const damaged = path.join(tmp, name);
      writeFileSync(damaged, data);
      const out = path.join(tmp, `damaged-repo2-${name}`);
      const r = await kc(['tuf', 'init', '--out', out, '--threshold', '1', '--online-key', online, '--root-key', damaged], {
        KEYCEREMONY_NOW: '2026-01-01T00:00:00Z',
      });
      assert.equal(r.code, 1, `${name}: ${r.out}${r.err}`);
      assert.match(r.err, /^error\[INVALID_KEY\]: /, name);
      assert.ok(r.err.includes(damaged), r.err);
      assert.match(r.err, fault, name);
      assert.equal(existsSync(out), false, `${name}: no repository folder for a refused key`);
    }
    // the same key as DER SPKI (keyceremony pubkey --format der) is a key file too
    const der = path.join(tmp, 'good.der');
    writeFileSync(der, spki);
    const r = await kc(['tuf', 'init', '--out', path.join(tmp, 'der-repo'), '--threshold', '1', '--online-key', online, '--root-key', der], {
      KEYCEREMONY_NOW: '2026-01-01T00:00:00Z',
    });
    assert.equal(r.code, 0, r.err);
  });
});

/**
 * The fast paths of TUF verification at scale (issue 17) check what the slow paths check:
 * - canonicalSpan's one-pass word scan (shared/json/canonical.ts) takes a file's own bytes as the signed
 *   bytes only when they are canonical JSON, at every byte alignment, and falls back otherwise;
 * - the table-driven hex check of target hashes (shared/tuf/models.ts) refuses what /^[0-9a-fA-F]+$/
 *   refuses, naming the target's path, on the parser's fast path and off it;
 * - a large targets file's hashes are taken while it is parsed (electron/core/tuf/verify.ts), and a
 *   hash mismatch is still what is reported, before any parse or model fault.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SoftwareSigner } from '../helpers/software-signer';
import { verifyRepository, type MetadataReader } from '../../electron/core/tuf/verify';
import { newRoot, newTargets, expiresIn, newTimestamp, newSnapshot, type OutFile } from '../../electron/core/tuf/repo';
import { signerKey, signEnvelope } from '../../electron/core/tuf/sign';
import { canonicalBytes, canonicalSpan } from '../../shared/json/canonical';
import { parseStrictJson } from '../../shared/json/strict';
import { Targets } from '../../shared/tuf/models';
import { isKeyceremonyError } from '../../shared/errors';
import { sha256Hex } from '../../shared/crypto/webcrypto';
import { utf8 } from '../../shared/encoding/bytes';
import { failures, type VerificationReport } from '../../shared/verification/report';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const k = async (s: SoftwareSigner) => (await signerKey(s)).key;
const str = (b: Uint8Array) => Buffer.from(b).toString();

describe('canonicalSpan: the word-at-a-time scan at every alignment', () => {
  /** `t`'s bytes placed at byte offset `at` of a larger buffer (a pooled Buffer's view is unaligned too). */
  const spanAt = (t: string, at: number) => {
    const raw = utf8(t);
    const big = new Uint8Array(raw.length + 16);
    big.set(raw, at);
    const b = big.subarray(at, at + raw.length);
    return { b, got: canonicalSpan(b, 0, b.length, parseStrictJson(t, { integersOnly: true })) };
  };
  const base = '{"a":"xxxxxxxxxxxxxxxxxxxx","b":[1,22,-3,{"c":"2026-01-01T00:00:00Z"}],"d":"\u00e9\u4e2d","e":true,"f":null}';

  test('canonical text is its own bytes at offsets 0-7, equal to canonicalBytes', () => {
    for (let at = 0; at < 8; at++) {
      const { b, got } = spanAt(base, at);
      assert.ok(got, `offset ${at}`);
      assert.deepEqual([...got], [...b]);
      assert.deepEqual([...got], [...canonicalBytes(parseStrictJson(base))]);
    }
  });

  test('whitespace, an escape other than \\" and \\\\, or a -0 number anywhere (each position, each offset): undefined', () => {
    // insert at every position next to a structural character (outside strings) of the compact text
    const cuts: number[] = [];
    let inString = false;
    for (let i = 0; i < base.length; i++) {
      if (base[i] === '"') inString = !inString;
      else if (!inString && ',:[]{}'.includes(base[i]!)) cuts.push(i, i + 1);
    }
    for (const ins of [' ', '\n', '\t', '\r']) {
      for (const c of cuts) {
        const t = base.slice(0, c) + ins + base.slice(c);
        let parsed: unknown;
        try {
          parsed = parseStrictJson(t, { integersOnly: true });
        } catch {
          continue; // whitespace inside a token ("tr ue") is not JSON
        }
        assert.ok(parsed);
        for (let at = 0; at < 4; at++) assert.equal(spanAt(t, at).got, undefined, `${JSON.stringify(ins)} at ${c}, offset ${at}`);
      }
    }
    for (const t of ['{"a":"\\n"}', '{"a":"\\u0041"}', '{"a":"\\/"}', '{"a":-0}', '{"a":[1,-0]}', '{"a":[-0]}', '{"a":1,"bb":-0}']) {
      for (let at = 0; at < 8; at++) assert.equal(spanAt(t, at).got, undefined, `${t} at offset ${at}`);
    }
  });

  test('what only looks non-canonical (a space, "-0" or \\" inside a string, dates, -1): the exact scan keeps the bytes', () => {
    for (const t of ['{"a":"x y"}', '{"a":"b:-0"}', '{"a":"q\\"\\\\"}', '{"a":"2026-01-01","b":-1,"c":[-10]}', '{"k":"\u00a0\u2028"}']) {
      for (let at = 0; at < 8; at++) {
        const { b, got } = spanAt(t, at);
        assert.ok(got, `${t} at offset ${at}`);
        assert.deepEqual([...got], [...b]);
        assert.deepEqual([...got], [...canonicalBytes(parseStrictJson(t))], t);
      }
    }
  });
});

describe('target hashes: hex only, named by path', () => {
  const targetsJson = (hash: unknown) => ({
    _type: 'targets',
    expires: '2030-01-01T00:00:00Z',
    spec_version: '1.0.31',
    targets: { 'a/ok': { hashes: { sha256: 'ab'.repeat(32) }, length: 1 }, 'pkg/7/x': { hashes: { sha256: hash }, length: 2 } },
    version: 1,
  });
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (isKeyceremonyError(e)) return { code: e.code, where: e.where };
      throw e;
    }
    return undefined;
  };

  test('upper and lower case hex pass, from objects and from the strict parser (its canonical-order fast path)', () => {
    for (const h of ['AbCdEf0123456789', 'ab'.repeat(64), '0']) {
      assert.equal(Targets.fromJSON(targetsJson(h)).parsedTargetCount, 2);
      assert.equal(Targets.fromJSON(parseStrictJson(JSON.stringify(targetsJson(h)), { integersOnly: true })).parsedTargetCount, 2);
    }
  });

  test('a non-hex character, a look-alike digit (U+0130, U+FF10, U+0660), empty, or not a string: INVALID_METADATA at its path', () => {
    const where = '$.signed.targets["pkg/7/x"].hashes.sha256';
    for (const h of ['ab'.repeat(31) + 'ag', 'g', ' ab', 'ab ', '\u0130', '\uff10', '\u0660', 'a\u0000', '', 12, null]) {
      for (const v of [targetsJson(h), parseStrictJson(JSON.stringify(targetsJson(h)), { integersOnly: true })]) {
        assert.deepEqual(
          refusal(() => Targets.fromJSON(v)),
          { code: 'INVALID_METADATA', where },
          JSON.stringify(h),
        );
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A repository with a large targets file (> 1 MiB: the overlapped path) and a snapshot that lists its
// length and hashes.

const N = 10_000;
const mem = (files: OutFile[]): MetadataReader => {
  const m = new Map(files.map((f) => [f.name, f.bytes]));
  return { read: async (n) => m.get(n), list: async () => [...m.keys()] };
};

async function setup() {
  const rootKey = SoftwareSigner.generate('ed25519');
  const on = SoftwareSigner.generate('ecdsa-p256');
  const spec = { keys: [await k(on)], threshold: 1 };
  const root = await newRoot({
    roles: { root: { keys: [await k(rootKey)], threshold: 1 }, targets: spec, snapshot: spec, timestamp: spec },
    expires: expiresIn(NOW, 365),
  });
  const rootBytes = await signEnvelope(root.toJSON(), [rootKey]);
  const t = newTargets(expiresIn(NOW, 90));
  for (let i = 0; i < N; i++) t.targets[`pkg/${i}/image.tar`] = { hashes: { sha256: (i % 16).toString(16).repeat(64) }, length: 1000 + i };
  const signed = t.toJSON();
  /** The repository with `targetsBytes` as 1.targets.json; the snapshot lists `listed` (default: those bytes). */
  const repo = async (targetsBytes: Uint8Array, listed: Uint8Array = targetsBytes, length = listed.length): Promise<OutFile[]> => {
    const sn = newSnapshot({ targets: 1 }, expiresIn(NOW, 7), 1);
    sn.meta['targets.json'] = { version: 1, length, hashes: { sha256: await sha256Hex(listed) }, unrecognized: {} };
    const snBytes = await signEnvelope(sn.toJSON(), [on]);
    const ts = await newTimestamp(snBytes, 1, expiresIn(NOW, 1), 1);
    return [
      { name: '1.root.json', bytes: rootBytes },
      { name: '1.targets.json', bytes: targetsBytes },
      { name: '1.snapshot.json', bytes: snBytes },
      { name: 'timestamp.json', bytes: await signEnvelope(ts.toJSON(), [on]) },
    ];
  };
  const verify = async (files: OutFile[]): Promise<VerificationReport> => (await verifyRepository(rootBytes, mem(files), { now: NOW })).report;
  const targetsBytes = await signEnvelope(signed, [on]);
  /** `signed` changed by `edit`, signed properly by the targets key. */
  const resigned = async (edit: (s: Record<string, any>) => void) => {
    const s = JSON.parse(JSON.stringify(signed)) as Record<string, any>;
    edit(s);
    return signEnvelope(s, [on]);
  };
  return { signed, targetsBytes, repo, verify, resigned };
}
/** The first failure of a report, as these tests compare it. */
const HASH_FAILS = { check: 'role.hashes', code: 'HASH_MISMATCH', subject: 'targets', file: '1.targets.json' };
const SIGNATURE_FAILS = { check: 'role.signatures', code: 'THRESHOLD_NOT_MET', subject: 'targets', file: '1.targets.json' };
const first = (r: VerificationReport) => {
  const f = failures(r)[0];
  return f && { check: f.check, code: f.code, subject: f.subject, file: f.file };
};

describe('a large targets file (10,000 targets, > 1 MiB) whose snapshot lists its hashes', async () => {
  const s = await setup();

  test('verifies: written compactly, its own bytes are what is signed; hashes checked before the signatures', async () => {
    assert.ok(s.targetsBytes.length > 1 << 20, 'over the overlap threshold');
    assert.match(str(s.targetsBytes), /^\{"signatures":\[.*\],"signed":\{"_type":"targets",/);
    const r = await s.verify(await s.repo(s.targetsBytes));
    assert.equal(r.verdict, 'verified', r.summary);
    const checks = r.items.filter((i) => i.subject === 'targets').map((i) => i.check);
    assert.ok(checks.indexOf('role.hashes') !== -1 && checks.indexOf('role.hashes') < checks.indexOf('role.signatures'), checks.join(' '));
  });

  test('the same file re-indented (not canonical) is canonicalised and verifies; the signature is still checked', async () => {
    const pretty = utf8(JSON.stringify(JSON.parse(str(s.targetsBytes)), null, 1));
    assert.equal((await s.verify(await s.repo(pretty))).verdict, 'verified');
    const sigs = /"sig": "([0-9a-f]+)"/.exec(str(pretty))![1]!;
    const forged = utf8(str(pretty).replace(sigs, sigs.slice(0, -4) + (sigs.endsWith('0000') ? '1111' : '0000')));
    assert.deepEqual(first(await s.verify(await s.repo(forged))), SIGNATURE_FAILS);
  });

  test('one target hash changed (still hex): HASH_MISMATCH against the snapshot; with the snapshot listing the changed bytes, the signature fails', async () => {
    const text = str(s.targetsBytes);
    const at = text.indexOf('"pkg/9999/image.tar":{"hashes":{"sha256":"') + '"pkg/9999/image.tar":{"hashes":{"sha256":"'.length;
    const tampered = utf8(text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1));
    assert.equal(tampered.length, s.targetsBytes.length);
    assert.deepEqual(first(await s.verify(await s.repo(tampered, s.targetsBytes))), HASH_FAILS);
    assert.deepEqual(first(await s.verify(await s.repo(tampered))), SIGNATURE_FAILS);
  });

  test('bytes that fail both the hash and the parse: the hash mismatch (5.6.2) is reported, not the parse', async () => {
    const broken = s.targetsBytes.slice();
    broken[broken.length - 3] = 0x2c; // "}}\n" -> ",}\n": not JSON
    const r = await s.verify(await s.repo(broken, s.targetsBytes));
    assert.deepEqual(first(r), HASH_FAILS);
    assert.equal(r.items.filter((i) => i.check === 'role.parse').length, 0);
    // the same bytes listed as they are: now the parse is what fails
    assert.equal(first(await s.verify(await s.repo(broken)))?.code, 'INVALID_JSON');
  });

  test('a wrong length in the snapshot: HASH_MISMATCH naming both lengths, nothing parsed', async () => {
    const r = await s.verify(await s.repo(s.targetsBytes, s.targetsBytes, s.targetsBytes.length + 1));
    assert.deepEqual(first(r), HASH_FAILS);
    assert.match(failures(r)[0]!.message, new RegExp(`is ${s.targetsBytes.length} bytes, the referring metadata says ${s.targetsBytes.length + 1}`));
  });

  test('signed properly but a bad target (non-hex hash, missing length, float in an unknown member, no expires): INVALID_METADATA at its path', async () => {
    const cases: [(x: Record<string, any>) => void, string][] = [
      [(x) => (x.targets['pkg/4321/image.tar'].hashes.sha256 = 'z'.repeat(64)), '$.signed.targets["pkg/4321/image.tar"].hashes.sha256'],
      [(x) => delete x.targets['pkg/4321/image.tar'].length, '$.signed.targets["pkg/4321/image.tar"].length'],
      [(x) => (x.targets['pkg/4321/image.tar'].hashes = {}), '$.signed.targets["pkg/4321/image.tar"].hashes'],
      [(x) => delete x.expires, '$.signed.expires'],
    ];
    for (const [edit, where] of cases) {
      const bytes = await s.resigned(edit);
      const r = await s.verify(await s.repo(bytes));
      const f = failures(r)[0];
      assert.equal(f?.code, 'INVALID_METADATA', where);
      assert.match(f!.message, new RegExp(where.replace(/[[\]().$"]/g, '\\$&')), f!.message);
    }
    // a number written 1.5 in an unknown member of a target: refused by the strict parser, with its path
    const text = str(s.targetsBytes).replace('"pkg/4321/image.tar":{"hashes"', '"pkg/4321/image.tar":{"custom":1.5,"hashes"');
    const f = failures(await s.verify(await s.repo(utf8(text))))[0];
    assert.equal(f?.code, 'INVALID_JSON');
    assert.match(f!.message, /\$\.signed\.targets\["pkg\/4321\/image\.tar"\]\.custom/);
  });

  test('an unknown member in a target is kept and covered by the signature (spec: ignore, but signed)', async () => {
    const bytes = await s.resigned((x) => (x.targets['pkg/1/image.tar'].custom = { note: 'x y', n: 1 }));
    assert.equal((await s.verify(await s.repo(bytes))).verdict, 'verified');
    const text = str(bytes).replace('"note":"x y"', '"note":"x z"');
    assert.equal(first(await s.verify(await s.repo(utf8(text))))?.code, 'THRESHOLD_NOT_MET');
  });
});

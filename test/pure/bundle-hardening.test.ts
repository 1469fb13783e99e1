/**
 * Issue 12 items 11 and 12, bundle and archive parts: unlisted hidden files in a bundle folder, a
 * strictly parsed signed manifest (duplicate keys, a file listed twice), and archive faults that
 * used to end in error[INTERNAL] (GNU base-256 sizes, names that are not UTF-8, archives over 2 GiB).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyBundle, MANIFEST } from '../../electron/core/ceremony/bundle';
import { readTar, writeTar } from '../../electron/core/ceremony/tar';
import { dirBundleReader, FsOutputStore } from '../../electron/adapters/fs/ceremony-store';
import { KeyceremonyError } from '../../shared/errors';
import { kcInProcess } from '../helpers/kc-inprocess';
import { makeFakeBundle, memReader, resignManifest, writeBundleDir, type FakeBundle } from '../helpers/fake-bundle';

let tmp: string;
let good: FakeBundle;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kc-bundle-hard-'));
  good = await makeFakeBundle();
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const copy = (b: FakeBundle): FakeBundle => ({ ...b, files: new Map(b.files) });
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

const kc = (args: string[]) => kcInProcess(args);

describe('bundle folder and manifest (issue 12 item 11)', () => {
  test('an unlisted hidden file (.*.tmp) in a bundle folder is refused, named', async () => {
    const dir = writeBundleDir(good.files, join(tmp, 'hidden'));
    assert.deepEqual((await verifyBundle(dirBundleReader(dir))).problems, [], 'the untouched folder verifies');
    writeFileSync(join(dir, 'metadata', '.REHEARSAL-1.root.json.0123456789ab.tmp'), '{"signed":{}}');
    const v = await verifyBundle(dirBundleReader(dir));
    assert.equal(v.ok, false);
    assert.deepEqual(v.problems, [
      'metadata/.REHEARSAL-1.root.json.0123456789ab.tmp: not listed in the manifest',
      'metadata/.REHEARSAL-1.root.json.0123456789ab.tmp: not listed in SHA256SUMS',
    ]);
  });

  test('opening the bundle folder for a (resumed) run removes the temp files of interrupted atomic writes, only those', async () => {
    const dir = writeBundleDir(good.files, join(tmp, 'resume'));
    writeFileSync(join(dir, 'metadata', '.REHEARSAL-1.root.json.0123456789ab.tmp'), '{');
    writeFileSync(join(dir, '.notes.txt'), 'kept: not ours');
    const store = new FsOutputStore(dir);
    assert.deepEqual(store.removedTempFiles, ['metadata/.REHEARSAL-1.root.json.0123456789ab.tmp']);
    assert.equal(existsSync(join(dir, 'metadata', '.REHEARSAL-1.root.json.0123456789ab.tmp')), false);
    assert.equal(existsSync(join(dir, '.notes.txt')), true);
  });

  test('a signed manifest with a duplicate key is refused (strict JSON), with its path', async () => {
    const b = copy(good);
    const src = text(b.files.get(MANIFEST)!);
    // a second "rehearsal" member: JSON.parse keeps the last one, so a reader could see "production"
    const dup = src.replace('"rehearsal": true,', '"rehearsal": true,\n  "rehearsal": false,');
    assert.notEqual(dup, src);
    await resignManifest(b, bytes(dup));
    const v = await verifyBundle(memReader(b.files));
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /manifest\.json: .*duplicate key "rehearsal"/i);
  });

  test('a signed manifest that lists a file twice is refused', async () => {
    const b = copy(good);
    const m = JSON.parse(text(b.files.get(MANIFEST)!)) as { files: unknown[] };
    m.files.push(m.files[0]);
    await resignManifest(b, bytes(JSON.stringify(m, null, 2) + '\n'));
    const v = await verifyBundle(memReader(b.files));
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /manifest\.json: .* is listed twice/);
  });
});

/** A one-entry archive whose header fields can be forged (checksum recomputed). */
function forge(edit: (h: Uint8Array) => void, content = new Uint8Array(10)): Uint8Array {
  const t = writeTar([{ path: 'a.json', bytes: content }]);
  const h = t.subarray(0, 512);
  edit(h);
  h.fill(32, 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  h.set(bytes(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  return t;
}

describe('archive faults get their own code and sentence (issue 12 item 12)', () => {
  test('a GNU base-256 size field is read; a huge one is TOO_LARGE, named as base-256', () => {
    // 10 bytes, written the GNU way (0x80 then big-endian binary)
    const small = forge((h) => {
      h.fill(0, 124, 136);
      h[124] = 0x80;
      h[135] = 10;
    });
    const back = readTar(small);
    assert.equal(back[0]?.bytes.length, 10);
    // 16 GiB declared in base-256
    const huge = forge((h) => {
      h.fill(0, 124, 136);
      h[124] = 0x80;
      h[131] = 0x04; // 4 << 32 = 16 GiB
    });
    assert.throws(
      () => readTar(huge),
      (e: unknown) => e instanceof KeyceremonyError && e.code === 'TOO_LARGE' && /base-256/.test(e.message) && /a\.json/.test(e.message),
    );
    // a negative base-256 number is not a size
    const neg = forge((h) => {
      h.fill(0xff, 124, 136);
    });
    assert.throws(
      () => readTar(neg),
      (e: unknown) => e instanceof KeyceremonyError && e.code === 'UNSUPPORTED_FORMAT' && /negative/.test(e.message),
    );
  });

  test('an entry name that is not UTF-8 is INVALID_ENCODING, naming the offset and the bytes', () => {
    const t = forge((h) => {
      h.fill(0, 0, 100);
      h.set([0x61, 0xff, 0xfe, 0x2e, 0x6a], 0); // "a\xff\xfe.j"
    });
    assert.throws(
      () => readTar(t),
      (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_ENCODING' && /not valid UTF-8/.test(e.message) && /61fffe2e6a/.test(e.message),
    );
  });

  test('CLI: verify and extract of such archives print the code, never error[INTERNAL]', async () => {
    const bad = join(tmp, 'nonutf8.tar');
    writeFileSync(
      bad,
      forge((h) => {
        h.fill(0, 0, 100);
        h.set([0x61, 0xff], 0);
      }),
    );
    const v = await kc(['bundle', 'verify', bad]);
    assert.equal(v.code, 1);
    assert.match(v.err, /INVALID_ENCODING|not valid UTF-8/);
    assert.doesNotMatch(v.err, /INTERNAL/);
    const x = await kc(['bundle', 'extract', bad, join(tmp, 'nonutf8-out')]);
    assert.equal(x.code, 1);
    assert.match(x.err, /^error\[INVALID_ENCODING\]: /m);
    assert.equal(existsSync(join(tmp, 'nonutf8-out')), false);
  });

  test('an archive over 2 GiB (one 2.1 GiB entry, sparse on disk): TOO_LARGE from verify and extract, nothing written', async () => {
    const big = join(tmp, 'big.tar');
    const size = 2 ** 31 + 100 * 2 ** 20;
    const header = writeTar([{ path: 'transcript.jsonl', bytes: new Uint8Array(0) }]).subarray(0, 512);
    const h = forge((x) => {
      x.set(header.subarray(0, 100), 0);
      x.set(bytes(size.toString(8).padStart(11, '0') + '\0'), 124);
    }).subarray(0, 512);
    const fd = openSync(big, 'w');
    writeSync(fd, h);
    ftruncateSync(fd, 512 + Math.ceil(size / 512) * 512 + 1024);
    closeSync(fd);
    const x = await kc(['bundle', 'extract', big, join(tmp, 'big-out')]);
    assert.equal(x.code, 1);
    assert.match(x.err, /^error\[TOO_LARGE\]: .*big\.tar is too large: \d+ bytes \(limit \d+ bytes\)/m);
    assert.equal(existsSync(join(tmp, 'big-out')), false);
    const v = await kc(['bundle', 'verify', big]);
    assert.equal(v.code, 1);
    assert.match(v.err + v.out, /TOO_LARGE|\d+ bytes \(limit/);
    assert.doesNotMatch(v.err + x.err, /INTERNAL/);
  });
});

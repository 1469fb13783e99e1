import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes as nodeRandom } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  addChecksum,
  BODY_PLAIN,
  checkMembership,
  combineShares,
  combineUnchecked,
  kekCheckValue,
  parseShareText,
  passphraseBytes,
  protectShare,
  resplit,
  shareToText,
  shareToWords,
  splitKek,
  unprotectShare,
  verifyChecksum,
  verifyEveryShare,
  wordsFor,
  wordsFromFirstWord,
  wordsToShare,
  parseBackup,
  expectationOf,
  verifyBackupMac,
  WORDLIST,
  type LabeledShare,
  type Share,
} from '../../electron/core/backup';
import { KeyceremonyError } from '../../shared/errors';

const rnd = (n: number) => Math.floor(Math.random() * n);
const lab = (shares: Share[]): LabeledShare[] => shares.map((s) => ({ share: s, label: `share ${s.index}` }));
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function* combos(n: number, k: number): Generator<number[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = k - 1; i < n; i++) for (const c of combos(i, k - 1)) yield [...c, i];
}
function binom(n: number, k: number) {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}
function sample(n: number, k: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, re?: RegExp) {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof KeyceremonyError, `expected KeyceremonyError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('Shamir envelope: properties', () => {
  test('random KEKs, m and n up to 16: every m-subset reconstructs, no (m-1)-subset does', async () => {
    const cases: [number, number][] = [
      [1, 1],
      [1, 3],
      [2, 2],
      [2, 3],
      [3, 5],
      [5, 5],
      [4, 7],
      [16, 16],
      [1, 16],
      [2, 16],
      [8, 16],
      [15, 16],
    ];
    for (let i = 0; i < 8; i++) {
      const n = 1 + rnd(16);
      cases.push([1 + rnd(n), n]);
    }
    for (const [m, n] of cases) {
      const kek = new Uint8Array(nodeRandom(32));
      if (m === 3 && n === 5) kek.fill(0, 0, 6); // leading zero bytes
      const { shares } = await splitKek(kek, { m, n });
      const pts = shares.map((s) => ({ x: s.x, body: s.body }));
      const good = binom(n, m) <= 300 ? [...combos(n, m)] : Array.from({ length: 60 }, () => sample(n, m));
      for (const c of good) {
        const order = c.slice().sort(() => Math.random() - 0.5); // any order
        assert.ok(eq(await combineUnchecked(order.map((i) => pts[i]!)), kek), `${m}-of-${n}: subset ${c} must reconstruct`);
      }
      if (m > 1) {
        const bad = binom(n, m - 1) <= 300 ? [...combos(n, m - 1)] : Array.from({ length: 60 }, () => sample(n, m - 1));
        for (const c of bad) {
          assert.ok(!eq(await combineUnchecked(c.map((i) => pts[i]!)), kek), `${m}-of-${n}: ${m - 1} shares ${c} must not reconstruct`);
        }
      }
    }
  });

  test('KEK check value is the classic AES KCV (AES-256 zero key: dc95c0)', async () => {
    assert.equal(await kekCheckValue(new Uint8Array(32)), 'dc95c0');
  });
});

describe('Share words and checksum', () => {
  test('a (format 2) share is 34 words (45 passphrase-protected) and round-trips through words and text', async () => {
    const kek = new Uint8Array(nodeRandom(32));
    const { shares, setId, kcv } = await splitKek(kek, { m: 2, n: 3, custodians: ['Alice', 'Bob', 'Carol Ünïcode'] });
    assert.equal(wordsFor(false), 34);
    assert.equal(wordsFor(true), 45);
    assert.equal(wordsFor(false, 1), 33);
    for (const s of shares) {
      assert.equal(s.version, 2);
      const w = shareToWords(s);
      assert.equal(w.length, 34);
      const back = wordsToShare(w, 'x');
      const { custodian: _c, ...plain } = s;
      assert.deepEqual({ ...back, body: [...back.body] }, { ...plain, body: [...s.body] });
      const t = parseShareText(shareToText(s), 'file');
      assert.equal(t.custodian, s.custodian);
      assert.equal(t.setId, setId);
      assert.equal(t.kcv, kcv);
      // typing only the first four letters, upper case, numbered
      const typed = w.map((x, i) => `${i + 1}. ${x.slice(0, 4).toUpperCase()}`).join('\n');
      assert.ok(eq(parseShareText(typed, 'typed').body, s.body));
    }
  });

  test('a word not in the list is named by position', async () => {
    const { shares } = await splitKek(new Uint8Array(nodeRandom(32)), { m: 2, n: 2 });
    const w = shareToWords(shares[0]!);
    w[6] = 'notaword';
    const e = await expectCode(() => wordsToShare(w, 'share file a.txt'), 'SHARE_CHECKSUM', /word 7 /);
    assert.ok(!e.message.includes('notaword'), 'error must not echo share words');
  });

  test('every single-word change is detected and located; swaps named; 2-3 changes detected', async () => {
    const { shares } = await splitKek(new Uint8Array(nodeRandom(32)), { m: 2, n: 2 });
    const w = shareToWords(shares[1]!);
    for (let pos = 0; pos < w.length; pos++) {
      const c = w.slice();
      const orig = WORDLIST.indexOf(c[pos]!);
      c[pos] = WORDLIST[(orig + 1 + rnd(2047)) % 2048]!;
      await expectCode(() => wordsToShare(c, 's'), 'SHARE_CHECKSUM', new RegExp(`word ${pos + 1} is wrong`));
    }
    let swaps = 0;
    for (let pos = 0; pos + 1 < w.length; pos++) {
      if (w[pos] === w[pos + 1]) continue;
      const c = w.slice();
      [c[pos], c[pos + 1]] = [c[pos + 1]!, c[pos]!];
      await expectCode(() => wordsToShare(c, 's'), 'SHARE_CHECKSUM', new RegExp(`words ${pos + 1} and ${pos + 2} appear to be swapped`));
      swaps++;
    }
    assert.ok(swaps > 25);
    // random 2- and 3-symbol errors on random codewords: always detected, never "ok"
    for (let t = 0; t < 3000; t++) {
      const data = Array.from({ length: 30 }, () => rnd(2048));
      const code = addChecksum(data);
      assert.deepEqual(verifyChecksum(code), { ok: true });
      const k = 2 + rnd(2);
      const c = code.slice();
      for (const p of sample(c.length, k)) c[p] = (c[p]! ^ (1 + rnd(2047))) & 2047;
      const r = verifyChecksum(c);
      assert.equal(r.ok, false);
      if (k === 2 && !r.ok) assert.notEqual(r.kind, 'one-word', 'a double error must never be mislocated as one word');
    }
  });

  test('wrong length, foreign set, duplicate, fewer than m: each refused naming the share', async () => {
    const kek = new Uint8Array(nodeRandom(32));
    const a = await splitKek(kek, { m: 3, n: 5 });
    const b = await splitKek(new Uint8Array(nodeRandom(32)), { m: 3, n: 5 });
    await expectCode(() => wordsToShare(shareToWords(a.shares[0]!).slice(0, 32), 'share file x'), 'SHARE_INVALID', /32/);
    const mixed = [...lab([a.shares[0]!, a.shares[1]!]), { share: b.shares[2]!, label: 'share file eve.txt' }];
    await expectCode(combineShares(mixed), 'SHARE_FOREIGN', /share file eve.txt belongs to share set/);
    const dup = [...lab([a.shares[1]!, a.shares[3]!]), { share: a.shares[1]!, label: 'share file bob-copy.txt' }];
    await expectCode(combineShares(dup), 'SHARE_DUPLICATE', /bob-copy.txt is share 2 again/);
    await expectCode(combineShares(lab([a.shares[1]!, a.shares[4]!])), 'SHARES_INSUFFICIENT', /3 shares of set .* needed, 2 given/);
    // a share file naming another custodian than the backup file records for its index
    const named = { ...a.shares[0]!, custodian: 'Mallory' };
    await expectCode(
      () =>
        checkMembership([{ share: named, label: 'share file m.txt' }], { setId: a.setId, kcv: a.kcv, m: 3, n: 5, custodians: ['Alice', 'B', 'C', 'D', 'E'] }),
      'SHARE_FOREIGN',
      /names custodian "Mallory", the backup file records "Alice" for share 1/,
    );
    // a re-split of the SAME KEK is another set: refused before combining
    const r = await resplit(kek, { m: 2, n: 3, oldSetId: a.setId });
    assert.notEqual(r.setId, a.setId);
    assert.equal(r.kcv, a.kcv);
    await expectCode(combineShares([...lab([a.shares[0]!, a.shares[1]!]), { share: r.shares[0]!, label: 'new share 1' }]), 'SHARE_FOREIGN', /new share 1/);
    // old set and new set each still recover the same KEK
    assert.ok(eq(await combineShares(lab([a.shares[4]!, a.shares[0]!, a.shares[2]!])), kek));
    assert.ok(eq(await combineShares(lab([r.shares[2]!, r.shares[0]!])), kek));
  });

  test('a forged body that passes its checksum is caught by the KEK check value', async () => {
    const kek = new Uint8Array(nodeRandom(32));
    const a = await splitKek(kek, { m: 2, n: 3 });
    const forged: Share = { ...a.shares[1]!, body: new Uint8Array(nodeRandom(BODY_PLAIN)) };
    const back = wordsToShare(shareToWords(forged), 'forged'); // valid words
    await expectCode(
      combineShares([
        { share: a.shares[0]!, label: 'share 1' },
        { share: back, label: 'share file forged.txt' },
      ]),
      'KEK_MISMATCH',
      /forged.txt/,
    );
    // an extra inconsistent share beyond m is named
    await expectCode(
      combineShares([...lab([a.shares[0]!, a.shares[2]!]), { share: back, label: 'share file forged.txt' }]),
      'KEK_MISMATCH',
      /forged.txt passed its checksum but does not fit/,
    );
  });
});

describe('verify-every-share and passphrases', () => {
  test('small n: every m-subset combined; large n: consistency proof + sample', async () => {
    const kek = new Uint8Array(nodeRandom(32));
    const a = await splitKek(kek, { m: 3, n: 5 });
    const rep = await verifyEveryShare(lab(a.shares.slice().reverse()));
    assert.equal(rep.exhaustive, true);
    assert.equal(rep.subsetsCombined, 10);
    assert.deepEqual(rep.verified, [1, 2, 3, 4, 5]);
    assert.deepEqual(rep.missing, []);
    const big = await splitKek(kek, { m: 8, n: 16 });
    const t0 = Date.now();
    const rep2 = await verifyEveryShare(lab(big.shares));
    assert.equal(rep2.exhaustive, false);
    assert.equal(rep2.subsetsTotal, 12870);
    assert.equal(rep2.subsetsCombined, 100);
    assert.ok(Date.now() - t0 < 10_000);
    const part = await verifyEveryShare(lab(a.shares.slice(0, 4)));
    assert.deepEqual(part.missing, [5]);
    await expectCode(verifyEveryShare(lab(a.shares.slice(0, 2))), 'SHARES_INSUFFICIENT');
  });

  test('passphrase-protected share: round trip, wrong passphrase refused, membership checked without it', async () => {
    const kek = new Uint8Array(nodeRandom(32));
    const a = await splitKek(kek, { m: 2, n: 3 });
    const p = await protectShare(a.shares[0]!, passphraseBytes('correct horse'));
    const w = shareToWords(p);
    assert.equal(w.length, 45);
    const back = wordsToShare(w, 'alice');
    assert.equal(back.protected, true);
    checkMembership([
      { share: back, label: 'alice' },
      { share: a.shares[1]!, label: 'bob' },
    ]); // set checks need no passphrase
    await expectCode(
      combineShares([
        { share: back, label: 'alice' },
        { share: a.shares[1]!, label: 'bob' },
      ]),
      'PRECONDITION_FAILED',
      /alice/,
    );
    await expectCode(unprotectShare(back, passphraseBytes('wrong horse'), 'alice'), 'SHARE_INVALID', /alice: wrong passphrase/);
    const open = await unprotectShare(back, passphraseBytes('correct horse'), 'alice');
    assert.ok(
      eq(
        await combineShares([
          { share: open, label: 'alice' },
          { share: a.shares[2]!, label: 'carol' },
        ]),
        kek,
      ),
    );
  });
});

describe('format 1 share sets made before format 2 still recover (test/fixtures/backup-v1)', () => {
  const V1 = resolve(import.meta.dirname, '..', 'fixtures', 'backup-v1');
  const read = (f: string) => readFileSync(join(V1, f), 'utf8');
  const files = ['share-1-of-3-ada.txt', 'share-2-of-3-bo.txt', 'share-3-of-3-cy.txt'];

  async function v1Shares(): Promise<LabeledShare[]> {
    const out: LabeledShare[] = [];
    for (const f of files) {
      let s = parseShareText(read(f), f);
      if (s.protected) s = await unprotectShare(s, passphraseBytes('correct horse battery staple'), f);
      out.push({ share: s, label: f });
    }
    return out;
  }

  test('the fixture is format 1 (33 words, x = index) and any 2 of its 3 shares rebuild the KEK that opens its backup file', async () => {
    const backup = await parseBackup(read('backup.json'), 'backup.json');
    const shares = await v1Shares();
    for (const f of files) assert.match(read(f), /^keyceremony share v1\n/);
    for (const { share } of shares) {
      assert.equal(share.version, 1);
      assert.equal(share.x, share.index);
      assert.equal(shareToWords(share).length, 33);
    }
    for (const pair of [
      [0, 1],
      [0, 2],
      [1, 2],
      [2, 0],
    ]) {
      const kek = await combineShares(
        pair.map((i) => shares[i]!),
        expectationOf(backup),
      );
      assert.equal(await kekCheckValue(kek), backup.wrap.kekCheckValue);
      await verifyBackupMac(backup, kek); // the backup file's MAC: the KEK is the one it was sealed with
    }
    const rep = await verifyEveryShare(shares, expectationOf(backup));
    assert.deepEqual([rep.verified, rep.missing, rep.subsetsCombined], [[1, 2, 3], [], 3]);
    // one share alone is not enough, and is not the KEK
    await expectCode(combineShares([shares[0]!], expectationOf(backup)), 'SHARES_INSUFFICIENT');
    const kek = await combineShares(shares.slice(0, 2), expectationOf(backup));
    assert.ok(!eq(await combineUnchecked([{ x: shares[0]!.share.x, body: shares[0]!.share.body }], 1), kek));
  });

  test('a format 2 share cannot be mixed into a format 1 set, even one claiming the same set id and check value', async () => {
    const backup = await parseBackup(read('backup.json'), 'backup.json');
    const [ada] = await v1Shares();
    const forged = await splitKek(new Uint8Array(nodeRandom(32)), { m: 2, n: 3, setId: backup.shareSet.id });
    const mixed = { ...forged.shares[1]!, kcv: backup.wrap.kekCheckValue };
    await expectCode(
      combineShares([ada!, { share: mixed, label: 'share 2 (format 2)' }], expectationOf(backup)),
      'SHARE_FOREIGN',
      /format 2, the others of format 1/,
    );
  });
});

describe('format 2 (shamir-secret-sharing)', () => {
  test('new sets are format 2: x drawn by the library (1..255, distinct), carried in the words and bound to a protected share', async () => {
    const kek = new Uint8Array(nodeRandom(32));
    const xs = new Set<number>();
    for (let t = 0; t < 10; t++) {
      const { shares } = await splitKek(kek, { m: 3, n: 5 });
      for (const s of shares) {
        assert.equal(s.version, 2);
        assert.ok(s.x >= 1 && s.x <= 255);
        xs.add(s.x);
        const back = wordsToShare(shareToWords(s), 'w');
        assert.equal(back.x, s.x);
      }
      assert.equal(new Set(shares.map((s) => s.x)).size, 5);
    }
    assert.ok(xs.size > 5, 'x coordinates are not simply 1..n');
    // the x coordinate is part of the authenticated header of a protected share: changing it breaks the unlock
    const { shares } = await splitKek(kek, { m: 2, n: 2 });
    const p = await protectShare(shares[0]!, passphraseBytes('pw'));
    const moved = wordsToShare(shareToWords({ ...p, x: p.x === 255 ? 254 : p.x + 1 }), 'moved');
    await expectCode(unprotectShare(moved, passphraseBytes('pw'), 'moved'), 'SHARE_INVALID', /wrong passphrase \(or the share was altered\)/);
  });

  test('1-of-n and 1-of-1 (which the library refuses) are the degree-0 polynomial; the first word announces the word count', async () => {
    const kek = new Uint8Array(nodeRandom(32));
    for (const n of [1, 3]) {
      const { shares } = await splitKek(kek, { m: 1, n });
      for (const s of shares) assert.ok(eq(await combineShares([{ share: s, label: 'one' }]), kek));
    }
    const { shares } = await splitKek(kek, { m: 2, n: 3 });
    const w = shareToWords(shares[0]!);
    assert.equal(wordsFromFirstWord(w[0]!), 34);
    assert.equal(wordsFromFirstWord(shareToWords(await protectShare(shares[0]!, passphraseBytes('pw')))[0]!), 45);
    assert.equal(wordsFromFirstWord(parseShareWordsOfFixture()[0]!), 33);
  });
});

function parseShareWordsOfFixture(): string[] {
  const text = readFileSync(join(resolve(import.meta.dirname, '..', 'fixtures', 'backup-v1'), 'share-1-of-3-ada.txt'), 'utf8');
  return text.split('words:\n')[1]!.split(/\s+/).filter(Boolean);
}

/**
 * parseStrictJson as the app and the CLI run it: with the duplicate-key proof on a worker thread beside
 * JSON.parse (electron/adapters/json-key-prover.ts), here for every text (minChars 0). Every case of
 * the strict-JSON test files runs again through it and must give the same values and the same errors
 * (code, path, line:column); then the worker must actually have proven the clean texts.
 */
import { answers, installed, wrapped } from '../helpers/parallel-key-prover';
import './json-strict.test';
import './json-strict-fastpath.test';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStrictJson, setParallelKeyProver, PARSED_IN_CANONICAL_ORDER } from '../../shared/json/strict';
import { installParallelKeyProver } from '../../electron/adapters/json-key-prover';
import { KeyceremonyError } from '../../shared/errors';

after(() => installed.stop());

test('the worker proved the clean texts and no duplicate', () => {
  const before = answers.length;
  assert.deepEqual(parseStrictJson('{"a":{"b":[1,{"c":2}]},"d":"\\""}'), { a: { b: [1, { c: 2 }] }, d: '"' });
  assert.deepEqual(answers.slice(before), [4]);
  assert.throws(
    () => parseStrictJson('{"x":{"k":1,"k":2}}', { source: 'f.json' }),
    (e: unknown) => e instanceof KeyceremonyError && e.code === 'DUPLICATE_KEY' && e.where === 'f.json $.x.k at 1:13',
  );
  assert.deepEqual(answers.slice(before), [4, -1]);
  // over the whole run: most texts went through the worker, and it proved many
  const proven = answers.filter((a) => typeof a === 'number' && a >= 0).length;
  assert.ok(proven > 50, `proven ${proven} of ${answers.length}: ${answers.slice(0, 20).join(' ')}`);
  assert.ok(answers.filter((a) => a === 'declined').length < answers.length / 10, 'the worker declined most texts');
});

test('texts beyond Latin-1 go to the worker as UTF-8: a character whose low byte is a quote does not end a key', () => {
  // U+0122 and U+015C have low bytes 0x22 (a quote) and 0x5C (a backslash): one byte per character would break the keys
  const G = String.fromCharCode(0x122);
  const S = String.fromCharCode(0x15c);
  const E = String.fromCharCode(0xe9);
  const Y = String.fromCharCode(0xff);
  const before = answers.length;
  const wide = `{"x${G}":1,"x":2,"${S}":3,"y${S}z":[{"${G}${G}":4}]}`;
  assert.deepEqual(parseStrictJson(wide), JSON.parse(wide));
  assert.throws(() => parseStrictJson(`{"${G}":1,"${G}":2}`), /duplicate key/);
  // Latin-1 only: one byte per character, duplicates still found, distinct keys still proven
  assert.deepEqual(parseStrictJson(`{"${E}":1,"${Y}":2}`), { [E]: 1, [Y]: 2 });
  assert.throws(() => parseStrictJson(`{"${E}":1,"${E}":2}`), /duplicate key/);
  assert.deepEqual(answers.slice(before), [5, -1, 2, -1]);
});

test('a lone surrogate and a non-integer under integersOnly are still refused with the worker installed', () => {
  assert.throws(() => parseStrictJson('{"a":"\\ud800"}'), /lone surrogate/);
  const before = answers.length;
  assert.throws(() => parseStrictJson('{"a":1.0}', { integersOnly: true }), /non-canonical number/);
  assert.throws(() => parseStrictJson('[1,2,3e2]', { integersOnly: true }), /non-canonical number/);
  assert.throws(() => parseStrictJson('{"a":[{"b":-0.5}]}', { integersOnly: true }), /non-canonical number/);
  assert.deepEqual(answers.slice(before), [-1, -1, -1], 'the worker declines a fraction or exponent: the scanner names it');
});

test('{integersOnly} through the worker marks exactly the objects the walk marks', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const dir = '../shared/fixtures/interop/tuf'; // real TUF metadata: python-tuf, go-tuf, Sigstore's root-signing
  const texts: string[] = [
    '{"signatures":[{"keyid":"a","sig":"b"}],"signed":{"_type":"targets","expires":"x","spec_version":"1.0","targets":{"a":{"hashes":{"sha256":"00"},"length":1}},"version":1}}',
    '{"b":1,"a":{"c":[1,{"z":1,"y":2}]}}', // root out of order; a's subtree out of order below level 2
    '{"a":{"b":{"c":{"e":1,"d":2}}}}', // out of order at level 3: levels 0..2 unmarked
    '{"0":{"a":1},"b":{"c":1}}', // an index key at level 0: for-in order differs, no marks at all
    '{"a":9007199254740993,"b":1}', // 16 digits: not a safe integer
    '[{"a":1},[{"b":2},{"d":1,"c":2}],3]',
  ];
  for (const f of readdirSync(dir, { recursive: true }) as string[])
    if (f.endsWith('.json') && texts.length < 120) texts.push(readFileSync(`${dir}/${f}`, 'utf8'));
  const marked = (v: unknown, level = 0, out: boolean[] = []): boolean[] => {
    if (typeof v !== 'object' || v === null) return out;
    out.push(PARSED_IN_CANONICAL_ORDER.has(v));
    if (level < 2) for (const x of Array.isArray(v) ? v : Object.values(v)) marked(x, level + 1, out);
    return out;
  };
  let compared = 0;
  for (const t of texts) {
    let alone: boolean[];
    try {
      setParallelKeyProver(undefined);
      alone = marked(parseStrictJson(t, { integersOnly: true }));
    } catch {
      continue; // refused either way (the fixtures hold non-integer files too)
    } finally {
      setParallelKeyProver(wrapped);
    }
    const before = answers.length;
    const viaWorker = marked(parseStrictJson(t, { integersOnly: true }));
    if ((answers[before] as number) >= 0 && !/"(0|[1-9][0-9]{0,9})":/.test(t)) {
      assert.deepEqual(viaWorker, alone, t.slice(0, 200));
      compared++;
    } else {
      // not proven or index keys: no mark from the worker that the walk would not make
      viaWorker.forEach((m, i) => assert.ok(!m || alone[i], t.slice(0, 200)));
    }
  }
  assert.ok(compared >= 10, `only ${compared} texts compared`);
});

test('short texts stay on the calling thread; a stopped prover leaves parsing as it was', async () => {
  const small = installParallelKeyProver({ minChars: 1000 });
  try {
    assert.ok(small.waitUntilReady(10_000));
    assert.equal(small.prover('{"a":1}', 512, false), undefined);
    const big = `{"pad":"${'x'.repeat(2000)}","a":1}`;
    const job = small.prover(big, 512, false);
    assert.ok(job, 'a text past minChars goes to the worker');
    assert.equal(job.result(), 2);
    const held = small.heldBuffer();
    assert.ok(held && held.length >= big.length);
    assert.equal(
      held.some((x) => x !== 0),
      false,
      'the worker zeroes its copy of the text once proven',
    );
    assert.equal(small.prover(`{"a":1,"a":2,"pad":"${'x'.repeat(2000)}"}`, 512, false)?.result(), -1);
  } finally {
    await small.stop();
  }
  // stop() uninstalled it: parsing goes on, on this thread
  assert.throws(() => parseStrictJson('{"a":1,"a":2}'), /duplicate key "a"/);
  setParallelKeyProver(undefined);
  assert.deepEqual(parseStrictJson('{"a":1}'), { a: 1 });
});

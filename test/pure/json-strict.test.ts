import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseStrictJson, parseStrictJsonBytes } from '../../shared/json/strict';
import { canonicalize, canonicalBytes, canonicalSpan } from '../../shared/json/canonical';
import { KeyceremonyError } from '../../shared/errors';

function err(fn: () => unknown): KeyceremonyError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KeyceremonyError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

describe('parseStrictJson', () => {
  test('parses what JSON.parse parses', () => {
    const samples = ['{}', '[]', '0', '-1.5e+10', '"a\\u00e9\\ud83d\\ude00"', '{"a":[1,{"b":null}],"c":true}', ' \n{ "x" : false } '];
    for (const s of samples) assert.deepEqual(parseStrictJson(s), JSON.parse(s));
  });

  test('duplicate key: code, path and line:column', () => {
    const e = err(() => parseStrictJson('{"signed": {"keys": {\n  "abc": {"a": 1, "a": 2}}}}', { source: 'root.json' }));
    assert.equal(e.code, 'DUPLICATE_KEY');
    assert.equal(e.where, 'root.json $.signed.keys.abc.a at 2:19');
    const e2 = err(() => parseStrictJson('{"k-1": 1, "k\\u002d1": 2}'));
    assert.equal(e2.code, 'DUPLICATE_KEY');
    assert.match(e2.where ?? '', /^\$\["k-1"\] at 1:12$/);
  });

  test('fast path edge cases: colons in strings, escaped quotes, empty keys, whitespace before colons', () => {
    const ok = ['{"a":":","b":"x\\":y"}', '{"":1,"a\\"":2}', '{"a" : 1, "b"\n:2}', '[":", "\\":"]', '{"__proto__":1,"b":{"__proto__":2}}'];
    for (const t of ok) assert.deepEqual(parseStrictJson(t), JSON.parse(t), t);
    const dups = ['{"a":":","a":1}', '{"":1,"":2}', '{"a\\"":1,"a\\"":2}', '{"a" : 1, "a"\n:2}', '{"x":{"__proto__":1,"__proto__":2}}'];
    for (const t of dups) assert.equal(err(() => parseStrictJson(t)).code, 'DUPLICATE_KEY', t);
  });

  test('invalid JSON forms are rejected with a position', () => {
    const bad = ['', '{', '{"a":1,}', '[1,]', '01', '1.', '+1', "{'a':1}", '{"a":1} x', 'nul', '"\t"', '"\\x"', '\uFEFF{}', 'NaN', '[1 2]'];
    for (const s of bad) {
      const e = err(() => parseStrictJson(s));
      assert.equal(e.code, 'INVALID_JSON', s);
      assert.match(e.where ?? '', / at \d+:\d+$/);
    }
    assert.equal(err(() => parseStrictJson('[1,\n [2, x]]')).where, '$[1][1] at 2:6');
  });

  test('lone surrogates are rejected, pairs accepted', () => {
    for (const s of ['"\\ud800"', '"\\udc00"', '"\\ud800x"', '"\\ud800\\u0041"', '"\ud800"', '{"\\ud83d": 1}']) {
      assert.equal(err(() => parseStrictJson(s)).code, 'INVALID_JSON', s);
    }
    assert.equal(parseStrictJson('"\\ud83d\\ude00"'), '\u{1f600}');
    assert.equal(parseStrictJson('"\u{1f600}"'), '\u{1f600}');
  });

  test('input over the size limit is TOO_LARGE; invalid UTF-8 and nesting beyond the limit are INVALID_JSON', () => {
    assert.equal(err(() => parseStrictJson('[' + '1,'.repeat(100) + '1]', { maxBytes: 50 })).code, 'TOO_LARGE');
    assert.equal(err(() => parseStrictJsonBytes(new Uint8Array(51), { maxBytes: 50 })).code, 'TOO_LARGE');
    assert.equal(err(() => parseStrictJsonBytes(Uint8Array.of(0x22, 0xff, 0x22))).code, 'INVALID_JSON');
    assert.equal(err(() => parseStrictJson('['.repeat(600) + ']'.repeat(600))).code, 'INVALID_JSON');
  });

  test('a 12 MB targets-like document parses to the same value as JSON.parse, and a duplicate deep inside is found by path', () => {
    // Timing lives in bench/json.bench.ts (npm run bench): tests assert outcomes, not speed.
    const targets: Record<string, unknown> = {};
    for (let i = 0; i < 60000; i++) {
      targets[`packages/some-name-${i}/artifact-${i}.tar.gz`] = {
        length: i * 13,
        hashes: { sha256: 'ab'.repeat(32), sha512: 'cd'.repeat(64) },
        custom: { i },
      };
    }
    const text = JSON.stringify({ signed: { _type: 'targets', targets }, signatures: [] });
    assert.ok(text.length > 12e6, `size ${text.length}`);
    assert.deepEqual(parseStrictJson(text), JSON.parse(text));
    const dup = text.replace('"custom":{"i":59998}', '"custom":{"i":59998,"i":1}');
    const e = err(() => parseStrictJson(dup));
    assert.equal(e.code, 'DUPLICATE_KEY');
    assert.match(String(e.where), /artifact-59998\.tar\.gz/);
  });
});

describe('integersOnly (canonical JSON numbers, TUF and Notary metadata)', () => {
  test('1.0, 1e0, -2.5, 0.99999999999999999999 are refused with path and line:column; integers and number-like strings are fine', () => {
    for (const n of ['1.0', '1e0', '1E+0', '-2.5', '0.99999999999999999999']) {
      const e = err(() => parseStrictJson(`{"signed": {"version": 3,\n "x": [1, {"length": ${n}}]}}`, { source: 'a.json', integersOnly: true }));
      assert.equal(e.code, 'INVALID_JSON');
      assert.equal(e.where, 'a.json $.signed.x[1].length at 2:22', n);
      assert.match(e.message, new RegExp(`non-canonical number ${n.replace(/[.+]/g, '\\$&')}: only integers`));
    }
    const ok = '{"spec_version": "1.0.31", "name": "a,1.0", "weird": "x: 2e5", "v": [1, -2, 0], "e": "1e0"}';
    assert.deepEqual(parseStrictJson(ok, { integersOnly: true }), JSON.parse(ok));
    assert.deepEqual(parseStrictJson('{"v": 1.0}'), { v: 1 }, 'without the option, numbers are JSON numbers');
  });
});

describe('canonicalSpan: JSON text that already is the canonical encoding is used as is', () => {
  const span = (t: string) => {
    const b = new TextEncoder().encode(t);
    return canonicalSpan(b, 0, b.length, parseStrictJson(t, { integersOnly: true }));
  };
  test('compact, sorted, integers, only \\" and \\\\ escapes: the bytes themselves, equal to canonicalBytes', () => {
    for (const t of ['{"a":1,"b":[1,-2,{"c":"x y, z"}],"d":"q\\"\\\\","e":"2026-01-01","é":true}', '{"signed":{"_type":"targets","targets":{}}}']) {
      const got = span(t);
      assert.ok(got, t);
      assert.deepEqual(got, canonicalBytes(parseStrictJson(t)), t);
    }
  });
  test('whitespace outside strings, other escapes, -0, unsorted keys: undefined (the caller canonicalises)', () => {
    for (const t of ['{"a": 1}', '{\n"a":1}', '{"a":"\\u0041"}', '{"a":"\\n"}', '{"a":-0}', '{"b":1,"a":2}', '{"a":[1, 2]}']) {
      assert.equal(span(t), undefined, t);
    }
  });
});

describe('canonicalize', () => {
  test('sorted keys, minimal escaping, raw UTF-8', () => {
    assert.equal(canonicalize({ b: 1, a: [true, null, 'x"y\\z\n\u00e9'] }), '{"a":[true,null,"x\\"y\\\\z\n\u00e9"],"b":1}');
    assert.deepEqual([...canonicalBytes('é')], [0x22, 0xc3, 0xa9, 0x22]);
  });
  test('code point order (Python sorted) for astral vs high-BMP keys', () => {
    assert.equal(canonicalize({ '\u{1f600}': 1, '\uffff': 2 }), '{"\uffff":2,"\u{1f600}":1}');
  });
  test('assumeParsedOrder only skips work for parsed values already in canonical order', () => {
    const unsorted = parseStrictJson('{"s":{"b":1,"a":[{"y":1,"x":2}]},"f":{"n":1.5}}') as Record<string, unknown>;
    assert.equal(canonicalize(unsorted.s, '$', { assumeParsedOrder: true }), '{"a":[{"x":2,"y":1}],"b":1}');
    assert.throws(() => canonicalize(unsorted.f, '$', { assumeParsedOrder: true }), /not an integer/);
    const sorted = parseStrictJson('{"a":{"b":"x\\ty","c":[1,2]}}') as Record<string, unknown>;
    assert.equal(canonicalize(sorted.a, '$', { assumeParsedOrder: true }), '{"b":"x\ty","c":[1,2]}');
  });

  test('floats and non-JSON values refused with their path', () => {
    assert.equal(err(() => canonicalize({ signed: { version: 1.5 } })).where, '$.signed.version');
    assert.equal(err(() => canonicalize({ a: [NaN] })).where, '$.a[0]');
    assert.equal(err(() => canonicalize({ a: '\ud800' })).where, '$.a');
    assert.equal(canonicalize({ a: undefined, b: -0 }), '{"b":0}');
  });
});

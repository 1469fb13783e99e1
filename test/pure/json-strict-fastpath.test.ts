/**
 * The fast path of parseStrictJson (JSON.parse, then a count of key tokens in the text against the keys
 * the parsed objects hold, a surrogate check and, under integersOnly, a number check) must refuse
 * exactly what the full scanner refuses, with the same code, path and line:column. These cases sit on
 * the edges of that proof: where the count could be fooled, where V8 builds objects differently
 * (large dictionary-mode objects, deep levels), and where numbers hide outside objects.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseStrictJson, PARSED_IN_CANONICAL_ORDER, type StrictJsonOptions } from '../../shared/json/strict';
import { KeyceremonyError } from '../../shared/errors';

function err(text: string, opts?: StrictJsonOptions): KeyceremonyError {
  try {
    parseStrictJson(text, opts);
  } catch (e) {
    assert.ok(e instanceof KeyceremonyError, String(e));
    return e;
  }
  assert.fail(`expected an error for ${text.slice(0, 80)}`);
}

const dup = (text: string, where: string, opts?: StrictJsonOptions) => {
  const e = err(text, opts);
  assert.equal(e.code, 'DUPLICATE_KEY', text.slice(0, 80));
  assert.equal(e.where, where, text.slice(0, 80));
};

describe('duplicate keys wherever they hide', () => {
  test('at depth, in arrays of objects, and in the top object', () => {
    dup('{"a":{"b":{"c":{"d":1,"d":2}}}}', '$.a.b.c.d at 1:23');
    dup('[{"a":1},{"b":1},{"c":1,"c":1}]', '$[2].c at 1:25');
    dup('{"x":[[{"k":1}],[{"k":1,"k":1}]]}', '$.x[1][0].k at 1:25');
    dup('{"a":1,"b":2,"a":3}', '$.a at 1:14');
  });

  test('keys holding ":, escaped quotes and \\u0022 are counted once; their duplicates are found', () => {
    const ok = ['{"a\\":b":1}', '{"a\\":b":"\\":"}', '{"\\u0022":1,"x\\u0022:":2}', '{"\\\\":1,"\\\\\\"":2}', '[":",":",{"":":"}]'];
    for (const t of ok) assert.deepEqual(parseStrictJson(t), JSON.parse(t), t);
    dup('{"a\\":b":1,"a\\":b":2}', '$["a\\":b"] at 1:12');
    dup('{"\\u0022":1,"\\"":2}', '$["\\""] at 1:13');
    dup('{"\\\\":1,"\\\\":2}', '$["\\\\"] at 1:9');
    dup('{"k":":","k":":"}', '$.k at 1:10');
  });

  test('whitespace (space, tab, CR, LF) between a key and its colon', () => {
    for (const t of ['{"a" \t\r\n: 1}', '{"a"\t:{"b"\r:[{"c"\n:1}]}}']) assert.deepEqual(parseStrictJson(t), JSON.parse(t), t);
    dup('{"a" :1,\r\n"a"\t:2}', '$.a at 2:1');
    // as many keys with whitespace as duplicates: a count that missed the former would hide the latter
    dup('{"a" :1,"a":2}', '$.a at 1:9');
    dup('{"\\\\" :1,"a":1,"a":2}', '$.a at 1:16');
  });

  test('__proto__ keys stay own properties; their duplicates are found, in objects and in arrays', () => {
    const v = parseStrictJson('[{"__proto__":{"x":1}},{"__proto__":[]}]') as Record<string, unknown>[];
    assert.ok(Object.hasOwn(v[0] as object, '__proto__'));
    assert.equal(Object.getPrototypeOf(v[0]), Object.prototype);
    dup('[{"__proto__":1,"__proto__":1}]', '$[0].__proto__ at 1:17');
  });

  test('an enumerable property on Object.prototype does not hide a duplicate', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.injected = 1;
    try {
      dup('{"a":1,"a":2}', '$.a at 1:8');
      dup('{"a":{"b":1},"a":{"b":1}}', '$.a at 1:14');
      assert.deepEqual(Object.keys(parseStrictJson('{"a":1}') as object), ['a']);
    } finally {
      delete proto.injected;
    }
  });

  test('large objects (dictionaries in V8) at the top and deep down, and huge arrays', () => {
    const big = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key-${i}`, { i }]));
    const top = JSON.stringify(big(5000));
    assert.equal(Object.keys(parseStrictJson(top) as object).length, 5000);
    dup(top.replace('"key-4999"', '"key-17"'), '$["key-17"] at 1:' + (top.indexOf('"key-4999"') + 1));
    const deep = JSON.stringify({ a: { b: { c: { d: big(3000) } } } });
    dup(deep.replace('"key-2999"', '"key-0"'), '$.a.b.c.d["key-0"] at 1:' + (deep.indexOf('"key-2999"') + 1));
    dup(deep.replace('{"i":2999}', '{"i":2999,"i":0}'), '$.a.b.c.d["key-2999"].i at 1:' + (deep.indexOf('{"i":2999}') + 11));
    const arr = JSON.stringify(Array.from({ length: 100000 }, (_, i) => ({ n: i })));
    assert.equal((parseStrictJson(arr) as unknown[]).length, 100000);
    dup(arr.replace('{"n":99999}', '{"n":99999,"n":1}'), '$[99999].n at 1:' + (arr.indexOf('{"n":99999}') + 12));
  });

  test('very deep nesting: a duplicate at depth 500 is found; one level past maxDepth is INVALID_JSON', () => {
    const nest = (n: number, inner: string) => '{"a":'.repeat(n) + inner + '}'.repeat(n);
    assert.ok(parseStrictJson(nest(500, '{"x":1}')));
    const e = err(nest(500, '{"x":1,"x":2}'));
    assert.equal(e.code, 'DUPLICATE_KEY');
    assert.equal(e.where, `$${'.a'.repeat(500)}.x at 1:${500 * 5 + 8}`);
    assert.ok(parseStrictJson(nest(2, '[1]'), { maxDepth: 3 }));
    assert.equal(err(nest(3, '[1]'), { maxDepth: 3 }).where, '$.a.a.a at 1:16');
    assert.equal(err('[[[[1]]]]', { maxDepth: 3 }).code, 'INVALID_JSON');
    // deeper than the call stack lets a recursive walk go (a caller raising maxDepth far above 512)
    const huge = nest(200000, '{"b":1,"b":2}');
    const e2 = err(huge, { maxDepth: 1e6 });
    assert.equal(e2.code, 'DUPLICATE_KEY');
    assert.ok(String(e2.where).endsWith('.a.a.b at 1:1000008'), e2.where);
    assert.equal(typeof parseStrictJson(nest(200000, '1'), { maxDepth: 1e6 }), 'object');
  });

  test('lone surrogates as raw characters and as escapes, in keys and values; pairs pass', () => {
    for (const [t, where] of [
      ['{"a":"x\\udc00"}', '$.a at 1:13'],
      ['{"\\ud800":1}', '$ at 1:8'],
      ['["ok","\ud83d"]', '$[1] at 1:8'],
    ] as const) {
      const e = err(t);
      assert.equal(e.code, 'INVALID_JSON', t);
      assert.equal(e.where, where, t);
    }
    assert.deepEqual(parseStrictJson('{"\\ud83d\\ude00":"\u{1f600}"}'), { '\u{1f600}': '\u{1f600}' });
  });
});

describe('integersOnly: numbers with a fraction or an exponent, wherever they are', () => {
  const bad = (text: string, where: string) => {
    const e = err(text, { integersOnly: true });
    assert.equal(e.code, 'INVALID_JSON', text);
    assert.equal(e.where, where, text);
    assert.match(e.message, /non-canonical number/);
  };
  test('as member values (with whitespace around the colon), array elements, and the whole text', () => {
    bad('{"a" : \n-1.0}', '$.a at 2:1');
    bad('{"a":[1,2,3e0]}', '$.a[2] at 1:11');
    bad('[[0],[1E+2]]', '$[1][0] at 1:7');
    bad('1.5', '$ at 1:1');
    assert.deepEqual(parseStrictJson('{"a":[1,-2,0],"b":-0,"c":"1.5","d:1.5":"x: 1.5"}', { integersOnly: true }), {
      a: [1, -2, 0],
      b: -0,
      c: '1.5',
      'd:1.5': 'x: 1.5',
    });
  });

  test('canonical-order marks: the top levels whose whole subtree is sorted with integers only', () => {
    const v = parseStrictJson('{"a":{"x":{"p":1,"q":[2]}},"b":{"y":{"q":1,"p":2}},"c":{"z":{"m":{"n":{"b":1,"a":1}}}}}', {
      integersOnly: true,
    }) as Record<string, Record<string, unknown>>;
    const marked = (o: unknown) => PARSED_IN_CANONICAL_ORDER.has(o as object);
    assert.equal(marked(v), false);
    assert.equal(marked(v.a), true);
    assert.equal(marked(v.a?.x), true);
    assert.equal(marked(v.b), false);
    assert.equal(marked(v.b?.y), false);
    assert.equal(marked(v.c), false, 'out of order at level 4 unmarks its ancestors');
    assert.equal(marked(v.c?.z), false);
    const w = parseStrictJson('{"a":{"b":1},"c":[{"d":2}],"e":{"f":{"g":{"h":{"i":1}}}}}', { integersOnly: true }) as Record<string, unknown>;
    assert.equal(marked(w), true);
    assert.equal(marked(w.c), true);
    assert.equal(marked(parseStrictJson('{"a":{"b":1}}')), false, 'only integersOnly parses mark');
  });
});

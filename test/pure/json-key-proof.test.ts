/**
 * The duplicate-key proof that runs beside JSON.parse (shared/json/key-proof.ts) must never call a text
 * clean that holds a duplicate key: it is checked here against the full scanner (parseStrictJson with
 * no parallel prover) on edge cases and on thousands of generated texts full of near-duplicates,
 * escapes, nesting and large objects. It should also prove what it can (otherwise nothing is gained):
 * clean texts without escaped keys come back with their exact key count.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { proveNoDuplicateKeys } from '../../shared/json/key-proof';
import { parseStrictJson, PARSED_IN_CANONICAL_ORDER } from '../../shared/json/strict';
import { KeyceremonyError } from '../../shared/errors';

/** The text's bytes at `shift` bytes into a fresh buffer: 0 is 4-byte aligned (the prover's word-at-a-time search), 1-3 are not (its byte search). */
const bytes = (t: string, shift = 0) => {
  const e = new TextEncoder().encode(t);
  const u = new Uint8Array(e.length + shift).subarray(shift);
  u.set(e);
  return u;
};
/** The verdict on the aligned bytes, checked equal to the verdict on unaligned copies. */
const prove = (t: string, depth = 512) => {
  const r = proveNoDuplicateKeys(bytes(t), depth);
  for (const shift of [1, 2, 3]) assert.equal(proveNoDuplicateKeys(bytes(t, shift), depth), r, `same verdict ${shift} bytes off alignment: ${t.slice(0, 80)}`);
  return r;
};

/** What the full scanner says: 'dup', 'bad' (any other refusal) or 'ok'. */
function scanner(t: string): 'dup' | 'bad' | 'ok' {
  try {
    parseStrictJson(t);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof KeyceremonyError);
    return e.code === 'DUPLICATE_KEY' ? 'dup' : 'bad';
  }
}

/** Keys in the text, counted from the parsed value (valid JSON only). */
function keyCount(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + keyCount(x), 0);
  if (typeof v === 'object' && v !== null) return Object.values(v).reduce((n: number, x) => n + 1 + keyCount(x), 0);
  return 0;
}

describe('edge cases', () => {
  test('string ends found at every position in a word: keys of every length, after padding of every length', () => {
    for (let pad = 0; pad < 5; pad++)
      for (let len = 0; len < 14; len++) {
        const k = 'k'.repeat(len);
        const p = ' '.repeat(pad);
        assert.equal(prove(`${p}{"${k}":1,"${k}x":2,"v":"${k}"}`), 3, `pad ${pad} len ${len}`);
        assert.equal(prove(`${p}{"${k}":1,"v":"${k}","${k}":2}`), -1, `duplicate, pad ${pad} len ${len}`);
        assert.equal(prove(`${p}{"${k}":"${k}`), -1, `unterminated, pad ${pad} len ${len}`);
      }
  });

  test('duplicates are never proven clean', () => {
    for (const t of [
      '{"a":1,"a":2}',
      '{"a":{"b":1,"b":2}}',
      '[{"a":1},{"a":1,"a":1}]',
      '{"\u00e9":1,"\u00e9":2}',
      '{"x":"\\"","y":1,"x":2}',
      '{"a":[{"b":1}],"a":0}',
      '{ "a" : 1 , "a" : 2 }',
    ]) {
      assert.equal(prove(t), -1, t);
      assert.equal(scanner(t), 'dup', t);
    }
  });

  test('the same key in different objects, and look-alikes, are proven', () => {
    assert.equal(prove('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}'), 6);
    assert.equal(prove('{"\u00e9":1,"e\u0301":2}'), 2); // U+00E9 and e + U+0301: different keys
    assert.equal(prove('["{\\"a\\":1,\\"a\\":2}"]'), 0); // a duplicate inside a string value is text
    assert.equal(prove('{"a":"\\\\","b":"\\\\\\"","c":1}'), 3); // even and odd runs of backslashes
    assert.equal(prove('{}'), 0);
    assert.equal(prove('[]'), 0);
    assert.equal(prove('"just a string"'), 0);
    assert.equal(prove('{"":1,"a":""}'), 2);
  });

  test('keys with escapes, nesting past maxDepth and broken text are not proven', () => {
    assert.equal(prove('{"a\\u0062":1,"ab":2}'), -1); // a duplicate once decoded: the scanner decides
    assert.equal(prove('{"a\\"b":1}'), -1);
    // the scanner's rule: at most maxDepth open containers
    assert.equal(prove('[[[1]]]', 2), -1);
    assert.throws(() => parseStrictJson('[[[1]]]', { maxDepth: 2 }), /nesting deeper than 2/);
    assert.equal(prove('[[[1]]]', 3), 0);
    assert.deepEqual(parseStrictJson('[[[1]]]', { maxDepth: 3 }), [[[1]]]);
    assert.equal(prove('{"a":"unterminated'), -1);
    assert.equal(prove('{"a":1'), -1);
    assert.equal(prove('{"a":1}}'), -1);
  });

  test('large objects: past the small-object compare and through table growth', () => {
    for (const n of [15, 16, 17, 100, 5000]) {
      const keys = Array.from({ length: n }, (_, i) => `"k${i}":${i}`);
      const clean = `{"outer":{${keys.join(',')}},"k0":0}`;
      assert.equal(prove(clean), n + 2, `clean ${n}`);
      for (const at of [0, n >> 1, n - 1]) {
        const dupText = `{${keys.join(',')},"k${at}":1}`;
        assert.equal(prove(dupText), -1, `dup of k${at} in ${n}`);
      }
    }
    // two large objects open at once (a nested one inside), with the same keys: not duplicates
    const inner = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',');
    assert.equal(prove(`{${inner},"z":{${inner}}}`), 81);
    assert.equal(prove(`{${inner},"z":{${inner}},"k39":0}`), -1);
  });
});

/** A small deterministic generator (xorshift), so a failure names its seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

const PIECES = ['a', 'b', 'ab', '\\"', '\\\\', '\\u0061', 'é', ':', ',', '{', '}', ' ', '\\n'];

function genString(r: (n: number) => number): string {
  let s = '';
  const len = r(4);
  for (let i = 0; i < len; i++) s += PIECES[r(PIECES.length)];
  return `"${s}"`;
}

function genValue(r: (n: number) => number, depth: number): string {
  const k = depth > 4 ? r(3) : r(6);
  if (k === 0) return String(r(100));
  if (k === 1) return genString(r);
  if (k === 2) return ['true', 'false', 'null'][r(3)] as string;
  if (k === 3) {
    const n = r(4);
    return `[${Array.from({ length: n }, () => genValue(r, depth + 1)).join(',')}]`;
  }
  const n = r(5) === 0 ? 20 + r(20) : r(5);
  const members: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = r(3) === 0 ? genString(r) : `"${String.fromCharCode(97 + r(n > 10 ? 26 : 4))}${r(2) ? String(r(30)) : ''}"`;
    members.push(`${r(4) === 0 ? ' ' : ''}${key}${r(4) === 0 ? ' ' : ''}:${genValue(r, depth + 1)}`);
  }
  return `{${members.join(',')}}`;
}

test('generated texts: never clean when the scanner finds a duplicate; exact key count when clean and unescaped', () => {
  let proven = 0;
  let dups = 0;
  for (let seed = 1; seed <= 4000; seed++) {
    const r = rng(seed);
    const t = genValue(r, 0);
    const verdict = scanner(t);
    const p = prove(t);
    if (verdict === 'dup') {
      dups++;
      assert.equal(p, -1, `seed ${seed}: ${t}`);
    } else if (verdict === 'ok') {
      if (p >= 0) {
        proven++;
        assert.equal(p, keyCount(JSON.parse(t)), `seed ${seed}: ${t}`);
      } else {
        // only a key with a backslash may stay unproven in a clean text
        assert.match(t, /\\/, `seed ${seed}: clean text not proven: ${t}`);
      }
    }
  }
  // the generator must exercise both sides
  assert.ok(dups > 300, `only ${dups} texts with duplicates`);
  assert.ok(proven > 1000, `only ${proven} texts proven`);
});

/** The containers at levels 0..2 of a value, pre-order: whether parseStrictJson's own walk marked each. */
function walkMarks(v: unknown, level = 0, out: number[] = []): number[] {
  if (typeof v !== 'object' || v === null) return out;
  out.push(PARSED_IN_CANONICAL_ORDER.has(v) ? 1 : 0);
  if (level < 2) for (const x of Array.isArray(v) ? v : Object.values(v)) walkMarks(x, level + 1, out);
  return out;
}

describe('{integersOnly}: integers, and the canonical-order marks', () => {
  const canonOf = (t: string) => {
    const canon = new Int32Array(64);
    const r = prove2(t, canon);
    return { r, count: canon[0] as number, marks: [...canon.slice(1, 1 + Math.max(0, canon[0] as number))] };
  };
  const prove2 = (t: string, canon: Int32Array) => proveNoDuplicateKeys(bytes(t), 512, canon);

  test('a fraction or an exponent anywhere is not proven; literals and integers are', () => {
    for (const t of ['{"a":1.5}', '[1e3]', '{"a":[0,-2E1]}', '{"a":{"b":[true,1.0]}}']) assert.equal(canonOf(t).r, -1, t);
    assert.deepEqual(canonOf('{"a":[true,false,null,-12,0],"b":"1.5e3"}'), { r: 2, count: 2, marks: [1, 1] });
  });

  test('marks: keys in order, nested order, long numbers, array-index keys, astral and private-use keys', () => {
    assert.deepEqual(canonOf('{"a":{"c":1,"b":2},"d":[{"e":1}]}').marks, [0, 0, 1, 1]);
    assert.deepEqual(canonOf('{"a":{"b":{"d":1,"c":2}}}').marks, [0, 0, 0]); // out of order at level 3
    assert.deepEqual(canonOf('{"a":123456789012345,"b":1234567890123456}').marks, [0]); // 16 digits: maybe unsafe
    assert.equal(canonOf('{"10":1,"9":2}').count, -1); // JavaScript lists "9" first
    assert.equal(canonOf('{"a":{"b":{"10":1}}}').count, 3); // depth 2: its order is not walked by for-in here
    assert.deepEqual(canonOf('{"a":{"b":{"01":1,"2":2}}}').marks, [1, 1, 1]); // "01" is no index
    // keys with a UTF-8 byte >= 0xEE (U+E000 and above) are never called ordered: in UTF-16 an astral
    // character sorts before U+E000, in code points after it. The walk may mark what we leave unmarked.
    const pua = `{"${String.fromCharCode(0xe000)}":1,"${String.fromCharCode(0xffff)}":2}`;
    assert.deepEqual(canonOf(pua).marks, [0]);
    assert.equal(PARSED_IN_CANONICAL_ORDER.has(parseStrictJson(pua, { integersOnly: true }) as object), true);
  });

  test('generated texts: never a mark the walk would not make; the same marks where the bytes can tell', () => {
    let compared = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed * 7919);
      const t = genValue(r, 0);
      if (scanner(t) !== 'ok') continue;
      const canon = new Int32Array(256);
      if (prove2(t, canon) < 0 || (canon[0] as number) < 0) continue;
      const walk = walkMarks(parseStrictJson(t, { integersOnly: true }));
      const ours = [...canon.slice(1, 1 + (canon[0] as number))];
      assert.equal(ours.length, walk.length, `seed ${seed}: ${t}`);
      // é is below 0xEE in UTF-8: the generator's keys are all decided by bytes exactly
      assert.deepEqual(ours, walk, `seed ${seed}: ${t}`);
      compared++;
    }
    assert.ok(compared > 500, `only ${compared} compared`);
  });
});

/** shared/schema.ts: the one validation vocabulary collects every fault and emits a JSON Schema that agrees with it (checked with ajv). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import { KeyceremonyError } from '../../shared/errors';
import {
  annotate,
  arr,
  asGiven,
  assertValid,
  bool,
  byType,
  int,
  jsonSchemaDocument,
  literal,
  named,
  nullable,
  obj,
  oneOf,
  opt,
  record,
  refine,
  str,
  union,
  type Fault,
  type Infer,
} from '../../shared/schema';

const id = named('id', str({ min: 1, max: 64, pattern: /^[a-z0-9-]+$/, what: 'an id' }));
const person = obj({
  id,
  name: annotate(str({ min: 1 }), { description: 'shown to people' }),
  age: opt(int({ min: 0, max: 150 })),
  roles: arr(oneOf(['admin', 'witness'] as const), { min: 1 }),
  tags: opt(record(bool)),
  nick: opt(nullable(str())),
});
type Person = Infer<typeof person>;

const faultsOf = (x: unknown): Fault[] => {
  const f: Fault[] = [];
  person.check(x, '$', f);
  return f;
};

test('a good value is returned typed, optional members absent stay absent', () => {
  const p: Person = person.parse({ id: 'ann', name: 'Ann', roles: ['admin'] });
  assert.deepEqual(p, { id: 'ann', name: 'Ann', roles: ['admin'] });
  assert.deepEqual(person.parse({ id: 'bo', name: 'Bo', roles: ['witness'], nick: null, tags: { x: true } }).nick, null);
});

test('every fault is collected with its JSON path, not only the first', () => {
  const f = faultsOf({ id: 'Not An Id', roles: [], age: 200, colour: 'red', tags: { ok: 'yes', 'bad key!': true } });
  assert.deepEqual(
    f.map((x) => x.path),
    ['$.colour', '$.id', '$.name', '$.age', '$.roles', '$.tags.ok', '$["bad key!"]'.replace('$', '$.tags')],
  );
  assert.match(f.find((x) => x.path === '$.colour')!.message, /unexpected field "colour" \(allowed: id, name, age, roles, tags, nick\)/);
  assert.equal(f.find((x) => x.path === '$.name')!.message, 'missing');
  assert.equal(f.find((x) => x.path === '$.roles')!.message, 'expected a non-empty list');
  assert.equal(f.find((x) => x.path === '$.tags.ok')!.message, 'expected true or false');
});

test('parse throws one INVALID_INPUT naming the first fault, all faults in details', () => {
  assert.throws(
    () => person.parse({ id: 'x', roles: ['boss'] }),
    (e: unknown) => {
      assert.ok(e instanceof KeyceremonyError);
      assert.equal(e.code, 'INVALID_INPUT');
      assert.equal(e.where, '$.name');
      assert.equal(e.message, 'Invalid value at $.name: missing (and 1 more problem).');
      assert.deepEqual(e.details, { fault1: '$.name: missing', fault2: '$.roles[0]: expected one of admin, witness' });
      return true;
    },
  );
  assert.throws(
    () => assertValid(person, 5, 'people.json'),
    (e: KeyceremonyError) => e.message === 'people.json is not valid: $: expected an object.' && e.where === 'people.json $',
  );
});

test('unknown members are refused by default and kept with { unknown: "keep" } (round-trip models)', () => {
  const loose = obj({ version: int({ min: 1 }) }, { unknown: 'keep' });
  assert.deepEqual(loose.parse({ version: 2, x_custom: { a: 1 } }), { version: 2, x_custom: { a: 1 } });
  assert.throws(
    () => obj({ version: int() }).parse({ version: 2, x_custom: 1 }),
    (e: KeyceremonyError) => e.where === '$.x_custom',
  );
});

test('asGiven checks but returns the very value given; a report without a lead keeps the JSON path (format models)', () => {
  const given = { version: 2, x: { a: 1 } };
  const copy = obj({ version: int({ min: 1 }) }, { unknown: 'keep' });
  assert.notEqual(copy.parse(given), given);
  assert.equal(asGiven(copy).parse(given), given);
  assert.throws(
    () => asGiven(copy).parse({ version: 0 }),
    (e: KeyceremonyError) => e.where === '$.version',
  );
  assert.throws(
    () => assertValid(copy, { version: 0, y: 1.5 }, { source: 'root.json', code: 'INVALID_METADATA' }, '$.signed'),
    (e: KeyceremonyError) =>
      e.code === 'INVALID_METADATA' && e.message === 'root.json: must be at least 1 (got 0) (at $.signed.version)' && e.where === 'root.json $.signed.version',
  );
  assert.throws(
    () => assertValid(int({ max: 9 }), 10, { code: 'INVALID_METADATA' }),
    (e: KeyceremonyError) => e.message === 'must be at most 9 (got 10) (at $)' && e.where === '$',
  );
});

test('refine adds cross-member rules, run only when the shape is right; byType picks by JSON type; union by tag', () => {
  const range = refine(obj({ lo: int(), hi: int() }), (v, where, faults) => {
    if (v.lo > v.hi) faults.push({ path: `${where}.hi`, message: `must be at least lo (${v.lo})` });
  });
  assert.deepEqual(range.parse({ lo: 1, hi: 2 }), { lo: 1, hi: 2 });
  assert.throws(
    () => range.parse({ lo: 3, hi: 2 }),
    (e: KeyceremonyError) => e.where === '$.hi',
  );
  const f: Fault[] = [];
  range.check({ lo: 'x', hi: 2 }, '$', f);
  assert.deepEqual(
    f.map((x) => x.path),
    ['$.lo'],
    'the rule does not run on a malformed value',
  );
  const v = byType<number | string[]>({ number: int({ min: 0 }), array: arr(str()) });
  assert.equal(v.parse(3), 3);
  assert.deepEqual(v.parse(['a']), ['a']);
  assert.throws(
    () => v.parse('a'),
    (e: KeyceremonyError) => /expected an integer in \[0, \d+\], or a list of a string/.test(e.message),
  );
  const u = union('kind', { a: obj({ kind: literal('a'), n: int() }), b: obj({ kind: literal('b') }) });
  assert.deepEqual(u.parse({ kind: 'b' }), { kind: 'b' });
  assert.throws(
    () => u.parse({ kind: 'c' }),
    (e: KeyceremonyError) => e.where === '$.kind',
  );
});

test('the emitted JSON Schema is valid 2020-12, puts named parts in $defs, and accepts/refuses what the schema does', () => {
  const doc = jsonSchemaDocument(person, { $id: 'https://example.test/person.json', title: 'person' });
  assert.deepEqual(Object.keys(doc.$defs as object), ['id']);
  assert.deepEqual((doc.properties as Record<string, unknown>).id, { $ref: '#/$defs/id' });
  assert.deepEqual((doc.properties as Record<string, unknown>).name, { type: 'string', minLength: 1, maxLength: 4096, description: 'shown to people' });
  assert.deepEqual(doc.required, ['id', 'name', 'roles']);
  const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(doc);
  const samples: unknown[] = [
    { id: 'ann', name: 'Ann', roles: ['admin'] },
    { id: 'bo', name: 'Bo', roles: ['witness', 'admin'], age: 30, tags: { a: true }, nick: null },
    { id: 'bo', name: 'Bo', roles: ['witness'], nick: 'b' },
    { id: 'Bo', name: 'Bo', roles: ['witness'] },
    { id: 'bo', name: '', roles: ['witness'] },
    { id: 'bo', name: 'Bo', roles: [] },
    { id: 'bo', name: 'Bo', roles: ['boss'] },
    { id: 'bo', name: 'Bo', roles: ['admin'], age: 1.5 },
    { id: 'bo', name: 'Bo', roles: ['admin'], age: -1 },
    { id: 'bo', name: 'Bo', roles: ['admin'], extra: 1 },
    { id: 'bo', name: 'Bo', roles: ['admin'], tags: { 'no spaces': true } },
    { id: 'bo', name: 'Bo', roles: ['admin'], tags: { a: 1 } },
    { id: 'bo', roles: ['admin'] },
    'ann',
  ];
  for (const s of samples) assert.equal(validate(s), faultsOf(s).length === 0, JSON.stringify(s));
});

/**
 * docs/ceremony.schema.json is generated from the schemas the ceremony validator checks with: the
 * committed file must be what scripts/gen-ceremony-schema.ts prints, and an outside JSON Schema
 * validator (ajv, draft 2020-12) must accept and refuse the same script shapes as validateScript.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import { BUILTIN_KINDS } from '../../electron/core/ceremony/steps';
import { TEMPLATES } from '../../electron/core/ceremony/templates';
import { validateScript } from '../../electron/core/ceremony/validate';
import { CEREMONY_SCHEMA_FILE, ceremonySchemaText } from '../../scripts/gen-ceremony-schema';

const committed = readFileSync(CEREMONY_SCHEMA_FILE, 'utf8');
const ajv = new Ajv2020({ strict: false, allErrors: true });
const schemaValid = ajv.compile(JSON.parse(committed));

test('the committed docs/ceremony.schema.json is the generated one (run `npm run schema:ceremony` after changing a schema)', () => {
  assert.equal(committed, ceremonySchemaText());
});

test('every built-in template is valid for ajv against the published schema and for the validator', () => {
  for (const [name, t] of Object.entries(TEMPLATES)) {
    assert.equal(schemaValid(t.script), true, `${name}: ${JSON.stringify(schemaValid.errors)}`);
    assert.deepEqual(validateScript(t.script, BUILTIN_KINDS), [], name);
  }
});

test('a malformed script is refused by both, at the same JSON path', () => {
  const base = () => structuredClone(TEMPLATES['tuf-root']!.script) as Record<string, any>;
  const cases: [string, (s: Record<string, any>) => void, string][] = [
    ['an unknown top-level member', (s) => (s.colour = 'red'), '$.colour'],
    ['a key type the tokens cannot make', (s) => (s.keys[0].keyType = 'dsa'), '$.keys[0].keyType'],
    ['a step kind nobody registered', (s) => (s.steps[2].kind = 'keygenx'), '$.steps[2].kind'],
    ['an unknown step param', (s) => (s.steps[2].params.colour = 1), '$.steps[2].params.colour'],
    ['a required step param missing', (s) => delete s.steps[2].params.keys, '$.steps[2].params.keys'],
    ['a step with required params and none at all', (s) => delete s.steps[2].params, '$.steps[2].params.keys'],
    ['a threshold that is not an integer', (s) => (s.steps.find((x: { kind: string }) => x.kind === 'backup').params.threshold = 2.5), '.params.threshold'],
    [
      'an ack that may be answered by "yes"',
      (s) => (s.steps[0].acknowledgements[0].allowAnswersFile = 'yes'),
      '$.steps[0].acknowledgements[0].allowAnswersFile',
    ],
    ['an id with capitals', (s) => (s.participants[0].id = 'Admin'), '$.participants[0].id'],
    ['a PIV slot that does not exist', (s) => (s.keys[0].slot = '9b'), '$.keys[0].slot'],
    ['an empty step list', (s) => (s.steps = []), '$.steps'],
  ];
  for (const [name, mutate, path] of cases) {
    const s = base();
    mutate(s);
    assert.equal(schemaValid(s), false, `ajv accepted: ${name}`);
    const issues = validateScript(s, BUILTIN_KINDS);
    assert.ok(
      issues.some((i) => i.path.endsWith(path)),
      `${name}: validator did not name ${path}: ${JSON.stringify(issues)}`,
    );
  }
});

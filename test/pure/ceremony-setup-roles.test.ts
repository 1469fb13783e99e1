/**
 * Who is who in a ceremony setup (electron/core/ceremony/customize.ts + validate.ts): the
 * administrator sets each participant's role and who holds each token; a witness never holds a
 * token or a share, exactly one administrator stays, and a witness made something else hands the
 * confirmations the script asked of them to the witnesses left (refused when none is left).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_KINDS } from '../../electron/core/ceremony/steps';
import { TEMPLATES } from '../../electron/core/ceremony/templates';
import { customizeScript, type ScriptSetup } from '../../electron/core/ceremony/customize';
import { validateScript } from '../../electron/core/ceremony/validate';
import { KeyceremonyError } from '../../shared/errors';
import type { CeremonyScript } from '../../electron/core/ceremony/types';

const template = (name: string) => structuredClone(TEMPLATES[name]!.script) as CeremonyScript;
const issues = (s: CeremonyScript) => validateScript(s, BUILTIN_KINDS);
const refused = (base: CeremonyScript, setup: ScriptSetup, where: string, message: RegExp) =>
  assert.throws(
    () => customizeScript(base, setup),
    (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_INPUT' && e.where === where && message.test(e.message),
  );

test('the online token handed from the administrator to a custodian: held by them, valid, the template untouched', () => {
  const base = template('tuf-root');
  const s = customizeScript(base, { holders: { 'online-token': 'custodian-1' } });
  assert.equal(s.tokens.find((t) => t.id === 'online-token')!.custodian, 'custodian-1');
  assert.deepEqual(issues(s), []);
  assert.equal(base.tokens.find((t) => t.id === 'online-token')!.custodian, 'admin');
  // '' = no one in particular
  assert.equal(customizeScript(base, { holders: { 'online-token': '' } }).tokens.find((t) => t.id === 'online-token')!.custodian, undefined);
});

test('a token given to a witness or to nobody known is refused, naming the setup field', () => {
  const base = template('tuf-root');
  refused(base, { names: { witness: 'Wendy' }, holders: { 'root-token-1': 'witness' } }, 'holders.root-token-1', /Wendy is a witness.*holds no token/);
  refused(base, { holders: { 'root-token-1': 'mallory' } }, 'holders.root-token-1', /"mallory", who is not a participant/);
  refused(base, { holders: { 'no-such-token': 'custodian-1' } }, 'holders.no-such-token', /no token "no-such-token"/);
});

test('a custodian made witness while still holding a token and a share: both problems with their JSON paths', () => {
  const s = customizeScript(template('tuf-root'), { roles: { 'custodian-3': 'witness' } });
  const found = issues(s);
  const at = (path: string) => found.find((i) => i.path === path)?.message ?? '';
  assert.match(at('$.tokens[2].custodian'), /^Custodian 3 \(custodian-3\) is a witness and would hold token "root-token-3"/);
  const backup = s.steps.findIndex((x) => x.kind === 'backup');
  assert.match(at(`$.steps[${backup}].params.custodians[2]`), /Custodian 3 \(custodian-3\) is a witness and would hold a share/);
  // the same script file, not a setup, is refused the same way
  const file = template('tuf-root');
  file.participants.find((p) => p.id === 'custodian-3')!.role = 'witness';
  assert.deepEqual(issues(file), found);
});

test('two administrators, or none, is a problem at $.participants', () => {
  const two = customizeScript(template('cosign-key'), { roles: { 'custodian-1': 'administrator' } });
  assert.deepEqual(
    issues(two).map((i) => i.path),
    ['$.participants'],
  );
  const none = customizeScript(template('cosign-key'), { roles: { admin: 'custodian' } });
  assert.match(issues(none).find((i) => i.path === '$.participants')!.message, /exactly one participant must have the role "administrator"/);
});

test('who is the witness: the witness made a custodian hands their confirmations to the witness named instead; refused when none is left', () => {
  const base = template('notary-repository');
  refused(
    base,
    { names: { witness: 'Wendy' }, roles: { witness: 'custodian' } },
    'roles.witness',
    /Wendy is no longer a witness.*“I checked that the ceremony machine is offline.*Make another person the witness first/,
  );
  // Bob (custodian-2) is the witness today; Wendy keeps a root token instead of him.
  const s = customizeScript(base, {
    names: { 'custodian-2': 'Bob', witness: 'Wendy' },
    roles: { witness: 'custodian', 'custodian-2': 'witness' },
    holders: { 'root-token-2': 'witness' },
  });
  assert.deepEqual(issues(s), []);
  const byOf = (step: string) => s.steps.find((x) => x.id === step)!.acknowledgements!.map((a) => a.by);
  assert.deepEqual(byOf('preflight'), ['role:witness']);
  assert.deepEqual(byOf('keygen'), ['role:witness']);
  assert.deepEqual(byOf('check-in'), ['role:custodian']);
  assert.equal(s.tokens.find((t) => t.id === 'root-token-2')!.custodian, 'witness');
  assert.deepEqual(
    s.participants.filter((p) => p.role === 'witness').map((p) => p.name),
    ['Bob'],
  );
  // without moving his token, Bob as witness would hold it: the validator names the token
  const kept = customizeScript(base, { roles: { witness: 'custodian', 'custodian-2': 'witness' } });
  assert.deepEqual(
    issues(kept).map((i) => i.path),
    ['$.tokens[1].custodian'],
  );
});

test('a cosign ceremony whose signing token the first custodian holds and whose witness is named: valid, roles as set', () => {
  const s = customizeScript(template('cosign-key'), {
    names: { 'custodian-1': 'Alice', witness: 'Wendy' },
    holders: { 'signing-token': 'custodian-1' },
    roles: { witness: 'witness' },
  });
  assert.deepEqual(issues(s), []);
  assert.deepEqual(
    s.participants.map((p) => `${p.name}:${p.role}`),
    ['Ceremony administrator:administrator', 'Alice:custodian', 'Custodian 2:custodian', 'Custodian 3:custodian', 'Wendy:witness'],
  );
});

test('what was typed for custodians the count then removed is dropped, not refused', () => {
  const s = customizeScript(template('tuf-root'), {
    custodians: 2,
    names: { 'custodian-3': 'Carol' },
    roles: { 'custodian-3': 'custodian' },
    holders: { 'root-token-3': 'custodian-3' },
    tokens: { 'root-token-3': { label: 'root-3', serial: 'abc' } },
  });
  assert.equal(
    s.participants.some((p) => p.id === 'custodian-3'),
    false,
  );
  assert.deepEqual(issues(s), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapPkcs11Error } from '../../electron/adapters/pkcs11/errors';
import { parse } from '../../electron/cli/args';
import { KeyceremonyError, toErrorInfo } from '../../shared/errors';
import { capture } from '../../shared/result';

const rvError = (code: number) => Object.assign(new Error('CKR_X:' + code), { code });

test('CK_RV values map to domain codes with a sentence and the PKCS#11 name', () => {
  const cases: [number, string, RegExp][] = [
    [0xa0, 'PIN_INCORRECT', /PIN is incorrect/],
    [0xa4, 'PIN_LOCKED', /security officer/],
    [0xe0, 'TOKEN_NOT_PRESENT', /Insert the token/],
    [0x32, 'TOKEN_NOT_PRESENT', /removed/],
    [0xb0, 'SESSION_CLOSED', /session/],
    [0x70, 'MECHANISM_UNSUPPORTED', /does not support/],
    [0x101, 'USER_ACTION_REQUIRED', /touch it or enter the PIN/],
    [0x6a, 'KEY_NOT_EXTRACTABLE', /backup-able/],
  ];
  for (const [rv, code, re] of cases) {
    const e = mapPkcs11Error(rvError(rv), 'doing a thing');
    assert.equal(e.code, code);
    assert.match(e.message, re);
    assert.match(e.message, /while doing a thing/);
    assert.equal(typeof e.details?.ckr, 'string');
  }
  const unknown = mapPkcs11Error(rvError(0x7777), 'x');
  assert.equal(unknown.code, 'PKCS11_ERROR');
  assert.match(unknown.message, /CKR_0x7777/);
});

test('the CLI refuses secrets on the command line, naming the flag', () => {
  for (const flag of ['--pin', '--pin=1234', '--so-pin', '--passphrase', '--share']) {
    assert.throws(
      () => parse([flag, 'x'], { 'pin-file': { type: 'string' } }),
      (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_INPUT' && /command line/.test(e.message),
      flag,
    );
  }
  assert.equal(parse(['--pin-file', 'f'], { 'pin-file': { type: 'string' } }).values['pin-file'], 'f');
});

test('Result capture turns thrown errors into {ok:false, error}', async () => {
  assert.deepEqual(await capture(() => 5), { ok: true, value: 5 });
  const r = await capture(() => {
    throw new KeyceremonyError('TOKEN_NOT_FOUND', 'no token', { where: 'label "x"' });
  });
  assert.deepEqual(r, { ok: false, error: { code: 'TOKEN_NOT_FOUND', message: 'no token', where: 'label "x"' } });
  assert.equal(toErrorInfo(new Error('boom')).code, 'INTERNAL');
});

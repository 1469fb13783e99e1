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

test('secrets on the command line are refused pointing to the right source for each (issue 12 item 12)', () => {
  const cases: [string, RegExp][] = [
    ['--pin', /Use --pin-file FILE, the KEYCEREMONY_PIN environment variable, or the prompt/],
    ['--so-pin', /Use --so-pin-file FILE, the KEYCEREMONY_SO_PIN environment variable, or the prompt/],
    ['--share', /Use --share-file FILE \(repeat it\) or --prompt COUNT to type the shares/],
    ['--passphrase', /Use --passphrase-file INDEX=FILE or the prompt/],
    ['--kek', /The KEK is never given: it is rebuilt from the shares/],
  ];
  for (const [flag, advice] of cases) {
    assert.throws(
      () => parse([flag, 'x'], {}),
      (e: unknown) => {
        assert.ok(e instanceof KeyceremonyError);
        assert.equal(e.code, 'INVALID_INPUT');
        assert.match(e.message, advice, flag);
        if (flag !== '--pin') assert.doesNotMatch(e.message, /KEYCEREMONY_PIN\b/, flag);
        return true;
      },
      flag,
    );
  }
});

test('with no terminal, a missing secret names its own source and code (PIN, SO PIN, passphrase, share)', async () => {
  const { promptSecretTTY, makeContext } = await import('../../electron/cli/context');
  const noTty = { isTTY: false } as unknown as NodeJS.ReadStream;
  await assert.rejects(promptSecretTTY('PIN: ', noTty), { code: 'PIN_REQUIRED', message: /--pin-file FILE or set KEYCEREMONY_PIN/ });
  await assert.rejects(
    promptSecretTTY('pass: ', noTty, process.stderr, {
      code: 'PASSPHRASE_REQUIRED',
      sentence: 'The passphrase of share 3 is needed but there is no terminal to ask on. Give --passphrase-file 3=FILE.',
    }),
    {
      code: 'PASSPHRASE_REQUIRED',
      message: /--passphrase-file 3=FILE/,
    },
  );
  // the SO PIN source of a context names the SO PIN file and variable, not the user PIN's
  const ctx = makeContext({ env: {} });
  const src = ctx.pinSource({ prompt: 'SO PIN: ', envVar: 'KEYCEREMONY_SO_PIN', flag: '--so-pin-file', what: 'The SO PIN' });
  if (process.stdin.isTTY) return; // the rest needs a process without a terminal (the test runner has none)
  await assert.rejects(async () => src(), {
    code: 'PIN_REQUIRED',
    message: /The SO PIN is needed but there is no terminal to ask on\. Use --so-pin-file FILE or set KEYCEREMONY_SO_PIN\./,
  });
});

test('backup with no terminal: a protected share without --passphrase-file is PASSPHRASE_REQUIRED, --prompt is SHARE_REQUIRED', async () => {
  const { main } = await import('../../electron/cli/main');
  const { makeContext } = await import('../../electron/cli/context');
  const { resolve } = await import('node:path');
  if (process.stdin.isTTY) return;
  const V1 = resolve(import.meta.dirname, '..', 'fixtures', 'backup-v1');
  const run = async (args: string[]) => {
    const err: string[] = [];
    const code = await main(args, { ...makeContext({ env: {} }), out: () => {}, err: (l) => void err.push(l) });
    return { code, err: err.join('\n') };
  };
  const p = await run([
    'backup',
    'verify-shares',
    '--backup',
    `${V1}/backup.json`,
    '--share-file',
    `${V1}/share-3-of-3-cy.txt`,
    '--share-file',
    `${V1}/share-1-of-3-ada.txt`,
  ]);
  assert.equal(p.code, 1);
  assert.match(
    p.err,
    /^error\[PASSPHRASE_REQUIRED\]: The custodian passphrase of share 3 is needed but there is no terminal to ask on\. Give --passphrase-file 3=FILE\./,
  );
  const s = await run(['backup', 'verify-shares', '--backup', `${V1}/backup.json`, '--prompt', '2']);
  assert.equal(s.code, 1);
  assert.match(s.err, /^error\[SHARE_REQUIRED\]: Shares typed with --prompt need a terminal.*--share-file FILE/);
});

/**
 * Issue 12 item 3 (second part): SoftHSM2 under concurrent use answers CKR_GENERAL_ERROR from
 * C_GetTokenInfo and C_Login while another process rewrites token.object (measured: two signers and a
 * key generation on one token, 30,000+ such answers in 8 s). Those answers are retried a bounded number
 * of times, not turned into "remove and re-insert it". A double at the module boundary: the real
 * SoftHSM2 library, with the first answers of chosen calls replaced by GENERAL_ERROR as SoftHSM gives them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pkcs11js from 'pkcs11js';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { BUSY_PAUSES_MS } from '../../electron/adapters/pkcs11/busy';
import { KeyceremonyError } from '../../shared/errors';

let hsm: TestHsm;
let real: pkcs11js.PKCS11;
let mod: Pkcs11Module;
/** Calls still to be answered with CKR_GENERAL_ERROR, by method; and every call made, by method. */
const failNext = new Map<string, number>();
/** The CK_RV of those answers, by method (default CKR_GENERAL_ERROR). */
const answer = new Map<string, [string, number]>();
const calls = new Map<string, number>();

before(async () => {
  hsm = await makeSoftHsm(['busy']);
  real = new pkcs11js.PKCS11();
  real.load(hsm.module);
  const double = new Proxy(real, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.set(prop, (calls.get(prop) ?? 0) + 1);
        const n = failNext.get(prop) ?? 0;
        if (n > 0) {
          failNext.set(prop, n - 1);
          const [name, rv] = answer.get(prop) ?? ['CKR_GENERAL_ERROR', 5];
          throw new pkcs11js.Pkcs11Error(`${name}:${rv}`, rv, prop);
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  mod = Pkcs11Module.open('/double/busy/libsofthsm2.so', { library: double as never });
  await mod.withSession({ label: 'busy' }, { pin: hsm.pinOf('busy'), rw: true }, (s) => s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'k' }));
});
after(() => {
  mod?.close();
  hsm?.cleanup();
});

const busyError = (re: RegExp) => (e: unknown) => e instanceof KeyceremonyError && e.code === 'TOKEN_BUSY' && re.test(e.message);

test('GENERAL_ERROR from token information and login while another process writes: asked again, the signature is made', async () => {
  failNext.set('C_GetTokenInfo', 3);
  failNext.set('C_Login', 2);
  const before = calls.get('C_Login') ?? 0;
  const sig = await mod.withSession({ label: 'busy' }, { pin: hsm.pinOf('busy') }, async (s) =>
    s.signer(s.findKey({ label: 'k' })!).sign(new Uint8Array([1, 2, 3])),
  );
  assert.ok(sig.length >= 64, 'a signature came back');
  assert.equal(failNext.get('C_GetTokenInfo'), 0);
  assert.equal((calls.get('C_Login') ?? 0) - before, 3, 'two busy answers, then the login');
});

test('USER_PIN_NOT_INITIALIZED from a login while the flags say the PIN is set (SoftHSM mid-rewrite): asked again', async () => {
  answer.set('C_Login', ['CKR_USER_PIN_NOT_INITIALIZED', pkcs11js.CKR_USER_PIN_NOT_INITIALIZED]);
  failNext.set('C_Login', 1);
  try {
    assert.equal(await mod.withSession({ label: 'busy' }, { pin: hsm.pinOf('busy') }, (s) => s.findKeys({ label: 'k' }).length), 1);
  } finally {
    answer.delete('C_Login');
  }
});

test('a token that stays busy: TOKEN_BUSY after a bounded number of attempts, naming the other program before the hardware', async () => {
  failNext.set('C_Login', 1000);
  const before = calls.get('C_Login') ?? 0;
  await assert.rejects(
    mod.withSession({ label: 'busy' }, { pin: hsm.pinOf('busy') }, () => 0),
    busyError(
      /^Token "busy" \(serial [0-9a-f]+\) stayed busy: it answered CKR_GENERAL_ERROR 11 times in 2\.6 s while logging in.*Another program is probably using it at the same moment.*If nothing else uses the token and this repeats, remove and re-insert it/s,
    ),
  );
  assert.equal((calls.get('C_Login') ?? 0) - before, BUSY_PAUSES_MS.length + 1, 'bounded: 11 attempts');
  failNext.set('C_Login', 0);

  failNext.set('C_GetTokenInfo', 1000);
  await assert.rejects(
    mod.withSession({ label: 'busy' }, {}, () => 0),
    busyError(/^The token in slot 0x[0-9a-f]+ stayed busy: .* while reading token information/),
  );
  failNext.set('C_GetTokenInfo', 0);
});

test('a key generation that answers GENERAL_ERROR is not repeated (a half-done write is for the journaled intent to find)', async () => {
  failNext.set('C_GenerateKeyPair', 1);
  const before = calls.get('C_GenerateKeyPair') ?? 0;
  await assert.rejects(
    mod.withSession({ label: 'busy' }, { pin: hsm.pinOf('busy'), rw: true }, (s) => s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'k2' })),
    (e: unknown) =>
      e instanceof KeyceremonyError &&
      e.code === 'DEVICE_ERROR' &&
      /If another program is using it at the same moment, let it finish and try again/.test(e.message),
  );
  assert.equal((calls.get('C_GenerateKeyPair') ?? 0) - before, 1, 'called once');
});

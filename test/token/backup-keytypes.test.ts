/** Backup + recovery through the adapter for every key type SoftHSM2 can make backup-able. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { createBackup, reconstructKek, recoverOntoToken } from '../../electron/adapters/pkcs11/backup';
import type { KeyType } from '../../shared/crypto/algorithms';

let hsm: TestHsm;
let mod: Pkcs11Module;
const enc = (s: string) => () => new TextEncoder().encode(s);

before(async () => {
  hsm = await makeSoftHsm(['kt-a', 'kt-b']);
  mod = Pkcs11Module.open();
});
after(() => {
  mod?.close();
  hsm?.cleanup();
});

const TYPES: KeyType[] = ['ecdsa-p384', 'rsa-3072'];
for (const keyType of TYPES) {
  test(`${keyType}: wrap 2-of-3 on A, recover onto B from shares 3 and 1, signature verifies`, async () => {
    const a = hsm.tokens[0]!;
    const label = `bk-${keyType}`;
    const made = await mod.withSession({ label: 'kt-a' }, { pin: enc(a.pin), rw: true }, async (s) => {
      await s.generateKeyPair({ keyType, label, profile: 'backupable' });
      return createBackup(s, { key: { label }, m: 2, n: 3, custodians: ['x', 'y', 'z'], soPin: enc(a.soPin), userPin: enc(a.pin) });
    });
    assert.equal(made.facts.trustedKek, true);
    assert.equal(made.backup.key.type, keyType);
    const kek = await reconstructKek(
      made.backup,
      [made.shares[2]!, made.shares[0]!].map((share) => ({ share, label: `share ${share.index}` })),
    );
    const b = hsm.tokens[1]!;
    const res = await mod.withSession({ label: 'kt-b' }, { pin: enc(b.pin), rw: true }, (s) => recoverOntoToken(s, made.backup, kek));
    assert.ok(
      kek.every((x) => x === 0),
      'KEK buffer zeroed',
    );
    assert.equal(res.key.fingerprint, made.backup.key.fingerprint);
    assert.equal(res.key.label, label);
    assert.equal(res.key.idHex, made.backup.key.id);
    assert.equal(res.key.attrs.sensitive, true);
    assert.equal(res.key.attrs.extractable, false);
    assert.equal(res.fingerprintMatches, true);
  });
}

test('ed25519: SoftHSM 2.6.1 cannot wrap EdDSA keys: refused with a clear message, no KEK left behind', async () => {
  const a = hsm.tokens[0]!;
  await mod.withSession({ label: 'kt-a' }, { pin: enc(a.pin), rw: true }, async (s) => {
    await s.generateKeyPair({ keyType: 'ed25519', label: 'bk-ed', profile: 'backupable' });
    await assert.rejects(
      createBackup(s, { key: { label: 'bk-ed' }, m: 2, n: 3, custodians: ['x', 'y', 'z'], soPin: enc(a.soPin), userPin: enc(a.pin) }),
      (e: Error & { code?: string }) => e.code === 'KEY_NOT_EXTRACTABLE' && /refuses to wrap this ed25519 key/.test(e.message),
    );
    assert.equal(s.objects({ kind: 'secret' }).length, 0, 'session KEK destroyed');
  });
});

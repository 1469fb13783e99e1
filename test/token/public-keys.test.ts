/**
 * Picking a key without a PIN (issue 11): the token's public key objects are read in a session with
 * no login, and the IPC handlers offer exactly the keys a request accepts. Real SoftHSM2 tokens.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { createIpcHost } from '../../electron/ipc/handlers';
import { signerKey } from '../../electron/core/tuf/sign';
import { createRequest, serializeRequest } from '../../electron/core/tuf/request';
import { newTargets } from '../../electron/core/tuf/repo';
import type { CandidateList, KeyInfo } from '../../shared/ipc/contract';
import type { TufKeyJSON } from '../../shared/tuf/keys';

let hsm: TestHsm;
let mod: Pkcs11Module;
const keys: Record<string, { keyid: string; key: TufKeyJSON; fingerprint: string }> = {};

before(async () => {
  hsm = await makeSoftHsm(['alice', 'bob']);
  mod = Pkcs11Module.open(hsm.module);
  for (const [tok, label] of [
    ['alice', 'targets'],
    ['alice', 'other'],
    ['bob', 'targets'],
  ] as const) {
    await mod.withSession({ label: tok }, { pin: hsm.pinOf(tok), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
      keys[`${tok}/${label}`] = { ...(await signerKey(s.signer(key))), fingerprint: key.fingerprint };
    });
  }
});
after(() => {
  mod?.close();
  hsm?.cleanup();
});

test('public keys are listed without logging in, with the same fingerprints as the private keys', async () => {
  const serial = hsm.tokens.find((t) => t.label === 'alice')!.serial;
  const pub = await mod.withSession({ serial }, { login: false }, (s) => s.findPublicKeys());
  assert.deepEqual(pub.map((k) => k.label).sort(), ['other', 'targets']);
  const priv = await mod.withSession({ serial }, { pin: hsm.pinOf('alice') }, (s) => s.findKeys());
  for (const k of pub) assert.equal(k.fingerprint, priv.find((p) => p.idHex === k.idHex)!.fingerprint);
  // without login the private objects are not visible at all (so this is not a login in disguise)
  assert.equal((await mod.withSession({ serial }, { login: false }, (s) => s.findKeys())).length, 0);
});

test('the handlers offer the keys a request accepts, refuse a token that is not in the reader, and ask no PIN', async () => {
  const host = createIpcHost(
    { mode: 'rehearsal', version: 't', moduleName: null, openTokens: () => mod, saveFile: async () => ({ saved: false, name: '' }) },
    { isTrustedSender: () => true },
  );
  const ctx = { senderUrl: 'x', isMainFrame: true, emit: () => {} };
  const call = async <T>(ch: string, payload: unknown): Promise<T> => {
    const r = await host.dispatch(ch, payload, ctx);
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.value as T;
  };
  const a = hsm.tokens.find((t) => t.label === 'alice')!;
  const listed = await call<KeyInfo[]>('kc:keys.listPublic', { token: { serial: a.serial } });
  assert.equal(listed.length, 2);
  const ka = keys['alice/targets']!;
  const kb = keys['bob/targets']!;
  const req = await createRequest({
    signed: newTargets('2030-01-01T00:00:00Z', 2).toJSON(),
    role: 'targets',
    rules: [{ name: 'targets', keyids: [ka.keyid, kb.keyid], keys: { [ka.keyid]: ka.key, [kb.keyid]: kb.key }, threshold: 2 }],
  });
  const text = serializeRequest({ ...req, names: { [ka.keyid]: 'Alice', [kb.keyid]: 'Bob' } });
  const c = await call<CandidateList>('kc:tuf.request.candidates', { text, token: { serial: a.serial } });
  assert.deepEqual(
    c.keys.map((k) => [k.label, k.name, k.rules, k.signed, k.fingerprint]),
    [['targets', 'Alice', ['targets'], false, ka.fingerprint]],
  );
  assert.equal(c.otherKeys, 1);
  await assert.rejects(
    call('kc:tuf.request.candidates', { text, token: { serial: 'no-such-serial' } }),
    (e: unknown) => (e as { code: string }).code === 'TOKEN_WRONG',
  );
});

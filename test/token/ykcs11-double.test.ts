/**
 * The ykcs11 (YubiKey PIV) profile at the module boundary, against test/helpers/ykcs11-double.ts — a
 * stand-in that behaves as Yubico's ykcs11 source does (cited there). No YubiKey is attached to this
 * machine: this proves the token layer's side of the contract (slots by CKA_ID, fixed labels, SO login
 * with the management key for keygen and the user login put back, the private-key template ykcs11
 * accepts, always-authenticate on 9c, the touch prompt, attestation read from the token, tries left),
 * not the YubiKey itself. docs/hardware.md says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pkcs11Module, type TokenSession } from '../../electron/adapters/pkcs11';
import { Pkcs11TokenService } from '../../electron/adapters/ceremony/token-service';
import { CeremonyEngine } from '../../electron/core/ceremony/engine';
import { BUILTIN_KINDS } from '../../electron/core/ceremony/steps';
import { verifyBundle } from '../../electron/core/ceremony/bundle';
import { verifyTranscript } from '../../electron/core/ceremony/transcript';
import type { CeremonyScript } from '../../electron/core/ceremony/types';
import { verifyAttestation } from '../../shared/attestation';
import { verifySignature } from '../../shared/crypto/webcrypto';
import { KeyceremonyError } from '../../shared/errors';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { MemJournal, MemStore, autoPrompter, fixedClock, randomHex } from '../helpers/ceremony-fakes';
import { YK_MANAGEMENT_KEY, YK_PIN, Ykcs11Double } from '../helpers/ykcs11-double';

const isErr = (code: string, re?: RegExp) => (e: unknown) => e instanceof KeyceremonyError && e.code === code && (!re || re.test(e.message));
const enc = (s: string) => () => new TextEncoder().encode(s);

describe('ykcs11 profile against the ykcs11 double', () => {
  let yk: Ykcs11Double;
  let mod: Pkcs11Module;
  let label: string;
  let pinAsked = 0;
  const pin = () => {
    pinAsked++;
    return new TextEncoder().encode(YK_PIN);
  };
  const withYk = <T>(fn: (s: TokenSession) => Promise<T> | T) => mod.withSession({ label }, { pin, rw: true }, fn);

  before(async () => {
    yk = await Ykcs11Double.create({ serial: 12345678, firmware: [5, 4, 3] });
    mod = Pkcs11Module.open('/double/libykcs11.so', { library: yk as never });
    label = mod.tokens()[0]!.label;
  });
  after(() => mod?.close());

  test("inventory: the ykcs11 profile; P-256/P-384 only (RSA stops at 2048 before firmware 5.7); serial is the YubiKey's", () => {
    const t = mod.findToken({ label });
    assert.equal(t.profile, 'ykcs11');
    assert.deepEqual(t.keyTypes, ['ecdsa-p256', 'ecdsa-p384']);
    assert.equal(t.serial, '12345678');
    assert.equal(t.serialIsUnique, true);
  });

  test('keygen goes into a PIV slot, as security officer with the management key, and the user login is put back', async () => {
    await withYk(async (s) => {
      await assert.rejects(
        s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root' }),
        isErr('INVALID_INPUT', /say which slot to generate into \(9c is the signature slot/),
      );
      await assert.rejects(s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root', slot: '9b' }), isErr('INVALID_INPUT', /"9b" is not a PIV key slot/));
      await assert.rejects(
        s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root', slot: '9c' }),
        isErr('PIN_REQUIRED', /generates keys only with its PIV management key/),
      );
      await assert.rejects(
        s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root', slot: '9c', profile: 'backupable', soPin: enc(YK_MANAGEMENT_KEY) }),
        isErr('MECHANISM_UNSUPPORTED', /never leaves the YubiKey/),
      );
      await assert.rejects(
        s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root', slot: '9c', soPin: enc('000000000000000000000000000000000000000000000000') }),
        isErr('PIN_INCORRECT', /security officer/),
      );
      yk.calls.length = 0;
      const { key, created } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root', slot: '9c', soPin: enc(YK_MANAGEMENT_KEY) });
      assert.equal(created, true);
      assert.deepEqual(
        yk.calls.filter((c) => c.startsWith('C_Log') || c === 'C_GenerateKeyPair'),
        ['C_Logout', 'C_Login:so', 'C_GenerateKeyPair', 'C_Logout', 'C_Login:user'],
      );
      assert.equal(key.label, 'Private key for Digital Signature', "the module names the key; the script's label is not stored");
      assert.equal(key.idHex, '02');
      assert.deepEqual([key.attrs.sensitive, key.attrs.extractable, key.attrs.local, key.attrs.alwaysAuthenticate], [true, false, true, true]);
      // the same slot again: the key there is adopted, not replaced; another type is refused naming the slot
      assert.equal((await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'anything', slot: '9c', soPin: enc(YK_MANAGEMENT_KEY) })).created, false);
      await assert.rejects(
        s.generateKeyPair({ keyType: 'ecdsa-p384', label: 'root', slot: '9c', soPin: enc(YK_MANAGEMENT_KEY) }),
        isErr('KEY_EXISTS', /Slot 9c .* already holds a ecdsa-p256 key/),
      );
    });
  });

  test('9c is always-authenticate: the PIN is asked again after each C_SignInit; signatures verify', async () => {
    await withYk(async (s) => {
      const key = s.findKey({ id: Uint8Array.of(2) });
      const signer = s.signer(key);
      const before = pinAsked;
      yk.calls.length = 0;
      for (const m of ['one', 'two']) {
        const data = new TextEncoder().encode(m);
        const sig = await signer.sign(data);
        assert.equal(await verifySignature(key.publicKeySpki, 'ecdsa-p256-sha256', data, sig), true);
      }
      assert.equal(pinAsked - before, 2, 'the PIN was asked once per signature');
      assert.deepEqual(
        yk.calls.filter((c) => c.startsWith('C_Sign') || c.startsWith('C_Login')),
        ['C_SignInit', 'C_Login:context', 'C_Sign', 'C_SignInit', 'C_Login:context', 'C_Sign'],
      );
    });
  });

  test('touch policy: "touch the YubiKey now" comes before the signature the device holds; without a touch the refusal says why', async () => {
    await yk.provision('9a', 'ecdsa-p256', { pin: 'once', touch: 'always' });
    await withYk(async (s) => {
      const key = s.findKey({ id: Uint8Array.of(1) });
      assert.deepEqual(s.keyPolicy(key), { pinPolicy: 'once', touchPolicy: 'always' });
      const prompts: string[] = [];
      const signer = s.signer(key, {
        onUserPresence: ({ touchPolicy }) => {
          prompts.push(`touch the YubiKey now (${touchPolicy})`);
          yk.touch(); // the custodian touches it
        },
      });
      const data = new TextEncoder().encode('touched');
      const sig = await signer.sign(data);
      assert.equal(await verifySignature(key.publicKeySpki, 'ecdsa-p256-sha256', data, sig), true);
      assert.deepEqual(prompts, ['touch the YubiKey now (always)']);
      await assert.rejects(s.signer(key).sign(data), isErr('USER_ACTION_REQUIRED', /touch the YubiKey while it blinks/));
      // a key without a touch policy never prompts
      const quiet: string[] = [];
      await s.signer(s.findKey({ id: Uint8Array.of(2) }), { onUserPresence: () => void quiet.push('x') }).sign(data);
      assert.deepEqual(quiet, []);
    });
  });

  test("attestation read from the token verifies (under the double's test root) and names slot, serial and policies", async () => {
    await withYk(async (s) => {
      const certs = s.attestationCertificates({ id: Uint8Array.of(2) });
      assert.ok(certs);
      const v = await verifyAttestation({
        ...certs,
        roots: [new TextEncoder().encode(yk.root.pem)],
        expectPublicKeySpki: s.findKey({ id: Uint8Array.of(2) }).publicKeySpki,
      });
      assert.ok(v.ok, v.ok ? '' : v.reason);
      assert.deepEqual(
        [v.report.slot, v.report.serial, v.report.firmware, v.report.pinPolicy, v.report.touchPolicy],
        ['9c', 12345678, '5.4.3', 'always', 'never'],
      );
      // and not under the bundled Yubico roots: the double is not a YubiKey
      assert.equal((await verifyAttestation(certs)).ok, false);
    });
  });

  test('a ceremony on the YubiKey: the key in slot 9c, attestation read from the token, checked and recorded; bundle verifies', async () => {
    const script: CeremonyScript = {
      version: 1,
      name: 'yk-root',
      title: 'Root key on a YubiKey',
      participants: [{ id: 'admin', name: 'Administrator', role: 'administrator' }],
      tokens: [{ id: 'yk', label }],
      keys: [{ id: 'root', token: 'yk', label: 'root', keyType: 'ecdsa-p256', slot: '9d' }],
      steps: [
        { id: 'keygen', kind: 'keygen', params: { keys: ['root'], attestation: { roots: ['test-root.pem'] } } },
        { id: 'close', kind: 'close', params: { signWith: ['root'] } },
      ],
    };
    const journal = new MemJournal();
    const store = new MemStore(journal);
    const said: string[] = [];
    const engine = new CeremonyEngine({
      script,
      scriptText: JSON.stringify(script),
      rehearsal: false,
      kinds: BUILTIN_KINDS,
      services: { tokens: new Pkcs11TokenService(mod), inputs: { read: async () => new TextEncoder().encode(yk.root.pem) } },
      prompter: { ...autoPrompter({ log: said }), pin: () => enc(YK_PIN), soPin: () => enc(YK_MANAGEMENT_KEY) },
      journal,
      outputs: store,
      clock: fixedClock(),
      randomHex,
    });
    await engine.run();
    const es = (await verifyTranscript(journal.lines)).entries;
    const gen = es.find((e) => e.event === 'key-generated');
    assert.equal(gen?.keys?.[0]?.label, 'Private key for Key Management');
    const att = es.find((e) => e.event === 'key-attested');
    assert.deepEqual([att?.facts?.source, att?.facts?.slot, att?.facts?.serial], ['token', '9d', 12345678]);
    const v = await verifyBundle({ list: () => store.list(), read: (p) => store.read(p) }, { requireProduction: true });
    assert.deepEqual(v.problems, []);
    assert.deepEqual(
      v.attested.map((a) => [a.key, a.serial]),
      [['root', 12345678]],
    );
  });

  test('the CLI: keygen --slot with the management key as the SO PIN; without --slot it says which slots exist', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const kc = (args: string[]) =>
      main(args, {
        ...makeContext({ env: { ...process.env, KEYCEREMONY_PIN: YK_PIN, KEYCEREMONY_SO_PIN: YK_MANAGEMENT_KEY } }),
        out: (l: string) => void out.push(l),
        err: (l: string) => void err.push(l),
        openModule: () => Pkcs11Module.open('/double/libykcs11.so', { library: yk as never }),
      });
    assert.equal(await kc(['keygen', '--token', label, '--type', 'ecdsa-p384', '--slot', '9e']), 0, err.join('\n'));
    assert.match(out.join('\n'), /created: ecdsa-p384 key "Private key for Card Authentication" id 04 on token "YubiKey PIV #12345678"/);
    assert.equal(await kc(['keygen', '--token', label, '--type', 'ecdsa-p256', '--label', 'mine']), 1);
    assert.match(err.join('\n'), /error\[INVALID_INPUT\]: A YubiKey keeps keys in fixed PIV slots/);
  });

  test('wrong PINs count down as ykcs11 reports them: 2, 1, locked', async () => {
    const wrong = enc('654321');
    await assert.rejects(
      mod.withSession({ label }, { pin: wrong }, () => 0),
      isErr('PIN_INCORRECT', /2 tries are left before the token locks/),
    );
    assert.equal(mod.findToken({ label }).pinTriesLeft, 2);
    await assert.rejects(
      mod.withSession({ label }, { pin: wrong }, () => 0),
      isErr('PIN_INCORRECT', /Only ONE try is left/),
    );
    await assert.rejects(
      mod.withSession({ label }, { pin: wrong }, () => 0),
      isErr('PIN_LOCKED'),
    );
    assert.equal(mod.findToken({ label }).pinTriesLeft, 0);
  });
});

/**
 * Token layer against a real PKCS#11 module (SoftHSM2), inspected by OpenSC's pkcs11-tool and
 * verified by openssl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { CKR, Pkcs11Module, createSelfSignedCert, mapPkcs11Error, profileFor, rvName, type TokenSession } from '../../electron/adapters/pkcs11';
import { KeyceremonyError } from '../../shared/errors';
import { pemEncode } from '../../shared/encoding/bytes';
import { KeyTypes, type KeyType } from '../../shared/crypto/algorithms';
import { keyTypesFromMechanisms } from '../../electron/adapters/pkcs11';

let hsm: TestHsm;
let mod: Pkcs11Module;
let work: string;
const A = 'kc-token-a';

const listObjects = (label = A) =>
  execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', label, '--login', '--pin', '1234', '--list-objects'], {
    encoding: 'utf8',
    env: { ...process.env, SOFTHSM2_CONF: hsm.conf },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const countPrivateKeys = (label = A) => (listObjects(label).match(/Private Key Object/g) ?? []).length;
const withA = <T>(fn: (s: TokenSession) => Promise<T> | T, pin = hsm.pinOf(A)) => mod.withSession({ label: A }, { pin, rw: true }, fn);
/** A plain pkcs11js session beside ours on the same token (the token layer has no raw escape hatch). */
function rawSession<T>(s: TokenSession, fn: (lib: pkcs11js.PKCS11, session: Buffer) => T): T {
  const lib = new pkcs11js.PKCS11();
  lib.load(s.modulePath);
  try {
    lib.C_Initialize();
  } catch (e) {
    if ((e as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
  }
  const session = lib.C_OpenSession(Buffer.from(s.token.slotId, 'hex'), pkcs11js.CKF_SERIAL_SESSION);
  try {
    return fn(lib, session);
  } finally {
    lib.C_CloseSession(session);
  }
}
/** The test key of a type, made by the key generation tests or, when a test runs alone, here (keygen is idempotent). */
const keyOf = async (s: TokenSession, keyType: KeyType) => (await s.generateKeyPair({ keyType, label: `key-${keyType}` })).key;
const isErr = (code: string) => (e: unknown) => e instanceof KeyceremonyError && e.code === code;

before(async () => {
  hsm = await makeSoftHsm([A, 'kc-token-b']);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(join(tmpdir(), 'kc-pkcs11-'));
});
after(() => {
  mod?.close();
  hsm?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('inventory', () => {
  test('lists tokens by label and serial with custodian-relevant flags and mechanisms', () => {
    const toks = mod.tokens().filter((t) => t.flags.tokenInitialized);
    assert.deepEqual(toks.map((t) => t.label).sort(), [A, 'kc-token-b']);
    const a = mod.findToken({ label: A });
    assert.equal(a.serial, hsm.tokens[0]?.serial);
    assert.equal(a.manufacturer, 'SoftHSM project');
    assert.equal(a.flags.loginRequired, true);
    assert.equal(a.flags.pinLocked, false);
    assert.ok(a.mechanisms.includes('ECDSA') && a.mechanisms.includes('EDDSA') && a.mechanisms.includes('AES_KEY_WRAP_PAD'));
    assert.deepEqual(a.keyTypes, [...KeyTypes]);
    assert.equal(mod.findToken({ serial: a.serial }).label, A);
  });

  test('an unknown token is a clear TOKEN_NOT_FOUND that lists what is present', () => {
    assert.throws(
      () => mod.findToken({ label: 'nope' }),
      (e: unknown) => isErr('TOKEN_NOT_FOUND')(e) && /kc-token-a/.test((e as Error).message),
    );
    assert.throws(() => mod.findToken({ label: A, serial: '0000' }), isErr('TOKEN_NOT_FOUND'));
  });
});

describe('key generation', () => {
  for (const keyType of KeyTypes) {
    test(`${keyType}: generated on the token, sensitive, never extractable, sign-only; openssl verifies its signature`, async () => {
      const label = `key-${keyType}`;
      const msg = Buffer.from(`message for ${keyType}`);
      const { sig, pem, alg } = await withA(async (s) => {
        const { key, created } = await s.generateKeyPair({ keyType, label });
        assert.equal(created, true);
        assert.equal(key.attrs.sensitive, true);
        assert.equal(key.attrs.extractable, false);
        assert.equal(key.attrs.neverExtractable, true);
        assert.equal(key.attrs.decrypt || key.attrs.unwrap || key.attrs.derive, false);
        const signer = s.signer(key);
        return { sig: await signer.sign(msg), pem: pemEncode('PUBLIC KEY', key.publicKeySpki), alg: signer.algorithm };
      });
      const dir = mkdtempSync(join(work, 'v-'));
      writeFileSync(join(dir, 'pub.pem'), pem);
      writeFileSync(join(dir, 'msg'), msg);
      writeFileSync(join(dir, 'sig'), sig);
      const args =
        alg === 'ed25519'
          ? ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', 'msg', '-sigfile', 'sig']
          : alg === 'rsa-pss-sha256'
            ? ['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-verify', 'pub.pem', '-signature', 'sig', 'msg']
            : ['dgst', alg === 'ecdsa-p384-sha384' ? '-sha384' : '-sha256', '-verify', 'pub.pem', '-signature', 'sig', 'msg'];
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Verified OK|Signature Verified Successfully/);
      // Tampered message fails in openssl too (the check can fail).
      writeFileSync(join(dir, 'msg'), Buffer.concat([msg, Buffer.from('!')]));
      assert.notEqual(spawnSync('openssl', args, { cwd: dir }).status, 0);
      // pkcs11-tool, the independent inspector, sees what we created.
      const listing = listObjects();
      const block = listing.split(/\n(?=\S)/).find((b) => b.startsWith('Private Key Object') && b.includes(`label:      ${label}`));
      assert.ok(block, `pkcs11-tool lists ${label}:\n${listing}`);
      assert.match(block, /Usage:\s+sign\s*\n/);
      assert.match(block, /Access:\s+sensitive, always sensitive, never extractable, local/);
    });
  }

  test('RSA keys also sign PKCS#1 v1.5 (cosign RSA) and openssl verifies it', async () => {
    const { sig, pem } = await withA(async (s) => {
      const key = await keyOf(s, 'rsa-3072');
      return { sig: await s.signer(key, { algorithm: 'rsa-pkcs1-sha256' }).sign(Buffer.from('m')), pem: pemEncode('PUBLIC KEY', key.publicKeySpki) };
    });
    const dir = mkdtempSync(join(work, 'p1-'));
    writeFileSync(join(dir, 'pub.pem'), pem);
    writeFileSync(join(dir, 'msg'), 'm');
    writeFileSync(join(dir, 'sig'), sig);
    const r = spawnSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig', 'msg'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test('re-running keygen finds the same key (idempotent); a clashing label or id is refused and nothing is created', async () => {
    await withA((s) => keyOf(s, 'ecdsa-p256'));
    const before = countPrivateKeys();
    await withA(async (s) => {
      const first = s.findKey({ label: 'key-ecdsa-p256' });
      const again = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'key-ecdsa-p256' });
      assert.equal(again.created, false);
      assert.equal(again.key.fingerprint, first.fingerprint);
      await assert.rejects(s.generateKeyPair({ keyType: 'ed25519', label: 'key-ecdsa-p256' }), isErr('KEY_EXISTS'));
      await assert.rejects(s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'new-label', id: first.id }), isErr('KEY_EXISTS'));
    });
    assert.equal(countPrivateKeys(), before);
  });

  test('backup-able profile: extractable only with a trusted wrapping key', async () => {
    await withA(async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'backupable', profile: 'backupable' });
      assert.equal(key.attrs.sensitive, true);
      assert.equal(key.attrs.extractable, true);
      assert.equal(key.attrs.wrapWithTrusted, true);
    });
    const block = listObjects()
      .split(/\n(?=\S)/)
      .find((b) => b.startsWith('Private Key Object') && b.includes('label:      backupable'));
    assert.match(block ?? '', /Access:\s+sensitive, always sensitive, extractable, local/);
  });
});

describe('errors: each clear, and nothing created', () => {
  test('wrong PIN -> PIN_INCORRECT naming the token, no key created, PIN not in the message', async () => {
    const before = countPrivateKeys();
    await assert.rejects(
      withA(
        (s) => s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'never' }),
        () => new TextEncoder().encode('987654'),
      ),
      (e: unknown) => isErr('PIN_INCORRECT')(e) && /kc-token-a/.test((e as Error).message) && !/987654/.test(JSON.stringify(e) + (e as Error).message),
    );
    assert.equal(countPrivateKeys(), before);
  });

  test('a PIN buffer is zeroed after login', async () => {
    const pin = new TextEncoder().encode('1234');
    await withA(
      () => undefined,
      () => pin,
    );
    assert.deepEqual([...pin], [0, 0, 0, 0]);
  });

  test('unsupported mechanism (SoftHSM 2.6 has no CKM_ECDSA_SHA256) -> MECHANISM_UNSUPPORTED', async () => {
    await withA(async (s) => {
      const key = await keyOf(s, 'ecdsa-p256');
      try {
        rawSession(s, (lib, session) => lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA_SHA256 }, key.privateHandle));
        assert.fail('SoftHSM accepted CKM_ECDSA_SHA256');
      } catch (e) {
        const m = mapPkcs11Error(e, 'signing');
        assert.equal(m.code, 'MECHANISM_UNSUPPORTED');
        assert.match(m.message, /does not support this algorithm/);
      }
    });
  });

  test('a key type asked with an algorithm it cannot use is refused before the token is touched', async () => {
    await withA(async (s) => {
      const key = await keyOf(s, 'ed25519');
      assert.throws(() => s.signer(key, { algorithm: 'ecdsa-p256-sha256' }), isErr('ALGORITHM_UNSUPPORTED'));
    });
  });

  test('unknown key -> KEY_NOT_FOUND naming the token', async () => {
    await withA((s) =>
      assert.throws(
        () => s.findKey({ label: 'missing' }),
        (e: unknown) => isErr('KEY_NOT_FOUND')(e) && /kc-token-a/.test((e as Error).message),
      ),
    );
  });

  test('no PIN for a login-required token -> PIN_REQUIRED', async () => {
    await assert.rejects(
      mod.withSession({ label: A }, { login: true }, () => undefined),
      isErr('PIN_REQUIRED'),
    );
  });
});

describe('context-specific login (CKA_ALWAYS_AUTHENTICATE, like YubiKey PIV 9c)', () => {
  test('the PIN is asked again for each signature', async () => {
    let asked = 0;
    const pin = () => {
      asked++;
      return new TextEncoder().encode('1234');
    };
    await mod.withSession({ label: A }, { pin, rw: true }, async (s) => {
      await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'always-auth', alwaysAuthenticate: true });
      const k2 = s.findKey({ label: 'always-auth' });
      assert.equal(k2.attrs.alwaysAuthenticate, true);
      const signer = s.signer(k2);
      await signer.sign(Buffer.from('a'));
      await signer.sign(Buffer.from('b'));
    });
    assert.equal(asked, 3, 'one session login + one context login per signature');
  });
});

describe('module lifecycle', () => {
  test('opening a module another library instance already initialised works (CKR_CRYPTOKI_ALREADY_INITIALIZED tolerated)', () => {
    const other = new pkcs11js.PKCS11();
    other.load(hsm.module);
    const m2 = Pkcs11Module.open(hsm.module); // shares the already-open handle in this process
    try {
      assert.equal(m2.findToken({ label: A }).label, A);
    } finally {
      m2.close();
    }
    // The first handle is still usable after the second closes (reference-counted).
    assert.equal(mod.findToken({ label: A }).label, A);
  });

  test('a token that cannot make a key type refuses it by name before touching the token', () => {
    assert.deepEqual(keyTypesFromMechanisms(new Set([pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN, pkcs11js.CKM_RSA_PKCS])), ['rsa-3072', 'rsa-4096']);
    assert.deepEqual(keyTypesFromMechanisms(new Set([pkcs11js.CKM_EC_KEY_PAIR_GEN])), []);
  });
});

describe('token layer structure (one login, one set of templates, profiles at the edge)', () => {
  test('CK_RV names come from pkcs11js: 0xb7 is SESSION_READ_ONLY_EXISTS, 0xb8 READ_WRITE_SO_EXISTS, 0x1b8 PIN_TOO_WEAK', () => {
    assert.equal(rvName(0xb7), 'CKR_SESSION_READ_ONLY_EXISTS');
    assert.equal(rvName(0xb8), 'CKR_SESSION_READ_WRITE_SO_EXISTS');
    assert.equal(rvName(0x1b8), 'CKR_PIN_TOO_WEAK');
    assert.equal(CKR.KEY_NOT_WRAPPABLE, 0x69);
    assert.equal(mapPkcs11Error({ code: 0x1b8 }, 'setting a PIN').code, 'PIN_INVALID');
    assert.equal(mapPkcs11Error({ code: 0xb8 }, 'logging in').details?.ckr, 'CKR_SESSION_READ_WRITE_SO_EXISTS');
  });

  test('each token names its profile; SoftHSM tokens get softhsm2, an unknown module generic', () => {
    assert.equal(mod.findToken({ label: A }).profile, 'softhsm2');
    const info = mod.info();
    assert.equal(profileFor({ module: { ...info, manufacturer: 'Acme' }, token: { manufacturer: 'Acme', model: 'x', label: 'l', serial: 's' } }).id, 'generic');
  });

  test('a wrong SO PIN in the SO/user switch says "security officer", and the user is logged back in', async () => {
    await withA(async (s) => {
      await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'so-switch' });
      await assert.rejects(
        s.asSecurityOfficer(
          () => new TextEncoder().encode('00000000'),
          hsm.pinOf(A),
          () => 'never',
        ),
        (e: unknown) => isErr('PIN_INCORRECT')(e) && /security officer/.test((e as Error).message),
      );
      assert.equal(s.findKeys({ label: 'so-switch' }).length, 1, 'private keys visible again: the user is logged in');
      const so = new TextEncoder().encode('12345678');
      assert.equal(
        await s.asSecurityOfficer(
          () => so,
          hsm.pinOf(A),
          () => 'as SO',
        ),
        'as SO',
      );
      assert.deepEqual([...so], new Array(8).fill(0), 'SO PIN bytes zeroed');
      assert.equal(s.findKeys({ label: 'so-switch' }).length, 1);
    });
  });
});

describe('batch signing', () => {
  test('signMany returns verified signatures in order, reports progress, and can be cancelled', async () => {
    const { createPublicKey, verify } = await import('node:crypto');
    await withA(async (s) => {
      const key = await keyOf(s, 'ecdsa-p256');
      const signer = s.signer(key);
      const msgs = Array.from({ length: 300 }, (_, i) => Buffer.from(`digest ${i}`));
      let last = 0;
      const sigs = await signer.signMany(msgs, { onProgress: (d) => (last = d) });
      assert.equal(last, 300);
      const pub = createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
      sigs.forEach((sig, i) => assert.ok(verify('sha256', msgs[i] as Buffer, pub, sig), `signature ${i}`));
      assert.ok(!verify('sha256', msgs[1] as Buffer, pub, sigs[0] as Uint8Array), 'signatures are per message');
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(signer.signMany(msgs, { signal: ac.signal }), isErr('CANCELLED'));
      // A cancel that arrives while the token is signing (at the batch's first turn of the event loop,
      // after 4 ms) stops it between two signatures, long before the end; nothing is returned.
      const many = Array.from({ length: 3000 }, (_, i) => Buffer.from(`digest ${i}`));
      const mid = new AbortController();
      setImmediate(() => mid.abort());
      await assert.rejects(signer.signMany(many, { signal: mid.signal }), (e: unknown) => {
        const d = (e as KeyceremonyError).details as { done: number; total: number };
        return isErr('CANCELLED')(e) && d.total === 3000 && d.done < 1500;
      });
    });
  });

  test('signMany hands back the digests it signed (for a cosign bundle) only for the hash it used', async () => {
    const { createHash } = await import('node:crypto');
    await withA(async (s) => {
      const signer = s.signer(await keyOf(s, 'ecdsa-p256'));
      const msgs = Array.from({ length: 40 }, (_, i) => Buffer.from(`payload ${i}`));
      const out: (Uint8Array | undefined)[] = new Array(msgs.length);
      await signer.signMany(msgs, { digests: { algorithm: 'sha256', out } });
      msgs.forEach((m, i) => assert.equal(Buffer.from(out[i] as Uint8Array).toString('hex'), createHash('sha256').update(m).digest('hex'), `digest ${i}`));
      const other: (Uint8Array | undefined)[] = new Array(msgs.length);
      await signer.signMany(msgs, { digests: { algorithm: 'sha384', out: other } });
      assert.ok(
        other.every((d) => d === undefined),
        'a P-256/SHA-256 signer leaves SHA-384 digests to the caller',
      );
    });
  });

  test('signMany verifies every signature: a token whose signatures do not verify fails the batch, nothing returned', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    await withA(async (s) => {
      const key = await keyOf(s, 'ecdsa-p256');
      // The token signs with its key; the signer checks against another public key, as a faulty token would look.
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
      const faulty = s.signer({ ...key, publicKeySpki: new Uint8Array(other) });
      const msgs = Array.from({ length: 100 }, (_, i) => Buffer.from(`m ${i}`));
      let progress = 0;
      await assert.rejects(faulty.signMany(msgs, { onProgress: (d) => (progress = d) }), isErr('SIGNATURE_SELF_CHECK_FAILED'));
      assert.equal(progress, 0, 'no signature counted as verified');
    });
  });
});

describe('X.509', () => {
  test('a self-signed cert signed on the token: openssl x509 -text shows CN, EKU codeSigning; openssl verify accepts it', async () => {
    const pem = await withA(async (s) => (await createSelfSignedCert(s.signer(await keyOf(s, 'ecdsa-p256')), { cn: 'docker.io/acme/app', days: 3650 })).pem);
    const f = join(work, 'cert.pem');
    writeFileSync(f, pem);
    const text = execFileSync('openssl', ['x509', '-in', f, '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /Subject: CN ?= ?docker\.io\/acme\/app/);
    assert.match(text, /Code Signing/);
    assert.match(text, /CA:FALSE/);
    assert.match(text, /ecdsa-with-SHA256/);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', f, f], { encoding: 'utf8' }), /OK/);
    const pub = execFileSync('openssl', ['x509', '-in', f, '-noout', '-pubkey'], { encoding: 'utf8' });
    const tokPub = await withA(async (s) => pemEncode('PUBLIC KEY', (await keyOf(s, 'ecdsa-p256')).publicKeySpki));
    assert.equal(pub, tokPub, 'the certificate carries the token key');
    assert.ok(readFileSync(f).length > 0);
  });
});

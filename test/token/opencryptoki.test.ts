/**
 * The third real PKCS#11 module: openCryptoki 3.8 soft token, RSA only, in a private mount+IPC
 * namespace started for this file by scripts/ock-up.sh (its paths are compiled in, so the tests re-run
 * themselves inside the namespace). The RSA paths: TUF root keys (rsassa-pss-sha256) made and used on
 * the token, a cosign RSA (PKCS#1 v1.5) signature checked by sigstore-js and openssl; the attributes
 * keyceremony sets explicitly against openCryptoki's insecure defaults read back; what does not apply
 * here (EC keys, backup) refused by name; PIN tries left as the token reports them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pkcs11Module, type TokenSession } from '../../electron/adapters/pkcs11';
import { createBackup } from '../../electron/adapters/pkcs11/backup';
import { signImages } from '../../electron/core/cosign/sign';
import { verifyBundle as verifyCosignBundle } from '../../electron/core/cosign/verify';
import { parseImageReference } from '../../shared/cosign/reference';
import { pemEncode } from '../../shared/encoding/bytes';
import { KeyceremonyError } from '../../shared/errors';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { sigstoreJsVerify } from '../helpers/sigstore-verify';
import { OCK, OCK_MODULE, insideOpenCryptoki, markModuleExercised, runInOpenCryptokiNamespace } from '../helpers/token-modules';

const isErr = (code: string, re?: RegExp) => (e: unknown) => e instanceof KeyceremonyError && e.code === code && (!re || re.test(e.message));

if (!insideOpenCryptoki) {
  runInOpenCryptokiNamespace(import.meta.filename, 'openCryptoki soft token: RSA paths (run inside a private pkcsslotd namespace)');
} else {
  describe('openCryptoki soft token', () => {
    let mod: Pkcs11Module;
    let dir: string;
    const pin = () => () => new TextEncoder().encode(OCK.pin);
    const withOck = <T>(fn: (s: TokenSession) => Promise<T> | T) => mod.withSession({ label: OCK.label }, { pin: pin(), rw: true }, fn);
    async function kc(args: string[]) {
      const out: string[] = [];
      const err: string[] = [];
      const ctx = {
        ...makeContext({ env: { ...process.env, KEYCEREMONY_PKCS11_MODULE: OCK_MODULE } }),
        out: (l: string) => void out.push(l),
        err: (l: string) => void err.push(l),
      };
      return { code: await main(args, ctx), out: out.join('\n'), err: err.join('\n') };
    }
    const p11 = (args: string[]) => spawnSync('pkcs11-tool', ['--module', OCK_MODULE, '--slot', '3', ...args], { encoding: 'utf8' });

    before(() => {
      mod = Pkcs11Module.open(OCK_MODULE);
      dir = mkdtempSync(join(tmpdir(), 'kc-ock-test-'));
      writeFileSync(join(dir, 'pin'), `${OCK.pin}\n`);
    });
    after(() => {
      mod?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('inventory: the openCryptoki profile, serial "123" (not unique), RSA only, PINs 4-8', () => {
      const t = mod.findToken({ label: OCK.label });
      assert.equal(t.profile, 'opencryptoki-sw');
      assert.equal(t.serial, '123');
      assert.equal(t.serialIsUnique, false);
      assert.deepEqual(t.keyTypes, ['rsa-3072', 'rsa-4096']);
      assert.deepEqual([t.minPinLen, t.maxPinLen], [4, 8]);
    });

    test('RSA-3072 key: keyceremony sets private, sensitive, non-extractable explicitly (openCryptoki defaults are the opposite); EC refused by name', async () => {
      await withOck(async (s) => {
        const { key } = await s.generateKeyPair({ keyType: 'rsa-3072', label: 'attrs' });
        assert.deepEqual(
          [key.attrs.private, key.attrs.sensitive, key.attrs.extractable, key.attrs.sign, key.attrs.decrypt, key.attrs.unwrap, key.attrs.derive],
          [true, true, false, true, false, false, false],
        );
        await assert.rejects(
          s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'no-ec' }),
          isErr('ALGORITHM_UNSUPPORTED', /cannot generate ecdsa-p256 keys\. It supports: rsa-3072, rsa-4096/),
        );
      });
      // the key is not visible without login (CKA_PRIVATE), unlike a minimal-template key on this token
      const anon = p11(['--list-objects', '--type', 'privkey']);
      assert.doesNotMatch(anon.stdout, /attrs/);
    });

    test('TUF root keys with rsassa-pss-sha256 made and used on the token: init, signing request, verify', async () => {
      await withOck(async (s) => {
        for (const label of ['root-rsa', 'online-rsa']) {
          const { key } = await s.generateKeyPair({ keyType: 'rsa-3072', label });
          writeFileSync(join(dir, `${label}.pem`), pemEncode('PUBLIC KEY', key.publicKeySpki));
        }
      });
      const repo = join(dir, 'repo');
      const md = join(repo, 'metadata');
      const pinFile = ['--pin-file', join(dir, 'pin')];
      const init = await kc([
        'tuf',
        'init',
        '--out',
        repo,
        '--threshold',
        '1',
        '--online-key',
        join(dir, 'online-rsa.pem'),
        '--root-key',
        join(dir, 'root-rsa.pem'),
        '--token',
        OCK.label,
        '--label',
        'online-rsa',
        ...pinFile,
      ]);
      assert.equal(init.code, 0, init.err);
      const signed = await kc([
        'tuf',
        'sign',
        join(repo, 'requests', '1.root.request.json'),
        '--token',
        OCK.label,
        '--label',
        'root-rsa',
        ...pinFile,
        '--write',
        md,
      ]);
      assert.equal(signed.code, 0, signed.err + signed.out);
      const root = JSON.parse(readFileSync(join(md, '1.root.json'), 'utf8')) as {
        signed: { keys: Record<string, { keytype: string; scheme: string }> };
        signatures: { sig: string }[];
      };
      assert.ok(Object.values(root.signed.keys).every((k) => k.keytype === 'rsa' && k.scheme === 'rsassa-pss-sha256'));
      assert.equal(root.signatures[0]?.sig.length, 768, 'an RSA-3072 signature, hex');
      const v = await kc(['tuf', 'verify', '--trusted-root', join(md, '1.root.json'), '--metadata', md, '--json']);
      assert.equal(v.code, 0, v.out + v.err);
      assert.equal((JSON.parse(v.out) as { ok: boolean }).ok, true);
      markModuleExercised('opencryptoki');
    });

    test('a cosign RSA signature (PKCS#1 v1.5, SHA-256) made on the token verifies with sigstore-js and openssl', async () => {
      await withOck(async (s) => {
        const key = s.findKey({ label: 'attrs' }); // the RSA-3072 key made above (RSA keygen takes ~1 s here)
        const img = parseImageReference(`registry.example.com/app@sha256:${'cd'.repeat(32)}`);
        const [r] = await signImages(s.signer(key, { algorithm: 'rsa-pkcs1-sha256' }), [img]);
        assert.ok(r);
        assert.equal((await verifyCosignBundle({ spki: key.publicKeySpki, bundle: r.bundle, artifact: r.payload, image: img })).valid, true);
        sigstoreJsVerify(r.bundle, createHash('sha256').update(key.publicKeySpki).digest('hex'), key.publicKeySpki, r.payload);
        writeFileSync(join(dir, 'c.pub'), pemEncode('PUBLIC KEY', key.publicKeySpki));
        writeFileSync(join(dir, 'c.payload'), r.payload);
        writeFileSync(join(dir, 'c.sig'), r.signature);
        const v = spawnSync('openssl', ['dgst', '-sha256', '-verify', 'c.pub', '-signature', 'c.sig', 'c.payload'], { cwd: dir, encoding: 'utf8' });
        assert.equal(v.status, 0, v.stdout + v.stderr);
      });
    });

    test('backup does not apply (no AES key wrap): said plainly, nothing created', async () => {
      await withOck(async (s) => {
        await assert.rejects(
          s.generateKeyPair({ keyType: 'rsa-3072', label: 'no-backup', profile: 'backupable' }),
          isErr('MECHANISM_UNSUPPORTED', /openCryptoki 3\.8 offers no AES key wrap/),
        );
        await assert.rejects(
          createBackup(s, { key: { label: 'attrs' }, m: 2, n: 3, custodians: ['a', 'b', 'c'] }),
          isErr('MECHANISM_UNSUPPORTED', /A backup on token "ockA" is not possible/),
        );
        assert.equal(s.findKeys({ label: 'no-backup' }).length, 0);
      });
    });

    test('PINs: a length outside 4-8 is refused before the token counts it; wrong PINs count down as the token reports (2, 1, locked); the SO unlocks', async () => {
      const bad = (p: string) => () => new TextEncoder().encode(p);
      // openCryptoki's C_Login does not check the length and counts such a PIN as wrong: refused before it
      await assert.rejects(
        mod.withSession({ label: OCK.label }, { pin: bad('123456789') }, () => 0),
        isErr('PIN_INVALID', /accepts PINs of 4 to 8 characters; this one has 9\. Nothing was sent to the token, no try was used/),
      );
      assert.equal(mod.findToken({ label: OCK.label }).flags.pinCountLow, false, 'no try used');
      await assert.rejects(
        mod.withSession({ label: OCK.label }, { pin: bad('9999') }, () => 0),
        isErr('PIN_INCORRECT', /2 tries are left before the token locks/),
      );
      await assert.rejects(
        mod.withSession({ label: OCK.label }, { pin: bad('9998') }, () => 0),
        isErr('PIN_INCORRECT', /Only ONE try is left/),
      );
      await assert.rejects(
        mod.withSession({ label: OCK.label }, { pin: bad('9997') }, () => 0),
        isErr('PIN_LOCKED'),
      );
      assert.equal(mod.findToken({ label: OCK.label }).pinTriesLeft, 0);
      await assert.rejects(
        mod.withSession({ label: OCK.label }, { pin: pin() }, () => 0),
        isErr('PIN_LOCKED', /security officer must reset it/),
      );
      const unlock = p11(['--login', '--login-type', 'so', '--so-pin', OCK.soPin, '--init-pin', '--pin', OCK.pin]);
      assert.equal(unlock.status, 0, unlock.stderr);
      assert.equal(await mod.withSession({ label: OCK.label }, { pin: pin() }, () => 'in'), 'in');
    });
  });
}

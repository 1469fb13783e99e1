/**
 * The second real PKCS#11 module: tpm2-pkcs11 1.9 on a software TPM (swtpm + tpm2-abrmd), started for
 * this file by scripts/tpm-up.sh. Keygen (P-256, P-384, RSA-3072), the attributes read back, signatures
 * verified before they are returned and again by openssl, the tpm2 profile's refusals said plainly
 * (Ed25519, RSA-4096, backup), token selection when every token has serial 0000000000000000, a TUF
 * signing request signed on the TPM, a small ceremony on the TPM, and the TPM's dictionary-attack
 * lockout turned into a message that says what it is.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pkcs11Module, type TokenSession } from '../../electron/adapters/pkcs11';
import { createBackup } from '../../electron/adapters/pkcs11/backup';
import { Pkcs11TokenService } from '../../electron/adapters/ceremony/token-service';
import { CeremonyEngine } from '../../electron/core/ceremony/engine';
import { BUILTIN_KINDS } from '../../electron/core/ceremony/steps';
import { tufService } from '../../electron/core/ceremony/services/tuf';
import { verifyBundle } from '../../electron/core/ceremony/bundle';
import type { CeremonyScript } from '../../electron/core/ceremony/types';
import { signImages } from '../../electron/core/cosign/sign';
import { verifyBundle as verifyCosignBundle } from '../../electron/core/cosign/verify';
import { parseImageReference } from '../../shared/cosign/reference';
import { pemEncode } from '../../shared/encoding/bytes';
import { KeyceremonyError } from '../../shared/errors';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { MemJournal, MemStore, autoPrompter, fixedClock, randomHex } from '../helpers/ceremony-fakes';
import { TPM2_MODULE, makeTpm2Token, markModuleExercised, tpm2ChildEnv, tpm2Unavailable, type Tpm2Token } from '../helpers/token-modules';

const why = tpm2Unavailable();
const isErr = (code: string, re?: RegExp) => (e: unknown) => e instanceof KeyceremonyError && e.code === code && (!re || re.test(e.message));

describe('tpm2-pkcs11 on a software TPM', { skip: why ? `tpm2-pkcs11 not exercised: ${why}` : false }, () => {
  let tpm: Tpm2Token;
  let mod: Pkcs11Module;
  let dir: string;
  const withTpm = <T>(fn: (s: TokenSession) => Promise<T> | T) => mod.withSession({ label: tpm.label }, { pin: tpm.pinOf(), rw: true }, fn);
  async function kc(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = {
      ...makeContext({ env: { ...process.env, KEYCEREMONY_NOW: '2026-03-01T00:00:00Z' } }),
      out: (l: string) => void out.push(l),
      err: (l: string) => void err.push(l),
    };
    return { code: await main(args, ctx), out: out.join('\n'), err: err.join('\n') };
  }

  before(() => {
    tpm = makeTpm2Token();
    mod = Pkcs11Module.open(TPM2_MODULE);
    dir = mkdtempSync(join(tmpdir(), 'kc-tpm2-test-'));
    writeFileSync(join(dir, 'pin'), `${tpm.pin}\n`);
  });
  after(() => {
    mod?.close();
    tpm?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('inventory: the tpm2 profile, serial all zeros (not unique), no Ed25519 and no RSA-4096', () => {
    const t = mod.findToken({ label: tpm.label });
    assert.equal(t.profile, 'tpm2-pkcs11');
    assert.equal(t.serial, '0000000000000000');
    assert.equal(t.serialIsUnique, false);
    assert.deepEqual(t.keyTypes, ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072']);
    // tpm2-pkcs11 always lists one more, uninitialised token with the same serial: serial alone is ambiguous
    assert.throws(
      () => mod.findToken({ serial: '0000000000000000' }),
      isErr('TOKEN_AMBIGUOUS', /same serial \(0000000000000000, profile tpm2-pkcs11\): select the token by label/),
    );
    assert.equal(mod.findToken({ label: tpm.label, serial: '0000000000000000' }).label, tpm.label);
  });

  test('keygen P-256, P-384, RSA-3072: sensitive, never extractable, sign; each signature self-checked, then verified by openssl', async () => {
    await withTpm(async (s) => {
      for (const [keyType, alg, dgst] of [
        ['ecdsa-p256', undefined, '-sha256'],
        ['ecdsa-p384', undefined, '-sha384'],
        ['rsa-3072', 'rsa-pss-sha256', '-sha256'],
        ['rsa-3072', 'rsa-pkcs1-sha256', '-sha256'],
      ] as const) {
        const label = `t-${keyType}-${alg ?? 'default'}`;
        const { key, created } = await s.generateKeyPair({ keyType, label });
        assert.equal(created, true);
        assert.deepEqual(
          [key.attrs.sensitive, key.attrs.extractable, key.attrs.private, key.attrs.sign, key.attrs.local, key.attrs.neverExtractable],
          [true, false, true, true, true, true],
          `${label} attributes`,
        );
        // documented tpm2-pkcs11 behaviour: the module sets CKA_DECRYPT itself (docs/hardware.md)
        assert.equal(key.attrs.decrypt, true);
        const signer = s.signer(key, alg ? { algorithm: alg } : {});
        const msg = new TextEncoder().encode(`signed on a TPM by ${label}`);
        const sig = await signer.sign(msg); // verified with the public key before it returns
        writeFileSync(join(dir, `${label}.pub`), pemEncode('PUBLIC KEY', key.publicKeySpki));
        writeFileSync(join(dir, `${label}.msg`), msg);
        writeFileSync(join(dir, `${label}.sig`), sig);
        const pss = alg === 'rsa-pss-sha256' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'] : [];
        const v = spawnSync('openssl', ['dgst', dgst, ...pss, '-verify', `${label}.pub`, '-signature', `${label}.sig`, `${label}.msg`], {
          cwd: dir,
          encoding: 'utf8',
        });
        assert.equal(v.status, 0, `${label}: ${v.stdout}${v.stderr}`);
        // idempotent re-run: the same key, nothing new
        assert.equal((await s.generateKeyPair({ keyType, label })).created, false);
      }
    });
    markModuleExercised('tpm2-pkcs11');
  });

  test('what a TPM cannot do is refused by name before the module is asked: Ed25519, RSA-4096, a backup-able key, a backup', async () => {
    await withTpm(async (s) => {
      await assert.rejects(s.generateKeyPair({ keyType: 'ed25519', label: 'no-ed' }), isErr('ALGORITHM_UNSUPPORTED', /cannot generate ed25519 keys/));
      await assert.rejects(s.generateKeyPair({ keyType: 'rsa-4096', label: 'no-4096' }), isErr('ALGORITHM_UNSUPPORTED', /cannot generate rsa-4096 keys/));
      await assert.rejects(
        s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'no-backup', profile: 'backupable' }),
        isErr(
          'MECHANISM_UNSUPPORTED',
          /A backup-able key on token "tpmA" is not possible: tpm2-pkcs11 has no key wrapping .* a key on a TPM can never be backed up/,
        ),
      );
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'kept' });
      await assert.rejects(
        createBackup(s, { key: { label: key.label }, m: 2, n: 3, custodians: ['a', 'b', 'c'] }),
        isErr('MECHANISM_UNSUPPORTED', /A backup on token "tpmA" is not possible/),
      );
      assert.equal(s.findKeys({ label: 'no-backup' }).length, 0, 'nothing was created');
    });
  });

  test('a TUF signing request signed on the TPM (tuf init / sign --token / verify) and a cosign signature checked by the verifier', async () => {
    const repo = join(dir, 'repo');
    const md = join(repo, 'metadata');
    await withTpm(async (s) => {
      for (const label of ['root-1', 'online']) {
        const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label });
        writeFileSync(join(dir, `${label}.pem`), pemEncode('PUBLIC KEY', key.publicKeySpki));
      }
    });
    const pin = ['--pin-file', join(dir, 'pin')];
    const init = await kc([
      'tuf',
      'init',
      '--out',
      repo,
      '--threshold',
      '1',
      '--online-key',
      join(dir, 'online.pem'),
      '--root-key',
      join(dir, 'root-1.pem'),
      '--token',
      tpm.label,
      '--label',
      'online',
      ...pin,
    ]);
    assert.equal(init.code, 0, init.err);
    const signed = await kc(['tuf', 'sign', join(repo, 'requests', '1.root.request.json'), '--token', tpm.label, '--label', 'root-1', ...pin, '--write', md]);
    assert.equal(signed.code, 0, signed.err + signed.out);
    const v = await kc(['tuf', 'verify', '--trusted-root', join(md, '1.root.json'), '--metadata', md, '--at', '2026-03-01T12:00:00Z', '--json']);
    assert.equal(v.code, 0, v.out + v.err);
    assert.equal((JSON.parse(v.out) as { ok: boolean }).ok, true);

    await withTpm(async (s) => {
      const key = s.findKey({ label: 'online' });
      const img = parseImageReference(`registry.example.com/app@sha256:${'ab'.repeat(32)}`);
      const [r] = await signImages(s.signer(key), [img]);
      assert.ok(r);
      assert.equal((await verifyCosignBundle({ spki: key.publicKeySpki, bundle: r.bundle, artifact: r.payload, image: img })).valid, true);
    });
  });

  test('a small ceremony on the TPM: keygen, first TUF metadata, sealed bundle verifies', async () => {
    const script: CeremonyScript = {
      version: 1,
      name: 'tpm-root',
      title: 'Root keys on a TPM',
      participants: [
        { id: 'admin', name: 'Administrator', role: 'administrator' },
        { id: 'wit', name: 'Witness', role: 'witness' },
      ],
      tokens: [{ id: 'tpm', label: tpm.label }],
      keys: [
        { id: 'root', token: 'tpm', label: 'cer-root', keyType: 'ecdsa-p256', purpose: 'tuf:root' },
        { id: 'online', token: 'tpm', label: 'cer-online', keyType: 'ecdsa-p384' },
      ],
      steps: [
        { id: 'keygen', kind: 'keygen', params: { keys: ['root', 'online'] } },
        {
          id: 'sign',
          kind: 'tuf-repository',
          params: {
            rootKeys: ['root'],
            rootThreshold: 1,
            online: { targets: ['online'], snapshot: ['online'], timestamp: ['online'] },
            expiresInDays: { root: 365, targets: 90, snapshot: 7, timestamp: 1 },
            consistentSnapshot: true,
          },
        },
        { id: 'close', kind: 'close', params: { signWith: ['root'] } },
      ],
    };
    const journal = new MemJournal();
    const store = new MemStore(journal);
    const engine = new CeremonyEngine({
      script,
      scriptText: JSON.stringify(script),
      rehearsal: false,
      kinds: BUILTIN_KINDS,
      services: { tokens: new Pkcs11TokenService(mod), tuf: tufService() },
      prompter: { ...autoPrompter(), pin: () => tpm.pinOf() },
      journal,
      outputs: store,
      clock: fixedClock(),
      randomHex,
    });
    await engine.run();
    const v = await verifyBundle({ list: () => store.list(), read: (p) => store.read(p) }, { requireProduction: true });
    assert.deepEqual(v.problems, []);
    assert.ok([...store.files.keys()].some((p) => p.startsWith('metadata/') && p.endsWith('root.json')));
    assert.equal(v.manifest?.keys.find((k) => k.id === 'root')?.token.serial ?? '0000000000000000', '0000000000000000');
  });

  test('wrong PINs: PIN_INCORRECT; with the TPM lockout on, three wrong PINs lock EVERY login and the message says what happened', async () => {
    const wrong = () => () => new TextEncoder().encode('9999');
    await assert.rejects(
      mod.withSession({ label: tpm.label }, { pin: wrong() }, () => 0),
      isErr('PIN_INCORRECT', /Wrong PIN for token "tpmA"/),
    );
    const env = tpm2ChildEnv(tpm);
    const da = (args: string[]) => spawnSync('tpm2_dictionarylockout', args, { env, encoding: 'utf8' });
    assert.equal(da(['--setup-parameters', '--max-tries=3', '--recovery-time=1000', '--lockout-recovery-time=1000']).status, 0);
    try {
      for (let i = 0; i < 3; i++) await assert.rejects(mod.withSession({ label: tpm.label }, { pin: wrong() }, () => 0));
      await assert.rejects(
        mod.withSession({ label: tpm.label }, { pin: tpm.pinOf() }, () => 0),
        isErr('PIN_LOCKED', /The TPM behind token "tpmA" refuses every PIN for now: .*the right PIN included.*tpm2_dictionarylockout --clear-lockout/),
      );
    } finally {
      assert.equal(da(['--clear-lockout']).status, 0);
      da(['--setup-parameters', '--max-tries=3', '--recovery-time=0', '--lockout-recovery-time=0']);
    }
    assert.equal(await mod.withSession({ label: tpm.label }, { pin: tpm.pinOf() }, () => 'in'), 'in');
    assert.ok(readFileSync(join(tpm.dir, 'env'), 'utf8').includes('TPM2_PKCS11_TCTI'));
  });
});

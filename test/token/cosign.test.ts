/**
 * cosign on SoftHSM2 tokens: image signatures and attestations signed on the token, checked by
 * sigstore-js (@sigstore/verify low-level Verifier with only our key) and by openssl over the raw
 * payload bytes; a flipped byte is rejected by both. Batch signing with progress and cancel. The CLI
 * end to end: m-of-n request filled by two tokens, status, export-policy, verify (exit 0 / 1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { sigstoreJsVerify } from '../helpers/sigstore-verify';
import { Pkcs11Module, type TokenKey, type TokenSession } from '../../electron/adapters/pkcs11';
import type { KeyType, SignatureAlgorithm } from '../../shared/crypto/algorithms';
import { parseImageReference } from '../../shared/cosign/reference';
import { publicKeyPem } from '../../shared/cosign/keys';
import { makeStatement, PREDICATE_TYPES } from '../../shared/cosign/intoto';
import { fromBase64, toBase64 } from '../../shared/encoding/bytes';
import { attest, signImages } from '../../electron/core/cosign/sign';
import { verifyBundle } from '../../electron/core/cosign/verify';

const BIN = resolve('bin/keyceremony.mjs');
const BATCH = Number(process.env.KC_COSIGN_TOKEN_BATCH ?? 1000);
let hsm: TestHsm;
let mod: Pkcs11Module;
let dir: string;

const digestOf = (i: number) => createHash('sha256').update(`image ${i}`).digest('hex');
const IMG = parseImageReference(`registry.example.com/rel/app@sha256:${digestOf(0)}`);

function withToken<T>(label: string, fn: (s: TokenSession) => Promise<T>): Promise<T> {
  return mod.withSession({ label }, { pin: hsm.pinOf(label), rw: true }, fn);
}
async function key(s: TokenSession, keyType: KeyType, label: string): Promise<TokenKey> {
  return (await s.generateKeyPair({ keyType, label })).key;
}
function openssl(args: string[]) {
  const r = spawnSync('openssl', args, { cwd: dir });
  return { code: r.status, out: r.stdout.toString() + r.stderr.toString() };
}
function kc(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_PIN: '' },
  });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}
const hint = (spki: Uint8Array) => createHash('sha256').update(spki).digest('hex');

before(async () => {
  hsm = await makeSoftHsm(['cos-a', 'cos-b', 'cos-c']);
  mod = Pkcs11Module.open(hsm.module);
  dir = mkdtempSync(join(tmpdir(), 'kc-cosign-'));
  writeFileSync(join(dir, 'pin'), '1234\n');
});
after(() => {
  mod?.close();
  hsm?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('signatures made on the token', () => {
  const cases: [KeyType, SignatureAlgorithm | undefined, string][] = [
    ['ecdsa-p256', undefined, 'p256'],
    ['ecdsa-p384', undefined, 'p384'],
    ['rsa-3072', 'rsa-pkcs1-sha256', 'rsa'],
    ['ed25519', undefined, 'ed'],
  ];
  for (const [kt, alg, name] of cases) {
    test(`${kt}: simple signing + bundle verify with sigstore-js and openssl; flipped byte rejected`, async () => {
      await withToken('cos-a', async (s) => {
        const k = await key(s, kt, `cosign-${name}`);
        const signer = s.signer(k, alg ? { algorithm: alg } : {});
        const [r] = await signImages(signer, [IMG]);
        assert.ok(r);
        assert.equal(r.bundle.verificationMaterial.publicKey?.hint, k.fingerprint);
        assert.equal((await verifyBundle({ spki: k.publicKeySpki, bundle: r.bundle, artifact: r.payload, image: IMG })).valid, true);
        if (kt !== 'ed25519') {
          sigstoreJsVerify(r.bundle, hint(k.publicKeySpki), k.publicKeySpki, r.payload);
          const bad = structuredClone(r.bundle);
          const sig = fromBase64(bad.messageSignature!.signature);
          sig[8] = (sig[8] as number) ^ 1;
          bad.messageSignature!.signature = toBase64(sig);
          assert.throws(() => sigstoreJsVerify(bad, hint(k.publicKeySpki), k.publicKeySpki, r.payload));
        }
        // openssl over the raw payload bytes
        writeFileSync(join(dir, `${name}.pub`), publicKeyPem(k.publicKeySpki));
        writeFileSync(join(dir, `${name}.payload`), r.payload);
        writeFileSync(join(dir, `${name}.sig`), r.signature);
        const dgst = kt === 'ecdsa-p384' ? '-sha384' : '-sha256';
        const v =
          kt === 'ed25519'
            ? openssl(['pkeyutl', '-verify', '-pubin', '-inkey', `${name}.pub`, '-rawin', '-in', `${name}.payload`, '-sigfile', `${name}.sig`])
            : openssl(['dgst', dgst, '-verify', `${name}.pub`, '-signature', `${name}.sig`, `${name}.payload`]);
        assert.equal(v.code, 0, v.out);
        assert.match(v.out, /Verified OK|Signature Verified Successfully/);
        const flipped = Buffer.from(r.payload);
        flipped[30] = (flipped[30] as number) ^ 1;
        writeFileSync(join(dir, `${name}.payload.bad`), flipped);
        const v2 =
          kt === 'ed25519'
            ? openssl(['pkeyutl', '-verify', '-pubin', '-inkey', `${name}.pub`, '-rawin', '-in', `${name}.payload.bad`, '-sigfile', `${name}.sig`])
            : openssl(['dgst', dgst, '-verify', `${name}.pub`, '-signature', `${name}.sig`, `${name}.payload.bad`]);
        assert.notEqual(v2.code, 0);
      });
    });
  }

  test('DSSE attestation on the token verifies with sigstore-js; flipped payload rejected', async () => {
    await withToken('cos-b', async (s) => {
      const k = await key(s, 'ecdsa-p256', 'cosign-att');
      const st = makeStatement([{ name: IMG.name, digest: { sha256: IMG.digest.slice(7) } }], PREDICATE_TYPES.cyclonedx, {
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        components: [],
      });
      const { bundle } = await attest(s.signer(k), st);
      sigstoreJsVerify(bundle, k.fingerprint, k.publicKeySpki);
      assert.equal((await verifyBundle({ spki: k.publicKeySpki, bundle, image: IMG })).valid, true);
      const bad = structuredClone(bundle);
      const p = fromBase64(bad.dsseEnvelope!.payload);
      p[3] = (p[3] as number) ^ 1;
      bad.dsseEnvelope!.payload = toBase64(p);
      assert.throws(() => sigstoreJsVerify(bad, k.fingerprint, k.publicKeySpki));
      assert.equal((await verifyBundle({ spki: k.publicKeySpki, bundle: bad })).valid, false);
    });
  });

  test(`batch of ${BATCH} digests with progress; every bundle verifies; cancel stops it`, async () => {
    await withToken('cos-c', async (s) => {
      const k = await key(s, 'ecdsa-p256', 'cosign-batch');
      const signer = s.signer(k);
      const refs = Array.from({ length: BATCH }, (_, i) => parseImageReference(`registry.example.com/rel/app@sha256:${digestOf(i)}`));
      let last = 0;
      const t0 = Date.now();
      const sigs = await signImages(signer, refs, { onProgress: (d) => (last = d) });
      const secs = (Date.now() - t0) / 1000;
      assert.equal(sigs.length, BATCH);
      assert.equal(last, BATCH);
      for (const i of [0, Math.floor(BATCH / 2), BATCH - 1]) {
        const r = sigs[i]!;
        assert.equal((await verifyBundle({ spki: k.publicKeySpki, bundle: r.bundle, artifact: r.payload, image: refs[i]! })).valid, true);
        sigstoreJsVerify(r.bundle, k.fingerprint, k.publicKeySpki, r.payload);
      }
      process.stderr.write(`# cosign batch: ${BATCH} images in ${secs.toFixed(2)} s = ${Math.round(BATCH / secs)}/s\n`);
      const ac = new AbortController();
      await assert.rejects(
        signImages(signer, refs, { signal: ac.signal, onProgress: (d) => d >= 200 && ac.abort() }),
        (e: Error & { code?: string }) => e.code === 'CANCELLED',
      );
    });
  });
});

describe('CLI: m-of-n request with two tokens, export, verify', () => {
  test('request create / sign / status / export-policy / verify', async () => {
    const keys: { label: string; uri: string }[] = [];
    for (const t of ['cos-a', 'cos-b', 'cos-c']) {
      await withToken(t, async (s) => {
        const k = await key(s, 'ecdsa-p256', 'release');
        writeFileSync(join(dir, `${t}.pem`), publicKeyPem(k.publicKeySpki));
        keys.push({ label: t, uri: k.uri });
      });
    }
    const images = Array.from({ length: 3 }, (_, i) => `registry.example.com/rel/app${i}@sha256:${digestOf(i)}`);
    writeFileSync(join(dir, 'images.txt'), `# release\n${images.join('\n')}\n`);
    let r = kc([
      'cosign',
      'request',
      'create',
      '--images',
      'images.txt',
      '--signer',
      'alice=cos-a.pem',
      '--signer',
      'bob=cos-b.pem',
      '--signer',
      'carol=cos-c.pem',
      '--m',
      '2',
      '--out',
      'req.json',
    ]);
    assert.equal(r.code, 0, r.err);
    const st0 = kc(['cosign', 'status', '--request', 'req.json']);
    assert.match(st0.out, /^0 of 2/);
    assert.equal(st0.code, 1, 'status exits 1 while the threshold is not met');
    r = kc(['cosign', 'export-policy', '--request', 'req.json', '--out', 'early']);
    assert.equal(r.code, 1);
    assert.match(r.err, /THRESHOLD_NOT_MET/);
    r = kc(['cosign', 'request', 'sign', '--request', 'req.json', '--token', 'cos-a', '--label', 'release', '--pin-file', 'pin']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 of 2/);
    // edited after signing: change m in a copy, re-sign refused, file unchanged
    const edited = JSON.parse(readFileSync(join(dir, 'req.json'), 'utf8'));
    edited.images.pop();
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(edited));
    r = kc(['cosign', 'request', 'sign', '--request', 'edited.json', '--token', 'cos-b', '--label', 'release', '--pin-file', 'pin']);
    assert.equal(r.code, 1);
    assert.match(r.err, /PRECONDITION_FAILED.*edited/);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'edited.json'), 'utf8')), edited);
    r = kc(['cosign', 'request', 'sign', '--request', 'req.json', '--key', `${keys[1]!.uri}`, '--pin-file', 'pin']);
    assert.equal(r.code, 0, r.err);
    const st2 = kc(['cosign', 'status', '--request', 'req.json']);
    assert.match(st2.out, /^2 of 2 .*complete/);
    assert.equal(st2.code, 0);
    r = kc(['cosign', 'export-policy', '--request', 'req.json', '--out', 'export']);
    assert.equal(r.code, 0, r.err);
    const exp = join(dir, 'export');
    assert.ok(readFileSync(join(exp, 'kyverno-clusterpolicy.yaml'), 'utf8').includes('count: 2'));
    assert.ok(readFileSync(join(exp, 'policy-controller-clusterimagepolicy.yaml'), 'utf8').includes('len(matched) >= 2'));
    const imgDirs = readdirSync(exp).filter((d) => d.startsWith('registry.example.com'));
    assert.equal(imgDirs.length, 3);
    const d0 = join('export', imgDirs.sort()[0]!);
    const files = readdirSync(join(dir, d0));
    const aliceBundle = files.find((f) => f.startsWith('alice') && f.endsWith('.sigstore.json'))!;
    const bobBundle = files.find((f) => f.startsWith('bob') && f.endsWith('.sigstore.json'))!;
    const aliceSig = files.find((f) => f.startsWith('alice') && f.endsWith('.sig'))!;
    // verify contract
    r = kc(['cosign', 'verify', '--key', 'cos-a.pem', '--payload', `${d0}/payload.json`, '--signature', `${d0}/${aliceSig}`, '--image', images[0]!]);
    assert.equal(r.code, 0, r.err);
    r = kc(['cosign', 'verify', '--key', 'cos-c.pem', '--payload', `${d0}/payload.json`, '--signature', `${d0}/${aliceSig}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /does not verify/);
    r = kc(['cosign', 'verify', '--key', 'cos-a.pem', '--bundle', `${d0}/${aliceBundle}`, '--artifact', `${d0}/payload.json`]);
    assert.equal(r.code, 0, r.err);
    r = kc([
      'cosign',
      'verify',
      '--key',
      'cos-a.pem',
      '--key',
      'cos-b.pem',
      '--key',
      'cos-c.pem',
      '--threshold',
      '2',
      '--bundle',
      `${d0}/${aliceBundle}`,
      '--bundle',
      `${d0}/${bobBundle}`,
      '--artifact',
      `${d0}/payload.json`,
    ]);
    assert.equal(r.code, 0, r.err);
    r = kc([
      'cosign',
      'verify',
      '--key',
      'cos-a.pem',
      '--key',
      'cos-b.pem',
      '--key',
      'cos-c.pem',
      '--threshold',
      '2',
      '--bundle',
      `${d0}/${aliceBundle}`,
      '--bundle',
      `${d0}/${aliceBundle}`,
      '--artifact',
      `${d0}/payload.json`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /1 of 2/);
  });

  test('cosign sign --images FILE: progress on stderr, files per image, key URI; bad inputs write nothing', () => {
    const n = 300;
    writeFileSync(join(dir, 'many.txt'), Array.from({ length: n }, (_, i) => `registry.example.com/rel/batch@sha256:${digestOf(i)}`).join('\n') + '\n');
    let r = kc(['cosign', 'sign', '--token', 'cos-a', '--label', 'release', '--pin-file', 'pin', '--images', 'many.txt', '--out', 'batch']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /signed 300\/300 \(100%\)/);
    assert.match(r.err, /signed \d+\/300 \(50%\)/);
    const uri = readFileSync(join(dir, 'batch', 'key-uri.txt'), 'utf8').trim();
    assert.match(uri, /^pkcs11:.*token=cos-a.*\?module-path=/);
    assert.doesNotMatch(uri, /pin-value/);
    assert.equal(readdirSync(join(dir, 'batch')).filter((d) => d.startsWith('registry')).length, n);
    // bad inputs: tag-only, wrong length; nothing written
    writeFileSync(join(dir, 'bad.txt'), `registry.example.com/rel/app@sha256:${digestOf(1)}\nregistry.example.com/rel/app:latest\n`);
    r = kc(['cosign', 'sign', '--token', 'cos-a', '--label', 'release', '--pin-file', 'pin', '--images', 'bad.txt', '--out', 'bad-out']);
    assert.equal(r.code, 1);
    assert.match(r.err, /INVALID_REFERENCE.*tag "latest" but no digest.*\(bad.txt:2\)/);
    r = kc([
      'cosign',
      'sign',
      '--token',
      'cos-a',
      '--label',
      'release',
      '--pin-file',
      'pin',
      '--image',
      'registry.example.com/a@sha256:abc',
      '--out',
      'bad-out',
    ]);
    assert.match(r.err, /64 hex characters, this one has 3/);
    writeFileSync(join(dir, 'pred.xml'), '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>');
    r = kc([
      'cosign',
      'attest',
      '--token',
      'cos-a',
      '--label',
      'release',
      '--pin-file',
      'pin',
      '--image',
      images0(),
      '--predicate',
      'pred.xml',
      '--out',
      'bad-out/att.json',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /UNSUPPORTED_FORMAT/);
    assert.throws(() => readdirSync(join(dir, 'bad-out')));
    // a good attestation through the CLI verifies
    writeFileSync(join(dir, 'sbom.json'), JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', dataLicense: 'CC0-1.0' }));
    r = kc([
      'cosign',
      'attest',
      '--token',
      'cos-a',
      '--label',
      'release',
      '--pin-file',
      'pin',
      '--image',
      images0(),
      '--predicate',
      'sbom.json',
      '--out',
      'att.json',
    ]);
    assert.equal(r.code, 0, r.err);
    r = kc(['cosign', 'verify', '--key', 'cos-a.pem', '--bundle', 'att.json', '--image', images0()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /spdx.dev\/Document/);
  });
});

describe('CLI: cosign sign --blob', () => {
  test('signs a blob into a new folder: blob.sig (openssl), blob.sigstore.json (sigstore-js, cosign verify); a changed blob is rejected', async () => {
    await withToken('cos-b', async (s) => {
      await key(s, 'ecdsa-p256', 'blob-key');
    });
    const blob = Buffer.from('release-1.2.3.tar.gz contents\n'.repeat(100));
    writeFileSync(join(dir, 'release.tgz'), blob);
    let r = kc(['cosign', 'sign', '--token', 'cos-b', '--label', 'blob-key', '--pin-file', 'pin', '--blob', 'release.tgz', '--out', 'blob-out']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`signed blob \\(${blob.length} bytes\\)`));
    assert.deepEqual(readdirSync(join(dir, 'blob-out')).sort(), ['blob.sig', 'blob.sigstore.json', 'cosign.pub', 'key-uri.txt']);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.partial-')),
      [],
      'no staging folder left behind',
    );
    // blob.sig is base64 DER ECDSA over the blob (cosign sign-blob's format): openssl checks it
    writeFileSync(join(dir, 'blob.der'), fromBase64(readFileSync(join(dir, 'blob-out', 'blob.sig'), 'utf8').trim()));
    const o = openssl(['dgst', '-sha256', '-verify', 'blob-out/cosign.pub', '-signature', 'blob.der', 'release.tgz']);
    assert.equal(o.code, 0, o.out);
    const bundleJson = JSON.parse(readFileSync(join(dir, 'blob-out', 'blob.sigstore.json'), 'utf8'));
    const spki = fromBase64(readFileSync(join(dir, 'blob-out', 'cosign.pub'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, ''));
    sigstoreJsVerify(bundleJson, bundleJson.verificationMaterial.publicKey.hint, spki, blob);
    r = kc(['cosign', 'verify', '--key', 'blob-out/cosign.pub', '--bundle', 'blob-out/blob.sigstore.json', '--artifact', 'release.tgz']);
    assert.equal(r.code, 0, r.err);
    writeFileSync(join(dir, 'changed.tgz'), Buffer.concat([blob, Buffer.from('x')]));
    r = kc(['cosign', 'verify', '--key', 'blob-out/cosign.pub', '--bundle', 'blob-out/blob.sigstore.json', '--artifact', 'changed.tgz']);
    assert.equal(r.code, 1);
    assert.throws(() => sigstoreJsVerify(bundleJson, bundleJson.verificationMaterial.publicKey.hint, spki, Buffer.concat([blob, Buffer.from('x')])));
    // an existing --out is refused, nothing written
    r = kc(['cosign', 'sign', '--token', 'cos-b', '--label', 'blob-key', '--pin-file', 'pin', '--blob', 'release.tgz', '--out', 'blob-out']);
    assert.equal(r.code, 1);
    assert.match(r.err, /CONFLICT.*blob-out already exists/);
  });
});

function images0(): string {
  return `registry.example.com/rel/app0@sha256:${digestOf(0)}`;
}

/**
 * Bundles we produce (software signer, pure tier): our verifier and sigstore-js both verify them, a
 * flipped byte fails both, our verifier catches a wrong messageDigest that sigstore-js lets through,
 * and key-based / DSSE bundles from real Sigstore data verify without Fulcio/Rekor.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { SoftwareSigner } from '../../helpers/software-signer';
import { sigstoreJsVerify } from '../../helpers/sigstore-verify';
import { INTEROP, pemToSpki, certToSpki } from './fixtures';
import { parseImageReference } from '../../../shared/cosign/reference';
import { pae } from '../../../shared/dsse';
import { makeStatement, PREDICATE_TYPES } from '../../../shared/cosign/intoto';
import { parseBundle, BUNDLE_V03_MEDIA_TYPE } from '../../../shared/cosign/bundle';
import { attest, signBlob, signImages } from '../../../electron/core/cosign/sign';
import { evaluateThreshold, verifyBundle, verifySimpleSigning } from '../../../electron/core/cosign/verify';
import { fromBase64, toBase64, utf8 } from '../../../shared/encoding/bytes';
import { parsePublicKeyPem } from '../../../shared/cosign/keys';
import type { BatchSignOptions } from '../../../electron/core/signer';

const IMG = parseImageReference(`registry.example.com/team/app@sha256:${'ab'.repeat(32)}`);
const hintOf = (s: SoftwareSigner) => createHash('sha256').update(s.publicKeySpki).digest('hex');
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function flipB64(b64: string, at = 5): string {
  const b = fromBase64(b64);
  b[at] = (b[at] as number) ^ 0x01;
  return toBase64(b);
}

test('DSSE PAE test vector (secure-systems-lab/dsse protocol.md)', () => {
  assert.equal(Buffer.from(pae('http://example.com/HelloWorld', utf8('hello world'))).toString(), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

describe('image signatures: ECDSA P-256, P-384, RSA PKCS#1 v1.5, Ed25519', () => {
  const signers = [
    SoftwareSigner.generate('ecdsa-p256'),
    SoftwareSigner.generate('ecdsa-p384'),
    SoftwareSigner.generate('rsa-3072', 'rsa-pkcs1-sha256'),
    SoftwareSigner.generate('ed25519'),
  ];
  for (const s of signers) {
    test(`${s.algorithm}: bundle v0.3 with hint, our verifier + sigstore-js, flipped byte fails`, async () => {
      const [r] = await signImages(s, [IMG]);
      assert.ok(r);
      assert.equal(r.bundle.mediaType, BUNDLE_V03_MEDIA_TYPE);
      assert.equal(r.bundle.verificationMaterial.publicKey?.hint, hintOf(s));
      assert.equal((await verifySimpleSigning({ spki: s.publicKeySpki, payload: r.payload, signature: r.signatureB64, image: IMG })).valid, true);
      const ok = await verifyBundle({ spki: s.publicKeySpki, bundle: r.bundle, artifact: r.payload, image: IMG });
      assert.equal(ok.valid, true, ok.reason);
      if (s.algorithm !== 'ed25519') sigstoreJsVerify(r.bundle, hintOf(s), s.publicKeySpki, r.payload);
      const bad = clone(r.bundle);
      bad.messageSignature!.signature = flipB64(bad.messageSignature!.signature, 10);
      assert.equal((await verifyBundle({ spki: s.publicKeySpki, bundle: bad, artifact: r.payload })).valid, false);
      if (s.algorithm !== 'ed25519') assert.throws(() => sigstoreJsVerify(bad, hintOf(s), s.publicKeySpki, r.payload));
      const payload2 = r.payload.slice();
      payload2[20] = (payload2[20] as number) ^ 1;
      assert.equal((await verifyBundle({ spki: s.publicKeySpki, bundle: r.bundle, artifact: payload2 })).valid, false);
      // another key fails
      const other = SoftwareSigner.generate('ecdsa-p256');
      assert.equal((await verifyBundle({ spki: other.publicKeySpki, bundle: r.bundle, artifact: r.payload })).valid, false);
    });
  }

  test('RSA-PSS is refused for cosign (verifiers use PKCS#1 v1.5)', async () => {
    const s = SoftwareSigner.generate('rsa-3072', 'rsa-pss-sha256');
    await assert.rejects(signImages(s, [IMG]), { code: 'ALGORITHM_UNSUPPORTED' });
  });
});

test('the bundles take the digests a batch signer hands back, and a wrong one is refused', async () => {
  const imgs = [IMG, parseImageReference(`registry.example.com/team/app@sha256:${'cd'.repeat(32)}`)];
  const handing = (wrong: boolean) => {
    let handedBack = 0;
    const s = Object.assign(SoftwareSigner.generate('ecdsa-p256'), {
      signMany: async (items: readonly Uint8Array[], opts?: BatchSignOptions) => {
        const out = opts?.digests?.out;
        if (out) {
          items.forEach(
            (it, i) =>
              (out[i] = createHash('sha256')
                .update(wrong ? 'x' : it)
                .digest()),
          );
          handedBack = items.length;
        }
        return Promise.all(items.map((it) => s.sign(it)));
      },
    });
    return { s, handed: () => handedBack };
  };
  const good = handing(false);
  const sigs = await signImages(good.s, imgs);
  assert.equal(good.handed(), 2, 'the signer was asked for its digests');
  for (const r of sigs) {
    assert.equal(r.bundle.messageSignature!.messageDigest.digest, createHash('sha256').update(r.payload).digest('base64'));
    assert.equal((await verifyBundle({ spki: good.s.publicKeySpki, bundle: r.bundle, artifact: r.payload })).valid, true);
  }
  await assert.rejects(signImages(handing(true).s, imgs), { code: 'INTERNAL', message: /digest of the first payload disagrees/ });
});

test('messageDigest is checked against the artifact (sigstore-js does not without a tlog entry)', async () => {
  const s = SoftwareSigner.generate('ecdsa-p256');
  const blob = utf8('release notes v1\n');
  const { bundle } = await signBlob(s, blob);
  const tampered = clone(bundle);
  tampered.messageSignature!.messageDigest.digest = toBase64(new Uint8Array(32));
  // sigstore-js: VERIFIED despite the wrong digest (peers README §4 pitfall).
  sigstoreJsVerify(tampered, hintOf(s), s.publicKeySpki, blob);
  const r = await verifyBundle({ spki: s.publicKeySpki, bundle: tampered, artifact: blob });
  assert.equal(r.valid, false);
  assert.match(r.reason, /messageDigest/);
  assert.equal((await verifyBundle({ spki: s.publicKeySpki, bundle })).valid, false, 'no artifact: refused');
});

describe('attestations (DSSE)', () => {
  for (const kt of ['ecdsa-p256', 'ed25519', 'rsa-3072'] as const) {
    test(`${kt}: DSSE bundle verifies (ours + sigstore-js); payloadType and PAE are checked`, async () => {
      const s = SoftwareSigner.generate(kt, kt === 'rsa-3072' ? 'rsa-pkcs1-sha256' : undefined);
      const st = makeStatement([{ name: IMG.name, digest: { sha256: IMG.digest.slice(7) } }], PREDICATE_TYPES.slsaprovenance1, {
        buildDefinition: { buildType: 'https://example.com/build/v1', externalParameters: {} },
        runDetails: { builder: { id: 'https://example.com/builder' } },
      });
      const { bundle } = await attest(s, st);
      assert.equal(bundle.dsseEnvelope?.signatures.length, 1);
      const r = await verifyBundle({ spki: s.publicKeySpki, bundle, image: IMG });
      assert.equal(r.valid, true, r.reason);
      assert.equal(r.statement?.predicateType, 'https://slsa.dev/provenance/v1');
      sigstoreJsVerify(bundle, hintOf(s), s.publicKeySpki);
      // Wrong subject
      const other = await verifyBundle({ spki: s.publicKeySpki, bundle, image: `${IMG.name}@sha256:${'cd'.repeat(32)}` });
      assert.equal(other.valid, false);
      // payloadType changed: PAE differs, and the type is not in-toto
      const t1 = clone(bundle);
      t1.dsseEnvelope!.payloadType = 'application/json';
      assert.match((await verifyBundle({ spki: s.publicKeySpki, bundle: t1 })).reason, /payloadType/);
      assert.equal((await verifyBundle({ spki: s.publicKeySpki, bundle: t1, allowedPayloadTypes: ['application/json'] })).valid, false);
      // flipped payload byte
      const t2 = clone(bundle);
      t2.dsseEnvelope!.payload = flipB64(t2.dsseEnvelope!.payload, 12);
      assert.equal((await verifyBundle({ spki: s.publicKeySpki, bundle: t2 })).valid, false);
      assert.throws(() => sigstoreJsVerify(t2, hintOf(s), s.publicKeySpki));
      // two signatures in one envelope: refused by spec
      const t3 = clone(bundle);
      t3.dsseEnvelope!.signatures.push(t3.dsseEnvelope!.signatures[0]!);
      assert.match((await verifyBundle({ spki: s.publicKeySpki, bundle: t3 })).reason, /exactly one signature/);
    });
  }
});

describe('m-of-n over a set of bundles', () => {
  test('2 of 3: distinct keys counted once; unknown keys ignored', async () => {
    const [a, b, c, x] = [0, 1, 2, 3].map(() => SoftwareSigner.generate('ecdsa-p256')) as [SoftwareSigner, SoftwareSigner, SoftwareSigner, SoftwareSigner];
    const keys = [a, b, c].map((s) => s.publicKeySpki);
    const sign = async (s: SoftwareSigner) => (await signImages(s, [IMG]))[0]!;
    const ra = await sign(a);
    const ra2 = await sign(a);
    const rx = await sign(x);
    const rb = await sign(b);
    const one = await evaluateThreshold({ keys, m: 2, bundles: [ra.bundle, ra2.bundle, rx.bundle], artifact: ra.payload, image: IMG });
    assert.equal(one.met, false);
    assert.equal(one.signers.length, 1);
    assert.match(one.reason, /1 of 2/);
    assert.equal(one.perBundle[2]?.valid, false);
    const two = await evaluateThreshold({ keys, m: 2, bundles: [ra.bundle, rx.bundle, rb.bundle], artifact: ra.payload, image: IMG });
    assert.equal(two.met, true, two.reason);
    await assert.rejects(evaluateThreshold({ keys, m: 4, bundles: [], artifact: ra.payload }), { code: 'INVALID_INPUT' });
  });
});

describe('real Sigstore bundles that need no Fulcio/Rekor for the key check', () => {
  const conf = join(INTEROP, 'sigstore', 'sigstore-conformance', 'test', 'assets', 'bundle-verify');
  const aTxt = new Uint8Array(readFileSync(join(conf, 'a.txt')));

  test('conformance managed-key-happy-path / managed-key-and-trusted-root verify with key.pub over a.txt', async () => {
    for (const d of ['managed-key-happy-path', 'managed-key-and-trusted-root']) {
      const spki = pemToSpki(readFileSync(join(conf, d, 'key.pub'), 'utf8'));
      const bundle = new Uint8Array(readFileSync(join(conf, d, 'bundle.sigstore.json')));
      const r = await verifyBundle({ spki, bundle, artifact: aTxt });
      assert.equal(r.valid, true, r.reason);
      const wrong = aTxt.slice();
      wrong[0] = (wrong[0] as number) ^ 1;
      assert.equal((await verifyBundle({ spki, bundle, artifact: wrong })).valid, false);
      // the hint is base64 sha256 of the key
      assert.equal(parseBundle(bundle).hint, createHash('sha256').update(spki).digest('base64'));
    }
  });

  test('conformance managed-key-wrong-key_fail: the altered key is refused (INVALID_KEY)', async () => {
    const pem = readFileSync(join(conf, 'managed-key-wrong-key_fail', 'key.pub'), 'utf8');
    const bundle = new Uint8Array(readFileSync(join(conf, 'managed-key-wrong-key_fail', 'bundle.sigstore.json')));
    const { spki } = parsePublicKeyPem(pem);
    await assert.rejects(verifyBundle({ spki, bundle, artifact: aTxt }), { code: 'INVALID_KEY' });
  });

  test('sigstore-go bundle-publish.json (npm registry key, DSSE) verifies with publish_key.pub', async () => {
    const ex = join(INTEROP, 'sigstore', 'sigstore-go', 'examples');
    const spki = pemToSpki(readFileSync(join(ex, 'publish_key.pub'), 'utf8'));
    const bundle = new Uint8Array(readFileSync(join(ex, 'bundle-publish.json')));
    const r = await verifyBundle({ spki, bundle });
    assert.equal(r.valid, true, r.reason);
    const other = SoftwareSigner.generate('ecdsa-p256');
    assert.equal((await verifyBundle({ spki: other.publicKeySpki, bundle })).valid, false);
  });

  test('cosign oci-attestation.sigstore.json: DSSE signature verifies with its leaf key (chain/tlog not checked here)', async () => {
    const p = join(INTEROP, 'cosign', 'cosign', 'pkg', 'cosign', 'testdata', 'oci-attestation.sigstore.json');
    const j = JSON.parse(readFileSync(p, 'utf8')) as { verificationMaterial: { certificate: { rawBytes: string } } };
    const der = Buffer.from(j.verificationMaterial.certificate.rawBytes, 'base64');
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    const r = await verifyBundle({ spki: certToSpki(pem), bundle: new Uint8Array(readFileSync(p)) });
    assert.equal(r.valid, true, r.reason);
    assert.equal(r.statement?.type, 'https://in-toto.io/Statement/v0.1');
  });
});

/**
 * Real cosign simple-signing signatures (containers/image fixtures): each verifies or fails exactly as
 * SOURCE.txt / MEASURED.txt record, and the payload we generate for the same reference and digest is
 * byte-identical to cosign's.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CI, CI_FIX, readFixture, readSigstoreJsonSignature, pemToSpki, certToSpki } from './fixtures';
import { parseImageReference } from '../../../shared/cosign/reference';
import { simpleSigningPayload, parseSimpleSigningPayload, SIMPLE_SIGNING_MEDIA_TYPE } from '../../../shared/cosign/simple-signing';
import { verifySimpleSigning } from '../../../electron/core/cosign/verify';

const cosignPub = pemToSpki(readFileSync(join(CI_FIX, 'cosign.pub'), 'utf8'));
const cosign2Pub = pemToSpki(readFileSync(join(CI_FIX, 'cosign2.pub'), 'utf8'));
const rsaPub = pemToSpki(readFileSync(join(CI_FIX, 'some-rsa-key.pub'), 'utf8'));

describe("our simple-signing payload equals cosign's byte for byte", () => {
  for (const dir of ['dir-img-cosign-valid', 'dir-img-cosign-key-rekor-valid', 'dir-img-cosign-fulcio-rekor-valid', 'dir-img-cosign-pki-valid']) {
    test(dir, () => {
      const theirs = readFileSync(join(CI, 'derived', dir, 'payload.json'));
      const manifest = readFileSync(join(CI, 'derived', dir, 'manifest.json'));
      const identity = (JSON.parse(theirs.toString()) as { critical: { identity: { 'docker-reference': string } } }).critical.identity['docker-reference'];
      // Same reference and digest: the digest comes from the manifest, not from their payload.
      const ref = parseImageReference(`${identity}@sha256:${createHash('sha256').update(manifest).digest('hex')}`);
      const ours = simpleSigningPayload(ref);
      assert.equal(Buffer.from(ours).toString('utf8'), theirs.toString('utf8'));
      assert.ok(Buffer.from(ours).equals(theirs));
    });
  }
});

interface Case {
  file: string;
  manifest?: string;
  key: 'cosign' | 'cosign2' | 'cert';
  sig: boolean;
  manifestOk?: boolean;
}
const cases: Case[] = [
  { file: 'dir-img-cosign-valid/signature-1', manifest: 'dir-img-cosign-valid/manifest.json', key: 'cosign', sig: true, manifestOk: true },
  { file: 'dir-img-cosign-valid-2/signature-1', manifest: 'dir-img-cosign-valid-2/manifest.json', key: 'cosign', sig: true, manifestOk: true },
  { file: 'dir-img-cosign-valid-2/signature-2', manifest: 'dir-img-cosign-valid-2/manifest.json', key: 'cosign', sig: true, manifestOk: true },
  { file: 'dir-img-cosign-valid-with-tag/signature-1', manifest: 'dir-img-cosign-valid-with-tag/manifest.json', key: 'cosign', sig: true, manifestOk: true },
  { file: 'dir-img-cosign-key-rekor-valid/signature-1', manifest: 'dir-img-cosign-key-rekor-valid/manifest.json', key: 'cosign2', sig: true, manifestOk: true },
  {
    file: 'dir-img-cosign-fulcio-rekor-valid/signature-1',
    manifest: 'dir-img-cosign-fulcio-rekor-valid/manifest.json',
    key: 'cert',
    sig: true,
    manifestOk: true,
  },
  { file: 'dir-img-cosign-pki-valid/signature-1', manifest: 'dir-img-cosign-pki-valid/manifest.json', key: 'cert', sig: true, manifestOk: true },
  {
    file: 'dir-img-cosign-manifest-digest-error/signature-1',
    manifest: 'dir-img-cosign-manifest-digest-error/manifest.json',
    key: 'cosign',
    sig: true,
    manifestOk: false,
  },
  {
    file: 'dir-img-cosign-modified-manifest/signature-1',
    manifest: 'dir-img-cosign-modified-manifest/manifest.json',
    key: 'cosign',
    sig: true,
    manifestOk: false,
  },
  { file: 'dir-img-cosign-no-manifest/signature-1', key: 'cosign', sig: true },
  { file: 'dir-img-cosign-mixed/signature-1', manifest: 'dir-img-cosign-mixed/manifest.json', key: 'cosign', sig: false },
  { file: 'dir-img-cosign-mixed/signature-2', manifest: 'dir-img-cosign-mixed/manifest.json', key: 'cosign', sig: true, manifestOk: true },
  { file: 'unknown-cosign-key.signature', key: 'cosign', sig: false },
  { file: '../internal/testdata/valid.signature', key: 'cosign', sig: true },
];

describe('containers/image cosign signatures verify or fail as recorded', () => {
  for (const c of cases) {
    test(c.file, async () => {
      const s = readSigstoreJsonSignature(join(CI_FIX, c.file));
      assert.equal(s.mimeType, SIMPLE_SIGNING_MEDIA_TYPE);
      const sigB64 = s.annotations['dev.cosignproject.cosign/signature'] as string;
      const spki = c.key === 'cosign' ? cosignPub : c.key === 'cosign2' ? cosign2Pub : certToSpki(s.annotations['dev.sigstore.cosign/certificate'] as string);
      // Signature alone.
      const r = await verifySimpleSigning({ spki, payload: s.payload, signature: sigB64 });
      assert.equal(r.valid, c.sig, r.reason);
      // The other keys never verify it (unknown keys fail).
      for (const other of [cosignPub, cosign2Pub, rsaPub].filter((k) => k !== spki)) {
        assert.equal((await verifySimpleSigning({ spki: other, payload: s.payload, signature: sigB64 })).valid, false);
      }
      if (c.manifest && c.sig) {
        const manifest = new Uint8Array(readFixture(join(CI_FIX, c.manifest)));
        const m = await verifySimpleSigning({ spki, payload: s.payload, signature: sigB64, manifest });
        assert.equal(m.valid, c.manifestOk, m.reason);
        if (!c.manifestOk) assert.match(m.reason, /manifest's digest is sha256:[0-9a-f]{64} but the payload signs/);
        // And against the image reference the payload names (repository + digest).
        const claims = parseSimpleSigningPayload(s.payload);
        const name = claims.dockerReference.replace(/:[^/:]+$/, (t) => (t.includes('/') ? t : ''));
        const ok = await verifySimpleSigning({ spki, payload: s.payload, signature: sigB64, image: `${name}@${claims.manifestDigest}` });
        assert.equal(ok.valid, true, ok.reason);
        const wrongDigest = `${name}@sha256:${'0'.repeat(64)}`;
        const bad = await verifySimpleSigning({ spki, payload: s.payload, signature: sigB64, image: wrongDigest });
        assert.equal(bad.valid, false);
        assert.match(bad.reason, /payload signs/);
      }
    });
  }

  test('other-attachment is not a signature', async () => {
    const s = readSigstoreJsonSignature(join(CI_FIX, 'dir-img-cosign-other-attachment/signature-1'));
    assert.equal(s.mimeType, 'text/plain');
    const r = await verifySimpleSigning({ spki: cosignPub, payload: s.payload, signature: s.annotations['dev.cosignproject.cosign/signature'] as string });
    assert.equal(r.valid, false);
  });

  test('derived payload.json + signature.b64 pairs verify; a flipped payload byte fails', async () => {
    for (const [dir, key] of [
      ['dir-img-cosign-valid', cosignPub],
      ['dir-img-cosign-key-rekor-valid', cosign2Pub],
    ] as const) {
      const payload = new Uint8Array(readFileSync(join(CI, 'derived', dir, 'payload.json')));
      const sig = readFileSync(join(CI, 'derived', dir, 'signature.b64'), 'utf8');
      const manifest = new Uint8Array(readFileSync(join(CI, 'derived', dir, 'manifest.json')));
      assert.equal((await verifySimpleSigning({ spki: key, payload, signature: sig, manifest })).valid, true);
      const flipped = payload.slice();
      flipped[40] = (flipped[40] as number) ^ 1;
      assert.equal((await verifySimpleSigning({ spki: key, payload: flipped, signature: sig })).valid, false);
    }
    assert.ok(existsSync(join(CI, 'derived', 'dir-img-cosign-pki-valid', 'certificate.pem')));
  });
});

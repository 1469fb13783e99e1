/**
 * cosign / Sigstore signatures by key types keyceremony verifies but never makes (issue 14 item 3):
 * P-521 (sigstore-java and cosign sign with SHA-512 on it) verifies; a key type we do not implement is
 * ALGORITHM_UNSUPPORTED, never "the signature does not verify".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { verifySimpleSigning } from '../../../electron/core/cosign/verify';
import { simpleSigningPayload } from '../../../shared/cosign/simple-signing';
import { parseImageReference } from '../../../shared/cosign/reference';
import { KeyceremonyError } from '../../../shared/errors';

const IMG = parseImageReference(`registry.example/app@sha256:${'ab'.repeat(32)}`);
const payload = simpleSigningPayload(IMG);
const spkiOf = (k: import('node:crypto').KeyObject) => new Uint8Array(k.export({ type: 'spki', format: 'der' }));

test('a P-521 key signing with SHA-512 (and SHA-256): the signature verifies; another payload does not', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  for (const hash of ['sha512', 'sha256']) {
    const sig = nodeSign(hash, payload, privateKey);
    const r = await verifySimpleSigning({ spki: spkiOf(publicKey), payload, signature: sig, image: IMG });
    assert.equal(r.valid, true, `${hash}: ${r.reason}`);
  }
  const other = nodeSign('sha512', new TextEncoder().encode('other'), privateKey);
  assert.equal((await verifySimpleSigning({ spki: spkiOf(publicKey), payload, signature: other })).valid, false);
});

test('a secp256k1 key: ALGORITHM_UNSUPPORTED (unsupported key type), not a failed signature', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  const sig = nodeSign('sha256', payload, privateKey);
  await assert.rejects(verifySimpleSigning({ spki: spkiOf(publicKey), payload, signature: sig }), (e: unknown) => {
    assert.ok(e instanceof KeyceremonyError);
    assert.equal(e.code, 'ALGORITHM_UNSUPPORTED');
    assert.match(e.message, /unsupported/);
    return true;
  });
});

/**
 * The app's Verify → cosign screen with a Sigstore trusted root (the "Open a Sigstore trusted root"
 * picker): the root the person opens reaches the same core check as `cosign verify --trusted-root`.
 * sigstore-java's bundle-with-mismatched-set verifies offline (its body matches) and is refused once
 * the production trusted_root.json is given (its SET belongs to another entry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { auditCosign } from '../../electron/ipc/audit';
import { INTEROP } from './cosign/fixtures';

const JAVA = resolve(import.meta.dirname, '..', 'fixtures', 'sigstore-java');
const CONF = join(INTEROP, 'sigstore', 'sigstore-conformance', 'test', 'assets', 'bundle-verify');
const ROOT_TEXT = readFileSync(join(INTEROP, 'tuf', 'sigstore-root-signing', 'targets', 'trusted_root.json'), 'utf8');

test('Verify → cosign: a trusted root opened on screen makes the SET checked (mismatched SET refused; without the root it verifies)', async () => {
  const text = readFileSync(join(JAVA, 'bundle-with-mismatched-set.sigstore'), 'utf8');
  const vm = (
    JSON.parse(text) as { verificationMaterial: { certificate?: { rawBytes: string }; x509CertificateChain?: { certificates: { rawBytes: string }[] } } }
  ).verificationMaterial;
  const raw = (vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes) as string;
  const keyPem = new X509Certificate(Buffer.from(raw, 'base64')).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const artifact = new Uint8Array(readFileSync(join(CONF, 'a.txt')));
  const req = { keys: [keyPem], bundles: [{ name: 'bundle-with-mismatched-set.sigstore', text }], artifact };

  const offline = await auditCosign(req, undefined);
  assert.equal(offline.report.verdict, 'verified', offline.report.summary);

  const rooted = await auditCosign({ ...req, trustedRoot: ROOT_TEXT }, undefined);
  assert.equal(rooted.report.verdict, 'failed');
  assert.equal(rooted.report.items[0]?.status, 'fail', 'the failing item comes first');
  assert.match(rooted.report.items[0]!.message, /the SET \(signed entry timestamp\) does not verify/);
});

test('Verify → cosign: a file that is not a Sigstore trusted root is refused by name, not INTERNAL', async () => {
  await assert.rejects(
    auditCosign({ keys: [], bundles: [], trustedRoot: '{"mediaType": "something else"}' }, undefined),
    (e: { code?: string; message: string }) => {
      assert.notEqual(e.code, 'INTERNAL');
      assert.match(e.message, /trusted root/);
      return true;
    },
  );
});

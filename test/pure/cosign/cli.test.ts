/** `keyceremony cosign …` through main(): status exit codes and the verify contract on real and built bundles. */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { main } from '../../../electron/cli/main';
import { makeContext } from '../../../electron/cli/context';
import { SoftwareSigner } from '../../helpers/software-signer';
import { publicKeyPem } from '../../../shared/cosign/keys';
import { parseRequest, serializeRequest } from '../../../shared/cosign/request';
import { signRequest } from '../../../electron/core/cosign/request';
import { INTEROP } from './fixtures';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-cosign-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const at = (f: string) => path.join(tmp, f);

export async function kc(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { ...makeContext({ env: { ...process.env, ...env } }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cosign status', () => {
  test('exits 1 while the threshold is not met and 0 once it is (as tuf status and notary status do)', async () => {
    const [a, b, c] = ['alice', 'bob', 'carol'].map((n) => SoftwareSigner.generate('ecdsa-p256', undefined, n)) as SoftwareSigner[];
    for (const s of [a!, b!, c!]) writeFileSync(at(`${s.description}.pem`), publicKeyPem(s.publicKeySpki));
    const req = at('req.json');
    const img = `ghcr.io/org/app@sha256:${'1'.repeat(64)}`;
    const made = await kc([
      'cosign',
      'request',
      'create',
      '--image',
      img,
      '--signer',
      `alice=${at('alice.pem')}`,
      '--signer',
      `bob=${at('bob.pem')}`,
      '--signer',
      `carol=${at('carol.pem')}`,
      '--m',
      '2',
      '--out',
      req,
    ]);
    assert.equal(made.code, 0, made.err);
    let st = await kc(['cosign', 'status', '--request', req]);
    assert.equal(st.code, 1, st.out);
    assert.match(st.out, /^0 of 2/);
    const sign = async (s: SoftwareSigner) => writeFileSync(req, serializeRequest(await signRequest(parseRequest(readFileSync(req)), s, new Date())));
    await sign(a!);
    st = await kc(['cosign', 'status', '--request', req]);
    assert.equal(st.code, 1, st.out);
    assert.match(st.out, /^1 of 2/);
    assert.match(st.out, /not yet: bob, carol/);
    const j = await kc(['cosign', 'status', '--request', req, '--json']);
    assert.equal(j.code, 1);
    assert.equal((JSON.parse(j.out) as { complete: boolean }).complete, false);
    await sign(c!);
    st = await kc(['cosign', 'status', '--request', req]);
    assert.equal(st.code, 0, st.out);
    assert.match(st.out, /^2 of 2 .*complete/);
  });
});

describe('cosign verify: transparency-log entries (issue 14 item 4)', () => {
  const PY = path.join(INTEROP, 'sigstore', 'sigstore-python', 'test', 'assets');
  const CONF = path.join(INTEROP, 'sigstore', 'sigstore-conformance', 'test', 'assets', 'bundle-verify');
  const PROD = path.join(INTEROP, 'tuf', 'sigstore-root-signing', 'targets', 'trusted_root.json');
  /** The bundle certificate's public key as the PEM a user would pass with --key. */
  const keyFile = (bundle: string, name: string) => {
    const vm = JSON.parse(readFileSync(bundle, 'utf8')).verificationMaterial;
    const raw = vm.certificate?.rawBytes ?? vm.x509CertificateChain.certificates[0].rawBytes;
    writeFileSync(at(name), new X509Certificate(Buffer.from(raw, 'base64')).publicKey.export({ type: 'spki', format: 'pem' }));
    return at(name);
  };

  test('the CVE-2022-36056 bundle is refused with the reason; no "Verified OK"', async () => {
    const b = path.join(PY, 'bundle_cve_2022_36056.txt.sigstore');
    const r = await kc(['cosign', 'verify', '--key', keyFile(b, 'cve.pem'), '--bundle', b, '--artifact', path.join(PY, 'bundle_cve_2022_36056.txt')]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.out, /Verified OK/);
    assert.match(r.err, /error\[VERIFICATION_FAILED\]: tlog entry 1 \(hashedrekord\/0\.0\.1, log index 26084047\) records another signature than the bundle's/);
  });

  test('--trusted-root: a good bundle says what was verified; a foreign SET is refused; a bad trusted root is an input error', async () => {
    const good = path.join(CONF, 'happy-path-v0.3', 'bundle.sigstore.json');
    const key = keyFile(good, 'happy.pem');
    const a = path.join(CONF, 'a.txt');
    let r = await kc(['cosign', 'verify', '--key', key, '--bundle', good, '--artifact', a]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /the transparency-log entry matches the bundle \(signature, key, digest\); the log's signatures were NOT checked \(no trusted root given\)/,
    );
    r = await kc(['cosign', 'verify', '--key', key, '--bundle', good, '--artifact', a, '--trusted-root', PROD]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /^Verified OK: .*SET and inclusion proof under https:\/\/rekor\.sigstore\.dev verified \(key-based: no certificate chain, identity or timestamp checked\)$/,
    );
    const set = path.join(CONF, 'set-invalid-signature_fail', 'bundle.sigstore.json');
    r = await kc(['cosign', 'verify', '--key', keyFile(set, 'set.pem'), '--bundle', set, '--artifact', a, '--trusted-root', PROD]);
    assert.equal(r.code, 1);
    assert.match(r.err, /the SET \(signed entry timestamp\) does not verify/);
    writeFileSync(at('root.json'), '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{}]}');
    r = await kc(['cosign', 'verify', '--key', key, '--bundle', good, '--artifact', a, '--trusted-root', at('root.json')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /error\[INVALID_INPUT\]: \$\.tlogs\[0\]\.publicKey is missing/);
  });
});

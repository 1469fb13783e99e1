/** The m-of-n signing request ("x of m", edits after signing detected) and the exported policies. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SoftwareSigner } from '../../helpers/software-signer';
import { parseImageReference } from '../../../shared/cosign/reference';
import { publicKeyPem } from '../../../shared/cosign/keys';
import { parseRequest, serializeRequest } from '../../../shared/cosign/request';
import { clusterImagePolicy, kyvernoClusterPolicy } from '../../../shared/cosign/policy';
import { checkRequest, createRequest, exportFiles, signRequest } from '../../../electron/core/cosign/request';

const NOW = new Date('2026-11-22T05:00:00Z');
const imgs = ['ghcr.io/org/app', 'ghcr.io/org/web'].map((n, i) => parseImageReference(`${n}@sha256:${String(i).repeat(64)}`));

describe('cosign signing request', () => {
  const [a, b, c, x] = ['alice', 'bob', 'carol', 'mallory'].map((n) => SoftwareSigner.generate('ecdsa-p256', undefined, n)) as SoftwareSigner[];
  const signers = [a!, b!, c!].map((s) => ({ name: s.description, publicKeyPem: publicKeyPem(s.publicKeySpki) }));

  test('filled in turn: 0 of 2, 1 of 2, 2 of 2 complete; round-trips through the file format', async () => {
    let r = await createRequest({ images: imgs, signers, m: 2, now: NOW });
    assert.equal((await checkRequest(r)).line, '0 of 2 signatures (3 allowed signers)');
    r = parseRequest(serializeRequest(await signRequest(r, a!, NOW)));
    const s1 = await checkRequest(r);
    assert.equal(s1.signed, 1);
    assert.deepEqual(s1.pending, ['bob', 'carol']);
    r = parseRequest(serializeRequest(await signRequest(r, c!, NOW)));
    const s2 = await checkRequest(r);
    assert.equal(s2.complete, true);
    assert.match(s2.line, /^2 of 2 .*complete/);
    const files = exportFiles(r);
    assert.equal(files.filter((f) => f.path.endsWith('.sigstore.json')).length, 4);
    assert.equal(files.filter((f) => f.path.startsWith('keys/')).length, 3);
    await assert.rejects(signRequest(r, a!, NOW), { code: 'CONFLICT' });
    await assert.rejects(signRequest(r, x!, NOW), { code: 'SIGNATURE_MISMATCH' });
  });

  test('a request edited after signing is detected', async () => {
    let r = await createRequest({ images: imgs, signers, m: 2, now: NOW });
    r = await signRequest(r, a!, NOW);
    // Edit m and re-pin the body digest (an attacker can recompute it): the signature's digest differs.
    const edited = structuredClone(r);
    edited.m = 1;
    await assert.rejects(checkRequest(edited), { code: 'PRECONDITION_FAILED', message: /edited after it was created/ });
    const { sha256Hex } = await import('../../../shared/crypto/webcrypto');
    const { requestBodyBytes } = await import('../../../shared/cosign/request');
    edited.bodyDigest = await sha256Hex(requestBodyBytes(edited));
    await assert.rejects(checkRequest(edited), { code: 'PRECONDITION_FAILED', message: /edited after alice signed/ });
    await assert.rejects(signRequest(edited, b!, NOW), { code: 'PRECONDITION_FAILED' });
    // Swap an image digest inside a signature entry.
    const swapped = structuredClone(r);
    swapped.signatures[0]!.images[0]!.signature = swapped.signatures[0]!.images[1]!.signature;
    await assert.rejects(checkRequest(swapped), { code: 'SIGNATURE_MISMATCH' });
  });

  test('bad requests are refused: m over n, a repeated key or name, a path-like name, a signed image without its signature', async () => {
    await assert.rejects(createRequest({ images: imgs, signers, m: 4, now: NOW }), { code: 'INVALID_INPUT' });
    await assert.rejects(createRequest({ images: imgs, signers: [signers[0]!, signers[0]!], m: 1, now: NOW }), { code: 'INVALID_INPUT' });
    assert.throws(() => parseRequest(new TextEncoder().encode('{"kind":"other"}')), { code: 'INVALID_INPUT' });
    await assert.rejects(createRequest({ images: imgs, signers: [signers[0]!, { ...signers[1]!, name: 'ALICE' }], m: 1, now: NOW }), /same name/);
    await assert.rejects(createRequest({ images: imgs, signers: [{ ...signers[0]!, name: '../x' }], m: 1, now: NOW }), { code: 'INVALID_INPUT' });
    const r = await signRequest(await createRequest({ images: imgs, signers, m: 2, now: NOW }), a!, NOW);
    const broken = JSON.parse(new TextDecoder().decode(serializeRequest(r)));
    delete broken.signatures[0].images[1].signature;
    assert.throws(
      () => parseRequest(new TextEncoder().encode(JSON.stringify(broken))),
      (e: Error & { where?: string }) => e.where === 'request: signatures[0].images[1].signature',
    );
  });
});

describe('policies', () => {
  const keys = ['alice', 'bob', 'carol'].map((n) => ({ name: n, pem: publicKeyPem(SoftwareSigner.generate('ecdsa-p256').publicKeySpki) }));
  const yaml = (text: string): Record<string, unknown> =>
    JSON.parse(
      execFileSync('python3', ['-c', 'import sys,yaml,json; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text }).toString(),
    ) as Record<string, unknown>;

  test('Kyverno ClusterPolicy: attestors count m, one key entry each, tlog ignored', (t) => {
    const text = kyvernoClusterPolicy({ name: 'release', repositories: ['ghcr.io/org/app'], keys, m: 2 });
    let doc: Record<string, any>;
    try {
      doc = yaml(text);
    } catch {
      t.skip('python3 with PyYAML is not installed: cannot parse the YAML independently');
      return;
    }
    assert.equal(doc.kind, 'ClusterPolicy');
    const vi = doc.spec.rules[0].verifyImages[0];
    assert.deepEqual(vi.imageReferences, ['ghcr.io/org/app:*', 'ghcr.io/org/app@*']);
    assert.equal(vi.attestors[0].count, 2);
    assert.equal(vi.attestors[0].entries.length, 3);
    assert.equal(vi.attestors[0].entries[1].keys.publicKeys, keys[1]!.pem);
    assert.equal(vi.attestors[0].entries[0].keys.rekor.ignoreTlog, true);
  });

  test('policy-controller ClusterImagePolicy: n authorities + CUE threshold over authorityMatches', (t) => {
    const text = clusterImagePolicy({ name: 'release', repositories: ['ghcr.io/org/app'], keys, m: 2 });
    let doc: Record<string, any>;
    try {
      doc = yaml(text);
    } catch {
      t.skip('python3 with PyYAML is not installed: cannot parse the YAML independently');
      return;
    }
    assert.equal(doc.apiVersion, 'policy.sigstore.dev/v1beta1');
    assert.deepEqual(
      doc.spec.authorities.map((a: { name: string }) => a.name),
      ['alice', 'bob', 'carol'],
    );
    assert.equal(doc.spec.authorities[2].key.data, keys[2]!.pem);
    assert.equal(doc.spec.policy.type, 'cue');
    assert.match(doc.spec.policy.data, /len\(matched\) >= 2/);
    assert.match(doc.spec.policy.data, /authorityMatches/);
  });

  test('policy inputs with m below 1 or a key listed twice are refused', () => {
    assert.throws(() => kyvernoClusterPolicy({ name: 'x', repositories: ['a/b'], keys, m: 0 }), { code: 'INVALID_INPUT' });
    assert.throws(() => clusterImagePolicy({ name: 'x', repositories: ['a/b'], keys: [keys[0]!, keys[0]!], m: 1 }), /twice/);
  });
});

/** Bad and good inputs: references, predicate files, payloads, bundles. Each bad input is a clear KeyceremonyError. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageReference, parseReferenceList, formatReference } from '../../../shared/cosign/reference';
import { readPredicate } from '../../../shared/cosign/intoto';
import { goJsonString, parseSimpleSigningPayload, simpleSigningPayload } from '../../../shared/cosign/simple-signing';
import { parseBundle } from '../../../shared/cosign/bundle';
import { cosignPkcs11Uri, parsePublicKeyPem } from '../../../shared/cosign/keys';
import { utf8 } from '../../../shared/encoding/bytes';

const D = 'a'.repeat(64);

describe('image references', () => {
  test('valid references parse into registry, repository and digest, normalised', () => {
    assert.deepEqual(parseImageReference(`ghcr.io/org/app@sha256:${D}`), {
      registry: 'ghcr.io',
      repository: 'org/app',
      name: 'ghcr.io/org/app',
      digest: `sha256:${D}`,
    });
    assert.equal(parseImageReference(`192.168.64.2:5000/cosign-signed/key-1@sha256:${D}`).name, '192.168.64.2:5000/cosign-signed/key-1');
    assert.equal(parseImageReference(`localhost/app@sha256:${D}`).registry, 'localhost');
    assert.equal(parseImageReference(`ubuntu@sha256:${D}`).name, 'index.docker.io/library/ubuntu');
    assert.equal(parseImageReference(`docker.io/me/app@sha256:${D}`).name, 'index.docker.io/me/app');
    const withTag = parseImageReference(`ghcr.io/org/app:v1.2@sha256:${D}`);
    assert.equal(withTag.tag, 'v1.2');
    assert.equal(formatReference(withTag), `ghcr.io/org/app@sha256:${D}`);
  });
  test('tag-only is refused with the reason', () => {
    assert.throws(
      () => parseImageReference('ghcr.io/org/app:v1'),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'INVALID_REFERENCE');
        assert.match(e.message, /tag "v1" but no digest/);
        assert.match(e.message, /moved after signing/);
        return true;
      },
    );
    assert.throws(() => parseImageReference('ghcr.io/org/app'), /has no digest/);
  });
  test('wrong digest length / algorithm / case', () => {
    assert.throws(() => parseImageReference(`ghcr.io/org/app@sha256:${'a'.repeat(63)}`), /64 hex characters, this one has 63/);
    assert.throws(() => parseImageReference(`ghcr.io/org/app@sha256:${'a'.repeat(65)}`), /this one has 65/);
    assert.throws(() => parseImageReference(`ghcr.io/org/app@sha512:${'a'.repeat(128)}`), /not supported/);
    assert.throws(() => parseImageReference(`ghcr.io/org/app@sha256:${'A'.repeat(64)}`), /lower-case/);
    assert.throws(() => parseImageReference(`ghcr.io/org/app@sha256:${'g'.repeat(64)}`), /not hexadecimal/);
  });
  test('malformed references are INVALID_REFERENCE', () => {
    for (const bad of [
      '',
      ' ghcr.io/a@sha256:' + D,
      `ghcr.io/Org/app@sha256:${D}`,
      `ghcr.io//app@sha256:${D}`,
      `ghcr.io/app-@sha256:${D}`,
      `-bad.io/app@sha256:${D}`,
      `ghcr.io/a@b@sha256:${D}`,
      `ghcr.io/app:@sha256:${D}`,
    ]) {
      assert.throws(() => parseImageReference(bad), { code: 'INVALID_REFERENCE' }, bad);
    }
  });
  test('list file: comments, blank lines, error names the line', () => {
    assert.equal(parseReferenceList(`# images\nghcr.io/a@sha256:${D}\n\nghcr.io/b@sha256:${D}\n`).length, 2);
    assert.throws(
      () => parseReferenceList(`ghcr.io/a@sha256:${D}\nghcr.io/b:latest\n`, 'list.txt'),
      (e: Error & { where?: string }) => e.where === 'list.txt:2',
    );
    assert.throws(() => parseReferenceList('# nothing\n'), { code: 'INVALID_INPUT' });
  });
});

describe('simple-signing payload', () => {
  test('Go string escaping and optional annotations (sorted keys)', () => {
    assert.equal(goJsonString('a<b>&"\\\n\u2028'), '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\u2028"');
    const p = simpleSigningPayload(parseImageReference(`ghcr.io/a@sha256:${D}`), { z: '1', a: '2' });
    assert.equal(
      Buffer.from(p).toString(),
      `{"critical":{"identity":{"docker-reference":"ghcr.io/a"},"image":{"docker-manifest-digest":"sha256:${D}"},"type":"cosign container image signature"},"optional":{"a":"2","z":"1"}}`,
    );
    assert.equal(parseSimpleSigningPayload(p).optional?.['z'], '1');
  });
  test('payloads that are not simple signing are refused', () => {
    assert.throws(() => parseSimpleSigningPayload(utf8('hello')), { code: 'INVALID_JSON' });
    assert.throws(() => parseSimpleSigningPayload(utf8('{"critical":{"type":"x"}}')), { code: 'UNSUPPORTED_FORMAT' });
    assert.throws(
      () =>
        parseSimpleSigningPayload(
          utf8(
            '{"critical":{"identity":{"docker-reference":"a"},"image":{"docker-manifest-digest":"sha256:12"},"type":"cosign container image signature"},"optional":null}',
          ),
        ),
      /this one has 2/,
    );
    assert.throws(() => parseSimpleSigningPayload(utf8('{"critical":{},"critical":{}}')), { code: 'DUPLICATE_KEY' });
  });
});

describe('predicate files', () => {
  const slsa = {
    buildDefinition: { buildType: 'https://example.com/t', externalParameters: { x: 1 } },
    runDetails: { builder: { id: 'https://example.com/b' } },
  };
  const spdx = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', dataLicense: 'CC0-1.0', packages: [] };
  const cdx = { bomFormat: 'CycloneDX', specVersion: '1.5', components: [] };
  const j = (x: unknown) => utf8(JSON.stringify(x));
  test('detects and validates SLSA v1, SPDX JSON, CycloneDX JSON', () => {
    assert.equal(readPredicate(j(slsa), undefined).predicateType, 'https://slsa.dev/provenance/v1');
    assert.equal(readPredicate(j(spdx), undefined).predicateType, 'https://spdx.dev/Document');
    assert.equal(readPredicate(j(cdx), 'cyclonedx').predicateType, 'https://cyclonedx.org/bom');
    assert.equal(readPredicate(j({ _type: 'https://in-toto.io/Statement/v1', predicate: slsa }), undefined).kind, 'slsaprovenance1');
  });
  test('a predicate type given as a URI makes a custom predicate', () => {
    const r = readPredicate(j({ anything: true }), 'https://example.com/review/v1');
    assert.equal(r.kind, 'custom');
    assert.equal(r.predicateType, 'https://example.com/review/v1');
  });
  test('unknown predicate file types refused', () => {
    assert.throws(() => readPredicate(utf8('<?xml version="1.0"?><bom/>'), undefined), { code: 'UNSUPPORTED_FORMAT', message: /XML/ });
    assert.throws(() => readPredicate(utf8('SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n'), undefined), { code: 'UNSUPPORTED_FORMAT', message: /tag-value/ });
    assert.throws(() => readPredicate(utf8('just text'), undefined), { code: 'UNSUPPORTED_FORMAT' });
    assert.throws(() => readPredicate(j({ foo: 1 }), undefined), { code: 'UNSUPPORTED_FORMAT', message: /Unknown predicate file type/ });
    assert.throws(() => readPredicate(Uint8Array.of(0xff, 0xfe, 0), undefined), { code: 'UNSUPPORTED_FORMAT' });
    assert.throws(() => readPredicate(j([1]), undefined), { code: 'UNSUPPORTED_FORMAT' });
  });
  test('a predicate whose content does not match its declared type is INVALID_INPUT', () => {
    assert.throws(() => readPredicate(j(cdx), 'spdxjson'), { code: 'INVALID_INPUT' });
    assert.throws(() => readPredicate(j({ ...spdx, spdxVersion: 'SPDX-3.0' }), undefined), { code: 'INVALID_INPUT' });
    assert.throws(() => readPredicate(j({ ...slsa, runDetails: { builder: {} } }), undefined), /builder.id/);
    assert.throws(() => readPredicate(j(slsa), 'not a uri'), { code: 'INVALID_INPUT' });
  });
});

describe('bundles and keys', () => {
  test('malformed bundles refused with where', () => {
    assert.throws(() => parseBundle(utf8('{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=99.9"}')), { code: 'UNSUPPORTED_FORMAT' });
    assert.throws(() => parseBundle(utf8('{')), { code: 'INVALID_JSON' });
    assert.throws(
      () =>
        parseBundle({
          mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          verificationMaterial: {},
          messageSignature: { messageDigest: { algorithm: 'MD5', digest: '' }, signature: '' },
        }),
      /messageDigest.algorithm/,
    );
  });
  test('a public key that is not a PEM PUBLIC KEY block is refused', () => {
    assert.throws(() => parsePublicKeyPem('garbage'), { code: 'INVALID_KEY' });
    assert.throws(() => parsePublicKeyPem('-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n'), /PUBLIC KEY/);
  });
  test('pkcs11 URI for cosign: module-path added, PIN never', () => {
    assert.equal(
      cosignPkcs11Uri('pkcs11:token=tokA;object=rel;id=%01?pin-value=1234', '/usr/lib/softhsm/libsofthsm2.so'),
      'pkcs11:token=tokA;object=rel;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so',
    );
    assert.throws(() => cosignPkcs11Uri('file:///x'), { code: 'INVALID_URI' });
  });
});

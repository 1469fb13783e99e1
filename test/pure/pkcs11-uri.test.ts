import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../shared/pkcs11-uri';
import { KeyceremonyError } from '../../shared/errors';

test('parses the URI form cosign reads (token, slot-id, id, object ? module-path, pin-value)', () => {
  const u = parsePkcs11Uri(
    'pkcs11:token=my%20token;slot-id=3;id=%01%02%ff;object=root%2Dkey;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234',
  );
  assert.equal(u.token, 'my token');
  assert.equal(u.slotId, 3);
  assert.deepEqual([...(u.id ?? [])], [1, 2, 255]);
  assert.equal(u.object, 'root-key');
  assert.equal(u.type, 'private');
  assert.equal(u.modulePath, '/usr/lib/softhsm/libsofthsm2.so');
  assert.equal(u.pinValue, '1234');
});

test('formatting never prints a pin-value, even when the input has one', () => {
  const s = formatPkcs11Uri({ token: 'tokA', id: Uint8Array.of(0xab), object: 'k 1', pinValue: '1234', modulePath: '/m.so' });
  assert.equal(s, 'pkcs11:token=tokA;id=%ab;object=k%201?module-path=/m.so');
  assert.doesNotMatch(s, /1234|pin-value/);
});

test('round trip keeps every attribute we write', () => {
  const u = {
    token: 'a;b=c',
    serial: '0df7833b',
    id: Uint8Array.of(0, 1, 2),
    object: 'ü/x',
    type: 'private' as const,
    modulePath: '/usr/lib/x.so',
    pinSource: 'file:/run/pin',
  };
  const back = parsePkcs11Uri(formatPkcs11Uri(u));
  assert.deepEqual({ ...back, id: [...(back.id ?? [])] }, { ...u, id: [0, 1, 2] });
});

test('bad URIs are refused with a reason and where', () => {
  for (const [uri, where] of [
    ['http://x', 'uri'],
    ['pkcs11:token=a;token=b', 'uri token'],
    ['pkcs11:id=%zz', 'uri id'],
    ['pkcs11:slot-id=x', 'uri slot-id'],
    ['pkcs11:type=secret', 'uri type'],
    ['pkcs11:novalue', 'uri path'],
  ] as const) {
    assert.throws(
      () => parsePkcs11Uri(uri),
      (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_URI' && e.where === where,
      uri,
    );
  }
});

test("cosign reads our URIs back: labels with + & = ; ? / % # and spaces survive cosign's parser (and ours)", async () => {
  const { cosignReadsUri } = await import('../helpers/cosign-uri-reader');
  const { cosignPkcs11Uri } = await import('../../shared/cosign/keys');
  const te = new TextEncoder();
  const labels = ['R+D release', 'build&sign', 'a=b', 'x;y', 'why?', 'org/app', '100%', 'tag#1', 'plain', 'ü ö', "it's (ok)*!", '+&=;?/%#'];
  for (const label of labels) {
    for (const tokenLabel of ['Release+Ops & QA', label]) {
      const id = Uint8Array.of(0x2b, 0x26, 0x00, 0xff);
      const modulePath = '/opt/vendor+hsm/lib&co/pkcs11;v2.so';
      const ours = formatPkcs11Uri({ token: tokenLabel, serial: '0df7833b', id, object: label, type: 'private', modulePath });
      const forCosign = cosignPkcs11Uri(ours, modulePath);
      const c = cosignReadsUri(forCosign);
      assert.equal(c.tokenLabel, tokenLabel, forCosign);
      assert.deepEqual(c.keyLabel, te.encode(label), forCosign);
      assert.deepEqual(c.keyId, id, forCosign);
      assert.equal(c.modulePath, modulePath, forCosign);
      assert.equal(c.pin, '');
      // and RFC 7512 parsers (ours) read the same values
      const back = parsePkcs11Uri(forCosign);
      assert.equal(back.token, tokenLabel);
      assert.equal(back.object, label);
      assert.equal(back.modulePath, modulePath);
    }
  }
  // the characters the issue names never appear unescaped in an attribute value
  const u = formatPkcs11Uri({ token: '+&=;?/%', object: '+&=;?/%', modulePath: '/m+&=;?%.so' });
  assert.equal(u, 'pkcs11:token=%2b%26%3d%3b%3f%2f%25;object=%2b%26%3d%3b%3f%2f%25?module-path=/m%2b%26%3d%3b%3f%25.so');
});

test('the cosign reader model itself: + is a space, & splits, a bad escape is an error (as Go net/url)', async () => {
  const { cosignReadsUri } = await import('../helpers/cosign-uri-reader');
  const c = cosignReadsUri('pkcs11:token=R+D;object=a&b?module-path=/m.so');
  assert.equal(c.tokenLabel, 'R D');
  assert.equal(new TextDecoder().decode(c.keyLabel), 'a');
  assert.throws(() => cosignReadsUri('pkcs11:token=a;object=%zz?module-path=/m.so'), /invalid URL escape/);
  assert.throws(() => cosignReadsUri('pkcs11:object=k?module-path=/m.so'), /one of token and slot-id/);
});

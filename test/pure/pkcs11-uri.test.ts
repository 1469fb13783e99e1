import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../shared/pkcs11-uri';
import { KeyceremonyError } from '../../shared/errors';

test('parses the URI form cosign reads (token, slot-id, id, object ? module-path, pin-value)', () => {
  const u = parsePkcs11Uri('pkcs11:token=my%20token;slot-id=3;id=%01%02%ff;object=root%2Dkey;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234');
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
  const u = { token: 'a;b=c', serial: '0df7833b', id: Uint8Array.of(0, 1, 2), object: 'ü/x', type: 'private' as const, modulePath: '/usr/lib/x.so', pinSource: 'file:/run/pin' };
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
    assert.throws(() => parsePkcs11Uri(uri), (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_URI' && e.where === where, uri);
  }
});

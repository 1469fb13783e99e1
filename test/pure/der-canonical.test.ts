/** The DER reader accepts DER only (X.690 section 10) and every fault is a coded error naming the byte. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readDer, readDerAll, readChildren } from '../../shared/encoding/der';
import { parseSpki } from '../../shared/crypto/spki';
import { derToRaw } from '../../shared/crypto/ecdsa';
import { parseCertificate } from '../../shared/notary/x509';
import { isKeyceremonyError } from '../../shared/errors';

const h = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

function refused(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isKeyceremonyError(e), `not a KeyceremonyError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

test('the DER reader returns tag, value and the absolute offset of nested values', () => {
  const seq = readDerAll(h('30 06 02 01 05 04 01 aa'));
  const [int, oct] = readChildren(seq);
  assert.deepEqual([seq.tag, int?.tag, int?.value[0], oct?.tag, oct?.start], [0x30, 0x02, 5, 0x04, 7]);
});

test('the DER reader refuses every non-canonical encoding with INVALID_INPUT naming the byte', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated header', '30', /truncated header at byte 0/],
    ['indefinite length', '30 80 02 01 00 00 00', /indefinite length/],
    ['long-form length below 128', '04 81 01 aa', /length 1 in long form/],
    ['long-form length with a leading zero byte', '04 82 00 81' + ' aa'.repeat(129), /leading zero byte/],
    ['length over 4 bytes', '04 85 00 00 00 00 01 aa', /over 4 bytes/],
    ['value running past the end', '04 05 aa', /truncated value/],
    ['multi-byte tag', '1f 81 01 00', /multi-byte tags/],
    ['INTEGER with a redundant 0x00', '02 02 00 7f', /redundant leading byte/],
    ['INTEGER with a redundant 0xFF', '02 02 ff 80', /redundant leading byte/],
    ['empty INTEGER', '02 00', /empty INTEGER/],
    ['BOOLEAN true as 0x01', '01 01 01', /BOOLEAN/],
    ['NULL with content', '05 01 00', /NULL with content/],
    ['BIT STRING with 8 unused bits', '03 02 08 00', /unused-bits count/],
    ['BIT STRING with non-zero padding bits', '03 02 04 0f', /non-zero unused bits/],
    ['OID arc padded with 0x80', '06 03 2a 80 01', /OID arc with a redundant leading byte at byte 3/],
    ['OID ending inside an arc', '06 02 2a 86', /ends inside an arc/],
    ['constructed OCTET STRING', '24 03 04 01 aa', /constructed string/],
    ['trailing bytes after the value', '05 00 00', /1 trailing bytes at byte 2/],
  ];
  for (const [name, hex, msg] of cases) assert.doesNotThrow(() => refused(() => readDerAll(h(hex)), 'INVALID_INPUT', msg), name);
  // A nested fault names its absolute offset: the bad INTEGER starts at byte 4.
  refused(() => readChildren(readDerAll(h('30 07 02 01 01 02 02 00 01'))), 'INVALID_INPUT', /at byte 5/);
  // Children of a primitive value are not read as TLVs.
  refused(() => readChildren(readDer(h('04 02 05 00')).node), 'INVALID_INPUT', /not constructed/);
});

test('the minimal forms the reader refuses elsewhere are accepted where they are canonical', () => {
  assert.equal(readDerAll(h('02 02 00 80')).value.length, 2); // 0x00 needed: 128 is positive
  assert.equal(readDerAll(h('02 02 ff 7f')).value.length, 2); // 0xFF needed: -129
  assert.equal(readDerAll(h('04 81 80' + ' aa'.repeat(128))).value.length, 128);
  assert.equal(readDerAll(h('01 01 ff')).value[0], 0xff);
  assert.equal(readDerAll(h('03 02 04 f0')).value.length, 2);
});

test('a damaged SubjectPublicKeyInfo is INVALID_KEY, with the DER fault and its byte', () => {
  const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  assert.equal(parseSpki(der).algorithm, 'ecdsa-p256');
  refused(() => parseSpki(der.subarray(0, 40)), 'INVALID_KEY', /^not a DER SubjectPublicKeyInfo: DER: truncated value at byte 0/);
  refused(() => parseSpki(Buffer.concat([der, Buffer.of(0)])), 'INVALID_KEY', /trailing bytes/);
  // The same key with its outer length in a non-minimal long form: BER, refused.
  const ber = Buffer.concat([Buffer.of(0x30, 0x81, der[1] as number), der.subarray(2)]);
  refused(() => parseSpki(ber), 'INVALID_KEY', /length 89 in long form/);
  refused(() => parseSpki(Buffer.from('30020500', 'hex')), 'INVALID_KEY', /not a DER SubjectPublicKeyInfo/);
});

test('an ECDSA signature with a padded or negative integer is INVALID_SIGNATURE', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = nodeSign('sha256', Buffer.from('m'), { key: privateKey, dsaEncoding: 'der' });
  assert.equal(derToRaw(der, 32).length, 64);
  // 30 08 | 02 02 00 01 | 02 02 00 01: r and s padded with a redundant zero byte.
  refused(() => derToRaw(h('30 08 02 02 00 01 02 02 00 01'), 32), 'INVALID_SIGNATURE', /redundant leading byte/);
  refused(() => derToRaw(h('30 06 02 01 81 02 01 01'), 32), 'INVALID_SIGNATURE', /negative/);
  refused(() => derToRaw(h('30 06 02 01 01 02 01 01 00'), 32), 'INVALID_SIGNATURE', /trailing bytes/);
});

test('a damaged certificate is INVALID_KEY', () => {
  refused(() => parseCertificate(h('30 03 02 01')), 'INVALID_KEY', /^X\.509: not a DER certificate: DER: truncated value/);
  refused(() => parseCertificate(h('30 03 05 00 00')), 'INVALID_KEY', /X\.509: /);
});

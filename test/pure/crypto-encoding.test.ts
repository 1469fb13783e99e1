import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign, randomBytes } from 'node:crypto';
import { derToRaw, rawToDer } from '../../shared/crypto/ecdsa';
import { ecPointToSpki, ed25519ToSpki, parseSpki, rsaToSpki } from '../../shared/crypto/spki';
import { verifySignature, sha256Hex } from '../../shared/crypto/webcrypto';
import { fromBase64, fromHex, pemDecode, pemEncode, toBase64, toHex, bytesEqual } from '../../shared/encoding/bytes';
import { SoftwareSigner } from '../helpers/software-signer';

test('base64 and hex match Node for random lengths', () => {
  for (let n = 0; n < 70; n++) {
    const b = randomBytes(n);
    assert.equal(toBase64(b), b.toString('base64'));
    assert.deepEqual(Buffer.from(fromBase64(b.toString('base64'))), b);
    assert.equal(toHex(b), b.toString('hex'));
    assert.deepEqual(Buffer.from(fromHex(b.toString('hex'))), b);
  }
  assert.throws(() => fromHex('abc'));
  assert.throws(() => fromBase64('@@@'));
});

test('base64 and hex of inputs around and beyond the 4 KiB scratch buffer, and results that outlive it', () => {
  const kept: [string, string, Buffer][] = [];
  for (const n of [1364, 1365, 2047, 2048, 2049, 3071, 3072, 3073, 65536 + 1]) {
    const b = randomBytes(n);
    kept.push([toBase64(b), toHex(b), b]);
  }
  // every earlier result is still its own input's encoding after later calls reused the scratch
  for (const [b64, hex, b] of kept) {
    assert.equal(b64, b.toString('base64'));
    assert.equal(hex, b.toString('hex'));
  }
  // every byte value maps to its characters (a table off by one fails here)
  const all = Buffer.from(Array.from({ length: 256 * 3 }, (_, i) => (i * 7) & 255));
  assert.equal(toBase64(all), all.toString('base64'));
  assert.equal(toHex(all), all.toString('hex'));
});

test('base64: the one-pass decoder and the general path agree; misplaced padding is refused', () => {
  // Canonical input takes the one-pass path; the same bytes with whitespace, URL-safe characters or
  // without padding take the general path: both must give Node's bytes.
  for (let n = 0; n < 40; n++) {
    const b = randomBytes(n);
    const std = b.toString('base64');
    assert.deepEqual(Buffer.from(fromBase64(std)), b, std);
    assert.deepEqual(Buffer.from(fromBase64(std.replace(/=+$/, ''))), b, `${std} unpadded`);
    assert.deepEqual(Buffer.from(fromBase64(b.toString('base64url'))), b, `${std} url-safe`);
    assert.deepEqual(Buffer.from(fromBase64(std.replace(/(.{4})/g, '$1\n'))), b, `${std} wrapped`);
  }
  for (const bad of ['A===', 'AB=C', '=AAA', 'AAA*', 'AA==AA==', 'AAAA====', 'AAA\u00e9']) {
    assert.throws(() => fromBase64(bad), /not a base64 string/, bad);
  }
});

test('ECDSA raw <-> DER conversion matches Node for many signatures (incl. high-bit and short integers)', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (let i = 0; i < 300; i++) {
    const msg = randomBytes(16);
    const raw = nodeSign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const der = nodeSign('sha256', msg, { key: privateKey, dsaEncoding: 'der' });
    // Node's DER for the same key/msg differs (random k), so compare by converting raw -> DER -> raw.
    assert.deepEqual(Buffer.from(derToRaw(rawToDer(raw), 32)), raw);
    assert.equal(derToRaw(der, 32).length, 64);
  }
  assert.throws(() => derToRaw(Uint8Array.of(0x30, 0x00, 0x00), 32));
});

test('SPKI parsing and building agree with Node exports', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const ecDer = ec.export({ type: 'spki', format: 'der' });
  const info = parseSpki(ecDer);
  assert.equal(info.algorithm, 'ecdsa-p256');
  assert.deepEqual(Buffer.from(ecPointToSpki(info.publicKey)), ecDer);
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
  assert.deepEqual(Buffer.from(ecPointToSpki(parseSpki(p384).publicKey)), p384);
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  assert.equal(parseSpki(ed).algorithm, 'ed25519');
  assert.deepEqual(Buffer.from(ed25519ToSpki(parseSpki(ed).publicKey)), ed);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey;
  const rsaDer = rsa.export({ type: 'spki', format: 'der' });
  assert.equal(parseSpki(rsaDer).bits, 3072);
  const jwk = rsa.export({ format: 'jwk' });
  assert.deepEqual(Buffer.from(rsaToSpki(Buffer.from(jwk.n as string, 'base64url'), Buffer.from(jwk.e as string, 'base64url'))), rsaDer);
  const pem = pemEncode('PUBLIC KEY', ecDer);
  assert.equal(pem, ec.export({ type: 'spki', format: 'pem' }));
  assert.ok(bytesEqual(pemDecode(pem).der, ecDer));
});

test('WebCrypto verification accepts good and rejects tampered signatures for every algorithm', async () => {
  const msg = new TextEncoder().encode('keyceremony');
  for (const [kt, alg] of [
    ['ecdsa-p256', 'ecdsa-p256-sha256'],
    ['ecdsa-p384', 'ecdsa-p384-sha384'],
    ['ecdsa-p384', 'ecdsa-p384-sha256'],
    ['ed25519', 'ed25519'],
    ['rsa-3072', 'rsa-pss-sha256'],
    ['rsa-3072', 'rsa-pkcs1-sha256'],
  ] as const) {
    const s = SoftwareSigner.generate(kt, alg);
    const sig = await s.sign(msg);
    assert.equal(await verifySignature(s.publicKeySpki, alg, msg, sig), true, alg);
    const bad = sig.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    assert.equal(await verifySignature(s.publicKeySpki, alg, msg, bad), false, `${alg} tampered`);
    assert.equal(await verifySignature(s.publicKeySpki, alg, new TextEncoder().encode('other'), sig), false, `${alg} other msg`);
  }
  // A P-256 signature is not accepted as P-384 or with another key type.
  const p256 = SoftwareSigner.generate('ecdsa-p256');
  const sig = await p256.sign(msg);
  assert.equal(await verifySignature(p256.publicKeySpki, 'ecdsa-p384-sha384', msg, sig), false);
  assert.equal(await verifySignature(p256.publicKeySpki, 'ed25519', msg, sig), false);
  assert.equal(await sha256Hex(new Uint8Array()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('WebCrypto helpers hash the bytes of a pooled Node Buffer, not its whole pool', async () => {
  const { createHash } = await import('node:crypto');
  const b = Buffer.from('hello world'); // small Buffers share one pool: b.buffer is much larger than b
  assert.ok(b.buffer.byteLength > b.length);
  assert.equal(await sha256Hex(b), createHash('sha256').update(b).digest('hex'));
});

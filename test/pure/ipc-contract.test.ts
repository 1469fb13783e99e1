/** The IPC contract's runtime schemas and the dispatch boundary (no tokens: a token module that must never be reached). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANNELS, isChannel, parseRequest, requestSchemas } from '../../shared/ipc/contract';
import { createIpcHost } from '../../electron/ipc/handlers';
import { KeyceremonyError } from '../../shared/errors';

const refuse = (fn: () => unknown, where: RegExp) => {
  assert.throws(fn, (e: unknown) => e instanceof KeyceremonyError && e.code === 'INVALID_INPUT' && where.test(e.where ?? ''));
};

test('every channel has the kc: prefix and a request schema', () => {
  assert.ok(CHANNELS.length >= 10);
  for (const c of CHANNELS) {
    assert.ok(c.startsWith('kc:'), c);
    assert.equal(typeof requestSchemas[c].parse, 'function');
  }
  assert.equal(isChannel('kc:nope'), false);
  assert.equal(isChannel('toString'), false);
  assert.equal(isChannel('__proto__'), false);
});

test('requests are strict: unknown fields, wrong types, bad PINs and oversize input are refused, naming the field', () => {
  const token = { serial: 'abc123' };
  const ok = parseRequest('kc:sign.data', { token, key: { label: 'k' }, pin: '1234', dataB64: 'aGk=' });
  assert.equal(ok.pin, '1234');
  assert.equal(parseRequest('kc:sign.data', { token, key: { label: 'k' }, pin: null, dataB64: '' }).pin, null, 'null = PIN pad');
  refuse(() => parseRequest('kc:sign.data', { token, key: { label: 'k' }, pin: '1234', dataB64: 'aGk=', extra: 1 }), /\.extra$/);
  refuse(() => parseRequest('kc:sign.data', { token, key: { label: 'k' }, pin: 1234, dataB64: 'aGk=' }), /\.pin$/);
  refuse(() => parseRequest('kc:sign.data', { token, key: { label: 'k' }, pin: '12', dataB64: 'aGk=' }), /\.pin$/);
  refuse(() => parseRequest('kc:sign.data', { token, key: { label: 'k' }, pin: '1234\n', dataB64: 'aGk=' }), /\.pin$/);
  refuse(() => parseRequest('kc:sign.data', { token, key: { label: 'k' }, dataB64: 'aGk=' }), /\.pin$/);
  refuse(() => parseRequest('kc:sign.data', { token, key: { label: 'k' }, pin: '1234', dataB64: '!!' }), /\.dataB64$/);
  refuse(() => parseRequest('kc:sign.data', { token: { serial: '' }, key: { label: 'k' }, pin: '1234', dataB64: '' }), /\.token\.serial$/);
  refuse(() => parseRequest('kc:keys.generate', { token, pin: '1234', keyType: 'dsa', label: 'x' }), /\.keyType$/);
  refuse(() => parseRequest('kc:keys.generate', { token, pin: '1234', keyType: 'ed25519', label: 'a\u0000b' }), /\.label$/);
  refuse(() => parseRequest('kc:keys.generate', { token, pin: '1234', keyType: 'ed25519', label: 'x'.repeat(65) }), /\.label$/);
  refuse(() => parseRequest('kc:files.save', { suggestedName: '../x', text: '', kind: 'other' }), /suggestedName$/);
  refuse(() => parseRequest('kc:app.info', null), /^kc:app\.info$/);
  refuse(() => parseRequest('kc:app.info', []), /^kc:app\.info$/);
  refuse(() => parseRequest('kc:sign.batch', { jobId: 'j', token, key: { label: 'k' }, pin: '1234', itemsB64: [] }), /itemsB64$/);
  // A class instance or prototype trick is not a plain object.
  refuse(
    () =>
      parseRequest('kc:tokens.check', {
        expect: new (class {
          serial = 'x';
        })(),
      }),
    /\.expect$/,
  );
  refuse(() => parseRequest('kc:tokens.check', JSON.parse('{"expect":{"serial":"x"},"__proto__":{"a":1}}')), /__proto__/);
});

test('dispatch refuses untrusted senders, sub-frames, unknown channels and bad payloads before any handler runs', async () => {
  let opened = 0;
  const host = createIpcHost(
    {
      mode: 'production',
      version: 't',
      moduleName: null,
      openTokens: () => {
        opened++;
        throw new Error('must not be reached');
      },
      saveFile: async () => ({ saved: false, name: '' }),
    },
    { isTrustedSender: (u) => u === 'app://keyceremony/index.html' },
  );
  const ctx = (senderUrl: string, isMainFrame = true) => ({ senderUrl, isMainFrame, emit: () => {} });
  const good = ctx('app://keyceremony/index.html');
  const info = await host.dispatch('kc:app.info', {}, good);
  assert.deepEqual(info.ok && (info.value as { mode: string }).mode, 'production');
  for (const c of [ctx('https://evil.example/'), ctx('app://keyceremony/index.html', false)]) {
    const r = await host.dispatch('kc:tokens.list', {}, c);
    assert.equal(!r.ok && r.error.code, 'PRECONDITION_FAILED');
  }
  const u = await host.dispatch('kc:shell.exec', {}, good);
  assert.equal(!u.ok && u.error.code, 'INVALID_INPUT');
  const b = await host.dispatch('kc:sign.data', { token: { serial: 'x' }, pin: 'secret-pin-1', dataB64: '' }, good);
  assert.equal(!b.ok && b.error.code, 'INVALID_INPUT');
  assert.equal(JSON.stringify(b).includes('secret-pin-1'), false, 'the PIN is never echoed');
  assert.equal(opened, 0);
  // A handler that throws becomes a Result, never an exception across IPC.
  const t = await host.dispatch('kc:tokens.list', {}, good);
  assert.equal(!t.ok && t.error.code, 'INTERNAL');
  assert.equal(opened, 1);
});

test('kc:verify.signature with a malformed key: INVALID_KEY with a sentence, never INTERNAL (issue 12 item 12)', async () => {
  const { SoftwareSigner } = await import('../helpers/software-signer');
  const { toBase64 } = await import('../../shared/encoding/bytes');
  const host = createIpcHost(
    { mode: 'production', version: 't', moduleName: null, openTokens: () => ({}) as never, saveFile: async () => ({ saved: false, name: '' }) },
    { isTrustedSender: () => true },
  );
  const ctx = { senderUrl: 'app://keyceremony/index.html', isMainFrame: true, emit: () => {} };
  const s = SoftwareSigner.generate('ecdsa-p256');
  const sig = await s.sign(new Uint8Array([1, 2, 3]));
  const offCurve = s.publicKeySpki.slice();
  offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1;
  const badMarker = s.publicKeySpki.slice();
  badMarker[badMarker.length - 65] = 0x44;
  for (const [name, spki] of [
    ['point off the curve', offCurve],
    ['bad point marker', badMarker],
    ['truncated DER', s.publicKeySpki.subarray(0, 30)],
    ['not DER', new TextEncoder().encode('hello')],
  ] as const) {
    const r = await host.dispatch(
      'kc:verify.signature',
      { spkiB64: toBase64(spki), algorithm: 'ecdsa-p256-sha256', dataB64: toBase64(new Uint8Array([1, 2, 3])), signatureB64: toBase64(sig) },
      ctx,
    );
    assert.equal(r.ok, false, name);
    if (!r.ok) {
      assert.equal(r.error.code, 'INVALID_KEY', `${name}: ${JSON.stringify(r.error)}`);
      assert.doesNotMatch(r.error.message, /Unexpected error/, name);
    }
  }
  const good = await host.dispatch(
    'kc:verify.signature',
    { spkiB64: toBase64(s.publicKeySpki), algorithm: 'ecdsa-p256-sha256', dataB64: toBase64(new Uint8Array([1, 2, 3])), signatureB64: toBase64(sig) },
    ctx,
  );
  assert.deepEqual(good, { ok: true, value: { valid: true } });
});

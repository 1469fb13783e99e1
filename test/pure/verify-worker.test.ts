/**
 * The batch verifier behind TokenSigner.signMany (electron/adapters/pkcs11/verify-worker.ts): every
 * signature is verified, by the worker thread or by the caller, whichever claims its chunk; one bad
 * signature anywhere (a chunk the worker checks, or the last one the caller checks) fails the batch;
 * a worker that dies mid-batch leaves its chunks to the caller. Signatures are made by node:crypto
 * keys (no token needed); the token path is in test/token/pkcs11.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { BatchVerifier, stopVerifyWorker, type VerifyParams } from '../../electron/adapters/pkcs11/verify-worker';

const N = 200;
const CHUNK = 32;
const msgs = Array.from({ length: N }, (_, i) => Buffer.from(`message ${i}`));

function keyAndSigs(type: 'ec' | 'ed25519' | 'rsa-pss') {
  if (type === 'ec') {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const params: VerifyParams = { hash: 'sha256', options: { dsaEncoding: 'der' } };
    return {
      spki: k.publicKey.export({ type: 'spki', format: 'der' }),
      params,
      sigs: msgs.map((m) => sign('sha256', m, { key: k.privateKey, dsaEncoding: 'der' })),
    };
  }
  if (type === 'ed25519') {
    const k = generateKeyPairSync('ed25519');
    return {
      spki: k.publicKey.export({ type: 'spki', format: 'der' }),
      params: { hash: null, options: {} },
      sigs: msgs.map((m) => sign(null, m, k.privateKey)),
    };
  }
  const k = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const options = { padding: 6, saltLength: 32 };
  return {
    spki: k.publicKey.export({ type: 'spki', format: 'der' }),
    params: { hash: 'sha256', options },
    sigs: msgs.map((m) => sign('sha256', m, { key: k.privateKey, ...options })),
  };
}

const ec = keyAndSigs('ec');

/** Add every signature in chunks as signMany does; optionally wait until the worker reported a chunk. */
async function run(
  sigs: readonly Uint8Array[],
  opts: { waitForWorker?: boolean; params?: VerifyParams; spki?: Buffer; beforeFinish?: () => Promise<void>; maxSignatureBytes?: number } = {},
) {
  let verified = 0;
  const b = new BatchVerifier(opts.spki ?? ec.spki, opts.params ?? ec.params, msgs, {
    maxSignatureBytes: opts.maxSignatureBytes ?? 512,
    onVerified: (n) => (verified += n),
  });
  sigs.forEach((s) => {
    b.add(s);
    if (b.buffered >= CHUNK) b.flush();
  });
  b.flush();
  // signMany polls at its event-loop turns; here, until the worker's first verdict is in
  for (let t = 0; opts.waitForWorker && verified === 0 && !b.anyFailed && t < 5000; t++) {
    await new Promise((r) => setTimeout(r, 1));
    b.poll();
  }
  await opts.beforeFinish?.();
  const ok = await b.finish();
  return { ok, verified, b };
}

test('every signature of a batch verifies; the worker and the caller share the chunks', async () => {
  const r = await run(ec.sigs, { waitForWorker: true });
  assert.equal(r.ok, true);
  assert.equal(r.verified, N, 'progress counts every signature once');
  assert.ok(r.b.chunksByWorker > 0, 'the worker verified at least one chunk');
  assert.equal(r.b.chunksByWorker + r.b.chunksHere, Math.ceil(N / CHUNK), 'each chunk verified exactly once');
});

for (const [where, index] of [
  ['the first chunk (the worker)', 3],
  ['the last chunk (the caller)', N - 1],
] as const) {
  test(`one bad signature in ${where} fails the batch`, async () => {
    const sigs: Buffer[] = ec.sigs.slice();
    const bad = Buffer.from(sigs[index] as Buffer);
    bad[bad.length - 3] = (bad[bad.length - 3] as number) ^ 1;
    sigs[index] = bad;
    assert.equal((await run(sigs, { waitForWorker: index < CHUNK })).ok, false);
    // a signature of another message in the right place is refused too
    const swapped: Buffer[] = ec.sigs.slice();
    swapped[index] = ec.sigs[0] as Buffer;
    assert.equal((await run(swapped)).ok, false);
  });
}

test('garbage instead of a DER signature fails the batch, it does not throw', async () => {
  const sigs: Buffer[] = ec.sigs.slice();
  sigs[40] = Buffer.from('not a signature');
  assert.equal((await run(sigs, { waitForWorker: true })).ok, false);
});

test('Ed25519 and RSA-PSS parameters reach the worker', async () => {
  for (const t of ['ed25519', 'rsa-pss'] as const) {
    const k = keyAndSigs(t);
    const r = await run(k.sigs, { spki: k.spki, params: k.params, waitForWorker: true });
    assert.equal(r.ok, true, t);
    assert.ok(r.b.chunksByWorker > 0, `${t}: worker used`);
    const wrong = await run(ec.sigs, { spki: k.spki, params: k.params });
    assert.equal(wrong.ok, false, `${t}: P-256 signatures do not verify under this key`);
  }
});

test('a worker that dies mid-batch leaves every unreported chunk to the caller', async () => {
  const sigs: Buffer[] = ec.sigs.slice();
  sigs[N - 40] = ec.sigs[0] as Buffer; // a bad one the worker may have claimed when it died
  const bad = await run(sigs, { beforeFinish: () => stopVerifyWorker() });
  assert.equal(bad.ok, false);
  const good = await run(ec.sigs, { beforeFinish: () => stopVerifyWorker() });
  assert.equal(good.ok, true);
  assert.equal(good.verified, N);
  // the next batch starts a new worker
  const next = await run(ec.sigs, { waitForWorker: true });
  assert.equal(next.ok, true);
  assert.ok(next.b.chunksByWorker > 0);
});

test('a signature longer than the shared slots is verified by the caller, and still checked', async () => {
  // RSA-PSS signatures (256 bytes) against 128-byte slots: every chunk stays with the caller
  const k = keyAndSigs('rsa-pss');
  const r = await run(k.sigs, { spki: k.spki, params: k.params, maxSignatureBytes: 128 });
  assert.equal(r.ok, true);
  assert.equal(r.verified, N);
  assert.equal(r.b.chunksByWorker, 0);
  const sigs = k.sigs.slice() as Buffer[];
  sigs[7] = k.sigs[8] as Buffer;
  assert.equal((await run(sigs, { spki: k.spki, params: k.params, maxSignatureBytes: 128 })).ok, false);
});

test('a bad signature the worker finds shows in anyFailed at once (the caller stops signing)', async () => {
  const sigs: Buffer[] = ec.sigs.slice();
  sigs[2] = ec.sigs[3] as Buffer;
  const b = new BatchVerifier(ec.spki, ec.params, msgs, { maxSignatureBytes: 72 });
  try {
    for (let i = 0; i < CHUNK; i++) b.add(sigs[i] as Buffer);
    b.flush();
    // no poll: the worker's shared flag alone
    for (let t = 0; !b.anyFailed && t < 2000; t++) await new Promise((r) => setTimeout(r, 1));
    assert.equal(b.anyFailed, true);
    assert.equal(await b.finish(), false);
  } finally {
    b.close(); // an open batch keeps the process alive
  }
});

test('a batch opened while the worker serves another is verified by its caller; both complete', async () => {
  const first = new BatchVerifier(ec.spki, ec.params, msgs, { maxSignatureBytes: 72 });
  try {
    first.add(ec.sigs[0] as Buffer);
    first.flush();
    // the worker now waits for the first batch's next chunk
    await new Promise((r) => setTimeout(r, 20));
    const second = await run(ec.sigs);
    assert.equal(second.ok, true);
    assert.equal(second.verified, N);
    assert.equal(second.b.chunksHere, Math.ceil(N / CHUNK), 'every chunk of the second batch verified by its caller');
    for (let i = 1; i < N; i++) first.add(ec.sigs[i] as Buffer);
    assert.equal(await first.finish(), true);
  } finally {
    first.close();
  }
});

test('a batch whose next chunk does not come leaves the worker free; its caller verifies the rest', async () => {
  const b = new BatchVerifier(ec.spki, ec.params, msgs, { maxSignatureBytes: 72, workerIdleMs: 100 });
  let verified = 0;
  try {
    for (let i = 0; i < CHUNK; i++) b.add(ec.sigs[i] as Buffer);
    b.flush();
    for (let t = 0; b.chunksByWorker === 0 && t < 2000; t++) {
      await new Promise((r) => setTimeout(r, 1));
      b.poll();
    }
    assert.equal(b.chunksByWorker, 1);
    // the worker gives up on this batch after 100 ms without a chunk: the next batch is served at once
    await new Promise((r) => setTimeout(r, 400));
    const other = await run(ec.sigs, { waitForWorker: true });
    assert.equal(other.ok, true);
    assert.ok(other.b.chunksByWorker > 0, 'the worker serves the next batch');
    for (let i = CHUNK; i < N; i++) {
      b.add(ec.sigs[i] as Buffer);
      if (b.buffered >= CHUNK) b.flush();
    }
    assert.equal(await b.finish(), true);
    verified = b.chunksByWorker;
    assert.equal(b.chunksHere, Math.ceil(N / CHUNK) - 1, 'every later chunk verified by the caller');
  } finally {
    b.close();
  }
  assert.equal(verified, 1);
});

test('a batch larger than the shared memory allows is verified by its caller, every signature', async () => {
  // 200 messages + 200 slots of 72 bytes > 4 KiB: nothing is shared
  const mk = (sigs: readonly Uint8Array[]) => {
    const b = new BatchVerifier(ec.spki, ec.params, msgs, { maxSignatureBytes: 72, maxSharedBytes: 4096 });
    sigs.forEach((s) => {
      b.add(s);
      if (b.buffered >= CHUNK) b.flush();
    });
    return b;
  };
  const good = mk(ec.sigs);
  await new Promise((r) => setTimeout(r, 100)); // time enough for a worker that had the chunks to take some
  good.poll();
  assert.equal(await good.finish(), true);
  assert.equal(good.chunksByWorker, 0);
  assert.equal(good.chunksHere, Math.ceil(N / CHUNK));
  const sigs: Buffer[] = ec.sigs.slice();
  sigs[N - 5] = ec.sigs[5] as Buffer;
  assert.equal(await mk(sigs).finish(), false);
});

/**
 * Transparency-log entries in Sigstore bundles (issue 14 item 4): an entry must be about THIS bundle
 * (signature, key/certificate, artifact digest), and with a trusted root its SET, inclusion proof and
 * checkpoint must verify. Real data: sigstore-python's CVE-2022-36056 bundle, the sigstore-conformance
 * cases, sigstore-java's wrong-entry and mismatched-SET bundles; plus a log we run ourselves, so
 * that every Merkle path shape and every forged part is exercised.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, X509Certificate } from 'node:crypto';
import { INTEROP, pemToSpki } from './fixtures';
import { SoftwareSigner } from '../../helpers/software-signer';
import { verifyBundle, evaluateThreshold } from '../../../electron/core/cosign/verify';
import { signBlob } from '../../../electron/core/cosign/sign';
import { parseTrustedRoot } from '../../../shared/cosign/trusted-root';
import { canonicalBytes } from '../../../shared/json';
import { pemEncode, toBase64, utf8 } from '../../../shared/encoding/bytes';

const SIGSTORE = join(INTEROP, 'sigstore');
const CONF = join(SIGSTORE, 'sigstore-conformance', 'test', 'assets', 'bundle-verify');
const PY = join(SIGSTORE, 'sigstore-python', 'test', 'assets');
const JAVA = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'sigstore-java');
const PROD_ROOT = parseTrustedRoot(readFileSync(join(INTEROP, 'tuf', 'sigstore-root-signing', 'targets', 'trusted_root.json')));
const STAGING_ROOT = parseTrustedRoot(
  readFileSync(join(PY, 'staging-tuf', 'targets', 'ed6a9cf4e7c2e3297a4b5974fce0d17132f03c63512029d7aa3a402b43acab49.trusted_root.json')),
);
const A_TXT = new Uint8Array(readFileSync(join(CONF, 'a.txt')));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The key a user would pass with --key for a certificate bundle: the leaf certificate's. */
function leafKey(bundle: Buffer | string): Uint8Array {
  const vm = (
    JSON.parse(bundle.toString()) as {
      verificationMaterial: { certificate?: { rawBytes: string }; x509CertificateChain?: { certificates: { rawBytes: string }[] } };
    }
  ).verificationMaterial;
  const raw = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes;
  return new Uint8Array(new X509Certificate(Buffer.from(raw as string, 'base64')).publicKey.export({ type: 'spki', format: 'der' }));
}

describe('real bundles whose log entry belongs to another artifact are refused (no trusted root needed)', () => {
  test('sigstore-python CVE-2022-36056: the signature is valid, the log entry is for another signature and certificate', async () => {
    const bundle = readFileSync(join(PY, 'bundle_cve_2022_36056.txt.sigstore'));
    const artifact = new Uint8Array(readFileSync(join(PY, 'bundle_cve_2022_36056.txt')));
    const r = await verifyBundle({ spki: leafKey(bundle), bundle: new Uint8Array(bundle), artifact });
    assert.equal(r.valid, false);
    assert.match(r.reason, /tlog entry 1 \(hashedrekord\/0\.0\.1, log index 26084047\) records another signature than the bundle's/);
    // the signature alone is fine: without the entry the bundle verifies (what the old verifier reported)
    const j = JSON.parse(bundle.toString());
    j.verificationMaterial.tlogEntries = [];
    assert.equal((await verifyBundle({ spki: leafKey(bundle), bundle: j, artifact })).valid, true);
  });

  test('sigstore-java bundle-with-wrong-tlog-entry: refused with and without the production trusted root', async () => {
    const bundle = readFileSync(join(JAVA, 'bundle-with-wrong-tlog-entry.sigstore'));
    for (const trustedRoot of [undefined, PROD_ROOT]) {
      const r = await verifyBundle({ spki: leafKey(bundle), bundle: new Uint8Array(bundle), artifact: A_TXT, ...(trustedRoot ? { trustedRoot } : {}) });
      assert.equal(r.valid, false);
      assert.match(r.reason, /log index 150603746\) records another signature than the bundle's/);
    }
  });

  test('conformance body-mismatch cases are refused without a trusted root, naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['wrong-hashedrekord-entry_fail', /records another signature/],
      ['wrong-hashedrekord-artifact_fail', /records another signature/],
      ['wrong-hashedrekord-cert-and-sig_fail', /records another signature/],
      ['dsse-mismatch-sig_fail', /dsse\/0\.0\.1.*records another signature/],
      ['dsse-mismatch-envelope_fail', /dsse\/0\.0\.1.*records another signature/],
      ['intoto-log-entry-mismatch_fail', /intoto\/0\.0\.2.*records another signature/],
      ['rekor2-dsse-mismatch-sig_fail', /hashedrekord\/0\.0\.2.*records another signature/],
      ['rekor2-dsse-mismatch-envelope_fail', /hashedrekord\/0\.0\.2.*records another signature/],
      ['incorrect-public-key_fail', /names another certificate than the bundle's/],
      ['bundle-negative-log-index_fail', /logIndex "-1" is not a non-negative whole number/],
    ];
    for (const [d, re] of cases) {
      const bundle = readFileSync(join(CONF, d, 'bundle.sigstore.json'));
      const artifact = existsSync(join(CONF, d, 'artifact')) ? new Uint8Array(readFileSync(join(CONF, d, 'artifact'))) : A_TXT;
      const r = await verifyBundle({ spki: leafKey(bundle), bundle: new Uint8Array(bundle), artifact });
      assert.equal(r.valid, false, d);
      assert.match(r.reason, re, d);
    }
  });
});

describe('with a trusted root: SET, inclusion proof, checkpoint, log identity', () => {
  const rootOf = (d: string) =>
    existsSync(join(CONF, d, 'trusted_root.json')) ? parseTrustedRoot(readFileSync(join(CONF, d, 'trusted_root.json'))) : PROD_ROOT;
  const keyOf = (d: string, bundle: Buffer) =>
    existsSync(join(CONF, d, 'key.pub')) ? pemToSpki(readFileSync(join(CONF, d, 'key.pub'), 'utf8')) : leafKey(bundle);

  test('every conformance success case with a log entry verifies (Rekor v1 SET + proof, Rekor v2 proof + checkpoint)', async () => {
    const ok = readdirSync(CONF, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.endsWith('_fail'))
      .map((d) => d.name);
    assert.ok(ok.length >= 20, `${ok.length} cases`);
    for (const d of ok) {
      const bundle = readFileSync(join(CONF, d, 'bundle.sigstore.json'));
      const artifact = existsSync(join(CONF, d, 'artifact')) ? new Uint8Array(readFileSync(join(CONF, d, 'artifact'))) : A_TXT;
      const r = await verifyBundle({ spki: keyOf(d, bundle), bundle: new Uint8Array(bundle), artifact, trustedRoot: rootOf(d) });
      assert.equal(r.valid, true, `${d}: ${r.reason}`);
      assert.equal(r.tlog?.logVerified, true, d);
      assert.match(r.tlog?.summary ?? '', /(SET and inclusion proof|inclusion proof) under https?:\/\/\S+ verified/, d);
    }
  });

  test('conformance cases only the log signatures catch: each refused with its reason, each verified without the trusted root', async () => {
    const cases: [string, RegExp][] = [
      ['set-invalid-signature_fail', /the SET \(signed entry timestamp\) does not verify with the key of https:\/\/rekor\.sigstore\.dev/],
      ['inclusion-proof-corrupted-hash_fail', /the inclusion proof does not lead to its root hash/],
      ['invalid-inclusion-proof_fail', /the inclusion proof does not lead to its root hash/],
      ['checkpoint-wrong-roothash_fail', /the checkpoint is for another tree/],
      ['checkpoint-bad-keyhint_fail', /the checkpoint carries no signature by the log/],
      ['invalid-checkpoint-signature_fail', /the checkpoint's signature by rekor\.sigstore\.dev does not verify/],
      ['bundle-from-wrong-instance_fail', /logged by a transparency log that is not in the trusted root/],
      ['integrated-time-in-future_fail', /outside the signing certificate's validity/],
      ['intoto-set-outside-signing-cert-validity_fail', /outside the signing certificate's validity/],
      ['intoto-expired-certificate_fail', /outside the signing certificate's validity/],
      ['intoto-missing-inclusion-proof_fail', /bundle must carry an inclusion proof/],
      ['rekor2-no-inclusion-proof_fail', /bundle must carry an inclusion proof/],
      ['rekor2-checkpoint-missing-log-signature_fail', /no signature by the log/],
      ['rekor2-checkpoint-no-matching-signature_fail', /no signature by the log/],
      ['rekor2-checkpoint-missing-origin_fail', /lacks its origin, tree size or root hash/],
      ['rekor2-checkpoint-missing-root-hash_fail', /lacks its origin, tree size or root hash/],
      ['rekor2-checkpoint-missing-size_fail', /lacks its origin, tree size or root hash/],
    ];
    for (const [d, re] of cases) {
      const bundle = readFileSync(join(CONF, d, 'bundle.sigstore.json'));
      const artifact = existsSync(join(CONF, d, 'artifact')) ? new Uint8Array(readFileSync(join(CONF, d, 'artifact'))) : A_TXT;
      const spki = keyOf(d, bundle);
      const r = await verifyBundle({ spki, bundle: new Uint8Array(bundle), artifact, trustedRoot: rootOf(d) });
      assert.equal(r.valid, false, d);
      assert.match(r.reason, re, d);
      const offline = await verifyBundle({ spki, bundle: new Uint8Array(bundle), artifact });
      assert.equal(offline.valid, true, `${d} without a trusted root: ${offline.reason}`);
      assert.equal(offline.tlog?.logVerified, false);
      assert.match(offline.tlog?.summary ?? '', /NOT checked \(no trusted root given\)/);
    }
  });

  test('sigstore-go npm publish bundle (v0.1, SET only, "inclusionProof": null) verifies its SET under the production root', async () => {
    const ex = join(SIGSTORE, 'sigstore-go', 'examples');
    const spki = pemToSpki(readFileSync(join(ex, 'publish_key.pub'), 'utf8'));
    const r = await verifyBundle({ spki, bundle: new Uint8Array(readFileSync(join(ex, 'bundle-publish.json'))), trustedRoot: PROD_ROOT });
    assert.equal(r.valid, true, r.reason);
    assert.match(r.tlog?.summary ?? '', /SET under https:\/\/rekor\.sigstore\.dev verified/);
  });

  test('a trusted root whose log has no start of validity is refused (trust-root-tlog-missing-validity-start_fail)', () => {
    assert.throws(() => parseTrustedRoot(readFileSync(join(CONF, 'trust-root-tlog-missing-validity-start_fail', 'trusted_root.json'))), {
      code: 'INVALID_INPUT',
      message: /validFor\.start is missing/,
    });
  });

  test("sigstore-java bundle-with-mismatched-set: the body matches, the SET is another entry's", async () => {
    const bundle = readFileSync(join(JAVA, 'bundle-with-mismatched-set.sigstore'));
    const spki = leafKey(bundle);
    const offline = await verifyBundle({ spki, bundle: new Uint8Array(bundle), artifact: A_TXT });
    assert.equal(offline.valid, true, offline.reason);
    const r = await verifyBundle({ spki, bundle: new Uint8Array(bundle), artifact: A_TXT, trustedRoot: PROD_ROOT });
    assert.equal(r.valid, false);
    assert.match(r.reason, /log index 27246492\): the SET \(signed entry timestamp\) does not verify/);
    // only the SET is foreign: the same entry judged by its inclusion proof and checkpoint (as a v0.3 bundle) verifies
    const j = JSON.parse(bundle.toString());
    j.mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    delete j.verificationMaterial.tlogEntries[0].inclusionPromise;
    const byProof = await verifyBundle({ spki, bundle: j, artifact: A_TXT, trustedRoot: PROD_ROOT });
    assert.equal(byProof.valid, true, byProof.reason);
  });

  test('sigstore-python staging bundles verify under the staging root; no-log-entry is refused when a root is given', async () => {
    for (const f of ['bundle.txt', 'bundle_v3.txt', 'bundle_v3_alt.txt', 'staging-rekor-v2.txt']) {
      const name = existsSync(join(PY, `${f}.sigstore`)) ? `${f}.sigstore` : `${f}.sigstore.json`;
      const bundle = readFileSync(join(PY, name));
      const r = await verifyBundle({
        spki: leafKey(bundle),
        bundle: new Uint8Array(bundle),
        artifact: new Uint8Array(readFileSync(join(PY, f))),
        trustedRoot: STAGING_ROOT,
      });
      assert.equal(r.valid, true, `${f}: ${r.reason}`);
    }
    const none = readFileSync(join(PY, 'bundle_no_log_entry.txt.sigstore'));
    const r = await verifyBundle({
      spki: leafKey(none),
      bundle: new Uint8Array(none),
      artifact: new Uint8Array(readFileSync(join(PY, 'bundle_no_log_entry.txt'))),
      trustedRoot: STAGING_ROOT,
    });
    assert.match(r.reason, /no transparency-log entry, but a trusted root was given/);
  });
});

// ---- a log of our own: RFC 6962 tree built independently of the verifier (recursive definition) ----

const H = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
const leafHash = (d: Uint8Array) => H(Uint8Array.of(0), d);
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leafHash(leaves[0] as Uint8Array);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return H(Uint8Array.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function auditPath(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...auditPath(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...auditPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

async function ourLog(opts: { size: number; index: number }) {
  const log = SoftwareSigner.generate('ecdsa-p256');
  const logId = H(log.publicKeySpki);
  const signer = SoftwareSigner.generate('ecdsa-p256');
  const blob = utf8('release 1.0\n');
  const { bundle, signature } = await signBlob(signer, blob);
  const body = canonicalBytes({
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(blob).digest('hex') } },
      signature: { content: toBase64(signature), publicKey: { content: toBase64(utf8(pemEncode('PUBLIC KEY', signer.publicKeySpki))) } },
    },
  });
  const leaves = Array.from({ length: opts.size }, (_, i) => (i === opts.index ? body : utf8(`other entry ${i}`)));
  const root = mth(leaves);
  const note = `log.example - 1\n${opts.size}\n${toBase64(root)}\n`;
  const cpSig = await log.sign(utf8(note));
  const checkpoint = `${note}\n\u2014 log.example ${toBase64(new Uint8Array([...logId.subarray(0, 4), ...cpSig]))}\n`;
  const integratedTime = 1_767_225_600; // 2026-01-01
  const set = await log.sign(canonicalBytes({ body: toBase64(body), integratedTime, logID: Buffer.from(logId).toString('hex'), logIndex: 1000 + opts.index }));
  bundle.verificationMaterial.tlogEntries = [
    {
      logIndex: String(1000 + opts.index),
      logId: { keyId: toBase64(logId) },
      kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: toBase64(set) },
      inclusionProof: {
        logIndex: String(opts.index),
        rootHash: toBase64(root),
        treeSize: String(opts.size),
        hashes: auditPath(opts.index, leaves).map(toBase64),
        checkpoint: { envelope: checkpoint },
      },
      canonicalizedBody: toBase64(body),
    },
  ];
  const trustedRoot = parseTrustedRoot(
    utf8(
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [
          {
            baseUrl: 'https://log.example',
            hashAlgorithm: 'SHA2_256',
            publicKey: { rawBytes: toBase64(log.publicKeySpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2025-01-01T00:00:00Z' } },
            logId: { keyId: toBase64(logId) },
          },
        ],
      }),
    ),
  );
  return { bundle, blob, signer, log, trustedRoot, now: new Date('2026-02-01T00:00:00Z') };
}

type Entry = {
  inclusionProof: { hashes: string[]; logIndex: string; rootHash: string; checkpoint: { envelope: string } };
  inclusionPromise?: unknown;
  canonicalizedBody: string;
  logId: { keyId: string };
  integratedTime: string;
};
const entryOf = (b: { verificationMaterial: { tlogEntries?: unknown[] } }) => b.verificationMaterial.tlogEntries?.[0] as Entry;

describe('a log we run: every path shape verifies, every forged part is named', () => {
  test('every leaf of trees of size 1..9: SET + inclusion proof + checkpoint verify', async () => {
    for (let size = 1; size <= 9; size++) {
      for (let index = 0; index < size; index++) {
        const l = await ourLog({ size, index });
        const r = await verifyBundle({ spki: l.signer.publicKeySpki, bundle: l.bundle, artifact: l.blob, trustedRoot: l.trustedRoot, now: l.now });
        assert.equal(r.valid, true, `size ${size} index ${index}: ${r.reason}`);
        assert.match(r.tlog?.summary ?? '', /SET and inclusion proof under https:\/\/log\.example verified/);
      }
    }
  });

  test('forgeries: body digest, body key, proof hash, proof index, checkpoint root, SET by another key, unknown log, entry time', async () => {
    const l = await ourLog({ size: 6, index: 4 });
    const run = async (mutate: (e: Entry, b: typeof l.bundle) => void | Promise<void>, opts: { root?: boolean } = { root: true }) => {
      const b = clone(l.bundle);
      await mutate(entryOf(b), b);
      return verifyBundle({ spki: l.signer.publicKeySpki, bundle: b, artifact: l.blob, ...(opts.root ? { trustedRoot: l.trustedRoot } : {}), now: l.now });
    };
    const rebody = (e: Entry, edit: (j: { spec: { data: { hash: { value: string } }; signature: { publicKey: { content: string } } } }) => void) => {
      const j = JSON.parse(Buffer.from(e.canonicalizedBody, 'base64').toString());
      edit(j);
      e.canonicalizedBody = toBase64(canonicalBytes(j));
    };
    // body about another artifact: refused even offline
    assert.match(
      (await run((e) => rebody(e, (j) => void (j.spec.data.hash.value = 'ab'.repeat(32))), { root: false })).reason,
      /records the digest of another artifact/,
    );
    const other = SoftwareSigner.generate('ecdsa-p256');
    assert.match(
      (
        await run((e) => rebody(e, (j) => void (j.spec.signature.publicKey.content = toBase64(utf8(pemEncode('PUBLIC KEY', other.publicKeySpki))))), {
          root: false,
        })
      ).reason,
      /names another public key than the one verified/,
    );
    // kind/version mismatch between the entry and its body
    assert.match(
      (await run((e) => void ((e as unknown as { kindVersion: { version: string } }).kindVersion.version = '0.0.2'), { root: false })).reason,
      /the body is hashedrekord\/0\.0\.1, not what the entry says/,
    );
    // log proofs
    assert.match((await run((e) => void (e.inclusionProof.hashes[0] = toBase64(new Uint8Array(32))))).reason, /inclusion proof does not lead to its root hash/);
    assert.match((await run((e) => void (e.inclusionProof.logIndex = '3'))).reason, /inclusion proof does not lead to its root hash/);
    assert.match(
      (await run((e) => void (e.inclusionProof.hashes = e.inclusionProof.hashes.slice(1)))).reason,
      /inclusion proof does not lead to its root hash/,
    );
    assert.match(
      (
        await run(
          (e) =>
            void (e.inclusionProof.checkpoint.envelope = e.inclusionProof.checkpoint.envelope.replace(
              /\n[A-Za-z0-9+/=]{44}\n/,
              `\n${toBase64(new Uint8Array(32))}\n`,
            )),
        )
      ).reason,
      /checkpoint's signature by log\.example does not verify/,
    );
    assert.match(
      (
        await run(
          async (e) =>
            void ((e as unknown as { inclusionPromise: { signedEntryTimestamp: string } }).inclusionPromise.signedEntryTimestamp = toBase64(
              await other.sign(utf8('x')),
            )),
        )
      ).reason,
      /the SET \(signed entry timestamp\) does not verify/,
    );
    assert.match((await run((e) => void (e.logId.keyId = toBase64(new Uint8Array(32))))).reason, /not in the trusted root/);
    assert.match((await run((e) => void (e.integratedTime = '1893456000'))).reason, /SET \(signed entry timestamp\) does not verify|in the future/);
    assert.match((await run((e) => void (e.integratedTime = '1700000000'))).reason, /outside the trusted root's validity for that log/);
    // a checkpoint for another tree, correctly signed by the log
    const cpFor = async (size: number) => {
      const note = `log.example - 1\n${size}\n${toBase64(new Uint8Array(32).fill(7))}\n`;
      const sig = await l.log.sign(utf8(note));
      return `${note}\n\u2014 log.example ${toBase64(new Uint8Array([...H(l.log.publicKeySpki).subarray(0, 4), ...sig]))}\n`;
    };
    const cp = await cpFor(6);
    assert.match((await run((e) => void (e.inclusionProof.checkpoint.envelope = cp))).reason, /the checkpoint is for another tree/);
  });

  test('m-of-n over bundles with log entries: a forged entry does not count', async () => {
    const l = await ourLog({ size: 3, index: 1 });
    const bad = clone(l.bundle);
    entryOf(bad).inclusionProof.hashes[0] = toBase64(new Uint8Array(32));
    const keys = [l.signer.publicKeySpki, SoftwareSigner.generate('ecdsa-p256').publicKeySpki];
    const good = await evaluateThreshold({ keys, m: 1, bundles: [l.bundle], artifact: l.blob, trustedRoot: l.trustedRoot, now: l.now });
    assert.equal(good.met, true, good.reason);
    const forged = await evaluateThreshold({ keys, m: 1, bundles: [bad], artifact: l.blob, trustedRoot: l.trustedRoot, now: l.now });
    assert.equal(forged.met, false);
    assert.match(forged.perBundle[0]?.reason ?? '', /inclusion proof does not lead to its root hash/);
  });
});

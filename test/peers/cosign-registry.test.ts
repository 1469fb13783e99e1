/**
 * The online step, end to end on loopback: a real registry (Debian docker-registry 2.8, bound to
 * 127.0.0.1 on a free port) holds a small OCI image; keyceremony signs its digest on a SoftHSM2 token;
 * the signature is attached the way cosign stores it (legacy tag `sha256-<hex>.sig`, one
 * `application/vnd.dev.cosign.simplesigning.v1+json` layer with the `dev.cosignproject.cosign/signature`
 * annotation — cosign `specs/SIGNATURE_SPEC.md`), the bundle as an OCI 1.1 referrer manifest
 * (`specs/BUNDLE_SPEC.md`); then everything is fetched back over HTTP and checked with
 * `keyceremony cosign verify`. No cosign binary exists here, so the push is done by this test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';

const BIN = resolve('bin/keyceremony.mjs');
const REGISTRY = '/usr/bin/docker-registry';
const haveRegistry = spawnSync('sh', ['-c', `test -x ${REGISTRY}`]).status === 0;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

let hsm: TestHsm;
let dir: string;
let reg: ChildProcess | undefined;
let base = '';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

async function pushBlob(repo: string, data: Uint8Array): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${sha(data)}`;
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202, await start.text());
  const loc = new URL(start.headers.get('location') as string, base);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: Buffer.from(data) as unknown as BodyInit, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(put.status, 201, await put.text());
  return { digest, size: data.length };
}

async function pushManifest(repo: string, ref: string, manifest: unknown): Promise<{ status: number; digest: string; body: string }> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const r = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    body: bytes as unknown as BodyInit,
    headers: { 'content-type': OCI_MANIFEST },
  });
  return { status: r.status, digest: `sha256:${sha(bytes)}`, body: await r.text() };
}

async function get(path: string, accept = OCI_MANIFEST): Promise<Buffer> {
  const r = await fetch(`${base}${path}`, { headers: { accept } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

function kc(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_PIN: '' },
  });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

before(async () => {
  if (!haveRegistry) return;
  hsm = await makeSoftHsm(['reg-a']);
  const mod = Pkcs11Module.open(hsm.module);
  try {
    await mod.withSession({ label: 'reg-a' }, { pin: hsm.pinOf('reg-a'), rw: true }, async (s) => {
      await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'release' });
    });
  } finally {
    mod.close();
  }
  dir = mkdtempSync(join(tmpdir(), 'kc-registry-'));
  writeFileSync(join(dir, 'pin'), '1234\n');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'registry.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'store')}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  reg = spawn(REGISTRY, ['serve', join(dir, 'registry.yml')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/v2/`)).status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('docker-registry did not start');
});

after(() => {
  if (reg?.pid) reg.kill('SIGTERM');
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'sign offline, attach as cosign does, fetch back, verify',
  { skip: haveRegistry ? false : 'docker-registry is not installed (apt-get install docker-registry)' },
  async () => {
    const repo = 'release/app';
    const host = new URL(base).host;
    // 1. an image in the registry
    const config = await pushBlob(repo, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })));
    const layer = await pushBlob(repo, Buffer.from('not really a tarball, the registry does not look'));
    const image = await pushManifest(repo, 'v1', {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    });
    assert.equal(image.status, 201, image.body);
    const ref = `${host}/${repo}@${image.digest}`;

    // 2. offline: sign the digest on the token
    let r = kc(['cosign', 'sign', '--token', 'reg-a', '--label', 'release', '--pin-file', 'pin', '--image', ref, '--out', 'sigs']);
    assert.equal(r.code, 0, r.err);
    const idx = JSON.parse(readFileSync(join(dir, 'sigs', 'index.json'), 'utf8')) as { signatures: { reference: string; dir: string }[] };
    const sd = join(dir, 'sigs', idx.signatures[0]!.dir);
    const payload = readFileSync(join(sd, 'payload.json'));
    const sigB64 = readFileSync(join(sd, 'signature.sig'), 'utf8').trim();
    const bundle = readFileSync(join(sd, 'bundle.sigstore.json'));

    // 3. online, legacy attach (what `cosign attach signature --payload --signature` writes)
    const emptyCfg = await pushBlob(repo, Buffer.from('{}'));
    const payloadBlob = await pushBlob(repo, payload);
    const sigTag = `sha256-${image.digest.slice(7)}.sig`;
    const sigManifest = await pushManifest(repo, sigTag, {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...emptyCfg },
      layers: [
        { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...payloadBlob, annotations: { 'dev.cosignproject.cosign/signature': sigB64 } },
      ],
    });
    assert.equal(sigManifest.status, 201, sigManifest.body);

    // 4. online, new format: the bundle as an OCI 1.1 referrer manifest of the image, stored by digest
    const bundleBlob = await pushBlob(repo, bundle);
    const imageSize = (await get(`/v2/${repo}/manifests/${image.digest}`)).length;
    const referrerManifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', ...emptyCfg },
      layers: [{ mediaType: BUNDLE_TYPE, ...bundleBlob }],
      subject: { mediaType: OCI_MANIFEST, digest: image.digest, size: imageSize },
    };
    const refDigest = `sha256:${sha(JSON.stringify(referrerManifest))}`;
    const referrer = await pushManifest(repo, refDigest, referrerManifest);
    assert.equal(referrer.status, 201, referrer.body);
    const referrersApi = await fetch(`${base}/v2/${repo}/referrers/${image.digest}`);
    // docker-registry 2.8 predates the OCI 1.1 referrers API; clients then use the `sha256-<hex>` tag index.
    process.stderr.write(`# GET /v2/${repo}/referrers/<digest> -> HTTP ${referrersApi.status}\n`);
    await referrersApi.arrayBuffer();

    // 5. a verifier online: fetch image manifest, signature manifest, layer, bundle; verify
    const manifestBytes = await get(`/v2/${repo}/manifests/v1`);
    assert.equal(`sha256:${sha(manifestBytes)}`, image.digest);
    writeFileSync(join(dir, 'fetched-manifest.json'), manifestBytes);
    const sm = JSON.parse((await get(`/v2/${repo}/manifests/${sigTag}`)).toString()) as { layers: { digest: string; annotations: Record<string, string> }[] };
    const fetchedPayload = await get(`/v2/${repo}/blobs/${sm.layers[0]!.digest}`, '*/*');
    writeFileSync(join(dir, 'fetched-payload.json'), fetchedPayload);
    writeFileSync(join(dir, 'fetched.sig'), sm.layers[0]!.annotations['dev.cosignproject.cosign/signature']!);
    r = kc([
      'cosign',
      'verify',
      '--key',
      join(dir, 'sigs', 'cosign.pub'),
      '--payload',
      'fetched-payload.json',
      '--signature',
      'fetched.sig',
      '--image',
      ref,
      '--manifest',
      'fetched-manifest.json',
    ]);
    assert.equal(r.code, 0, r.err);
    const rm = JSON.parse((await get(`/v2/${repo}/manifests/${refDigest}`)).toString()) as {
      artifactType: string;
      subject: { digest: string };
      layers: { digest: string }[];
    };
    assert.equal(rm.artifactType, BUNDLE_TYPE);
    assert.equal(rm.subject.digest, image.digest);
    writeFileSync(join(dir, 'fetched.sigstore.json'), await get(`/v2/${repo}/blobs/${rm.layers[0]!.digest}`, '*/*'));
    r = kc([
      'cosign',
      'verify',
      '--key',
      join(dir, 'sigs', 'cosign.pub'),
      '--bundle',
      'fetched.sigstore.json',
      '--artifact',
      'fetched-payload.json',
      '--image',
      ref,
    ]);
    assert.equal(r.code, 0, r.err);
    // a pushed image that was changed (new tag, other layer) does not match the signed digest
    const other = await pushManifest(repo, 'v2', {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...(await pushBlob(repo, Buffer.from('other'))) }],
    });
    writeFileSync(join(dir, 'v2-manifest.json'), await get(`/v2/${repo}/manifests/v2`));
    r = kc([
      'cosign',
      'verify',
      '--key',
      join(dir, 'sigs', 'cosign.pub'),
      '--payload',
      'fetched-payload.json',
      '--signature',
      'fetched.sig',
      '--manifest',
      'v2-manifest.json',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`manifest's digest is ${other.digest}`));
  },
);

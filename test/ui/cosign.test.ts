/**
 * Issue 11 proof, cosign in the app (real SoftHSM2 tokens, the built renderer in Chromium, the real
 * handler table):
 * - a 2-of-3 request made by the release manager (keys from key files, named), signed in turn by
 *   alice and bob on their own machines (each picks their key; the status is shown by name), exported
 *   with its policies; every exported bundle verifies with sigstore-js (@sigstore/verify), and the
 *   keys and m read back from BOTH exported policies make the CLI's threshold verify accept the
 *   bundles (and refuse one signer twice);
 * - images signed by digest from a pasted list, and an SPDX attestation over an image, each accepted
 *   by sigstore-js; a tag is refused.
 * axe-core on every screen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y } from '../helpers/axe';
import { sigstoreJsVerify } from '../helpers/sigstore-verify';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { publicKeyPem, parsePublicKeyPem } from '../../shared/cosign/keys';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let work: string;
const spki: Record<string, Uint8Array> = {};
const tok = (label: string) => hsm.tokens.find((t) => t.label === label)!;
const digest = (i: number) => createHash('sha256').update(`image ${i}`).digest('hex');
const IMAGES = [0, 1].map((i) => `registry.example.com/team/app${i}@sha256:${digest(i)}`);

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['alice', 'bob', 'carol']);
  mod = Pkcs11Module.open(hsm.module);
  work = mkdtempSync(path.join(tmpdir(), 'kc-ui-cosign-'));
  for (const t of ['alice', 'bob', 'carol']) {
    await mod.withSession({ label: t }, { pin: hsm.pinOf(t), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'release' });
      spki[t] = key.publicKeySpki;
      writeFileSync(path.join(work, `${t}.pub`), publicKeyPem(key.publicKeySpki));
    });
  }
  ui = await startUi({ tokens: () => mod });
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function kc(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { ...makeContext({ env: { ...process.env } }), out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function signRequestAs(m: Machine, file: string, who: string) {
  const p = m.page;
  await p.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
  await p.getByRole('button', { name: 'Open a signing request' }).click();
  await p.getByLabel('Open a signing request file').setInputFiles(file);
  await p.getByTestId('cosign-request').waitFor();
  m.reader.insert(tok(who).serial);
  await p.getByTestId('candidate').waitFor();
  await p.getByLabel(`PIN of token “${who}”`).fill(tok(who).pin);
  await p.getByRole('button', { name: 'Sign 2 images' }).click();
  await p.getByTestId('signed-now').waitFor();
}

test(
  'cosign 2-of-3 request completed in the app: sigstore-js accepts every bundle, the CLI threshold verify accepts them under the exported policies',
  { skip, timeout: 240_000 },
  async () => {
    const t0 = Date.now();
    const rm = await ui.machine({ name: 'cosign-rm' });
    const a = await ui.machine({ name: 'cosign-alice' });
    const b = await ui.machine({ name: 'cosign-bob' });
    const p = rm.page;
    await p.getByRole('navigation').getByRole('button', { name: 'cosign' }).click();
    await p.getByLabel('Make an m-of-n signing request').check();
    await p.getByLabel('Images, by digest (one per line: registry/repo@sha256:…)').fill(IMAGES.join('\n'));
    for (const who of ['alice', 'bob', 'carol']) {
      rm.dialogs.open.push(path.join(work, `${who}.pub`));
      await p.getByRole('button', { name: 'Add a key file…' }).click();
      await p.getByLabel(`Name of the signer for ${who}.pub`).fill(who);
    }
    await p.getByLabel('How many must sign (m)').fill('2');
    await p.getByRole('button', { name: 'Make the request' }).click();
    await p.getByTestId('cosign-request').waitFor();
    assert.equal(
      await p.getByTestId('rule-line').innerText(),
      'cosign request (2 images): 0 of 2 signer keys — nobody signed yet; 2 more of alice, bob, carol still needed',
    );
    await expectNoSeriousA11y(p, 'cosign: request made');
    await p.getByRole('button', { name: 'Save the request for the signers' }).click();
    await p.getByTestId('saved').waitFor();

    // alice signs on her machine, then bob on his, each with the file the previous one saved
    const usb = path.join(work, 'usb');
    mkdirSync(usb);
    copyFileSync(path.join(rm.saveDir, 'cosign-request.json'), path.join(usb, 'cosign-request.json'));
    // bob's token in alice's reader: his key is offered by HIS name, not alice's — the names come from the request
    a.reader.insert(tok('bob').serial);
    await a.page.getByRole('navigation').getByRole('button', { name: 'Sign', exact: true }).click();
    await signRequestAs(a, path.join(usb, 'cosign-request.json'), 'alice');
    assert.equal(await a.page.getByTestId('rule-line').innerText(), 'cosign request (2 images): 1 of 2 signer keys — alice signed; bob or carol still needed');
    await expectNoSeriousA11y(a.page, 'Sign: cosign request 1 of 2');
    await screenshot(a.page, 'cosign-request', a.page.getByTestId('cosign-request'));
    await a.page.getByRole('button', { name: 'Save the updated request' }).click();
    await a.page.getByTestId('saved').waitFor();
    copyFileSync(path.join(a.saveDir, 'cosign-request.json'), path.join(usb, 'cosign-request.json'));
    await signRequestAs(b, path.join(usb, 'cosign-request.json'), 'bob');
    assert.match(await b.page.getByTestId('cosign-status').innerText(), /2 of 2 signatures \(3 allowed signers\) — complete/);
    await b.page.getByRole('button', { name: 'Save the updated request' }).click();
    await b.page.getByTestId('saved').waitFor();

    // the release manager exports bundles and policies into a chosen folder
    const exportTo = path.join(work, 'export-medium');
    mkdirSync(exportTo);
    rm.dialogs.folder = exportTo;
    await p.getByLabel('Follow a request and export its bundles and policies').check();
    await p.getByLabel('Open the cosign signing request').setInputFiles(path.join(b.saveDir, 'cosign-request.json'));
    await p.locator('[data-testid="cosign-request"][data-complete="true"]').waitFor();
    await p.getByRole('button', { name: 'Export bundles and policies into a folder…' }).click();
    await p.getByTestId('exported').waitFor();
    await expectNoSeriousA11y(p, 'cosign: exported');
    const out = path.join(exportTo, 'cosign-release');
    const files = readdirSync(out).sort();
    assert.ok(files.includes('kyverno-clusterpolicy.yaml') && files.includes('policy-controller-clusterimagepolicy.yaml'), files.join(' '));

    // sigstore-js accepts every signer's bundle over each image's payload
    const imageDirs = files.filter((f) => f.startsWith('registry.example.com'));
    assert.equal(imageDirs.length, 2);
    for (const d of imageDirs) {
      const payload = readFileSync(path.join(out, d, 'payload.json'));
      const bundles = readdirSync(path.join(out, d)).filter((f) => f.endsWith('.sigstore.json'));
      assert.deepEqual(bundles.map((f) => f.split('-')[0]).sort(), ['alice', 'bob']);
      for (const f of bundles) {
        const json = JSON.parse(readFileSync(path.join(out, d, f), 'utf8')) as { verificationMaterial: { publicKey: { hint: string } } };
        const who = f.split('-')[0]!;
        sigstoreJsVerify(json, json.verificationMaterial.publicKey.hint, spki[who]!, payload);
        assert.throws(() => sigstoreJsVerify(json, json.verificationMaterial.publicKey.hint, spki[who]!, Buffer.from('other bytes')));
      }
    }

    // The policies: keys and m as each admission controller reads them; the CLI threshold verify accepts the bundles under them.
    const kyv = parseYaml(readFileSync(path.join(out, 'kyverno-clusterpolicy.yaml'), 'utf8')) as {
      spec: { rules: { verifyImages: { imageReferences: string[]; attestors: { count: number; entries: { keys: { publicKeys: string } }[] }[] }[] }[] };
    };
    const att = kyv.spec.rules[0]!.verifyImages[0]!.attestors[0]!;
    const cip = parseYaml(readFileSync(path.join(out, 'policy-controller-clusterimagepolicy.yaml'), 'utf8')) as {
      spec: { authorities: { key: { data: string } }[]; policy: { data: string } };
    };
    const policies = {
      kyverno: { m: att.count, keys: att.entries.map((e) => e.keys.publicKeys) },
      'policy-controller': { m: Number(/len\(matched\) >= (\d+)/.exec(cip.spec.policy.data)![1]), keys: cip.spec.authorities.map((x) => x.key.data) },
    };
    for (const [which, pol] of Object.entries(policies)) {
      assert.equal(pol.m, 2, which);
      assert.deepEqual(
        pol.keys.map((k) => Buffer.from(parsePublicKeyPem(k).spki).toString('hex')).sort(),
        ['alice', 'bob', 'carol'].map((t) => Buffer.from(spki[t]!).toString('hex')).sort(),
        `${which}: the three allowed keys`,
      );
      const keyFiles = pol.keys.map((k, i) => {
        const f = path.join(work, `${which}-key-${i}.pem`);
        writeFileSync(f, k);
        return f;
      });
      for (const [i, d] of imageDirs.entries()) {
        const dir = path.join(out, d);
        const bundles = readdirSync(dir)
          .filter((f) => f.endsWith('.sigstore.json'))
          .map((f) => path.join(dir, f));
        const image = IMAGES.find((im) => d.endsWith(im.slice(im.indexOf('@sha256:') + 8, im.indexOf('@sha256:') + 20)))!;
        const args = [
          'cosign',
          'verify',
          ...keyFiles.flatMap((k) => ['--key', k]),
          '--threshold',
          String(pol.m),
          '--artifact',
          path.join(dir, 'payload.json'),
          '--image',
          image,
        ];
        const ok = await kc([...args, ...bundles.flatMap((x) => ['--bundle', x])]);
        assert.equal(ok.code, 0, `${which} image ${i}: ${ok.err}`);
        const twice = await kc([...args, '--bundle', bundles[0]!, '--bundle', bundles[0]!]);
        assert.equal(twice.code, 1, `${which}: one signer twice is not 2 of 3`);
        assert.match(twice.err, /1 of 2/);
      }
    }
    console.log(`journey time: ${Date.now() - t0} ms`);
  },
);

test(
  'images signed by digest from a pasted list, and an SPDX attestation, both accepted by sigstore-js; a tag is refused',
  { skip, timeout: 120_000 },
  async () => {
    const m = await ui.machine({ name: 'cosign-signer' });
    const p = m.page;
    m.reader.insert(tok('carol').serial);
    await p.getByRole('navigation').getByRole('button', { name: 'cosign' }).click();
    await p.getByLabel('Images, by digest (one per line: registry/repo@sha256:…)').fill('registry.example.com/team/app:latest');
    await p.getByRole('button', { name: 'Check the list' }).click();
    await p.getByTestId('error').waitFor();
    assert.match(await p.getByTestId('error').innerText(), /digest/i);
    await p.getByLabel('Images, by digest (one per line: registry/repo@sha256:…)').fill(`# release\n${IMAGES.join('\n')}\n`);
    await p.getByRole('button', { name: 'Check the list' }).click();
    await p.getByTestId('images-ok').waitFor();
    const outDir = path.join(work, 'sig-medium');
    mkdirSync(outDir);
    m.dialogs.folder = outDir;
    await p.getByRole('button', { name: 'Choose the output folder…' }).click();
    await p.getByTestId('out-folder').waitFor();
    await p.getByTestId('candidate').waitFor();
    await p.getByLabel('PIN of token “carol”').fill(tok('carol').pin);
    await p.getByRole('button', { name: 'Sign 2 images' }).click();
    await p.getByTestId('signed-images').waitFor();
    await expectNoSeriousA11y(p, 'cosign: images signed');
    const [folder] = readdirSync(outDir);
    const index = JSON.parse(readFileSync(path.join(outDir, folder!, 'index.json'), 'utf8')) as {
      key: { fingerprint: string; pkcs11Uri: string };
      signatures: { reference: string; dir: string }[];
    };
    assert.deepEqual(
      index.signatures.map((s) => s.reference),
      IMAGES,
    );
    assert.match(index.key.pkcs11Uri, /^pkcs11:.*token=carol.*module-path=/);
    for (const s of index.signatures) {
      const b = JSON.parse(readFileSync(path.join(outDir, folder!, s.dir, 'bundle.sigstore.json'), 'utf8')) as {
        verificationMaterial: { publicKey: { hint: string } };
      };
      sigstoreJsVerify(b, b.verificationMaterial.publicKey.hint, spki.carol!, readFileSync(path.join(outDir, folder!, s.dir, 'payload.json')));
    }

    // a file (blob), as cosign sign-blob: sigstore-js accepts the bundle over the file
    writeFileSync(path.join(work, 'tool.tgz'), 'a release file\n');
    await p.getByLabel('Sign a file (blob) with my token').check();
    m.dialogs.open.push(path.join(work, 'tool.tgz'));
    await p.getByRole('button', { name: 'Choose the file…' }).click();
    await p.getByText('File: tool.tgz (15 bytes)').waitFor();
    await p.getByRole('region', { name: 'Sign a file' }).getByRole('button', { name: 'Choose the output folder…' }).click();
    await p.getByTestId('candidate').waitFor();
    await p.getByLabel('PIN of token “carol”').fill(tok('carol').pin);
    await p.getByRole('button', { name: 'Sign tool.tgz' }).click();
    await p.getByTestId('signed-blob').waitFor();
    const blobDir = path.join(outDir, 'tool.tgz.cosign');
    const blobBundle = JSON.parse(readFileSync(path.join(blobDir, 'blob.sigstore.json'), 'utf8')) as { verificationMaterial: { publicKey: { hint: string } } };
    sigstoreJsVerify(blobBundle, blobBundle.verificationMaterial.publicKey.hint, spki.carol!, readFileSync(path.join(work, 'tool.tgz')));
    assert.throws(() => sigstoreJsVerify(blobBundle, blobBundle.verificationMaterial.publicKey.hint, spki.carol!, Buffer.from('another file\n')));

    // SPDX attestation over the first image, predicate opened from a file
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'app',
      dataLicense: 'CC0-1.0',
      documentNamespace: 'https://example.com/spdx/app',
      creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: test'] },
      packages: [],
    };
    writeFileSync(path.join(work, 'sbom.spdx.json'), JSON.stringify(spdx));
    await p.getByLabel('Attest: sign a predicate (SLSA provenance, SPDX, CycloneDX, custom) about images or files').check();
    await p.getByLabel('Subject images, by digest (optional)').fill(IMAGES[0]!);
    m.dialogs.open.push(path.join(work, 'sbom.spdx.json'));
    await p.getByRole('button', { name: 'Open the predicate file…' }).click();
    await p.getByText('Predicate: sbom.spdx.json').waitFor();
    await p.getByTestId('candidate').waitFor();
    await p.getByLabel('PIN of token “carol”').fill(tok('carol').pin);
    await p.getByRole('button', { name: 'Sign the attestation' }).click();
    await p.locator('[data-testid="attestation"][data-kind="spdxjson"]').waitFor();
    await p.getByRole('button', { name: 'Save attestation-spdxjson.sigstore.json' }).click();
    await p.getByTestId('saved').waitFor();
    await expectNoSeriousA11y(p, 'cosign: attestation');
    const att = JSON.parse(readFileSync(path.join(m.saveDir, 'attestation-spdxjson.sigstore.json'), 'utf8')) as {
      verificationMaterial: { publicKey: { hint: string } };
      dsseEnvelope: { payload: string };
    };
    sigstoreJsVerify(att, att.verificationMaterial.publicKey.hint, spki.carol!);
    const st = JSON.parse(Buffer.from(att.dsseEnvelope.payload, 'base64').toString()) as { predicateType: string; subject: { digest: { sha256: string } }[] };
    assert.equal(st.predicateType, 'https://spdx.dev/Document');
    assert.equal(st.subject[0]!.digest.sha256, digest(0));
  },
);

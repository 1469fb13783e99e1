/**
 * Issue 11 proof, the auditor: pinned expectations on the Verify screen (the app in PRODUCTION mode).
 * The auditor pins the ceremony's keys (a key file and a fingerprint) and production, then verifies:
 * the right production bundle is green; a TAMPERED bundle, a REHEARSAL bundle, and a bundle signed by
 * OTHER keys are each red, the verdict on top and the failing items first — never a green summary
 * above a failing line. The saved report is what `keyceremony bundle verify --production
 * --expect-signer … --json` prints. Then TUF metadata in a folder (a pinned root key; evaluated after
 * expiry and a missing target: red) and cosign bundles (a pinned other key: red; the saved report is
 * `cosign verify --json`'s). axe-core on every screen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUi, screenshot, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y } from '../helpers/axe';
import { bundleTar, makeFakeBundle, manifestSigners, type FakeBundle } from '../helpers/fake-bundle';
import { SoftwareSigner } from '../helpers/software-signer';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { pemEncode } from '../../shared/encoding/bytes';
import { publicKeyPem } from '../../shared/cosign/keys';
import { serializeBundle } from '../../shared/cosign/bundle';
import { signImages } from '../../electron/core/cosign/sign';
import { createRepository, expiresIn, newRoot, newTargets, targetFileInfo } from '../../electron/core/tuf/repo';
import { signerKey } from '../../electron/core/tuf/sign';
import { parseImageReference } from '../../shared/cosign/reference';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import type { VerificationReport } from '../../shared/verification/report';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;
let work: string;
let prod: FakeBundle;
const noBackup = (s: FakeBundle['script']) => void (s.steps = s.steps.filter((st) => !['backup', 'backup-verify'].includes(st.kind)));

async function kc(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { ...makeContext({ env: { ...process.env } }), out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'kc-ui-verify-'));
  prod = await makeFakeBundle('tuf-root', noBackup, { rehearsal: false });
  const rehearsal = await makeFakeBundle('tuf-root');
  const other = await makeFakeBundle('tuf-root', noBackup, { rehearsal: false });
  const tampered = new Map(prod.files);
  const victim = [...tampered.keys()].find((p) => p.endsWith('1.root.json'))!;
  tampered.set(victim, new TextEncoder().encode('{"signed":{},"signatures":[]}\n'));
  for (const [name, files] of [
    ['prod', prod.files],
    ['rehearsal', rehearsal.files],
    ['other', other.files],
    ['tampered', tampered],
  ] as const)
    writeFileSync(join(work, `${name}.kcbundle.tar`), bundleTar(files));
  const [k1, k2] = manifestSigners(prod);
  writeFileSync(join(work, 'root-1.pub.pem'), pemEncode('PUBLIC KEY', k1!.publicKeySpki));
  writeFileSync(join(work, 'root-2.fingerprint'), k2!.fingerprint);
  // the UI harness needs a token module; the auditor's machine has none inserted
  hsm = await makeSoftHsm(['unused']);
  mod = Pkcs11Module.open(hsm.module);
  ui = await startUi({ tokens: () => mod });
  m = await ui.machine({ name: 'auditor', mode: 'production' });
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function verdictOf(p: Machine['page']) {
  const v = p.getByTestId('verdicts');
  await v.waitFor();
  const verdict = (await v.getAttribute('data-verdict'))!;
  const statuses = await p
    .getByTestId('verdict')
    .evaluateAll((els) => els.map((e) => [e.getAttribute('data-status'), e.getAttribute('data-check'), e.getAttribute('data-code')]));
  return { verdict, statuses, banner: await p.getByTestId('verdict-banner').innerText() };
}

/** Red on top, failures first, no passing line above a failing one, the banner says NOT verified. */
function assertRed(r: Awaited<ReturnType<typeof verdictOf>>, check: string, code: string) {
  assert.equal(r.verdict, 'failed');
  assert.match(r.banner, /^✘ NOT verified/);
  const firstNonFail = r.statuses.findIndex((s) => s[0] !== 'fail');
  const lastFail = r.statuses.map((s) => s[0]).lastIndexOf('fail');
  assert.ok(lastFail >= 0 && (firstNonFail === -1 || lastFail < firstNonFail), `failures first: ${JSON.stringify(r.statuses)}`);
  assert.ok(
    r.statuses.some((s) => s[0] === 'fail' && s[1] === check && s[2] === code),
    `${check} [${code}] fails: ${JSON.stringify(r.statuses.filter((s) => s[0] === 'fail'))}`,
  );
}

/** Wait for a NEW result (the screen counts its runs), never for an old one still on screen. */
async function newResult(p: Machine['page'], act: () => Promise<void>) {
  const v = p.getByTestId('verdicts');
  const before = (await v.count()) ? Number(await v.getAttribute('data-run')) : 0;
  await act();
  await p.locator(`[data-testid="verdicts"][data-run="${before + 1}"]`).waitFor();
}

async function openBundle(p: Machine['page'], name: string) {
  await newResult(p, () => p.getByLabel('Open a ceremony bundle').setInputFiles(join(work, `${name}.kcbundle.tar`)));
}

test(
  'pinned expectations: the right production bundle is green; tampered, rehearsal and other-keys bundles are red with the failure first; the saved report is the CLI --json',
  { skip, timeout: 180_000 },
  async () => {
    const t0 = Date.now();
    const p = m.page;
    await p.getByRole('navigation').getByRole('button', { name: 'Verify' }).click();
    // production app: production is pinned by default
    assert.equal(await p.getByLabel('Production: anything made in a rehearsal is refused').isChecked(), true);
    // A file that is not a key is refused when it is pinned, naming the file; nothing is pinned.
    m.dialogs.open.push(join(work, 'root-2.fingerprint'));
    await p.getByRole('button', { name: 'Pin a key file…' }).click();
    const refused = p.getByTestId('pins').getByTestId('error');
    await refused.waitFor();
    assert.equal(await refused.getAttribute('data-code'), 'INVALID_KEY');
    assert.match(await refused.innerText(), /root-2\.fingerprint: not a PEM public key, certificate, or key JSON/);
    assert.equal(await p.getByTestId('pinned-key').count(), 0);
    m.dialogs.open.push(join(work, 'root-1.pub.pem'));
    await p.getByRole('button', { name: 'Pin a key file…' }).click();
    await p.getByRole('list', { name: 'Pinned keys' }).getByText('root-1.pub.pem').waitFor();
    await refused.waitFor({ state: 'detached' });
    // the pinned key's fingerprint is shown to compare with the ceremony record
    assert.equal(await p.getByTestId('pinned-key').getByTestId('fingerprint').getAttribute('data-hex'), manifestSigners(prod)[0]!.fingerprint);
    await p.getByLabel('Pinned key fingerprints (SHA-256 of the public key, one per line)').fill(readFileSync(join(work, 'root-2.fingerprint'), 'utf8'));
    await expectNoSeriousA11y(p, 'Verify: pins');

    await openBundle(p, 'prod');
    let r = await verdictOf(p);
    assert.equal(r.verdict, 'verified', JSON.stringify(r.statuses.filter((s) => s[0] === 'fail')));
    assert.match(r.banner, /^✔ Verified/);
    assert.equal(r.statuses.filter((s) => s[1] === 'bundle.signer.expected' && s[0] === 'pass').length, 2, 'both pinned keys signed');
    await expectNoSeriousA11y(p, 'Verify: green');

    // the witness after the ceremony: every confirmation the bundle's transcript records, in order,
    // and only theirs when they pick their name; the record matches what the script asked (an item)
    assert.ok(
      r.statuses.some((st) => st[0] === 'pass' && st[1] === 'bundle.confirmations'),
      'the confirmations are checked against the script',
    );
    const recorded = new TextDecoder()
      .decode(prod.files.get('transcript.jsonl')!)
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => {
        const e = JSON.parse(l) as { seq: number; step?: string; acknowledgements?: { by: string; source: string }[] };
        return (e.acknowledgements ?? []).map((a) => [String(e.seq), e.step!, a.by, a.source].join(' '));
      });
    const rows = async () =>
      p.getByTestId('confirmation').evaluateAll((els) => els.map((e) => ['seq', 'step', 'by', 'source'].map((k) => e.getAttribute(`data-${k}`)).join(' ')));
    assert.ok(recorded.length >= 5, `the fake production bundle records confirmations (${recorded.length})`);
    assert.deepEqual(await rows(), recorded);
    await p.getByTestId('confirmations-person').selectOption('witness');
    const witnessOnly = recorded.filter((x) => x.split(' ')[2] === 'witness');
    assert.ok(witnessOnly.length > 0 && witnessOnly.length < recorded.length);
    assert.deepEqual(await rows(), witnessOnly);
    assert.match(
      await p.getByTestId('confirmation').first().innerText(),
      /Independent witness \(witness, witness\)\t“I checked that the ceremony machine is offline[^”]*”\tat the screen/,
    );
    await expectNoSeriousA11y(p, 'Verify: confirmations');
    await screenshot(p, 'verify-confirmations', p.getByTestId('confirmations'));

    // save the report: the CLI's --json for the same bundle and pins
    await p.getByRole('button', { name: 'Save the report (as the CLI’s --json)' }).click();
    await p.getByTestId('report-saved').waitFor();
    const saved = JSON.parse(readFileSync(join(m.saveDir, 'verification-report-bundle.json'), 'utf8')) as VerificationReport;
    const [k1, k2] = manifestSigners(prod);
    // the same pins in the same order: the fingerprint typed, then the pinned key file
    const cli = await kc([
      'bundle',
      'verify',
      join(work, 'prod.kcbundle.tar'),
      '--production',
      '--expect-signer',
      k2!.fingerprint,
      '--expect-signer',
      k1!.fingerprint,
      '--json',
    ]);
    assert.equal(cli.code, 0, cli.err);
    const strip = (x: VerificationReport) => ({ ...x, evaluatedAt: '', summary: x.summary.replace(/at \S+:/, 'at T:') });
    assert.deepEqual(strip(saved), strip(JSON.parse(cli.out) as VerificationReport));

    // a tampered bundle
    await openBundle(p, 'tampered');
    assertRed(await verdictOf(p), 'bundle.file', 'HASH_MISMATCH');
    await expectNoSeriousA11y(p, 'Verify: tampered');

    // a bundle signed by other keys: the pinned keys did not sign
    await openBundle(p, 'other');
    r = await verdictOf(p);
    assertRed(r, 'bundle.signer.expected', 'VERIFICATION_FAILED');
    await screenshot(p, 'verify-pinned-mismatch', p.getByTestId('verdict-banner'));
    await expectNoSeriousA11y(p, 'Verify: other keys');

    // a rehearsal bundle in production (keys unpinned, so the mode alone makes it red)
    await p.getByRole('button', { name: 'Unpin root-1.pub.pem' }).click();
    await p.getByLabel('Pinned key fingerprints (SHA-256 of the public key, one per line)').fill('');
    await openBundle(p, 'rehearsal');
    r = await verdictOf(p);
    assertRed(r, 'bundle.mode', 'PRECONDITION_FAILED');
    assert.equal(r.statuses.filter((s) => s[0] === 'fail').length, 1, 'only the mode fails');
    assert.match(r.banner, /REHEARSAL material/);
    // the same bundle with "rehearsal" pinned is green
    await p.getByLabel('Rehearsal: I am checking a practice run').check();
    await openBundle(p, 'rehearsal');
    assert.equal((await verdictOf(p)).verdict, 'verified');
    console.log(`journey time: ${Date.now() - t0} ms`);
  },
);

test(
  'TUF metadata in a folder with a pinned key, an evaluation time and target lookups; cosign bundles with pinned keys and a threshold',
  { skip, timeout: 120_000 },
  async () => {
    const p = m.page;
    // a small TUF repository (software keys: this test is about the screen, not the token)
    const NOW = Date.now();
    const rootKeys = [0, 1].map(() => SoftwareSigner.generate('ecdsa-p256'));
    const online = SoftwareSigner.generate('ecdsa-p256');
    const k = async (s: SoftwareSigner) => (await signerKey(s)).key;
    const on = { keys: [await k(online)], threshold: 1 };
    const root = await newRoot({
      roles: { root: { keys: await Promise.all(rootKeys.map(k)), threshold: 2 }, targets: on, snapshot: on, timestamp: on },
      expires: expiresIn(NOW, 365),
    });
    const targets = newTargets(expiresIn(NOW, 90));
    targets.targets['app/x.tgz'] = await targetFileInfo(new TextEncoder().encode('x'));
    const md = join(work, 'tuf-md');
    mkdirSync(md);
    for (const f of await createRepository({
      root,
      rootSigners: rootKeys,
      targets,
      signers: { targets: [online], snapshot: [online], timestamp: [online] },
      now: NOW,
    }))
      writeFileSync(join(md, f.name), f.bytes);
    writeFileSync(join(work, 'root-key.pem'), pemEncode('PUBLIC KEY', rootKeys[0]!.publicKeySpki));
    await p.reload();
    await p.getByRole('navigation').getByRole('button', { name: 'Verify' }).click();
    m.dialogs.open.push(join(work, 'root-key.pem'));
    await p.getByRole('button', { name: 'Pin a key file…' }).click();
    await p.getByRole('list', { name: 'Pinned keys' }).getByText('root-key.pem').waitFor();
    await p.getByLabel('TUF metadata against a trusted root').check();
    await p.getByLabel('Trusted root', { exact: true }).setInputFiles(join(md, '1.root.json'));
    m.dialogs.folder = md;
    await p.getByRole('button', { name: '…or choose the metadata folder' }).click();
    await p.getByTestId('tuf-folder').waitFor();
    await p.getByLabel('Targets to look up (one path per line)').fill('app/x.tgz');
    await newResult(p, () => p.getByRole('button', { name: 'Verify metadata' }).click());
    let r = await verdictOf(p);
    assert.equal(r.verdict, 'verified', JSON.stringify(r.statuses));
    assert.ok(r.statuses.some((s) => s[1] === 'pin.signer' && s[0] === 'pass'));
    assert.ok(r.statuses.some((s) => s[1] === 'target.lookup' && s[0] === 'pass'));
    // evaluated after everything expired, with a target that is not there: red, failures first
    await p.getByLabel('Evaluate at (RFC 3339, blank: now)').fill(new Date(NOW + 400 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z'));
    await p.getByLabel('Targets to look up (one path per line)').fill('app/x.tgz\napp/missing.tgz');
    await newResult(p, () => p.getByRole('button', { name: 'Verify metadata' }).click());
    r = await verdictOf(p);
    assertRed(r, 'root.expiry', 'EXPIRED');
    assert.ok(r.statuses.some((s) => s[1] === 'target.lookup' && s[2] === 'NOT_FOUND'));
    await expectNoSeriousA11y(p, 'Verify: TUF expired');

    // cosign: two images signed by one key; bundles verified under a threshold and a pinned key
    const a = SoftwareSigner.generate('ecdsa-p256');
    const b = SoftwareSigner.generate('ecdsa-p256');
    const image = `registry.example.com/team/app@sha256:${createHash('sha256').update('img').digest('hex')}`;
    const [sig] = await signImages(a, [parseImageReference(image)]);
    writeFileSync(join(work, 'a.sigstore.json'), serializeBundle(sig!.bundle));
    writeFileSync(join(work, 'payload.json'), sig!.payload);
    writeFileSync(join(work, 'a.pem'), publicKeyPem(a.publicKeySpki));
    writeFileSync(join(work, 'b.pem'), publicKeyPem(b.publicKeySpki));
    await p.reload();
    await p.getByRole('navigation').getByRole('button', { name: 'Verify' }).click();
    await p.getByLabel('cosign signatures and bundles').check();
    m.dialogs.open.push(join(work, 'a.pem'));
    await p.getByRole('button', { name: 'Add an allowed key (PEM)…' }).click();
    await p.getByText('Allowed keys: a.pem').waitFor();
    await p.getByLabel('Bundles', { exact: true }).setInputFiles(join(work, 'a.sigstore.json'));
    m.dialogs.open.push(join(work, 'payload.json'));
    await p.getByRole('button', { name: 'Choose the artifact (signed blob, or payload.json)…' }).click();
    await p.getByText('Artifact: payload.json').waitFor();
    await p.getByLabel('Image by digest (optional: the signature must be for it)').fill(image);
    await newResult(p, () => p.getByRole('button', { name: 'Verify cosign data' }).click());
    r = await verdictOf(p);
    assert.equal(r.verdict, 'verified', JSON.stringify(r.statuses));
    await p.getByRole('button', { name: 'Save the report (as the CLI’s --json)' }).click();
    await p.getByTestId('report-saved').waitFor();
    const cli = await kc([
      'cosign',
      'verify',
      '--key',
      join(work, 'a.pem'),
      '--bundle',
      join(work, 'a.sigstore.json'),
      '--artifact',
      join(work, 'payload.json'),
      '--image',
      image,
      '--json',
    ]);
    assert.equal(cli.code, 0, cli.err);
    assert.deepEqual(JSON.parse(readFileSync(join(m.saveDir, 'cosign-verify.json'), 'utf8')), JSON.parse(cli.out));
    // pin b's key: a valid signature by a, but not by the pinned key → red
    m.dialogs.open.push(join(work, 'b.pem'));
    await p.getByRole('button', { name: 'Pin a key file…' }).click();
    await p.getByRole('list', { name: 'Pinned keys' }).getByText('b.pem').waitFor();
    await newResult(p, () => p.getByRole('button', { name: 'Verify cosign data' }).click());
    assertRed(await verdictOf(p), 'pin.signer', 'VERIFICATION_FAILED');
    // 2 of {a, b} with only a's bundle: red
    await p.getByRole('button', { name: 'Unpin b.pem' }).click();
    m.dialogs.open.push(join(work, 'b.pem'));
    await p.getByRole('button', { name: 'Add an allowed key (PEM)…' }).click();
    await p.getByText('Allowed keys: a.pem, b.pem').waitFor();
    await p.getByLabel('How many of the keys must have signed (m; blank with one key)').fill('2');
    await newResult(p, () => p.getByRole('button', { name: 'Verify cosign data' }).click());
    assertRed(await verdictOf(p), 'cosign.threshold', 'THRESHOLD_NOT_MET');
    await expectNoSeriousA11y(p, 'Verify: cosign threshold');
  },
);

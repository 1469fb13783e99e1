/**
 * A ceremony journey with hardware attestation, files given: a custodian generated the root key on her
 * token before the ceremony (as with `ykman piv keys generate 9c` + `ykman piv keys attest 9c`) and
 * brings the attestation certificates. The ceremony script (opened from a file on the setup screen)
 * finds the key (keys-present), verifies its attestation from the files opened on the setup screen
 * (attest: chain, attested key = the key on the token, serial/firmware/policies shown to the witness),
 * and seals the bundle with the certificates under attestations/. The token is SoftHSM2 and the chain
 * is made under a TEST root that the script names (`roots`): no Yubico key can attest a SoftHSM key;
 * the bundled-roots path is proven on real YubiKey chains in test/pure/attestation.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { startUi, REPO, type UiHarness, type Machine } from '../helpers/ui-harness';
import { expectNoSeriousA11y as axe } from '../helpers/axe';
import { drive, fillSetup, startCeremony } from '../helpers/ceremony-ui';
import { kcSync } from '../helpers/ceremony-run';
import { makeFakePivChain } from '../helpers/attestation-fakes';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { verifyBundle } from '../../electron/core/ceremony/bundle';
import { verifyTranscript } from '../../electron/core/ceremony/transcript';
import { dirBundleReader } from '../../electron/adapters/fs/ceremony-store';
import { pemDecode } from '../../shared/encoding/bytes';

const skip = !existsSync('/usr/bin/chromium') && 'no /usr/bin/chromium';
let hsm: TestHsm;
let mod: Pkcs11Module;
let ui: UiHarness;
let m: Machine;
let work: string;
let fingerprint = '';

before(async () => {
  if (skip) return;
  hsm = await makeSoftHsm(['yk-carol']);
  mod = Pkcs11Module.open(hsm.module);
  work = join(REPO, '.tmp', `ceremony-attest-ui-${process.pid}`);
  mkdirSync(work, { recursive: true });
  // before the ceremony: Carol's key on her token, and its attestation (serial 31415926, slot 9c,
  // PIN always, touch always) under a test root
  const key = await mod.withSession(
    { label: 'yk-carol' },
    { pin: hsm.pinOf('yk-carol'), rw: true },
    async (s) => (await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root-9c' })).key,
  );
  fingerprint = key.fingerprint;
  const chain = await makeFakePivChain({ keySpki: key.publicKeySpki, serial: 31415926, firmware: [5, 7, 4], slot: '9c', policy: [3, 2], formFactor: 0x03 });
  writeFileSync(join(work, 'root-9c.attest.pem'), chain.keyCertPem);
  writeFileSync(join(work, 'root-9c.f9.pem'), chain.deviceCertPem);
  writeFileSync(join(work, 'test-yubico-root.pem'), chain.rootPem);
  writeFileSync(
    join(work, 'attested-root.json'),
    JSON.stringify(
      {
        version: 1,
        name: 'attested-root',
        title: 'Enrol an attested root key',
        description: 'The custodian generated the key on her YubiKey before the ceremony; the room checks its attestation.',
        participants: [
          { id: 'admin', name: 'Ada Admin', role: 'administrator' },
          { id: 'carol', name: 'Carol Chen', role: 'custodian' },
          { id: 'wit', name: 'Wendy Witness', role: 'witness' },
        ],
        tokens: [{ id: 'yk', label: 'yk-carol', custodian: 'carol' }],
        keys: [{ id: 'root', token: 'yk', label: 'root-9c', keyType: 'ecdsa-p256', purpose: 'tuf:root' }],
        steps: [
          { id: 'find', kind: 'keys-present', title: 'Find the key Carol generated', params: { keys: ['root'] } },
          {
            id: 'attest',
            kind: 'attest',
            title: 'Check the hardware attestation',
            instructions: "Compare the serial and firmware shown with the YubiKey in Carol's hand.",
            params: { keys: ['root'], files: { root: { keyCert: 'root-9c.attest.pem', deviceCert: 'root-9c.f9.pem' } }, roots: ['test-yubico-root.pem'] },
            acknowledgements: [{ id: 'serial', by: 'role:witness', statement: "The attested serial and firmware match the YubiKey in the custodian's hand" }],
          },
          { id: 'close', kind: 'close', params: { signWith: ['root'] } },
        ],
      },
      null,
      2,
    ),
  );
  ui = await startUi({ tokens: () => mod });
  m = await ui.machine({
    name: 'ceremony-room',
    mode: 'production',
    extraDeps: { ceremony: { workDir: join(work, 'runs'), rehearsal: false, module: () => mod } },
  });
  m.reader.insertAlso(hsm.tokens[0]!.serial);
});

after(async () => {
  await ui?.close();
  mod?.close();
  hsm?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  'ceremony with an attestation step (files given): the witness sees serial, firmware and policies; the bundle carries and re-checks the certificates',
  { skip, timeout: 300_000 },
  async () => {
    const p = m.page;
    await p.getByRole('button', { name: 'Run a ceremony' }).click();
    await p.getByTestId('setup').waitFor();
    m.dialogs.open.push(join(work, 'attested-root.json'));
    await p.getByRole('button', { name: 'Open a ceremony script file…' }).click();
    await p.getByTestId('script-file').waitFor();
    await fillSetup(m, {
      tokens: { yk: hsm.tokens[0]!.serial },
      files: {
        'root-9c.attest.pem': join(work, 'root-9c.attest.pem'),
        'root-9c.f9.pem': join(work, 'root-9c.f9.pem'),
        'test-yubico-root.pem': join(work, 'test-yubico-root.pem'),
      },
    });
    await axe(p, 'attestation setup');
    await startCeremony(p);

    let shownToWitness = '';
    const status = await drive(m, hsm, {
      shares: new Map(),
      shots: { ack: 'ceremony-attestation' },
      stopWhen: async (kind, q) => {
        if (kind === 'ack') shownToWitness = await q.getByTestId('shown').innerText();
        return false;
      },
    });
    if (status !== 'done') assert.fail(`ceremony ${status}: ${(await p.getByTestId('error').allInnerTexts()).join(' | ')}`);
    assert.match(
      shownToWitness,
      /attested\s+YubiKey serial 31415926, firmware 5\.7\.4, slot 9c, PIN always, touch always; chain to Test Attestation Root \(root given by the script\)/,
    );
    assert.match(shownToWitness, new RegExp(fingerprint));

    const result = p.getByTestId('ceremony-result');
    assert.equal(await result.getAttribute('data-ok'), 'true');
    const bundleDir = (await result.getAttribute('data-bundle'))!;
    for (const f of ['key-cert.pem', 'device-cert.pem', 'roots.pem']) assert.ok(existsSync(join(bundleDir, 'attestations', 'root', f)), f);
    // the same certificate (the bundle keeps it as PEM, one block, newline-terminated)
    const der = (f: string) => Buffer.from(pemDecode(readFileSync(f, 'utf8')).der).toString('hex');
    assert.equal(der(join(bundleDir, 'attestations', 'root', 'key-cert.pem')), der(join(work, 'root-9c.attest.pem')));
    const verdict = await verifyBundle(dirBundleReader(bundleDir), { requireProduction: true });
    assert.deepEqual(verdict.problems, []);
    assert.deepEqual(
      verdict.attested.map((a) => [a.key, a.serial, a.rootSource]),
      [['root', 31415926, 'given']],
    );
    const lines = readFileSync(join(bundleDir, 'transcript.jsonl'), 'utf8').trim().split('\n');
    const att = (await verifyTranscript(lines)).entries.find((e) => e.event === 'key-attested');
    assert.deepEqual(
      [att?.facts?.source, att?.facts?.serial, att?.facts?.firmware, att?.facts?.touchPolicy, att?.facts?.publicKeySha256],
      ['files', 31415926, '5.7.4', 'always', fingerprint],
    );
    // the CLI says the same, and names where the trust came from
    const v = kcSync(['bundle', 'verify', bundleDir, '--production']);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(
      v.out,
      /attested key root: YubiKey serial 31415926, chain to Test Attestation Root \(root given by the ceremony script, not bundled with keyceremony\)/,
    );
  },
);

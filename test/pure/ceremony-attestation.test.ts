/**
 * keygen with `attestation` (electron/core/ceremony/attestation.ts) through the real engine with
 * in-memory ports: files given or read from the token, the attested key must be the enrolled key, the
 * facts go into the transcript and the certificates into attestations/<key>/, rehearsal warns and
 * production needs a justified deviation, and `bundle verify` re-checks what the bundle carries.
 * The chains are constructed under a test root given by the script (`roots`): no Yubico key signs a
 * software key, which is exactly why the bundled-roots path is exercised in attestation.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CeremonyEngine } from '../../electron/core/ceremony/engine';
import { BUILTIN_KINDS } from '../../electron/core/ceremony/steps';
import { validateScript } from '../../electron/core/ceremony/validate';
import { verifyTranscript, type TranscriptEntry } from '../../electron/core/ceremony/transcript';
import { verifyBundle, signManifest, MANIFEST, MANIFEST_DSSE, type Manifest } from '../../electron/core/ceremony/bundle';
import { recheckAttestations } from '../../electron/core/ceremony/attestation';
import type { CeremonyScript, Services } from '../../electron/core/ceremony/types';
import { sha256Hex } from '../../shared/crypto/webcrypto';
import { pemDecode, pemEncode } from '../../shared/encoding/bytes';
import { KeyceremonyError } from '../../shared/errors';
import { MemJournal, MemStore, FakeTokens, autoPrompter, fixedClock, randomHex } from '../helpers/ceremony-fakes';
import { makeFakePivChain, makeFakeRoot, type FakeChain, type FakeRoot } from '../helpers/attestation-fakes';
import type { SoftwareSigner } from '../helpers/software-signer';

const enc = (s: string) => new TextEncoder().encode(s);

function script(attestation: Record<string, unknown> | undefined): CeremonyScript {
  return {
    version: 1,
    name: 'attested-root',
    title: 'Attested root keys',
    participants: [
      { id: 'admin', name: 'Administrator', role: 'administrator' },
      { id: 'alice', name: 'Alice', role: 'custodian' },
      { id: 'wit', name: 'Witness', role: 'witness' },
    ],
    tokens: [
      { id: 'yk-1', label: 'yk-1', custodian: 'alice' },
      { id: 'yk-2', label: 'yk-2', custodian: 'alice' },
    ],
    keys: [
      { id: 'root-1', token: 'yk-1', label: 'root-1', keyType: 'ecdsa-p256', purpose: 'tuf:root' },
      { id: 'root-2', token: 'yk-2', label: 'root-2', keyType: 'ecdsa-p256', purpose: 'tuf:root' },
    ],
    steps: [
      {
        id: 'keygen',
        kind: 'keygen',
        params: { keys: ['root-1', 'root-2'], ...(attestation ? { attestation } : {}) },
        acknowledgements: [{ id: 'seen', by: 'role:witness', statement: 'I saw each attestation line' }],
      },
      { id: 'close', kind: 'close', params: { signWith: ['root-1', 'root-2'] } },
    ],
  };
}

/** FakeTokens whose module "exposes" attestation objects, like ykcs11 does. */
class AttestingTokens extends FakeTokens {
  chains = new Map<string, FakeChain>();
  asked = 0;
  private rootP: Promise<FakeRoot> | undefined;
  constructor(
    labels: string[],
    private readonly withAttestation: (label: string) => boolean,
  ) {
    super(labels);
  }
  signerOf(tokenLabel: string): SoftwareSigner {
    const k = this.tokens.get(tokenLabel)?.keys[0];
    if (!k) throw new KeyceremonyError('KEY_NOT_FOUND', `no key on ${tokenLabel}`);
    return k.signer;
  }
  /** One test root for every chain of this token set (the script's `roots` file). */
  root(): Promise<FakeRoot> {
    return (this.rootP ??= makeFakeRoot());
  }
  async chainFor(tokenLabel: string, serial: number): Promise<FakeChain> {
    let c = this.chains.get(tokenLabel);
    if (!c) {
      c = await makeFakePivChain({ keySpki: this.signerOf(tokenLabel).publicKeySpki, serial, slot: '9c', policy: [3, 2], root: await this.root() });
      this.chains.set(tokenLabel, c);
    }
    return c;
  }
  async attestation(token: { label: string }) {
    this.asked++;
    if (!this.withAttestation(token.label)) return null;
    const c = await this.chainFor(token.label, token.label === 'yk-1' ? 11111111 : 22222222);
    return { keyCert: enc(c.keyCertPem), deviceCert: enc(c.deviceCertPem) };
  }
}

/** Files beside the script, made on demand (the key exists only once keygen ran). */
function inputsFor(tokens: AttestingTokens, files: Record<string, (t: AttestingTokens) => Promise<string>>): NonNullable<Services['inputs']> {
  return {
    read: async (p: string) => {
      const f = files[p];
      if (!f) throw new KeyceremonyError('NOT_FOUND', `no input ${p}`, { where: p });
      return enc(await f(tokens));
    },
  };
}

function run(opts: {
  steps?: CeremonyScript['steps'];
  attestation?: Record<string, unknown>;
  rehearsal?: boolean;
  withAttestation?: (l: string) => boolean;
  files?: Record<string, (t: AttestingTokens) => Promise<string>>;
  deviation?: string | null;
  log?: string[];
}) {
  const s = script(opts.attestation);
  if (opts.steps) s.steps = opts.steps;
  const journal = new MemJournal();
  const store = new MemStore(journal);
  const tokens = new AttestingTokens(['yk-1', 'yk-2'], opts.withAttestation ?? (() => false));
  const engine = new CeremonyEngine({
    script: s,
    scriptText: JSON.stringify(s),
    rehearsal: opts.rehearsal ?? true,
    kinds: BUILTIN_KINDS,
    services: { tokens, inputs: inputsFor(tokens, opts.files ?? {}) },
    prompter: autoPrompter({ deviation: opts.deviation ?? null, ...(opts.log ? { log: opts.log } : {}) }),
    journal,
    outputs: store,
    clock: fixedClock(),
    randomHex,
  });
  return { engine, journal, store, tokens };
}

const reader = (store: MemStore) => ({ list: () => store.list(), read: (p: string) => store.read(p) });

async function entries(journal: MemJournal): Promise<TranscriptEntry[]> {
  const v = await verifyTranscript(journal.lines);
  assert.ok(v.ok);
  return v.entries;
}

describe('keygen with attestation', () => {
  test('script validation names every malformed attestation parameter, then the keys it names that the step does not generate', () => {
    // 1. the shape: every malformed member at once
    const bad = script({
      required: 'yes',
      keys: ['Nope'],
      files: { 'root-1': { keyCert: '', extra: 1 }, ghost: { keyCert: 'a', deviceCert: 'b' } },
      roots: [],
      colour: 1,
    });
    const paths = validateScript(bad, BUILTIN_KINDS).map((i) => `${i.path}: ${i.message}`);
    for (const p of [
      '$.steps[0].params.attestation.colour',
      '$.steps[0].params.attestation.required',
      '$.steps[0].params.attestation.keys[0]',
      '$.steps[0].params.attestation.files["root-1"].extra',
      '$.steps[0].params.attestation.files["root-1"].keyCert',
      '$.steps[0].params.attestation.files["root-1"].deviceCert',
      '$.steps[0].params.attestation.roots',
    ])
      assert.ok(
        paths.some((x) => x.startsWith(`${p}:`)),
        `${p} not reported in:\n${paths.join('\n')}`,
      );
    // 2. well-formed, but naming keys this step does not generate: each named
    const foreign = validateScript(script({ keys: ['nope'], files: { ghost: { keyCert: 'a', deviceCert: 'b' } } }), BUILTIN_KINDS).map(
      (i) => `${i.path}: ${i.message}`,
    );
    assert.deepEqual(foreign, [
      '$.steps[0].params.attestation.keys[0]: must name a key this step generates',
      '$.steps[0].params.attestation.files.ghost: must name a key this step generates',
    ]);
    assert.deepEqual(validateScript(script({ roots: ['root.pem'], files: { 'root-1': { keyCert: 'k.pem', deviceCert: 'd.pem' } } }), BUILTIN_KINDS), []);
  });

  test('a production run: one key attested from files, one from the token; the facts in the transcript, the certificates in the bundle; bundle verify re-checks them', async () => {
    const log: string[] = [];
    const { engine, journal, store, tokens } = run({
      rehearsal: false,
      log,
      withAttestation: (l) => l === 'yk-2',
      attestation: { roots: ['test-root.pem'], files: { 'root-1': { keyCert: 'root-1.key.pem', deviceCert: 'root-1.device.pem' } } },
      files: {
        'test-root.pem': async (t) => (await t.root()).pem,
        'root-1.key.pem': async (t) => (await t.chainFor('yk-1', 11111111)).keyCertPem,
        'root-1.device.pem': async (t) => (await t.chainFor('yk-1', 11111111)).deviceCertPem,
      },
    });
    await engine.run();
    const es = await entries(journal);
    const att = es.filter((e) => e.event === 'key-attested');
    assert.deepEqual(
      att.map((e) => [e.keys?.[0]?.id, e.facts?.source, e.facts?.serial]),
      [
        ['root-1', 'files', 11111111],
        ['root-2', 'token', 22222222],
      ],
    );
    const f = att[0]?.facts ?? {};
    assert.deepEqual([f.vendor, f.firmware, f.slot, f.pinPolicy, f.touchPolicy, f.rootSource], ['yubico-piv', '5.4.3', '9c', 'always', 'always', 'given']);
    assert.equal(f.publicKeySha256, tokens.signerOf('yk-1').fingerprint, 'the attested key is the enrolled key');
    assert.equal(f.chain, 'CN=YubiKey PIV Attestation 9c <- CN=Yubico PIV Attestation <- CN=Test Attestation Root');
    assert.equal(tokens.asked, 1, 'only root-2 was read from the token');
    assert.ok(
      log.some((l) =>
        /attested {4}YubiKey serial 11111111, firmware 5\.4\.3, slot 9c, PIN always, touch always; chain to Test Attestation Root \(root given by the script\)/.test(
          l,
        ),
      ),
      log.join('\n'),
    );
    assert.match(es.find((e) => e.event === 'step-completed' && e.step === 'keygen')?.note ?? '', /2 key\(s\) on token, 2 of 2 attested/);
    for (const k of ['root-1', 'root-2'])
      for (const n of ['key-cert.pem', 'device-cert.pem', 'roots.pem']) assert.ok(store.files.has(`attestations/${k}/${n}`), `${k}/${n}`);
    const v = await verifyBundle(reader(store), { requireProduction: true });
    assert.deepEqual(v.problems, []);
    assert.deepEqual(
      v.attested.map((a) => [a.key, a.serial, a.rootSource]),
      [
        ['root-1', 11111111, 'given'],
        ['root-2', 22222222, 'given'],
      ],
    );

    // Swap root-1's certificates for a valid chain of ANOTHER key under the same root, update the
    // manifest and re-sign it with the ceremony's own keys: every hash and signature checks out, and
    // only the attestation re-check can tell.
    const other = await makeFakePivChain({ serial: 11111111, root: await tokens.root() });
    store.files.set('attestations/root-1/key-cert.pem', enc(other.keyCertPem));
    store.files.set('attestations/root-1/device-cert.pem', enc(other.deviceCertPem));
    const m = JSON.parse(new TextDecoder().decode(store.files.get(MANIFEST)!)) as Manifest;
    for (const file of m.files) {
      const b = store.files.get(file.path);
      if (b && file.path.startsWith('attestations/')) Object.assign(file, { sha256: await sha256Hex(b), size: b.length });
    }
    const signed = await signManifest(m, [tokens.signerOf('yk-1'), tokens.signerOf('yk-2')]);
    store.files.set(MANIFEST, signed.manifest);
    store.files.set(MANIFEST_DSSE, enc(JSON.stringify(signed.envelope, null, 2) + '\n'));
    const bad = await verifyBundle(reader(store), { requireProduction: true });
    assert.equal(bad.signedBy.length, 2, 'the manifest signatures themselves are fine');
    assert.equal(bad.ok, false);
    assert.match(bad.problems.join('\n'), /key root-1: the attested key \(sha256 [0-9a-f]{16}…\) is not the manifest's key/);
  });

  test('rehearsal: a missing or wrong attestation is a recorded warning', async () => {
    const log: string[] = [];
    const { engine, journal, store } = run({
      log,
      attestation: { files: { 'root-1': { keyCert: 'k.pem', deviceCert: 'd.pem' } } },
      files: {
        // a valid Yubico chain, but for another key: the attested key is not the enrolled key
        'k.pem': async () => (await makeFakePivChain()).keyCertPem,
        'd.pem': async () => (await makeFakePivChain()).deviceCertPem,
      },
    });
    await engine.run();
    const failed = (await entries(journal)).filter((e) => e.event === 'key-attestation-failed');
    assert.deepEqual(
      failed.map((e) => e.keys?.[0]?.id),
      ['root-1', 'root-2'],
    );
    assert.match(failed[0]?.note ?? '', /REHEARSAL warning: the attestation for key "root-1" does not verify/);
    assert.match(failed[1]?.note ?? '', /token "yk-2" does not expose attestation certificates/);
    assert.ok(log.some((l) => /attestation NOT VERIFIED \(rehearsal: warning only\)/.test(l)));
    assert.ok(![...store.files.keys()].some((p) => p.startsWith('attestations/')), 'nothing unverified goes into attestations/');
    assert.equal((await verifyBundle(reader(store))).ok, true);
  });

  test('production: the attested key must be the enrolled key; a justified deviation lets the ceremony go on, and says so', async () => {
    const wrongKey = {
      attestation: { files: { 'root-1': { keyCert: 'k.pem', deviceCert: 'd.pem' } }, roots: ['r.pem'] },
      files: {
        'k.pem': async () => (await chainOfOtherKey()).keyCertPem,
        'd.pem': async () => (await chainOfOtherKey()).deviceCertPem,
        'r.pem': async () => (await chainOfOtherKey()).rootPem,
      },
    };
    const stopped = run({ rehearsal: false, ...wrongKey });
    await assert.rejects(stopped.engine.run(), (e: KeyceremonyError) => e.code === 'ATTESTATION_INVALID' && /is not the expected key/.test(e.message));
    assert.equal(stopped.store.files.has(MANIFEST), false, 'no bundle was sealed');

    const justified = 'Key generated before the ceremony on an older YubiKey; attestation cert lost, approved by the board.';
    const goes = run({ rehearsal: false, deviation: justified, ...wrongKey, attestation: { ...wrongKey.attestation, keys: ['root-1'] } });
    await goes.engine.run();
    const es = await entries(goes.journal);
    const f = es.find((e) => e.event === 'key-attestation-failed');
    assert.equal(f?.deviations?.[0]?.check, 'attestation:root-1');
    assert.equal(f?.deviations?.[0]?.justification, justified);
    assert.equal(f?.deviations?.[0]?.by, 'admin');
    assert.ok(!es.some((e) => e.keys?.[0]?.id === 'root-2' && /attest/.test(e.event)), 'root-2 is not in attestation.keys');
    assert.equal((await verifyBundle(reader(goes.store), { requireProduction: true })).ok, true);

    const optional = run({ rehearsal: false, ...wrongKey, attestation: { ...wrongKey.attestation, required: false } });
    await optional.engine.run();
    assert.equal((await entries(optional.journal)).filter((e) => e.event === 'key-attestation-failed' && e.facts?.required === false).length, 2);
  });
});

describe('attest step (keys already recorded)', () => {
  test('attests keys made by an earlier keygen step from files given beside the script', async () => {
    const steps: CeremonyScript['steps'] = [
      { id: 'keygen', kind: 'keygen', params: { keys: ['root-1', 'root-2'] } },
      { id: 'attest', kind: 'attest', params: { keys: ['root-2'], roots: ['root.pem'], files: { 'root-2': { keyCert: 'k2.pem', deviceCert: 'd2.pem' } } } },
      { id: 'close', kind: 'close', params: { signWith: ['root-1'] } },
    ];
    const { engine, journal, store } = run({
      rehearsal: false,
      steps,
      files: {
        'root.pem': async (t) => (await t.root()).pem,
        'k2.pem': async (t) => (await t.chainFor('yk-2', 31415926)).keyCertPem,
        'd2.pem': async (t) => (await t.chainFor('yk-2', 31415926)).deviceCertPem,
      },
    });
    await engine.run();
    const es = await entries(journal);
    assert.deepEqual(
      es.filter((e) => e.event === 'key-attested').map((e) => [e.step, e.keys?.[0]?.id, e.facts?.serial]),
      [['attest', 'root-2', 31415926]],
    );
    assert.match(es.find((e) => e.event === 'step-completed' && e.step === 'attest')?.note ?? '', /^1 of 1 key\(s\) attested$/);
    const v = await verifyBundle(reader(store), { requireProduction: true });
    assert.deepEqual([v.ok, v.attested.map((a) => a.key)], [true, ['root-2']]);
  });

  test('a key that is not recorded yet, and bad parameters, are refused with their path', () => {
    const s = script(undefined);
    s.steps = [
      { id: 'attest', kind: 'attest', params: { keys: ['root-9'], files: { 'root-1': { keyCert: 'a', deviceCert: 'b' } } } },
      { id: 'close', kind: 'close', params: { signWith: ['root-1'] } },
    ];
    const issues = validateScript(s, BUILTIN_KINDS).map((i) => i.path);
    assert.ok(issues.includes('$.steps[0].params.keys[0]'), issues.join(' | '));
    assert.ok(issues.includes('$.steps[0].params.files["root-1"]'), issues.join(' | '));
  });
});

let otherChain: Promise<FakeChain> | undefined;
const chainOfOtherKey = () => (otherChain ??= makeFakePivChain({ serial: 99 }));

describe('bundle re-check of attestations', () => {
  test('names the certificate that does not verify, a fact that differs, a missing file, a key that is not the manifest key', async () => {
    const c = await makeFakePivChain({ serial: 4242, slot: '9a', policy: [2, 1] });
    const fp = await sha256Hex(c.keySpki);
    const files = new Map<string, Uint8Array>([
      ['attestations/k/key-cert.pem', enc(c.keyCertPem)],
      ['attestations/k/device-cert.pem', enc(c.deviceCertPem)],
      ['attestations/k/roots.pem', enc(c.rootPem)],
    ]);
    const entry = (facts: Record<string, string | number | boolean>, drop?: string): TranscriptEntry =>
      ({
        event: 'key-attested',
        seq: 3,
        time: '2026-11-22T05:00:00.000Z',
        keys: [{ id: 'k', label: 'k', fingerprint: fp, words: '' }],
        outputs: ['key-cert.pem', 'device-cert.pem', 'roots.pem'].filter((n) => n !== drop).map((n) => ({ path: `attestations/k/${n}`, sha256: '' })),
        facts,
      }) as unknown as TranscriptEntry;
    const good = {
      serial: 4242,
      firmware: '5.4.3',
      slot: '9a',
      pinPolicy: 'once',
      touchPolicy: 'never',
      rootSource: 'given',
      rootSha256: '',
      publicKeySha256: fp,
    };
    const read = async (p: string) => files.get(p) ?? null;
    const first = await recheckAttestations([entry(good)], read, () => fp);
    const rootSha = /rootSha256 (\S*), the attestation says ([0-9a-f]{64})/.exec(first.problems.join('\n'))?.[2];
    assert.ok(rootSha, first.problems.join('\n'));
    const facts = { ...good, rootSha256: rootSha };
    assert.deepEqual((await recheckAttestations([entry(facts)], read, () => fp)).problems, []);
    assert.match(
      (await recheckAttestations([entry({ ...facts, serial: 1 })], read, () => fp)).problems.join(),
      /transcript says serial 1, the attestation says 4242/,
    );
    assert.match(
      (await recheckAttestations([entry({ ...facts, touchPolicy: 'always' })], read, () => fp)).problems.join(),
      /touchPolicy always, the attestation says never/,
    );
    assert.match((await recheckAttestations([entry(facts)], read, () => 'f'.repeat(64))).problems.join(), /is not the manifest's key/);
    assert.match(
      (await recheckAttestations([entry(facts, 'roots.pem')], read, () => fp)).problems.join(),
      /given by the script, but they are not in the bundle/,
    );
    const der = pemDecode(c.deviceCertPem).der.slice();
    der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01; // one bit of the signature
    const flipped = enc(pemEncode('CERTIFICATE', der));
    files.set('attestations/k/device-cert.pem', flipped);
    assert.match(
      (await recheckAttestations([entry(facts)], read, () => fp)).problems.join(),
      /attestations\/k\/key-cert\.pem: the attestation does not verify/,
    );
    files.delete('attestations/k/device-cert.pem');
    assert.match((await recheckAttestations([entry(facts)], read, () => fp)).problems.join(), /certificates missing from the bundle/);
  });
});

/**
 * Hardware attestation verifier (shared/attestation) and `keyceremony attest verify`:
 * - the bundled Yubico roots are pinned by SHA-256 and equal the fixture files byte for byte;
 * - every real sample in ../shared/fixtures/interop/yubico/samples verifies, with the facts its
 *   README (measured independently with openssl/python) states;
 * - the five Sigstore root keyholders' attestations verify and each attested key IS a Sigstore root key;
 * - constructed negatives fail with a reason: the wrong batch's device certificate, one flipped signature
 *   byte, the wrong root, a self-signed look-alike, an expired chain, the wrong expected key.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BUNDLED_ATTESTATION_CERTS, certificatesFrom, verifyAttestation, type AttestationReport } from '../../shared/attestation';
import { ecPointToSpki } from '../../shared/crypto/spki';
import { fromHex, pemDecode } from '../../shared/encoding/bytes';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { FIXTURES } from '../helpers/tuf-fs';
import { makeFakePivChain, makeSelfSignedLookAlike } from '../helpers/attestation-fakes';

const Y = path.join(FIXTURES, 'yubico');
const SAMPLES = path.join(Y, 'samples');
const SIGSTORE = path.join(FIXTURES, 'tuf', 'sigstore-root-signing', 'legacy-repository');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const file = (...p: string[]) => new Uint8Array(readFileSync(path.join(...p)));

function sample(name: string): { keyCert: Uint8Array; deviceCert: Uint8Array } {
  const files = readdirSync(path.join(SAMPLES, name));
  return {
    keyCert: file(SAMPLES, name, files.find((f) => f.startsWith('key_cert')) as string),
    deviceCert: file(SAMPLES, name, files.find((f) => f.startsWith('device_cert')) as string),
  };
}

async function valid(input: Parameters<typeof verifyAttestation>[0]): Promise<AttestationReport> {
  const v = await verifyAttestation(input);
  assert.ok(v.ok, v.ok ? '' : v.reason);
  return v.report;
}

async function invalid(input: Parameters<typeof verifyAttestation>[0], reason: RegExp): Promise<string> {
  const v = await verifyAttestation(input);
  assert.equal(v.ok, false, 'expected the attestation to be refused');
  if (!v.ok) assert.match(v.reason, reason);
  return v.ok ? '' : v.reason;
}

// SHA-256 of each bundled certificate's DER, as published by Yubico and recorded in yubico/SOURCE.txt.
const PINNED: Record<string, string> = {
  'Yubico PIV Root CA Serial 263751': '63ece914e54dd87915f34033c85af4c0696ba1512f8add66ced738331207b546',
  'Yubico U2F Root CA Serial 457200631': '0fa1386f80eb8713263ae5c1d84deb455bdf08aea50ab05503cefee82b092d42',
  'Yubico Attestation Root 1': '62760c6a6ef91679f454c8902b80fd009825b3f25da90f1fbace2ec6586cd5a8',
  'Yubico YubiHSM Root CA': '094a3ac493c2bdcd65a54bdf40190f52bb03f7156397a3fc69d8aa9a392fb724',
  'Yubico Attestation Intermediate A 1': '4698a1d3389c3ec60016c216250f1d0439922832d65142327436376dc2942b55',
  'Yubico Attestation Intermediate B 1': 'd4cc3f456fdaf4e7812a21aab1dfe9d8e27d24e2fd2d6f21c9940109f0daa754',
  'Yubico PIV Attestation A 1': '6de693f05376f5d8ca29069261e1c8626c75d503bd2edbfd75354cad1f722870',
  'Yubico PIV Attestation B 1': '2d55b7998f4e42569d6d8fa382b6dc77d1dacf07358b19701163892922b17052',
  'Yubico PIV Attestation B2 1': '0c90b7d184a36edf50a35f9be935f0c5689bfdcfe5bdd073366cafb49061a440',
  'Yubico YubiHSM 6742036 Sub-CA': 'd7c6d8f45208e2a53996fb5a8f4d631b33ebabb64956b37b2ac151fbdbaf4ae9',
  'YubiHSM Attestation B2 1': '77d88e6363149ad6ba58a2ca1b8b407206ec57e7537c16cefbbc5edc39efb8e1',
};

describe('bundled roots', () => {
  test('every bundled certificate has its pinned SHA-256 and equals the fixture file byte for byte', () => {
    assert.deepEqual(BUNDLED_ATTESTATION_CERTS.map((c) => c.name).sort(), Object.keys(PINNED).sort());
    for (const c of BUNDLED_ATTESTATION_CERTS) {
      const der = certificatesFrom(new TextEncoder().encode(c.pem), c.name);
      assert.equal(der.length, 1, c.name);
      assert.equal(sha256(der[0] as Uint8Array), PINNED[c.name], `${c.name}: fingerprint changed`);
      const fixture = path.join(Y, 'roots', `${c.name.replace(/ /g, '_')}.pem`);
      assert.equal(c.pem, readFileSync(fixture, 'utf8'), `${c.name}: differs from ${fixture}`);
    }
    const roots = BUNDLED_ATTESTATION_CERTS.filter((c) => c.role === 'root').map((c) => c.name);
    assert.deepEqual(roots, ['Yubico PIV Root CA Serial 263751', 'Yubico U2F Root CA Serial 457200631', 'Yubico Attestation Root 1', 'Yubico YubiHSM Root CA']);
  });
});

describe('real samples', () => {
  const names = readdirSync(SAMPLES).sort();
  test('there are samples of every chain kind', () => {
    assert.ok(names.length >= 13, `${names.length} samples`);
    for (const kind of ['piv263751-', 'root1-', 'u2froot-', 'yubihsm-'])
      assert.ok(
        names.some((n) => n.startsWith(kind)),
        kind,
      );
  });
  for (const name of names) {
    test(`${name}: valid, facts as measured in its README`, async () => {
      const readme = readFileSync(path.join(SAMPLES, name, 'README.txt'), 'utf8').split('\n')[0] as string;
      const fact = (k: string) => new RegExp(`\\b${k}=(\\S+)`).exec(readme)?.[1];
      const r = await valid(sample(name));
      assert.equal(r.firmware, fact('firmware'));
      const serial = fact('serial');
      assert.equal(r.serial, serial === '(absent)' ? null : Number(serial));
      const alg = { 'EC-secp256r1': 'ecdsa-p256', 'EC-secp384r1': 'ecdsa-p384', 'RSA-2048': 'rsa-2048' }[fact('alg') as string];
      assert.equal(r.algorithm, alg);
      assert.equal(r.generatedOnDevice, true);
      if (name.startsWith('yubihsm-')) {
        assert.equal(r.vendor, 'yubihsm2');
        assert.equal(r.slot, fact('object_id'));
        assert.equal(r.root, 'Yubico YubiHSM Root CA');
        assert.deepEqual(
          r.chain.map((c) => c.role),
          ['key', 'device', 'intermediate', 'root'],
        );
        assert.equal(r.hsm?.origin, '01');
      } else {
        assert.equal(r.vendor, 'yubico-piv');
        assert.equal(r.slot, fact('slot'));
        assert.equal(r.pinPolicy, fact('pin'));
        assert.equal(r.touchPolicy, fact('touch'));
        const ff = /formfactor=(0x[0-9a-f]+|\(absent\))/.exec(readme)?.[1];
        if (ff === '(absent)') assert.equal(r.formFactor, null);
        else assert.equal(r.fips, (Number(ff) & 0x80) !== 0);
        const expectRoot = name.startsWith('root1-')
          ? 'Yubico Attestation Root 1'
          : name.startsWith('u2froot-')
            ? 'Yubico U2F Root CA Serial 457200631'
            : 'Yubico PIV Root CA Serial 263751';
        assert.equal(r.root, expectRoot);
        assert.equal(r.chain.length, name.startsWith('root1-') ? 5 : 3, 'chain length');
      }
      // the attested key in the report is the key certificate's key
      const leaf = r.chain[0];
      assert.equal(leaf?.role, 'key');
      assert.equal(r.publicKeySha256, sha256(r.publicKeySpki));
    });
  }

  test('the U2F-root YubiKey 4 chain is accepted the way piv-go does, and says so', async () => {
    const r = await valid(sample('u2froot-pivgo-ValidChain2018-9a-p256'));
    assert.equal(r.notes.filter((n) => /piv-go/.test(n)).length, 2, r.notes.join('\n'));
    assert.ok(r.notes.some((n) => /no basicConstraints/.test(n)));
    assert.ok(r.notes.some((n) => /path length is 0/.test(n)));
    // the same leniency is NOT applied to a chain that ends elsewhere (the 2016 PIV root has path length 0 too)
    const other = await valid(sample('piv263751-pivgo-15732500-9a-p256'));
    assert.deepEqual(other.notes, []);
  });

  test('the 5.7.4+ chain goes through the bundled intermediates to Attestation Root 1', async () => {
    const r = await valid(sample('root1-ovh-32718477-9a-rsa2048'));
    assert.deepEqual(
      r.chain.map((c) => c.subject),
      [
        'CN=YubiKey PIV Attestation 9a',
        'CN=YubiKey PIV Attestation',
        'CN=Yubico PIV Attestation B 1',
        'CN=Yubico Attestation Intermediate B 1',
        'CN=Yubico Attestation Root 1',
      ],
    );
  });
});

describe('Sigstore root keyholders', () => {
  /** Every root-role key of the legacy Sigstore roots 1..9 as SPKI sha256 -> [version:keyid]. */
  function sigstoreRootKeys(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (let v = 1; v <= 9; v++) {
      const root = JSON.parse(readFileSync(path.join(SIGSTORE, 'repository', `${v}.root.json`), 'utf8')) as {
        signed: { keys: Record<string, { keyval: { public: string } }>; roles: { root: { keyids: string[] } } };
      };
      for (const id of root.signed.roles.root.keyids) {
        const pub = root.signed.keys[id]?.keyval.public as string;
        const spki = pub.startsWith('-----BEGIN') ? pemDecode(pub).der : ecPointToSpki(fromHex(pub));
        const k = sha256(spki);
        out.set(k, [...(out.get(k) ?? []), `v${v}:${id.slice(0, 8)}`]);
      }
    }
    return out;
  }

  test('the five keyholders attest their keys, and each attested key is a Sigstore root key', async (t) => {
    const rootKeys = sigstoreRootKeys();
    const serials = readdirSync(path.join(SIGSTORE, 'keys')).sort();
    assert.equal(serials.length, 5);
    const mapped = new Set<string>();
    for (const s of serials) {
      const dir = path.join(SIGSTORE, 'keys', s);
      const pub = pemDecode(readFileSync(path.join(dir, `${s}_pubkey.pem`), 'utf8')).der;
      const r = await valid({ keyCert: file(dir, `${s}_key_cert.pem`), deviceCert: file(dir, `${s}_device_cert.pem`), expectPublicKeySpki: pub });
      assert.equal(r.serial, Number(s), 'the folder is named after the serial in the key certificate');
      assert.equal(r.slot, '9c');
      assert.equal(r.root, 'Yubico PIV Root CA Serial 263751');
      const inRoots = rootKeys.get(r.publicKeySha256);
      assert.ok(inRoots?.length, `YubiKey ${s}'s attested key is not a root key of Sigstore roots 1-9`);
      t.diagnostic(
        `YubiKey ${s} (fw ${r.firmware}, PIN ${r.pinPolicy}, touch ${r.touchPolicy}) -> Sigstore root key ${r.publicKeySha256.slice(0, 16)}… in ${(inRoots as string[]).join(', ')}`,
      );
      mapped.add(r.publicKeySha256);
    }
    assert.equal(mapped.size, 5, 'five different root keys');
  });
});

describe('constructed negatives', () => {
  test("the key certificate with another YubiKey batch's device certificate", async () => {
    const a = sample('piv263751-pivgo-15732500-9a-p256');
    const b = sample('piv263751-dockertuf-26551025-9c-p384');
    await valid(a);
    await invalid({ keyCert: a.keyCert, deviceCert: b.deviceCert }, /not signed by the device certificate given.*manufacturing batch/);
    // a 5.7.4 key certificate with the other 5.7.4 device certificate (different subject name)
    await invalid(
      { keyCert: sample('root1-pkb-38906121-9c-p256').keyCert, deviceCert: sample('root1-ovh-32718477-9a-rsa2048').deviceCert },
      /issued by .* but the device certificate given/,
    );
  });

  test('one flipped signature byte, in the key certificate and in the device certificate', async () => {
    const a = sample('piv263751-sigstorehist-13078782-9c-p256');
    const der = (b: Uint8Array) => certificatesFrom(b, 'x')[0] as Uint8Array;
    const flipLast = (b: Uint8Array) => {
      const c = der(b).slice();
      c[c.length - 1] = (c[c.length - 1] as number) ^ 0x01;
      return c;
    };
    await invalid({ keyCert: flipLast(a.keyCert), deviceCert: a.deviceCert }, /not signed by the device certificate/);
    await invalid({ keyCert: a.keyCert, deviceCert: flipLast(a.deviceCert) }, /no trusted certificate of that name signed it/);
    const h = sample('yubihsm-darkbio-31650558-0x0000-p256');
    await invalid({ keyCert: flipLast(h.keyCert), deviceCert: h.deviceCert }, /not signed by the device certificate/);
  });

  test('the wrong root: --root replaces the bundled roots', async () => {
    const piv = sample('piv263751-psyk-22399878-9a-rsa2048');
    await invalid({ ...piv, roots: [file(Y, 'roots', 'Yubico_YubiHSM_Root_CA.pem')] }, /not a trusted root given/);
    await invalid(
      { ...sample('yubihsm-darkbio-31650558-0x0100-rsa2048'), roots: [file(Y, 'roots', 'Yubico_PIV_Root_CA_Serial_263751.pem')] },
      /not a trusted root given/,
    );
    // the right root given explicitly works, and the report says where the trust came from
    const r = await valid({ ...piv, roots: [file(Y, 'roots', 'Yubico_PIV_Root_CA_Serial_263751.pem')] });
    assert.equal(r.rootSource, 'given');
    // the superseded 2016 PIV root (path length 0) fails like openssl does (error 25)
    await invalid(
      { ...piv, roots: [file(Y, 'roots', 'Yubico_PIV_Root_CA_Serial_263751_pre2018.pem')] },
      /allows 0 CA certificate\(s\) below it, the chain has 1/,
    );
  });

  test('a self-signed look-alike, and a look-alike chain under a fake "Yubico" root', async () => {
    const selfSigned = new TextEncoder().encode(await makeSelfSignedLookAlike());
    await invalid({ keyCert: selfSigned, deviceCert: sample('piv263751-pivgo-15732500-9a-p256').deviceCert }, /self-signed/);
    const fake = await makeFakePivChain({ rootName: 'Yubico PIV Root CA Serial 263751' });
    const input = { keyCert: new TextEncoder().encode(fake.keyCertPem), deviceCert: new TextEncoder().encode(fake.deviceCertPem) };
    await invalid(input, /names "CN=Yubico PIV Root CA Serial 263751" as its issuer, but no trusted certificate of that name signed it/);
    // the construction itself is sound: with its own root given, it verifies
    const r = await valid({ ...input, roots: [new TextEncoder().encode(fake.rootPem)] });
    assert.equal(r.serial, 12345678);
    assert.equal(r.touchPolicy, 'always');
  });

  test('the device certificate without a CA flag is refused outside the documented YubiKey 4 case', async () => {
    const fake = await makeFakePivChain({ deviceWithoutCa: true });
    const enc = (s: string) => new TextEncoder().encode(s);
    // PIV chain: accepted with the piv-go note
    const r = await valid({ keyCert: enc(fake.keyCertPem), deviceCert: enc(fake.deviceCertPem), roots: [enc(fake.rootPem)] });
    assert.ok(r.notes.some((n) => /no basicConstraints/.test(n)));
    // the U2F path-length leniency is tied to the U2F root's fingerprint, not to its name
    const u2f = await makeFakePivChain({ rootName: 'Yubico U2F Root CA Serial 457200631' });
    await invalid({ keyCert: enc(u2f.keyCertPem), deviceCert: enc(u2f.deviceCertPem) }, /no trusted certificate of that name signed it/);
  });

  test('expired, wrong expected key, malformed input', async () => {
    const a = sample('piv263751-pivgo-15732500-9a-p256');
    await invalid({ ...a, now: new Date('2060-01-01T00:00:00Z') }, /is not valid at 2060-01-01T00:00:00Z/);
    const other = sample('piv263751-dockertuf-26551025-9c-p384');
    const otherKey = (await valid(other)).publicKeySpki;
    await invalid({ ...a, expectPublicKeySpki: otherKey }, /is not the expected key/);
    await invalid({ keyCert: new TextEncoder().encode('hello'), deviceCert: a.deviceCert }, /neither a DER certificate nor PEM/);
    await invalid({ keyCert: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), deviceCert: a.deviceCert }, /not a valid X\.509 certificate/);
    const two = new TextEncoder().encode(
      readFileSync(path.join(Y, 'roots', 'Yubico_Attestation_Root_1.pem'), 'utf8') + readFileSync(path.join(Y, 'roots', 'Yubico_YubiHSM_Root_CA.pem'), 'utf8'),
    );
    await invalid({ keyCert: two, deviceCert: a.deviceCert }, /exactly one certificate; it holds 2/);
  });
});

describe('keyceremony attest verify', () => {
  async function kc(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = { ...makeContext({ env: { ...process.env } }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
    const code = await main(args, ctx);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const p = (name: string, f: string) => path.join(SAMPLES, name, f);

  test('valid: exit 0; --json carries the fields the issue names', async () => {
    const r = await kc([
      'attest',
      'verify',
      '--cert',
      p('root1-pkb-38906121-9c-p256', 'key_cert.der'),
      '--device-cert',
      p('root1-pkb-38906121-9c-p256', 'device_cert.der'),
    ]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /attestation: VALID \(YubiKey PIV\)/);
    assert.match(r.out, /serial {6}38906121/);
    assert.match(r.out, /root {8}Yubico Attestation Root 1 \(bundled/);
    const j = await kc([
      'attest',
      'verify',
      '--json',
      '--cert',
      p('piv263751-sigstorehist-15026814-9c-p256', 'key_cert.pem'),
      '--device-cert',
      p('piv263751-sigstorehist-15026814-9c-p256', 'device_cert.pem'),
    ]);
    assert.equal(j.code, 0, j.err);
    const rep = JSON.parse(j.out) as Record<string, unknown>;
    for (const k of ['vendor', 'serial', 'firmware', 'slot', 'algorithm', 'pinPolicy', 'touchPolicy', 'formFactor', 'root', 'publicKeySha256'])
      assert.ok(k in rep, k);
    assert.deepEqual(
      [rep.vendor, rep.serial, rep.firmware, rep.slot, rep.algorithm, rep.pinPolicy, rep.touchPolicy, rep.formFactor, rep.root],
      ['yubico-piv', 15026814, '5.2.7', '9c', 'ecdsa-p256', 'always', 'always', 'USB-C nano', 'Yubico PIV Root CA Serial 263751'],
    );
    assert.match(String(rep.publicKeySha256), /^[0-9a-f]{64}$/);
  });

  test('not valid: exit 1 with the reason; --expect-pubkey; usage errors exit 2; --help exits 0', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'kc-attest-'));
    try {
      const bad = await kc([
        'attest',
        'verify',
        '--cert',
        p('piv263751-pivgo-15732500-9a-p256', 'key_cert.pem'),
        '--device-cert',
        p('piv263751-psyk-22399878-9a-rsa2048', 'device_cert.pem'),
      ]);
      assert.equal(bad.code, 1);
      assert.match(bad.out, /^attestation: NOT VALID: The key certificate is not signed by the device certificate given/);
      const badJson = await kc([
        'attest',
        'verify',
        '--json',
        '--cert',
        p('piv263751-pivgo-15732500-9a-p256', 'key_cert.pem'),
        '--device-cert',
        p('piv263751-psyk-22399878-9a-rsa2048', 'device_cert.pem'),
      ]);
      assert.equal(badJson.code, 1);
      assert.equal((JSON.parse(badJson.out) as { valid: boolean }).valid, false);
      const s = path.join(SIGSTORE, 'keys', '18158855');
      const ok = await kc([
        'attest',
        'verify',
        '--cert',
        path.join(s, '18158855_key_cert.pem'),
        '--device-cert',
        path.join(s, '18158855_device_cert.pem'),
        '--expect-pubkey',
        path.join(s, '18158855_pubkey.pem'),
      ]);
      assert.equal(ok.code, 0, ok.out);
      const wrong = await kc([
        'attest',
        'verify',
        '--cert',
        path.join(s, '18158855_key_cert.pem'),
        '--device-cert',
        path.join(s, '18158855_device_cert.pem'),
        '--expect-pubkey',
        path.join(SIGSTORE, 'keys', '13078778', '13078778_pubkey.pem'),
      ]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.out, /not the expected key/);
      writeFileSync(path.join(tmp, 'root.pem'), readFileSync(path.join(Y, 'roots', 'Yubico_Attestation_Root_1.pem')));
      const wrongRoot = await kc([
        'attest',
        'verify',
        '--cert',
        path.join(s, '18158855_key_cert.pem'),
        '--device-cert',
        path.join(s, '18158855_device_cert.pem'),
        '--root',
        path.join(tmp, 'root.pem'),
      ]);
      assert.equal(wrongRoot.code, 1);
      assert.equal((await kc(['attest', 'verify', '--cert', 'x'])).code, 2);
      assert.equal((await kc(['attest'])).code, 2);
      const missing = await kc(['attest', 'verify', '--cert', path.join(tmp, 'nope.pem'), '--device-cert', path.join(tmp, 'nope.pem')]);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /error\[NOT_FOUND\]/);
      const help = await kc(['attest', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.out, /--device-cert/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/**
 * Exported admission policies against the real schemas and matching rules (issue 15 item 4, issue 14
 * item 14): every Kyverno ClusterPolicy, Kyverno ImageValidatingPolicy and policy-controller
 * ClusterImagePolicy we export validates against the openAPIV3Schema of its CRD in
 * ../shared/fixtures/interop/policies/crds (ajv), and its image globs match exactly the repository,
 * judged by JavaScript transliterations of each engine's matching code as quoted in
 * ../shared/fixtures/interop/policies/SEMANTICS.md (§1.6 go-wildcard, §2.3 gobwas, §3.1 policy-controller).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { SoftwareSigner } from '../../helpers/software-signer';
import { crdErrors, CRD_FILES, POLICY_FIXTURES } from '../../helpers/crd-schema';
import { publicKeyPem } from '../../../shared/cosign/keys';
import { clusterImagePolicy, imageValidatingPolicy, kyvernoClusterPolicy, type PolicyInput } from '../../../shared/cosign/policy';
import { policyFiles } from '../../../electron/core/cosign/outputs';

const D = `sha256:${'ab'.repeat(32)}`;

/** policy-controller `pkg/apis/glob/glob.go` Compile (SEMANTICS §3.1). */
function pcCompile(glob: string): RegExp {
  if (glob === '*/*') glob = 'index.docker.io/*/*';
  if (glob === '*') glob = 'index.docker.io/library/*';
  if (!/^[a-zA-Z0-9-_:/*.@]+$/.test(glob)) throw new Error(`invalid glob ${JSON.stringify(glob)}`);
  const re = glob.replaceAll('.', '\\.').replaceAll('**', '#').replaceAll('*', '[^/]*').replaceAll('#', '.*');
  return new RegExp(`^${re}$`);
}

/** IGLOU-EU/go-wildcard Match (Kyverno ClusterPolicy imageReferences, SEMANTICS §1.6). */
function wildcard(pattern: string, name: string): boolean {
  if (pattern === '') return name === '';
  if (pattern === '*') return true;
  const deep = (s: string, p: string): boolean => {
    while (p.length > 0) {
      if (p[0] === '*') return deep(s, p.slice(1)) || (s.length > 0 && deep(s.slice(1), p));
      if (p[0] === '?') {
        if (s.length === 0) return false;
      } else if (s.length === 0 || s[0] !== p[0]) return false;
      s = s.slice(1);
      p = p.slice(1);
    }
    return s.length === 0 && p.length === 0;
  };
  return deep(name, pattern);
}

/** gobwas/glob compiled without separators (IVP matchImageReferences, SEMANTICS §2.3): for `*` and literals, `*` is any run. */
function gobwas(pattern: string, name: string): boolean {
  if (/[?[\]{}\\]/.test(pattern)) throw new Error(`pattern uses metacharacters this transliteration does not cover: ${pattern}`);
  return wildcard(pattern, name);
}

const keys = ['alice', 'bob', 'carol'].map((n) => ({ name: n, pem: publicKeyPem(SoftwareSigner.generate('ecdsa-p256').publicKeySpki) }));

function docs(p: PolicyInput): Record<string, any>[] {
  return policyFiles(p).map((f) => parseYaml(String(f.data)) as Record<string, any>);
}

describe('the validator itself', () => {
  test('accepts the upstream example policies and refuses a broken copy', () => {
    let valid = 0;
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : n.endsWith('.yaml') ? [path.join(d, n)] : []));
    for (const f of walk(path.join(POLICY_FIXTURES, 'examples'))) {
      for (const d of parseAllDocuments(readFileSync(f, 'utf8'))) {
        const doc = d.toJSON() as Record<string, any> | null;
        if (!doc?.kind || !CRD_FILES[`${String(doc.apiVersion).split('/')[0]}/${doc.kind}`]) continue;
        // two upstream files are partial on purpose (a chainsaw assert object; an `invalid/` case)
        if (f.includes('.chainsaw-test') || f.includes('/invalid/')) continue;
        assert.deepEqual(crdErrors(doc), [], path.relative(POLICY_FIXTURES, f));
        valid++;
      }
    }
    assert.ok(valid >= 60, `validated ${valid} upstream examples`);
    const [cp, ivp, cip] = docs({ name: 'x', repositories: ['ghcr.io/org/app'], keys, m: 2 });
    cp!.spec.rules[0].verifyImages[0].attestors[0].count = 0; // CRD: minimum 1
    assert.match(crdErrors(cp!).join('\n'), /count must be >= 1/);
    ivp!.spec.attestors[0].cosign.key = 'PEM';
    assert.match(crdErrors(ivp!).join('\n'), /key must be object/);
    delete cip!.spec.authorities[0].key.data;
    cip!.spec.authorities[0].key.hashAlgorithm = 7;
    assert.match(crdErrors(cip!).join('\n'), /hashAlgorithm must be string/);
  });
});

describe('exported policies validate against their CRDs', () => {
  const cases: [string, PolicyInput][] = [
    ['2 of 3 on ghcr.io', { name: 'release', repositories: ['ghcr.io/org/app'], keys, m: 2 }],
    [
      '1 of 1, Docker Hub and a registry with a port',
      { name: 'Release Train 7', repositories: ['nginx', 'localhost:5000/team/app'], keys: keys.slice(0, 1), m: 1 },
    ],
    [
      '3 of 3 with an attestation',
      { name: 'slsa', repositories: ['ghcr.io/org/app', 'ghcr.io/org/web'], keys, m: 3, attestationPredicateType: 'https://slsa.dev/provenance/v1' },
    ],
  ];
  for (const [what, input] of cases) {
    test(what, () => {
      const all = docs(input);
      assert.deepEqual(
        all.map((d) => `${d.apiVersion} ${d.kind}`),
        ['kyverno.io/v1 ClusterPolicy', 'policies.kyverno.io/v1beta1 ImageValidatingPolicy', 'policy.sigstore.dev/v1beta1 ClusterImagePolicy'],
      );
      for (const d of all) {
        assert.deepEqual(crdErrors(d), [], `${d.kind}`);
        assert.match(d.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'metadata.name is a DNS-1123 label');
      }
      // the IVP's fields are the same in the deprecated v1alpha1 that Kyverno 1.14 serves, and in v1
      for (const v of ['v1alpha1', 'v1']) assert.deepEqual(crdErrors({ ...all[1]!, apiVersion: `policies.kyverno.io/${v}` }), [], v);
      // and the CIP in policy-controller's storage version v1alpha1
      assert.deepEqual(crdErrors({ ...all[2]!, apiVersion: 'policy.sigstore.dev/v1alpha1' }), []);
    });
  }
});

describe('image globs match the repository exactly (SEMANTICS §4)', () => {
  test('policy-controller: <repo>@* — not <repo>* which admits ghcr.io/org/app-other', () => {
    const cip = parseYaml(clusterImagePolicy({ name: 'r', repositories: ['ghcr.io/org/app'], keys, m: 2 })) as Record<string, any>;
    const globs: string[] = cip.spec.images.map((i: { glob: string }) => i.glob);
    // what admission matches: ref.Name() of the digest reference (tag dropped, digest always present)
    const seen = (name: string) => globs.some((g) => pcCompile(g).test(name));
    assert.equal(seen(`ghcr.io/org/app@${D}`), true, 'the repository itself');
    assert.equal(seen(`ghcr.io/org/app-other@${D}`), false, 'a sibling repository sharing the prefix');
    assert.equal(seen(`ghcr.io/org/application@${D}`), false);
    assert.equal(seen(`ghcr.io/org/app/sub@${D}`), false);
    // the defect this replaces: the old glob matched the sibling
    assert.equal(pcCompile('ghcr.io/org/app*').test(`ghcr.io/org/app-other@${D}`), true);
  });

  test('policy-controller on Docker Hub: index.docker.io/library/<name>@*', () => {
    const cip = parseYaml(clusterImagePolicy({ name: 'r', repositories: ['docker.io/nginx'], keys, m: 1 })) as Record<string, any>;
    assert.deepEqual(cip.spec.images, [{ glob: 'index.docker.io/library/nginx@*' }]);
    assert.ok(pcCompile('index.docker.io/library/nginx@*').test(`index.docker.io/library/nginx@${D}`));
  });

  test('Kyverno ClusterPolicy: docker.io-normalised repo:tag and repo@digest, never a sibling', () => {
    for (const [repo, yes, no] of [
      [
        'ghcr.io/org/app',
        ['ghcr.io/org/app:1.0', `ghcr.io/org/app@${D}`],
        ['ghcr.io/org/app-other:1.0', `ghcr.io/org/app-other@${D}`, 'ghcr.io/org/app/sub:1.0'],
      ],
      [
        'nginx',
        ['docker.io/nginx:1.25', `docker.io/nginx@${D}`, 'docker.io/library/nginx:1.25', `index.docker.io/library/nginx@${D}`],
        ['docker.io/nginx-other:1', 'docker.io/myuser/nginx:1'],
      ],
    ] as const) {
      const cp = parseYaml(kyvernoClusterPolicy({ name: 'r', repositories: [repo], keys, m: 2 })) as Record<string, any>;
      const refs: string[] = cp.spec.rules[0].verifyImages[0].imageReferences;
      for (const s of yes)
        assert.ok(
          refs.some((r) => wildcard(r, s)),
          `${repo}: ${s} is verified`,
        );
      for (const s of no) assert.ok(!refs.some((r) => wildcard(r, s)), `${repo}: ${s} is not this repository`);
    }
  });

  test('Kyverno ImageValidatingPolicy: the raw pod-spec string, every spelling', () => {
    for (const [repo, yes, no] of [
      [
        'ghcr.io/org/app',
        ['ghcr.io/org/app', 'ghcr.io/org/app:1.0', `ghcr.io/org/app@${D}`, `ghcr.io/org/app:1.0@${D}`],
        ['ghcr.io/org/app-other:1.0', 'ghcr.io/org/app/sub:1'],
      ],
      [
        'nginx',
        ['nginx', 'nginx:1.25', `nginx@${D}`, 'library/nginx:1', 'docker.io/nginx:1', 'docker.io/library/nginx:1', 'index.docker.io/library/nginx:1'],
        ['nginx-other:1', 'myuser/nginx:1'],
      ],
    ] as const) {
      const ivp = parseYaml(imageValidatingPolicy({ name: 'r', repositories: [repo], keys, m: 2 })) as Record<string, any>;
      const globs: string[] = ivp.spec.matchImageReferences.map((x: { glob: string }) => x.glob);
      for (const s of yes)
        assert.ok(
          globs.some((g) => gobwas(g, s)),
          `${repo}: ${s} is verified`,
        );
      for (const s of no) assert.ok(!globs.some((g) => gobwas(g, s)), `${repo}: ${s} is not this repository`);
    }
  });

  test('a glob, tag or digest given as the repository is refused', () => {
    for (const bad of ['ghcr.io/org/app*', 'ghcr.io/org/app:1.0', `ghcr.io/org/app@${D}`, 'nginx:latest']) {
      assert.throws(() => clusterImagePolicy({ name: 'r', repositories: [bad], keys, m: 1 }), { code: 'INVALID_INPUT' }, bad);
    }
  });
});

describe('keys and thresholds as each engine counts them', () => {
  test('one key per entry / attestor / authority, each a single SPKI PEM block; m as each engine reads it', () => {
    const [cp, ivp, cip] = docs({ name: 'r', repositories: ['ghcr.io/org/app'], keys, m: 2 });
    const one = (pem: string) => assert.equal(pem.match(/-----BEGIN PUBLIC KEY-----/g)?.length, 1);
    const att = cp!.spec.rules[0].verifyImages[0].attestors[0];
    assert.equal(att.count, 2);
    assert.ok(att.count <= att.entries.length, 'Kyverno admission: count cannot exceed the entries');
    att.entries.forEach((e: any) => one(e.keys.publicKeys));
    assert.deepEqual(
      ivp!.spec.attestors.map((a: any) => a.name),
      ['alice', 'bob', 'carol'],
    );
    ivp!.spec.attestors.forEach((a: any) => (one(a.cosign.key.data), assert.equal(a.cosign.ctlog.insecureIgnoreTlog, true)));
    assert.equal(
      ivp!.spec.validations[0].expression,
      'images.all(kind, images[kind].all(image, verifyImageSignatures(image, [attestors.alice, attestors.bob, attestors.carol]) >= 2))',
    );
    cip!.spec.authorities.forEach((a: any) => one(a.key.data));
    assert.equal(new Set(cip!.spec.authorities.map((a: any) => a.name)).size, 3, 'authority names are unique (they key authorityMatches)');
    assert.match(cip!.spec.policy.data, /len\(matched\) >= 2/);
  });

  test('IVP attestor names are CEL identifiers; authority names DNS-1123; both unique', () => {
    const odd = [
      { name: 'Alice Smith', pem: keys[0]!.pem },
      { name: '1bob', pem: keys[1]!.pem },
      { name: 'alice-smith', pem: keys[2]!.pem },
    ];
    const [, ivp, cip] = docs({ name: 'r', repositories: ['ghcr.io/org/app'], keys: odd, m: 2 });
    const names = ivp!.spec.attestors.map((a: any) => a.name) as string[];
    assert.deepEqual(names, ['alice_smith', 'key_1bob', 'alice_smith_2']);
    for (const n of names) assert.match(n, /^[A-Za-z_][A-Za-z0-9_]*$/);
    assert.deepEqual(
      cip!.spec.authorities.map((a: any) => a.name),
      ['alice-smith', '1bob', 'alice-smith-2'],
    );
  });

  test('the same key twice is refused even when its PEM is wrapped differently (Kyverno and policy-controller count entries, not keys)', () => {
    const rewrapped = keys[0]!.pem
      .replace(/\n(?!-----)/g, '')
      .replace('-----END', '\n-----END')
      .replace('KEY-----', 'KEY-----\n');
    assert.notEqual(rewrapped, keys[0]!.pem);
    for (const f of [kyvernoClusterPolicy, imageValidatingPolicy, clusterImagePolicy]) {
      assert.throws(
        () => f({ name: 'r', repositories: ['ghcr.io/org/app'], keys: [keys[0]!, { name: 'again', pem: rewrapped }], m: 1 }),
        /listed twice \(alice and again\)/,
      );
    }
  });
});

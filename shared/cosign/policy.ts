/**
 * Admission policies requiring m distinct keys out of n.
 *
 * Kyverno (`api/kyverno/v1/image_verification_types.go`): `attestors: [{count: m, entries: [...]}]`
 * — "If the count contains a value N… at least N entries must match". One entry per key. The
 * signatures we make offline carry no Rekor entry or SCT, so each entry sets `rekor.ignoreTlog` and
 * `ctlog.ignoreSCT`.
 *
 * sigstore policy-controller: `spec.authorities[]` are ORed (policy-controller#28/#29), so a plain
 * list of m key authorities would admit an image signed by ONE of them. The threshold is a CIP-level
 * `policy` (CUE) over `authorityMatches`, as in policy-controller's
 * `test/testdata/policy-controller/e2e/cip-requires-two-signatures-and-two-attestations.yaml`.
 */
import { KeyceremonyError } from '../errors';
import { toYaml, type YamlValue } from './yaml';

export interface PolicyKey {
  /** Short DNS-1123 name for the authority (e.g. custodian name). */
  name: string;
  pem: string;
}

export interface PolicyInput {
  name: string;
  /** Repository names (`registry/repo`) the policy covers. */
  repositories: string[];
  keys: PolicyKey[];
  m: number;
  /** Also require an attestation of this predicate type from the same keys (Kyverno only). */
  attestationPredicateType?: string;
}

function dns1123(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return out || 'key';
}

function check(p: PolicyInput): void {
  if (!Number.isInteger(p.m) || p.m < 1 || p.m > p.keys.length) {
    throw new KeyceremonyError('INVALID_INPUT', `m must be between 1 and the number of keys (${p.keys.length}), got ${p.m}.`, { where: 'm' });
  }
  if (p.repositories.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'The policy needs at least one repository.', { where: 'images' });
  const pems = new Set(p.keys.map((k) => k.pem.trim()));
  if (pems.size !== p.keys.length) throw new KeyceremonyError('INVALID_INPUT', 'The same public key is listed twice: m-of-n needs distinct keys.', { where: 'keys' });
}

function authorityNames(keys: PolicyKey[]): string[] {
  const seen = new Map<string, number>();
  return keys.map((k) => {
    const base = dns1123(k.name);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

export function kyvernoClusterPolicy(p: PolicyInput): string {
  check(p);
  const entries = p.keys.map((k) => ({
    keys: { publicKeys: k.pem.endsWith('\n') ? k.pem : k.pem + '\n', rekor: { ignoreTlog: true }, ctlog: { ignoreSCT: true } },
  }));
  const verify: Record<string, YamlValue> = {
    imageReferences: p.repositories.flatMap((r) => [`${r}:*`, `${r}@*`]),
    attestors: [{ count: p.m, entries }],
  };
  if (p.attestationPredicateType) {
    verify['attestations'] = [{ type: p.attestationPredicateType, attestors: [{ count: p.m, entries }] }];
  }
  return toYaml({
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: {
      name: dns1123(p.name),
      annotations: { 'keyceremony/threshold': `${p.m}-of-${p.keys.length}` },
    },
    spec: {
      validationFailureAction: 'Enforce',
      background: false,
      webhookTimeoutSeconds: 30,
      rules: [
        {
          name: `require-${p.m}-of-${p.keys.length}-signatures`,
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [verify],
        },
      ],
    },
  });
}

export function clusterImagePolicy(p: PolicyInput): string {
  check(p);
  const names = authorityNames(p.keys);
  const cue = [
    '// keyceremony: admit only when at least ' + `${p.m} of these ${p.keys.length} keys signed (authorities alone are ORed).`,
    'matched: [ for name, a in authorityMatches if len(a.signatures) > 0 { name } ]',
    `thresholdMet: true & (len(matched) >= ${p.m})`,
    '',
  ].join('\n');
  return toYaml({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: {
      name: dns1123(p.name),
      annotations: { 'keyceremony/threshold': `${p.m}-of-${p.keys.length}` },
    },
    spec: {
      images: p.repositories.map((r) => ({ glob: `${r}*` })),
      mode: 'enforce',
      authorities: p.keys.map((k, i) => ({
        name: names[i] as string,
        key: { data: k.pem.endsWith('\n') ? k.pem : k.pem + '\n', hashAlgorithm: 'sha256' },
      })),
      policy: { type: 'cue', data: cue },
    },
  });
}

/**
 * Admission policies requiring m distinct keys out of n, written as each engine reads them
 * (../shared/fixtures/interop/policies/SEMANTICS.md quotes the code behind every rule below).
 *
 * Kyverno ClusterPolicy (`api/kyverno/v1/image_verification_types.go`): `attestors: [{count: m,
 * entries: [...]}]` — "If the count contains a value N… at least N entries must match". One entry per
 * key (admission counts entries before it splits PEM lists). Signatures made offline carry no Rekor
 * entry or SCT, so each entry sets `rekor.ignoreTlog` and `ctlog.ignoreSCT`. `imageReferences` are
 * matched (go-wildcard, `*` crosses `/`) against `docker.io`-normalised `repo:tag` or `repo@digest`,
 * so one repository needs both `<repo>:*` and `<repo>@*` (and, on Docker Hub, each way of writing it).
 *
 * Kyverno ImageValidatingPolicy (1.14+): no count field; `verifyImageSignatures(image, [attestors…])`
 * returns how many of the listed attestors verified (`pkg/cel/libs/imageverify/impl.go`), compared with
 * m in CEL over every image list Kyverno extracts (`pkg/cel/compiler/images.go`: containers,
 * initContainers, ephemeralContainers, imageVolumes). `matchImageReferences` globs (gobwas, no
 * separators) see the pod's raw image string: bare `<repo>`, `<repo>:*`, `<repo>@*`.
 *
 * sigstore policy-controller: `spec.authorities[]` are ORed (`pkg/webhook/validator.go` ValidatePolicy),
 * so the threshold is a CIP-level `policy` (CUE) over `authorityMatches`, as in policy-controller's
 * `test/testdata/policy-controller/e2e/cip-requires-two-signatures-and-two-attestations.yaml`. Its globs
 * (`pkg/apis/glob/glob.go` Compile: `*` becomes `[^/]*`, anchored) are matched against `ref.Name()` of
 * the digest reference admission sees (`pkg/webhook/validator.go` L1233-L1241: always
 * `<registry>/<repo>@sha256:…`), so `<repo>@*` is exactly one repository: `<repo>*` would also admit
 * `<repo>-other` under this policy.
 */
import { KeyceremonyError } from '../errors';
import { toHex } from '../encoding/bytes';
import { parsePublicKeyPem, publicKeyPem } from './keys';
import { parseImageReference } from './reference';
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

const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`;

/**
 * A repository as go-containerregistry names it (`ref.Name()` without the digest): Docker Hub as
 * `index.docker.io/library/<name>`, every other registry as written. Refuses globs and tags.
 */
export function canonicalRepository(repo: string, where = 'repository'): string {
  if (/[*?[\]{}]/.test(repo)) throw new KeyceremonyError('INVALID_INPUT', `${repo}: give a repository name, not a glob`, { where });
  if (repo.includes('@') || /:[^/]*$/.test(repo.replace(/^[^/]*\//, ''))) {
    throw new KeyceremonyError('INVALID_INPUT', `${repo}: give the repository without a tag or digest (the policy covers every digest of it)`, { where });
  }
  return parseImageReference(`${repo}@${ZERO_DIGEST}`, where).name;
}

/** Every way a pod spec may write one repository (Docker Hub: `nginx`, `library/nginx`, `docker.io/…`, `index.docker.io/…`). */
function spellings(repo: string): string[] {
  const hub = /^index\.docker\.io\/(.+)$/.exec(repo);
  if (!hub) return [repo];
  const path = hub[1] as string;
  const short = path.startsWith('library/') ? [path.slice('library/'.length)] : [];
  return [...short, path, ...short.map((s) => `docker.io/${s}`), `docker.io/${path}`, repo];
}

/** Kyverno ClusterPolicy: the string matched is `docker.io`-normalised `repo:tag` or `repo@digest` (tag dropped with a digest). */
export function kyvernoImageReferences(repositories: readonly string[]): string[] {
  const forms = repositories.flatMap((r) => spellings(canonicalRepository(r)).filter((s) => s.includes('/') && /^[^/]*[.:]|^localhost\//.test(s)));
  return [...new Set(forms)].flatMap((f) => [`${f}:*`, `${f}@*`]);
}

/** Kyverno ImageValidatingPolicy: the raw pod-spec string, no normalisation. */
export function ivpImageGlobs(repositories: readonly string[]): string[] {
  const forms = [...new Set(repositories.flatMap((r) => spellings(canonicalRepository(r))))];
  return forms.flatMap((f) => [f, `${f}:*`, `${f}@*`]);
}

/** policy-controller: admission matches `<registry>/<repo>@sha256:…`, so `<repo>@*` covers exactly one repository. */
export function policyControllerGlobs(repositories: readonly string[]): string[] {
  return [...new Set(repositories.map((r) => canonicalRepository(r)))].map((r) => `${r}@*`);
}

/** The keys as SPKI PEM (normalised), refusing one key listed twice under any encoding: m-of-n needs distinct keys. */
function checked(p: PolicyInput): PolicyKey[] {
  if (!Number.isInteger(p.m) || p.m < 1 || p.m > p.keys.length) {
    throw new KeyceremonyError('INVALID_INPUT', `m must be between 1 and the number of keys (${p.keys.length}), got ${p.m}.`, { where: 'm' });
  }
  if (p.repositories.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'The policy needs at least one repository.', { where: 'images' });
  const seen = new Map<string, string>();
  return p.keys.map((k, i) => {
    const spki = parsePublicKeyPem(k.pem, `keys[${i}] (${k.name})`).spki;
    const id = toHex(spki);
    const other = seen.get(id);
    if (other !== undefined) {
      throw new KeyceremonyError('INVALID_INPUT', `The same public key is listed twice (${other} and ${k.name}): m-of-n needs distinct keys.`, {
        where: 'keys',
      });
    }
    seen.set(id, k.name);
    return { name: k.name, pem: publicKeyPem(spki) };
  });
}

/** Unique names: DNS-1123 for authorities; CEL identifiers (letters, digits, _) for IVP attestors. */
function uniqueNames(keys: PolicyKey[], style: 'dns' | 'cel'): string[] {
  const seen = new Map<string, number>();
  return keys.map((k) => {
    let base = dns1123(k.name);
    if (style === 'cel') base = /^[a-z]/.test(base) ? base.replace(/-/g, '_') : `key_${base.replace(/-/g, '_')}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}${style === 'cel' ? '_' : '-'}${n}`;
  });
}

function annotations(p: PolicyInput): Record<string, YamlValue> {
  return { 'keyceremony/threshold': `${p.m}-of-${p.keys.length}` };
}

export function kyvernoClusterPolicy(p: PolicyInput): string {
  const keys = checked(p);
  const entries = keys.map((k) => ({ keys: { publicKeys: k.pem, rekor: { ignoreTlog: true }, ctlog: { ignoreSCT: true } } }));
  const verify: Record<string, YamlValue> = {
    imageReferences: kyvernoImageReferences(p.repositories),
    attestors: [{ count: p.m, entries }],
  };
  if (p.attestationPredicateType) {
    verify['attestations'] = [{ type: p.attestationPredicateType, attestors: [{ count: p.m, entries }] }];
  }
  return toYaml({
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: dns1123(p.name), annotations: annotations(p) },
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

/**
 * Kyverno ImageValidatingPolicy (`policies.kyverno.io/v1beta1`, the storage version of the CRD in the
 * fixtures; Kyverno 1.14 serves the same fields as `v1alpha1`): one cosign attestor per key, the
 * transparency log skipped (offline signatures), and m of them required for every image.
 */
export function imageValidatingPolicy(p: PolicyInput): string {
  const keys = checked(p);
  const names = uniqueNames(keys, 'cel');
  const list = `[${names.map((n) => `attestors.${n}`).join(', ')}]`;
  return toYaml({
    apiVersion: 'policies.kyverno.io/v1beta1',
    kind: 'ImageValidatingPolicy',
    metadata: { name: dns1123(p.name), annotations: annotations(p) },
    spec: {
      validationActions: ['Deny'],
      failurePolicy: 'Fail',
      webhookConfiguration: { timeoutSeconds: 30 },
      evaluation: { background: { enabled: false } },
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
      matchImageReferences: ivpImageGlobs(p.repositories).map((glob) => ({ glob })),
      attestors: keys.map((k, i) => ({
        name: names[i] as string,
        cosign: { key: { data: k.pem, hashAlgorithm: 'sha256' }, ctlog: { insecureIgnoreTlog: true, insecureIgnoreSCT: true } },
      })),
      validations: [
        {
          expression: `images.all(kind, images[kind].all(image, verifyImageSignatures(image, ${list}) >= ${p.m}))`,
          message: `every image needs signatures by ${p.m} of these ${keys.length} keys`,
        },
      ],
    },
  });
}

export function clusterImagePolicy(p: PolicyInput): string {
  const keys = checked(p);
  const names = uniqueNames(keys, 'dns');
  const cue = [
    '// keyceremony: admit only when at least ' + `${p.m} of these ${keys.length} keys signed (authorities alone are ORed).`,
    'matched: [ for name, a in authorityMatches if len(a.signatures) > 0 { name } ]',
    `thresholdMet: true & (len(matched) >= ${p.m})`,
    '',
  ].join('\n');
  return toYaml({
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: dns1123(p.name), annotations: annotations(p) },
    spec: {
      images: policyControllerGlobs(p.repositories).map((glob) => ({ glob })),
      mode: 'enforce',
      authorities: keys.map((k, i) => ({ name: names[i] as string, key: { data: k.pem, hashAlgorithm: 'sha256' } })),
      policy: { type: 'cue', data: cue },
    },
  });
}

/**
 * The openAPIV3Schema of each served version of the Kubernetes CRDs in
 * ../shared/fixtures/interop/policies/crds, compiled with ajv (draft-07 rules cover the OpenAPI v3
 * subset Kubernetes uses). `strict: false` lets ajv ignore the `x-kubernetes-*` extension keywords;
 * the OpenAPI formats Kubernetes names (int32, int64, byte, ...) are accepted as annotations, as the
 * API server's structural-schema check does not validate them for these fields either.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';

export const POLICY_FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures/interop/policies');

interface Crd {
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: object } }[] };
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const cache = new Map<string, ValidateFunction>();

/** `apiVersion` + `kind` -> the compiled schema of that served version, from the CRD file named. */
export function crdValidator(file: string, apiVersion: string): ValidateFunction {
  const key = `${file}#${apiVersion}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const crd = parseYaml(readFileSync(path.join(POLICY_FIXTURES, 'crds', file), 'utf8')) as Crd;
  const [group, version] = apiVersion.split('/');
  if (group !== crd.spec.group) throw new Error(`${file} is group ${crd.spec.group}, not ${group}`);
  const v = crd.spec.versions.find((x) => x.name === version && x.served);
  if (!v) throw new Error(`${file} serves no version ${version}`);
  const fn = ajv.compile(v.schema.openAPIV3Schema);
  cache.set(key, fn);
  return fn;
}

export const CRD_FILES: Record<string, string> = {
  'kyverno.io/ClusterPolicy': 'kyverno/kyverno.io_clusterpolicies.yaml',
  'kyverno.io/Policy': 'kyverno/kyverno.io_policies.yaml',
  'policies.kyverno.io/ImageValidatingPolicy': 'kyverno/policies.kyverno.io_imagevalidatingpolicies.yaml',
  'policy.sigstore.dev/ClusterImagePolicy': 'policy-controller/300-clusterimagepolicy.yaml',
};

/** Validate one parsed document against the CRD its apiVersion and kind name; returns the ajv errors (empty = valid). */
export function crdErrors(doc: { apiVersion?: string; kind?: string }): string[] {
  const group = String(doc.apiVersion ?? '').split('/')[0];
  const file = CRD_FILES[`${group}/${doc.kind}`];
  if (!file) return [`no CRD in the fixtures for ${doc.apiVersion} ${doc.kind}`];
  const validate = crdValidator(file, String(doc.apiVersion));
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
}

/**
 * in-toto Statement v1 (`https://in-toto.io/Statement/v1`, in-toto/attestation `spec/v1/statement.md`)
 * carrying a predicate the user brings in a file: SLSA provenance v1 (`https://slsa.dev/provenance/v1`),
 * SPDX 2.x JSON (`https://spdx.dev/Document`, as cosign `--type spdxjson`), CycloneDX JSON
 * (`https://cyclonedx.org/bom`, as cosign `--type cyclonedx`), or a custom predicate type URI.
 * The predicate kind is detected from the file and must match `--type` when one is given; files we
 * cannot recognise (SPDX tag-value, CycloneDX XML, arbitrary text) are refused.
 */
import { KeyceremonyError, isKeyceremonyError } from '../errors';
import { parseStrictJsonBytes } from '../json';
import { fromUtf8, utf8 } from '../encoding/bytes';

export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPES = {
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
} as const;
export type PredicateKind = keyof typeof PREDICATE_TYPES;

export interface Subject {
  name: string;
  digest: { sha256: string };
}
export interface Statement {
  _type: typeof STATEMENT_V1;
  subject: Subject[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const refuse = (where: string, msg: string): never => {
  throw new KeyceremonyError('UNSUPPORTED_FORMAT', msg, { where });
};
const invalid = (where: string, msg: string): never => {
  throw new KeyceremonyError('INVALID_INPUT', msg, { where });
};

/** What a predicate object looks like, or null when it is none of the known kinds. */
export function detectPredicateKind(p: Record<string, unknown>): PredicateKind | null {
  if (typeof p['spdxVersion'] === 'string' && typeof p['SPDXID'] === 'string') return 'spdxjson';
  if (p['bomFormat'] === 'CycloneDX') return 'cyclonedx';
  if (isObj(p['buildDefinition']) && isObj(p['runDetails'])) return 'slsaprovenance1';
  return null;
}

function validate(kind: PredicateKind, p: Record<string, unknown>, where: string): void {
  switch (kind) {
    case 'slsaprovenance1': {
      const bd = p['buildDefinition'] as Record<string, unknown>;
      const rd = p['runDetails'] as Record<string, unknown>;
      if (typeof bd['buildType'] !== 'string' || bd['buildType'] === '') invalid(where, 'SLSA provenance v1: buildDefinition.buildType must be a URI.');
      if (!isObj(bd['externalParameters'])) invalid(where, 'SLSA provenance v1: buildDefinition.externalParameters must be an object.');
      const builder = rd['builder'];
      if (!isObj(builder) || typeof builder['id'] !== 'string' || builder['id'] === '')
        invalid(where, 'SLSA provenance v1: runDetails.builder.id is required.');
      return;
    }
    case 'spdxjson': {
      if (!/^SPDX-2\.\d+$/.test(String(p['spdxVersion']))) invalid(where, `SPDX: spdxVersion ${JSON.stringify(p['spdxVersion'])} is not SPDX-2.x.`);
      if (p['SPDXID'] !== 'SPDXRef-DOCUMENT') invalid(where, 'SPDX: SPDXID must be "SPDXRef-DOCUMENT".');
      if (typeof p['name'] !== 'string') invalid(where, 'SPDX: the document name is required.');
      if (typeof p['dataLicense'] !== 'string') invalid(where, 'SPDX: dataLicense is required.');
      return;
    }
    case 'cyclonedx': {
      if (typeof p['specVersion'] !== 'string' || !/^1\.\d+$/.test(p['specVersion'])) invalid(where, 'CycloneDX: specVersion must be "1.x".');
      if (p['components'] !== undefined && !Array.isArray(p['components'])) invalid(where, 'CycloneDX: components must be an array.');
      return;
    }
  }
}

function isUri(s: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/.test(s);
}

/**
 * Read a predicate file. `type` is a known kind, a custom predicate type URI, or undefined (detect).
 * Returns the predicateType URI and the predicate object.
 */
export function readPredicate(
  bytes: Uint8Array,
  type: string | undefined,
  where = 'predicate file',
): { predicateType: string; kind: PredicateKind | 'custom'; predicate: Record<string, unknown> } {
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch {
    return refuse(
      where,
      'The predicate file is not UTF-8 text; supported: SLSA provenance v1, SPDX 2.x JSON, CycloneDX JSON, or JSON with a custom --type URI.',
    );
  }
  const t = text.trimStart();
  if (t.startsWith('<'))
    return refuse(where, 'The predicate file looks like XML (CycloneDX XML?); only JSON predicates are supported — export CycloneDX as JSON.');
  if (/^SPDXVersion:/m.test(t)) return refuse(where, 'The predicate file is SPDX tag-value; only SPDX JSON is supported — convert it to JSON first.');
  let doc: unknown;
  try {
    doc = parseStrictJsonBytes(bytes, { source: where });
  } catch (e) {
    if (isKeyceremonyError(e) && e.code === 'DUPLICATE_KEY') throw e;
    return refuse(where, 'The predicate file is not JSON; supported: SLSA provenance v1, SPDX 2.x JSON, CycloneDX JSON, or JSON with a custom --type URI.');
  }
  if (!isObj(doc)) return refuse(where, 'The predicate must be a JSON object.');
  // A whole in-toto statement was given: take its predicate.
  let predicate = doc;
  if (typeof doc['_type'] === 'string' && String(doc['_type']).startsWith('https://in-toto.io/Statement/')) {
    if (!isObj(doc['predicate'])) return refuse(where, 'The statement in the predicate file has no predicate object.');
    predicate = doc['predicate'];
  }
  const detected = detectPredicateKind(predicate);
  if (type === undefined || type === '') {
    if (!detected) {
      return refuse(
        where,
        'Unknown predicate file type: it is not SLSA provenance v1, SPDX 2.x JSON or CycloneDX JSON. Pass --type <URI> for a custom predicate.',
      );
    }
    validate(detected, predicate, where);
    return { predicateType: PREDICATE_TYPES[detected], kind: detected, predicate };
  }
  if (type in PREDICATE_TYPES) {
    const kind = type as PredicateKind;
    if (detected !== kind) {
      return invalid(where, `--type ${type} was given but the file ${detected ? `is ${detected}` : 'is not a ' + type + ' document'}.`);
    }
    validate(kind, predicate, where);
    return { predicateType: PREDICATE_TYPES[kind], kind, predicate };
  }
  if (!isUri(type)) {
    return invalid('--type', `Unknown predicate type "${type}": use slsaprovenance1, spdxjson, cyclonedx or a URI for a custom predicate.`);
  }
  const known = Object.entries(PREDICATE_TYPES).find(([, uri]) => uri === type);
  if (known) {
    validate(known[0] as PredicateKind, predicate, where);
    return { predicateType: type, kind: known[0] as PredicateKind, predicate };
  }
  return { predicateType: type, kind: 'custom', predicate };
}

export function makeStatement(subjects: Subject[], predicateType: string, predicate: Record<string, unknown>): Statement {
  if (subjects.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'A statement needs at least one subject.', { where: 'subject' });
  for (const s of subjects) {
    if (!/^[0-9a-f]{64}$/.test(s.digest.sha256)) {
      throw new KeyceremonyError('INVALID_INPUT', `Subject ${s.name}: sha256 must be 64 lower-case hex characters.`, { where: 'subject' });
    }
  }
  return { _type: STATEMENT_V1, subject: subjects, predicateType, predicate };
}

export function statementBytes(s: Statement): Uint8Array {
  return utf8(JSON.stringify(s));
}

/** Parse a DSSE payload as an in-toto statement (v1 or the v0.1 cosign still writes). */
export function parseStatement(bytes: Uint8Array, where = 'statement'): { type: string; subject: Subject[]; predicateType: string } {
  const doc = parseStrictJsonBytes(bytes, { source: where });
  if (!isObj(doc) || typeof doc['_type'] !== 'string' || !String(doc['_type']).startsWith('https://in-toto.io/Statement/')) {
    throw new KeyceremonyError('UNSUPPORTED_FORMAT', 'The DSSE payload is not an in-toto statement.', { where });
  }
  const subj = doc['subject'];
  if (!Array.isArray(subj)) throw new KeyceremonyError('UNSUPPORTED_FORMAT', 'The statement has no subject list.', { where });
  const subject: Subject[] = [];
  for (const s of subj) {
    if (isObj(s) && isObj(s['digest']) && typeof s['digest']['sha256'] === 'string') {
      subject.push({ name: typeof s['name'] === 'string' ? s['name'] : '', digest: { sha256: s['digest']['sha256'] } });
    }
  }
  return { type: doc['_type'], subject, predicateType: typeof doc['predicateType'] === 'string' ? doc['predicateType'] : '' };
}

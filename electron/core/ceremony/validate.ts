/**
 * Ceremony script validation, in the project's one validation vocabulary (shared/schema.ts):
 * - the SHAPE of a script and of each step kind's params is a schema; docs/ceremony.schema.json is
 *   generated from these same schemas (`ceremonyJsonSchema`, scripts/gen-ceremony-schema.ts) and a
 *   test checks the committed file is the generated one;
 * - what a JSON Schema cannot say is checked after the shape: references between ids, unique ids and
 *   labels, one administrator, phase order, the last step `close`, and each kind's own rules
 *   (`StepKind.validate`, on its typed params: thresholds, keys of the right type...).
 * Every problem is collected with its JSON path (e.g. `$.steps[3].params.threshold`) so
 * `keyceremony ceremony validate` lists them all; `assertScript` throws one INVALID_INPUT naming the first.
 */
import { KeyTypes } from '../../../shared/crypto/algorithms';
import { childPath } from '../../../shared/json';
import {
  annotate,
  arr,
  bool,
  custom,
  faultsError,
  fault,
  int,
  isPlainObject,
  jsonSchemaDocument,
  literal,
  named,
  obj,
  oneOf,
  opt,
  record,
  str,
  type Fault,
  type JsonSchema,
  type Schema,
} from '../../../shared/schema';
import { PHASES, ROLES, type CeremonyScript, type Phase } from './types';

/** A problem in a script: where (JSON path) and what. */
export type ValidationIssue = Fault;

/** What the validator needs to know about a step kind (the registry provides it). */
export interface KindInfo {
  phase: Phase;
  /** The shape of the step's params (also its part of docs/ceremony.schema.json). */
  params: Schema<unknown>;
  /** Rules beyond the shape, on params that passed it (references, thresholds...). */
  validate?(params: unknown, script: CeremonyScript, path: string): ValidationIssue[];
}

// ---------------------------------------------------------------- building blocks for scripts and params

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** YubiKey PIV key slots (NIST SP 800-73-4 key references; Yubico's retired slots 82-95). */
const PIV_SLOT = /^(9[acde]|8[2-9a-f]|9[0-5])$/;
const LABEL32 = /^[\x20-\x7e]{1,32}$/;
const LABEL64 = /^[\x20-\x7e]{1,64}$/;
const TEXT_MAX = 65536;

/** Ids of participants, tokens, keys, steps and acknowledgements. */
export const idSchema = named('id', str({ max: 64, pattern: ID, what: 'an id: lower-case letters, digits, ".", "_" or "-" (1-64)' }));
/** Free text (titles, instructions, names). */
export const text = (min = 0): Schema<string> => str({ min, max: TEXT_MAX });
/** A list of at least `min` (1) ids (keys, participants). */
export const idList = (description?: string, min = 1): Schema<string[]> => {
  const s = arr(idSchema, { min });
  return description ? annotate(s, { description }) : s;
};
/** A file beside the script (read through the `inputs` service). */
export const fileBeside = (description: string): Schema<string> => annotate(str({ min: 1, max: 1024 }), { description });
/** Days until metadata expires, per role (`{"root": 365, "timestamp": 1}`); any role names when `roles` is not given. */
export const expiresInDays = (roles?: readonly string[]): Schema<Record<string, number>> =>
  annotate(record(int({ min: 1, max: 36500 }), roles ? { key: oneOf(roles), max: roles.length } : {}), {
    description: roles ? `Days until expiry per role (${roles.join(', ')}).` : 'Days until expiry per role.',
  });
/**
 * Days before expiry each role is due for renewal (`{"root": 60, "timestamp": 1}`): the repository's
 * ceremony settings that `keyceremony expiry` and the transcript's renewal deadlines use.
 */
export const renewalWindowDays = (roles: readonly string[] = ['root', 'targets', 'snapshot', 'timestamp', 'delegations']): Schema<Record<string, number>> =>
  annotate(record(int({ min: 0, max: 36500 }), { key: oneOf(roles), max: roles.length }), {
    description: `Renewal window in days before expiry, per role (${roles.join(', ')}); defaults timestamp 1, snapshot 3, targets and delegations 14, root 60.`,
  });
/** An m of n threshold. */
export const threshold = (max = 64): Schema<number> => int({ min: 1, max });

const keyIdsOf = (script: CeremonyScript) => new Set((Array.isArray(script.keys) ? script.keys : []).map((k) => k?.id));
const participantIdsOf = (script: CeremonyScript) => new Set((Array.isArray(script.participants) ? script.participants : []).map((p) => p?.id));

/** Each id must name a key in $.keys. */
export function keyRefs(ids: readonly string[], script: CeremonyScript, path: string, out: ValidationIssue[]): void {
  const known = keyIdsOf(script);
  ids.forEach((k, i) => {
    if (!known.has(k)) out.push({ path: `${path}[${i}]`, message: `must name a key in $.keys ("${k}" is not one)` });
  });
}

/** The id must name a key in $.keys. */
export function keyRef(id: string, script: CeremonyScript, path: string, out: ValidationIssue[]): void {
  if (!keyIdsOf(script).has(id)) out.push({ path, message: `must name a key in $.keys ("${id}" is not one)` });
}

/** Each id must name a participant. */
export function participantRefs(ids: readonly string[], script: CeremonyScript, path: string, out: ValidationIssue[]): void {
  const known = participantIdsOf(script);
  ids.forEach((p, i) => {
    if (!known.has(p)) out.push({ path: `${path}[${i}]`, message: `must name a participant ("${p}" is not one)` });
  });
}

/** Each id must name a participant who may hold a share: not a witness (a witness watches and holds nothing). */
export function shareHolderRefs(ids: readonly string[], script: CeremonyScript, path: string, out: ValidationIssue[]): void {
  participantRefs(ids, script, path, out);
  const people = Array.isArray(script.participants) ? script.participants : [];
  ids.forEach((id, i) => {
    const p = people.find((x) => x?.id === id);
    if (p?.role === 'witness')
      out.push({
        path: `${path}[${i}]`,
        message: `${p.name} (${id}) is a witness and would hold a share; a witness watches the ceremony and holds no share or token`,
      });
  });
}

/** A threshold no larger than the number of keys (or shares) it counts. */
export function thresholdAtMost(t: number, n: number, what: string, path: string, out: ValidationIssue[]): void {
  if (t > n) out.push({ path, message: `threshold ${t} is more than the ${n} ${what}` });
}

/** Params that are exactly `{keys: [key ids of the script]}` (keygen, keys-present). */
export const keysParams = obj({ keys: idList() });
export function validateKeysParam(params: { keys: string[] }, script: CeremonyScript, path: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  keyRefs(params.keys, script, childPath(path, 'keys'), out);
  return out;
}

/** Params of a step kind that takes none. */
export const noParams = obj({});

// ---------------------------------------------------------------- the script's shape

const participant = named('participant', obj({ id: idSchema, name: text(1), role: oneOf(ROLES) }));
const token = named(
  'token',
  obj({
    id: idSchema,
    label: str({ max: 32, pattern: LABEL32, what: '1-32 printable ASCII characters' }),
    serial: opt(
      annotate(str({ max: 32, pattern: LABEL32, what: '1-32 printable ASCII characters' }), {
        description: 'Expected token serial (production). Check-in refuses another serial.',
      }),
    ),
    custodian: opt(annotate(idSchema, { description: 'Participant holding the token.' })),
  }),
);
const key = named(
  'key',
  obj({
    id: idSchema,
    token: idSchema,
    label: str({ max: 64, pattern: LABEL64, what: '1-64 printable ASCII characters' }),
    keyType: oneOf(KeyTypes),
    profile: opt(annotate(oneOf(['non-extractable', 'backupable'] as const), { default: 'non-extractable' })),
    purpose: opt(text()),
    slot: opt(
      annotate(str({ max: 2, pattern: PIV_SLOT, what: 'a PIV key slot: 9a, 9c, 9d, 9e or 82-95' }), {
        description:
          'A fixed key slot on tokens that have them (YubiKey PIV through ykcs11: 9c is the signature slot). The token names the key itself; generating into an occupied slot is refused unless it already holds a key of this type, which is adopted. See docs/hardware.md.',
      }),
    ),
  }),
);
const ack = named(
  'ack',
  obj({
    id: idSchema,
    by: annotate(str({ min: 1, max: 128 }), {
      description: 'A participant id, or role:<administrator|custodian|witness> meaning every participant with that role.',
    }),
    statement: text(1),
    allowAnswersFile: opt(
      annotate(bool, {
        description:
          'Production only: an answers file may give this acknowledgement for a witness or custodian. Without it they must confirm at the screen; administrators may always be answered by file.',
      }),
    ),
  }),
);
/**
 * Only the participants and each step's acknowledgements (the same schemas as the whole script's; every
 * other member kept unchecked): what reading the confirmations of a sealed bundle needs, without the
 * step kinds a full validation asks for.
 */
export const peopleAndAcknowledgements = obj(
  {
    participants: arr(participant, { min: 1 }),
    steps: arr(obj({ id: idSchema, acknowledgements: opt(arr(ack)) }, { unknown: 'keep' }), { min: 1 }),
  },
  { unknown: 'keep' },
);
const anyParams = custom<Record<string, unknown>>(
  'an object',
  (x, where, faults) => (isPlainObject(x) ? x : fault(faults, where, 'expected an object', x)),
  () => ({ type: 'object' }),
);

/** One step: the common members, then the params its kind declares. */
function stepSchema(kinds: Record<string, KindInfo>): Schema<unknown> {
  const names = Object.keys(kinds);
  const base = obj({
    id: idSchema,
    kind: oneOf(names),
    title: opt(text()),
    instructions: opt(text()),
    acknowledgements: opt(arr(ack)),
    params: opt(anyParams),
  });
  const step = custom(
    'a step',
    (x, where, faults) => {
      const v = base.check(x, where, faults);
      const kind = isPlainObject(x) && typeof x.kind === 'string' ? kinds[x.kind] : undefined;
      const params = isPlainObject(x) ? x.params : undefined;
      if (kind && (params === undefined || isPlainObject(params))) kind.params.check(params ?? {}, childPath(where, 'params'), faults);
      return v;
    },
    (ctx) => ({
      ...base.jsonSchema(ctx),
      allOf: names.map((n) => {
        const params = (kinds[n] as KindInfo).params.jsonSchema(ctx);
        // a kind with required params needs the member itself
        return {
          if: { properties: { kind: { const: n } } },
          then: { ...(Array.isArray(params.required) && params.required.length ? { required: ['params'] } : {}), properties: { params } },
        };
      }),
    }),
  );
  return named('step', step);
}

/** The shape of a whole script for a registry of step kinds. */
export function scriptSchema(kinds: Record<string, KindInfo>): Schema<unknown> {
  return obj({
    $schema: opt(str({ max: 1024 })),
    version: literal(1),
    name: annotate(idSchema, { description: 'Ceremony id; used in file names.' }),
    title: text(1),
    description: opt(text()),
    participants: annotate(arr(participant, { min: 1 }), { description: 'Exactly one administrator.' }),
    tokens: arr(token),
    keys: arr(key),
    steps: arr(stepSchema(kinds), { min: 1 }),
  });
}

export const CEREMONY_SCHEMA_ID = 'https://keyceremony.dev/schema/ceremony.schema.json';

/** docs/ceremony.schema.json, generated from the schemas the validator checks with. */
export function ceremonyJsonSchema(kinds: Record<string, KindInfo>): JsonSchema {
  return jsonSchemaDocument(scriptSchema(kinds), {
    $id: CEREMONY_SCHEMA_ID,
    title: 'keyceremony ceremony script',
    description: `A declarative key ceremony: participants and roles, the tokens expected, the keys, and the steps with the acknowledgements each needs. The engine also checks what a schema cannot: references between ids, phase order (${PHASES.join(' → ')}), thresholds, and that the last step is 'close'. See docs/ceremony.md. Generated from electron/core/ceremony/validate.ts and the step kinds (scripts/gen-ceremony-schema.ts): do not edit by hand.`,
  });
}

// ---------------------------------------------------------------- the rules beyond the shape

const obj_ = (x: unknown): Record<string, unknown> | undefined => (isPlainObject(x) ? x : undefined);
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

export function validateScript(x: unknown, kinds: Record<string, KindInfo>): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  scriptSchema(kinds).check(x, '$', out);
  const s = obj_(x);
  if (!s) return out;
  const issue = (path: string, message: string): void => {
    out.push({ path, message });
  };

  // ids are unique across participants, tokens, keys and steps
  const ids = new Set<string>();
  const uniq = (id: unknown, path: string): void => {
    if (typeof id !== 'string') return;
    if (ids.has(id)) issue(path, `id "${id}" is used twice`);
    ids.add(id);
  };

  const participants = new Map<string, string>();
  const names = new Map<string, string>();
  list(s.participants).forEach((p, i) => {
    const o = obj_(p);
    if (!o) return;
    uniq(o.id, `$.participants[${i}].id`);
    if (typeof o.id === 'string' && typeof o.role === 'string') participants.set(o.id, o.role);
    if (typeof o.id === 'string' && typeof o.name === 'string') names.set(o.id, o.name);
  });
  const roles = [...participants.values()];
  if (participants.size && roles.filter((r) => r === 'administrator').length !== 1)
    issue('$.participants', 'exactly one participant must have the role "administrator"');

  const tokens = new Set<string>();
  const labels = new Set<string>();
  list(s.tokens).forEach((t, i) => {
    const o = obj_(t);
    if (!o) return;
    uniq(o.id, `$.tokens[${i}].id`);
    if (typeof o.label === 'string') {
      if (labels.has(o.label)) issue(`$.tokens[${i}].label`, `label "${o.label}" is used twice`);
      labels.add(o.label);
    }
    if (typeof o.custodian === 'string' && !participants.has(o.custodian)) issue(`$.tokens[${i}].custodian`, 'must name a participant');
    if (typeof o.custodian === 'string' && participants.get(o.custodian) === 'witness')
      issue(
        `$.tokens[${i}].custodian`,
        `${names.get(o.custodian) ?? ''} (${o.custodian}) is a witness and would hold token "${String(o.id)}"; a witness watches the ceremony and holds no token or share`,
      );
    if (typeof o.id === 'string') tokens.add(o.id);
  });

  const keySlots = new Set<string>();
  const keyLabels = new Set<string>();
  list(s.keys).forEach((k, i) => {
    const o = obj_(k);
    if (!o) return;
    const path = `$.keys[${i}]`;
    uniq(o.id, `${path}.id`);
    if (typeof o.token === 'string' && !tokens.has(o.token)) issue(`${path}.token`, 'must name a token in $.tokens');
    if (typeof o.label === 'string') {
      if (keyLabels.has(`${String(o.token)}/${o.label}`)) issue(`${path}.label`, `two keys on one token share the label "${o.label}"`);
      keyLabels.add(`${String(o.token)}/${o.label}`);
    }
    if (typeof o.slot === 'string') {
      if (keySlots.has(`${String(o.token)}/${o.slot}`)) issue(`${path}.slot`, `two keys on one token use slot ${o.slot}`);
      keySlots.add(`${String(o.token)}/${o.slot}`);
      if (o.profile === 'backupable') issue(`${path}.profile`, 'a key in a PIV slot never leaves the token: it cannot be "backupable"');
    }
  });

  const steps = list(s.steps);
  let lastPhase = -1;
  steps.forEach((st, i) => {
    const o = obj_(st);
    if (!o) return;
    const path = `$.steps[${i}]`;
    uniq(o.id, `${path}.id`);
    list(o.acknowledgements).forEach((a, j) => {
      const by = obj_(a)?.by;
      if (typeof by !== 'string') return;
      const ap = `${path}.acknowledgements[${j}].by`;
      if (by.startsWith('role:')) {
        const r = by.slice(5);
        if (!roles.includes(r)) issue(ap, `no participant has the role "${r}"`);
      } else if (!participants.has(by)) issue(ap, `"${by}" is not a participant`);
    });
    const kind = typeof o.kind === 'string' ? kinds[o.kind] : undefined;
    if (!kind) return;
    const ph = PHASES.indexOf(kind.phase);
    if (ph < lastPhase) issue(`${path}.kind`, `a "${kind.phase}" step cannot come after a "${PHASES[lastPhase]}" step (order: ${PHASES.join(' → ')})`);
    lastPhase = Math.max(lastPhase, ph);
    // the kind's own rules run on params whose shape is right
    const params = o.params ?? {};
    const shape: Fault[] = [];
    kind.params.check(params, `${path}.params`, shape);
    if (!shape.length && kind.validate) out.push(...kind.validate(params, s as unknown as CeremonyScript, `${path}.params`));
  });
  const last = obj_(steps[steps.length - 1]);
  if (steps.length && last?.kind !== 'close') issue(`$.steps[${steps.length - 1}]`, 'the last step must be of kind "close"');
  return out;
}

/** Throw INVALID_INPUT naming the first issue (all issues in details) or return the typed script. */
export function assertScript(x: unknown, kinds: Record<string, KindInfo>, source = 'ceremony script'): CeremonyScript {
  const issues = validateScript(x, kinds);
  if (issues.length) throw faultsError(issues, source);
  return x as CeremonyScript;
}

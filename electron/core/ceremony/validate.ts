/**
 * Ceremony script validation. Collects every problem with its JSON path (e.g.
 * `$.steps[3].params.threshold`) so `keyceremony ceremony validate` can list them all; `assertScript`
 * throws one INVALID_INPUT naming the first. Mirrors docs/ceremony.schema.json and adds the checks a
 * schema cannot express (references, phase order, thresholds).
 */
import { isKeyType, KeyTypes } from '../../../shared/crypto/algorithms';
import { KeyceremonyError } from '../../../shared/errors';
import { childPath } from '../../../shared/json';
import { PHASES, ROLES, type CeremonyScript, type Phase } from './types';

export interface ValidationIssue {
  path: string;
  message: string;
}

/** What the validator needs to know about step kinds (the registry provides it). */
export interface KindInfo {
  phase: Phase;
  validate?(params: Record<string, unknown>, script: CeremonyScript, path: string): ValidationIssue[];
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** YubiKey PIV key slots (NIST SP 800-73-4 key references; Yubico's retired slots 82-95). */
const PIV_SLOT = /^(9[acde]|8[2-9a-f]|9[0-5])$/;
const LABEL = /^[\x20-\x7e]{1,32}$/;

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function validateScript(x: unknown, kinds: Record<string, KindInfo>): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const issue = (path: string, message: string): void => {
    out.push({ path, message });
  };
  if (!isObj(x)) {
    issue('$', 'a ceremony script must be a JSON object');
    return out;
  }
  const allowedTop = new Set(['$schema', 'version', 'name', 'title', 'description', 'participants', 'tokens', 'keys', 'steps']);
  for (const k of Object.keys(x)) if (!allowedTop.has(k)) issue(childPath('$', k), `unknown member "${k}"`);
  if (x.version !== 1) issue('$.version', 'must be 1');
  if (typeof x.name !== 'string' || !ID.test(x.name)) issue('$.name', 'must be an id: lower-case letters, digits, ".", "_" or "-" (1-64)');
  if (typeof x.title !== 'string' || x.title.length === 0) issue('$.title', 'must be a non-empty string');
  if (x.description !== undefined && typeof x.description !== 'string') issue('$.description', 'must be a string');

  const ids = new Set<string>();
  const uniq = (id: unknown, path: string): void => {
    if (typeof id !== 'string' || !ID.test(id)) {
      issue(path, 'must be an id: lower-case letters, digits, ".", "_" or "-" (1-64)');
      return;
    }
    if (ids.has(id)) issue(path, `id "${id}" is used twice`);
    ids.add(id);
  };

  // participants
  const participants = new Map<string, string>();
  if (!Array.isArray(x.participants) || x.participants.length === 0) issue('$.participants', 'must be a non-empty array');
  else
    x.participants.forEach((p, i) => {
      const path = `$.participants[${i}]`;
      if (!isObj(p)) return issue(path, 'must be an object');
      uniq(p.id, `${path}.id`);
      if (typeof p.name !== 'string' || !p.name) issue(`${path}.name`, 'must be a non-empty string');
      if (typeof p.role !== 'string' || !(ROLES as readonly string[]).includes(p.role))
        issue(`${path}.role`, `must be one of ${ROLES.join(', ')}`);
      if (typeof p.id === 'string' && typeof p.role === 'string') participants.set(p.id, p.role);
    });
  const roles = [...participants.values()];
  if (participants.size && roles.filter((r) => r === 'administrator').length !== 1)
    issue('$.participants', 'exactly one participant must have the role "administrator"');

  // tokens
  const tokens = new Set<string>();
  const labels = new Set<string>();
  if (!Array.isArray(x.tokens)) issue('$.tokens', 'must be an array');
  else
    x.tokens.forEach((t, i) => {
      const path = `$.tokens[${i}]`;
      if (!isObj(t)) return issue(path, 'must be an object');
      uniq(t.id, `${path}.id`);
      if (typeof t.label !== 'string' || !LABEL.test(t.label)) issue(`${path}.label`, 'must be 1-32 printable ASCII characters');
      else if (labels.has(t.label)) issue(`${path}.label`, `label "${t.label}" is used twice`);
      else labels.add(t.label);
      if (t.serial !== undefined && (typeof t.serial !== 'string' || !LABEL.test(t.serial)))
        issue(`${path}.serial`, 'must be 1-32 printable ASCII characters');
      if (t.custodian !== undefined && (typeof t.custodian !== 'string' || !participants.has(t.custodian)))
        issue(`${path}.custodian`, 'must name a participant');
      if (typeof t.id === 'string') tokens.add(t.id);
    });

  // keys
  const keys = new Set<string>();
  const keySlots = new Set<string>();
  const keyLabels = new Set<string>();
  if (!Array.isArray(x.keys)) issue('$.keys', 'must be an array');
  else
    x.keys.forEach((k, i) => {
      const path = `$.keys[${i}]`;
      if (!isObj(k)) return issue(path, 'must be an object');
      uniq(k.id, `${path}.id`);
      if (typeof k.token !== 'string' || !tokens.has(k.token)) issue(`${path}.token`, 'must name a token in $.tokens');
      if (typeof k.label !== 'string' || !/^[\x20-\x7e]{1,64}$/.test(k.label)) issue(`${path}.label`, 'must be 1-64 printable ASCII characters');
      else if (keyLabels.has(`${String(k.token)}/${k.label}`)) issue(`${path}.label`, `two keys on one token share the label "${k.label}"`);
      else keyLabels.add(`${String(k.token)}/${k.label}`);
      if (!isKeyType(k.keyType)) issue(`${path}.keyType`, `must be one of ${KeyTypes.join(', ')}`);
      if (k.profile !== undefined && k.profile !== 'non-extractable' && k.profile !== 'backupable')
        issue(`${path}.profile`, 'must be "non-extractable" or "backupable"');
      if (k.purpose !== undefined && typeof k.purpose !== 'string') issue(`${path}.purpose`, 'must be a string');
      if (k.slot !== undefined) {
        if (typeof k.slot !== 'string' || !PIV_SLOT.test(k.slot)) issue(`${path}.slot`, 'must be a PIV key slot: 9a, 9c, 9d, 9e or 82-95');
        else if (keySlots.has(`${String(k.token)}/${k.slot}`)) issue(`${path}.slot`, `two keys on one token use slot ${k.slot}`);
        else keySlots.add(`${String(k.token)}/${k.slot}`);
        if (k.profile === 'backupable') issue(`${path}.profile`, 'a key in a PIV slot never leaves the token: it cannot be "backupable"');
      }
      if (typeof k.id === 'string') keys.add(k.id);
    });

  // steps
  if (!Array.isArray(x.steps) || x.steps.length === 0) {
    issue('$.steps', 'must be a non-empty array');
    return out;
  }
  let lastPhase = -1;
  let closeSeen = false;
  x.steps.forEach((s, i) => {
    const path = `$.steps[${i}]`;
    if (!isObj(s)) return issue(path, 'must be an object');
    uniq(s.id, `${path}.id`);
    const kind = typeof s.kind === 'string' ? kinds[s.kind] : undefined;
    if (!kind) {
      issue(`${path}.kind`, `unknown step kind ${JSON.stringify(s.kind)}; known: ${Object.keys(kinds).sort().join(', ')}`);
      return;
    }
    const ph = PHASES.indexOf(kind.phase);
    if (ph < lastPhase)
      issue(`${path}.kind`, `a "${kind.phase}" step cannot come after a "${PHASES[lastPhase]}" step (order: ${PHASES.join(' → ')})`);
    lastPhase = Math.max(lastPhase, ph);
    if (s.kind === 'close') closeSeen = true;
    if (s.title !== undefined && typeof s.title !== 'string') issue(`${path}.title`, 'must be a string');
    if (s.instructions !== undefined && typeof s.instructions !== 'string') issue(`${path}.instructions`, 'must be a string');
    if (s.acknowledgements !== undefined) {
      if (!Array.isArray(s.acknowledgements)) issue(`${path}.acknowledgements`, 'must be an array');
      else
        s.acknowledgements.forEach((a, j) => {
          const ap = `${path}.acknowledgements[${j}]`;
          if (!isObj(a)) return issue(ap, 'must be an object');
          if (typeof a.id !== 'string' || !ID.test(a.id)) issue(`${ap}.id`, 'must be an id');
          if (typeof a.statement !== 'string' || !a.statement) issue(`${ap}.statement`, 'must be a non-empty string');
          if (a.allowAnswersFile !== undefined && typeof a.allowAnswersFile !== 'boolean') issue(`${ap}.allowAnswersFile`, 'must be true or false');
          if (typeof a.by !== 'string') issue(`${ap}.by`, 'must be a participant id or "role:<role>"');
          else if (a.by.startsWith('role:')) {
            const r = a.by.slice(5);
            if (!roles.includes(r)) issue(`${ap}.by`, `no participant has the role "${r}"`);
          } else if (!participants.has(a.by)) issue(`${ap}.by`, `"${a.by}" is not a participant`);
        });
    }
    if (s.params !== undefined && !isObj(s.params)) issue(`${path}.params`, 'must be an object');
    if (kind.validate) {
      for (const iss of kind.validate((s.params as Record<string, unknown> | undefined) ?? {}, x as unknown as CeremonyScript, `${path}.params`))
        out.push(iss);
    }
  });
  const last = x.steps[x.steps.length - 1];
  if (!closeSeen || !isObj(last) || last.kind !== 'close') issue(`$.steps[${x.steps.length - 1}]`, 'the last step must be of kind "close"');
  return out;
}

/** Throw INVALID_INPUT naming the first issue (all issues in details) or return the typed script. */
export function assertScript(x: unknown, kinds: Record<string, KindInfo>, source = 'ceremony script'): CeremonyScript {
  const issues = validateScript(x, kinds);
  if (issues.length) {
    const first = issues[0] as ValidationIssue;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new KeyceremonyError('INVALID_INPUT', `${source} is not valid: ${first.path}: ${first.message}${more}.`, {
      where: `${source} ${first.path}`,
      details: Object.fromEntries(issues.slice(0, 20).map((iss, i) => [`issue${i + 1}`, `${iss.path}: ${iss.message}`])),
    });
  }
  return x as CeremonyScript;
}

// ---- helpers for step kinds' param validation

/** Step params that are exactly `{keys: [key ids of the script]}` (keygen, keys-present). */
export function validateKeysParam(params: Record<string, unknown>, script: CeremonyScript, path: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  pUnknown(params, ['keys'], path, out);
  pKeyList(params, 'keys', script, path, out);
  return out;
}

export function pKeyList(params: Record<string, unknown>, name: string, script: CeremonyScript, path: string, out: ValidationIssue[], opts: { min?: number } = {}): string[] {
  const v = params[name];
  const keyIds = new Set((Array.isArray(script.keys) ? script.keys : []).map((k) => k?.id));
  if (!Array.isArray(v) || v.length < (opts.min ?? 1)) {
    out.push({ path: childPath(path, name), message: `must be an array of at least ${opts.min ?? 1} key id(s)` });
    return [];
  }
  v.forEach((k, i) => {
    if (typeof k !== 'string' || !keyIds.has(k)) out.push({ path: `${childPath(path, name)}[${i}]`, message: 'must name a key in $.keys' });
  });
  return v.filter((k): k is string => typeof k === 'string');
}

export function pKey(params: Record<string, unknown>, name: string, script: CeremonyScript, path: string, out: ValidationIssue[], optional = false): string | undefined {
  const v = params[name];
  if (v === undefined && optional) return undefined;
  const keyIds = new Set((Array.isArray(script.keys) ? script.keys : []).map((k) => k?.id));
  if (typeof v !== 'string' || !keyIds.has(v)) {
    out.push({ path: childPath(path, name), message: 'must name a key in $.keys' });
    return undefined;
  }
  return v;
}

export function pInt(params: Record<string, unknown>, name: string, path: string, out: ValidationIssue[], min: number, max: number, optional = false): number | undefined {
  const v = params[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    out.push({ path: childPath(path, name), message: `must be an integer from ${min} to ${max}` });
    return undefined;
  }
  return v;
}

export function pString(params: Record<string, unknown>, name: string, path: string, out: ValidationIssue[], optional = false): string | undefined {
  const v = params[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || !v) {
    out.push({ path: childPath(path, name), message: 'must be a non-empty string' });
    return undefined;
  }
  return v;
}

export function pParticipants(params: Record<string, unknown>, name: string, script: CeremonyScript, path: string, out: ValidationIssue[]): string[] {
  const v = params[name];
  const ids = new Set((Array.isArray(script.participants) ? script.participants : []).map((p) => p?.id));
  if (!Array.isArray(v) || v.length === 0) {
    out.push({ path: childPath(path, name), message: 'must be a non-empty array of participant ids' });
    return [];
  }
  v.forEach((p, i) => {
    if (typeof p !== 'string' || !ids.has(p)) out.push({ path: `${childPath(path, name)}[${i}]`, message: 'must name a participant' });
  });
  return v.filter((p): p is string => typeof p === 'string');
}

export function pUnknown(params: Record<string, unknown>, allowed: string[], path: string, out: ValidationIssue[]): void {
  for (const k of Object.keys(params)) if (!allowed.includes(k)) out.push({ path: childPath(path, k), message: `unknown parameter "${k}" (allowed: ${allowed.join(', ') || 'none'})` });
}

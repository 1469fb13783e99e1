/**
 * The administrator's setup applied to a script before a run: real names of the people in the room,
 * the tokens they picked from those present (label and serial), the number of custodians (templates
 * whose custodians follow the `custodian-<i>` pattern grow or shrink with their tokens, keys, and
 * every list that names them), and step parameters (thresholds, expiries, GUN, delegation role and
 * paths...), and who is who: each participant's role (administrator, custodian, witness) and who
 * holds each token. The result is validated like any script, so every mistake comes back with its JSON path
 * BEFORE the first step runs. Pure: no I/O.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { ROLES, type CeremonyScript, type Role } from './types';

export type ParamValue = number | string | boolean | string[] | Record<string, number>;

export interface ScriptSetup {
  /** participant id -> the person's name (recorded in the transcript). */
  names?: Record<string, string>;
  /** token id -> the token picked from those present. */
  tokens?: Record<string, { label: string; serial: string }>;
  /** participant id -> role. A witness made something else hands the confirmations addressed to them to every witness. */
  roles?: Record<string, Role>;
  /** token id -> the participant who holds it ('' = no one in particular: the administrator keeps it). */
  holders?: Record<string, string>;
  /** How many custodians (templates whose custodians are custodian-1..custodian-n). */
  custodians?: number;
  /** step id -> param -> new value (only params the step already has). */
  params?: Record<string, Record<string, ParamValue>>;
}

const CUSTODIAN = /^custodian-(\d+)$/;

/** The custodian numbers of a script that follows the custodian-<i> pattern (1..n, in order), or null. */
export function custodianNumbers(s: CeremonyScript): number[] | null {
  const nums = s.participants
    .map((p) => CUSTODIAN.exec(p.id))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => Number(m[1]));
  if (!nums.length || nums.some((n, i) => n !== i + 1)) return null;
  return nums;
}

/** Replace the trailing number of an id or label ("root-token-3" -> "root-token-4"). */
const renumber = (x: string, from: number, to: number) => x.replace(new RegExp(`${from}$`), String(to));

/** Every string list in params that contains `a` also gets `b` right after the last sibling. */
function addBeside(params: unknown, a: string, b: string): void {
  if (Array.isArray(params)) {
    if (params.includes(a) && !params.includes(b)) params.push(b);
    for (const p of params) addBeside(p, a, b);
  } else if (params && typeof params === 'object') {
    for (const v of Object.values(params as Record<string, unknown>)) addBeside(v, a, b);
  }
}

function removeFrom(params: unknown, ids: Set<string>): void {
  if (Array.isArray(params)) {
    for (let i = params.length - 1; i >= 0; i--) if (typeof params[i] === 'string' && ids.has(params[i] as string)) params.splice(i, 1);
    for (const p of params) removeFrom(p, ids);
  } else if (params && typeof params === 'object') {
    for (const v of Object.values(params as Record<string, unknown>)) removeFrom(v, ids);
  }
}

/** Grow or shrink the custodians (with the tokens they hold and the keys on those tokens). */
export function setCustodianCount(s: CeremonyScript, n: number): void {
  const nums = custodianNumbers(s);
  if (!nums)
    throw new KeyceremonyError(
      'INVALID_INPUT',
      'This script does not name its custodians custodian-1, custodian-2, ...; edit the script to change how many there are.',
      { where: 'custodians' },
    );
  if (!Number.isInteger(n) || n < 1 || n > 16)
    throw new KeyceremonyError('INVALID_INPUT', 'The number of custodians must be 1 to 16.', { where: 'custodians' });
  let have = nums.length;
  while (have < n) {
    const last = have;
    const next = have + 1;
    const lastId = `custodian-${last}`;
    const nextId = `custodian-${next}`;
    const pIdx = s.participants.findIndex((p) => p.id === lastId);
    s.participants.splice(pIdx + 1, 0, { id: nextId, name: `Custodian ${next}`, role: 'custodian' });
    // Tokens this custodian holds whose id ends with their number, and the keys on them.
    const tokens = s.tokens.filter((t) => t.custodian === lastId && t.id.endsWith(String(last)));
    for (const t of tokens) {
      const nt = { id: renumber(t.id, last, next), label: renumber(t.label, last, next), custodian: nextId };
      s.tokens.splice(s.tokens.indexOf(t) + 1, 0, nt);
      for (const k of s.keys.filter((k) => k.token === t.id && k.id.endsWith(String(last)))) {
        const nk = { ...k, id: renumber(k.id, last, next), token: nt.id, label: renumber(k.label, last, next) };
        s.keys.splice(s.keys.indexOf(k) + 1, 0, nk);
        for (const st of s.steps) addBeside(st.params, k.id, nk.id);
      }
    }
    for (const st of s.steps) {
      addBeside(st.params, lastId, nextId);
      for (const a of st.acknowledgements ?? []) if (a.by === lastId) st.acknowledgements!.push({ ...a, by: nextId });
    }
    have = next;
  }
  while (have > n) {
    const id = `custodian-${have}`;
    const tokens = s.tokens.filter((t) => t.custodian === id);
    const gone = new Set<string>([id, ...tokens.map((t) => t.id), ...s.keys.filter((k) => tokens.some((t) => t.id === k.token)).map((k) => k.id)]);
    s.participants = s.participants.filter((p) => !gone.has(p.id));
    s.tokens = s.tokens.filter((t) => !gone.has(t.id));
    s.keys = s.keys.filter((k) => !gone.has(k.id));
    for (const st of s.steps) {
      removeFrom(st.params, gone);
      if (st.acknowledgements) st.acknowledgements = st.acknowledgements.filter((a) => !gone.has(a.by));
    }
    have--;
  }
  // A backup hands one share to each custodian it lists; keep its share count and threshold sane.
  for (const st of s.steps) {
    if (st.kind !== 'backup' || !st.params) continue;
    const list = st.params.custodians;
    if (Array.isArray(list)) {
      st.params.shares = list.length;
      if (typeof st.params.threshold === 'number' && st.params.threshold > list.length) st.params.threshold = list.length;
    }
  }
  for (const st of s.steps) {
    const p = st.params;
    if (!p) continue;
    for (const [k, listKey] of [
      ['rootThreshold', 'rootKeys'],
      ['rootThreshold', 'newRootKeys'],
    ] as const) {
      const list = p[listKey];
      if (Array.isArray(list) && typeof p[k] === 'number' && (p[k] as number) > list.length) p[k] = list.length;
    }
  }
}

/** Apply the setup to a copy of the script (validate the result with validateScript/assertScript). */
export function customizeScript(base: CeremonyScript, setup: ScriptSetup): CeremonyScript {
  const s = structuredClone(base);
  if (setup.custodians !== undefined && setup.custodians !== custodianNumbers(s)?.length) setCustodianCount(s, setup.custodians);
  // Custodians removed by a lower count take what was typed for them along (their name, role, tokens).
  const removed = (id: string) => CUSTODIAN.test(id) && base.participants.some((p) => p.id === id) && !s.participants.some((p) => p.id === id);
  for (const [id, name] of Object.entries(setup.names ?? {})) {
    if (removed(id)) continue;
    const p = s.participants.find((x) => x.id === id);
    if (!p) throw new KeyceremonyError('INVALID_INPUT', `The script has no participant "${id}".`, { where: `names.${id}` });
    const n = name.trim();
    if (!n) throw new KeyceremonyError('INVALID_INPUT', `Type the name of ${p.role} ${id}.`, { where: `names.${id}` });
    p.name = n;
  }
  applyRoles(s, setup.roles ?? {}, removed);
  for (const [id, holder] of Object.entries(setup.holders ?? {})) {
    const spec = s.tokens.find((x) => x.id === id);
    if (!spec) {
      if (!setup.custodians) throw new KeyceremonyError('INVALID_INPUT', `The script has no token "${id}".`, { where: `holders.${id}` });
      continue; // the token of a custodian the count removed
    }
    if (holder === '') delete spec.custodian;
    else {
      const p = s.participants.find((x) => x.id === holder);
      if (!p) throw new KeyceremonyError('INVALID_INPUT', `Token "${id}" is given to "${holder}", who is not a participant.`, { where: `holders.${id}` });
      if (p.role === 'witness')
        throw new KeyceremonyError(
          'INVALID_INPUT',
          `${p.name} is a witness: a witness watches the ceremony and holds no token. Give token "${id}" to a custodian or the administrator.`,
          {
            where: `holders.${id}`,
          },
        );
      spec.custodian = holder;
    }
  }
  const picked = new Map<string, string>();
  for (const [id, t] of Object.entries(setup.tokens ?? {})) {
    const spec = s.tokens.find((x) => x.id === id);
    if (!spec) {
      if (!setup.custodians) throw new KeyceremonyError('INVALID_INPUT', `The script has no token "${id}".`, { where: `tokens.${id}` });
      continue; // the token of a custodian the count removed
    }
    const other = picked.get(t.serial);
    if (other)
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `The token with serial ${t.serial} is picked for both "${other}" and "${id}"; each role needs its own token.`,
        { where: `tokens.${id}` },
      );
    picked.set(t.serial, id);
    spec.label = t.label;
    spec.serial = t.serial;
  }
  for (const [stepId, params] of Object.entries(setup.params ?? {})) {
    const st = s.steps.find((x) => x.id === stepId);
    if (!st) throw new KeyceremonyError('INVALID_INPUT', `The script has no step "${stepId}".`, { where: `params.${stepId}` });
    st.params ??= {};
    for (const [k, v] of Object.entries(params)) {
      if (!(k in st.params)) throw new KeyceremonyError('INVALID_INPUT', `Step "${stepId}" has no parameter "${k}".`, { where: `params.${stepId}.${k}` });
      st.params[k] = structuredClone(v);
    }
  }
  return s;
}

/**
 * Each participant's role as the administrator set it. Exactly one administrator stays (validateScript
 * says so otherwise); a witness made something else no longer confirms as the witness: what the
 * script asked of them is asked of every witness left, and when none is left the change is refused.
 */
function applyRoles(s: CeremonyScript, roles: Record<string, Role>, removed: (id: string) => boolean): void {
  const wasWitness = new Set(s.participants.filter((p) => p.role === 'witness').map((p) => p.id));
  for (const [id, role] of Object.entries(roles)) {
    if (removed(id)) continue;
    const p = s.participants.find((x) => x.id === id);
    if (!p) throw new KeyceremonyError('INVALID_INPUT', `The script has no participant "${id}".`, { where: `roles.${id}` });
    if (!(ROLES as readonly string[]).includes(role))
      throw new KeyceremonyError('INVALID_INPUT', `"${String(role)}" is not a role: choose ${ROLES.join(', ')}.`, { where: `roles.${id}` });
    p.role = role;
  }
  const witnesses = s.participants.filter((p) => p.role === 'witness');
  for (const st of s.steps) {
    for (const a of st.acknowledgements ?? []) {
      const p = s.participants.find((x) => x.id === a.by);
      if (!p || !wasWitness.has(p.id) || p.role === 'witness') continue;
      if (!witnesses.length)
        throw new KeyceremonyError(
          'INVALID_INPUT',
          `${p.name} is no longer a witness, and step "${st.id}" asks a witness to confirm: “${a.statement}” Make another person the witness first.`,
          {
            where: `roles.${p.id}`,
          },
        );
      a.by = 'role:witness';
    }
  }
}

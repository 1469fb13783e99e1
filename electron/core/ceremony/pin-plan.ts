/**
 * Which PIN entries a script will ask for, step by step, so the room can see how many are still
 * ahead. A step asks each token it uses once (the desktop session keeps a PIN for the rest of that
 * step only); a backup also asks that token's security officer. Pure: reads the script only.
 */
import type { CeremonyScript, StepSpec } from './types';

export interface PinEntry {
  step: string;
  token: string;
  so: boolean;
}

/** Key ids a step's params name (strings or lists of strings that are script key ids). */
function keyIdsIn(params: unknown, keys: Set<string>, out: Set<string>): void {
  if (typeof params === 'string') {
    if (keys.has(params)) out.add(params);
  } else if (Array.isArray(params)) {
    for (const p of params) keyIdsIn(p, keys, out);
  } else if (params && typeof params === 'object') {
    for (const v of Object.values(params as Record<string, unknown>)) keyIdsIn(v, keys, out);
  }
}

export function stepPinEntries(script: CeremonyScript, step: StepSpec): PinEntry[] {
  const keys = new Set(script.keys.map((k) => k.id));
  const tokenOf = (keyId: string) => script.keys.find((k) => k.id === keyId)?.token;
  const used = new Set<string>();
  const p = step.params ?? {};
  switch (step.kind) {
    case 'preflight':
    case 'check-in':
    case 'export':
      return [];
    case 'close':
      keyIdsIn(p.signWith, keys, used);
      break;
    case 'tuf-delegation':
      keyIdsIn(p.targetsKeys, keys, used); // the delegated keys are only read (public)
      break;
    default:
      keyIdsIn(p, keys, used);
  }
  const tokens = [...new Set([...used].map(tokenOf).filter((t): t is string => !!t))];
  const out: PinEntry[] = tokens.map((token) => ({ step: step.id, token, so: false }));
  if (step.kind === 'backup') for (const token of tokens) out.push({ step: step.id, token, so: true });
  return out;
}

export function pinPlan(script: CeremonyScript): PinEntry[] {
  return script.steps.flatMap((s) => stepPinEntries(script, s));
}

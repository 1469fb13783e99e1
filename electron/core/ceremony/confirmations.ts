/**
 * What the people in the room confirmed, as a sealed bundle records it: every acknowledgement of the
 * transcript's step-completed / step-skipped entries, with each person's name and role from the
 * ceremony script the bundle carries, checked against what that script asked of each step.
 *
 * A witness reads this after the ceremony to see that the record holds exactly their confirmations
 * (at the screen, in the steps where they gave them) and none they did not give; an auditor sees that
 * no confirmation the script required is missing and none came from an answers file where production
 * forbids it. The checks repeat what the engine enforced while it ran: a bundle that fails them was
 * made by something else, or edited and signed again by the ceremony's own keys.
 */
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json';
import { CONFIRMATION_SOURCE, confirmerLabel, type ConfirmationFact } from '../../../shared/verification/report';
import type { TranscriptEntry } from './transcript';
import { participantsAsked, type AckSpec, type CeremonyScript, type Participant } from './types';
import { peopleAndAcknowledgements } from './validate';

/** One recorded confirmation (shared/verification: the report's bundle facts carry the list). */
export type Confirmation = ConfirmationFact;

export interface ConfirmationsCheck {
  confirmations: Confirmation[];
  /** One sentence per disagreement with the script; empty when the record is what the script asked. */
  problems: string[];
}

type ScriptPart = Pick<CeremonyScript, 'participants' | 'steps'>;

const STEP_EVENTS = new Set(['step-completed', 'step-skipped']);

/**
 * The confirmations of `entries` (a verified transcript) and how they agree with `script`. Without a
 * script only the record itself is listed (names and the comparison need the script).
 */
export function checkConfirmations(entries: readonly TranscriptEntry[], script: ScriptPart | undefined, production: boolean): ConfirmationsCheck {
  const people = new Map<string, Participant>((script?.participants ?? []).map((p) => [p.id, p]));
  const steps = new Map((script?.steps ?? []).map((s) => [s.id, s]));
  const confirmations: Confirmation[] = [];
  const problems: string[] = [];
  const who = (id: string) => {
    const p = people.get(id);
    return confirmerLabel(p ? { by: p.id, name: p.name, role: p.role } : { by: id });
  };
  for (const e of entries) {
    if (!STEP_EVENTS.has(e.event) || !e.step) continue;
    const recorded = e.acknowledgements ?? [];
    for (const a of recorded) {
      const p = people.get(a.by);
      confirmations.push({
        seq: e.seq,
        time: e.time,
        step: e.step,
        skipped: e.event === 'step-skipped',
        ack: a.id,
        by: a.by,
        ...(p ? { name: p.name, role: p.role } : {}),
        statement: a.statement,
        source: a.source ?? 'unrecorded',
      });
    }
    if (!script) continue;
    const where = `transcript entry ${e.seq} (step ${e.step})`;
    const spec = steps.get(e.step);
    if (!spec) {
      problems.push(`${where}: the ceremony script has no step "${e.step}"`);
      continue;
    }
    const asked = new Map<string, AckSpec>();
    for (const ack of spec.acknowledgements ?? []) for (const p of participantsAsked(ack, script.participants)) asked.set(`${ack.id}\u0000${p.id}`, ack);
    const seen = new Set<string>();
    for (const a of recorded) {
      const key = `${a.id}\u0000${a.by}`;
      const ack = asked.get(key);
      if (!ack) {
        problems.push(`${where}: records a confirmation "${a.id}" by ${who(a.by)} that the script does not ask of them`);
        continue;
      }
      if (seen.has(key)) problems.push(`${where}: records the confirmation "${a.id}" by ${who(a.by)} twice`);
      seen.add(key);
      if (a.confirmed !== true) problems.push(`${where}: the confirmation "${a.id}" by ${who(a.by)} is not a confirmation (confirmed is not true)`);
      if (a.statement !== ack.statement)
        problems.push(`${where}: the confirmation "${a.id}" by ${who(a.by)} does not carry the statement the script asks them to confirm`);
      const role = people.get(a.by)?.role;
      if (production && a.source === 'answers-file' && role !== 'administrator' && ack.allowAnswersFile !== true) {
        problems.push(
          `${where}: ${who(a.by)} confirmed "${a.id}" from an answers file, which production allows only where the script says "allowAnswersFile": true`,
        );
      }
    }
    for (const [key, ack] of asked) {
      if (!seen.has(key))
        problems.push(`${where}: the script asks ${who(key.split('\u0000')[1] as string)} to confirm "${ack.id}"; the transcript records no such confirmation`);
    }
  }
  return { confirmations, problems };
}

/** "Name (id, role): 3 at the screen, 1 from the answers file" per person, in order of first confirmation. */
export function confirmationsSummary(list: readonly Confirmation[]): string {
  const per = new Map<string, { label: string; counts: Map<Confirmation['source'], number> }>();
  for (const c of list) {
    const x = per.get(c.by) ?? { label: confirmerLabel(c), counts: new Map() };
    x.counts.set(c.source, (x.counts.get(c.source) ?? 0) + 1);
    per.set(c.by, x);
  }
  const words = (counts: Map<Confirmation['source'], number>) =>
    (['screen', 'answers-file', 'unrecorded'] as const)
      .filter((k) => counts.get(k))
      .map((k) => `${counts.get(k)} ${CONFIRMATION_SOURCE[k]}`)
      .join(', ');
  return [...per.values()].map((x) => `${x.label}: ${words(x.counts)}`).join('; ');
}

/**
 * The confirmations of a verified transcript, checked against the ceremony script the bundle carries
 * (the file the ceremony-opened entry names). `read` gives a bundle file's bytes (null: not in the
 * bundle or not listed). A script that cannot be read is one problem; the record is still listed.
 */
export async function bundleConfirmations(
  entries: readonly TranscriptEntry[],
  read: (path: string) => Promise<Uint8Array | null>,
  production: boolean,
): Promise<ConfirmationsCheck & { script?: string; notCompared?: string }> {
  const opened = entries.find((e) => e.event === 'ceremony-opened');
  const out = opened?.outputs?.find((o) => /(^|\/)(REHEARSAL-)?ceremony\.json$/.test(o.path));
  const path = out?.path;
  if (!path)
    return { ...checkConfirmations(entries, undefined, production), problems: ['the transcript does not name the ceremony script (ceremony-opened entry)'] };
  let script: ScriptPart;
  try {
    const bytes = await read(path);
    if (!bytes) throw new KeyceremonyError('NOT_FOUND', `${path}: not in the bundle`, { where: path });
    if ((await sha256Hex(bytes)) !== out?.sha256) {
      // the file check reports the changed file; the record is listed, not compared with a script that is not the one run
      const notCompared = `${path} is not the script the transcript recorded at the opening (its SHA-256 differs): the confirmations are not compared with it`;
      return { ...checkConfirmations(entries, undefined, production), script: path, notCompared };
    }
    script = peopleAndAcknowledgements.parse(parseStrictJsonBytes(bytes, { source: path, maxBytes: 4 * 1024 * 1024 }), path) as ScriptPart;
  } catch (e) {
    const c = checkConfirmations(entries, undefined, production);
    return { ...c, script: path, problems: [`${path}: the ceremony script cannot be read to compare the confirmations with it (${(e as Error).message})`] };
  }
  return { ...checkConfirmations(entries, script, production), script: path };
}

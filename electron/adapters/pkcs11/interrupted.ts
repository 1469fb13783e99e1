/**
 * Interrupted token operations (issue 12 items 1, 2). A module writes a new object attribute by
 * attribute (SoftHSM rewrites the object file once per attribute), so a crash inside
 * C_GenerateKeyPair can leave a complete public key and a private key without label, id or
 * CKA_SENSITIVE, or an object file with nothing in it. Such objects are not usable keys, and a naive
 * re-run makes a second key pair.
 *
 * Before a key is generated or unwrapped, an intent is journaled (types.ts TokenIntent): the label and
 * CKA_ID the new objects will carry, and the incomplete objects already on the token. After a crash:
 * - findInterrupted() explains what is on the token: the objects an interrupted operation made
 *   (by label/id, or incomplete objects that were not there when the intent began), incomplete
 *   objects nothing explains (reported, never removed), and intents whose operation did finish;
 * - removeInterrupted() removes exactly the explained objects (with the custodian's consent in the
 *   app and the CLI, automatically in rehearsal) and closes the intents;
 * - generateKeyOnce() is what every key generation goes through: it never makes a second key for the
 *   same label/id while a half of the first is on the token.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { crashPoint } from '../test-hooks';
import type { TokenSession } from './session';
import type { GenerateSpec, Handle, TokenIntent, TokenJournal, TokenKey, TokenObject } from './types';

export interface ExplainedObject {
  kind: TokenObject['kind'];
  label: string;
  idHex: string;
  missing: string[];
  /** Why keyceremony knows it made this object. */
  reason: string;
  /** The operation that left it (undefined: attributed by the caller's label/id alone) and its key label. */
  op?: TokenIntent['op'];
  forKey?: string;
  /** Stable description of the object (no handle), what a consent refers to. */
  signature: string;
}

export interface InterruptedReport {
  token: { label: string; serial: string };
  /** Objects an interrupted keyceremony operation made: not usable, safe to remove. */
  objects: (ExplainedObject & { handle: Handle })[];
  /** Incomplete objects no intent explains (another tool, or made before the journal existed). Never removed. */
  unexplained: (Omit<ExplainedObject, 'reason'> & { handle: Handle })[];
  /** Recovered private keys whose public half is missing: `backup recover` completes them. */
  resumable: (ExplainedObject & { handle: Handle })[];
  /** Intents of operations that did finish (the key is complete): they are closed, nothing to remove. */
  finished: TokenIntent[];
  /** Intents with objects on the token. */
  interrupted: TokenIntent[];
}

/** A description of an object that survives a new session (handles may not). */
export function objectSignature(o: Pick<TokenObject, 'kind' | 'keyTypeRaw' | 'label' | 'idHex' | 'missing'>): string {
  return [o.kind, o.keyTypeRaw ?? '-', o.label, o.idHex, o.missing.join('+')].join('|');
}

/** One line a custodian can read about an object. */
export const describe = (o: Pick<TokenObject, 'kind' | 'label' | 'idHex' | 'missing'>): string => {
  const what = o.kind === 'unknown' ? 'an object whose type cannot be read' : `a ${o.kind} key`;
  const name = [o.label ? `labelled "${o.label}"` : 'without label', o.idHex ? `id ${o.idHex}` : 'without id'].join(', ');
  const miss = o.missing.filter((m) => m !== 'label' && m !== 'id');
  return `${what} ${name}${miss.length ? ` (missing: ${miss.join(', ')})` : ''}`;
};

/** The incomplete objects on the token now, as signatures (an intent's `tornBefore`). */
export function incompleteSignatures(s: TokenSession): string[] {
  return s
    .objects()
    .filter((o) => !o.complete)
    .map(objectSignature);
}

/**
 * What interrupted operations left on this token. `mark`: the label/id a caller is about to use (an
 * orphan half carrying it is attributed even without a journal entry).
 */
export function findInterrupted(s: TokenSession, journal?: TokenJournal, mark?: { label: string; id: Uint8Array }): InterruptedReport {
  const token = { label: s.token.label, serial: s.token.serial };
  const all = s.objects().filter((o) => o.kind !== 'other');
  const intents = journal?.pending(token) ?? [];
  const report: InterruptedReport = { token, objects: [], unexplained: [], resumable: [], finished: [], interrupted: [] };
  const taken = new Set<TokenObject>();
  const add = (list: 'objects' | 'resumable', o: TokenObject, reason: string, m: { label: string; intent?: TokenIntent }) => {
    if (taken.has(o)) return;
    taken.add(o);
    report[list].push({
      kind: o.kind,
      label: o.label,
      idHex: o.idHex,
      missing: o.missing,
      reason,
      signature: objectSignature(o),
      handle: o.handle,
      forKey: m.intent?.key.label ?? m.label,
      ...(m.intent ? { op: m.intent.op } : {}),
    });
  };
  const marks: { label: string; idHex: string; intent?: TokenIntent }[] = intents.map((i) => ({ label: i.key.label, idHex: i.key.idHex, intent: i }));
  if (mark && !marks.some((m) => m.idHex === Buffer.from(mark.id).toString('hex')))
    marks.push({ label: mark.label, idHex: Buffer.from(mark.id).toString('hex') });
  for (const m of marks) {
    // a journaled intent names its objects by id (and by label where the id was not written yet); a
    // caller's mark also by label (a key asked for by label alone gets a fresh random id each run)
    const mine = all.filter((o) => (m.idHex && o.idHex === m.idHex) || (m.label && o.label === m.label && (!o.idHex || !m.intent)));
    const priv = mine.filter((o) => o.kind === 'private' && o.complete);
    const pub = mine.filter((o) => o.kind === 'public' && o.complete);
    const rest = mine.filter((o) => !priv.includes(o) && !pub.includes(o));
    const op = m.intent?.op === 'recover' ? 'recovery' : 'generation';
    const whose = m.intent ? `the interrupted ${op} of key "${m.label}" (journaled ${m.intent.startedAt})` : `key "${m.label}"`;
    if (mine.length === 0) {
      if (m.intent && !hasExcess(all, m.intent, taken)) report.finished.push(m.intent); // nothing was made: the intent is void
      continue;
    }
    if (priv.length > 1 || pub.length > 1) continue; // several complete keys under one id: never guessed at; generation refuses
    if (priv.length === 1 && pub.length === 1) {
      // the key is whole; anything else carrying its id is debris of the same operation
      for (const o of rest) add('objects', o, `incomplete, and carries the label/id of ${whose}`, m);
      if (m.intent) (rest.length ? report.interrupted : report.finished).push(m.intent);
      continue;
    }
    if (priv.length === 1) {
      // a complete private key without its public half
      if (m.intent?.op === 'recover')
        add('resumable', priv[0] as TokenObject, `made by ${whose}; its public half is missing (run the recovery again to complete it)`, m);
      else if (m.intent) add('objects', priv[0] as TokenObject, `made by ${whose}, which never finished; its public half is missing`, m);
      else continue; // not ours to judge without a journal entry: generation refuses below
    }
    if (m.intent) report.interrupted.push(m.intent);
    for (const o of [...pub, ...rest])
      add('objects', o, priv.length ? `part of ${whose}` : `carries the label/id of ${whose}, whose private key is missing or incomplete`, m);
  }
  // incomplete objects that were not on the token when an intent began: made by that operation
  for (const i of intents) {
    const before = counts(i.tornBefore);
    for (const o of all) {
      if (o.complete || taken.has(o)) continue;
      const sig = objectSignature(o);
      const left = before.get(sig) ?? 0;
      if (left > 0) {
        before.set(sig, left - 1);
        continue;
      }
      if (!report.interrupted.includes(i)) report.interrupted.push(i);
      report.finished = report.finished.filter((f) => f !== i);
      add(
        'objects',
        o,
        `incomplete, and not on the token when the ${i.op === 'keygen' ? 'generation' : 'recovery'} of key "${i.key.label}" began (journaled ${i.startedAt})`,
        { label: i.key.label, intent: i },
      );
    }
  }
  for (const o of all) {
    if (!o.complete && !taken.has(o))
      report.unexplained.push({ kind: o.kind, label: o.label, idHex: o.idHex, missing: o.missing, signature: objectSignature(o), handle: o.handle });
  }
  return report;
}

function counts(sigs: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of sigs) m.set(s, (m.get(s) ?? 0) + 1);
  return m;
}

/** Are there more incomplete objects now than when `i` began (not yet attributed elsewhere)? */
function hasExcess(all: TokenObject[], i: TokenIntent, taken: Set<TokenObject>): boolean {
  const before = counts(i.tornBefore);
  for (const o of all) {
    if (o.complete || taken.has(o)) continue;
    const sig = objectSignature(o);
    const left = before.get(sig) ?? 0;
    if (left === 0) return true;
    before.set(sig, left - 1);
  }
  return false;
}

/** One line per object, for messages, the CLI and the app. */
export function reportLines(r: Pick<InterruptedReport, 'objects' | 'unexplained' | 'resumable'>): string[] {
  return [
    ...r.objects.map((o) => `remove: ${describe(o)} — ${o.reason}`),
    ...r.resumable.map((o) => `complete: ${describe(o)} — ${o.reason}`),
    ...r.unexplained.map((o) => `not ours: ${describe(o)} — incomplete, but no journal entry explains it; left alone`),
  ];
}

/** The refusal when objects need removing and nobody agreed yet. `how` says how to agree. */
export function incompleteError(r: InterruptedReport, how: string): KeyceremonyError {
  const list = r.objects.map((o) => describe(o)).join('; ');
  return new KeyceremonyError(
    'KEY_INCOMPLETE',
    `Token "${r.token.label}" (serial ${r.token.serial}) holds ${r.objects.length} incomplete object(s) left by an interrupted key operation: ${list}. They are not usable keys, and going on would make a second key. ${how}`,
    { where: r.token.label, details: { token: r.token.label, serial: r.token.serial, objects: r.objects.length } },
  );
}

/**
 * Remove the objects `r` attributes to interrupted operations and close their journal entries (and
 * those of finished operations). `expect` (signatures a person agreed to, from an earlier report)
 * makes the removal refuse if the token changed since: CONFLICT, nothing removed.
 */
export function removeInterrupted(s: TokenSession, journal: TokenJournal | undefined, r: InterruptedReport, expect?: readonly string[]): number {
  if (expect) {
    const now = r.objects.map((o) => o.signature).sort();
    const agreed = [...expect].sort();
    if (now.length !== agreed.length || now.some((x, i) => x !== agreed[i])) {
      throw new KeyceremonyError(
        'CONFLICT',
        `The incomplete objects on token "${r.token.label}" changed since they were shown; nothing was removed. Look again.`,
        { where: r.token.label },
      );
    }
  }
  for (const o of r.objects) {
    s.destroyObject(o.handle, { what: describe(o) });
    crashPoint('incomplete:removed');
  }
  for (const i of [...r.finished, ...r.interrupted]) {
    if (r.interrupted.includes(i) && r.resumable.some((o) => o.idHex === i.key.idHex)) continue; // a recovery to complete
    journal?.end(i);
  }
  return r.objects.length;
}

export type IncompletePolicy = 'auto' | 'refuse' | ((r: InterruptedReport) => boolean | Promise<boolean>);

export interface GenerateOnceResult {
  key: TokenKey;
  created: boolean;
  /** What was removed before generating (empty when nothing was torn). */
  removed: string[];
}

/**
 * Generate a key at most once per label/id, across crashes: objects an interrupted earlier attempt
 * left are found first and removed if `policy` allows (else KEY_INCOMPLETE naming them, with `how`
 * to agree); then the intent is journaled, the key generated, and the intent closed.
 */
export async function generateKeyOnce(
  s: TokenSession,
  spec: GenerateSpec,
  opts: { journal?: TokenJournal; policy: IncompletePolicy; how: string; now?: () => Date },
): Promise<GenerateOnceResult> {
  const names = s.keyNames(spec);
  const fixed = { ...spec, id: names.id, label: names.label };
  const r = findInterrupted(s, opts.journal, names);
  let removed: string[] = [];
  if (r.objects.length > 0) {
    const ok = opts.policy === 'auto' ? true : opts.policy === 'refuse' ? false : await opts.policy(r);
    if (!ok) throw incompleteError(r, opts.how);
    removed = r.objects.map((o) => `${describe(o)} — ${o.reason}`);
  }
  removeInterrupted(s, opts.journal, r);
  // an existing key under this label: generateKeyPair says whether it is this one (created: false) or a clash
  if (s.findKeys({ label: names.label }).length > 0)
    return { ...(await s.generateKeyPair(spec.id !== undefined || s.profile.keyId ? fixed : { ...spec, label: names.label })), removed };
  const strays = [...s.objects({ id: names.id }), ...s.objects({ label: names.label })];
  if (strays.length > 0) {
    // objects carry this label/id but no journal entry explains them: never add a second key beside them
    throw new KeyceremonyError(
      'KEY_INCOMPLETE',
      `Token "${s.token.label}" holds ${strays.length} object(s) with label "${names.label}" or id ${Buffer.from(names.id).toString('hex')} that are not a usable key (${strays.map(describe).join('; ')}), and no keyceremony journal entry says they were left by an interrupted run. Nothing was generated. Inspect them (pkcs11-tool --list-objects) and remove them, or choose another label.`,
      { where: s.token.label, details: { token: s.token.label, serial: s.token.serial, objects: strays.length } },
    );
  }
  const intent: TokenIntent = {
    v: 1,
    op: 'keygen',
    token: { serial: s.token.serial, label: s.token.label },
    key: { label: names.label, idHex: Buffer.from(names.id).toString('hex'), keyType: spec.keyType },
    tornBefore: incompleteSignatures(s),
    startedAt: (opts.now ?? (() => new Date()))().toISOString(),
  };
  opts.journal?.begin(intent);
  crashPoint('keygen:journaled');
  const made = await s.generateKeyPair(fixed);
  opts.journal?.end(intent);
  return { ...made, removed };
}

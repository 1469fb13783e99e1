/**
 * One ceremony run driven from the UI: the ceremony engine (electron/core/ceremony) runs in main,
 * composed exactly as the CLI composes it (adapters/ceremony/compose.ts); its Prompter turns every
 * question for the room (acknowledgements, PINs, deviations, shares to show, type back or gather)
 * into ONE pending question. The view (with that question) is pushed to the renderer on the event
 * channel whenever it changes; `kc:ceremony.state` returns it on request.
 *
 * Runs live in `<workDir>/<run>/` (journal, input files, bundle folder, archive). A run the app did
 * not finish (closed mid-ceremony) is found there at start and can be reopened (Resume) or
 * abandoned (recorded in its transcript, naming the keys it made, optionally removing them).
 *
 * Secrets:
 * - A PIN arrives in the single answer that needs it and becomes bytes; it is kept in main for the
 *   rest of that step only (each step asks each token once) and zeroed when the step ends or stops.
 * - A share to show is held in the pending question only while its custodian looks at it.
 * - A recovery's typed shares are kept in main's memory (never on disk, never in the view) so that a
 *   retry after a wrong PIN on the fresh token does not ask again; they are zeroed when the run
 *   finishes, is abandoned or closed, when they fail to open the backup, and when the app quits.
 */
import { attestationInputs } from '../core/ceremony/attestation';
import { existsSync, readdirSync } from 'node:fs';
import { readInputFile, readInputText } from '../adapters/fs/read';
import { TAR_LIMITS } from '../core/ceremony/tar';
import { basename, join } from 'node:path';
import { KeyceremonyError, toErrorInfo } from '../../shared/errors';
import { utf8 } from '../../shared/encoding/bytes';
import { nodeSha256Hex } from '../adapters/node-hash';
import { parseStrictJson } from '../../shared/json';
import { fingerprintWords } from '../../shared/pgp-words';
import type { CeremonyAnswer, CeremonyQuestion, CeremonyTemplate, CeremonyView, EditableParam, ScriptPreview, UnfinishedRun } from '../../shared/ipc/contract';
import type { CeremonyEngine } from '../core/ceremony/engine';
import { BUILTIN_KINDS } from '../core/ceremony/steps';
import { TEMPLATES } from '../core/ceremony/templates';
import type {
  CeremonyScript,
  CeremonyState,
  GatheredShare,
  KeyRecord,
  PinSource,
  PreflightProbe,
  Prompter,
  ShareSink,
  TokenSpec,
} from '../core/ceremony/types';
import { assertScript, validateScript } from '../core/ceremony/validate';
import { custodianNumbers, customizeScript, type ScriptSetup } from '../core/ceremony/customize';
import { pinPlan } from '../core/ceremony/pin-plan';
import { writeFileAtomic } from '../adapters/fs/atomic';
import { safeFileName } from '../adapters/fs/files';
import { bundlePaths, composeCeremonyRun } from '../adapters/ceremony/compose';
import { CeremonyLocks } from '../adapters/ceremony/locks';
import type { Pkcs11Module } from '../adapters/pkcs11';
import { shareSheetPdf } from '../adapters/backup/share-sheet';
import { parseShareText } from '../core/backup';

export interface CeremonyDeps {
  /** Folder where each run gets its own sub-folder (journal, inputs, bundle, archive). */
  workDir: string;
  rehearsal: boolean;
  module: () => Pkcs11Module;
  preflight?: (present: () => Promise<{ label: string; serial: string }[]>) => PreflightProbe;
  now?: () => Date;
}

export function listTemplates(): CeremonyTemplate[] {
  return Object.entries(TEMPLATES).map(([name, t]) => {
    const s = t.script as CeremonyScript;
    return {
      name,
      title: s.title,
      summary: t.summary,
      participants: s.participants.map((p) => ({ id: p.id, name: p.name, role: p.role })),
      tokens: s.tokens.map((tk) => ({ id: tk.id, label: tk.label, ...(tk.custodian ? { custodian: tk.custodian } : {}) })),
      inputs: scriptInputs(s),
    };
  });
}

/** Files a script reads from beside it (the previous root, targets metadata, a backup file). */
export function scriptInputs(s: CeremonyScript): string[] {
  const out: string[] = [];
  for (const st of s.steps)
    for (const k of ['backupFile', 'previousRoot', 'targets'] as const) if (typeof st.params?.[k] === 'string') out.push(st.params[k] as string);
  // hardware attestation certificates given as files (keygen's attestation, the attest step)
  for (const st of s.steps) out.push(...attestationInputs(st.kind, st.params));
  return [...new Set(out)];
}

const EDITABLE = ['rootThreshold', 'threshold', 'expiresInDays', 'gun', 'role', 'paths', 'certDays'] as const;

/**
 * The script a setup screen describes: a template or an opened script text, with the administrator's
 * setup applied, validated (every problem with its JSON path). Nothing is started.
 */
export function prepareScript(req: { template?: string; scriptText?: string; setup?: ScriptSetup }): {
  preview: ScriptPreview;
  script?: CeremonyScript;
  text?: string;
} {
  const empty = (problems: ScriptPreview['problems']): { preview: ScriptPreview } => ({
    preview: { ok: false, problems, name: '', title: '', participants: [], tokens: [], inputs: [], custodians: null, params: [] },
  });
  let base: unknown;
  if (req.scriptText !== undefined) {
    try {
      base = parseStrictJson(req.scriptText, { source: 'ceremony script', maxBytes: 1024 * 1024 });
    } catch (e) {
      const info = toErrorInfo(e);
      return empty([{ path: info.where ?? '$', message: info.message }]);
    }
  } else if (req.template !== undefined && TEMPLATES[req.template]) base = structuredClone(TEMPLATES[req.template]!.script);
  else return empty([{ path: 'template', message: 'Choose a ceremony template or open a ceremony script.' }]);
  const baseIssues = validateScript(base, BUILTIN_KINDS);
  if (baseIssues.length) return empty(baseIssues.map((i) => ({ path: i.path, message: i.message })));
  let script: CeremonyScript;
  const problems: ScriptPreview['problems'] = [];
  try {
    script = customizeScript(base as CeremonyScript, req.setup ?? {});
    problems.push(...validateScript(script, BUILTIN_KINDS).map((i) => ({ path: i.path, message: i.message })));
  } catch (e) {
    // show the script as it was, with the setup's problem (the person fixes the field it names)
    const info = toErrorInfo(e);
    script = base as CeremonyScript;
    problems.push({ path: info.where ?? 'setup', message: info.message });
  }
  for (const p of script.participants) if (!p.name.trim()) problems.push({ path: `participants ${p.id}`, message: 'type this person’s name' });
  const params: EditableParam[] = [];
  for (const st of script.steps) {
    for (const name of EDITABLE) {
      const v = st.params?.[name];
      if (v === undefined || (typeof v === 'object' && !Array.isArray(v) && v !== null && Object.keys(v).length === 0)) continue;
      const have = params.find((x) => x.name === name);
      if (have) have.steps.push(st.id);
      else params.push({ name, steps: [st.id], value: structuredClone(v) as EditableParam['value'] });
    }
  }
  const preview: ScriptPreview = {
    ok: problems.length === 0,
    problems,
    name: script.name,
    title: script.title,
    ...(script.description ? { description: script.description } : {}),
    participants: script.participants.map((p) => ({ id: p.id, name: p.name, role: p.role })),
    tokens: script.tokens.map((t) => ({
      id: t.id,
      label: t.label,
      ...(t.serial ? { serial: t.serial } : {}),
      ...(t.custodian ? { custodian: t.custodian } : {}),
    })),
    inputs: scriptInputs(script),
    custodians: custodianNumbers(script)?.length ?? null,
    params,
  };
  return problems.length ? { preview } : { preview, script, text: JSON.stringify(script, null, 2) + '\n' };
}

const INPUTS = 'inputs';
const scriptFile = (rehearsal: boolean) => `${rehearsal ? 'REHEARSAL-' : ''}ceremony.json`;

function readState(dir: string): CeremonyState | null {
  const p = join(dir, 'state.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readInputText(p, { what: 'ceremony state', kind: 'journal' })) as CeremonyState;
  } catch {
    return null; // not ours; the engine names the problem if someone reopens it
  }
}

/** Runs under workDir that were started and neither sealed nor abandoned. */
export function listUnfinished(deps: CeremonyDeps): UnfinishedRun[] {
  if (!existsSync(deps.workDir)) return [];
  const out: UnfinishedRun[] = [];
  for (const run of readdirSync(deps.workDir).sort()) {
    const st = readState(join(deps.workDir, run));
    if (!st || st.sealed || st.abandoned || st.format !== 'keyceremony-state/v2') continue; // v1 runs (transcript v1) cannot be continued by this version
    const script = readRunScript(deps.workDir, run, st);
    if (!script) continue;
    const running = script.script.steps.find((s) => st.steps[s.id]?.status === 'running');
    out.push({
      run,
      name: st.name,
      title: script.script.title,
      rehearsal: st.rehearsal,
      startedAt: st.startedAt,
      stepsDone: Object.values(st.steps).filter((s) => s.status !== 'running').length,
      steps: script.script.steps.length,
      stoppedAt: running ? (running.title ?? running.id) : null,
      keys: Object.values(st.keys).map((k) => ({
        id: k.id,
        label: k.label,
        token: `${k.token.label}${k.token.serial ? ` (serial ${k.token.serial})` : ''}`,
        fingerprint: k.fingerprint,
      })),
    });
  }
  return out;
}

function readRunScript(workDir: string, run: string, st: CeremonyState): { script: CeremonyScript; text: string } | null {
  const { bundleDir } = bundlePaths(join(workDir, run), st.name, st.rehearsal);
  const p = join(bundleDir, scriptFile(st.rehearsal));
  if (!existsSync(p)) return null;
  const text = readInputText(p, { what: 'ceremony script', limit: 1024 * 1024 });
  try {
    return { script: assertScript(parseStrictJson(text, { source: p, maxBytes: 1024 * 1024 }), BUILTIN_KINDS, 'ceremony script'), text };
  } catch {
    return null;
  }
}

type QuestionInput = CeremonyQuestion extends infer Q ? (Q extends unknown ? Omit<Q, 'id'> : never) : never;
type Pending = { q: CeremonyQuestion; resolve: (a: CeremonyAnswer) => void; reject: (e: unknown) => void; secret?: string };

export class CeremonySession {
  private view: Omit<CeremonyView, 'question'>;
  private pending: Pending | null = null;
  private seq = 0;
  private engine: CeremonyEngine | null = null;
  private cancelled = false;
  private readonly listeners = new Set<(v: CeremonyView) => void>();
  private notifyScheduled = false;
  /** PINs of the step running now, per token (and SO), zeroed when the step ends or stops. */
  private readonly stepPins = new Map<string, Uint8Array>();
  /** PIN entries already given in the step running now (for the count ahead). */
  private readonly givenThisStep = new Set<string>();
  /** A recovery's typed shares, kept for a retry of the same set (memory only). */
  private kept: { setId: string; shares: GatheredShare[] } | null = null;

  private constructor(
    private readonly deps: CeremonyDeps,
    private readonly script: CeremonyScript,
    private readonly scriptText: string,
    readonly runDir: string,
    readonly run: string,
  ) {
    this.view = {
      status: 'running',
      run,
      name: script.name,
      title: script.title,
      rehearsal: deps.rehearsal,
      runDir,
      pinsAhead: pinPlan(script).length,
      sharesKept: 0,
      participants: script.participants.map((p) => ({ id: p.id, name: p.name, role: p.role })),
      steps: script.steps.map((s) => ({ id: s.id, title: s.title ?? s.id, kind: s.kind, instructions: s.instructions ?? '', status: 'pending' as const })),
      current: null,
      log: [],
      keys: [],
      acknowledgements: [],
    };
  }

  /**
   * A new run from a built-in template or a script text with the setup applied, validated before the
   * first step (the first problem is refused with its JSON path); input files are kept in the run folder.
   */
  static start(deps: CeremonyDeps, req: { template?: string; scriptText?: string; setup?: ScriptSetup; inputs?: Record<string, string> }): CeremonySession {
    const prepared = prepareScript(req);
    if (!prepared.script || prepared.text === undefined) {
      const first = prepared.preview.problems[0];
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `The ceremony cannot start: ${first?.path}: ${first?.message}${prepared.preview.problems.length > 1 ? ` (and ${prepared.preview.problems.length - 1} more)` : ''}.`,
        {
          where: first?.path ?? 'setup',
          details: Object.fromEntries(prepared.preview.problems.slice(0, 20).map((p, i) => [`issue${i + 1}`, `${p.path}: ${p.message}`])),
        },
      );
    }
    const { script, text } = prepared;
    const missing = scriptInputs(script).filter((f) => req.inputs?.[f] === undefined);
    if (missing.length) {
      throw new KeyceremonyError(
        'NOT_FOUND',
        `The ceremony needs ${missing.map((f) => `"${f}"`).join(', ')}: open ${missing.length === 1 ? 'it' : 'them'} in the setup before starting.`,
        { where: missing[0] as string },
      );
    }
    const stamp = (deps.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const run = `${deps.rehearsal ? 'REHEARSAL-' : ''}${script.name}-${stamp}`;
    const runDir = join(deps.workDir, run);
    for (const [name, body] of Object.entries(req.inputs ?? {})) writeFileAtomic(join(runDir, INPUTS, safeFileName(name, `inputs.${name}`)), body);
    const s = new CeremonySession(deps, script, text, runDir, run);
    void s.runEngine();
    return s;
  }

  /** Reopen a run from its folder (after the app was closed mid-ceremony). */
  static reopen(deps: CeremonyDeps, run: string): CeremonySession {
    const runDir = join(deps.workDir, safeFileName(run, 'run'));
    const st = readState(runDir);
    if (!st) throw new KeyceremonyError('NOT_FOUND', `There is no ceremony run "${run}" to resume.`, { where: 'run' });
    if (st.rehearsal !== deps.rehearsal) {
      throw new KeyceremonyError(
        'CONFLICT',
        `Run "${run}" was started in ${st.rehearsal ? 'rehearsal' : 'production'} mode; start the app in that mode to resume or abandon it.`,
        { where: 'run' },
      );
    }
    const r = readRunScript(deps.workDir, run, st);
    if (!r) throw new KeyceremonyError('NOT_FOUND', `The script of run "${run}" is missing from its bundle folder; it cannot be resumed.`, { where: 'run' });
    const s = new CeremonySession(deps, r.script, r.text, runDir, run);
    // What the journal says is done already (the engine skips those steps without telling).
    for (const v of s.view.steps) {
      const rec = st.steps[v.id];
      if (rec?.status === 'done' || rec?.status === 'skipped') {
        v.status = rec.status;
        if (rec.summary) v.summary = rec.summary;
      } else if (rec?.status === 'running') v.status = 'stopped';
    }
    s.view.keys = Object.values(st.keys).map((k) => s.keyView(k));
    s.view.status = 'failed';
    s.view.error = { code: 'CANCELLED', message: 'This run was interrupted (the app was closed). Resume it, or abandon it.' };
    s.say(
      `Reopened run ${run} from its journal: ${Object.values(st.steps).filter((x) => x.status !== 'running').length} of ${r.script.steps.length} steps done.`,
    );
    return s;
  }

  /** Continue a reopened run. */
  continueRun(): void {
    this.say('Resuming: finished steps are skipped; the interrupted step runs again and finds what it already made.');
    void this.runEngine();
  }

  subscribe(fn: (v: CeremonyView) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Tell the screens (once per turn of the event loop, however many things changed). */
  private changed(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      const v = this.snapshot();
      for (const l of this.listeners) l(v);
    });
  }

  /** What the renderer shows (a copy; the pending question included while it waits). */
  snapshot(): CeremonyView {
    const v = structuredClone(this.view) as CeremonyView;
    v.question = this.pending ? structuredClone(this.pending.q) : null;
    v.sharesKept = this.kept?.shares.length ?? 0;
    return v;
  }

  answer(questionId: string, a: CeremonyAnswer): void {
    const p = this.pending;
    if (!p || p.q.id !== questionId)
      throw new KeyceremonyError('CONFLICT', 'That question is no longer open; the screen was out of date.', { where: 'questionId' });
    if (p.q.kind !== a.kind) throw new KeyceremonyError('INVALID_INPUT', `The open question needs a "${p.q.kind}" answer.`, { where: 'answer.kind' });
    this.pending = null;
    this.changed();
    p.resolve(a);
  }

  /** Resume after a failure (wrong PIN, missing token...): the engine continues where it stopped. */
  resume(): void {
    if (this.view.status !== 'failed') throw new KeyceremonyError('CONFLICT', 'Only a stopped ceremony can be resumed.', { where: 'ceremony' });
    void this.runEngine();
  }

  /**
   * Abandon this run (stopped, or reopened from disk): with removeKeys, each token's PIN is asked on
   * the screen and the run's keys are deleted; the transcript records it either way.
   */
  abandon(o: { by: string; reason: string; removeKeys: boolean }): void {
    if (this.view.status === 'running' && this.engine) throw new KeyceremonyError('CONFLICT', 'Stop the ceremony before abandoning it.', { where: 'ceremony' });
    if (this.view.status === 'done' || this.view.status === 'abandoned')
      throw new KeyceremonyError('CONFLICT', `This run is ${this.view.status}; there is nothing to abandon.`, { where: 'ceremony' });
    this.forgetShares();
    this.cancelled = false;
    this.view.status = 'abandoning';
    delete this.view.error;
    this.changed();
    void (async () => {
      let locks: CeremonyLocks | undefined;
      let run: ReturnType<CeremonySession['compose']> | undefined;
      try {
        // removing the run's keys touches its journal and tokens: held like a run (issue 12 item 8)
        locks = await CeremonyLocks.take(this.runDir, this.script.name);
        run = this.compose(locks);
        const r = await run.engine.abandon(o);
        this.view.status = 'abandoned';
        this.view.abandoned = { by: o.by, reason: o.reason, ...r };
        this.say(`Run abandoned by ${o.by}: ${o.reason}`);
      } catch (e) {
        this.view.status = 'failed';
        this.view.error = toErrorInfo(e);
        this.pending = null;
      } finally {
        run?.close();
        locks?.release();
        this.clearPins();
        this.changed();
      }
    })();
  }

  /** The finished run's files for the removable medium: the archive, the printable transcript, the script. */
  finishedFiles(): { name: string; bytes: Uint8Array }[] {
    const r = this.view.result;
    if (this.view.status !== 'done' || !r)
      throw new KeyceremonyError('CONFLICT', 'The ceremony is not finished; there is no bundle to save yet.', { where: 'ceremony' });
    const prefix = this.deps.rehearsal ? 'REHEARSAL-' : '';
    const out = [{ name: basename(r.archivePath), bytes: readInputFile(r.archivePath, { what: 'bundle archive', limit: TAR_LIMITS.maxTotal }) }];
    for (const f of [`${prefix}transcript.pdf`, scriptFile(this.deps.rehearsal)]) {
      const p = join(r.bundleDir, f);
      if (existsSync(p)) out.push({ name: f, bytes: readInputFile(p, { what: 'bundle file', limit: TAR_LIMITS.maxEntry }) });
    }
    return out;
  }

  /** Lines to print: the transcript entries (each with its hash) or the script as run. */
  printable(what: 'transcript' | 'script'): { title: string; lines: string[] } {
    const { bundleDir } = bundlePaths(this.runDir, this.script.name, this.deps.rehearsal);
    if (what === 'script') return { title: `Ceremony script: ${this.script.title}`, lines: this.scriptText.split('\n') };
    const p = join(bundleDir, 'transcript.jsonl');
    const lines: string[] = [`${this.deps.rehearsal ? 'REHEARSAL — NOT FOR PRODUCTION. ' : ''}Transcript of ${this.script.title} (run ${this.run})`, ''];
    if (existsSync(p)) {
      for (const l of readInputText(p, { what: 'transcript', kind: 'journal' }).split('\n').filter(Boolean)) {
        const e = JSON.parse(l) as {
          seq: number;
          time: string;
          event: string;
          step?: string;
          actor?: string;
          note?: string;
          keys?: { id: string; fingerprint: string; words: string }[];
          acknowledgements?: { by: string; statement: string; source?: string }[];
        };
        const hash = nodeSha256Hex(utf8(`${l}\n`)); // transcript v2: a line's hash is over its bytes and LF
        const who = (id?: string) => (id ? (this.script.participants.find((x) => x.id === id)?.name ?? id) : '');
        lines.push(`#${e.seq} ${e.time} ${e.event}${e.step ? ` [${e.step}]` : ''}${e.actor ? ` — ${who(e.actor)}` : ''}`);
        if (e.note) lines.push(`    ${e.note}`);
        for (const k of e.keys ?? []) lines.push(`    key ${k.id}: ${k.fingerprint}`, `      ${k.words}`);
        for (const a of e.acknowledgements ?? [])
          lines.push(
            `    ✔ ${who(a.by)}${a.source === 'answers-file' ? ' (from the answers file)' : a.source === 'screen' ? ' (at the screen)' : ''}: ${a.statement}`,
          );
        lines.push(`    hash ${hash}`);
      }
    }
    return { title: `Transcript: ${this.script.title}`, lines };
  }

  /** The PDF share sheet of the share being shown now (only while its custodian looks at it). */
  async shareSheet(questionId: string): Promise<{ name: string; pdf: Uint8Array }> {
    const q = this.pending?.q;
    const secret = this.pending?.secret;
    if (!q || q.id !== questionId || q.kind !== 'share-show' || secret === undefined) {
      throw new KeyceremonyError('CONFLICT', 'No share is being shown now; the sheet can only be printed while its custodian looks at the share.', {
        where: 'questionId',
      });
    }
    const share = parseShareText(secret, `share ${q.index}`);
    try {
      const step = this.view.current !== null ? this.script.steps[this.view.current] : undefined;
      const keyId = typeof step?.params?.key === 'string' ? step.params.key : undefined;
      const rec = keyId ? this.engine?.current?.keys?.[keyId] : undefined;
      const pdf = await shareSheetPdf(share, {
        keyLabel: rec?.label ?? keyId ?? 'key',
        fingerprint: rec?.fingerprint ?? '',
        createdAt: (this.deps.now?.() ?? new Date()).toISOString(),
        ...(rec?.token.label ? { tokenLabel: rec.token.label } : {}),
      });
      return { name: `share-${q.index}-of-${q.total}-${q.custodianId}.pdf`, pdf };
    } finally {
      share.body.fill(0);
    }
  }

  cancel(): void {
    this.cancelled = true;
    const p = this.pending;
    this.pending = null;
    this.changed();
    p?.reject(new KeyceremonyError('CANCELLED', 'The ceremony was stopped from the screen; it can be resumed or abandoned.', { where: 'ceremony' }));
  }

  /** The app quits or the screen closes the run: drop every secret held for it. */
  dispose(): void {
    if (this.view.status === 'running' || this.view.status === 'abandoning') this.cancel();
    this.forgetShares();
    this.clearPins();
    this.listeners.clear();
  }

  /** The share being shown, for its custodian's screen (only while that question is open). */
  revealShare(questionId: string): { text: string } {
    const p = this.pending;
    if (!p || p.q.id !== questionId || p.q.kind !== 'share-show' || p.secret === undefined) {
      throw new KeyceremonyError('CONFLICT', 'No share is waiting to be shown.', { where: 'questionId' });
    }
    return { text: p.secret };
  }

  /** One pending question; `secret` (a share to show) stays in main until revealShare asks for it. */
  private ask<A extends CeremonyAnswer>(q: QuestionInput, secret?: string): Promise<A> {
    if (this.cancelled) return Promise.reject(new KeyceremonyError('CANCELLED', 'The ceremony was stopped.', { where: 'ceremony' }));
    return new Promise<A>((resolve, reject) => {
      this.seq += 1;
      this.pending = { q: { ...q, id: `q${this.seq}` } as CeremonyQuestion, resolve: resolve as (a: CeremonyAnswer) => void, reject };
      if (secret !== undefined) this.pending.secret = secret;
      this.changed();
    });
  }

  private say(line: string) {
    this.view.log.push(line);
    if (this.view.log.length > 2000) this.view.log.splice(0, this.view.log.length - 2000);
    this.changed();
  }

  private forgetShares(): void {
    this.kept?.shares.forEach((s) => s.text.fill(0));
    this.kept = null;
  }

  private clearPins(): void {
    for (const b of this.stepPins.values()) b.fill(0);
    this.stepPins.clear();
    this.givenThisStep.clear();
  }

  private tokenView(t: TokenSpec) {
    const seen = this.engine?.current?.tokens?.[t.id] as { serial?: string } | undefined;
    const custodian = this.script.participants.find((p) => p.id === t.custodian);
    const serial = t.serial ?? seen?.serial;
    return { id: t.id, label: t.label, ...(serial ? { serial } : {}), custodian: custodian ? custodian.name : (t.custodian ?? 'the administrator') };
  }

  /** PIN entries still ahead: the plan for the steps not done, less those given in this step. */
  private countPinsAhead(): void {
    const st = this.engine?.current;
    const plan = pinPlan(this.script).filter((e) => {
      const rec = st?.steps?.[e.step];
      if (rec && rec.status !== 'running') return false;
      return !(rec?.status === 'running' && this.givenThisStep.has(`${e.token}/${e.so}`));
    });
    this.view.pinsAhead = plan.length;
  }

  private prompter(): Prompter {
    const pinFor =
      (t: TokenSpec, so: boolean): PinSource =>
      async () => {
        const key = `${t.id}/${so}`;
        const have = this.stepPins.get(key);
        if (have) return have.slice(); // the token layer zeroes its copy
        const a = await this.ask<Extract<CeremonyAnswer, { kind: 'pin' }>>({ kind: 'pin', so, token: this.tokenView(t) });
        if (a.pin === null) {
          // The engine's token service passes PIN bytes to C_Login; it has no "PIN pad" path yet.
          throw new KeyceremonyError(
            'USER_ACTION_REQUIRED',
            `Token "${t.label}" has a PIN pad; ceremonies with PIN-pad readers are not supported yet. Use a reader without a pad for this ceremony.`,
            {
              where: `token ${t.id}`,
            },
          );
        }
        const bytes = utf8(a.pin);
        this.stepPins.set(key, bytes.slice());
        this.givenThisStep.add(`${t.id}/${so}`);
        this.countPinsAhead();
        this.changed();
        return bytes;
      };
    const name = (id: string) => this.script.participants.find((p) => p.id === id)?.name ?? id;
    const sink: ShareSink = {
      deliver: async (custodian, index, total, share) => {
        await this.ask({ kind: 'share-show', custodian: name(custodian), custodianId: custodian, index, total }, new TextDecoder().decode(share));
      },
      collect: async (custodian, index) => {
        const a = await this.ask<Extract<CeremonyAnswer, { kind: 'share-enter' }>>({
          kind: 'share-enter',
          custodian: name(custodian),
          custodianId: custodian,
          index,
        });
        return utf8(a.text);
      },
      gather: async (req) => {
        if (this.kept && this.kept.setId === req.setId && this.kept.shares.length >= req.needed) {
          this.say(`Using the ${this.kept.shares.length} shares entered before (kept in memory only); nobody types them again.`);
          return this.kept.shares.map((s) => ({ custodian: s.custodian, text: s.text.slice() }));
        }
        this.forgetShares();
        const kept: GatheredShare[] = [];
        const entered: { index: number; custodian: string }[] = [];
        let problem: { code: string; message: string } | undefined;
        while (kept.length < req.needed) {
          const a = await this.ask<Extract<CeremonyAnswer, { kind: 'share-gather' }>>({
            kind: 'share-gather',
            needed: req.needed,
            total: req.total,
            setId: req.setId,
            entered: entered.slice(),
            custodians: req.custodians.map((id) => ({ id, name: name(id) })),
            holders: req.holders.map((h) => (this.script.participants.some((x) => x.id === h) ? `${name(h)} (${h})` : h)),
            ...(problem ? { problem } : {}),
          });
          problem = undefined;
          if (!req.custodians.includes(a.custodianId)) {
            problem = { code: 'INVALID_INPUT', message: `${a.custodianId} is not one of the custodians of this recovery.` };
            continue;
          }
          const text = utf8(a.text);
          try {
            const { index } = req.check(
              text,
              entered.map((e) => e.index),
            );
            kept.push({ custodian: a.custodianId, text });
            entered.push({ index, custodian: name(a.custodianId) });
            this.kept = { setId: req.setId, shares: kept };
            this.say(
              `${entered.length} of ${req.needed} shares entered${entered.length < req.needed ? ` — ${req.needed - entered.length} more needed` : ''} (share ${index}, from ${name(a.custodianId)}).`,
            );
          } catch (e) {
            text.fill(0);
            const info = toErrorInfo(e);
            problem = { code: info.code, message: info.message };
          }
        }
        return kept.map((s) => ({ custodian: s.custodian, text: s.text.slice() }));
      },
      forget: () => this.forgetShares(),
    };
    return {
      say: (l) => this.say(l),
      acknowledge: async ({ step, ack, by, shown }) => {
        const a = await this.ask<Extract<CeremonyAnswer, { kind: 'ack' }>>({
          kind: 'ack',
          step,
          ackId: ack.id,
          statement: ack.statement,
          by: { id: by.id, name: by.name, role: by.role },
          shown,
        });
        if (a.confirm) this.view.acknowledgements.push({ step, ackId: ack.id, by: by.id, statement: ack.statement });
        return a.confirm;
      },
      deviation: async ({ step, check, administrator }) => {
        const a = await this.ask<Extract<CeremonyAnswer, { kind: 'deviation' }>>({
          kind: 'deviation',
          step,
          check: { id: check.id, status: check.status, summary: check.summary },
          administrator: { id: administrator.id, name: administrator.name, role: administrator.role },
        });
        return a.justification ? { check: check.id, justification: a.justification, by: administrator.id } : null;
      },
      pin: (t) => pinFor(t, false),
      soPin: (t) => pinFor(t, true),
      shareSink: () => sink,
    };
  }

  private compose(locks: CeremonyLocks) {
    const run = composeCeremonyRun({
      locks,
      script: this.script,
      scriptText: this.scriptText,
      rehearsal: this.deps.rehearsal,
      mod: this.deps.module(),
      prompter: this.prompter(),
      outDir: this.runDir,
      ...(this.deps.now ? { now: this.deps.now } : {}),
      ...(this.deps.preflight ? { preflight: this.deps.preflight(() => run.tokens.present()) } : {}),
      inputs: {
        read: async (p) => {
          const file = join(this.runDir, INPUTS, safeFileName(p, p));
          if (!existsSync(file))
            throw new KeyceremonyError('NOT_FOUND', `The ceremony needs the file "${p}": open it in the setup before starting.`, { where: p });
          return readInputFile(file, { what: `ceremony input ${p}`, kind: 'artifact' });
        },
      },
      onEvent: (e) => {
        if (e.type === 'step-start') {
          this.clearPins();
          this.view.current = e.index;
          const st = this.view.steps[e.index];
          if (st) st.status = 'running';
        } else if (e.type === 'step-done') {
          this.clearPins();
          const st = this.view.steps.find((s) => s.id === e.step);
          if (st) {
            st.status = e.skipped ? 'skipped' : 'done';
            st.summary = e.summary;
          }
          this.refreshKeys();
        }
        this.countPinsAhead();
        this.changed();
      },
    });
    this.engine = run.engine;
    return run;
  }

  private async runEngine(): Promise<void> {
    this.cancelled = false;
    this.view.status = 'running';
    delete this.view.error;
    this.changed();
    let locks: CeremonyLocks | undefined;
    let run: ReturnType<CeremonySession['compose']> | undefined;
    try {
      // the run folder and the run's tokens are held until the run ends (issue 12 item 8): another
      // ceremony on one of these tokens is refused with TOKEN_IN_USE naming this one
      locks = await CeremonyLocks.take(this.runDir, this.script.name);
      run = this.compose(locks);
      await run.claimTokens();
      await run.engine.run();
      this.refreshKeys();
      const { verdict, archiveVerdict } = await run.finish();
      this.view.result = {
        bundleDir: run.bundleDir,
        archivePath: run.archivePath,
        ok: verdict.ok && archiveVerdict.ok,
        problems: [...verdict.problems, ...archiveVerdict.problems.map((p) => `archive: ${p}`)],
        files: verdict.files,
        signedBy: verdict.signedBy.map((s) => ({ id: s.id, fingerprint: s.fingerprint })),
        manifestSha256: run.engine.current.sealed?.manifestSha256 ?? '',
      };
      this.view.status = 'done';
      this.view.current = null;
      this.forgetShares();
    } catch (e) {
      this.view.status = 'failed';
      this.view.error = toErrorInfo(e);
      this.pending = null;
      for (const s of this.view.steps) if (s.status === 'running') s.status = 'stopped';
    } finally {
      run?.close();
      locks?.release();
      this.clearPins();
      this.countPinsAhead();
      this.changed();
    }
  }

  private refreshKeys() {
    this.view.keys = Object.values(this.engine?.current?.keys ?? {}).map((k) => this.keyView(k));
  }

  private keyView(k: KeyRecord): CeremonyView['keys'][number] {
    return {
      id: k.id,
      label: k.label,
      keyType: k.keyType,
      fingerprint: k.fingerprint,
      fingerprintWords: fingerprintWords(k.fingerprint),
      token: { label: k.token.label, ...(k.token.serial ? { serial: k.token.serial } : {}) },
      ...(k.purpose ? { purpose: k.purpose } : {}),
    };
  }
}

/**
 * One ceremony run driven from the UI: the ceremony engine (electron/core/ceremony) runs in main
 * with the real token, TUF and backup services; its Prompter turns every question for the room
 * (acknowledgements, PINs, deviations, shares to show and to type back) into ONE pending question
 * that the renderer reads with `kc:ceremony.state` and answers with `kc:ceremony.answer`.
 *
 * Secrets: a PIN arrives in the single answer that needs it and becomes bytes the token layer zeroes.
 * A share is put in the pending question only while its custodian looks at it, and removed as soon
 * as they confirm; a typed share is turned into bytes the backup service zeroes. Neither is logged,
 * kept in the view, nor written anywhere by this module.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyceremonyError, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { utf8 } from '../../shared/encoding/bytes';
import { parseStrictJson } from '../../shared/json';
import { fingerprintWords } from '../../shared/pgp-words';
import type { CeremonyAnswer, CeremonyQuestion, CeremonyTemplate, CeremonyView } from '../../shared/ipc/contract';
import { CeremonyEngine } from '../core/ceremony/engine';
import { verifyBundle } from '../core/ceremony/bundle';
import { BUILTIN_KINDS } from '../core/ceremony/steps';
import { writeTar } from '../core/ceremony/tar';
import { TEMPLATES } from '../core/ceremony/templates';
import type { CeremonyScript, PinSource, PreflightProbe, Prompter, ShareSink, TokenSpec } from '../core/ceremony/types';
import { assertScript } from '../core/ceremony/validate';
import { writeFileAtomic } from '../adapters/fs/atomic';
import { FsJournal, FsOutputStore, dirBundleReader, listRegularFiles } from '../adapters/fs/ceremony-store';
import { ceremonyPrintables, ceremonyServices } from '../adapters/ceremony/services';
import { Pkcs11TokenService } from '../adapters/ceremony/token-service';
import type { Pkcs11Module } from '../adapters/pkcs11';
import { shareSheetPdf } from '../adapters/backup/share-sheet';
import { parseShareText } from '../core/backup';

export interface CeremonyDeps {
  /** Folder where each run gets its own sub-folder (journal, bundle, archive). */
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
      inputs: s.steps.flatMap((st) => (typeof st.params?.backupFile === 'string' ? [st.params.backupFile] : [])),
    };
  });
}

type QuestionInput = CeremonyQuestion extends infer Q ? (Q extends unknown ? Omit<Q, 'id'> : never) : never;
type Pending = { q: CeremonyQuestion; resolve: (a: CeremonyAnswer) => void; reject: (e: unknown) => void; secret?: string };

export class CeremonySession {
  private view: Omit<CeremonyView, 'question'>;
  private pending: Pending | null = null;
  private seq = 0;
  private engine: CeremonyEngine | null = null;
  private cancelled = false;

  constructor(
    private readonly deps: CeremonyDeps,
    private readonly script: CeremonyScript,
    private readonly scriptText: string,
    private readonly runDir: string,
    private readonly inputs: Record<string, string>,
  ) {
    this.view = {
      status: 'running',
      name: script.name,
      title: script.title,
      rehearsal: deps.rehearsal,
      runDir,
      participants: script.participants.map((p) => ({ id: p.id, name: p.name, role: p.role })),
      steps: script.steps.map((s) => ({ id: s.id, title: s.title ?? s.id, kind: s.kind, instructions: s.instructions ?? '', status: 'pending' as const })),
      current: null,
      log: [],
      keys: [],
      acknowledgements: [],
    };
  }

  static start(deps: CeremonyDeps, req: { template?: string; scriptText?: string; serials?: Record<string, string>; inputs?: Record<string, string> }): CeremonySession {
    let text: string;
    if (req.scriptText !== undefined) text = req.scriptText;
    else if (req.template !== undefined && TEMPLATES[req.template]) text = JSON.stringify(TEMPLATES[req.template]!.script, null, 2) + '\n';
    else throw new KeyceremonyError('INVALID_INPUT', 'Choose a ceremony template or open a ceremony script.', { where: 'template' });
    const parsed = parseStrictJson(text, { source: 'ceremony script', maxBytes: 1024 * 1024 }) as CeremonyScript;
    // Expected token serials typed by the administrator (from the token stickers) go into the script.
    if (req.serials) {
      for (const [id, serial] of Object.entries(req.serials)) {
        const t = parsed.tokens?.find((x) => x.id === id);
        if (!t) throw new KeyceremonyError('INVALID_INPUT', `The script has no token "${id}".`, { where: `serials.${id}` });
        t.serial = serial;
      }
      text = JSON.stringify(parsed, null, 2) + '\n';
    }
    const script = assertScript(parsed, BUILTIN_KINDS, 'ceremony script');
    const stamp = (deps.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const runDir = join(deps.workDir, `${deps.rehearsal ? 'REHEARSAL-' : ''}${script.name}-${stamp}`);
    const s = new CeremonySession(deps, script, text, runDir, req.inputs ?? {});
    void s.run();
    return s;
  }

  /** What the renderer shows (a copy; the pending question included while it waits). */
  snapshot(): CeremonyView {
    const v = structuredClone(this.view) as CeremonyView;
    v.question = this.pending ? structuredClone(this.pending.q) : null;
    return v;
  }

  answer(questionId: string, a: CeremonyAnswer): void {
    const p = this.pending;
    if (!p || p.q.id !== questionId) throw new KeyceremonyError('CONFLICT', 'That question is no longer open; the screen was out of date.', { where: 'questionId' });
    if (p.q.kind !== a.kind) throw new KeyceremonyError('INVALID_INPUT', `The open question needs a "${p.q.kind}" answer.`, { where: 'answer.kind' });
    this.pending = null;
    p.resolve(a);
  }

  /** Resume after a failure (wrong PIN, missing token...): the engine continues where it stopped. */
  resume(): void {
    if (this.view.status !== 'failed') throw new KeyceremonyError('CONFLICT', 'Only a stopped ceremony can be resumed.', { where: 'ceremony' });
    this.view.status = 'running';
    delete this.view.error;
    void this.run();
  }

  /** The PDF share sheet of the share being shown now (only while its custodian looks at it). */
  async shareSheet(questionId: string): Promise<{ name: string; pdf: Uint8Array }> {
    const q = this.pending?.q;
    const secret = this.pending?.secret;
    if (!q || q.id !== questionId || q.kind !== 'share-show' || secret === undefined) {
      throw new KeyceremonyError('CONFLICT', 'No share is being shown now; the sheet can only be printed while its custodian looks at the share.', { where: 'questionId' });
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
    p?.reject(new KeyceremonyError('CANCELLED', 'The ceremony was stopped from the screen; it can be resumed.', { where: 'ceremony' }));
  }

  /** One pending question; `secret` (a share to show) stays in main until revealShare asks for it. */
  private ask<A extends CeremonyAnswer>(q: QuestionInput, secret?: string): Promise<A> {
    if (this.cancelled) return Promise.reject(new KeyceremonyError('CANCELLED', 'The ceremony was stopped.', { where: 'ceremony' }));
    return new Promise<A>((resolve, reject) => {
      this.seq += 1;
      this.pending = { q: { ...q, id: `q${this.seq}` } as CeremonyQuestion, resolve: resolve as (a: CeremonyAnswer) => void, reject };
      if (secret !== undefined) this.pending.secret = secret;
    });
  }

  /** The share being shown, for its custodian's screen (only while that question is open). */
  revealShare(questionId: string): { text: string } {
    const p = this.pending;
    if (!p || p.q.id !== questionId || p.q.kind !== 'share-show' || p.secret === undefined) {
      throw new KeyceremonyError('CONFLICT', 'No share is waiting to be shown.', { where: 'questionId' });
    }
    return { text: p.secret };
  }

  private say(line: string) {
    this.view.log.push(line);
    if (this.view.log.length > 2000) this.view.log.splice(0, this.view.log.length - 2000);
  }

  private tokenView(t: TokenSpec) {
    const seen = this.engine?.current?.tokens?.[t.id] as { serial?: string } | undefined;
    const custodian = this.script.participants.find((p) => p.id === t.custodian);
    const serial = t.serial ?? seen?.serial;
    return { id: t.id, label: t.label, ...(serial ? { serial } : {}), custodian: custodian ? custodian.name : (t.custodian ?? 'the administrator') };
  }

  private async run(): Promise<void> {
    this.cancelled = false;
    const mod = this.deps.module();
    const tokens = new Pkcs11TokenService(mod);
    const pinFor =
      (t: TokenSpec, so: boolean): PinSource =>
      async () => {
        const a = await this.ask<Extract<CeremonyAnswer, { kind: 'pin' }>>({ kind: 'pin', so, token: this.tokenView(t) });
        if (a.pin === null) {
          // The engine's token service passes PIN bytes to C_Login; it has no "PIN pad" path yet.
          throw new KeyceremonyError('USER_ACTION_REQUIRED', `Token "${t.label}" has a PIN pad; ceremonies with PIN-pad readers are not supported yet. Use a reader without a pad for this ceremony.`, {
            where: `token ${t.id}`,
          });
        }
        return utf8(a.pin);
      };
    const sink: ShareSink = {
      deliver: async (custodian, index, total, share) => {
        const who = this.script.participants.find((p) => p.id === custodian);
        await this.ask({ kind: 'share-show', custodian: who?.name ?? custodian, custodianId: custodian, index, total }, new TextDecoder().decode(share));
      },
      collect: async (custodian, index) => {
        const who = this.script.participants.find((p) => p.id === custodian);
        const a = await this.ask<Extract<CeremonyAnswer, { kind: 'share-enter' }>>({ kind: 'share-enter', custodian: who?.name ?? custodian, custodianId: custodian, index });
        return utf8(a.text);
      },
    };
    const prompter: Prompter = {
      say: (l) => this.say(l),
      acknowledge: async ({ step, ack, by, shown }) => {
        const a = await this.ask<Extract<CeremonyAnswer, { kind: 'ack' }>>({ kind: 'ack', step, ackId: ack.id, statement: ack.statement, by: { id: by.id, name: by.name, role: by.role }, shown });
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
    const prefix = this.deps.rehearsal ? 'REHEARSAL-' : '';
    const bundleDir = join(this.runDir, `${prefix}${this.script.name}-bundle`);
    const archivePath = join(this.runDir, `${prefix}${this.script.name}.kcbundle.tar`);
    const present = () => tokens.present();
    try {
      this.engine = new CeremonyEngine({
        script: this.script,
        scriptText: this.scriptText,
        rehearsal: this.deps.rehearsal,
        kinds: BUILTIN_KINDS,
        services: ceremonyServices(mod, tokens, {
          ...(this.deps.preflight ? { preflight: this.deps.preflight(present) } : {}),
          inputs: {
            read: async (p) => {
              const t = this.inputs[p];
              if (t === undefined) throw new KeyceremonyError('NOT_FOUND', `The ceremony needs the file "${p}": open it on the ceremony screen before starting.`, { where: p });
              return utf8(t);
            },
          },
        }),
        prompter,
        journal: new FsJournal(this.runDir, bundleDir),
        outputs: new FsOutputStore(bundleDir),
        clock: { now: this.deps.now ?? (() => new Date()) },
        randomHex: (n) => randomBytes(n).toString('hex'),
        printables: ceremonyPrintables,
        onEvent: (e) => {
          if (e.type === 'step-start') {
            this.view.current = e.index;
            const st = this.view.steps[e.index];
            if (st) st.status = 'running';
          } else if (e.type === 'step-done') {
            const st = this.view.steps.find((s) => s.id === e.step);
            if (st) {
              st.status = e.skipped ? 'skipped' : 'done';
              st.summary = e.summary;
            }
            this.refreshKeys();
          }
        },
      });
      await this.engine.run();
      this.refreshKeys();
      const files = listRegularFiles(bundleDir);
      writeFileAtomic(archivePath, writeTar(files.map((p) => ({ path: p, bytes: new Uint8Array(readFileSync(join(bundleDir, p))) }))));
      const verdict = await verifyBundle(dirBundleReader(bundleDir));
      this.view.result = {
        bundleDir,
        archivePath,
        ok: verdict.ok,
        problems: verdict.problems,
        files: verdict.files,
        signedBy: verdict.signedBy.map((s) => ({ id: s.id, fingerprint: s.fingerprint })),
        manifestSha256: this.engine.current.sealed?.manifestSha256 ?? '',
      };
      this.view.status = 'done';
      this.view.current = null;
    } catch (e) {
      const info: ErrorInfo = toErrorInfo(e);
      this.view.status = 'failed';
      this.view.error = info;
      this.pending = null;
      for (const s of this.view.steps) if (s.status === 'running') s.status = 'stopped';
    }
  }

  private refreshKeys() {
    const keys = this.engine?.current?.keys ?? {};
    this.view.keys = Object.values(keys).map((k) => ({
      id: k.id,
      label: k.label,
      keyType: k.keyType,
      fingerprint: k.fingerprint,
      fingerprintWords: fingerprintWords(k.fingerprint, 8),
      token: { label: k.token.label, ...(k.token.serial ? { serial: k.token.serial } : {}) },
      ...(k.purpose ? { purpose: k.purpose } : {}),
    }));
  }
}

/**
 * One ceremony run from the CLI: reads the script and the answers file, makes SoftHSM2 tokens for
 * a rehearsal, and answers the engine from the terminal or the answers file. The run itself (engine,
 * services, journal, bundle folder, archive + verification) is composed by ./compose.ts, the same
 * composition the desktop app's ceremony session uses.
 *
 * Run folder layout (--out DIR):
 *   state.json                          the engine journal (atomic writes)
 *   rehearsal-tokens/                   rehearsal only: SoftHSM2 conf, token store, the run's PINs
 *   [REHEARSAL-]<name>-bundle/          the bundle folder (manifest, DSSE, transcript, outputs)
 *   [REHEARSAL-]<name>.kcbundle.tar     the archive (tar written by core/ceremony/tar.ts)
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJson } from '../../../shared/json';
import type { EngineEvent } from '../../core/ceremony/engine';
import type { BundleVerdict } from '../../core/ceremony/bundle';
import { BUILTIN_KINDS } from '../../core/ceremony/steps';
import type { CeremonyScript, CeremonyState, Deviation, GatheredShare, PinSource, Prompter, ShareSink, TokenSpec } from '../../core/ceremony/types';
import { assertScript } from '../../core/ceremony/validate';
import { ensureDir } from '../fs/atomic';
import { readInputFile, readInputText } from '../fs/read';
import { Pkcs11Module } from '../pkcs11';
import { provisionRehearsalTokens } from '../softhsm';
import { bundlePaths, composeCeremonyRun } from './compose';
import { CeremonyLocks } from './locks';

/** The unattended answers file (docs/ceremony.md). */
export interface Answers {
  /** Token id or label -> file holding the user PIN. Relative paths are relative to the answers file. */
  pins?: Record<string, string>;
  soPins?: Record<string, string>;
  /** "all", or "<step>/<ack>" -> participant ids who confirm. */
  acknowledge?: 'all' | Record<string, string[]>;
  /** Preflight check id -> justification (production only). */
  deviations?: Record<string, string>;
  /** Rehearsal only: shares are handed back in memory (nobody writes them anywhere). */
  shares?: 'rehearsal-memory';
  /** Recovery: "<custodian>" -> file holding that custodian's share text (rehearsals and tests). */
  shareFiles?: Record<string, string>;
}

export interface RunIo {
  say(line: string): void;
  isTTY: boolean;
  ask(question: string): Promise<string>;
  askSecret(prompt: string): Promise<Uint8Array>;
  /** Show a share to one custodian on the terminal only (never to a redirected stdout or a log). */
  showSecret(text: string): void;
}

export interface RunOptions {
  scriptPath: string;
  rehearsal: boolean;
  outDir: string;
  answersPath?: string;
  modulePath?: string;
  io: RunIo;
  env: NodeJS.ProcessEnv;
  onEvent?(e: EngineEvent): void;
  /** Rehearsal: start from a copy of an earlier rehearsal's tokens (rotation, delegation, recovery). */
  rehearsalTokensFrom?: string;
  /** Test hook (KEYCEREMONY_TEST_PAUSE_AT): pause before committing this step (or "<step>:start"). */
  pauseAt?: string;
}

export interface RunOutcome {
  state: CeremonyState;
  bundleDir: string;
  archivePath: string;
  transcriptPath: string;
  verdict: BundleVerdict;
  archiveVerdict: BundleVerdict;
  resumed: boolean;
  alreadyComplete: boolean;
  rehearsalTokens?: string;
  seconds: number;
}

export function readScript(path: string): { script: CeremonyScript; text: string } {
  const text = readInputText(path, { what: 'ceremony script', limit: 1024 * 1024 });
  const parsed = parseStrictJson(text, { source: path, maxBytes: 1024 * 1024 });
  return { script: assertScript(parsed, BUILTIN_KINDS, path), text };
}

function readAnswers(path: string): Answers {
  const x = parseStrictJson(readInputText(path, { what: 'answers file', kind: 'document' }), { source: path }) as Answers;
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new KeyceremonyError('INVALID_INPUT', 'The answers file must be a JSON object.', { where: path });
  const allowed = ['pins', 'soPins', 'acknowledge', 'deviations', 'shares', 'shareFiles'];
  for (const k of Object.keys(x))
    if (!allowed.includes(k))
      throw new KeyceremonyError('INVALID_INPUT', `Unknown member "${k}" in the answers file (allowed: ${allowed.join(', ')}).`, { where: `${path} $.${k}` });
  const bad = (where: string, what: string): never => {
    throw new KeyceremonyError('INVALID_INPUT', `In the answers file, ${where} must be ${what}.`, { where: `${path} ${where}` });
  };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  for (const m of ['pins', 'soPins', 'deviations', 'shareFiles'] as const) {
    const v = x[m];
    if (v === undefined) continue;
    if (!isObj(v)) bad(`$.${m}`, 'an object of strings');
    for (const [k, s] of Object.entries(v as Record<string, unknown>))
      if (typeof s !== 'string' || !s) bad(`$.${m}[${JSON.stringify(k)}]`, 'a non-empty string');
  }
  if (x.acknowledge !== undefined && x.acknowledge !== 'all') {
    if (!isObj(x.acknowledge)) bad('$.acknowledge', '"all" or an object of "<step>/<ack>": [participant ids]');
    for (const [k, v] of Object.entries(x.acknowledge as Record<string, unknown>)) {
      if (!Array.isArray(v) || v.some((p) => typeof p !== 'string')) bad(`$.acknowledge[${JSON.stringify(k)}]`, 'an array of participant ids');
    }
  }
  if (x.shares !== undefined && x.shares !== 'rehearsal-memory') bad('$.shares', '"rehearsal-memory"');
  return x;
}

function fileSecret(path: string, what: string): Uint8Array {
  const raw = readInputFile(path, { what: `${what} file`, kind: what.startsWith('share') ? 'share' : 'secret' });
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  const out = new Uint8Array(raw.subarray(0, end));
  raw.fill(0);
  if (!out.length) throw new KeyceremonyError('PIN_INVALID', `The ${what} file ${path} is empty.`, { where: path });
  return out;
}

export async function runCeremony(o: RunOptions): Promise<RunOutcome> {
  const t0 = Date.now();
  const { script, text } = readScript(o.scriptPath);
  const answers = o.answersPath ? readAnswers(o.answersPath) : undefined;
  const answersDir = o.answersPath ? dirname(resolve(o.answersPath)) : process.cwd();
  const rel = (p: string) => (isAbsolute(p) ? p : join(answersDir, p));
  if (!answers && !o.io.isTTY) {
    throw new KeyceremonyError('USER_ACTION_REQUIRED', 'No terminal to ask on: run on a TTY, or give --answers FILE for an unattended run.', {
      where: 'ceremony run',
    });
  }
  const outDir = resolve(o.outDir);
  ensureDir(outDir);
  const { bundleDir, archivePath } = bundlePaths(outDir, script.name, o.rehearsal);
  // the run folder and, as the run uses them, its tokens are held until it ends (issue 12 item 8)
  const locks = await CeremonyLocks.take(outDir, script.name, o.env);
  try {
    return await runLocked(o, { script, text, answers, rel, outDir, bundleDir, archivePath, t0 }, locks);
  } finally {
    locks.release();
  }
}

async function runLocked(
  o: RunOptions,
  r: {
    script: CeremonyScript;
    text: string;
    answers: Answers | undefined;
    rel: (p: string) => string;
    outDir: string;
    bundleDir: string;
    archivePath: string;
    t0: number;
  },
  locks: CeremonyLocks,
): Promise<RunOutcome> {
  const { script, text, answers, rel, outDir, bundleDir, archivePath, t0 } = r;
  // tokens
  let modulePath = o.modulePath;
  let rehearsalDir: string | undefined;
  let rehearsalPins: Record<string, { pin: string; soPin: string }> = {};
  if (o.rehearsal) {
    rehearsalDir = join(outDir, 'rehearsal-tokens');
    const r = provisionRehearsalTokens(
      rehearsalDir,
      script.tokens.map((t) => t.label),
      o.rehearsalTokensFrom ? { from: o.rehearsalTokensFrom } : {},
    );
    process.env.SOFTHSM2_CONF = r.conf;
    modulePath = r.module;
    rehearsalPins = r.pins;
    o.io.say(`REHEARSAL: ${script.tokens.length} SoftHSM2 token(s) for this run in ${rehearsalDir}`);
  }
  const mod = Pkcs11Module.open(modulePath);
  try {
    const memShares = new Map<string, Uint8Array>();
    const pinFor =
      (t: TokenSpec, so: boolean): PinSource =>
      async () => {
        const rp = rehearsalPins[t.label];
        if (rp) return new TextEncoder().encode(so ? rp.soPin : rp.pin);
        const file = (so ? answers?.soPins : answers?.pins)?.[t.id] ?? (so ? answers?.soPins : answers?.pins)?.[t.label];
        if (file) return fileSecret(rel(file), `${so ? 'SO PIN' : 'PIN'} of token ${t.label}`);
        if (!o.io.isTTY)
          throw new KeyceremonyError(
            'PIN_REQUIRED',
            `No ${so ? 'SO PIN' : 'PIN'} for token "${t.label}": add it to the answers file (${so ? 'soPins' : 'pins'}).`,
            { where: `token ${t.id}` },
          );
        return o.io.askSecret(`${so ? 'SO PIN' : 'PIN'} for token "${t.label}"${t.custodian ? ` (custodian ${t.custodian})` : ''}: `);
      };
    const sink: ShareSink = {
      async deliver(custodian, index, total, share) {
        if (o.rehearsal && (answers?.shares === 'rehearsal-memory' || !o.io.isTTY)) {
          memShares.set(`${custodian}#${index}`, share.slice());
          return;
        }
        if (!o.io.isTTY)
          throw new KeyceremonyError('USER_ACTION_REQUIRED', 'Shares are handed to custodians on the terminal; a production backup cannot run unattended.', {
            where: 'backup',
          });
        await o.io.ask(`\nShare ${index} of ${total} is for ${custodian}. Only ${custodian} should look at the screen now. Press Enter to show it.`);
        o.io.showSecret(new TextDecoder().decode(share));
        await o.io.ask(`${custodian}: write the share down, then press Enter to clear the screen.`);
        o.io.showSecret('\x1b[2J\x1b[3J\x1b[H');
      },
      async collect(custodian, index) {
        const f = answers?.shareFiles?.[custodian];
        if (f) return fileSecret(rel(f), `share of ${custodian}`);
        const m = memShares.get(`${custodian}#${index}`);
        if (m) {
          memShares.delete(`${custodian}#${index}`);
          return m;
        }
        if (!o.io.isTTY)
          throw new KeyceremonyError('USER_ACTION_REQUIRED', `Share ${index} of ${custodian} must be typed back on the terminal.`, { where: 'backup' });
        return o.io.askSecret(`${custodian}: type share ${index} back (all words, one line): `);
      },
      async gather(req) {
        // Recovery: share files of whoever has one in the answers file, else typed on the terminal by
        // whoever is present, in any order, until m shares of the set are in.
        const out: GatheredShare[] = [];
        const entered: number[] = [];
        const take = (custodian: string, text: Uint8Array): boolean => {
          try {
            entered.push(req.check(text, entered).index);
            out.push({ custodian, text });
            return true;
          } catch (e) {
            text.fill(0);
            throw e;
          }
        };
        for (const c of req.custodians) {
          const f = answers?.shareFiles?.[c];
          if (f && out.length < req.needed) take(c, fileSecret(rel(f), `share of ${c}`));
        }
        while (out.length < req.needed) {
          if (!o.io.isTTY) {
            throw new KeyceremonyError(
              'SHARES_INSUFFICIENT',
              `${out.length} of ${req.needed} shares given; add share files to the answers file (shareFiles) or run on a terminal.`,
              { where: 'restore' },
            );
          }
          const who = (
            await o.io.ask(
              `${out.length} of ${req.needed} shares entered — ${req.needed - out.length} more needed. Who gives the next share (${req.custodians.join(', ')})? `,
            )
          ).trim();
          if (!req.custodians.includes(who)) {
            o.io.say(`  "${who}" is not one of ${req.custodians.join(', ')}.`);
            continue;
          }
          try {
            take(who, await o.io.askSecret(`${who}: type your share (all words, one line): `));
          } catch (e) {
            o.io.say(`  refused: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        return out;
      },
    };
    const prompter: Prompter = {
      say: (l) => o.io.say(l),
      async acknowledge({ step, ack, by, shown }) {
        const a = answers?.acknowledge;
        const inFile = a === 'all' || (a !== undefined && a[`${step}/${ack.id}`]?.includes(by.id) === true);
        // production: a witness or custodian speaks for themselves unless the script allows the file (the engine enforces it too)
        const fileMaySpeak = o.rehearsal || by.role === 'administrator' || ack.allowAnswersFile === true;
        if (inFile && fileMaySpeak) {
          o.io.say(`  ✔ ${by.id} acknowledged (answers file): ${ack.statement}`);
          return { confirmed: true, source: 'answers-file' as const };
        }
        if (!o.io.isTTY) {
          throw new KeyceremonyError(
            inFile ? 'PRECONDITION_FAILED' : 'USER_ACTION_REQUIRED',
            inFile
              ? `${by.name} (${by.id}, ${by.role}) must confirm "${ack.statement}" at the screen: in production an answers file cannot acknowledge for a ${by.role}. Run on a terminal, or let the script allow it with "allowAnswersFile": true.`
              : `No acknowledgement "${step}/${ack.id}" by ${by.id} in the answers file.`,
            { where: `step ${step} acknowledgement ${ack.id}` },
          );
        }
        if (inFile) o.io.say(`  (the answers file cannot confirm for the ${by.role} ${by.id} in production: asking at the screen)`);
        void shown;
        const r = await o.io.ask(`  ${by.name} (${by.id}, ${by.role}): ${ack.statement}\n  Type "yes" to confirm: `);
        return { confirmed: r.trim().toLowerCase() === 'yes', source: 'screen' as const };
      },
      async deviation({ check, administrator }): Promise<Deviation | null> {
        const j = answers?.deviations?.[check.id];
        if (j) return { check: check.id, justification: j, by: administrator.id };
        if (!o.io.isTTY) return null;
        const r = await o.io.ask(
          `  Preflight check "${check.id}" FAILED: ${check.summary}\n  ${administrator.name}: justification to proceed anyway (empty to stop): `,
        );
        return r.trim() ? { check: check.id, justification: r.trim(), by: administrator.id } : null;
      },
      pin: (t) => pinFor(t, false),
      soPin: (t) => pinFor(t, true),
      shareSink: () => sink,
    };
    const scriptDir = dirname(resolve(o.scriptPath));
    const run = composeCeremonyRun({
      script,
      scriptText: text,
      rehearsal: o.rehearsal,
      mod,
      prompter,
      outDir,
      inputs: {
        read: async (p) => {
          if (isAbsolute(p) || p.split(/[\\/]/).includes('..'))
            throw new KeyceremonyError('PATH_TRAVERSAL', `Input "${p}" must be a file beside the script.`, { where: p });
          return readInputFile(join(scriptDir, p), { what: 'ceremony input (beside the script)', kind: 'artifact' });
        },
      },
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...(o.pauseAt
        ? {
            onStepStarted: async (step: string) => pauseIf(o, `${step}:start`),
            onBeforeCommit: async (step: string) => pauseIf(o, step),
          }
        : {}),
      locks,
    });
    try {
      await run.claimTokens();
      const r = await run.engine.run();
      const { verdict, archiveVerdict } = await run.finish();
      return {
        state: r.state,
        bundleDir,
        archivePath,
        transcriptPath: run.journal.transcriptPath,
        verdict,
        archiveVerdict,
        resumed: r.resumed,
        alreadyComplete: r.alreadyComplete,
        ...(rehearsalDir ? { rehearsalTokens: rehearsalDir } : {}),
        seconds: (Date.now() - t0) / 1000,
      };
    } finally {
      run.close();
    }
  } finally {
    mod.close();
  }
}

async function pauseIf(o: RunOptions, at: string): Promise<void> {
  if (o.pauseAt !== at) return;
  process.stderr.write(`KEYCEREMONY_TEST_PAUSED ${at}\n`);
  await new Promise<void>(() => {
    setInterval(() => undefined, 1 << 30);
  });
}

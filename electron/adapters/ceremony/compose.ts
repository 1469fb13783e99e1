/**
 * THE composition of one ceremony run over real adapters, used by the CLI runner
 * (adapters/ceremony/runner.ts) and the desktop session (ipc/ceremony-session.ts): bundle and archive
 * names, the journal and output store, the engine's services and printables, and the tail every
 * finished run goes through (archive the bundle folder, verify the folder AND the archive).
 * The two front ends differ only in their Prompter (terminal/answers file vs. screen) and in where
 * input files come from.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { verifyBundle, type BundleVerdict } from '../../core/ceremony/bundle';
import { CeremonyEngine, type EngineOptions } from '../../core/ceremony/engine';
import { BUILTIN_KINDS } from '../../core/ceremony/steps';
import { TAR_LIMITS, writeTar } from '../../core/ceremony/tar';
import type { CeremonyScript, PreflightProbe, Prompter, Services } from '../../core/ceremony/types';
import { writeFileAtomic } from '../fs/atomic';
import { FsTokenJournal } from '../fs/token-journal';
import { reportLines, type InterruptedReport } from '../pkcs11/interrupted';
import { readInputFile } from '../fs/read';
import { FsJournal, FsOutputStore, dirBundleReader, listRegularFiles, tarBundleReader } from '../fs/ceremony-store';
import type { Pkcs11Module } from '../pkcs11';
import { ceremonyPrintables, ceremonyServices } from './services';
import { Pkcs11TokenService } from './token-service';
import type { CeremonyLocks } from './locks';
import { nodeSha256Hex } from '../node-hash';

/** Where a run's bundle folder and archive go: `[REHEARSAL-]<name>-bundle/` and `[REHEARSAL-]<name>.kcbundle.tar`. */
export function bundlePaths(outDir: string, name: string, rehearsal: boolean): { bundleDir: string; archivePath: string } {
  const prefix = rehearsal ? 'REHEARSAL-' : '';
  return { bundleDir: join(outDir, `${prefix}${name}-bundle`), archivePath: join(outDir, `${prefix}${name}.kcbundle.tar`) };
}

export interface ComposeOptions {
  script: CeremonyScript;
  scriptText: string;
  rehearsal: boolean;
  mod: Pkcs11Module;
  prompter: Prompter;
  /** The run folder: journal (state.json), bundle folder and archive. */
  outDir: string;
  inputs: NonNullable<Services['inputs']>;
  preflight?: PreflightProbe;
  now?: () => Date;
  onEvent?: EngineOptions['onEvent'];
  onStepStarted?: EngineOptions['onStepStarted'];
  onBeforeCommit?: EngineOptions['onBeforeCommit'];
  /** The run's locks (run folder, tokens): every token session of the run first claims its token. */
  locks?: CeremonyLocks;
}

export interface ComposedRun {
  engine: CeremonyEngine;
  tokens: Pkcs11TokenService;
  bundleDir: string;
  archivePath: string;
  journal: FsJournal;
  /** After the engine sealed the bundle: write the archive, verify the folder and the archive. */
  finish(): Promise<{ verdict: BundleVerdict; archiveVerdict: BundleVerdict }>;
  /** Before the engine runs: hold every token of the script that is present (refused at once if another ceremony does). */
  claimTokens(): Promise<void>;
  /** The end of the run, however it ended: the run's module handle is closed (the caller releases the locks). */
  close(): void;
}

/**
 * Production: the custodian of the token (else the administrator) confirms the removal of objects an
 * interrupted key generation left, after seeing the list (issue 12 item 1).
 */
async function confirmRemoval(script: CeremonyScript, prompter: Prompter, r: InterruptedReport): Promise<boolean> {
  const spec = script.tokens.find((t) => (t.serial && t.serial === r.token.serial) || t.label === r.token.label);
  const by = script.participants.find((p) => p.id === spec?.custodian) ?? script.participants.find((p) => p.role === 'administrator') ?? script.participants[0];
  if (!by) return false;
  const answer = await prompter.acknowledge({
    step: 'keygen',
    ack: {
      id: 'remove-incomplete-objects',
      by: by.id,
      statement: `Remove the ${r.objects.length} incomplete object(s) an interrupted key generation left on token "${r.token.label}" (serial ${r.token.serial}); they are not usable keys, and the key is then generated once.`,
    },
    by,
    shown: reportLines(r),
  });
  return typeof answer === 'boolean' ? answer : answer.confirmed;
}

export function composeCeremonyRun(o: ComposeOptions): ComposedRun {
  const { bundleDir, archivePath } = bundlePaths(o.outDir, o.script.name, o.rehearsal);
  // issue 12 item 8: every session of this run on a token first claims the token for the run
  const locks = o.locks;
  const mod = locks ? o.mod.guarded((t) => locks.claim(t)) : o.mod;
  const tokenJournal = new FsTokenJournal(join(o.outDir, 'token-journal'));
  // A YubiKey with touch policy always/cached holds each signature until it is touched: say so first.
  const tokens = new Pkcs11TokenService(mod, {
    onUserPresence: ({ token, key }) => o.prompter.say(`touch the YubiKey now: token "${token}", key "${key}" (it blinks until touched)`),
    // key generations are journaled in the run folder first; what a crash left is removed
    // automatically in rehearsal, with the token custodian's acknowledgement in production
    journal: tokenJournal,
    incomplete: o.rehearsal ? 'auto' : (r) => confirmRemoval(o.script, o.prompter, r),
  });
  const journal = new FsJournal(o.outDir, bundleDir);
  const outputs = new FsOutputStore(bundleDir);
  for (const f of outputs.removedTempFiles) o.prompter.say(`removed ${f}: the temporary file of a write that a crash interrupted`);
  const engine = new CeremonyEngine({
    script: o.script,
    scriptText: o.scriptText,
    rehearsal: o.rehearsal,
    kinds: BUILTIN_KINDS,
    services: ceremonyServices(mod, tokens, { inputs: o.inputs, journal: tokenJournal, ...(o.preflight ? { preflight: o.preflight } : {}) }),
    prompter: o.prompter,
    journal,
    outputs,
    clock: { now: o.now ?? (() => new Date()) },
    randomHex: (n) => randomBytes(n).toString('hex'),
    printables: ceremonyPrintables,
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    onStepStarted: async (step: string) => {
      const id = engine.current?.runId;
      if (id) locks?.setRun(id);
      await o.onStepStarted?.(step);
    },
    ...(o.onBeforeCommit ? { onBeforeCommit: o.onBeforeCommit } : {}),
  });
  return {
    engine,
    tokens,
    bundleDir,
    archivePath,
    journal,
    claimTokens: async () => locks?.claimPresent(o.mod, o.script),
    close: () => {
      if (mod !== o.mod) mod.close();
    },
    async finish() {
      const files = listRegularFiles(bundleDir);
      writeFileAtomic(
        archivePath,
        writeTar(files.map((p) => ({ path: p, bytes: readInputFile(join(bundleDir, p), { what: 'bundle file', limit: TAR_LIMITS.maxEntry }) }))),
      );
      const verdict = await verifyBundle(dirBundleReader(bundleDir), { sha256Hex: nodeSha256Hex });
      const archiveVerdict = await verifyBundle(tarBundleReader(archivePath), { sha256Hex: nodeSha256Hex });
      return { verdict, archiveVerdict };
    },
  };
}

/** IPC area "ceremony": the engine runs in main; the UI answers its questions. */
import type { ErrorInfo } from '../../errors';
import { empty, fileText, PinSchema, questionId, serial } from '../common';
import { arr, bool, byType, int, label, literal, nullable, obj, oneOf, opt, record, str, union, type Schema } from '../schema';
import { handleId } from './files';

/** A run folder name under the app's ceremony folder (no path separators). */
export const runName = str({ min: 1, max: 200, pattern: /^[A-Za-z0-9._-]+$/, what: 'a run folder name' });

export interface CeremonyTemplate {
  name: string;
  title: string;
  summary: string;
  participants: { id: string; name: string; role: string }[];
  tokens: { id: string; label: string; custodian?: string }[];
  /** Files the script reads (e.g. the backup file of a recovery), to open before starting. */
  inputs: string[];
}

export interface CeremonyTokenView {
  id: string;
  label: string;
  serial?: string;
  /** The custodian's name (or the administrator). */
  custodian: string;
}

export type CeremonyQuestion =
  | { id: string; kind: 'ack'; step: string; ackId: string; statement: string; by: { id: string; name: string; role: string }; shown: string[] }
  | { id: string; kind: 'pin'; so: boolean; token: CeremonyTokenView }
  | {
      id: string;
      kind: 'deviation';
      step: string;
      check: { id: string; status: string; summary: string };
      administrator: { id: string; name: string; role: string };
    }
  /** The share itself is not in the question: the screen fetches it with kc:ceremony.revealShare when its custodian asks. */
  | { id: string; kind: 'share-show'; custodian: string; custodianId: string; index: number; total: number }
  | { id: string; kind: 'share-enter'; custodian: string; custodianId: string; index: number }
  /**
   * Recovery: any m shares of the set, from whoever is present, in any order. `entered` lists what
   * is in (never the words); `problem` says why the last share was refused (another set, repeated...).
   */
  | {
      id: string;
      kind: 'share-gather';
      needed: number;
      total: number;
      setId: string;
      entered: { index: number; custodian: string }[];
      custodians: { id: string; name: string }[];
      /** Who was given share i (index i-1), from the backup file. */
      holders: string[];
      problem?: { code: string; message: string };
    };

export type CeremonyAnswer =
  | { kind: 'ack'; confirm: boolean }
  | { kind: 'pin'; pin: string | null }
  | { kind: 'deviation'; justification: string | null }
  | { kind: 'share-show'; received: true }
  | { kind: 'share-enter'; text: string }
  | { kind: 'share-gather'; custodianId: string; text: string };

export interface CeremonyView {
  /** abandoning: the abandon is asking for PINs to remove the run's keys; abandoned: recorded, final. */
  status: 'running' | 'done' | 'failed' | 'abandoning' | 'abandoned';
  /** The run folder's name (what "Resume" and "Abandon" name). */
  run: string;
  /** PIN entries the rest of the run will ask for (one per token per step; a backup also asks the SO PIN). */
  pinsAhead: number;
  /** Shares a recovery keeps in main's memory for a retry (never their words). */
  sharesKept: number;
  name: string;
  title: string;
  rehearsal: boolean;
  runDir: string;
  participants: { id: string; name: string; role: string }[];
  steps: { id: string; title: string; kind: string; instructions: string; status: 'pending' | 'running' | 'done' | 'skipped' | 'stopped'; summary?: string }[];
  current: number | null;
  /** What the engine says to the room (never PINs or shares). */
  log: string[];
  keys: {
    id: string;
    label: string;
    keyType: string;
    fingerprint: string;
    fingerprintWords: string;
    token: { label: string; serial?: string };
    purpose?: string;
  }[];
  acknowledgements: { step: string; ackId: string; by: string; statement: string }[];
  question: CeremonyQuestion | null;
  error?: ErrorInfo;
  result?: {
    bundleDir: string;
    archivePath: string;
    ok: boolean;
    problems: string[];
    files: number;
    signedBy: { id: string; fingerprint: string }[];
    manifestSha256: string;
  };
  abandoned?: { by: string; reason: string; removed: string[]; left: string[] };
}

/** A run found on disk that was neither finished nor abandoned (the app was closed mid-ceremony). */
export interface UnfinishedRun {
  run: string;
  name: string;
  title: string;
  rehearsal: boolean;
  startedAt: string;
  stepsDone: number;
  steps: number;
  /** The step it stopped in (title). */
  stoppedAt: string | null;
  /** Keys the run made (recorded in its journal). */
  keys: { id: string; label: string; token: string; fingerprint: string }[];
}

/** Main pushes the ceremony view on the event channel whenever it changes (no polling). */
export interface CeremonyEvent {
  kind: 'ceremony';
  view: CeremonyView;
}

/** A step parameter the setup screen lets the administrator change (applied to every step that has it). */
export interface EditableParam {
  name: 'rootThreshold' | 'threshold' | 'expiresInDays' | 'gun' | 'role' | 'paths' | 'certDays';
  steps: string[];
  value: number | string | string[] | Record<string, number>;
}

/** The script a setup would run, validated: problems name their JSON path. */
export interface ScriptPreview {
  ok: boolean;
  problems: { path: string; message: string }[];
  name: string;
  title: string;
  description?: string;
  participants: { id: string; name: string; role: string }[];
  tokens: { id: string; label: string; serial?: string; custodian?: string }[];
  /** Files the script reads (previous root.json, targets.json, a backup file): open them in the setup. */
  inputs: string[];
  /** Number of custodians when the script names them custodian-1..n (then it can be changed), else null. */
  custodians: number | null;
  params: EditableParam[];
}

const printable = str({ min: 1, max: 255, pattern: /^[^\u0000-\u001f\u007f]+$/, what: 'printable text' });
const paramValue = byType<number | string | boolean | string[] | Record<string, number>>({
  number: int({ min: 0, max: 100_000 }),
  string: printable,
  boolean: bool,
  array: arr(printable, { max: 64 }),
  object: record(int({ min: 1, max: 100_000 }), 16),
});

/** The administrator's setup of a template or opened script (see electron/core/ceremony/customize.ts). */
export const setupSchema = obj({
  names: opt(record(label(64), 64)),
  tokens: opt(record(obj({ label: label(32), serial }), 32)),
  custodians: opt(int({ min: 1, max: 16 })),
  /** participant id -> role (who is the administrator, a custodian, a witness). */
  roles: opt(record(oneOf(['administrator', 'custodian', 'witness'] as const), 64)),
  /** token id -> the participant id who holds it ('' = no one in particular). */
  holders: opt(record(str({ max: 64, pattern: /^[A-Za-z0-9._-]*$/, what: 'a participant id, or empty for no one' }), 32)),
  params: opt(record(record(paramValue, 16), 32)),
});

const scriptSource = {
  template: opt(str({ min: 1, max: 64, pattern: /^[a-z0-9-]+$/, what: 'a template name' })),
  scriptText: opt(str({ max: 1024 * 1024 })),
  setup: opt(setupSchema),
};

export const ceremonyChannels = {
  'kc:ceremony.templates': empty,
  /** Validate a template or opened script with the setup applied; nothing starts. */
  'kc:ceremony.prepare': obj(scriptSource),
  /** Read an input file opened in the setup (a backup file, root.json, targets.json) as the step will: a summary, or why it is the wrong file. */
  'kc:ceremony.checkInput': obj({ purpose: oneOf(['backup', 'tuf-root', 'tuf-targets', 'other'] as const), name: str({ min: 1, max: 255 }), text: fileText }),
  /** Start a run from a built-in template or an opened script, with the setup applied; input files opened in the setup. */
  'kc:ceremony.start': obj({ ...scriptSource, inputs: opt(record(fileText, 32)) }),
  'kc:ceremony.state': empty,
  'kc:ceremony.answer': obj({
    questionId,
    answer: union('kind', {
      ack: obj({ kind: literal('ack'), confirm: bool }),
      pin: obj({ kind: literal('pin'), pin: PinSchema }),
      deviation: obj({ kind: literal('deviation'), justification: nullable(str({ min: 1, max: 2000 })) }),
      'share-show': obj({ kind: literal('share-show'), received: literal(true) }),
      'share-enter': obj({ kind: literal('share-enter'), text: str({ min: 1, max: 4096 }) }),
      'share-gather': obj({
        kind: literal('share-gather'),
        custodianId: str({ min: 1, max: 64, pattern: /^[A-Za-z0-9._-]+$/, what: 'a participant id' }),
        text: str({ min: 1, max: 4096 }),
      }),
    }),
  }),
  'kc:ceremony.resume': empty,
  /** The share of the open share-show question, once, when its custodian presses "Show". */
  'kc:ceremony.revealShare': obj({ questionId }),
  /** Save the PDF share sheet of the share being shown (main writes it; the renderer gets no file). */
  'kc:ceremony.shareSheet': obj({ questionId }),
  'kc:ceremony.cancel': empty,
  /** Runs left unfinished on disk (closed mid-ceremony), to resume or abandon. */
  'kc:ceremony.unfinished': empty,
  /** Reopen an unfinished run from its journal and continue it. */
  'kc:ceremony.reopen': obj({ run: runName }),
  /** Abandon the open run (stopped) or an unfinished one on disk; optionally remove the keys it made. */
  'kc:ceremony.abandon': obj({
    run: opt(runName),
    by: label(64),
    reason: str({ min: 10, max: 2000, what: 'a reason of at least 10 characters' }),
    removeKeys: bool,
  }),
  /** Close the finished or abandoned run's screen (a new ceremony can start). */
  'kc:ceremony.close': empty,
  /** Write the finished run's archive, printable transcript and script into a chosen folder; the copy is verified. */
  'kc:ceremony.exportBundle': obj({ folderId: handleId }),
  /** The transcript or the script of the open run, as lines to print. */
  'kc:ceremony.printable': obj({ what: oneOf(['transcript', 'script'] as const) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface CeremonyResponses {
  'kc:ceremony.templates': CeremonyTemplate[];
  'kc:ceremony.prepare': ScriptPreview;
  'kc:ceremony.checkInput': { summary: string };
  'kc:ceremony.start': CeremonyView;
  'kc:ceremony.state': CeremonyView | null;
  'kc:ceremony.answer': CeremonyView;
  'kc:ceremony.resume': CeremonyView;
  'kc:ceremony.revealShare': { text: string };
  /** fileId: the written PDF, to remove with kc:files.shred once printed. */
  'kc:ceremony.shareSheet': { saved: boolean; name: string; fileId?: string };
  'kc:ceremony.cancel': CeremonyView | null;
  'kc:ceremony.unfinished': UnfinishedRun[];
  'kc:ceremony.reopen': CeremonyView;
  'kc:ceremony.abandon': CeremonyView;
  'kc:ceremony.close': { closed: boolean };
  'kc:ceremony.exportBundle': { folder: string; written: string[]; ok: boolean; problems: string[]; manifestSha256: string };
  'kc:ceremony.printable': { title: string; lines: string[] };
}

/** IPC area "ceremony": the engine runs in main; the UI answers its questions. */
import type { ErrorInfo } from '../../errors';
import { empty, fileText, PinSchema, questionId, serial } from '../common';
import { bool, literal, nullable, obj, opt, record, str, union, type Schema } from '../schema';

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
  | { id: string; kind: 'deviation'; step: string; check: { id: string; status: string; summary: string }; administrator: { id: string; name: string; role: string } }
  /** The share itself is not in the question: the screen fetches it with kc:ceremony.revealShare when its custodian asks. */
  | { id: string; kind: 'share-show'; custodian: string; custodianId: string; index: number; total: number }
  | { id: string; kind: 'share-enter'; custodian: string; custodianId: string; index: number };

export type CeremonyAnswer =
  | { kind: 'ack'; confirm: boolean }
  | { kind: 'pin'; pin: string | null }
  | { kind: 'deviation'; justification: string | null }
  | { kind: 'share-show'; received: true }
  | { kind: 'share-enter'; text: string };

export interface CeremonyView {
  status: 'running' | 'done' | 'failed';
  name: string;
  title: string;
  rehearsal: boolean;
  runDir: string;
  participants: { id: string; name: string; role: string }[];
  steps: { id: string; title: string; kind: string; instructions: string; status: 'pending' | 'running' | 'done' | 'skipped' | 'stopped'; summary?: string }[];
  current: number | null;
  /** What the engine says to the room (never PINs or shares). */
  log: string[];
  keys: { id: string; label: string; keyType: string; fingerprint: string; fingerprintWords: string; token: { label: string; serial?: string }; purpose?: string }[];
  acknowledgements: { step: string; ackId: string; by: string; statement: string }[];
  question: CeremonyQuestion | null;
  error?: ErrorInfo;
  result?: { bundleDir: string; archivePath: string; ok: boolean; problems: string[]; files: number; signedBy: { id: string; fingerprint: string }[]; manifestSha256: string };
}

export const ceremonyChannels = {
  'kc:ceremony.templates': empty,
  /** Start a run from a built-in template or an opened script; serials typed by the administrator; input files opened in the UI. */
  'kc:ceremony.start': obj({
    template: opt(str({ min: 1, max: 64, pattern: /^[a-z0-9-]+$/, what: 'a template name' })),
    scriptText: opt(str({ max: 1024 * 1024 })),
    serials: opt(record(serial, 32)),
    inputs: opt(record(fileText, 8)),
  }),
  'kc:ceremony.state': empty,
  'kc:ceremony.answer': obj({
    questionId,
    answer: union('kind', {
      ack: obj({ kind: literal('ack'), confirm: bool }),
      pin: obj({ kind: literal('pin'), pin: PinSchema }),
      deviation: obj({ kind: literal('deviation'), justification: nullable(str({ min: 1, max: 2000 })) }),
      'share-show': obj({ kind: literal('share-show'), received: literal(true) }),
      'share-enter': obj({ kind: literal('share-enter'), text: str({ min: 1, max: 4096 }) }),
    }),
  }),
  'kc:ceremony.resume': empty,
  /** The share of the open share-show question, once, when its custodian presses "Show". */
  'kc:ceremony.revealShare': obj({ questionId }),
  /** Save the PDF share sheet of the share being shown (main writes it; the renderer gets no file). */
  'kc:ceremony.shareSheet': obj({ questionId }),
  'kc:ceremony.cancel': empty,
} as const satisfies Record<string, Schema<unknown>>;

export interface CeremonyResponses {
  'kc:ceremony.templates': CeremonyTemplate[];
  'kc:ceremony.start': CeremonyView;
  'kc:ceremony.state': CeremonyView | null;
  'kc:ceremony.answer': CeremonyView;
  'kc:ceremony.resume': CeremonyView;
  'kc:ceremony.revealShare': { text: string };
  /** fileId: the written PDF, to remove with kc:files.shred once printed. */
  'kc:ceremony.shareSheet': { saved: boolean; name: string; fileId?: string };
  'kc:ceremony.cancel': CeremonyView | null;
}

/**
 * What a step kind is and what it gets to run (the engine implements the context). Its own module so
 * that step kinds and helpers (attestation.ts) do not import the engine that imports them.
 */
import type { SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import type { Schema } from '../../../shared/schema';
import type { Signer } from '../signer';
import type { TranscriptBody } from './transcript';
import type {
  CeremonyScript,
  CeremonyState,
  Clock,
  KeyRecord,
  KeySpec,
  Participant,
  Phase,
  PinSource,
  Prompter,
  Services,
  StepSpec,
  TokenRef,
  TokenSpec,
} from './types';
import type { KindInfo, ValidationIssue } from './validate';

export interface StepOutcome {
  summary: string;
  /** Transcript bodies for what happened (key generated, outputs written, ...). */
  entries: TranscriptBody[];
  /** Lines shown to the room before acknowledgements (fingerprints, hashes, check results). */
  shown: string[];
  /** How many of the first `shown` lines the step already said to the room itself. */
  alreadySaid?: number;
  skipped?: boolean;
}

/** What a step runs with; `P` is its params, typed by the kind's params schema (checked before the run). */
export interface StepContext<P = unknown> {
  script: CeremonyScript;
  step: StepSpec;
  params: P;
  state: Readonly<CeremonyState>;
  /** 1 on the first attempt of this step; more when it runs again after a stop or a crash. */
  attempt: number;
  services: Services;
  prompter: Prompter;
  clock: Clock;
  rehearsal: boolean;
  participant(id: string): Participant;
  administrator(): Participant;
  keySpec(id: string): KeySpec;
  tokenSpec(id: string): TokenSpec;
  tokenRef(tokenId: string): TokenRef;
  pin(tokenId: string): PinSource;
  /** Stable PKCS#11 CKA_ID for a script key in this run (hex). */
  keyIdHex(keyId: string): Promise<string>;
  recordKey(rec: KeyRecord): void;
  recordToken(tokenId: string, label: string, serial: string): void;
  writeOutput(path: string, bytes: Uint8Array, kind: string): Promise<string>;
  readOutput(path: string): Promise<Uint8Array>;
  /** Open a signer for a generated key (token session for the duration of fn). */
  withSigner<T>(keyId: string, fn: (s: Signer) => Promise<T>): Promise<T>;
  /** Several signers at once (nested sessions), keyed by script key id. */
  withSigners<T>(keyIds: string[], fn: (m: Map<string, Signer>) => Promise<T>): Promise<T>;
  /** Signers in request order; a key may appear twice with different algorithms (one session per token). */
  signersFor<T>(requests: { key: string; algorithm?: SignatureAlgorithm }[], fn: (signers: Signer[]) => Promise<T>): Promise<T>;
}

/**
 * A step kind: its params' shape as a schema (validated with the script, and its part of the
 * generated docs/ceremony.schema.json), the rules beyond the shape, and the run.
 */
export interface StepKind<P = unknown> extends KindInfo {
  kind: string;
  phase: Phase;
  summary: string;
  /** Services the kind calls; when one is missing, rehearsal records a skip and production stops. */
  needs?: (keyof Services)[];
  params: Schema<P>;
  validate?(params: P, script: CeremonyScript, path: string): ValidationIssue[];
  run(ctx: StepContext<P>): Promise<StepOutcome>;
}

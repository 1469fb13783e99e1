/**
 * Ceremony engine types: the declarative script, the journaled state, and the PORTS the engine
 * calls (tokens, TUF, backup, preflight, prompts, journal, output store). The engine is pure: every
 * effect goes through one of these interfaces; adapters live in electron/adapters and the CLI/UI
 * wire them in.
 */
import type { KeyType, SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import type { Signer } from '../signer';

// ---------------------------------------------------------------- script

export const PHASES = ['preflight', 'check-in', 'keygen', 'backup', 'signing', 'export', 'close'] as const;
export type Phase = (typeof PHASES)[number];

export const ROLES = ['administrator', 'custodian', 'witness'] as const;
export type Role = (typeof ROLES)[number];

export interface Participant {
  id: string;
  name: string;
  role: Role;
}

export interface TokenSpec {
  id: string;
  label: string;
  /** Expected serial (production); rehearsal tokens get fresh serials, recorded at check-in. */
  serial?: string;
  /** The custodian who holds the token (a participant id). */
  custodian?: string;
}

export interface KeySpec {
  id: string;
  /** Token id (from `tokens`). */
  token: string;
  /** PKCS#11 CKA_LABEL. */
  label: string;
  keyType: KeyType;
  /** 'backupable' keys can be wrapped for an m-of-n backup; default 'non-extractable'. */
  profile?: 'non-extractable' | 'backupable';
  /** What the key is for, e.g. "tuf:root", "tuf:targets", "cosign". Informational + used by steps. */
  purpose?: string;
  /**
   * A fixed key slot on tokens that have them (YubiKey PIV: "9c" is the signature slot; 9a, 9d, 9e,
   * 82-95). The module then names the key itself; `label` stays the script's name for it.
   */
  slot?: string;
}

export interface AckSpec {
  id: string;
  /** A participant id, or "role:<role>" meaning every participant with that role. */
  by: string;
  statement: string;
  /**
   * Production only: an answers file may give this acknowledgement for a witness or custodian.
   * Without it they must confirm at the screen (administrators may always be answered by file).
   */
  allowAnswersFile?: boolean;
}

/** The participants an acknowledgement asks: the one it names, or every holder of "role:<role>". */
export function participantsAsked(ack: Pick<AckSpec, 'by'>, participants: readonly Participant[]): Participant[] {
  if (ack.by.startsWith('role:')) return participants.filter((p) => p.role === ack.by.slice(5));
  return participants.filter((p) => p.id === ack.by);
}

/** Where an acknowledgement came from: a person at the screen, or an unattended answers file. */
export type AckSource = 'screen' | 'answers-file';

export interface StepSpec {
  id: string;
  kind: string;
  title?: string;
  /** Instructions read out to the room before the step runs. */
  instructions?: string;
  acknowledgements?: AckSpec[];
  /** Kind-specific parameters (validated by the step kind). */
  params?: Record<string, unknown>;
}

export interface CeremonyScript {
  $schema?: string;
  version: 1;
  name: string;
  title: string;
  description?: string;
  participants: Participant[];
  tokens: TokenSpec[];
  keys: KeySpec[];
  steps: StepSpec[];
}

// ---------------------------------------------------------------- ports

export type PinSource = () => Uint8Array | Promise<Uint8Array>;

export interface PresentToken {
  label: string;
  serial: string;
  manufacturer?: string;
  model?: string;
}

export interface TokenRef {
  label: string;
  serial?: string;
}

export interface GeneratedKey {
  label: string;
  idHex: string;
  keyType: KeyType;
  publicKeySpki: Uint8Array;
  /** SHA-256 hex of the SPKI. */
  fingerprint: string;
  created: boolean;
  /** PKCS#11 mechanism used (for the transcript), e.g. "CKM_EC_KEY_PAIR_GEN". */
  mechanism: string;
  /** Objects an interrupted earlier attempt left on the token and that were removed first (descriptions). */
  removedIncomplete?: string[];
}

/** The token layer as the engine needs it (adapter: electron/adapters/ceremony/token-service.ts). */
export interface TokenService {
  present(): Promise<PresentToken[]>;
  /** Idempotent: the same label+id already on the token returns it with created=false. */
  generateKey(
    token: TokenRef,
    spec: { label: string; idHex: string; keyType: KeyType; profile: 'non-extractable' | 'backupable'; slot?: string },
    pin: PinSource,
    /** Asked only by tokens that generate keys as security officer (YubiKey PIV: the management key). */
    soPin?: PinSource,
  ): Promise<GeneratedKey>;
  /** An existing key by label (and id when given), or null. */
  findKey(token: TokenRef, sel: { label: string; idHex?: string }, pin: PinSource): Promise<GeneratedKey | null>;
  /** Delete the key pair with this label and id (an abandoned run's key, with the custodian's consent). */
  destroyKey(token: TokenRef, sel: { label: string; idHex: string }, pin: PinSource): Promise<void>;
  /** Count of private keys with this label/id on the token (duplicate detection). */
  countKeys(token: TokenRef, sel: { label?: string; idHex?: string }, pin: PinSource): Promise<number>;
  /**
   * Signers for several keys at once, in the order given (one session per token, opened and logged
   * in for the duration of `fn`, then closed).
   */
  withSigners<T>(
    /** `algorithm`: sign with this one instead of the key type's default (same key twice is fine). */
    keys: { token: TokenRef; key: { label: string; idHex: string }; pin: PinSource; algorithm?: SignatureAlgorithm }[],
    fn: (signers: Signer[]) => Promise<T>,
  ): Promise<T>;
  /**
   * The key's hardware attestation certificates where the token's module exposes them (ykcs11: the
   * per-key attestation certificate and the slot f9 device certificate), else null.
   */
  attestation?(token: TokenRef, key: { label: string; idHex: string }, pin: PinSource): Promise<{ keyCert: Uint8Array; deviceCert: Uint8Array } | null>;
}

/** A public key as the TUF service needs it. */
export interface PublicKeyRef {
  keyId: string;
  keyType: KeyType;
  publicKeySpki: Uint8Array;
}

/** A named file a service produced (relative bundle path + bytes). */
export interface OutputFile {
  path: string;
  bytes: Uint8Array;
  /** Kind for the manifest ("metadata", "signature", "public-key", "certificate", "backup", ...). */
  kind: string;
}

/**
 * TUF operations (adapter over electron/core/tuf once it exists). Signing goes through
 * `signWith(keyId, fn)` which opens the right token session; the service never sees a PIN.
 */
export interface TufService {
  createRepository(input: {
    rootKeys: PublicKeyRef[];
    rootThreshold: number;
    onlineKeys: Record<'targets' | 'snapshot' | 'timestamp', PublicKeyRef[]>;
    thresholds?: Partial<Record<'targets' | 'snapshot' | 'timestamp', number>>;
    expires: Record<'root' | 'targets' | 'snapshot' | 'timestamp', string>;
    consistentSnapshot: boolean;
    flavor: 'tuf' | 'notary';
    gun?: string;
    signers: Map<string, Signer>;
  }): Promise<{ files: OutputFile[]; keyIds: Record<string, string>; summary: string }>;
  rotateRoot(input: {
    previousRoot: Uint8Array;
    newRootKeys: PublicKeyRef[];
    rootThreshold: number;
    expires: string;
    signers: Map<string, Signer>;
  }): Promise<{ files: OutputFile[]; keyIds: Record<string, string>; summary: string }>;
  delegate(input: {
    targets: Uint8Array;
    role: string;
    paths: string[];
    keys: PublicKeyRef[];
    threshold: number;
    expires: string;
    signers: Map<string, Signer>;
  }): Promise<{ files: OutputFile[]; keyIds: Record<string, string>; summary: string }>;
}

/** Facts about one share, safe for the transcript (never the share itself). */
export interface ShareReceipt {
  index: number;
  custodian: string;
  /** A check value/fingerprint of the share (not the share). */
  checkValue: string;
  verified: boolean;
}

/** What a recovery asks of the people present: any m shares of one set, in any order. */
export interface ShareGatherRequest {
  /** m: shares needed. */
  needed: number;
  /** n: shares in the set. */
  total: number;
  /** The set the backup file names (6 hex digits). */
  setId: string;
  /** Who may bring a share (participant ids of this ceremony). */
  custodians: string[];
  /** Who was given share i (index i-1), as the backup file records it. */
  holders: string[];
  /**
   * Check one typed share at once, given the indexes already entered: returns its index, or throws a
   * KeyceremonyError the person sees (a share of another set, a repeated share, a bad checksum).
   */
  check(text: Uint8Array, entered: number[]): { index: number };
}

/** One share given for a recovery (the bytes are zeroed by the service after use). */
export interface GatheredShare {
  custodian: string;
  text: Uint8Array;
}

/** Where shares go: to people (TTY/UI), never into the bundle or the transcript. */
export interface ShareSink {
  deliver(custodian: string, index: number, total: number, share: Uint8Array): Promise<void>;
  /** Ask the custodian to give the share back (proof it was recorded correctly). */
  collect(custodian: string, index: number): Promise<Uint8Array>;
  /**
   * Recovery: exactly `needed` checked shares from whoever is present, in any order. A sink may keep
   * what was entered (in memory only) so a retry of the same step does not ask again.
   */
  gather(req: ShareGatherRequest): Promise<GatheredShare[]>;
  /** The shares kept for a retry did not open the backup: drop (and zero) them. */
  forget?(): void;
}

/** m-of-n backup (adapter over electron/core/backup + electron/adapters/pkcs11/backup.ts). */
export interface BackupService {
  backupKey(input: {
    token: TokenRef;
    key: { label: string; idHex: string; fingerprint: string };
    pin: PinSource;
    /** The token's security-officer PIN: marks the session KEK trusted for 'backupable' keys. */
    soPin: PinSource;
    shares: number;
    threshold: number;
    /** Participant ids, share i to custodians[i-1] (the sink's routing). */
    custodians: string[];
    /**
     * How each custodian is written into the backup file and onto their share ("Name (id)"), so that a
     * recovery years later, by other people, still reads who holds share i. Default: the ids.
     */
    holders?: string[];
    sink: ShareSink;
  }): Promise<{ files: OutputFile[]; receipts: ShareReceipt[]; mechanism: string }>;
  restoreKey?(input: {
    backupFile: Uint8Array;
    token: TokenRef;
    pin: PinSource;
    custodians: string[];
    sink: ShareSink;
  }): Promise<{ key: GeneratedKey; receipts: ShareReceipt[] }>;
}

export interface NotaryService {
  rootCertificates(input: {
    gun: string;
    days: number;
    signers: Map<string, Signer>;
  }): Promise<{ files: OutputFile[]; keyIds: Record<string, string>; summary: string }>;
}

export type CheckStatus = 'pass' | 'warn' | 'fail';
export interface PreflightCheck {
  id: string;
  status: CheckStatus;
  summary: string;
  facts?: Record<string, string | number | boolean>;
}

export interface PreflightProbe {
  run(input: { expectTokens: TokenSpec[]; now: Date; expiries: Record<string, string> }): Promise<PreflightCheck[]>;
}

export interface Deviation {
  check: string;
  justification: string;
  by: string;
}

/** The people in the room (TTY prompts, the UI, or an answers file). */
export interface Prompter {
  say(line: string): void;
  /**
   * Whether `by` confirms `statement` after seeing `shown`, and from where. A bare boolean means a
   * person at the screen answered (the UI and TTY prompts); an answers file must say so.
   */
  acknowledge(req: { step: string; ack: AckSpec; by: Participant; shown: string[] }): Promise<boolean | { confirmed: boolean; source: AckSource }>;
  /** A justified deviation for a failed check (production only), or null to stop. */
  deviation(req: { step: string; check: PreflightCheck; administrator: Participant }): Promise<Deviation | null>;
  pin(token: TokenSpec): PinSource;
  soPin(token: TokenSpec): PinSource;
  shareSink(): ShareSink;
}

/** Crash-safe persistence of the engine state and the transcript. */
export interface Journal {
  loadState(): Promise<string | null>;
  /** Atomic replace (temp, fsync, rename, fsync dir). */
  saveState(text: string): Promise<void>;
  readTranscript(): Promise<string[]>;
  /** Append whole lines (each without '\n') and fsync. */
  appendTranscript(lines: string[]): Promise<void>;
}

/** Where outputs go: relative paths inside the bundle folder, atomic writes. */
export interface OutputStore {
  write(path: string, bytes: Uint8Array): Promise<void>;
  read(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  list(): Promise<string[]>;
}

export interface Clock {
  now(): Date;
}

export interface Services {
  tokens?: TokenService;
  tuf?: TufService;
  backup?: BackupService;
  preflight?: PreflightProbe;
  /** Input files named by the script (previous root, targets metadata), relative to the script. */
  inputs?: { read(path: string): Promise<Uint8Array> };
  /** Notary v1 / DCT: root certificates (CN = GUN) made and signed by the root keys on their tokens. */
  notary?: NotaryService;
}

// ---------------------------------------------------------------- state

export interface KeyRecord {
  id: string;
  label: string;
  idHex: string;
  keyType: KeyType;
  token: { id: string; label: string; serial?: string };
  spkiB64: string;
  fingerprint: string;
  purpose?: string;
}

export interface StepRecord {
  status: 'running' | 'done' | 'skipped';
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  summary?: string;
}

export interface CeremonyState {
  /** v2: transcript format keyceremony-transcript/v2 (v1 journals are refused, not continued). */
  format: 'keyceremony-state/v2';
  name: string;
  runId: string;
  rehearsal: boolean;
  scriptSha256: string;
  startedAt: string;
  steps: Record<string, StepRecord>;
  keys: Record<string, KeyRecord>;
  tokens: Record<string, { label: string; serial: string }>;
  /** Outputs written so far: bundle path -> {sha256, kind}. */
  outputs: Record<string, { sha256: string; kind: string }>;
  transcript: { count: number; head: string };
  /** Write-ahead: transcript lines committed in state but perhaps not yet appended. */
  pending: string[];
  sealed?: { manifestSha256: string; at: string };
  /** Abandoned: never resumed; the transcript's last entry says which keys the run made. */
  abandoned?: { at: string; by: string; reason: string; removed: string[]; left: string[] };
}

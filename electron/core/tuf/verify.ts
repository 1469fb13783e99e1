/**
 * Client-side TUF verification (spec "Detailed client workflow", #detailed-client-workflow, 5.2-5.6),
 * done the way a client does it, over files handed in by an injected reader (no fs here). One method
 * per spec step, as tuf-js's TrustedMetadataStore has them:
 *
 *   loadTrustedRoot   5.2  the trusted root, signed by a threshold of its own root keys
 *   updateRoot        5.3  N -> N+1 while N+1.root.json exists; the final root unexpired (5.3.10)
 *   updateTimestamp   5.4  threshold, rollback against trusted versions, expiry
 *   updateSnapshot    5.5  hashes/length as the timestamp says, threshold, version, rollback, expiry
 *   updateTargets     5.6  targets, then every delegated role, pre-order depth first (the order of
 *                          the 5.6.7 search), each role once, each checked against its delegator
 *
 * around one `verifyDelegate(delegator, role, loaded)`: the keys and threshold the delegator (root for
 * top-level roles, the delegating targets role otherwise) names for the role. The result is one
 * VerificationReport (shared/verification): items with codes, failures first, and per role the facts
 * an auditor reads (file, version, expiry, delegator, signers).
 */
import { KeyceremonyError, isKeyceremonyError, type ErrorCode } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json/strict';
import { canonicalBytes, canonicalSpan } from '../../../shared/json/canonical';
import { sha256, sha512 } from '../../../shared/crypto/webcrypto';
import { toHex, utf8 } from '../../../shared/encoding/bytes';
import {
  Root,
  Snapshot,
  Targets,
  Timestamp,
  readEnvelope,
  formatTufTime,
  type Envelope,
  type MetaFile,
  type TargetFile,
  type TopLevelRole,
} from '../../../shared/tuf/models';
import { checkThreshold, type ThresholdResult } from '../../../shared/tuf/threshold';
import type { TufKeyJSON } from '../../../shared/tuf/keys';
import { allBinNames, pathMatches, isDelegatedPath, binForTarget, isBinName } from '../../../shared/tuf/delegation';
import { metadataFileName } from '../../../shared/tuf/names';
import {
  VERIFICATION_REPORT_TYPE,
  addFailure,
  orderItems,
  verdictOf,
  failedSummary,
  type CheckCode,
  type ItemStatus,
  type RoleFact,
  type RoleKind,
  type SignerFact,
  type ThresholdFact,
  type TufFacts,
  type VerificationItem,
  type VerificationReport,
} from '../../../shared/verification/report';
import { flatTargetsAdvice } from './repo';

/** Supplies metadata file contents by name (e.g. "2.root.json", "timestamp.json"); undefined = absent. */
export interface MetadataReader {
  read(name: string): Promise<Uint8Array | undefined>;
  /** Every file name the source holds, when it can tell: lets the verifier say what it did not verify. */
  list?(): Promise<string[]>;
}

/** Size limits (bytes), defaults as tuf-js: root 512000, timestamp 16384, others 64 MiB here. */
export interface SizeLimits {
  root: number;
  timestamp: number;
  snapshot: number;
  targets: number;
}
export const DEFAULT_LIMITS: SizeLimits = { root: 512000, timestamp: 16384, snapshot: 64 << 20, targets: 64 << 20 };

export interface TrustedVersions {
  timestamp?: number;
  snapshot?: number;
  /** snapshot meta of the previously trusted snapshot: version per "<role>.json" */
  snapshotMeta?: Record<string, number>;
}

export interface VerifyOptions {
  /** The verification time (ms since epoch), fixed at start (spec 5.1). Default Date.now(). */
  now?: number;
  limits?: Partial<SizeLimits>;
  /** Versions trusted before this update: lower ones are a rollback (5.4.3, 5.5.5). */
  previous?: TrustedVersions;
  maxRootRotations?: number;
  /** Reader for target files (plain path or consistent `<hash>.<name>`), to check length and hashes. */
  targetFiles?: MetadataReader;
}

/** The report, plus the verified models for callers that continue (diff, status, target lookup). */
export interface TufVerification {
  report: VerificationReport & { tuf: TufFacts };
  /** The verified final root. */
  root?: Root;
  /** Every verified targets-family role by name (top-level "targets" included), in walk order. */
  targetRoles?: Map<string, Targets>;
}

/** A prefix keyceremony rehearsals put on every file they write (never production metadata). */
export const REHEARSAL_PREFIX = 'REHEARSAL-';

// ---------------------------------------------------------------------------------------------
// Loading and the one delegation check

export interface Loaded<T> {
  bytes: Uint8Array;
  env: Envelope;
  model: T;
  signedBytes: Uint8Array;
}

function parseFailure(e: unknown, name: string): unknown {
  return isKeyceremonyError(e) ? new KeyceremonyError(e.code, `${name}: ${e.message}`, { where: e.where ?? name, details: { check: 'role.parse' } }) : e;
}

/** The envelope of a metadata file, parsed strictly (integers only, no duplicate keys) within its size limit, and the bytes its signatures cover. */
function loadEnvelope(bytes: Uint8Array, name: string, limit: number): { env: Envelope; signedBytes: Uint8Array } {
  if (bytes.length > limit) {
    throw new KeyceremonyError('TOO_LARGE', `${name} is ${bytes.length} bytes, over the ${limit}-byte limit`, { where: name });
  }
  try {
    const doc = parseStrictJsonBytes(bytes, { source: name, maxBytes: limit, integersOnly: true });
    const env = readEnvelope(doc);
    const signedBytes = signedSpan(bytes, doc as Record<string, unknown>, env) ?? canonicalBytes(env.signedRaw, '$.signed', { assumeParsedOrder: true });
    return { env, signedBytes };
  } catch (e) {
    throw parseFailure(e, name);
  }
}

function modelOf<T>(env: Envelope, name: string, from: (v: unknown) => T): T {
  try {
    return from(env.signedRaw);
  } catch (e) {
    throw parseFailure(e, name);
  }
}

/** Parse a metadata file strictly (integers only, no duplicate keys), within its size limit. */
export function loadMetadata<T>(bytes: Uint8Array, name: string, limit: number, from: (v: unknown) => T): Loaded<T> {
  const { env, signedBytes } = loadEnvelope(bytes, name, limit);
  return { bytes, env, model: modelOf(env, name, from), signedBytes };
}

/** Files past this size have their signatures checked (on the thread pool) while the model is read. */
const OVERLAP_OVER = 1 << 20;

/**
 * Load a targets-family file whose delegator is known, counting its signatures while its model is
 * read: WebCrypto hashes and verifies off the main thread, so a 12 MB targets file's signature costs
 * no wall time next to validating 100,000 entries. Nothing in the model is used before the count is in.
 */
async function loadDelegated<T>(
  bytes: Uint8Array,
  name: string,
  limit: number,
  from: (v: unknown) => T,
  delegator: Delegator,
  role: string,
): Promise<{ loaded: Loaded<T>; check: DelegateCheck }> {
  const { env, signedBytes } = loadEnvelope(bytes, name, limit);
  const pending = verifyDelegate(delegator, role, { env, signedBytes });
  pending.catch(() => undefined); // awaited below; a model fault must not leave it unhandled
  if (bytes.length > OVERLAP_OVER) await new Promise<void>((resolve) => setTimeout(resolve, 0)); // let the verify job reach the thread pool
  const model = modelOf(env, name, from);
  return { loaded: { bytes, env, model, signedBytes }, check: await pending };
}

/**
 * The bytes of `signed` in the file, when the file is `{"signatures":[…],"signed":…}` written compactly
 * and `signed` is already canonical JSON (large files we write are): what the signatures cover, without
 * serialising 100,000 targets again. Undefined for any other layout (the caller canonicalises).
 */
function signedSpan(bytes: Uint8Array, doc: Record<string, unknown>, env: Envelope): Uint8Array | undefined {
  if (bytes.length < 64 * 1024) return undefined; // small files: canonicalising is cheaper than checking
  const keys = Object.keys(doc);
  if (keys.length !== 2 || keys[0] !== 'signatures' || keys[1] !== 'signed') return undefined;
  const prefix = utf8(`{"signatures":${JSON.stringify(env.signatures)},"signed":`);
  if (prefix.length >= bytes.length) return undefined;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return undefined;
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
  if (bytes[end - 1] !== 0x7d) return undefined;
  return canonicalSpan(bytes, prefix.length, end - 1, env.signedRaw);
}

/** Who delegates a role: root for the top-level roles, a targets role for delegated ones. */
export interface Delegator {
  /** The delegating role ("root", "targets", "a"). */
  role: string;
  version: number;
  keys: Readonly<Record<string, TufKeyJSON>>;
  /** The keys and threshold it gives `role`; undefined when it does not delegate that role. */
  ruleFor(role: string): { keyids: readonly string[]; threshold: number } | undefined;
  /** "root v3 timestamp keys", "keys delegated by a" */
  describe(role: string): string;
}

export function rootDelegator(root: Root): Delegator {
  return {
    role: 'root',
    version: root.version,
    keys: root.keys,
    ruleFor: (role) => (role in root.roles ? root.roles[role as TopLevelRole] : undefined),
    describe: (role) => `root v${root.version} ${role} keys`,
  };
}

export function targetsDelegator(name: string, t: Targets): Delegator {
  const d = t.delegations;
  let byName: Map<string, { keyids: string[]; threshold: number }> | undefined;
  return {
    role: name,
    version: t.version,
    keys: d?.keys ?? {},
    ruleFor: (role) => {
      if (!d) return undefined;
      if (d.succinctRoles) return isBinName(d.succinctRoles, role) ? d.succinctRoles : undefined;
      byName ??= new Map((d.roles ?? []).map((r) => [r.name, r]));
      return byName.get(role);
    },
    describe: () => `keys delegated by ${name}`,
  };
}

export interface DelegateCheck {
  result: ThresholdResult;
  fact: ThresholdFact;
}

function signerFacts(keys: Readonly<Record<string, TufKeyJSON>>, r: ThresholdResult): SignerFact[] {
  return r.validKeyids.map((keyid, i) => {
    const owner = keys[keyid]?.['x-tuf-on-ci-keyowner'];
    return { keyid, fingerprint: r.fingerprints[i], ...(typeof owner === 'string' ? { name: owner } : {}) };
  });
}

/**
 * Count the signatures on `loaded` by the keys `delegator` names for `role` (tuf-js
 * `Metadata.verifyDelegate`). Never throws on bad signatures: the caller decides (root rotation needs
 * both the old and the new count before it fails).
 */
export async function verifyDelegate(delegator: Delegator, role: string, loaded: Pick<Loaded<unknown>, 'env' | 'signedBytes'>): Promise<DelegateCheck> {
  const rule = delegator.ruleFor(role);
  if (!rule) {
    throw new KeyceremonyError('NOT_FOUND', `${delegator.role} v${delegator.version} does not delegate ${role}`, {
      where: role,
      details: { check: 'role.signatures' },
    });
  }
  const result = await checkThreshold(loaded.signedBytes, loaded.env.signatures, rule.keyids, delegator.keys, rule.threshold);
  const fact: ThresholdFact = {
    delegator: delegator.role,
    delegatorVersion: delegator.version,
    description: delegator.describe(role),
    threshold: result.threshold,
    valid: result.valid,
    met: result.ok,
    signedBy: signerFacts(delegator.keys, result),
  };
  return { result, fact };
}

function thresholdText(f: ThresholdFact): string {
  return `signed by ${f.valid} of ${f.threshold} required ${f.description}`;
}

/** The code a threshold shortfall gets: unsupported key types are not bad signatures. */
function shortfallCode(r: ThresholdResult): ErrorCode {
  return r.valid + r.unsupported.length >= r.threshold && r.unsupported.length > 0 ? 'ALGORITHM_UNSUPPORTED' : 'THRESHOLD_NOT_MET';
}

function shortfallText(r: ThresholdResult): string {
  return r.unsupported.length ? ` (${r.unsupported.length} signature(s) by keys of an unsupported type not counted)` : '';
}

async function checkHashes(bytes: Uint8Array, expected: { length?: number; hashes?: Record<string, string> }, name: string): Promise<string[]> {
  const done: string[] = [];
  if (expected.length !== undefined) {
    if (bytes.length !== expected.length) {
      throw new KeyceremonyError('HASH_MISMATCH', `${name} is ${bytes.length} bytes, the referring metadata says ${expected.length}`, { where: name });
    }
    done.push(`length ${expected.length}`);
  }
  if (expected.hashes) {
    let known = 0;
    for (const [alg, want] of Object.entries(expected.hashes)) {
      const fn = alg === 'sha256' ? sha256 : alg === 'sha512' ? sha512 : undefined;
      if (!fn) continue;
      known++;
      const got = toHex(await fn(bytes));
      if (got !== want.toLowerCase()) throw new KeyceremonyError('HASH_MISMATCH', `${name}: ${alg} is ${got}, expected ${want}`, { where: name });
      done.push(alg);
    }
    if (known === 0) throw new KeyceremonyError('HASH_MISMATCH', `${name}: no supported hash algorithm (sha256/sha512) listed`, { where: name });
  }
  return done;
}

/** File names a client would fetch for a role: consistent snapshot first, then the plain name (URL-encoded role). */
function roleFileNames(role: string, version: number | undefined, consistent: boolean): string[] {
  const out: string[] = [];
  if (consistent && version !== undefined) out.push(metadataFileName(role, version));
  out.push(metadataFileName(role));
  if (!consistent && version !== undefined) out.push(metadataFileName(role, version));
  return out;
}

async function readFirst(reader: MetadataReader, names: string[]): Promise<{ name: string; bytes: Uint8Array } | undefined> {
  for (const n of names) {
    const b = await reader.read(n);
    if (b) return { name: n, bytes: b };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The report being built

/** A failure that stops verification, as the spec's client stops: the item's check rides along. */
function stop(check: CheckCode, code: ErrorCode, message: string, spec?: string): never {
  throw new KeyceremonyError(code, message, { where: check, details: { check, ...(spec ? { spec } : {}) } });
}

const PARSE_CODES: ReadonlySet<ErrorCode> = new Set(['INVALID_JSON', 'DUPLICATE_KEY', 'INVALID_METADATA', 'UNSUPPORTED_FORMAT', 'TOO_LARGE']);

class ReportBuilder {
  readonly items: VerificationItem[] = [];
  readonly roles: RoleFact[] = [];
  current: RoleFact | undefined;

  begin(role: string, kind: RoleKind, delegator?: string): RoleFact {
    const r: RoleFact = { role, kind, status: 'not checked', thresholds: [], notes: [], ...(delegator ? { delegator } : {}) };
    this.roles.push(r);
    this.current = r;
    return r;
  }

  item(status: ItemStatus, check: CheckCode, message: string, extra: Partial<VerificationItem> = {}): void {
    const r = this.current;
    this.items.push({ check, status, subject: r?.role ?? 'repository', ...(r?.file ? { file: r.file } : {}), message, ...extra });
  }

  pass(check: CheckCode, message: string, spec?: string): void {
    this.item('pass', check, message, spec ? { spec } : {});
  }

  /** Record a stopping failure on the current role. */
  failed(e: unknown): void {
    const r = this.current;
    let code: ErrorCode = 'INTERNAL';
    let check: CheckCode = 'role.present';
    let spec: string | undefined;
    const message = e instanceof Error ? e.message : String(e);
    if (isKeyceremonyError(e)) {
      code = e.code;
      const c = e.details?.check;
      check = typeof c === 'string' ? (c as CheckCode) : PARSE_CODES.has(code) ? 'role.parse' : 'role.present';
      if (typeof e.details?.spec === 'string') spec = e.details.spec;
    }
    if (r) r.status = 'failed';
    this.item('fail', check, message, { code, ...(spec ? { spec } : {}) });
  }
}

// ---------------------------------------------------------------------------------------------
// The client workflow, one method per spec step

class TufClientVerifier {
  readonly out = new ReportBuilder();
  readonly facts: TufFacts = { trustedRootVersion: 0, rootVersion: 0, rootChainOnly: false, targetCount: 0, targetFilesChecked: 0 };
  readonly targetRoles = new Map<string, Targets>();
  private readonly limits: SizeLimits;

  constructor(
    private readonly reader: MetadataReader,
    private readonly opts: VerifyOptions,
    private readonly now: number,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
  }

  /** 5.2: the trusted root must be signed by a threshold of its own root keys. */
  async loadTrustedRoot(bytes: Uint8Array): Promise<Loaded<Root>> {
    const fact = this.out.begin('root', 'root');
    fact.file = 'trusted root';
    const root = loadMetadata(bytes, 'trusted root', this.limits.root, (v) => Root.fromJSON(v));
    this.facts.trustedRootVersion = root.model.version;
    fact.version = root.model.version;
    const self = await verifyDelegate(rootDelegator(root.model), 'root', root);
    self.fact.description = `own keys of root v${root.model.version}`;
    fact.thresholds.push(self.fact);
    fact.notes.push(...self.result.notes.map((n) => `v${root.model.version}: ${n}`));
    const line = `trusted root v${root.model.version}: ${thresholdText(self.fact)}`;
    if (!self.result.ok) stop('trust.anchor', shortfallCode(self.result), line + shortfallText(self.result), '5.2');
    this.out.pass('trust.anchor', line, '5.2');
    return root;
  }

  /** 5.3: N+1 signed by a threshold of N and of itself, version exactly N+1; the final root unexpired. */
  async updateRoot(trusted: Loaded<Root>): Promise<Root> {
    const fact = this.out.current as RoleFact;
    let root = trusted;
    const maxRot = this.opts.maxRootRotations ?? 1024;
    for (let i = 0; i < maxRot; i++) {
      const n = root.model.version + 1;
      const name = metadataFileName('root', n);
      const bytes = await this.reader.read(name);
      if (!bytes) break;
      fact.file = name;
      const next = loadMetadata(bytes, name, this.limits.root, (v) => Root.fromJSON(v));
      const byOld = await verifyDelegate(rootDelegator(root.model), 'root', next);
      const byNew = await verifyDelegate(rootDelegator(next.model), 'root', next);
      byOld.fact.description = `old root v${root.model.version} keys`;
      byNew.fact.description = `new root v${n} keys`;
      const line = `v${n}: ${thresholdText(byOld.fact)}, ${thresholdText(byNew.fact)}`;
      fact.notes.push(...byNew.result.notes.map((x) => `v${n}: ${x}`));
      if (!byOld.result.ok) stop('root.update', shortfallCode(byOld.result), `${name} (5.3.4): ${line}${shortfallText(byOld.result)}`, '5.3.4');
      if (!byNew.result.ok) stop('root.update', shortfallCode(byNew.result), `${name} (5.3.5): ${line}${shortfallText(byNew.result)}`, '5.3.5');
      if (next.model.version !== n) stop('root.update', 'ROLLBACK', `${name} (5.3.5): holds version ${next.model.version}, expected exactly ${n}`, '5.3.5');
      fact.thresholds.push(byOld.fact, byNew.fact);
      this.out.pass('root.update', line, '5.3.4');
      root = next;
    }
    const R = root.model;
    this.facts.rootVersion = R.version;
    fact.version = R.version;
    fact.expires = R.expires;
    if (R.isExpired(this.now)) stop('root.expiry', 'EXPIRED', `root v${R.version} expired at ${R.expires} (checked at ${formatTufTime(this.now)})`, '5.3.10');
    this.out.pass('root.expiry', `root v${R.version} valid until ${R.expires}`, '5.3.10');
    fact.status = 'verified';
    return R;
  }

  /** 5.4: the timestamp, or undefined when there is none (the root chain was all there was to verify). */
  async updateTimestamp(root: Root): Promise<Timestamp | undefined> {
    const bytes = await this.reader.read('timestamp.json');
    if (!bytes) return undefined;
    const fact = this.out.begin('timestamp', 'timestamp', 'root');
    fact.file = 'timestamp.json';
    const ts = loadMetadata(bytes, 'timestamp.json', this.limits.timestamp, (v) => Timestamp.fromJSON(v));
    fact.version = ts.model.version;
    fact.expires = ts.model.expires;
    await this.checkSignatures(rootDelegator(root), 'timestamp', ts, '5.4.2');
    const prev = this.opts.previous ?? {};
    if (prev.timestamp !== undefined && ts.model.version < prev.timestamp) {
      stop('role.rollback', 'ROLLBACK', `timestamp v${ts.model.version} is older than the trusted v${prev.timestamp} (5.4.3)`, '5.4.3');
    }
    if (prev.snapshot !== undefined && ts.model.snapshotMeta.version < prev.snapshot) {
      stop(
        'role.rollback',
        'ROLLBACK',
        `timestamp lists snapshot v${ts.model.snapshotMeta.version}, older than the trusted v${prev.snapshot} (5.4.4)`,
        '5.4.4',
      );
    }
    if (prev.timestamp !== undefined || prev.snapshot !== undefined) this.out.pass('role.rollback', 'not older than the trusted versions', '5.4.3');
    this.checkExpiry('timestamp', ts.model, '5.4.5');
    fact.status = 'verified';
    return ts.model;
  }

  /** 5.5: the snapshot the timestamp names. */
  async updateSnapshot(root: Root, ts: Timestamp): Promise<Snapshot> {
    const fact = this.out.begin('snapshot', 'snapshot', 'root');
    const sm = ts.snapshotMeta;
    const consistent = root.consistentSnapshot === true;
    const names = roleFileNames('snapshot', sm.version, consistent);
    const f = await readFirst(this.reader, names);
    if (!f) stop('role.present', 'NOT_FOUND', `snapshot v${sm.version} is missing (${names.join(' or ')})`, '5.5.1');
    fact.file = f.name;
    await this.hashes(f.bytes, sm, f.name, 'timestamp', '5.5.2');
    const sn = loadMetadata(f.bytes, f.name, this.limits.snapshot, (v) => Snapshot.fromJSON(v));
    fact.version = sn.model.version;
    fact.expires = sn.model.expires;
    await this.checkSignatures(rootDelegator(root), 'snapshot', sn, '5.5.3');
    if (sn.model.version !== sm.version) stop('role.version', 'ROLLBACK', `snapshot is v${sn.model.version}, timestamp says v${sm.version} (5.5.4)`, '5.5.4');
    this.out.pass('role.version', `version ${sm.version} as the timestamp says`, '5.5.4');
    const prevMeta = this.opts.previous?.snapshotMeta ?? {};
    for (const [k, v] of Object.entries(prevMeta)) {
      const m = sn.model.meta[k];
      if (!m) stop('role.rollback', 'ROLLBACK', `snapshot no longer lists ${k} (5.5.5)`, '5.5.5');
      if (m.version < v) stop('role.rollback', 'ROLLBACK', `snapshot lists ${k} v${m.version}, older than the trusted v${v} (5.5.5)`, '5.5.5');
    }
    if (Object.keys(prevMeta).length) this.out.pass('role.rollback', 'no role older than the trusted snapshot listed', '5.5.5');
    this.checkExpiry('snapshot', sn.model, '5.5.6');
    fact.status = 'verified';
    return sn.model;
  }

  /**
   * 5.6: targets, then the delegation tree pre-order depth first (targets -> a -> c before b, the order
   * of the 5.6.7 search), each role once; a role is checked against the role that delegates it.
   */
  async updateTargets(root: Root, sn: Snapshot): Promise<void> {
    const consistent = root.consistentSnapshot === true;
    const top = await this.loadTargetsRole('targets', 'targets', rootDelegator(root), sn, consistent);
    const stack: { name: string; parent: string; delegator: Delegator }[] = [];
    const pushChildren = (name: string, t: Targets) => {
      const d = t.delegations;
      if (!d) return;
      const delegator = targetsDelegator(name, t);
      const children = d.roles ? d.roles.map((r) => r.name) : d.succinctRoles ? allBinNames(d.succinctRoles) : [];
      for (let i = children.length - 1; i >= 0; i--) stack.push({ name: children[i]!, parent: name, delegator });
    };
    pushChildren('targets', top);
    while (stack.length) {
      const c = stack.pop()!;
      if (this.targetRoles.has(c.name)) continue;
      const t = await this.loadTargetsRole(c.name, 'delegated', c.delegator, sn, consistent);
      const parent = this.targetRoles.get(c.parent);
      const paths = parent?.delegations?.roles?.find((r) => r.name === c.name)?.paths;
      if (paths) {
        const outside = Object.keys(t.targets).filter((p) => !paths.some((pat) => pathMatches(pat, p)));
        if (outside.length) {
          this.out.item(
            'warn',
            'role.paths',
            `${outside.length} target(s) outside the paths ${c.parent} delegates to ${c.name} (a client ignores them): ${outside.slice(0, 3).join(', ')}`,
          );
        }
      }
      pushChildren(c.name, t);
    }
  }

  /** 5.6.1-5.6.5 for one targets-family role. */
  private async loadTargetsRole(name: string, kind: RoleKind, delegator: Delegator, sn: Snapshot, consistent: boolean): Promise<Targets> {
    const fact = this.out.begin(name, kind, delegator.role);
    const meta: MetaFile | undefined = sn.meta[`${name}.json`];
    if (!meta) stop('role.present', 'NOT_FOUND', `snapshot does not list ${name}.json`, '5.6.1');
    const names = roleFileNames(name, meta.version, consistent);
    const f = await readFirst(this.reader, names);
    if (!f) stop('role.present', 'NOT_FOUND', `${name} v${meta.version} is missing (${names[0]})`, '5.6.1');
    fact.file = f.name;
    const { loaded: t, check } = await this.afterHashes(f.bytes, meta, f.name, 'snapshot', '5.6.2', () =>
      loadDelegated(f.bytes, f.name, this.limits.targets, (v) => Targets.fromJSON(v), delegator, name),
    );
    fact.version = t.model.version;
    fact.expires = t.model.expires;
    await this.checkSignatures(delegator, name, t, '5.6.3', check);
    if (t.model.version !== meta.version) stop('role.version', 'ROLLBACK', `${name} is v${t.model.version}, snapshot says v${meta.version} (5.6.4)`, '5.6.4');
    this.out.pass('role.version', `version ${meta.version} as the snapshot says`, '5.6.4');
    this.checkExpiry(name, t.model, '5.6.5');
    const n = t.model.parsedTargetCount ?? Object.keys(t.model.targets).length;
    fact.targets = n;
    this.facts.targetCount += n;
    const advice = flatTargetsAdvice(n);
    if (advice) this.out.item('warn', 'role.advice', advice);
    if (this.opts.targetFiles) await this.checkTargetFiles(t.model, this.opts.targetFiles, consistent);
    fact.status = 'verified';
    this.targetRoles.set(name, t.model);
    return t.model;
  }

  private async checkSignatures(delegator: Delegator, role: string, loaded: Loaded<{ version: number }>, spec: string, counted?: DelegateCheck): Promise<void> {
    const fact = this.out.current as RoleFact;
    const { result, fact: th } = counted ?? (await verifyDelegate(delegator, role, loaded));
    fact.thresholds.push(th);
    fact.notes.push(...result.notes);
    if (!result.ok) stop('role.signatures', shortfallCode(result), `${role} v${loaded.model.version}: ${thresholdText(th)}${shortfallText(result)}`, spec);
    this.out.pass('role.signatures', thresholdText(th), spec);
  }

  private async hashes(
    bytes: Uint8Array,
    meta: { length?: number; hashes?: Record<string, string> },
    name: string,
    referrer: string,
    spec: string,
  ): Promise<void> {
    let done: string[];
    try {
      done = await checkHashes(bytes, meta, name);
    } catch (e) {
      if (isKeyceremonyError(e)) stop('role.hashes', e.code, e.message, spec);
      throw e;
    }
    if (done.length) this.out.pass('role.hashes', `matches ${referrer}: ${done.join(', ')}`, spec);
  }

  /**
   * `hashes` (5.6.2), then `next` (parse, model, signatures: 5.6.3 on): a large file's hashes are taken
   * on the thread pool while `next` parses it, and nothing `next` produced is used, nor its failure
   * reported, before the hashes matched. A wrong length is known at once: nothing is parsed then.
   */
  private async afterHashes<T>(
    bytes: Uint8Array,
    meta: { length?: number; hashes?: Record<string, string> },
    name: string,
    referrer: string,
    spec: string,
    next: () => Promise<T>,
  ): Promise<T> {
    if (bytes.length < OVERLAP_OVER || (meta.length !== undefined && meta.length !== bytes.length) || !meta.hashes) {
      await this.hashes(bytes, meta, name, referrer, spec);
      return next();
    }
    const hashed = this.hashes(bytes, meta, name, referrer, spec);
    hashed.catch(() => undefined); // awaited below, before anything else
    let out: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      out = { ok: true, value: await next() };
    } catch (e) {
      out = { ok: false, error: e };
    }
    await hashed;
    if (!out.ok) throw out.error;
    return out.value;
  }

  private checkExpiry(name: string, m: { version: number; expires: string; isExpired(now: number): boolean }, spec: string): void {
    if (m.isExpired(this.now)) stop('role.expiry', 'EXPIRED', `${name} v${m.version} expired at ${m.expires} (${spec})`, spec);
    this.out.pass('role.expiry', `valid until ${m.expires}`, spec);
  }

  private async checkTargetFiles(t: Targets, files: MetadataReader, consistent: boolean): Promise<void> {
    let checked = 0;
    for (const [path, tf] of Object.entries(t.targets) as [string, TargetFile][]) {
      const slash = path.lastIndexOf('/');
      const dir = path.slice(0, slash + 1);
      const base = path.slice(slash + 1);
      const names = [path];
      if (consistent) for (const h of Object.values(tf.hashes)) names.unshift(`${dir}${h}.${base}`);
      const f = await readFirst(files, names);
      if (!f) continue;
      try {
        await checkHashes(f.bytes, tf, `target ${path}`);
      } catch (e) {
        if (isKeyceremonyError(e)) stop('target.files', e.code, e.message);
        throw e;
      }
      checked++;
    }
    if (checked) this.out.pass('target.files', `${checked} target file${checked === 1 ? ' matches' : 's match'} length and hashes`);
    this.facts.targetFilesChecked += checked;
  }
}

// ---------------------------------------------------------------------------------------------
// Scope: what the folder holds that the client workflow would not read

const ROOT_FILE = /^(\d+\.)?root\.json$/;

/**
 * A folder of rehearsal output names every file `REHEARSAL-…`: read it under the plain names (and say
 * so), rather than finding no timestamp.json and verifying only the root chain.
 */
async function rehearsalAware(reader: MetadataReader): Promise<{ reader: MetadataReader; rehearsal: boolean; names?: string[] }> {
  if (!reader.list) return { reader, rehearsal: false };
  const names = await reader.list();
  const plain = names.filter((n) => !n.startsWith(REHEARSAL_PREFIX) && n.endsWith('.json'));
  const prefixed = names.filter((n) => n.startsWith(REHEARSAL_PREFIX) && n.endsWith('.json'));
  if (prefixed.length === 0 || plain.length > 0) return { reader, rehearsal: false, names };
  return {
    reader: { read: (n) => reader.read(REHEARSAL_PREFIX + n), list: async () => prefixed.map((n) => n.slice(REHEARSAL_PREFIX.length)) },
    rehearsal: true,
    names: prefixed.map((n) => n.slice(REHEARSAL_PREFIX.length)),
  };
}

// ---------------------------------------------------------------------------------------------

/** Verify a TUF repository from a trusted root (spec 5.2-5.6). Never throws on bad metadata: it reports. */
export async function verifyRepository(trustedRootBytes: Uint8Array, source: MetadataReader, opts: VerifyOptions = {}): Promise<TufVerification> {
  const now = opts.now ?? Date.now();
  const { reader, rehearsal, names } = await rehearsalAware(source);
  const v = new TufClientVerifier(reader, opts, now);
  const out = v.out;
  let complete = false;
  let root: Root | undefined;
  const reached = new Set<string>();
  if (rehearsal) {
    out.item(
      'warn',
      'scope',
      `rehearsal metadata: every file is named ${REHEARSAL_PREFIX}…; verified under the plain names, as written by a rehearsal (never production trust)`,
      { subject: 'repository' },
    );
  }
  try {
    reached.add('root');
    const trusted = await v.loadTrustedRoot(trustedRootBytes);
    root = await v.updateRoot(trusted);
    reached.add('timestamp');
    const ts = await v.updateTimestamp(root);
    if (!ts) {
      const others = (names ?? []).filter((n) => n.endsWith('.json') && !ROOT_FILE.test(n));
      out.current = undefined;
      if (others.length) {
        stop(
          'scope',
          'NOT_FOUND',
          `timestamp.json is missing, but the folder holds ${others.slice(0, 4).join(', ')}${others.length > 4 ? ` and ${others.length - 4} more` : ''}: a client starts at timestamp.json, so none of them could be verified`,
          '5.4.1',
        );
      }
      v.facts.rootChainOnly = true;
      out.item(
        'warn',
        'scope',
        `only root metadata here (no timestamp.json): the root chain v${v.facts.trustedRootVersion} -> v${v.facts.rootVersion} is verified; timestamp, snapshot and targets are not`,
        { subject: 'repository' },
      );
    } else {
      reached.add('snapshot');
      const sn = await v.updateSnapshot(root, ts);
      reached.add('targets');
      await v.updateTargets(root, sn);
      complete = true;
    }
  } catch (e) {
    out.failed(e);
  }
  for (const r of ['timestamp', 'snapshot', 'targets']) {
    if (!reached.has(r) && !v.facts.rootChainOnly) out.item('skip', 'scope', `${r}: not checked, verification stopped at an earlier step`, { subject: r });
  }
  const items = orderItems(out.items);
  const verdict = verdictOf(items, complete);
  const report: VerificationReport & { tuf: TufFacts } = {
    type: VERIFICATION_REPORT_TYPE,
    kind: 'tuf',
    verdict,
    ok: verdict !== 'failed',
    evaluatedAt: new Date(now).toISOString(),
    subject: 'TUF repository',
    rehearsal,
    summary: '',
    items,
    roles: out.roles,
    tuf: v.facts,
  };
  const at = report.evaluatedAt;
  const f = v.facts;
  report.summary =
    verdict === 'failed'
      ? failedSummary(report)
      : verdict === 'partial'
        ? `PARTIAL at ${at}: root v${f.trustedRootVersion} -> v${f.rootVersion} verified (root chain only: no timestamp.json, so timestamp, snapshot and targets were not verified)`
        : `VERIFIED at ${at}: root v${f.trustedRootVersion} -> v${f.rootVersion}, ${f.targetCount} targets${rehearsal ? ' (REHEARSAL metadata)' : ''}`;
  return { report, ...(root && verdict !== 'failed' ? { root } : {}), ...(verdict === 'verified' ? { targetRoles: v.targetRoles } : {}) };
}

/**
 * Client-side target lookup (spec 5.6.7, as tuf-js/python-tuf do it): pre-order depth-first search
 * from the top-level targets through delegations whose paths, hash prefixes or bins cover `target`,
 * each role once, at most `maxDelegations` roles, a terminating delegation cutting off the rest.
 */
export async function findTarget(
  roles: ReadonlyMap<string, Targets>,
  target: string,
  maxDelegations = 32,
): Promise<{ role: string; info: TargetFile; path: string[] } | undefined> {
  const stack: { name: string; path: string[] }[] = [{ name: 'targets', path: ['targets'] }];
  const visited = new Set<string>();
  while (stack.length > 0 && visited.size <= maxDelegations) {
    const { name, path } = stack.pop()!;
    if (visited.has(name)) continue;
    const t = roles.get(name);
    if (!t) continue;
    const info = Object.prototype.hasOwnProperty.call(t.targets, target) ? t.targets[target] : undefined;
    if (info) return { role: name, info, path };
    visited.add(name);
    const d = t.delegations;
    if (!d) continue;
    const children: { name: string; path: string[] }[] = [];
    if (d.roles) {
      for (const r of d.roles) {
        if (!(await isDelegatedPath(r, target))) continue;
        children.push({ name: r.name, path: [...path, r.name] });
        if (r.terminating) {
          stack.length = 0;
          break;
        }
      }
    } else if (d.succinctRoles) {
      const bin = await binForTarget(d.succinctRoles, target);
      children.push({ name: bin, path: [...path, bin] });
    }
    stack.push(...children.reverse());
  }
  return undefined;
}

/**
 * Look targets up in a verified repository the way a client searches (5.6.7) and record each lookup in
 * the report: found = a pass item; not found (or metadata that did not verify) = a failing item.
 */
export async function lookupTargets(
  v: TufVerification,
  targets: readonly string[],
): Promise<(NonNullable<TufFacts['lookups']>[number] & { searched: boolean })[]> {
  const r = v.report;
  const searched = r.ok && v.targetRoles !== undefined;
  const out: (NonNullable<TufFacts['lookups']>[number] & { searched: boolean })[] = [];
  for (const t of targets) {
    const hit = searched ? await findTarget(v.targetRoles!, t) : undefined;
    out.push(
      hit ? { target: t, role: hit.role, delegationPath: hit.path, length: hit.info.length, hashes: hit.info.hashes, searched } : { target: t, searched },
    );
  }
  if (!out.length) return out;
  r.tuf.lookups = out.map(({ searched: _s, ...l }) => l);
  const found = out.filter((l) => l.role);
  r.items = orderItems([
    ...r.items,
    ...found.map((l): VerificationItem => ({
      check: 'target.lookup',
      status: 'pass',
      subject: l.role!,
      message: `target ${l.target}: found in ${l.role} (${l.delegationPath!.join(' -> ')})`,
      spec: '5.6.7',
    })),
  ]);
  for (const l of out) {
    if (l.role) continue;
    addFailure(r, {
      check: 'target.lookup',
      subject: l.target,
      code: 'NOT_FOUND',
      message: `target ${l.target}: NOT FOUND${searched ? ' in any role a client would search' : ' (metadata did not verify)'}`,
      spec: '5.6.7',
    });
  }
  return out;
}

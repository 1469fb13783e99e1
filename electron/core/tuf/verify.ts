/**
 * Client-side TUF verification (spec "Detailed client workflow", #detailed-client-workflow, 5.2-5.6),
 * done the way a client would do it, over files handed in by an injected reader (no fs here).
 *
 * From a trusted root: the root chain N -> N+1 (5.3), expiry of the final root only (5.3.10),
 * timestamp (5.4) -> snapshot (5.5) -> targets (5.6) with hashes, lengths and versions, rollback
 * against previously trusted versions when given, and the whole delegation tree (5.6.7, including TAP 15
 * hash bins). Every role gets a human report: what verified, what did not and why.
 */
import { KeyceremonyError, isKeyceremonyError, type ErrorCode } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json/strict';
import { canonicalBytes } from '../../../shared/json/canonical';
import { sha256, sha512 } from '../../../shared/crypto/webcrypto';
import { toHex } from '../../../shared/encoding/bytes';
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
import { allBinNames, pathMatches, isDelegatedPath, binForTarget } from '../../../shared/tuf/delegation';
import { flatTargetsAdvice } from './repo';

/** Supplies metadata file contents by name (e.g. "2.root.json", "timestamp.json"); undefined = absent. */
export interface MetadataReader {
  read(name: string): Promise<Uint8Array | undefined>;
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

export type RoleStatus = 'verified' | 'failed' | 'not checked';

export interface RoleReport {
  role: string;
  file?: string;
  version?: number;
  expires?: string;
  status: RoleStatus;
  verified: string[];
  problems: string[];
  notes: string[];
}

export interface VerifyFailure {
  code: ErrorCode;
  role: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  at: string;
  trustedRootVersion: number;
  rootVersion: number;
  /** true when the directory had no timestamp.json: only the root chain was verified. */
  rootChainOnly: boolean;
  roles: RoleReport[];
  failures: VerifyFailure[];
  targetCount: number;
  targetFilesChecked: number;
  /** The verified final root and top-level targets, for callers that continue (diff, status). */
  root?: Root;
  targets?: Targets;
  /** Every verified targets-family role by name (top-level "targets" included). */
  targetRoles?: Map<string, Targets>;
}

function fail(code: ErrorCode, msg: string): never {
  throw new KeyceremonyError(code, msg);
}

interface Loaded<T> {
  bytes: Uint8Array;
  env: Envelope;
  model: T;
  signedBytes: Uint8Array;
}

function parse<T>(bytes: Uint8Array, name: string, limit: number, from: (v: unknown) => T): Loaded<T> {
  if (bytes.length > limit) throw new KeyceremonyError('TOO_LARGE', `${name} is ${bytes.length} bytes, over the ${limit}-byte limit`);
  try {
    const env = readEnvelope(parseStrictJsonBytes(bytes, { source: name, maxBytes: limit }));
    const model = from(env.signedRaw);
    return { bytes, env, model, signedBytes: canonicalBytes(env.signedRaw, '$.signed', { assumeParsedOrder: true }) };
  } catch (e) {
    if (isKeyceremonyError(e)) throw new KeyceremonyError(e.code, `${name}: ${e.message}`);
    throw e;
  }
}

function describeThreshold(r: ThresholdResult, who: string): string {
  return `signed by ${r.valid} of ${r.threshold} required ${who} keys`;
}

async function checkHashes(
  bytes: Uint8Array,
  expected: { length?: number; hashes?: Record<string, string> },
  name: string,
): Promise<string[]> {
  const done: string[] = [];
  if (expected.length !== undefined) {
    if (bytes.length !== expected.length) {
      throw new KeyceremonyError('HASH_MISMATCH', `${name} is ${bytes.length} bytes, the referring metadata says ${expected.length}`);
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
      if (got !== want.toLowerCase()) throw new KeyceremonyError('HASH_MISMATCH', `${name}: ${alg} is ${got}, expected ${want}`);
      done.push(alg);
    }
    if (known === 0) throw new KeyceremonyError('HASH_MISMATCH', `${name}: no supported hash algorithm (sha256/sha512) listed`);
  }
  return done;
}

/** File names a client would fetch for a role (consistent snapshot first, then the plain name). */
function roleFileNames(role: string, version: number | undefined, consistent: boolean): string[] {
  const bases = [role];
  const enc = encodeURIComponent(role);
  if (enc !== role) bases.push(enc);
  const out: string[] = [];
  for (const b of bases) {
    if (consistent && version !== undefined) out.push(`${version}.${b}.json`);
    out.push(`${b}.json`);
    if (!consistent && version !== undefined) out.push(`${version}.${b}.json`);
  }
  return out;
}

async function readFirst(reader: MetadataReader, names: string[]): Promise<{ name: string; bytes: Uint8Array } | undefined> {
  for (const n of names) {
    const b = await reader.read(n);
    if (b) return { name: n, bytes: b };
  }
  return undefined;
}

export async function verifyRepository(
  trustedRootBytes: Uint8Array,
  reader: MetadataReader,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const now = opts.now ?? Date.now();
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const report: VerifyReport = {
    ok: false,
    at: new Date(now).toISOString(),
    trustedRootVersion: 0,
    rootVersion: 0,
    rootChainOnly: false,
    roles: [],
    failures: [],
    targetCount: 0,
    targetFilesChecked: 0,
  };
  const role = (name: string): RoleReport => {
    const r: RoleReport = { role: name, status: 'not checked', verified: [], problems: [], notes: [] };
    report.roles.push(r);
    return r;
  };
  let current: RoleReport = role('root');

  try {
    // 5.2 load the trusted root; it must be signed by a threshold of its own keys
    current.file = 'trusted root';
    let root = parse(trustedRootBytes, 'trusted root', limits.root, (v) => Root.fromJSON(v));
    report.trustedRootVersion = root.model.version;
    const self = await checkThreshold(
      root.signedBytes,
      root.env.signatures,
      root.model.roles.root.keyids,
      root.model.keys,
      root.model.roles.root.threshold,
    );
    current.notes.push(...self.notes.map((n) => `v${root.model.version}: ${n}`));
    if (!self.ok) fail('THRESHOLD_NOT_MET', `trusted root v${root.model.version}: ${describeThreshold(self, 'own root')}`);
    current.verified.push(`trusted root v${root.model.version}: ${describeThreshold(self, 'own root')}`);

    // 5.3 update the root role: N+1 signed by a threshold of N and of itself, version exactly N+1
    const maxRot = opts.maxRootRotations ?? 1024;
    for (let i = 0; i < maxRot; i++) {
      const n = root.model.version + 1;
      const name = `${n}.root.json`;
      const bytes = await reader.read(name);
      if (!bytes) break;
      const next = parse(bytes, name, limits.root, (v) => Root.fromJSON(v));
      const byOld = await checkThreshold(
        next.signedBytes,
        next.env.signatures,
        root.model.roles.root.keyids,
        root.model.keys,
        root.model.roles.root.threshold,
      );
      const byNew = await checkThreshold(
        next.signedBytes,
        next.env.signatures,
        next.model.roles.root.keyids,
        next.model.keys,
        next.model.roles.root.threshold,
      );
      const line = `v${n}: ${describeThreshold(byOld, `v${root.model.version}`)}, ${describeThreshold(byNew, `v${n}`)}`;
      current.notes.push(...byNew.notes.map((x) => `v${n}: ${x}`));
      if (!byOld.ok) fail('THRESHOLD_NOT_MET', `${name} (5.3.4): ${line}`);
      if (!byNew.ok) fail('THRESHOLD_NOT_MET', `${name} (5.3.5): ${line}`);
      if (next.model.version !== n) {
        fail('ROLLBACK', `${name} (5.3.5): holds version ${next.model.version}, expected exactly ${n}`);
      }
      current.verified.push(line);
      current.file = name;
      root = next;
    }
    report.rootVersion = root.model.version;
    current.version = root.model.version;
    current.expires = root.model.expires;
    // 5.3.10 only the final root must be unexpired
    if (root.model.isExpired(now)) {
      fail('EXPIRED', `root v${root.model.version} expired at ${root.model.expires} (checked at ${formatTufTime(now)})`);
    }
    current.verified.push(`root v${root.model.version} valid until ${root.model.expires}`);
    current.status = 'verified';
    report.root = root.model;
    const R = root.model;
    const consistent = R.consistentSnapshot === true;

    // 5.4 timestamp
    current = role('timestamp');
    const tsBytes = await reader.read('timestamp.json');
    if (!tsBytes) {
      report.rootChainOnly = true;
      report.roles.pop();
      report.ok = true;
      return report;
    }
    current.file = 'timestamp.json';
    const ts = parse(tsBytes, 'timestamp.json', limits.timestamp, (v) => Timestamp.fromJSON(v));
    current.version = ts.model.version;
    current.expires = ts.model.expires;
    await topLevelThreshold(ts, 'timestamp', R, current);
    const prev = opts.previous ?? {};
    if (prev.timestamp !== undefined && ts.model.version < prev.timestamp) {
      fail('ROLLBACK', `timestamp v${ts.model.version} is older than the trusted v${prev.timestamp} (5.4.3)`);
    }
    if (prev.snapshot !== undefined && ts.model.snapshotMeta.version < prev.snapshot) {
      fail('ROLLBACK', `timestamp lists snapshot v${ts.model.snapshotMeta.version}, older than the trusted v${prev.snapshot} (5.4.4)`);
    }
    if (ts.model.isExpired(now)) fail('EXPIRED', `timestamp v${ts.model.version} expired at ${ts.model.expires} (5.4.5)`);
    current.verified.push(`valid until ${ts.model.expires}`);
    current.status = 'verified';

    // 5.5 snapshot
    current = role('snapshot');
    const sm = ts.model.snapshotMeta;
    const snFile = await readFirst(reader, roleFileNames('snapshot', sm.version, consistent));
    if (!snFile) fail('NOT_FOUND', `snapshot v${sm.version} is missing (${roleFileNames('snapshot', sm.version, consistent).join(' or ')})`);
    current.file = snFile.name;
    const hashDone = await checkHashes(snFile.bytes, sm, snFile.name);
    if (hashDone.length) current.verified.push(`matches timestamp: ${hashDone.join(', ')}`);
    const sn = parse(snFile.bytes, snFile.name, limits.snapshot, (v) => Snapshot.fromJSON(v));
    current.version = sn.model.version;
    current.expires = sn.model.expires;
    await topLevelThreshold(sn, 'snapshot', R, current);
    if (sn.model.version !== sm.version) {
      fail('ROLLBACK', `snapshot is v${sn.model.version}, timestamp says v${sm.version} (5.5.4)`);
    }
    current.verified.push(`version ${sm.version} as the timestamp says`);
    for (const [k, v] of Object.entries(prev.snapshotMeta ?? {})) {
      const m = sn.model.meta[k];
      if (!m) fail('ROLLBACK', `snapshot no longer lists ${k} (5.5.5)`);
      if (m.version < v) fail('ROLLBACK', `snapshot lists ${k} v${m.version}, older than the trusted v${v} (5.5.5)`);
    }
    if (sn.model.isExpired(now)) fail('EXPIRED', `snapshot v${sn.model.version} expired at ${sn.model.expires} (5.5.6)`);
    current.verified.push(`valid until ${sn.model.expires}`);
    current.status = 'verified';

    // 5.6 targets, then the delegation tree (pre-order, each role once)
    const loadRole = async (
      name: string,
      keys: Record<string, TufKeyJSON>,
      keyids: string[],
      threshold: number,
      delegator: string,
    ): Promise<Loaded<Targets>> => {
      const meta: MetaFile | undefined = sn.model.meta[`${name}.json`];
      if (!meta) fail('NOT_FOUND', `snapshot does not list ${name}.json`);
      const names = roleFileNames(name, meta.version, consistent);
      const f = await readFirst(reader, names);
      if (!f) fail('NOT_FOUND', `${name} v${meta.version} is missing (${names[0]})`);
      current.file = f.name;
      const hd = await checkHashes(f.bytes, meta, f.name);
      if (hd.length) current.verified.push(`matches snapshot: ${hd.join(', ')}`);
      const t = parse(f.bytes, f.name, limits.targets, (v) => Targets.fromJSON(v));
      current.version = t.model.version;
      current.expires = t.model.expires;
      const th = await checkThreshold(t.signedBytes, t.env.signatures, keyids, keys, threshold);
      current.notes.push(...th.notes);
      if (!th.ok) fail('THRESHOLD_NOT_MET', `${name} v${t.model.version}: ${describeThreshold(th, delegator)}`);
      current.verified.push(describeThreshold(th, delegator));
      if (t.model.version !== meta.version) {
        fail('ROLLBACK', `${name} is v${t.model.version}, snapshot says v${meta.version} (5.6.4)`);
      }
      current.verified.push(`version ${meta.version} as the snapshot says`);
      if (t.model.isExpired(now)) fail('EXPIRED', `${name} v${t.model.version} expired at ${t.model.expires} (5.6.5)`);
      current.verified.push(`valid until ${t.model.expires}`);
      const n = Object.keys(t.model.targets).length;
      current.verified.push(`${n} target${n === 1 ? '' : 's'}`);
      const advice = flatTargetsAdvice(n);
      if (advice) current.notes.push(advice);
      report.targetCount += n;
      if (opts.targetFiles) await checkTargetFiles(t.model, opts.targetFiles, consistent, current, report);
      current.status = 'verified';
      return t;
    };

    current = role('targets');
    const tg = await loadRole('targets', R.keys, R.roles.targets.keyids, R.roles.targets.threshold, 'root-listed targets');
    report.targets = tg.model;
    report.targetRoles = new Map([['targets', tg.model]]);
    const visited = new Set<string>(['targets']);
    const queue: Loaded<Targets>[] = [tg];
    while (queue.length) {
      const parent = queue.shift()!;
      const d = parent.model.delegations;
      if (!d) continue;
      const parentName = current.role;
      const children: { name: string; keyids: string[]; threshold: number }[] = [];
      if (d.roles) for (const r of d.roles) children.push({ name: r.name, keyids: r.keyids, threshold: r.threshold });
      if (d.succinctRoles) {
        const s = d.succinctRoles;
        for (const name of allBinNames(s)) children.push({ name, keyids: s.keyids, threshold: s.threshold });
      }
      for (const c of children) {
        if (visited.has(c.name)) continue;
        visited.add(c.name);
        current = role(c.name);
        const t = await loadRole(c.name, d.keys, c.keyids, c.threshold, `${parentName}-delegated`);
        const paths = d.roles?.find((r) => r.name === c.name)?.paths;
        if (paths) {
          const outside = Object.keys(t.model.targets).filter((p) => !paths.some((pat) => pathMatches(pat, p)));
          if (outside.length) {
            current.notes.push(
              `${outside.length} target(s) outside the paths delegated to ${c.name} (a client ignores them): ${outside.slice(0, 3).join(', ')}`,
            );
          }
        }
        report.targetRoles.set(c.name, t.model);
        queue.push(t);
      }
    }
    report.ok = true;
  } catch (e) {
    const code: ErrorCode = isKeyceremonyError(e) ? e.code : 'INTERNAL';
    const msg = e instanceof Error ? e.message : String(e);
    current.status = 'failed';
    current.problems.push(msg);
    report.failures.push({ code, role: current.role, message: msg });
    report.ok = false;
  }
  return report;
}

async function topLevelThreshold(
  m: Loaded<{ version: number }>,
  name: TopLevelRole,
  root: Root,
  rep: RoleReport,
): Promise<void> {
  const rk = root.roles[name];
  const th = await checkThreshold(m.signedBytes, m.env.signatures, rk.keyids, root.keys, rk.threshold);
  rep.notes.push(...th.notes);
  const line = describeThreshold(th, `root v${root.version} ${name}`);
  if (!th.ok) throw new KeyceremonyError('THRESHOLD_NOT_MET', `${name} v${m.model.version}: ${line}`);
  rep.verified.push(line);
}

async function checkTargetFiles(
  t: Targets,
  files: MetadataReader,
  consistent: boolean,
  rep: RoleReport,
  report: VerifyReport,
): Promise<void> {
  let checked = 0;
  for (const [path, tf] of Object.entries(t.targets) as [string, TargetFile][]) {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1);
    const base = path.slice(slash + 1);
    const names = [path];
    if (consistent) for (const h of Object.values(tf.hashes)) names.unshift(`${dir}${h}.${base}`);
    const f = await readFirst(files, names);
    if (!f) continue;
    await checkHashes(f.bytes, tf, `target ${path}`);
    checked++;
  }
  if (checked) rep.verified.push(`${checked} target file${checked === 1 ? ' matches' : 's match'} length and hashes`);
  report.targetFilesChecked += checked;
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

/** Plain-text report, one block per role. */
export function formatReport(r: VerifyReport): string[] {
  const out: string[] = [];
  out.push(
    r.ok
      ? `VERIFIED at ${r.at}: root v${r.trustedRootVersion} -> v${r.rootVersion}` +
          (r.rootChainOnly ? ' (root chain only: no timestamp.json)' : `, ${r.targetCount} targets`)
      : `NOT VERIFIED at ${r.at}: ${r.failures.map((f) => `[${f.code}] ${f.message}`).join('; ')}`,
  );
  for (const role of r.roles) {
    const head = `${role.role}${role.version !== undefined ? ` v${role.version}` : ''}${role.file ? ` (${role.file})` : ''}: ${role.status}`;
    out.push(head);
    for (const v of role.verified) out.push(`  ok   ${v}`);
    for (const p of role.problems) out.push(`  FAIL ${p}`);
    for (const n of role.notes.slice(0, 20)) out.push(`  note ${n}`);
    if (role.notes.length > 20) out.push(`  note ... ${role.notes.length - 20} more`);
  }
  return out;
}

export { KeyceremonyError };

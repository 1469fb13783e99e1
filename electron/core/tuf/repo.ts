/**
 * Building TUF repositories (spec "Repository operations", #repository-operations): a new repository
 * from a root ceremony, root rotation, targets updates, delegations, TAP 15 hash bins, snapshot and
 * timestamp, expiry bumps. Pure: returns file names and bytes; the caller writes them atomically.
 *
 * Layout we emit (spec #writing-consistent-snapshots): consistent_snapshot = true, `N.root.json` for
 * every root, `V.targets.json`, `V.<role>.json` (role name URL-encoded), `V.snapshot.json`, and `timestamp.json` (never
 * versioned). Snapshot meta lists versions (spec-minimal, like python-tuf); the timestamp lists the
 * snapshot's version, length and sha256.
 */
import type { Signer } from '../signer';
import { KeyceremonyError } from '../../../shared/errors';
import { sha256Hex, sha512 } from '../../../shared/crypto/webcrypto';
import { toHex } from '../../../shared/encoding/bytes';
import { computeKeyId, type TufKeyJSON } from '../../../shared/tuf/keys';
import { Root, Snapshot, Targets, Timestamp, formatTufTime, type DelegatedRole, type TargetFile, type TopLevelRole } from '../../../shared/tuf/models';
import { binForTarget, allBinNames } from '../../../shared/tuf/delegation';
import { metadataFileName } from '../../../shared/tuf/names';
import { signEnvelope } from './sign';

export interface OutFile {
  name: string;
  bytes: Uint8Array;
}

/** Flat targets files above this size are slow in tuf-js (@tufjs/models <= 5.0.2 is quadratic). */
export const FLAT_TARGETS_WARN = 2000;
/** Past this many targets we recommend (and `buildTargets` chooses) succinct hash bins. */
export const HASH_BIN_RECOMMENDED = 4000;
/** Bins are sized for about this many targets each. */
export const TARGETS_PER_BIN = 256;

export const DAY = 86400_000;
export const DEFAULT_EXPIRY_DAYS: Record<TopLevelRole, number> = { root: 365, targets: 90, snapshot: 7, timestamp: 1 };

export function expiresIn(now: number, days: number): string {
  return formatTufTime(now + days * DAY);
}

/** Add keys to a key map, always with computed key ids; returns the ids in order. */
export async function addKeys(keys: Record<string, TufKeyJSON>, add: readonly TufKeyJSON[]): Promise<string[]> {
  const ids: string[] = [];
  for (const k of add) {
    const id = await computeKeyId(k);
    keys[id] = k;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

export interface RoleKeySpec {
  keys: TufKeyJSON[];
  threshold: number;
}

function checkThresholdSpec(name: string, spec: RoleKeySpec): void {
  if (!Number.isInteger(spec.threshold) || spec.threshold < 1) {
    throw new KeyceremonyError('INVALID_INPUT', `${name}: threshold must be at least 1 (got ${spec.threshold})`, { where: name });
  }
  if (spec.keys.length < spec.threshold) {
    throw new KeyceremonyError('INVALID_INPUT', `${name}: ${spec.keys.length} key(s) cannot meet a threshold of ${spec.threshold}`, { where: name });
  }
}

/** Root v1 (spec #file-formats-root) with computed key ids. */
export async function newRoot(opts: { roles: Record<TopLevelRole, RoleKeySpec>; expires: string; consistentSnapshot?: boolean }): Promise<Root> {
  const r = new Root();
  r.version = 1;
  r.expires = opts.expires;
  r.consistentSnapshot = opts.consistentSnapshot ?? true;
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    const spec = opts.roles[role];
    checkThresholdSpec(role, spec);
    r.roles[role] = { keyids: await addKeys(r.keys, spec.keys), threshold: spec.threshold, unrecognized: {} };
  }
  return r;
}

export interface RootChange {
  /** Keys to add to a role. */
  add?: Partial<Record<TopLevelRole, TufKeyJSON[]>>;
  /** Key ids to remove from a role. */
  remove?: Partial<Record<TopLevelRole, string[]>>;
  threshold?: Partial<Record<TopLevelRole, number>>;
  expires?: string;
  consistentSnapshot?: boolean;
}

/** Root N+1 from root N (spec #key-management-and-migration). Unused keys are dropped from `keys`. */
export async function nextRoot(prev: Root, change: RootChange): Promise<Root> {
  const r = Root.fromJSON(JSON.parse(JSON.stringify(prev.toJSON())) as unknown);
  r.version = prev.version + 1;
  if (change.expires) r.expires = change.expires;
  if (change.consistentSnapshot !== undefined) r.consistentSnapshot = change.consistentSnapshot;
  for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
    const rk = r.roles[role];
    for (const id of change.remove?.[role] ?? []) {
      if (!rk.keyids.includes(id)) {
        throw new KeyceremonyError('KEY_NOT_FOUND', `key ${id.slice(0, 16)}… is not a ${role} key of root v${prev.version}`, {
          where: `roles.${role}`,
        });
      }
      rk.keyids = rk.keyids.filter((k) => k !== id);
    }
    for (const id of await addKeys(r.keys, change.add?.[role] ?? [])) if (!rk.keyids.includes(id)) rk.keyids.push(id);
    if (change.threshold?.[role] !== undefined) rk.threshold = change.threshold[role]!;
    checkThresholdSpec(role, { keys: rk.keyids.map((id) => r.keys[id]!), threshold: rk.threshold });
  }
  const used = new Set(Object.values(r.roles).flatMap((x) => x.keyids));
  for (const id of Object.keys(r.keys)) if (!used.has(id)) delete r.keys[id];
  return r;
}

/** Replace one root key by another (the same custodian moving to a new token). */
export async function replaceRootKey(prev: Root, oldKeyid: string, newKey: TufKeyJSON, expires?: string): Promise<Root> {
  const roles = (['root', 'targets', 'snapshot', 'timestamp'] as const).filter((r) => prev.roles[r].keyids.includes(oldKeyid));
  if (roles.length === 0) throw new KeyceremonyError('KEY_NOT_FOUND', `key ${oldKeyid.slice(0, 16)}… is not in root v${prev.version}`);
  const change: RootChange = { add: {}, remove: {} };
  if (expires) change.expires = expires;
  for (const r of roles) {
    change.add![r] = [newKey];
    change.remove![r] = [oldKeyid];
  }
  return nextRoot(prev, change);
}

/** length + sha256 + sha512 of a target's bytes (spec TARGETPATH entries). */
export async function targetFileInfo(bytes: Uint8Array, custom?: unknown): Promise<TargetFile> {
  // keys in canonical order (custom < hashes < length): canonicalisation then copies nothing
  const hashes = { sha256: await sha256Hex(bytes), sha512: toHex(await sha512(bytes)) };
  return custom === undefined ? { hashes, length: bytes.length } : { custom, hashes, length: bytes.length };
}

export function newTargets(expires: string, version = 1): Targets {
  const t = new Targets();
  t.version = version;
  t.expires = expires;
  return t;
}

/** A copy of a targets role with version + 1 (and optionally a new expiry). */
export function nextTargets(prev: Targets, expires?: string): Targets {
  const t = Targets.fromJSON(JSON.parse(JSON.stringify(prev.toJSON())) as unknown);
  t.version = prev.version + 1;
  if (expires) t.expires = expires;
  return t;
}

export interface DelegationSpec {
  name: string;
  keys: TufKeyJSON[];
  threshold: number;
  paths?: string[];
  pathHashPrefixes?: string[];
  terminating?: boolean;
}

/** Add or replace a delegated role (spec "delegations"). */
export async function delegate(t: Targets, spec: DelegationSpec): Promise<DelegatedRole> {
  checkThresholdSpec(spec.name, spec);
  if (['root', 'targets', 'snapshot', 'timestamp'].includes(spec.name)) {
    throw new KeyceremonyError('INVALID_INPUT', `a delegated role may not be called "${spec.name}"`, { where: spec.name });
  }
  if (!spec.paths === !spec.pathHashPrefixes) {
    throw new KeyceremonyError('INVALID_INPUT', `delegation ${spec.name}: give paths or path hash prefixes (one of them)`, {
      where: spec.name,
    });
  }
  if (t.delegations?.succinctRoles) {
    throw new KeyceremonyError('CONFLICT', 'this role already delegates with succinct hash bins; it cannot also list roles');
  }
  t.delegations ??= { keys: {}, roles: [], unrecognized: {} };
  const keyids = await addKeys(t.delegations.keys, spec.keys);
  const role: DelegatedRole = {
    name: spec.name,
    keyids,
    threshold: spec.threshold,
    terminating: spec.terminating ?? false,
    unrecognized: {},
  };
  if (spec.paths) role.paths = spec.paths;
  if (spec.pathHashPrefixes) role.pathHashPrefixes = spec.pathHashPrefixes;
  const roles = (t.delegations.roles ??= []);
  const i = roles.findIndex((r) => r.name === spec.name);
  if (i >= 0) roles[i] = role;
  else roles.push(role);
  pruneKeys(t);
  return role;
}

export function removeDelegation(t: Targets, name: string): void {
  const roles = t.delegations?.roles;
  if (!roles || !roles.some((r) => r.name === name)) throw new KeyceremonyError('NOT_FOUND', `no delegated role "${name}"`);
  t.delegations!.roles = roles.filter((r) => r.name !== name);
  if (t.delegations!.roles.length === 0) t.delegations = undefined;
  else pruneKeys(t);
}

function pruneKeys(t: Targets): void {
  const d = t.delegations;
  if (!d) return;
  const used = new Set([...(d.roles ?? []).flatMap((r) => r.keyids), ...(d.succinctRoles?.keyids ?? [])]);
  for (const id of Object.keys(d.keys)) if (!used.has(id)) delete d.keys[id];
}

/** Bits for succinct hash bins so bins hold about TARGETS_PER_BIN targets (1..16). */
export function recommendedBitLength(targetCount: number): number {
  return Math.min(16, Math.max(1, Math.ceil(Math.log2(Math.max(2, targetCount / TARGETS_PER_BIN)))));
}

/** Advice for a flat targets file (shown by the CLI). */
export function flatTargetsAdvice(count: number): string | undefined {
  if (count >= HASH_BIN_RECOMMENDED) {
    return (
      `${count} targets in one file: tuf-js (@tufjs/models <= 5.0.2) reads targets in quadratic time (about 11 s at 8,000 ` +
      `targets, over an hour at 100,000). Use succinct hash bins (--hash-bins ${recommendedBitLength(count)}).`
    );
  }
  if (count >= FLAT_TARGETS_WARN) {
    return `${count} targets in one file: tuf-js needs over 0.5 s to read it and it grows quadratically; consider hash bins.`;
  }
  return undefined;
}

export interface BinnedTargets {
  top: Targets;
  bins: Map<string, Targets>;
}

/**
 * TAP 15 succinct hash-bin delegation: the top-level targets delegates every target path to the bin
 * named by the first `bitLength` bits of sha256(path); each bin is its own role signed by the bin keys.
 */
export async function hashBinTargets(opts: {
  targets: Record<string, TargetFile>;
  binKeys: TufKeyJSON[];
  threshold: number;
  bitLength: number;
  namePrefix?: string;
  expires: string;
  binExpires?: string;
  version?: number;
}): Promise<BinnedTargets> {
  checkThresholdSpec('bins', { keys: opts.binKeys, threshold: opts.threshold });
  const prefix = opts.namePrefix ?? 'bin';
  const top = newTargets(opts.expires, opts.version ?? 1);
  const keys: Record<string, TufKeyJSON> = {};
  const keyids = await addKeys(keys, opts.binKeys);
  const succ = { keyids, threshold: opts.threshold, bitLength: opts.bitLength, namePrefix: prefix, unrecognized: {} };
  top.delegations = { keys, succinctRoles: succ, unrecognized: {} };
  const bins = new Map<string, Targets>();
  for (const n of allBinNames(succ)) bins.set(n, newTargets(opts.binExpires ?? opts.expires, opts.version ?? 1));
  for (const [path, tf] of Object.entries(opts.targets)) {
    bins.get(await binForTarget(succ, path))!.targets[path] = tf;
  }
  return { top, bins };
}

/** Snapshot over the given targets-role versions (spec #update-snapshot-metadata). */
export function newSnapshot(versions: Record<string, number>, expires: string, version: number): Snapshot {
  const s = new Snapshot();
  s.version = version;
  s.expires = expires;
  for (const [role, v] of Object.entries(versions)) s.meta[`${role}.json`] = { version: v, unrecognized: {} };
  return s;
}

/** Timestamp over the snapshot file bytes (spec #update-timestamp-metadata). */
export async function newTimestamp(snapshotBytes: Uint8Array, snapshotVersion: number, expires: string, version: number): Promise<Timestamp> {
  const t = new Timestamp();
  t.version = version;
  t.expires = expires;
  t.snapshotMeta = {
    version: snapshotVersion,
    length: snapshotBytes.length,
    hashes: { sha256: await sha256Hex(snapshotBytes) },
    unrecognized: {},
  };
  return t;
}

export interface OnlineSigners {
  targets?: Signer[];
  snapshot: Signer[];
  timestamp: Signer[];
  /** Signers for delegated roles by role name (bins: the bin signers under every bin name, or '*'). */
  delegated?: Record<string, Signer[]>;
}

/**
 * Sign the targets-family roles given, then a snapshot listing them (plus `otherVersions` already
 * published) and a timestamp. Returns consistent-snapshot file names.
 */
export async function publishTargets(opts: {
  roles: Map<string, Targets>;
  otherVersions?: Record<string, number>;
  snapshotVersion: number;
  timestampVersion: number;
  expires: { snapshot: string; timestamp: string };
  signers: OnlineSigners;
}): Promise<OutFile[]> {
  const files: OutFile[] = [];
  const versions: Record<string, number> = { ...opts.otherVersions };
  for (const [name, t] of opts.roles) {
    const signers = name === 'targets' ? opts.signers.targets : (opts.signers.delegated?.[name] ?? opts.signers.delegated?.['*']);
    if (!signers?.length) throw new KeyceremonyError('PRECONDITION_FAILED', `no signer for role ${name}`, { where: name });
    files.push({ name: metadataFileName(name, t.version), bytes: await signEnvelope(t.toJSON(), signers) });
    versions[name] = t.version;
  }
  const sn = newSnapshot(versions, opts.expires.snapshot, opts.snapshotVersion);
  const snBytes = await signEnvelope(sn.toJSON(), opts.signers.snapshot);
  files.push({ name: `${sn.version}.snapshot.json`, bytes: snBytes });
  const ts = await newTimestamp(snBytes, sn.version, opts.expires.timestamp, opts.timestampVersion);
  files.push({ name: 'timestamp.json', bytes: await signEnvelope(ts.toJSON(), opts.signers.timestamp) });
  return files;
}

/**
 * A complete new repository when every signer is at hand (tests, single-room ceremonies): root v1
 * signed by the root signers, targets (optionally with hash bins), snapshot, timestamp.
 */
export async function createRepository(opts: {
  root: Root;
  rootSigners: Signer[];
  targets: Targets;
  delegated?: Map<string, Targets>;
  signers: OnlineSigners;
  now: number;
}): Promise<OutFile[]> {
  const files: OutFile[] = [{ name: '1.root.json', bytes: await signEnvelope(opts.root.toJSON(), opts.rootSigners) }];
  const roles = new Map<string, Targets>([['targets', opts.targets], ...(opts.delegated ?? new Map())]);
  files.push(
    ...(await publishTargets({
      roles,
      snapshotVersion: 1,
      timestampVersion: 1,
      expires: { snapshot: expiresIn(opts.now, DEFAULT_EXPIRY_DAYS.snapshot), timestamp: expiresIn(opts.now, DEFAULT_EXPIRY_DAYS.timestamp) },
      signers: opts.signers,
    })),
  );
  return files;
}

/**
 * Building Notary metadata offline: a new GUN's root (x509 root certificates whose keys stay on
 * tokens), targets, client- or server-managed snapshot; root rotation; targets edits; signers as
 * `docker trust signer add` makes them. Nothing here signs: see sign.ts.
 */
import { KeyceremonyError } from '../../../shared/errors';
import {
  certOfKey,
  formatNotaryTime,
  isX509KeyType,
  notaryFileMeta,
  notaryKeyId,
  parseNotaryTime,
  type NotaryDelegationRole,
  type NotaryFileMeta,
  type NotaryKey,
  type NotaryRoot,
  type NotarySnapshot,
  type NotaryTargets,
} from '../../../shared/notary';

export const DAY_MS = 86_400_000;
/** notary's defaults: root 10 years, targets and snapshot 3 years. */
export const DEFAULT_EXPIRY_DAYS = { root: 3650, targets: 1095, snapshot: 1095 } as const;

const GUN_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

/** A GUN as Notary accepts it (e.g. `docker.io/library/app`, `127.0.0.1:5000/app`). */
export function checkGun(gun: string): string {
  if (!GUN_RE.test(gun) || gun.length > 255 || gun.includes('..') || gun.endsWith('/')) {
    throw new KeyceremonyError('INVALID_INPUT', `not a valid GUN (globally unique name): ${JSON.stringify(gun)}`, { where: 'gun' });
  }
  return gun;
}

export function expiresIn(now: Date, days: number): string {
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new KeyceremonyError('INVALID_INPUT', `expiry must be 1..36500 days (got ${days})`, { where: 'expires' });
  }
  return formatNotaryTime(now.getTime() + days * DAY_MS);
}

async function keyMap(keys: readonly NotaryKey[]): Promise<Map<string, NotaryKey>> {
  const m = new Map<string, NotaryKey>();
  for (const k of keys) m.set(await notaryKeyId(k), k);
  return m;
}

/** Root certificates must be x509, CN = GUN, self-signed or not: Notary checks the CN. */
export function checkRootKeys(gun: string, keys: readonly NotaryKey[]): void {
  if (keys.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'a root needs at least one root key', { where: 'root keys' });
  keys.forEach((k, i) => {
    if (!isX509KeyType(k.keytype)) {
      throw new KeyceremonyError('INVALID_KEY', `root key ${i + 1} is ${k.keytype}; Notary root keys must be x509 certificates (ecdsa-x509)`, {
        where: `root key ${i + 1}`,
      });
    }
    const c = certOfKey(k);
    if (c.subjectCN !== gun) {
      throw new KeyceremonyError(
        'INVALID_KEY',
        `root certificate ${i + 1} has CN=${JSON.stringify(c.subjectCN)}, but Notary requires CN = the GUN ${JSON.stringify(gun)}`,
        { where: `root key ${i + 1}` },
      );
    }
  });
}

function checkThreshold(role: string, t: number, n: number): void {
  if (!Number.isInteger(t) || t < 1 || t > n) {
    throw new KeyceremonyError('INVALID_INPUT', `${role} threshold must be 1..${n} (the number of ${role} keys), got ${t}`, { where: `${role} threshold` });
  }
}

export interface RootSpec {
  gun: string;
  rootKeys: readonly NotaryKey[];
  rootThreshold: number;
  targetsKeys: readonly NotaryKey[];
  targetsThreshold?: number;
  /** The client's snapshot key, or the server's `snapshot.key` for a server-managed snapshot. */
  snapshotKeys: readonly NotaryKey[];
  snapshotThreshold?: number;
  /** The server's `timestamp.key` (notary-server always holds the timestamp key). */
  timestampKeys: readonly NotaryKey[];
  version: number;
  expires: string;
}

export async function buildRoot(spec: RootSpec): Promise<NotaryRoot> {
  checkGun(spec.gun);
  checkRootKeys(spec.gun, spec.rootKeys);
  const keys: Record<string, NotaryKey> = {};
  const role = async (name: string, ks: readonly NotaryKey[], t: number) => {
    if (ks.length === 0) throw new KeyceremonyError('INVALID_INPUT', `the ${name} role needs at least one key`, { where: `${name} keys` });
    checkThreshold(name, t, ks.length);
    const m = await keyMap(ks);
    if (m.size !== ks.length) throw new KeyceremonyError('INVALID_INPUT', `the same ${name} key is listed twice`, { where: `${name} keys` });
    for (const [id, k] of m) keys[id] = { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
    return { keyids: [...m.keys()].sort(), threshold: t };
  };
  const root = await role('root', spec.rootKeys, spec.rootThreshold);
  const targets = await role('targets', spec.targetsKeys, spec.targetsThreshold ?? 1);
  const snapshot = await role('snapshot', spec.snapshotKeys, spec.snapshotThreshold ?? 1);
  const timestamp = await role('timestamp', spec.timestampKeys, 1);
  parseNotaryTime(spec.expires);
  return {
    _type: 'Root',
    consistent_snapshot: false,
    expires: spec.expires,
    keys,
    roles: { root, snapshot, targets, timestamp },
    version: spec.version,
  };
}

/**
 * Root rotation: version N+1 with new root keys/threshold (and optionally new online keys); the
 * other roles keep their keys unless given. Signing it needs a threshold of the old root's keys
 * and of the new one's (sign.ts reports both).
 */
export async function rotateRoot(
  prev: NotaryRoot,
  change: {
    gun: string;
    rootKeys?: readonly NotaryKey[];
    rootThreshold?: number;
    targetsKeys?: readonly NotaryKey[];
    snapshotKeys?: readonly NotaryKey[];
    timestampKeys?: readonly NotaryKey[];
    expires: string;
  },
): Promise<NotaryRoot> {
  const keysOf = (r: 'root' | 'targets' | 'snapshot' | 'timestamp') =>
    prev.roles[r].keyids.map((id) => {
      const k = prev.keys[id];
      if (!k)
        throw new KeyceremonyError('INVALID_METADATA', `root v${prev.version} lists key ${id} for ${r} but has no such key`, {
          where: `root.json $.signed.roles.${r}`,
        });
      return k;
    });
  const rootKeys = change.rootKeys ?? keysOf('root');
  return buildRoot({
    gun: change.gun,
    rootKeys,
    rootThreshold: change.rootThreshold ?? Math.min(prev.roles.root.threshold, rootKeys.length),
    targetsKeys: change.targetsKeys ?? keysOf('targets'),
    targetsThreshold: change.targetsKeys ? 1 : prev.roles.targets.threshold,
    snapshotKeys: change.snapshotKeys ?? keysOf('snapshot'),
    snapshotThreshold: change.snapshotKeys ? 1 : prev.roles.snapshot.threshold,
    timestampKeys: change.timestampKeys ?? keysOf('timestamp'),
    version: prev.version + 1,
    expires: change.expires,
  });
}

export function emptyTargets(version: number, expires: string): NotaryTargets {
  return { _type: 'Targets', delegations: { keys: {}, roles: [] }, expires, targets: {}, version };
}

/** A copy of a targets body with the next version and a new expiry (signatures start over). */
export function nextTargets(prev: NotaryTargets, expires: string): NotaryTargets {
  const copy = JSON.parse(JSON.stringify(prev)) as NotaryTargets;
  copy.version = prev.version + 1;
  copy.expires = expires;
  if (!copy.delegations) copy.delegations = { keys: {}, roles: [] };
  return copy;
}

const TARGET_NAME_MAX = 1024;

export function checkTargetName(name: string): void {
  if (name.length === 0 || name.length > TARGET_NAME_MAX || /[\u0000-\u001f]/.test(name)) {
    throw new KeyceremonyError('INVALID_INPUT', `not a usable target name: ${JSON.stringify(name)}`, { where: 'target name' });
  }
}

/** Add or replace a target (name -> file meta of its bytes). */
export async function setTarget(t: NotaryTargets, name: string, bytes: Uint8Array): Promise<NotaryFileMeta> {
  checkTargetName(name);
  const meta = await notaryFileMeta(bytes);
  t.targets[name] = meta;
  return meta;
}

export function removeTarget(t: NotaryTargets, name: string): void {
  if (!(name in t.targets)) throw new KeyceremonyError('NOT_FOUND', `no target named ${JSON.stringify(name)}`, { where: 'target name' });
  delete t.targets[name];
}

const SIGNER_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const RELEASES_ROLE = 'targets/releases';

function addKeyToRole(t: NotaryTargets, name: string, keyId: string): NotaryDelegationRole {
  let r = t.delegations.roles.find((x) => x.name === name);
  if (!r) {
    r = { keyids: [], name, paths: [], threshold: 1 };
    t.delegations.roles.push(r);
  }
  if (!r.keyids.includes(keyId)) r.keyids.push(keyId);
  // AddDelegationPaths(role, [""]): "" = every path
  if (!r.paths) r.paths = [];
  if (!r.paths.includes('')) r.paths.push('');
  return r;
}

/**
 * `docker trust signer add NAME REPO --key KEY`: the key goes to `targets/NAME` and to
 * `targets/releases`, each with paths [""] (all targets) and threshold 1, in that order
 * (docker/cli `addStagedSigner`).
 */
export async function addSigner(t: NotaryTargets, signerName: string, keys: readonly NotaryKey[]): Promise<void> {
  if (!SIGNER_NAME.test(signerName) || signerName === 'releases') {
    throw new KeyceremonyError(
      'INVALID_INPUT',
      `signer name must be lower-case letters, digits, _ or - and not "releases" (got ${JSON.stringify(signerName)})`,
      { where: 'signer name' },
    );
  }
  if (keys.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'a signer needs at least one key', { where: 'signer keys' });
  for (const k of keys) {
    const id = await notaryKeyId(k);
    t.delegations.keys[id] = { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
    addKeyToRole(t, `targets/${signerName}`, id);
    addKeyToRole(t, RELEASES_ROLE, id);
  }
}

/** A delegation role name as notary accepts it: `targets/` and one or more path segments (data.IsDelegation). */
const DELEGATION = /^targets(\/[A-Za-z0-9_.-]+)+$/;

export function checkDelegationName(role: string): void {
  if (!DELEGATION.test(role) || role.split('/').some((p) => p === '.' || p === '..')) {
    throw new KeyceremonyError('INVALID_INPUT', `invalid delegation name ${JSON.stringify(role)}: give targets/NAME (letters, digits, _ . -)`, {
      where: 'role',
    });
  }
}

/**
 * `notary delegation add GUN ROLE [CERT…] [--paths P,…] [--all-paths]` (notary cmd/notary/delegations.go,
 * client AddDelegation): keys are added to the role (created with threshold 1 when new: a new role
 * needs at least one key), paths are added to its list; the "" path (or --all-paths) means every
 * path and replaces the list with [""]. `within`: the delegating role's own paths when it is itself a
 * delegation (notary refuses a child path outside them). Returns what changed, for the message.
 */
export async function addDelegation(
  t: NotaryTargets,
  role: string,
  edit: { keys: readonly NotaryKey[]; paths: readonly string[]; allPaths: boolean; within?: readonly string[] },
): Promise<{ created: boolean; keyIds: string[]; paths: string[] }> {
  checkDelegationName(role);
  let r = t.delegations.roles.find((x) => x.name === role);
  const created = !r;
  if (!r) {
    if (edit.keys.length === 0) {
      throw new KeyceremonyError('INVALID_INPUT', `${role} does not exist yet: give at least one key (a certificate or public key file) to create it`, {
        where: 'keys',
      });
    }
    r = { keyids: [], name: role, paths: [], threshold: 1 };
    t.delegations.roles.push(r);
  }
  const keyIds: string[] = [];
  for (const k of edit.keys) {
    const id = await notaryKeyId(k);
    t.delegations.keys[id] = { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
    if (!r.keyids.includes(id)) r.keyids.push(id);
    keyIds.push(id);
  }
  const all = edit.allPaths || edit.paths.includes('');
  const paths = all ? [''] : [...edit.paths];
  for (const p of paths) {
    if (/[\u0000-\u001f]/.test(p) || p.length > 1024)
      throw new KeyceremonyError('INVALID_INPUT', `not a usable path: ${JSON.stringify(p)}`, { where: '--paths' });
    if (edit.within && !edit.within.some((w) => p.startsWith(w))) {
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `path ${JSON.stringify(p)} is outside the paths of ${role.slice(0, role.lastIndexOf('/'))} (${edit.within.map((w) => JSON.stringify(w)).join(', ') || 'none'})`,
        {
          where: '--paths',
        },
      );
    }
  }
  if (all) r.paths = [''];
  else for (const p of paths) if (!(r.paths ??= []).includes(p)) r.paths.push(p);
  return { created, keyIds, paths };
}

/**
 * `notary delegation remove GUN ROLE [KEYID…] [--paths P,…] [--all-paths]`: without keys or paths the
 * whole role goes (its keys too when nothing else uses them); else the key ids (a unique prefix is
 * enough) and paths given are removed, `allPaths` clears the path list. A role left without keys is
 * refused: remove the role instead.
 */
export function removeDelegation(
  t: NotaryTargets,
  role: string,
  edit: { keyIds: readonly string[]; paths: readonly string[]; allPaths: boolean },
): { removedRole: boolean; keyIds: string[]; paths: string[] } {
  checkDelegationName(role);
  const r = t.delegations.roles.find((x) => x.name === role);
  if (!r) throw new KeyceremonyError('NOT_FOUND', `no delegation ${role} in this targets file`, { where: 'role' });
  const dropUnusedKeys = () => {
    const used = new Set(t.delegations.roles.flatMap((x) => x.keyids));
    for (const id of Object.keys(t.delegations.keys)) if (!used.has(id)) delete t.delegations.keys[id];
  };
  if (edit.keyIds.length === 0 && edit.paths.length === 0 && !edit.allPaths) {
    t.delegations.roles = t.delegations.roles.filter((x) => x !== r);
    dropUnusedKeys();
    return { removedRole: true, keyIds: [...r.keyids], paths: [...(r.paths ?? [])] };
  }
  const ids: string[] = [];
  for (const want of edit.keyIds) {
    const hits = r.keyids.filter((id) => id.startsWith(want.toLowerCase()));
    if (hits.length !== 1) {
      throw new KeyceremonyError(
        hits.length ? 'KEY_AMBIGUOUS' : 'KEY_NOT_FOUND',
        `key id ${want} matches ${hits.length} keys of ${role} (${r.keyids.map((i) => i.slice(0, 12)).join(', ')})`,
        { where: want },
      );
    }
    ids.push(hits[0]!);
  }
  const left = r.keyids.filter((id) => !ids.includes(id));
  if (left.length === 0)
    throw new KeyceremonyError('INVALID_INPUT', `that would leave ${role} without keys; remove the whole delegation instead (give no key ids or paths)`, {
      where: 'keys',
    });
  if (r.threshold > left.length)
    throw new KeyceremonyError('INVALID_INPUT', `${role} needs ${r.threshold} signatures; only ${left.length} keys would be left`, { where: 'keys' });
  r.keyids = left;
  const removedPaths = edit.allPaths ? [...(r.paths ?? [])] : edit.paths.filter((p) => (r.paths ?? []).includes(p));
  r.paths = edit.allPaths ? [] : (r.paths ?? []).filter((p) => !edit.paths.includes(p));
  dropUnusedKeys();
  return { removedRole: false, keyIds: ids, paths: removedPaths };
}

/** `docker trust signer remove NAME`: drop targets/NAME and its keys from targets/releases. */
export function removeSigner(t: NotaryTargets, signerName: string): void {
  const name = `targets/${signerName}`;
  const r = t.delegations.roles.find((x) => x.name === name);
  if (!r) throw new KeyceremonyError('NOT_FOUND', `no signer ${JSON.stringify(signerName)}`, { where: 'signer name' });
  t.delegations.roles = t.delegations.roles.filter((x) => x.name !== name);
  const stillUsed = new Set(t.delegations.roles.filter((x) => x.name !== RELEASES_ROLE).flatMap((x) => x.keyids));
  const rel = t.delegations.roles.find((x) => x.name === RELEASES_ROLE);
  if (rel) {
    rel.keyids = rel.keyids.filter((id) => !r.keyids.includes(id) || stillUsed.has(id));
    if (rel.keyids.length === 0) t.delegations.roles = t.delegations.roles.filter((x) => x !== rel);
  }
  const used = new Set(t.delegations.roles.flatMap((x) => x.keyids));
  for (const id of Object.keys(t.delegations.keys)) if (!used.has(id)) delete t.delegations.keys[id];
}

/**
 * A client-managed snapshot over the final bytes of root, targets and any delegated role files
 * (meta keys are role names without `.json`).
 */
export async function buildSnapshot(files: ReadonlyMap<string, Uint8Array>, version: number, expires: string): Promise<NotarySnapshot> {
  const meta: Record<string, NotaryFileMeta> = {};
  for (const [role, bytes] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (role === 'snapshot' || role === 'timestamp') continue;
    meta[role] = await notaryFileMeta(bytes);
  }
  if (!meta.root || !meta.targets) {
    throw new KeyceremonyError('PRECONDITION_FAILED', 'a snapshot needs the final root.json and targets.json', { where: 'snapshot' });
  }
  return { _type: 'Snapshot', expires, meta, version };
}

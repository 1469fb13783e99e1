/**
 * Repository updates made as signing requests, over a metadata folder seen as names and bytes:
 * targets add/remove (a top-level or delegated role, TAP 15 bins included), delegate and delegate
 * remove, online-role key rotation (a root v+1), expiry renewals of any role, and the online step
 * that publishes a new snapshot + timestamp. The CLI (`keyceremony tuf …`) and the desktop app
 * (electron/ipc/handlers/tuf.ts) both build their requests here, so the two cannot drift.
 *
 * Pure: the folder is injected (electron/adapters/tuf/fs-folder.ts reads a real one); nothing is
 * written here. Every function validates everything before it returns a request.
 */
import { metadataFileName } from '../../../shared/tuf/names';
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJsonBytes } from '../../../shared/json/strict';
import { allBinNames, binForTarget, isBinName } from '../../../shared/tuf/delegation';
import { Root, Snapshot, Targets, Timestamp, readEnvelope, signedFromJSON, type TargetFile } from '../../../shared/tuf/models';
import type { TufKeyJSON } from '../../../shared/tuf/keys';
import type { Signer } from '../signer';
import { createRequest, parseRequest, rootRules, type SigningRequest } from './request';
import {
  DEFAULT_EXPIRY_DAYS,
  delegate,
  expiresIn,
  flatTargetsAdvice,
  newTargets,
  newTimestamp,
  nextRoot,
  nextTargets,
  publishTargets,
  removeDelegation,
  targetFileInfo,
  type OutFile,
} from './repo';
import { checkPathInRole, checkTargetPath, expiryFrom, roleRules } from './update';

/** A metadata folder: file names and their bytes (read lazily). */
export interface MetadataFolder {
  /** How the folder is named in messages (its path). */
  label: string;
  names(): string[];
  read(name: string): Uint8Array | undefined;
}

/** `--expires TIME` or `--expires-in DAYS` (at most one); neither keeps the current expiry where allowed. */
export interface ExpirySpec {
  expires?: string;
  expiresInDays?: number;
}

function at(folder: MetadataFolder, name: string): string {
  return `${folder.label.replace(/\/+$/, '')}/${name}`;
}

function readOrFail(folder: MetadataFolder, name: string, what: string): Uint8Array {
  const b = folder.read(name);
  if (!b) throw new KeyceremonyError('NOT_FOUND', `cannot read the ${what} ${at(folder, name)}: ENOENT`, { where: at(folder, name) });
  return b;
}

/** Latest `N.<role>.json` per role in the folder. */
export function latestRoleFiles(folder: MetadataFolder): Map<string, { version: number; file: string }> {
  const out = new Map<string, { version: number; file: string }>();
  for (const f of folder.names()) {
    const m = /^(\d+)\.(.+)\.json$/.exec(f);
    if (!m) continue;
    const v = Number(m[1]);
    let role: string;
    try {
      role = decodeURIComponent(m[2]!);
    } catch {
      continue;
    }
    const cur = out.get(role);
    if (!cur || v > cur.version) out.set(role, { version: v, file: f });
  }
  return out;
}

/** The latest `N.<role>.json` (or plain `<role>.json`), parsed strictly. */
export function loadLatest<T>(folder: MetadataFolder, role: string, from: (v: unknown) => T): { file: string; model: T; bytes: Uint8Array } {
  const hit = latestRoleFiles(folder).get(role);
  const plain = metadataFileName(role);
  const name = hit ? hit.file : folder.names().includes(plain) ? plain : undefined;
  if (!name) throw new KeyceremonyError('NOT_FOUND', `no N.${role}.json (or ${role}.json) in ${folder.label}`, { where: folder.label });
  const p = at(folder, name);
  const bytes = readOrFail(folder, name, `${role} metadata`);
  try {
    return { file: name, bytes, model: from(readEnvelope(parseStrictJsonBytes(bytes, { source: p })).signedRaw) };
  } catch (e) {
    if (e instanceof KeyceremonyError) throw new KeyceremonyError(e.code, `${p}: ${e.message}`, { where: e.where ?? p, cause: e });
    throw e;
  }
}

/** The latest root in the folder: N.root.json, tuf-on-ci's root_history/N.root.json, else root.json. */
export function loadRoot(folder: MetadataFolder): Root {
  let best = 0;
  let name: string | undefined;
  const names = folder.names();
  for (const f of names) {
    const m = /^(?:root_history\/)?(\d+)\.root\.json$/.exec(f);
    if (m && Number(m[1]) > best) {
      best = Number(m[1]);
      name = f;
    }
  }
  if (!name && names.includes('root.json')) name = 'root.json';
  if (!name) throw new KeyceremonyError('NOT_FOUND', `no N.root.json in ${folder.label}`, { where: folder.label });
  const p = at(folder, name);
  return Root.fromJSON(readEnvelope(parseStrictJsonBytes(readOrFail(folder, name, 'root'), { source: p })).signedRaw);
}

export function loadTopTargets(folder: MetadataFolder): Targets {
  return loadLatest(folder, 'targets', (v) => Targets.fromJSON(v)).model;
}

function delegates(t: Targets, role: string): boolean {
  const d = t.delegations;
  if (!d) return false;
  if (d.roles) return d.roles.some((r) => r.name === role);
  return d.succinctRoles !== undefined && isBinName(d.succinctRoles, role);
}

/**
 * The role that delegates `role` in the folder's latest metadata: targets for its own delegations and
 * bins, a delegated role for a nested one (targets -> a -> c: a). Searched pre-order depth first over
 * the roles that have files here, as a client walks the tree (spec 5.6.7), each role once.
 */
export function delegatorOf(folder: MetadataFolder, role: string, top: Targets = loadTopTargets(folder)): { name: string; model: Targets } {
  const files = latestRoleFiles(folder);
  const stack: { name: string; model: Targets }[] = [{ name: 'targets', model: top }];
  const seen = new Set<string>();
  while (stack.length) {
    const cur = stack.pop()!;
    if (seen.has(cur.name)) continue;
    seen.add(cur.name);
    if (delegates(cur.model, role)) return cur;
    const kids = (cur.model.delegations?.roles ?? []).map((r) => r.name).filter((n) => files.has(n) && !seen.has(n));
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ name: kids[i]!, model: loadLatest(folder, kids[i]!, (v) => Targets.fromJSON(v)).model });
  }
  const d = top.delegations;
  const names = (d?.roles ?? []).map((x) => x.name);
  const hint = names.length
    ? `it delegates to: ${names.join(', ')}`
    : d?.succinctRoles
      ? `it delegates to hash bins ${d.succinctRoles.namePrefix}-*`
      : 'it has no delegations';
  throw new KeyceremonyError(
    'NOT_FOUND',
    `role "${role}" is not delegated by targets v${top.version} (${hint}) or by any role it delegates to (${folder.label})`,
    { where: role },
  );
}

/** The model whose delegations name `role`'s keys: root's targets for "targets", else its delegator. */
function rulesHolder(folder: MetadataFolder, role: string, top: Targets): Targets {
  return role === 'targets' || delegates(top, role) ? top : delegatorOf(folder, role, top).model;
}

function expiryOf(spec: ExpirySpec, now: number, what: string, keep?: string): string {
  return expiryFrom({
    ...(spec.expires !== undefined ? { expires: spec.expires } : {}),
    ...(spec.expiresInDays !== undefined ? { expiresInDays: spec.expiresInDays } : {}),
    ...(keep !== undefined ? { keep } : {}),
    now,
    what,
  });
}

/** Names of the people holding keys, by key id (shown in the status; not covered by signatures). */
export type SignerNames = Record<string, string>;

function withNames(req: SigningRequest, names: SignerNames | undefined): SigningRequest {
  if (!names) return req;
  const ids = new Set(req.rules.flatMap((r) => r.keyids));
  const kept: SignerNames = {};
  for (const [id, n] of Object.entries(names)) if (ids.has(id) && n.trim()) kept[id] = n.trim();
  return Object.keys(kept).length ? { ...req, names: kept } : req;
}

// ---------------------------------------------------------------------------------------------

/**
 * One target to add: from its bytes (length, sha256 and sha512 computed here), or by its known length
 * and hashes without the file (as python-tuf's `TargetFile(length, hashes)` and RSTUF users add
 * targets; a Notary tag's manifest carried into TUF).
 */
export type TargetEntry = { path: string; bytes: Uint8Array; custom?: unknown } | { path: string; length: number; hashes: KnownHashes; custom?: unknown };

/** Hashes given by hand: sha256 (required: every TUF client checks it) and optionally sha512, lower-case hex. */
export interface KnownHashes {
  sha256: string;
  sha512?: string;
}

/** The TUF target entry for known length and hashes, each checked (a typo here would make every client refuse the file). */
export function knownTargetFile(path: string, length: number, hashes: KnownHashes, custom?: unknown): TargetFile {
  const where = `--path ${path}`;
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new KeyceremonyError('INVALID_INPUT', `${path}: the length must be a whole number of bytes, got ${JSON.stringify(length)}`, {
      where: `${where} --length`,
    });
  }
  const out: Record<string, string> = {};
  for (const [alg, len] of [
    ['sha256', 64],
    ['sha512', 128],
  ] as const) {
    const v = hashes[alg];
    if (v === undefined) {
      if (alg === 'sha256')
        throw new KeyceremonyError('INVALID_INPUT', `${path}: --sha256 HEX is required (every TUF client checks it)`, { where: `${where} --sha256` });
      continue;
    }
    if (!new RegExp(`^[0-9a-f]{${len}}$`).test(v)) {
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `${path}: --${alg} must be ${len} lower-case hex characters, got ${JSON.stringify(v.length > 140 ? v.slice(0, 140) + '…' : v)}`,
        {
          where: `${where} --${alg}`,
        },
      );
    }
    out[alg] = v;
  }
  // keys in canonical order (custom < hashes < length), as targetFileInfo writes them
  return custom === undefined ? { hashes: out, length } : { custom, hashes: out, length };
}

async function entryInfo(e: TargetEntry): Promise<TargetFile> {
  return 'bytes' in e ? targetFileInfo(e.bytes, e.custom) : knownTargetFile(e.path, e.length, e.hashes, e.custom);
}

/** targets v+1 (or delegated role v+1) with targets added or replaced, or removed. */
export async function targetsRequest(
  folder: MetadataFolder,
  opts: {
    action: 'add' | 'remove';
    role?: string;
    add?: readonly TargetEntry[];
    remove?: readonly string[];
    expiry?: ExpirySpec;
    now: number;
    names?: SignerNames;
  },
): Promise<{ request: SigningRequest; advice?: string }> {
  const role = opts.role ?? 'targets';
  const root = loadRoot(folder);
  const top = loadTopTargets(folder);
  const holder = rulesHolder(folder, role, top);
  const rules = roleRules(role, root, holder);
  const prev = role === 'targets' ? top : loadLatest(folder, role, (v) => Targets.fromJSON(v)).model;
  const next = nextTargets(prev, expiryOf(opts.expiry ?? {}, opts.now, `${role} v${prev.version + 1}`, prev.expires));
  const seen = new Set<string>();
  const paths = opts.action === 'add' ? (opts.add ?? []).map((e) => e.path) : [...(opts.remove ?? [])];
  if (paths.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'give at least one target path', { where: '--path' });
  for (const [i, p] of paths.entries()) {
    checkTargetPath(p, `--path ${p}`);
    if (seen.has(p)) throw new KeyceremonyError('INVALID_INPUT', `--path ${p} is given twice`, { where: `--path ${p}` });
    seen.add(p);
    if (opts.action === 'remove') {
      if (!(p in next.targets))
        throw new KeyceremonyError('NOT_FOUND', `${role} v${prev.version} has no target ${p}; nothing to remove`, { where: `--path ${p}` });
      delete next.targets[p];
      continue;
    }
    await checkPathInRole(role, p, holder);
    next.targets[p] = await entryInfo(opts.add![i]!);
  }
  const advice = flatTargetsAdvice(Object.keys(next.targets).length);
  const request = withNames(
    await createRequest({ signed: next.toJSON(), role, rules, previous: prev.toJSON(), note: `targets ${opts.action}: ${paths.join(', ')}` }),
    opts.names,
  );
  return advice ? { request, advice } : { request };
}

/**
 * Where each path goes on this repository: `targets` when it does not delegate to hash bins,
 * otherwise the bin holding the path (TAP 15), so a release over a binned repository is one request
 * per bin touched.
 */
export async function rolesForPaths(folder: MetadataFolder, paths: readonly string[]): Promise<Map<string, string[]>> {
  const top = loadTopTargets(folder);
  const s = top.delegations?.succinctRoles;
  const out = new Map<string, string[]>();
  for (const p of paths) {
    checkTargetPath(p, `--path ${p}`);
    const role = s ? await binForTarget(s, p) : 'targets';
    out.set(role, [...(out.get(role) ?? []), p]);
  }
  return out;
}

export interface DelegationChange {
  name: string;
  /** The delegating role: "targets" (default) or a delegated role, for nested delegations (targets -> a -> c). */
  from?: string;
  keys: readonly TufKeyJSON[];
  threshold: number;
  paths?: string[];
  pathHashPrefixes?: string[];
  terminating?: boolean;
}

/**
 * targets v+1 delegating paths to a role (added or replaced), plus, when the role is new or its keys
 * or threshold change, the request for the role's own metadata (version 1, or the next version with
 * the same targets), signed by the delegated keys.
 */
export async function delegateRequests(
  folder: MetadataFolder,
  opts: DelegationChange & { expiry?: ExpirySpec; roleExpiresInDays?: number; now: number; names?: SignerNames },
): Promise<{ targets: SigningRequest; role?: SigningRequest; warnings: string[] }> {
  const name = opts.name;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new KeyceremonyError('INVALID_INPUT', `role name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-" (it becomes a file name)`, {
      where: '--role',
    });
  }
  const paths = opts.paths;
  const prefixes = opts.pathHashPrefixes;
  if (!paths === !prefixes) throw new KeyceremonyError('INVALID_INPUT', "give --paths 'GLOB'… or --path-hash-prefix HEX…, one of them", { where: '--paths' });
  for (const p of paths ?? [])
    if (p === '' || p.startsWith('/'))
      throw new KeyceremonyError('INVALID_INPUT', `--paths ${JSON.stringify(p)}: a pattern must be non-empty and relative`, { where: '--paths' });
  for (const h of prefixes ?? [])
    if (!/^[0-9a-f]{1,64}$/.test(h))
      throw new KeyceremonyError('INVALID_INPUT', `--path-hash-prefix ${JSON.stringify(h)} must be lowercase hex`, { where: '--path-hash-prefix' });
  if (opts.keys.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'give the delegated keys: --key FILE… and/or --key-uri pkcs11:…', { where: '--key' });
  const root = loadRoot(folder);
  const top = loadTopTargets(folder);
  const from = opts.from ?? 'targets';
  const { model: parent, rules } = delegatingRole(folder, from, root, top);
  if (name === from) throw new KeyceremonyError('INVALID_INPUT', `a role cannot delegate to itself (${name})`, { where: '--role' });
  let elsewhere: string | undefined;
  try {
    elsewhere = delegatorOf(folder, name, top).name;
  } catch {
    elsewhere = undefined;
  }
  if (elsewhere !== undefined && elsewhere !== from) {
    throw new KeyceremonyError(
      'CONFLICT',
      `role ${name} is already delegated by ${elsewhere}; a client would find it there first (spec 5.6.7). Remove it there, or change it with --from ${elsewhere}`,
      {
        where: `--role ${name}`,
      },
    );
  }
  const next = nextTargets(parent, expiryOf(opts.expiry ?? {}, opts.now, `${from} v${parent.version + 1}`, parent.expires));
  const before = parent.delegations?.roles?.find((r) => r.name === name);
  if (next.delegations?.succinctRoles) {
    throw new KeyceremonyError(
      'CONFLICT',
      `${from} v${parent.version} (${folder.label}) delegates with succinct hash bins; it cannot also list the role ${name}`,
      { where: `--role ${name}` },
    );
  }
  const role = await delegate(next, {
    name,
    keys: [...opts.keys],
    threshold: opts.threshold,
    ...(paths ? { paths } : {}),
    ...(prefixes ? { pathHashPrefixes: prefixes } : {}),
    terminating: opts.terminating ?? false,
  });
  const treq = withNames(
    await createRequest({
      signed: next.toJSON(),
      role: from,
      rules,
      previous: parent.toJSON(),
      note: `delegation ${name} ${before ? 'changed' : 'added'}${from !== 'targets' ? ` by ${from}` : ''}`,
    }),
    opts.names,
  );
  const hasOwn = latestRoleFiles(folder).has(name);
  const existing = hasOwn ? loadLatest(folder, name, (v) => Targets.fromJSON(v)).model : undefined;
  // the role's own metadata: version 1 when new; a new version when its keys change (old signatures would not count)
  const keysChanged = !before || before.threshold !== role.threshold || before.keyids.join() !== role.keyids.join();
  let rreq: SigningRequest | undefined;
  if (keysChanged) {
    const roleExpires = expiryOf(
      opts.roleExpiresInDays !== undefined ? { expiresInDays: opts.roleExpiresInDays } : {},
      opts.now,
      name,
      existing?.expires ?? expiresIn(opts.now, DEFAULT_EXPIRY_DAYS.targets),
    );
    const rt = existing ? nextTargets(existing, roleExpires) : newTargets(roleExpires);
    rreq = withNames(
      await createRequest({
        signed: rt.toJSON(),
        role: name,
        rules: roleRules(name, root, next),
        ...(existing ? { previous: existing.toJSON() } : {}),
        note: `delegated role ${name} (keys ${existing ? 'changed' : 'new'})`,
      }),
      opts.names,
    );
  }
  const warnings: string[] = [];
  for (const p of Object.keys(existing?.targets ?? {})) {
    try {
      await checkPathInRole(name, p, next);
    } catch (e) {
      warnings.push((e as Error).message);
    }
  }
  return rreq ? { targets: treq, role: rreq, warnings } : { targets: treq, warnings };
}

/** The delegating role's latest metadata and the rules its next version must meet. */
function delegatingRole(folder: MetadataFolder, from: string, root: Root, top: Targets): { model: Targets; rules: ReturnType<typeof roleRules> } {
  if (from === 'targets') return { model: top, rules: roleRules('targets', root, top) };
  const holder = delegatorOf(folder, from, top).model;
  if (!latestRoleFiles(folder).has(from)) {
    throw new KeyceremonyError('NOT_FOUND', `--from ${from}: ${folder.label} has no N.${from}.json yet (sign and write its request first)`, {
      where: '--from',
    });
  }
  return { model: loadLatest(folder, from, (v) => Targets.fromJSON(v)).model, rules: roleRules(from, root, holder) };
}

/** targets v+1 (or the delegating role's v+1, `from`) without the delegated role `name`. */
export async function removeDelegationRequest(
  folder: MetadataFolder,
  opts: { name: string; from?: string; expiry?: ExpirySpec; now: number; names?: SignerNames },
): Promise<SigningRequest> {
  const root = loadRoot(folder);
  const top = loadTopTargets(folder);
  const from = opts.from ?? 'targets';
  const { model: parent, rules } = delegatingRole(folder, from, root, top);
  const next = nextTargets(parent, expiryOf(opts.expiry ?? {}, opts.now, `${from} v${parent.version + 1}`, parent.expires));
  try {
    removeDelegation(next, opts.name);
  } catch (e) {
    if (e instanceof KeyceremonyError)
      throw new KeyceremonyError(e.code, `${from} v${parent.version} (${folder.label}): ${e.message}`, { where: `--role ${opts.name}` });
    throw e;
  }
  return withNames(
    await createRequest({ signed: next.toJSON(), role: from, rules, previous: parent.toJSON(), note: `delegation ${opts.name} removed` }),
    opts.names,
  );
}

/** The next version of any role with a later expiry (root: old- and new-root rules). */
export async function renewRequest(
  folder: MetadataFolder,
  opts: { role: string; expiry: ExpirySpec; now: number; names?: SignerNames },
): Promise<SigningRequest> {
  const { role, now } = opts;
  if (opts.expiry.expires === undefined && opts.expiry.expiresInDays === undefined) {
    throw new KeyceremonyError('INVALID_INPUT', 'give --expires-in DAYS or --expires TIME', { where: '--expires-in' });
  }
  const root = loadRoot(folder);
  let req: SigningRequest;
  if (role === 'root') {
    const next = await nextRoot(root, { expires: expiryOf(opts.expiry, now, `root v${root.version + 1}`) });
    req = await createRequest({ signed: next.toJSON(), role: 'root', rules: rootRules(next, root), previous: root.toJSON(), note: 'expiry bump' });
  } else if (role === 'snapshot') {
    const prev = loadLatest(folder, 'snapshot', (v) => Snapshot.fromJSON(v)).model;
    const next = Snapshot.fromJSON(JSON.parse(JSON.stringify(prev.toJSON())) as unknown);
    next.version = prev.version + 1;
    next.expires = expiryOf(opts.expiry, now, `snapshot v${next.version}`);
    req = await createRequest({ signed: next.toJSON(), role, rules: roleRules(role, root, undefined), previous: prev.toJSON(), note: 'expiry bump' });
  } else if (role === 'timestamp') {
    // over the latest snapshot file in the folder (after a snapshot renewal, this points the timestamp at it)
    const prev = loadLatest(folder, 'timestamp', (v) => Timestamp.fromJSON(v)).model;
    const sn = loadLatest(folder, 'snapshot', (v) => Snapshot.fromJSON(v));
    const next = await newTimestamp(sn.bytes, sn.model.version, expiryOf(opts.expiry, now, `timestamp v${prev.version + 1}`), prev.version + 1);
    req = await createRequest({
      signed: next.toJSON(),
      role,
      rules: roleRules(role, root, undefined),
      previous: prev.toJSON(),
      note: `expiry bump over ${sn.file}`,
    });
  } else {
    const top = loadTopTargets(folder);
    const rules = roleRules(role, root, rulesHolder(folder, role, top));
    const prev = role === 'targets' ? top : loadLatest(folder, role, (v) => Targets.fromJSON(v)).model;
    const next = nextTargets(prev, expiryOf(opts.expiry, now, `${role} v${prev.version + 1}`));
    req = await createRequest({ signed: next.toJSON(), role, rules, previous: prev.toJSON(), note: 'expiry bump' });
  }
  return withNames(req, opts.names);
}

export type TopRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

/** Root v+1 changing the keys or threshold of one top-level role (old- and new-root thresholds). */
export async function rotateRequest(
  folder: MetadataFolder,
  opts: {
    role?: TopRole;
    add?: readonly TufKeyJSON[];
    removeKeyids?: readonly string[];
    threshold?: number;
    expiry?: ExpirySpec;
    rootDays?: number;
    now: number;
    names?: SignerNames;
  },
): Promise<SigningRequest> {
  const role = opts.role ?? 'root';
  if (!['root', 'targets', 'snapshot', 'timestamp'].includes(role)) {
    throw new KeyceremonyError(
      'INVALID_INPUT',
      `--role is root, targets, snapshot or timestamp (keys of a delegated role: tuf delegate), got ${JSON.stringify(role)}`,
      { where: '--role' },
    );
  }
  const prev = loadRoot(folder);
  const ids = prev.roles[role].keyids;
  const remove = (opts.removeKeyids ?? []).map((p) => {
    const hits = ids.filter((id) => id.startsWith(p));
    if (hits.length !== 1) {
      throw new KeyceremonyError('KEY_NOT_FOUND', `--remove-key ${p} matches ${hits.length} ${role} keys of root v${prev.version} (${folder.label})`, {
        where: p,
      });
    }
    return hits[0]!;
  });
  const add = [...(opts.add ?? [])];
  if (!add.length && !remove.length && opts.threshold === undefined) {
    throw new KeyceremonyError(
      'INVALID_INPUT',
      'nothing to change: give --add-key FILE, --remove-key KEYID or --threshold T (an expiry alone: tuf renew --role root)',
      {
        where: '--add-key',
      },
    );
  }
  const e = opts.expiry ?? {};
  if (opts.rootDays !== undefined && (e.expires !== undefined || e.expiresInDays !== undefined)) {
    throw new KeyceremonyError('INVALID_INPUT', 'give --root-days or --expires/--expires-in, not both', { where: '--root-days' });
  }
  const expires =
    e.expires !== undefined || e.expiresInDays !== undefined
      ? expiryOf(e, opts.now, `root v${prev.version + 1}`)
      : expiresIn(opts.now, opts.rootDays ?? DEFAULT_EXPIRY_DAYS.root);
  const next = await nextRoot(prev, {
    add: { [role]: add },
    remove: { [role]: remove },
    ...(opts.threshold !== undefined ? { threshold: { [role]: opts.threshold } } : {}),
    expires,
  });
  return withNames(
    await createRequest({
      signed: next.toJSON(),
      role: 'root',
      rules: rootRules(next, prev),
      previous: prev.toJSON(),
      ...(role !== 'root' ? { note: `${role} keys rotated` } : {}),
    }),
    opts.names,
  );
}

// ---------------------------------------------------------------------------------------------

/**
 * New snapshot + timestamp over the latest targets-family files in the folder, signed by the online
 * key (spec #update-snapshot-metadata, #update-timestamp-metadata); also the way to bump their expiry.
 * Refused while a role the latest targets delegates to has no file (clients would fail to fetch it).
 */
export interface SnapshotPlan {
  /** Versions of every targets-family role the new snapshot lists. */
  versions: Record<string, number>;
  snapshotVersion: number;
  timestampVersion: number;
}

/** What `snapshotFiles` will sign; refuses a folder that is not ready (before any token is asked for). */
export function planSnapshot(folder: MetadataFolder, writeHint?: string): SnapshotPlan {
  const latest = latestRoleFiles(folder);
  const versions: Record<string, number> = {};
  for (const [role, { version }] of latest) if (!['root', 'snapshot'].includes(role)) versions[role] = version;
  if (versions.targets === undefined) throw new KeyceremonyError('NOT_FOUND', `no N.targets.json in ${folder.label}`, { where: folder.label });
  const top = loadTopTargets(folder);
  const d = top.delegations;
  const delegated = [...(d?.roles ?? []).map((r) => r.name), ...(d?.succinctRoles ? allBinNames(d.succinctRoles) : [])];
  const missing = delegated.filter((n) => versions[n] === undefined);
  if (missing.length) {
    throw new KeyceremonyError(
      'PRECONDITION_FAILED',
      `targets v${top.version} delegates to ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} but ${folder.label} has no N.<role>.json for ${missing.length > 1 ? 'them' : 'it'}: sign and write ${missing.length > 1 ? 'their' : 'its'} request first${writeHint ? ` (${writeHint})` : ''}`,
      { where: folder.label },
    );
  }
  let timestampVersion = 1;
  const tsBytes = folder.read('timestamp.json');
  if (tsBytes) {
    const t = readEnvelope(parseStrictJsonBytes(tsBytes, { source: `${folder.label}/timestamp.json` }));
    timestampVersion = (signedFromJSON(t.signedRaw).version ?? 0) + 1;
  }
  return { versions, snapshotVersion: (latest.get('snapshot')?.version ?? 0) + 1, timestampVersion };
}

/**
 * New snapshot + timestamp over the latest targets-family files in the folder, signed by the online
 * key (spec #update-snapshot-metadata, #update-timestamp-metadata); also the way to bump their expiry.
 * Refused while a role the latest targets delegates to has no file (clients would fail to fetch it).
 */
export async function snapshotFiles(
  folder: MetadataFolder,
  signer: Signer,
  opts: { now: number; snapshotDays?: number; timestampDays?: number; writeHint?: string },
): Promise<{ files: OutFile[]; summary: string }> {
  const plan = planSnapshot(folder, opts.writeHint);
  const files = await publishTargets({
    roles: new Map(),
    otherVersions: plan.versions,
    snapshotVersion: plan.snapshotVersion,
    timestampVersion: plan.timestampVersion,
    expires: {
      snapshot: expiresIn(opts.now, opts.snapshotDays ?? DEFAULT_EXPIRY_DAYS.snapshot),
      timestamp: expiresIn(opts.now, opts.timestampDays ?? DEFAULT_EXPIRY_DAYS.timestamp),
    },
    signers: { snapshot: [signer], timestamp: [signer] },
  });
  return {
    files,
    summary: `snapshot v${plan.snapshotVersion} over ${Object.entries(plan.versions)
      .map(([r, v]) => `${r} v${v}`)
      .join(', ')}; timestamp v${plan.timestampVersion}`,
  };
}

/**
 * May a new request be written where `existingText` is? Refused when that file is not a signing
 * request, or holds signatures over other bytes (custodians' work would be lost).
 */
export function checkOverwrite(existingText: string | undefined, req: SigningRequest, label: string): void {
  if (existingText === undefined) return;
  let old: SigningRequest;
  try {
    old = parseRequest(existingText, label);
  } catch {
    throw new KeyceremonyError('CONFLICT', `${label} exists and is not a signing request; choose another --out`, { where: label });
  }
  if (old.signatures.length > 0 && old.signedSha256 !== req.signedSha256) {
    throw new KeyceremonyError(
      'CONFLICT',
      `${label} already holds ${old.signatures.length} signature(s) over ${old.role} v${old.version} (sha256 ${old.signedSha256.slice(0, 16)}…); ` +
        'writing the new request there would lose them: choose another --out or move it away',
      { where: label },
    );
  }
}

/** A summary of the repository in a folder, for the release manager's overview. */
export interface RepositoryOverview {
  rootVersion: number;
  roles: { role: string; version: number; expires: string; threshold: number; keyids: string[]; file: string }[];
  delegations: { name: string; threshold: number; keyids: string[]; scope: string; terminating: boolean; hasFile: boolean }[];
  hashBins?: { prefix: string; bitLength: number; count: number; threshold: number; keyids: string[] };
  targets: number;
  keys: Record<string, TufKeyJSON>;
}

export function repositoryOverview(folder: MetadataFolder): RepositoryOverview {
  const root = loadRoot(folder);
  const latest = latestRoleFiles(folder);
  const roles: RepositoryOverview['roles'] = [
    {
      role: 'root',
      version: root.version,
      expires: root.expires,
      threshold: root.roles.root.threshold,
      keyids: root.roles.root.keyids,
      file: `${root.version}.root.json`,
    },
  ];
  const keys: Record<string, TufKeyJSON> = { ...root.keys };
  let top: Targets | undefined;
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    let version = 0;
    let expires = '';
    let file = '';
    try {
      if (role === 'timestamp') {
        const t = loadLatest(folder, 'timestamp', (v) => Timestamp.fromJSON(v));
        version = t.model.version;
        expires = t.model.expires;
        file = t.file;
      } else if (role === 'snapshot') {
        const s = loadLatest(folder, 'snapshot', (v) => Snapshot.fromJSON(v));
        version = s.model.version;
        expires = s.model.expires;
        file = s.file;
      } else {
        const t = loadLatest(folder, 'targets', (v) => Targets.fromJSON(v));
        top = t.model;
        version = t.model.version;
        expires = t.model.expires;
        file = t.file;
      }
    } catch (e) {
      if (!(e instanceof KeyceremonyError && e.code === 'NOT_FOUND')) throw e;
    }
    roles.push({ role, version, expires, threshold: root.roles[role].threshold, keyids: root.roles[role].keyids, file });
  }
  const d = top?.delegations;
  Object.assign(keys, d?.keys ?? {});
  const out: RepositoryOverview = {
    rootVersion: root.version,
    roles,
    delegations: (d?.roles ?? []).map((r) => ({
      name: r.name,
      threshold: r.threshold,
      keyids: r.keyids,
      scope: r.paths ? `paths ${r.paths.join(', ')}` : `hash prefixes ${(r.pathHashPrefixes ?? []).join(', ')}`,
      terminating: r.terminating,
      hasFile: latest.has(r.name),
    })),
    targets: Object.keys(top?.targets ?? {}).length,
    keys,
  };
  if (d?.succinctRoles) {
    const s = d.succinctRoles;
    out.hashBins = { prefix: s.namePrefix, bitLength: s.bitLength, count: 2 ** s.bitLength, threshold: s.threshold, keyids: s.keyids };
  }
  return out;
}

export type { TargetFile };

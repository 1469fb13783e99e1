/**
 * Operations on a Notary repository directory, as a map of relative file name -> bytes in, files to
 * write out. The directory holds `root.json` (current root, also kept as `<version>.root.json` so
 * the chain can be verified and rotations signed against the previous root), `targets.json`,
 * `targets/<role>.json`, and `snapshot.json` when the client manages the snapshot. The server makes
 * `timestamp.json` (and a server-managed snapshot) on publish.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { bytesEqual } from '../../../shared/encoding/bytes';
import {
  certOfKey,
  checkFileMeta,
  notaryKeyFromCertPem,
  parseNotaryFile,
  serializeSignedFile,
  type NotaryKey,
  type NotaryRoot,
  type NotarySignature,
  type NotarySignedBody,
  type NotarySnapshot,
  type NotaryTargets,
  type ParsedNotaryFile,
} from '../../../shared/notary';
import type { Signer } from '../signer';
import {
  addDelegation,
  addSigner,
  removeDelegation,
  buildRoot,
  buildSnapshot,
  DEFAULT_EXPIRY_DAYS,
  emptyTargets,
  expiresIn,
  nextTargets,
  removeTarget,
  rotateRoot,
  setTarget,
} from './build';
import { formatStatus, mergeSignatures, rulesFor, signWith, statusOf, type RuleStatus, type SigningRule } from './sign';

export type RepoFiles = ReadonlyMap<string, Uint8Array>;

export function roleFile(role: string): string {
  return `${role}.json`;
}

/**
 * Where the last complete version of a role is kept when a new one is staged (for the diff a
 * custodian reads before signing). Hidden, so it is never published or snapshotted.
 */
export function previousFile(role: string): string {
  return `.previous/${role}.json`;
}

function load<T extends NotarySignedBody>(files: RepoFiles, role: string, type: T['_type']): ParsedNotaryFile<T> | undefined {
  const b = files.get(roleFile(role));
  return b ? parseNotaryFile<T>(b, { source: roleFile(role), expectType: type }) : undefined;
}

function need<T extends NotarySignedBody>(files: RepoFiles, role: string, type: T['_type']): ParsedNotaryFile<T> {
  const f = load<T>(files, role, type);
  if (!f) throw new KeyceremonyError('NOT_FOUND', `${roleFile(role)} is missing from the repository directory`, { where: roleFile(role) });
  return f;
}

function rootFiles(root: NotaryRoot, sigs: readonly NotarySignature[]): Map<string, Uint8Array> {
  const bytes = serializeSignedFile(root, sigs);
  return new Map([
    ['root.json', bytes],
    [`${root.version}.root.json`, bytes],
  ]);
}

/** The root before the current one (for rotation rules), from `<v-1>.root.json`. */
export function previousRoot(files: RepoFiles, root: NotaryRoot): NotaryRoot | undefined {
  const b = files.get(`${root.version - 1}.root.json`);
  return b ? parseNotaryFile<NotaryRoot>(b, { source: `${root.version - 1}.root.json`, expectType: 'Root' }).signed : undefined;
}

export interface InitSpec {
  gun: string;
  /** PEM certificates (CN = GUN) of the root keys, each made by its token. */
  rootCertsPem: readonly string[];
  rootThreshold: number;
  targetsKeys: readonly NotaryKey[];
  /** A client-held snapshot key, or the server's snapshot.key (then the server signs snapshots). */
  snapshotKeys: readonly NotaryKey[];
  timestampKey: NotaryKey;
  now: Date;
  rootDays?: number;
  targetsDays?: number;
  targets?: readonly { name: string; bytes: Uint8Array }[];
}

/** A new GUN: unsigned root v1 and targets v1 (sign them, then build+sign the snapshot). */
export async function initRepo(spec: InitSpec): Promise<Map<string, Uint8Array>> {
  const root = await buildRoot({
    gun: spec.gun,
    rootKeys: spec.rootCertsPem.map((p, i) => {
      try {
        return notaryKeyFromCertPem(p);
      } catch (e) {
        throw new KeyceremonyError('INVALID_KEY', `root certificate ${i + 1}: ${(e as Error).message}`, { where: `root certificate ${i + 1}`, cause: e });
      }
    }),
    rootThreshold: spec.rootThreshold,
    targetsKeys: spec.targetsKeys,
    snapshotKeys: spec.snapshotKeys,
    timestampKeys: [spec.timestampKey],
    version: 1,
    expires: expiresIn(spec.now, spec.rootDays ?? DEFAULT_EXPIRY_DAYS.root),
  });
  const targets = emptyTargets(1, expiresIn(spec.now, spec.targetsDays ?? DEFAULT_EXPIRY_DAYS.targets));
  for (const t of spec.targets ?? []) await setTarget(targets, t.name, t.bytes);
  const out = rootFiles(root, []);
  out.set('targets.json', serializeSignedFile(targets, []));
  return out;
}

/** Stage root v N+1 (new root certificates and/or threshold, or just a new expiry). */
export async function stageRootRotation(
  files: RepoFiles,
  change: {
    rootCertsPem?: readonly string[];
    rootThreshold?: number;
    /** Replace online keys too (then re-sign that role under the new root). */
    targetsKeys?: readonly NotaryKey[];
    snapshotKeys?: readonly NotaryKey[];
    timestampKeys?: readonly NotaryKey[];
    now: Date;
    rootDays?: number;
  },
): Promise<Map<string, Uint8Array>> {
  const cur = need<NotaryRoot>(files, 'root', 'Root');
  const st = await statusOf(rulesFor('root', cur.signed, { prevRoot: previousRoot(files, cur.signed) }), cur.signatures, cur.signedBytes);
  if (!st.every((s) => s.met)) {
    throw new KeyceremonyError(
      'PRECONDITION_FAILED',
      `root v${cur.signed.version} is not fully signed yet (${formatStatus('root', cur.signed.version, st)}); finish or discard it before rotating`,
      { where: 'root.json' },
    );
  }
  const gun = gunOf(cur.signed);
  const next = await rotateRoot(cur.signed, {
    gun,
    rootKeys: change.rootCertsPem?.map((p) => notaryKeyFromCertPem(p)),
    rootThreshold: change.rootThreshold,
    targetsKeys: change.targetsKeys,
    snapshotKeys: change.snapshotKeys,
    timestampKeys: change.timestampKeys,
    expires: expiresIn(change.now, change.rootDays ?? DEFAULT_EXPIRY_DAYS.root),
  });
  return rootFiles(next, []);
}

/** The GUN: the CN of the root certificates. */
export function gunOf(root: NotaryRoot): string {
  const id = root.roles.root.keyids[0];
  const k = id ? root.keys[id] : undefined;
  let cn: string | null = null;
  try {
    cn = k ? certOfKey(k).subjectCN : null;
  } catch {
    cn = null;
  }
  if (!cn) throw new KeyceremonyError('INVALID_METADATA', 'root has no root certificate with a CN (the GUN)', { where: 'root.json' });
  return cn;
}

async function isComplete(files: RepoFiles, role: string, f: ParsedNotaryFile): Promise<boolean> {
  const root = need<NotaryRoot>(files, 'root', 'Root').signed;
  const parent = role.startsWith('targets/') ? need<NotaryTargets>(files, parentOf(role), 'Targets').signed : undefined;
  const st = await statusOf(
    rulesFor(role, f.signed, { root, parent, prevRoot: role === 'root' ? previousRoot(files, root) : undefined }),
    f.signatures,
    f.signedBytes,
  );
  return st.every((s) => s.met);
}

function parentOf(role: string): string {
  return role.slice(0, role.lastIndexOf('/'));
}

/**
 * Edit a targets role (`targets` or a delegated `targets/<name>`): add/replace/remove targets. A
 * fully signed file gets the next version; a file still being signed is edited in place. Either
 * way the signatures start over.
 */
export async function stageTargets(
  files: RepoFiles,
  edit: { role?: string; add?: readonly { name: string; bytes: Uint8Array }[]; remove?: readonly string[]; now: Date; days?: number },
): Promise<Map<string, Uint8Array>> {
  const role = edit.role ?? 'targets';
  if (role !== 'targets') {
    const parent = need<NotaryTargets>(files, parentOf(role), 'Targets').signed;
    if (!parent.delegations.roles.some((d) => d.name === role)) {
      throw new KeyceremonyError('NOT_FOUND', `${parentOf(role)}.json has no delegation ${JSON.stringify(role)} (add a signer first)`, { where: role });
    }
  }
  const cur = load<NotaryTargets>(files, role, 'Targets');
  const expires = expiresIn(edit.now, edit.days ?? DEFAULT_EXPIRY_DAYS.targets);
  let t: NotaryTargets;
  const out = new Map<string, Uint8Array>();
  if (!cur) t = emptyTargets(1, expires);
  else if (cur.signatures.length > 0 && (await isComplete(files, role, cur))) {
    t = nextTargets(cur.signed, expires);
    out.set(previousFile(role), cur.bytes);
  } else {
    t = JSON.parse(JSON.stringify(cur.signed)) as NotaryTargets;
    t.expires = expires;
  }
  for (const a of edit.add ?? []) await setTarget(t, a.name, a.bytes);
  for (const r of edit.remove ?? []) removeTarget(t, r);
  out.set(roleFile(role), serializeSignedFile(t, []));
  return out;
}

/** `docker trust signer add`: targets/<name> and targets/releases get the signer's keys. */
export async function stageSigner(
  files: RepoFiles,
  s: { name: string; keys: readonly NotaryKey[]; now: Date; days?: number },
): Promise<Map<string, Uint8Array>> {
  const cur = need<NotaryTargets>(files, 'targets', 'Targets');
  const expires = expiresIn(s.now, s.days ?? DEFAULT_EXPIRY_DAYS.targets);
  const complete = cur.signatures.length > 0 && (await isComplete(files, 'targets', cur));
  const t = complete ? nextTargets(cur.signed, expires) : (JSON.parse(JSON.stringify(cur.signed)) as NotaryTargets);
  t.expires = expires;
  await addSigner(t, s.name, s.keys);
  const out = new Map([['targets.json', serializeSignedFile(t, [])]]);
  if (complete) out.set(previousFile('targets'), cur.bytes);
  return out;
}

/**
 * `notary delegation add|remove`: the next version of the delegating role (targets, or targets/A for
 * targets/A/B) with the delegation changed; the new version waits for signatures like any other.
 */
export async function stageDelegation(
  files: RepoFiles,
  edit:
    | { op: 'add'; role: string; keys: readonly NotaryKey[]; paths: readonly string[]; allPaths: boolean; now: Date; days?: number }
    | { op: 'remove'; role: string; keyIds: readonly string[]; paths: readonly string[]; allPaths: boolean; now: Date; days?: number },
): Promise<{ files: Map<string, Uint8Array>; summary: string }> {
  const parent = parentOf(edit.role);
  const cur = need<NotaryTargets>(files, parent, 'Targets');
  const expires = expiresIn(edit.now, edit.days ?? DEFAULT_EXPIRY_DAYS.targets);
  const complete = cur.signatures.length > 0 && (await isComplete(files, parent, cur));
  const t = complete ? nextTargets(cur.signed, expires) : (JSON.parse(JSON.stringify(cur.signed)) as NotaryTargets);
  t.expires = expires;
  if (!t.delegations) t.delegations = { keys: {}, roles: [] };
  let summary: string;
  const paths = (ps: readonly string[]) => `[${ps.map((p) => (p === '' ? '"" (every path)' : JSON.stringify(p))).join(', ')}]`;
  if (edit.op === 'add') {
    let within: string[] | undefined;
    if (parent !== 'targets') {
      const grand = need<NotaryTargets>(files, parentOf(parent), 'Targets').signed;
      within = grand.delegations?.roles.find((x) => x.name === parent)?.paths ?? [];
    }
    const r = await addDelegation(t, edit.role, { keys: edit.keys, paths: edit.paths, allPaths: edit.allPaths, ...(within ? { within } : {}) });
    const parts = [r.keyIds.length ? `keys ${r.keyIds.map((i) => i.slice(0, 12)).join(', ')}` : '', r.paths.length ? `paths ${paths(r.paths)}` : ''].filter(
      Boolean,
    );
    summary = `${r.created ? 'new delegation' : 'delegation'} ${edit.role}${parts.length ? ` with ${parts.join(' and ')}` : ''} staged in ${parent} v${t.version}`;
  } else {
    const r = removeDelegation(t, edit.role, { keyIds: edit.keyIds, paths: edit.paths, allPaths: edit.allPaths });
    summary = r.removedRole
      ? `delegation ${edit.role} removed (with its keys and paths) in ${parent} v${t.version}`
      : `from ${edit.role}: removed ${[r.keyIds.length ? `keys ${r.keyIds.map((i) => i.slice(0, 12)).join(', ')}` : '', edit.allPaths ? 'every path' : r.paths.length ? `paths ${paths(r.paths)}` : ''].filter(Boolean).join(' and ') || 'nothing'} in ${parent} v${t.version}`;
  }
  const out = new Map([[roleFile(parent), serializeSignedFile(t, [])]]);
  if (complete) out.set(previousFile(parent), cur.bytes);
  return { files: out, summary };
}

/** Files that the snapshot covers: root, targets and delegated role files present. */
function snapshotInputs(files: RepoFiles): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const [f, b] of files) {
    if (f === 'root.json' || f === 'targets.json' || (f.startsWith('targets/') && f.endsWith('.json'))) m.set(f.slice(0, -'.json'.length), b);
  }
  return m;
}

/**
 * Sign `role` with one token key. For `snapshot`, first (re)build the snapshot over the current
 * files if it does not describe them, after checking every file it covers is fully signed.
 */
export async function signRole(
  files: RepoFiles,
  role: string,
  signer: Signer,
  opts: { now: Date; snapshotDays?: number; rebuild?: boolean } = { now: new Date() },
): Promise<{ files: Map<string, Uint8Array>; status: string; signedAs: string[]; already: string[] }> {
  const root = need<NotaryRoot>(files, 'root', 'Root');
  let f: { signed: NotarySignedBody; signatures: NotarySignature[] };
  const extra = new Map<string, Uint8Array>();
  if (role === 'snapshot') {
    f = await snapshotToSign(files, opts);
    const cur = files.get('snapshot.json');
    if (cur && parseNotaryFile(cur).signed.version < f.signed.version) extra.set(previousFile('snapshot'), cur);
  } else {
    const loaded = need(files, role, role === 'root' ? 'Root' : 'Targets');
    f = { signed: loaded.signed, signatures: [...loaded.signatures] };
  }
  const parent = role.startsWith('targets/') ? need<NotaryTargets>(files, parentOf(role), 'Targets').signed : undefined;
  const rules = rulesFor(role, f.signed, {
    root: role === 'root' ? (f.signed as NotaryRoot) : root.signed,
    prevRoot: role === 'root' ? previousRoot(files, f.signed as NotaryRoot) : undefined,
    parent,
  });
  const res = await signWith(f.signed, f.signatures, rules, signer);
  const bytes = serializeSignedFile(f.signed, res.signatures);
  const out = role === 'root' ? rootFiles(f.signed as NotaryRoot, res.signatures) : new Map([[roleFile(role), bytes]]);
  for (const [k, v] of extra) out.set(k, v);
  const st = await statusOf(rules, res.signatures, parseNotaryFile(bytes).signedBytes);
  return { files: out, status: formatStatus(role, f.signed.version, st), signedAs: res.keyIds, already: res.already };
}

async function snapshotToSign(
  files: RepoFiles,
  opts: { now: Date; snapshotDays?: number; rebuild?: boolean },
): Promise<{ signed: NotarySnapshot; signatures: NotarySignature[] }> {
  const inputs = snapshotInputs(files);
  for (const role of inputs.keys()) {
    const f = need(files, role, role === 'root' ? 'Root' : 'Targets');
    if (!(await isComplete(files, role, f))) {
      throw new KeyceremonyError(
        'PRECONDITION_FAILED',
        `${role}.json is not fully signed yet; the snapshot covers its final bytes, so sign it first (${(await roleStatus(files, role)).line})`,
        { where: `${role}.json` },
      );
    }
  }
  const cur = load<NotarySnapshot>(files, 'snapshot', 'Snapshot');
  // --rebuild renews a complete snapshot; one still collecting signatures is signed as it is
  if (cur && (!opts.rebuild || !(await isComplete(files, 'snapshot', cur)))) {
    let matches = Object.keys(cur.signed.meta).length === inputs.size;
    for (const [role, b] of inputs) {
      const m = cur.signed.meta[role];
      if (!m || (await checkFileMeta(b, m)).length) matches = false;
    }
    if (matches) return { signed: cur.signed, signatures: [...cur.signatures] };
  }
  const version = cur ? cur.signed.version + (cur.signatures.length ? 1 : 0) : 1;
  return { signed: await buildSnapshot(inputs, version, expiresIn(opts.now, opts.snapshotDays ?? DEFAULT_EXPIRY_DAYS.snapshot)), signatures: [] };
}

export interface RoleStatusLine {
  role: string;
  version: number;
  complete: boolean;
  rules: RuleStatus[];
  line: string;
}

/** The rules a role's current file must meet, and the file (what status and the key picker read). */
export function rulesOfRole(files: RepoFiles, role: string): { rules: SigningRule[]; file: ParsedNotaryFile } {
  const root = need<NotaryRoot>(files, 'root', 'Root');
  const f = role === 'root' ? root : need(files, role, role === 'snapshot' ? 'Snapshot' : role === 'timestamp' ? 'Timestamp' : 'Targets');
  const parent = role.startsWith('targets/') ? need<NotaryTargets>(files, parentOf(role), 'Targets').signed : undefined;
  return { rules: rulesFor(role, f.signed, { root: root.signed, prevRoot: role === 'root' ? previousRoot(files, root.signed) : undefined, parent }), file: f };
}

export async function roleStatus(files: RepoFiles, role: string): Promise<RoleStatusLine> {
  const { rules, file: f } = rulesOfRole(files, role);
  const st = await statusOf(rules, f.signatures, f.signedBytes);
  return { role, version: f.signed.version, complete: st.every((s) => s.met), rules: st, line: formatStatus(role, f.signed.version, st) };
}

/** Status of every role file present. */
export async function repoStatus(files: RepoFiles): Promise<RoleStatusLine[]> {
  const roles = [
    'root',
    'targets',
    ...[...files.keys()]
      .filter((f) => f.startsWith('targets/') && f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort(),
  ];
  if (files.has('snapshot.json')) roles.push('snapshot');
  const out: RoleStatusLine[] = [];
  for (const r of roles) out.push(await roleStatus(files, r));
  if (files.has('snapshot.json')) {
    const sn = need<NotarySnapshot>(files, 'snapshot', 'Snapshot').signed;
    for (const [role, b] of snapshotInputs(files)) {
      const m = sn.meta[role];
      const stale = !m || (await checkFileMeta(b, m)).length > 0;
      if (stale) {
        const last = out[out.length - 1] as RoleStatusLine;
        last.complete = false;
        last.line += ` — stale: does not describe the current ${role}.json (sign snapshot again to rebuild it)`;
        break;
      }
    }
  }
  return out;
}

/** Same bytes? (for idempotent writes) */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && bytesEqual(a, b);
}

/** The body `sign` would sign for `role` now (for snapshot: rebuilt if stale) and its previous version. */
export async function pendingFor(
  files: RepoFiles,
  role: string,
  opts: { now: Date; snapshotDays?: number; rebuild?: boolean },
): Promise<{ next: NotarySignedBody; prev: NotarySignedBody | undefined }> {
  const prevOf = (r: string) => {
    const b = files.get(previousFile(r));
    return b ? parseNotaryFile(b, { source: previousFile(r) }).signed : undefined;
  };
  if (role === 'root') {
    const root = need<NotaryRoot>(files, 'root', 'Root').signed;
    return { next: root, prev: previousRoot(files, root) };
  }
  if (role === 'snapshot') {
    const next = (await snapshotToSign(files, opts)).signed;
    const cur = load<NotarySnapshot>(files, 'snapshot', 'Snapshot');
    return { next, prev: cur && cur.signed.version < next.version ? cur.signed : prevOf('snapshot') };
  }
  return { next: need(files, role, 'Targets').signed, prev: prevOf(role) };
}

/**
 * Merge signatures from another copy of the directory (a custodian signed in parallel). Files over
 * the same bytes merge; a file over other bytes is refused (SIGNATURE_MISMATCH names it).
 */
export function mergeRepos(files: RepoFiles, other: RepoFiles): { files: Map<string, Uint8Array>; merged: string[] } {
  const out = new Map<string, Uint8Array>();
  const merged: string[] = [];
  for (const [name, theirs] of other) {
    if (name.startsWith('.')) continue;
    const ours = files.get(name);
    if (!ours) continue;
    const a = parseNotaryFile(ours, { source: name });
    const b = parseNotaryFile(theirs, { source: name });
    let sigs: NotarySignature[];
    try {
      sigs = mergeSignatures(a, b);
    } catch (e) {
      throw new KeyceremonyError(
        'SIGNATURE_MISMATCH',
        `${name}: the other copy signs different contents (v${b.signed.version} vs v${a.signed.version} here); have that custodian re-sign this version`,
        { where: name, cause: e },
      );
    }
    if (sigs.length !== a.signatures.length) {
      out.set(name, serializeSignedFile(a.signed, sigs));
      merged.push(`${name}: +${sigs.length - a.signatures.length} signature(s)`);
    }
  }
  return { files: out, merged };
}

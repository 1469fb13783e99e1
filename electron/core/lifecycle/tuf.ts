/**
 * The roles of a TUF repository folder for the expiry dashboard: the latest root, timestamp, snapshot
 * and targets, then every delegated role the way a client walks the tree (targets first, pre-order,
 * each role once), hash bins (TAP 15) grouped into one row. Read from the folder's files as they are,
 * without verifying signatures (`tuf verify` does that): an expired role must still be shown.
 */
import { isKeyceremonyError } from '../../../shared/errors';
import { allBinNames } from '../../../shared/tuf/delegation';
import { Root, Snapshot, Targets, Timestamp, parseTufTime } from '../../../shared/tuf/models';
import type { TufKeyJSON } from '../../../shared/tuf/keys';
import { DEFAULT_EXPIRY_DAYS } from '../tuf/repo';
import { latestRoleFiles, loadLatest, type MetadataFolder } from '../tuf/updates';
import { EXPIRY_PERIOD, signingPeriod } from '../tuf/event';
import { shellWord, type RepositoryRoles, type RoleExpiry } from './expiry';

/** Key holders' names by key id, where the repository's settings name them. */
export type KeyNames = Record<string, string>;

function keyName(id: string, key: TufKeyJSON | undefined, names: KeyNames): string | undefined {
  const owner = key?.['x-tuf-on-ci-keyowner'];
  if (typeof owner === 'string' && owner.trim()) return owner.trim();
  if (names[id]) return names[id];
  const uri = key?.['x-tuf-on-ci-online-uri'];
  if (typeof uri === 'string' && /^[a-z0-9+.-]+:/i.test(uri)) return `online key (${uri.slice(0, uri.indexOf(':'))})`;
  return undefined;
}

function signersOf(keyids: readonly string[], keys: Record<string, TufKeyJSON>, names: KeyNames): RoleExpiry['signers'] {
  return keyids.map((keyid) => {
    const name = keyName(keyid, keys[keyid], names);
    return name ? { keyid, name } : { keyid };
  });
}

/**
 * tuf-on-ci's periods of a role, from the first holder that has them (the role's signed part, then its
 * entry in root): the signing period (renewal window, tuf-on-ci's reading: core/tuf/event.ts) and the
 * expiry period (how long its next version is valid).
 */
function periods(...holders: (Record<string, unknown> | undefined)[]): Pick<RoleExpiry, 'signingPeriodDays' | 'signingPeriodSource' | 'expiryPeriodDays'> {
  const sp = holders.map((h) => signingPeriod(h)).find((x) => x !== undefined);
  const ep = holders.map((h) => h?.[EXPIRY_PERIOD]).find((v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0);
  return { ...(sp ? { signingPeriodDays: sp.days, signingPeriodSource: sp.source } : {}), ...(ep !== undefined ? { expiryPeriodDays: ep } : {}) };
}

function has(folder: MetadataFolder, role: string): boolean {
  return latestRoleFiles(folder).has(role) || folder.names().includes(`${encodeURIComponent(role)}.json`);
}

/** Every role of the TUF repository in `folder`, with what could not be read named in `notes`. */
export function tufRoles(folder: MetadataFolder, opts: { dir: string; layout: string; names?: KeyNames }): RepositoryRoles {
  const names = opts.names ?? {};
  const notes: string[] = [];
  const roles: RoleExpiry[] = [];
  const tryLoad = <T>(role: string, from: (v: unknown) => T): { file: string; model: T } | undefined => {
    try {
      return loadLatest(folder, role, from);
    } catch (e) {
      if (!isKeyceremonyError(e)) throw e;
      notes.push(e.code === 'NOT_FOUND' ? `${role}: no ${role}.json or N.${role}.json in the folder` : `${role}: ${e.message}`);
      return undefined;
    }
  };
  const at = (expires: string, what: string) => parseTufTime(expires, `${what} expires`);
  const root = tryLoad('root', (v) => Root.fromJSON(v));
  if (!root) return { kind: 'tuf', dir: opts.dir, layout: opts.layout, roles, notes };
  const R = root.model;
  const top = (
    role: 'root' | 'targets' | 'snapshot' | 'timestamp',
    loaded: { file: string; model: { version: number; expires: string; unrecognized: Record<string, unknown> } },
  ) => {
    const entry = R.roles[role];
    roles.push({
      role,
      kind: role,
      version: loaded.model.version,
      expires: loaded.model.expires,
      expiresMs: at(loaded.model.expires, role),
      file: loaded.file,
      delegator: 'root',
      threshold: entry.threshold,
      signers: signersOf(entry.keyids, R.keys, names),
      // tuf-on-ci: on the role's own metadata (root, targets) or on its entry in root (online roles)
      ...periods(loaded.model.unrecognized, entry.unrecognized),
    });
  };
  top('root', root);
  const ts = tryLoad('timestamp', (v) => Timestamp.fromJSON(v));
  if (ts) top('timestamp', ts);
  const sn = tryLoad('snapshot', (v) => Snapshot.fromJSON(v));
  if (sn) top('snapshot', sn);
  const tg = tryLoad('targets', (v) => Targets.fromJSON(v));
  if (tg) {
    top('targets', tg);
    delegatedRoles(folder, tg.model, roles, notes, names, tryLoad, at);
  }
  return { kind: 'tuf', dir: opts.dir, layout: opts.layout, roles, notes };
}

function delegatedRoles(
  folder: MetadataFolder,
  top: Targets,
  roles: RoleExpiry[],
  notes: string[],
  names: KeyNames,
  tryLoad: <T>(role: string, from: (v: unknown) => T) => { file: string; model: T } | undefined,
  at: (expires: string, what: string) => number,
): void {
  const seen = new Set<string>(['targets']);
  const stack: { name: string; model: Targets }[] = [{ name: 'targets', model: top }];
  while (stack.length) {
    const { name: parent, model } = stack.shift()!;
    const d = model.delegations;
    if (!d) continue;
    const kids: { name: string; model: Targets }[] = [];
    for (const r of d.roles ?? []) {
      if (seen.has(r.name)) continue;
      seen.add(r.name);
      if (!has(folder, r.name)) {
        notes.push(`${parent} delegates to ${r.name}, but the folder has no ${r.name}.json: clients fail to update until it is signed and written`);
        continue;
      }
      const t = tryLoad(r.name, (v) => Targets.fromJSON(v));
      if (!t) continue;
      roles.push({
        role: r.name,
        kind: 'delegated',
        version: t.model.version,
        expires: t.model.expires,
        expiresMs: at(t.model.expires, r.name),
        file: t.file,
        delegator: parent,
        threshold: r.threshold,
        signers: signersOf(r.keyids, d.keys, names),
        ...periods(t.model.unrecognized),
      });
      kids.push({ name: r.name, model: t.model });
    }
    stack.unshift(...kids); // pre-order: a role's own delegations before its siblings'
    const s = d.succinctRoles;
    if (!s) continue;
    const members: NonNullable<RoleExpiry['members']> = [];
    let missing = 0;
    let first: { file: string; model: Targets } | undefined;
    for (const bin of allBinNames(s)) {
      if (!has(folder, bin)) {
        missing++;
        continue;
      }
      const t = tryLoad(bin, (v) => Targets.fromJSON(v));
      if (!t) continue;
      const m = { role: bin, version: t.model.version, expires: t.model.expires, expiresMs: at(t.model.expires, bin) };
      members.push(m);
      if (!first || m.expiresMs < at(first.model.expires, first.file)) first = t;
    }
    if (missing) notes.push(`${parent} delegates to ${2 ** s.bitLength} hash bins ${s.namePrefix}-*; ${missing} of them have no file in the folder`);
    if (!first) continue;
    const earliest = members.reduce((a, b) => (b.expiresMs < a.expiresMs ? b : a));
    roles.push({
      role: `${s.namePrefix}-*`,
      kind: 'hash-bins',
      version: earliest.version,
      expires: earliest.expires,
      expiresMs: earliest.expiresMs,
      file: first.file,
      delegator: parent,
      threshold: s.threshold,
      signers: signersOf(s.keyids, d.keys, names),
      members,
      ...periods(first.model.unrecognized),
    });
  }
}

/** Days the next version is valid: tuf-on-ci's expiry period where the role names one, else our defaults. */
export function renewalDays(row: Pick<RoleExpiry, 'kind' | 'expiryPeriodDays'>): number {
  if (row.expiryPeriodDays !== undefined) return row.expiryPeriodDays;
  switch (row.kind) {
    case 'root':
    case 'snapshot':
    case 'timestamp':
    case 'targets':
      return DEFAULT_EXPIRY_DAYS[row.kind];
    default:
      return DEFAULT_EXPIRY_DAYS.targets;
  }
}

/** `keyceremony tuf renew …` for one row (for hash bins: the bin expiring first; each bin is its own request). */
export function tufRenewCommand(dir: string, row: RoleExpiry): { command: string; note?: string } {
  const first = row.members?.reduce((a, b) => (b.expiresMs < a.expiresMs ? b : a));
  const role = first?.role ?? row.role;
  const version = (first?.version ?? row.version) + 1;
  const command = [
    'keyceremony',
    'tuf',
    'renew',
    '--metadata',
    dir,
    '--role',
    role,
    '--expires-in',
    String(renewalDays(row)),
    '--out',
    `${version}.${encodeURIComponent(role)}.request.json`,
  ]
    .map(shellWord)
    .join(' ');
  const notes: string[] = [];
  if (row.members && row.members.length > 1)
    notes.push(`one request per bin: run it for each of the ${row.members.length} bins (--role ${row.role.replace(/\*$/, '…')})`);
  if (row.kind === 'timestamp' || row.kind === 'snapshot')
    notes.push(
      `or re-sign it with the online key: ${['keyceremony', 'tuf', 'snapshot', '--metadata', dir].map(shellWord).join(' ')} --key pkcs11:… (the online token)`,
    );
  return notes.length ? { command, note: notes.join('; ') } : { command };
}

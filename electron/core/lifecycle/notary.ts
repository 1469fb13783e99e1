/**
 * The roles of a Notary v1 / Docker Content Trust GUN for the expiry dashboard: root, targets,
 * snapshot, timestamp, every delegation (`targets/releases`, `targets/<signer>`, nested ones), and the
 * root certificates (an `ecdsa-x509` root key is only trusted while its certificate is valid, so an
 * expiring certificate is a deadline like any role's). Read from the files as they are, not verified.
 */
import { isKeyceremonyError } from '../../../shared/errors';
import { certOfKey, isX509KeyType, parseNotaryFile, parseNotaryTime, type NotaryKey, type NotaryRoot, type NotaryTargets } from '../../../shared/notary';
import { DEFAULT_EXPIRY_DAYS, gunOf, type RepoFiles } from '../notary';
import { isoSeconds, shellWord, type RepositoryRoles, type RoleExpiry } from './expiry';
import type { KeyNames } from './tuf';

function signersOf(keyids: readonly string[], names: KeyNames): RoleExpiry['signers'] {
  return keyids.map((keyid) => (names[keyid] ? { keyid, name: names[keyid] } : { keyid }));
}

/** Every role of the Notary repository in `files` (relative name -> bytes, as readRepoDir gives them). */
export function notaryRoles(files: RepoFiles, opts: { dir: string; names?: KeyNames }): RepositoryRoles {
  const names = opts.names ?? {};
  const notes: string[] = [];
  const roles: RoleExpiry[] = [];
  const load = (role: string) => {
    const file = `${role}.json`;
    const b = files.get(file);
    if (!b) {
      notes.push(`${role}: no ${file} in the folder`);
      return undefined;
    }
    try {
      return { file, signed: parseNotaryFile(b, { source: file }).signed };
    } catch (e) {
      if (!isKeyceremonyError(e)) throw e;
      notes.push(`${role}: ${e.message}`);
      return undefined;
    }
  };
  const out: RepositoryRoles = { kind: 'notary', dir: opts.dir, layout: 'notary', roles, notes };
  const rf = load('root');
  if (!rf) return out;
  const root = rf.signed as NotaryRoot;
  try {
    out.gun = gunOf(root);
  } catch (e) {
    if (!isKeyceremonyError(e)) throw e;
    notes.push(e.message);
  }
  const add = (
    role: string,
    kind: RoleExpiry['kind'],
    f: { file: string; signed: { version: number; expires: string } },
    keyids: readonly string[],
    threshold: number,
    delegator: string,
  ) => {
    roles.push({
      role,
      kind,
      version: f.signed.version,
      expires: f.signed.expires,
      expiresMs: parseNotaryTime(f.signed.expires, '$.signed.expires', f.file),
      file: f.file,
      delegator,
      threshold,
      signers: signersOf(keyids, names),
    });
  };
  add('root', 'root', rf, root.roles.root.keyids, root.roles.root.threshold, 'root');
  for (const id of root.roles.root.keyids) {
    const key: NotaryKey | undefined = root.keys[id];
    if (!key || !isX509KeyType(key.keytype)) continue;
    try {
      const c = certOfKey(key);
      const ms = c.notAfter.getTime();
      roles.push({
        role: `root certificate ${id.slice(0, 12)}…`,
        kind: 'root-certificate',
        version: root.version,
        expires: isoSeconds(ms),
        expiresMs: ms,
        file: 'root.json',
        delegator: 'root',
        threshold: root.roles.root.threshold,
        signers: signersOf([id], names),
      });
    } catch (e) {
      if (!isKeyceremonyError(e)) throw e;
      notes.push(`root key ${id.slice(0, 12)}…: its certificate cannot be read (${e.message})`);
    }
  }
  for (const role of ['timestamp', 'snapshot'] as const) {
    const f = load(role);
    if (f) add(role, role, f, root.roles[role].keyids, root.roles[role].threshold, 'root');
  }
  const tf = load('targets');
  if (!tf) return out;
  add('targets', 'targets', tf, root.roles.targets.keyids, root.roles.targets.threshold, 'root');
  const queue: { name: string; t: NotaryTargets }[] = [{ name: 'targets', t: tf.signed as NotaryTargets }];
  const seen = new Set<string>(['targets']);
  while (queue.length) {
    const { name: parent, t } = queue.shift()!;
    for (const d of t.delegations?.roles ?? []) {
      if (seen.has(d.name)) continue;
      seen.add(d.name);
      if (!files.has(`${d.name}.json`)) {
        notes.push(`${parent} delegates to ${d.name}, which has no ${d.name}.json here (nothing signed into it yet)`);
        continue;
      }
      const f = load(d.name);
      if (!f) continue;
      add(d.name, 'delegated', f, d.keyids, d.threshold, parent);
      certificateNotes(t.delegations.keys, d.keyids, d.name, notes);
      queue.push({ name: d.name, t: f.signed as NotaryTargets });
    }
  }
  return out;
}

/** Delegation keys are x509 too (`docker trust signer add`); the notary client only warns on an expired one, so a note, not a deadline. */
function certificateNotes(keys: Record<string, NotaryKey>, keyids: readonly string[], role: string, notes: string[]): void {
  for (const id of keyids) {
    const key = keys[id];
    if (!key || !isX509KeyType(key.keytype)) continue;
    try {
      notes.push(
        `${role}: the certificate of key ${id.slice(0, 12)}… (CN=${certOfKey(key).subjectCN ?? '?'}) is valid until ${isoSeconds(certOfKey(key).notAfter.getTime())}`,
      );
    } catch (e) {
      if (!isKeyceremonyError(e)) throw e;
      notes.push(`${role}: the certificate of key ${id.slice(0, 12)}… cannot be read (${e.message})`);
    }
  }
}

/**
 * The offline staging step that renews one Notary row, where there is one: root v+1 (`notary rotate
 * --root-days`), a targets or delegated role with a new expiry (`notary targets --days`). The app's
 * Expiry screen stages it; notaryRenewCommand writes it as a command.
 */
export function notaryRenewStep(row: RoleExpiry): { op: 'rotate' | 'targets'; role: string; days: number } | undefined {
  if (row.kind === 'root') return { op: 'rotate', role: 'root', days: DEFAULT_EXPIRY_DAYS.root };
  if (row.kind === 'targets' || row.kind === 'delegated') return { op: 'targets', role: row.role, days: DEFAULT_EXPIRY_DAYS.targets };
  return undefined; // the snapshot is signed with a key, the timestamp by the server, a certificate on a token
}

/**
 * The command that makes the renewal of one Notary row: `notary rotate --root-days` (root v+1, every
 * root key signs), `notary targets --days` (the role staged, unsigned), `notary sign --role snapshot
 * --days` (the snapshot is rebuilt and signed in one step). The timestamp belongs to notary-server.
 */
export function notaryRenewCommand(dir: string, row: RoleExpiry, gun?: string): { command?: string; note?: string } {
  const kc = (...a: string[]) => ['keyceremony', 'notary', ...a].map(shellWord).join(' ');
  const step = notaryRenewStep(row);
  switch (row.kind) {
    case 'root':
      return {
        command: kc('rotate', '--dir', dir, '--root-days', String(step!.days)),
        note: 'then every root custodian: notary sign --role root',
      };
    case 'root-certificate':
      return {
        command: kc('cert', '--gun', gun ?? 'GUN', '--token', 'TOKEN', '--label', 'KEY', '--out', `new-root-${row.signers[0]?.keyid.slice(0, 8) ?? 'key'}.crt`),
        note: 'a new certificate for the same key (or a new key), then notary rotate --dir DIR --root-cert … with every root certificate',
      };
    case 'targets':
      return { command: kc('targets', '--dir', dir, '--days', String(step!.days)), note: 'then notary sign --role targets, and the snapshot' };
    case 'delegated':
      return {
        command: kc('targets', '--dir', dir, '--role', row.role, '--days', String(step!.days)),
        note: `then notary sign --role ${row.role}, and the snapshot`,
      };
    case 'snapshot':
      return {
        command: kc('sign', '--dir', dir, '--role', 'snapshot', '--days', String(DEFAULT_EXPIRY_DAYS.snapshot), '--token', 'TOKEN', '--label', 'KEY'),
        note: 'with the snapshot key; when notary-server holds the snapshot key it re-signs the snapshot itself',
      };
    case 'timestamp':
      return { note: 'notary-server holds the timestamp key and re-signs the timestamp; nothing to sign offline' };
    default:
      return {};
  }
}

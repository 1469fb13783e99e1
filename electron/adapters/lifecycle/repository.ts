/**
 * fs edge of the expiry dashboard and the trust-anchor export: a repository folder read with the
 * readers the other commands use (adapters/tuf/fs-folder.ts for TUF in the published, tuf-on-ci and
 * rehearsal layouts; adapters/notary/repo-dir.ts for a Notary GUN), detected as `tuf verify` detects
 * the dialect (electron/core/notary isNotaryMetadata on the root). Beside a ceremony bundle's
 * `metadata/` folder it also finds the ceremony script (its `renewalWindowDays`: the repository's
 * ceremony settings) and `keys.json` (who holds each key), so the dashboard names custodians.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { KeyceremonyError, isKeyceremonyError } from '../../../shared/errors';
import { readInput, readInputText } from '../fs/read';
import { fromBase64, fromUtf8 } from '../../../shared/encoding/bytes';
import { parseStrictJsonBytes } from '../../../shared/json/strict';
import { computeKeyId, keyFromSpki } from '../../../shared/tuf/keys';
import { isKeyType } from '../../../shared/crypto/algorithms';
import { isNotaryMetadata } from '../../core/notary';
import { latestRoleFiles, type MetadataFolder } from '../../core/tuf/updates';
import {
  checkRenewalSettings,
  expiryReport,
  type ExpiryReport,
  type RenewalSettings,
  type RepositoryRoles,
  type RoleExpiry,
} from '../../core/lifecycle/expiry';
import { tufRenewCommand, tufRoles, type KeyNames } from '../../core/lifecycle/tuf';
import { notaryRenewCommand, notaryRoles } from '../../core/lifecycle/notary';
import { dirFolder, ROOT_HISTORY } from '../tuf/fs-folder';
import { rehearsalView } from '../../core/tuf/folder-views';
import { readRepoDir } from '../notary/repo-dir';
import { ensureDir } from '../fs/atomic';
import { writeExactInto } from '../fs/files';
import { cosignTrustAnchor, notaryTrustAnchor, tufTrustAnchor, type TrustExport } from '../../core/lifecycle/trust';
import { parseRequest as parseCosignRequest } from '../../../shared/cosign/request';
import { NAMES_FILE, parseNames } from '../../ipc/notary';

export interface OpenedRepository {
  roles: RepositoryRoles;
  /** Renewal windows from the ceremony that made the repository, and the file they came from. */
  settings: RenewalSettings;
  settingsFile?: string;
  /** The renewal command of a row, for this folder as named. */
  command(row: RoleExpiry): { command?: string; note?: string };
  /** TUF only: the folder as the core reads it. */
  folder?: MetadataFolder;
  /** Notary only: the files as the core reads them. */
  files?: Map<string, Uint8Array>;
}

/** The current root's file name in a TUF folder view: the highest N.root.json, else root.json. */
function rootFileOf(folder: MetadataFolder): string | undefined {
  const hit = latestRoleFiles(folder).get('root');
  if (hit) return hit.file;
  return folder.names().includes('root.json') ? 'root.json' : undefined;
}

function readJson(file: string): unknown {
  return parseStrictJsonBytes(readInput(file, 'JSON file', 'document'), { source: file });
}

/** A ceremony script (given, or beside the folder in a bundle): `renewalWindowDays` of its repository step. */
function ceremonySettings(dir: string, given?: string): { settings: RenewalSettings; file?: string; script?: Record<string, unknown> } {
  const parent = path.dirname(path.resolve(dir));
  const file = given ?? ['ceremony.json', 'REHEARSAL-ceremony.json'].map((n) => path.join(parent, n)).find((p) => existsSync(p));
  if (!file) return { settings: {} };
  if (given && !existsSync(given)) throw new KeyceremonyError('NOT_FOUND', `no such ceremony script ${given}`, { where: '--ceremony' });
  const script = readJson(file) as Record<string, unknown>;
  const steps = Array.isArray(script.steps) ? (script.steps as Record<string, unknown>[]) : [];
  const step = steps.find((s) => s?.kind === 'tuf-repository' || s?.kind === 'notary-repository');
  const params = (step?.params ?? {}) as Record<string, unknown>;
  return { settings: checkRenewalSettings(params.renewalWindowDays, `${path.basename(file)} renewalWindowDays`), file, script };
}

/**
 * Names of key holders from a ceremony bundle's keys.json (beside the folder): TUF key id -> "Alice
 * (token root-1)", the custodian the script assigns the token to, else the ceremony's key id.
 */
async function bundleKeyNames(dir: string, script: Record<string, unknown> | undefined): Promise<KeyNames> {
  const parent = path.dirname(path.resolve(dir));
  const file = ['keys.json', 'REHEARSAL-keys.json'].map((n) => path.join(parent, n)).find((p) => existsSync(p));
  if (!file) return {};
  const doc = readJson(file) as { keys?: { id?: string; keyType?: string; spki?: string; token?: { id?: string; label?: string } }[] };
  const people = new Map(((script?.participants ?? []) as { id?: string; name?: string }[]).map((p) => [p.id, p.name]));
  const holders = new Map(
    ((script?.tokens ?? []) as { id?: string; custodian?: string }[]).map((t) => [t.id, t.custodian ? people.get(t.custodian) : undefined]),
  );
  const out: KeyNames = {};
  for (const k of doc.keys ?? []) {
    if (!k.spki || !isKeyType(k.keyType) || !k.id) continue;
    try {
      const keyid = await computeKeyId(keyFromSpki(k.keyType, fromBase64(k.spki)));
      const who = holders.get(k.token?.id) ?? k.id;
      out[keyid] = k.token?.label ? `${who} (token ${k.token.label})` : who;
    } catch (e) {
      if (!isKeyceremonyError(e)) throw e; // a key type TUF cannot name is simply not named
    }
  }
  return out;
}

/** Open the TUF repository or Notary GUN in `dir` (detected), with its settings and names. */
export async function openRepository(dir: string, opts: { ceremony?: string } = {}): Promise<OpenedRepository> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new KeyceremonyError('NOT_FOUND', `no such metadata folder ${dir}`, { where: dir });
  const { settings, file, script } = ceremonySettings(dir, opts.ceremony);
  const settingsPart = file && Object.keys(settings).length ? { settingsFile: file } : {};
  // a rehearsal bundle's REHEARSAL-* files, under the names a client fetches
  const folder = rehearsalView(dirFolder(dir));
  const rootFile = rootFileOf(folder);
  if (!rootFile) {
    throw new KeyceremonyError('NOT_FOUND', `${dir} holds no root.json, N.root.json or ${ROOT_HISTORY}/N.root.json: not a TUF repository or Notary GUN`, {
      where: dir,
    });
  }
  let rootJson: unknown;
  try {
    rootJson = JSON.parse(fromUtf8(folder.read(rootFile)!));
  } catch {
    rootJson = undefined; // the TUF reader reports it with its position
  }
  if (isNotaryMetadata(rootJson)) {
    const files = readRepoDir(dir);
    const namesPath = path.join(dir, NAMES_FILE);
    const names = existsSync(namesPath) ? parseNames(readInputText(namesPath, { what: 'key names file', kind: 'document' })) : {};
    const roles = notaryRoles(files, { dir, names });
    return { roles, settings, ...settingsPart, files, command: (row) => notaryRenewCommand(dir, row, roles.gun) };
  }
  const layout = folder.rehearsal
    ? 'rehearsal (REHEARSAL- files)'
    : existsSync(path.join(dir, ROOT_HISTORY))
      ? 'tuf-on-ci (root.json, root_history/)'
      : 'published (N.root.json)';
  const roles = tufRoles(folder, { dir, layout, names: await bundleKeyNames(dir, script) });
  return { roles, settings, ...settingsPart, folder, command: (row) => tufRenewCommand(dir, row) };
}

/** The expiry report of the repository in `dir` (what `keyceremony expiry` prints and the app's dashboard shows). */
export async function expiryOf(
  dir: string,
  opts: { now: number; warnDays?: number; ceremony?: string },
): Promise<{ repo: OpenedRepository; report: ExpiryReport }> {
  const repo = await openRepository(dir, opts.ceremony ? { ceremony: opts.ceremony } : {});
  if (repo.roles.roles.length === 0) {
    throw new KeyceremonyError('NOT_FOUND', `no role could be read in ${dir}: ${repo.roles.notes.join('; ')}`, { where: dir });
  }
  const report = expiryReport(repo.roles, {
    now: opts.now,
    settings: repo.settings,
    ...(opts.warnDays !== undefined ? { warnDays: opts.warnDays } : {}),
    command: repo.command,
  });
  return { repo, report };
}

/** The cosign trust anchors of the signing request in `file` (keys, the combined key file, the policies). */
export function cosignTrustOf(file: string): TrustExport {
  const bytes = readInput(file, 'cosign request', 'metadata');
  return cosignTrustAnchor(parseCosignRequest(bytes, file));
}

/** The trust anchors of the repository in `dir` (TUF: its latest root; Notary: the GUN's pinning), for `export trust` and the app. */
export async function trustOf(dir: string): Promise<TrustExport> {
  const repo = await openRepository(dir);
  if (repo.files) return notaryTrustAnchor(repo.files);
  const folder = repo.folder!;
  const name = rootFileOf(folder)!;
  return tufTrustAnchor(folder.read(name)!, name);
}

/** Write the trust anchors into `out` (made if missing): exact names, a re-run changes nothing, other contents are refused. */
export function writeTrust(out: string, t: TrustExport): { written: string[]; unchanged: string[] } {
  ensureDir(out);
  for (const d of new Set(t.files.filter((f) => f.name.includes('/')).map((f) => path.dirname(f.name)))) ensureDir(path.join(out, d));
  return writeExactInto(out, t.files);
}

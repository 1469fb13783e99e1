/**
 * `keyceremony notary …`: Notary v1 / Docker Content Trust repositories built and threshold-signed
 * offline with token keys, verified offline, and published (the only networked command) to a
 * notary-server. See docs/notary.md for the whole flow.
 */
import { join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { fromUtf8 } from '../../../shared/encoding/bytes';
import {
  certPemFromText,
  notaryKeyFromCertPem,
  notaryKeyFromText,
  notaryKeyId,
  canonicalKeyId,
  parseNotaryFile,
  parseNotaryTime,
  type NotaryKey,
  type NotaryRoot,
} from '../../../shared/notary';
import {
  checkGun,
  diffNotary,
  formatNotaryReport,
  mergeRepos,
  pendingFor,
  gunOf,
  initRepo,
  repoStatus,
  stageRootRotation,
  stageDelegation,
  stageSigner,
  stageTargets,
  verifyNotaryRepository,
} from '../../core/notary';
import { createSelfSignedCert } from '../../adapters/pkcs11';
import { writeFileAtomic } from '../../adapters/fs/atomic';
import { readInput } from '../../adapters/fs/read';
import { readRepoDir, signRoleInDir, writeRepoFiles as writeRepoFilesIn } from '../../adapters/notary/repo-dir';
import { checkServerUrl, fetchServerKey, fetchServerVersion, parseCredentials, uploadRoles, type NotaryServer } from '../../adapters/notary/publish';
import { parse, UsageError } from '../args';
import { group, leaf } from '../dispatch';
import type { CliContext } from '../context';
import { keyOptions, keyRef, pinFor } from '../keyref';
import { KEY_USAGE as KEY } from '../common';
import type { Command } from './types';
import { notaryMigrateCommand } from './notary-migrate';

export { readRepoDir };

function writeRepoFiles(dir: string, files: Map<string, Uint8Array>, ctx: CliContext): void {
  writeRepoFilesIn(dir, files, (name) => ctx.err(`wrote ${join(dir, name)}`));
}

/**
 * A public key file: PEM PUBLIC KEY, PEM CERTIFICATE (-> ecdsa-x509), or Notary key JSON (what
 * notary-server's timestamp.key returns).
 */
export function readKeyFile(path: string): NotaryKey {
  const bytes = readInput(path, 'key file', 'key');
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch {
    text = '';
  }
  return notaryKeyFromText(text, path);
}

function readCertPem(path: string): string {
  return certPemFromText(fromUtf8(readInput(path, 'certificate', 'certificate')), path);
}

function targetArg(spec: string): { name: string; path: string } {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw new UsageError(`--target/--add takes NAME=FILE, got ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, i), path: spec.slice(i + 1) };
}

function readTarget(path: string): Uint8Array {
  return readInput(path, 'target file', 'artifact');
}

function int(v: string | undefined, flag: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} takes a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

function nowFrom(ctx: CliContext): Date {
  // KEYCEREMONY_NOW pins the clock for rehearsals and tests (RFC 3339).
  const v = ctx.env.KEYCEREMONY_NOW;
  return v ? new Date(parseNotaryTime(v, 'KEYCEREMONY_NOW')) : new Date();
}

function requireDir(v: string | undefined): string {
  if (!v) throw new UsageError('--dir DIR is required (the repository folder)');
  return v;
}

type Sub = (args: string[], ctx: CliContext) => Promise<number>;

const cert: Sub = async (args, ctx) => {
  const { values } = parse(args, { ...keyOptions, gun: { type: 'string' }, days: { type: 'string' }, out: { type: 'string' } });
  if (!values.gun) throw new UsageError('--gun is required (the certificate CN must be the GUN)');
  if (!values.out) throw new UsageError('--out FILE is required');
  const gun = checkGun(values.gun);
  const ref = keyRef(values);
  const days = int(values.days, '--days', 3650) as number;
  const mod = ctx.openModule(ref);
  try {
    return await mod.withSession(ref.token, { pin: pinFor(ctx, ref) }, async (s) => {
      const key = s.findKey(ref.key);
      if (key.keyType !== 'ecdsa-p256' && key.keyType !== 'ecdsa-p384') {
        throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Notary root keys are ECDSA (ecdsa-x509); ${key.label} is ${key.keyType}`, { where: key.label });
      }
      const c = await createSelfSignedCert(s.signer(key), { cn: gun, days, keyEncipherment: true });
      writeFileAtomic(values.out as string, c.pem);
      const k = notaryKeyFromCertPem(c.pem);
      ctx.out(`root certificate for ${gun}: ${values.out}`);
      ctx.out(`  key id (root.json):     ${await notaryKeyId(k)}`);
      ctx.out(`  canonical root key id:  ${await canonicalKeyId(k)}`);
      ctx.out(`  key fingerprint:        ${key.fingerprint}`);
      return 0;
    });
  } finally {
    mod.close();
  }
};

const init: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    gun: { type: 'string' },
    dir: { type: 'string' },
    'root-cert': { type: 'string', multiple: true },
    'root-threshold': { type: 'string' },
    'targets-key': { type: 'string' },
    'snapshot-key': { type: 'string' },
    'server-snapshot-key': { type: 'string' },
    'timestamp-key': { type: 'string' },
    target: { type: 'string', multiple: true },
    'root-days': { type: 'string' },
    'targets-days': { type: 'string' },
    force: { type: 'boolean' },
  });
  if (!values.gun) throw new UsageError('--gun is required');
  const dir = requireDir(values.dir);
  const certs = values['root-cert'] ?? [];
  if (certs.length === 0) throw new UsageError('--root-cert FILE is required (once per root key; make them with `keyceremony notary cert`)');
  if (!values['targets-key']) throw new UsageError('--targets-key FILE is required');
  if (!values['timestamp-key'])
    throw new UsageError("--timestamp-key FILE is required (the server's timestamp.key: `keyceremony notary publish --fetch-keys`)");
  if (!!values['snapshot-key'] === !!values['server-snapshot-key'])
    throw new UsageError('give exactly one of --snapshot-key FILE (you sign snapshots) or --server-snapshot-key FILE (the server does)');
  let existing: Map<string, Uint8Array> | undefined;
  try {
    existing = readRepoDir(dir);
  } catch {
    existing = undefined;
  }
  if (existing?.has('root.json') && !values.force) {
    throw new KeyceremonyError('CONFLICT', `${dir} already holds a repository (root.json); use another folder`, { where: dir });
  }
  const files = await initRepo({
    gun: checkGun(values.gun),
    rootCertsPem: certs.map(readCertPem),
    rootThreshold: int(values['root-threshold'], '--root-threshold', 1) as number,
    targetsKeys: [readKeyFile(values['targets-key'])],
    snapshotKeys: [readKeyFile((values['snapshot-key'] ?? values['server-snapshot-key']) as string)],
    timestampKey: readKeyFile(values['timestamp-key']),
    now: nowFrom(ctx),
    rootDays: int(values['root-days'], '--root-days'),
    targetsDays: int(values['targets-days'], '--targets-days'),
    targets: (values.target ?? []).map(targetArg).map((t) => ({ name: t.name, bytes: readTarget(t.path) })),
  });
  writeRepoFiles(dir, files, ctx);
  for (const s of await repoStatus(files)) ctx.out(s.line);
  ctx.out(`next: sign root (threshold) and targets${values['snapshot-key'] ? ', then snapshot' : ''}: keyceremony notary sign --dir ${dir} --role root …`);
  return 0;
};

const rotate: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    dir: { type: 'string' },
    'root-cert': { type: 'string', multiple: true },
    'root-threshold': { type: 'string' },
    'root-days': { type: 'string' },
    'targets-key': { type: 'string' },
    'snapshot-key': { type: 'string' },
    'timestamp-key': { type: 'string' },
  });
  const dir = requireDir(values.dir);
  const files = readRepoDir(dir);
  const out = await stageRootRotation(files, {
    rootCertsPem: values['root-cert']?.map(readCertPem),
    rootThreshold: int(values['root-threshold'], '--root-threshold'),
    targetsKeys: values['targets-key'] ? [readKeyFile(values['targets-key'])] : undefined,
    snapshotKeys: values['snapshot-key'] ? [readKeyFile(values['snapshot-key'])] : undefined,
    timestampKeys: values['timestamp-key'] ? [readKeyFile(values['timestamp-key'])] : undefined,
    now: nowFrom(ctx),
    rootDays: int(values['root-days'], '--root-days'),
  });
  writeRepoFiles(dir, out, ctx);
  for (const [k, v] of out) files.set(k, v);
  ctx.out((await repoStatus(files))[0]?.line ?? '');
  ctx.out('the new root needs a threshold of the OLD root keys and of the NEW root keys; then re-sign the snapshot if you hold it');
  return 0;
};

const targets: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    dir: { type: 'string' },
    role: { type: 'string' },
    add: { type: 'string', multiple: true },
    remove: { type: 'string', multiple: true },
    days: { type: 'string' },
  });
  const dir = requireDir(values.dir);
  const files = readRepoDir(dir);
  if (!values.add?.length && !values.remove?.length && !values.days)
    throw new UsageError('give --add NAME=FILE and/or --remove NAME, or --days N alone to renew the expiry');
  const out = await stageTargets(files, {
    role: values.role ?? 'targets',
    add: (values.add ?? []).map(targetArg).map((t) => ({ name: t.name, bytes: readTarget(t.path) })),
    remove: values.remove ?? [],
    now: nowFrom(ctx),
    days: int(values.days, '--days'),
  });
  writeRepoFiles(dir, out, ctx);
  for (const [k, v] of out) files.set(k, v);
  for (const s of await repoStatus(files)) ctx.out(s.line);
  return 0;
};

const signer: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    dir: { type: 'string' },
    name: { type: 'string' },
    'key-file': { type: 'string', multiple: true },
    days: { type: 'string' },
  });
  const dir = requireDir(values.dir);
  if (!values.name) throw new UsageError('--name is required');
  if (!values['key-file']?.length) throw new UsageError("--key-file FILE is required (the signer's public key or certificate)");
  const files = readRepoDir(dir);
  const out = await stageSigner(files, { name: values.name, keys: values['key-file'].map(readKeyFile), now: nowFrom(ctx), days: int(values.days, '--days') });
  writeRepoFiles(dir, out, ctx);
  for (const [k, v] of out) files.set(k, v);
  for (const s of await repoStatus(files)) ctx.out(s.line);
  return 0;
};

/** `--paths a,b --paths c` as the notary client reads them (a comma-separated list, repeatable). */
function pathList(v: string[] | undefined): string[] {
  return (v ?? []).flatMap((x) => x.split(','));
}

/**
 * `notary delegation add|remove` as the notary client has them (cmd/notary/delegations.go): the
 * delegating role's next version is staged, to be signed like any other change.
 */
const delegation =
  (op: 'add' | 'remove'): Sub =>
  async (args, ctx) => {
    const { values } = parse(args, {
      dir: { type: 'string' },
      role: { type: 'string' },
      'key-file': { type: 'string', multiple: true },
      key: { type: 'string', multiple: true },
      paths: { type: 'string', multiple: true },
      'all-paths': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      days: { type: 'string' },
    });
    const dir = requireDir(values.dir);
    if (!values.role) throw new UsageError('--role targets/NAME is required');
    const paths = pathList(values.paths);
    const allPaths = !!values['all-paths'];
    const common = { role: values.role, paths, allPaths, now: nowFrom(ctx), days: int(values.days, '--days') };
    const files = readRepoDir(dir);
    let staged: Awaited<ReturnType<typeof stageDelegation>>;
    if (op === 'add') {
      if (values.key?.length) throw new UsageError('delegation add takes --key-file FILE (a certificate or public key), not --key');
      if (!values['key-file']?.length && !paths.length && !allPaths) throw new UsageError('give --key-file FILE…, --paths P… or --all-paths (or several)');
      staged = await stageDelegation(files, { op, ...common, keys: (values['key-file'] ?? []).map(readKeyFile) });
    } else {
      if (values['key-file']?.length) throw new UsageError('delegation remove takes key ids (--key KEYID), not --key-file');
      const whole = !values.key?.length && !paths.length && !allPaths;
      if (whole && !values.yes)
        throw new UsageError(`this removes the whole delegation ${values.role} (its keys and paths); add --yes to confirm, as notary asks`);
      staged = await stageDelegation(files, { op, ...common, keyIds: values.key ?? [] });
    }
    writeRepoFiles(dir, staged.files, ctx);
    ctx.out(staged.summary);
    for (const [k, v] of staged.files) files.set(k, v);
    for (const s of await repoStatus(files)) ctx.out(s.line);
    return 0;
  };

const sign: Sub = async (args, ctx) => {
  const { values } = parse(args, { ...keyOptions, dir: { type: 'string' }, role: { type: 'string' }, days: { type: 'string' }, rebuild: { type: 'boolean' } });
  const dir = requireDir(values.dir);
  if (!values.role) throw new UsageError('--role is required (root, targets, snapshot or targets/NAME)');
  if ((values.days || values.rebuild) && values.role !== 'snapshot')
    throw new UsageError('--days/--rebuild apply to --role snapshot (use rotate/targets --days for the others)');
  const snapOpts = { snapshotDays: int(values.days, '--days'), rebuild: values.rebuild || !!values.days };
  const role = values.role;
  const ref = keyRef(values);
  const files = readRepoDir(dir);
  const now = nowFrom(ctx);
  // What is being signed, against the previous version, before any PIN is asked for.
  const p = await pendingFor(files, role, { now, ...snapOpts });
  for (const l of await diffNotary(role, p.prev, p.next)) ctx.out(l);
  const mod = ctx.openModule(ref);
  try {
    return await mod.withSession(ref.token, { pin: pinFor(ctx, ref) }, async (s) => {
      const key = s.findKey(ref.key);
      // Notary ECDSA is always SHA-256, also on P-384 keys
      const signer = s.signer(key, key.keyType === 'ecdsa-p384' ? { algorithm: 'ecdsa-p384-sha256' } : {});
      // under the folder's lock, over what is there now (another custodian may be signing too)
      const res = await signRoleInDir(
        dir,
        role,
        signer,
        { now, ...snapOpts },
        {
          files,
          onWait: (l) => ctx.err(l),
          onChanged: () => ctx.err(`${dir} changed while you signed (another signer wrote it): signing ${role} again over the files as they are now`),
          onWrite: (name) => ctx.err(`wrote ${join(dir, name)}`),
        },
      );
      if (res.signedAs.length)
        ctx.out(
          `signed ${role} with ${key.label} (fingerprint ${key.fingerprint.slice(0, 16)}…) as key ${res.signedAs.map((x) => x.slice(0, 12) + '…').join(', ')}`,
        );
      if (res.already.length) ctx.out(`already signed by this key (${res.already.map((x) => x.slice(0, 12) + '…').join(', ')})`);
      if (res.completed.length) ctx.out(`completed an interrupted write: ${res.completed.join(', ')} now holds this signature too`);
      ctx.out(res.status);
      return 0;
    });
  } finally {
    mod.close();
  }
};

const diff: Sub = async (args, ctx) => {
  const { values } = parse(args, { dir: { type: 'string' }, role: { type: 'string' } });
  const files = readRepoDir(requireDir(values.dir));
  const roles = values.role ? [values.role] : ['root', 'targets', ...[...files.keys()].filter((f) => f.startsWith('targets/')).map((f) => f.slice(0, -5))];
  for (const role of roles) {
    const p = await pendingFor(files, role, { now: nowFrom(ctx) });
    for (const l of await diffNotary(role, p.prev, p.next)) ctx.out(l);
  }
  return 0;
};

const merge: Sub = async (args, ctx) => {
  const { values } = parse(args, { dir: { type: 'string' }, from: { type: 'string', multiple: true } });
  const dir = requireDir(values.dir);
  if (!values.from?.length) throw new UsageError('--from OTHER_DIR is required (a copy another custodian signed)');
  const files = readRepoDir(dir);
  for (const other of values.from) {
    const m = mergeRepos(files, readRepoDir(other));
    writeRepoFiles(dir, m.files, ctx);
    for (const [k, v] of m.files) files.set(k, v);
    ctx.out(m.merged.length ? `from ${other}: ${m.merged.join('; ')}` : `from ${other}: nothing new`);
  }
  for (const s of await repoStatus(files)) ctx.out(s.line);
  return 0;
};

const status: Sub = async (args, ctx) => {
  const { values } = parse(args, { dir: { type: 'string' } });
  const files = readRepoDir(requireDir(values.dir));
  const st = await repoStatus(files);
  for (const s of st) ctx.out(s.line);
  return st.every((s) => s.complete) ? 0 : 1;
};

const verify: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    dir: { type: 'string' },
    'trusted-root': { type: 'string' },
    gun: { type: 'string' },
    at: { type: 'string' },
    json: { type: 'boolean' },
    'require-all': { type: 'boolean' },
  });
  const files = readRepoDir(requireDir(values.dir));
  const at = values.at ? new Date(parseNotaryTime(values.at, '--at')) : nowFrom(ctx);
  const report = await verifyNotaryRepository({
    files,
    at,
    trustedRoot: values['trusted-root'] ? readInput(values['trusted-root'], 'trusted root', 'tufRoot') : undefined,
    gun: values.gun,
    requireAll: values['require-all'],
  });
  if (values.json) ctx.out(JSON.stringify(report, null, 2));
  else for (const l of formatNotaryReport(report)) ctx.out(l);
  return report.ok ? 0 : 1;
};

const publish: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    server: { type: 'string' },
    'tls-ca': { type: 'string' },
    gun: { type: 'string' },
    dir: { type: 'string' },
    'fetch-keys': { type: 'string' },
    'server-snapshot': { type: 'boolean' },
    'auth-file': { type: 'string' },
  });
  if (!values.server) throw new UsageError('--server https://HOST:PORT is required');
  checkServerUrl(values.server);
  // token authentication: user:password from a file or NOTARY_AUTH (as the notary client), never argv
  const authText =
    values['auth-file'] !== undefined ? fromUtf8(readInput(values['auth-file'], 'credentials file', 'secret')) : ctx.env.NOTARY_AUTH || undefined;
  const credentials = authText !== undefined ? parseCredentials(authText, values['auth-file'] ?? 'NOTARY_AUTH') : undefined;
  const server: NotaryServer = {
    url: values.server,
    ...(values['tls-ca'] ? { ca: readInput(values['tls-ca'], 'CA file', 'certificate') } : {}),
    ...(credentials ? { credentials } : {}),
  };
  if (values['fetch-keys']) {
    if (!values.gun) throw new UsageError('--gun is required with --fetch-keys');
    const gun = checkGun(values.gun);
    const ts = await fetchServerKey(server, gun, 'timestamp');
    writeFileAtomic(join(values['fetch-keys'], 'timestamp.key'), JSON.stringify(ts) + '\n');
    ctx.out(`timestamp key (${ts.keytype}) ${await notaryKeyId(ts)} -> ${join(values['fetch-keys'], 'timestamp.key')}`);
    if (values['server-snapshot']) {
      const sn = await fetchServerKey(server, gun, 'snapshot');
      writeFileAtomic(join(values['fetch-keys'], 'snapshot.key'), JSON.stringify(sn) + '\n');
      ctx.out(`snapshot key (${sn.keytype}) ${await notaryKeyId(sn)} -> ${join(values['fetch-keys'], 'snapshot.key')}`);
    }
    return 0;
  }
  const dir = requireDir(values.dir);
  const files = readRepoDir(dir);
  const rootBytes = files.get('root.json');
  if (!rootBytes) throw new KeyceremonyError('NOT_FOUND', `${dir}/root.json is missing`, { where: dir });
  const root = parseNotaryFile<NotaryRoot>(rootBytes, { source: 'root.json', expectType: 'Root' }).signed;
  const gun = gunOf(root);
  if (values.gun && values.gun !== gun)
    throw new KeyceremonyError('INVALID_INPUT', `--gun ${values.gun} does not match the root certificates' GUN ${gun}`, { where: '--gun' });
  // Refuse to upload anything we would not accept ourselves.
  const report = await verifyNotaryRepository({ files, at: nowFrom(ctx), gun });
  if (!report.ok) {
    for (const l of formatNotaryReport(report)) ctx.err(l);
    throw new KeyceremonyError('VERIFICATION_FAILED', 'the repository does not verify here; not publishing it', { where: dir });
  }
  const upload: { role: string; bytes: Uint8Array }[] = [];
  const roles = ['root', 'targets', ...[...files.keys()].filter((f) => f.startsWith('targets/')).map((f) => f.slice(0, -5)), 'snapshot'];
  for (const role of roles) {
    const b = files.get(`${role}.json`);
    if (!b) continue;
    const local = parseNotaryFile(b, { source: `${role}.json` }).signed.version;
    const remote = await fetchServerVersion(server, gun, role);
    if (remote === null || local > remote) upload.push({ role, bytes: b });
    else if (local < remote) ctx.err(`note: the server has ${role} v${remote}, newer than the v${local} here`);
  }
  await uploadRoles(server, gun, upload);
  ctx.out(`published ${gun} to ${values.server}: ${upload.map((u) => u.role).join(', ')}`);
  return 0;
};

export const notaryCommand: Command = group({
  name: 'notary',
  summary: 'Notary v1 / Docker Content Trust: build, sign, rotate and verify offline; publish to a notary-server',
  subcommands: [
    notaryMigrateCommand,
    leaf('cert', 'a self-signed root certificate for a GUN from a token key', [`--gun GUN ${KEY} --out FILE [--days 3650]`], cert),
    leaf(
      'init',
      'a new repository folder for a GUN',
      [
        `--gun GUN --dir DIR --root-cert FILE… [--root-threshold N] --targets-key FILE --timestamp-key FILE
      (--snapshot-key FILE | --server-snapshot-key FILE) [--target NAME=FILE…] [--root-days N] [--targets-days N]`,
      ],
      init,
    ),
    leaf(
      'rotate',
      'root v N+1: new root certificates, threshold or role keys',
      [
        `--dir DIR [--root-cert FILE…] [--root-threshold N] [--root-days N]
      [--targets-key FILE] [--snapshot-key FILE] [--timestamp-key FILE]`,
      ],
      rotate,
    ),
    leaf(
      'targets',
      'add or remove targets in targets or a delegated role',
      ['--dir DIR [--role targets|targets/NAME] [--add NAME=FILE…] [--remove NAME…] [--days N]'],
      targets,
    ),
    leaf('signer', 'add a delegation signer (as `docker trust signer add`)', ['--dir DIR --name NAME --key-file FILE…'], signer),
    group({
      name: 'delegation',
      summary: "add or remove a delegation's keys and paths (as `notary delegation add|remove`)",
      subcommands: [
        leaf(
          'add',
          'add keys and/or paths to targets/NAME (created with threshold 1 when new)',
          ['--dir DIR --role targets/NAME [--key-file FILE…] [--paths P[,P…]…] [--all-paths] [--days N]'],
          delegation('add'),
        ),
        leaf(
          'remove',
          'remove keys and/or paths from a delegation, or the whole delegation',
          ['--dir DIR --role targets/NAME [--key KEYID…] [--paths P[,P…]…] [--all-paths]', '--dir DIR --role targets/NAME --yes   (the whole delegation)'],
          delegation('remove'),
        ),
      ],
    }),
    leaf('sign', 'sign a role with a token key (snapshot: new version with a new expiry)', [`--dir DIR --role ROLE ${KEY} [--days N | --rebuild]`], sign),
    leaf('diff', 'what sign would sign, against the previous version', ['--dir DIR [--role ROLE]'], diff),
    leaf('merge', 'signatures made in parallel on another copy', ['--dir DIR --from OTHER_DIR…'], merge),
    leaf('status', 'which roles are signed and which wait for signatures', ['--dir DIR'], status),
    leaf(
      'verify',
      'verify a repository as the notary client does (exit 0 verified, 1 not)',
      ['--dir DIR [--trusted-root FILE] [--gun GUN] [--at RFC3339] [--require-all] [--json]'],
      verify,
    ),
    leaf(
      'publish',
      'upload to a notary-server (or fetch its keys); servers with token authentication: --auth-file FILE (user:password) or NOTARY_AUTH (base64 user:password)',
      ['--server https://HOST:PORT [--tls-ca FILE] [--auth-file FILE] --gun GUN (--dir DIR | --fetch-keys OUTDIR [--server-snapshot])'],
      publish,
    ),
  ],
});

/**
 * `keyceremony notary migrate` (issue 15 item 3): a Docker Content Trust repository, verified offline,
 * carried over to cosign (an m-of-n request for every tag's manifest digest, by digest) or to TUF (a
 * targets request with each tag's length and hashes, no image needed). The plan and what is skipped:
 * electron/core/lifecycle/migrate.ts; the requests: core/cosign/request.ts and core/tuf/updates.ts, as
 * `cosign request create` and `tuf targets add --length --sha256` make them.
 */
import { existsSync } from 'node:fs';
import { KeyceremonyError } from '../../../shared/errors';
import { migrationReport, migrationRequest, planMigration, type MigrationTarget } from '../../core/lifecycle/migrate';
import { readRepoDir } from '../../adapters/notary/repo-dir';
import { dirFolder } from '../../adapters/tuf/fs-folder';
import { writeFileAtomic } from '../../adapters/fs/atomic';
import { readInput, readInputText } from '../../adapters/fs/read';
import { parse, UsageError } from '../args';
import { leaf } from '../dispatch';
import type { CliContext } from '../context';

function atOf(ctx: CliContext, at?: string): Date {
  const v = at ?? ctx.env.KEYCEREMONY_NOW;
  if (!v) return new Date();
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(ms))
    throw new UsageError(`--at takes an RFC 3339 time such as 2027-01-31T00:00:00Z, got ${JSON.stringify(v)}`);
  return new Date(ms);
}

async function migrate(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, {
    metadata: { type: 'string' },
    gun: { type: 'string' },
    at: { type: 'string' },
    'trusted-root': { type: 'string' },
    to: { type: 'string' },
    signer: { type: 'string', multiple: true },
    m: { type: 'string' },
    'tuf-metadata': { type: 'string' },
    'expires-in': { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.metadata) throw new UsageError('--metadata DIR is required (the Notary repository folder)');
  if (values.to !== 'cosign' && values.to !== 'tuf') throw new UsageError('--to cosign or --to tuf is required');
  if (!values.out) throw new UsageError('--out REQUEST is required (the signing request file to write)');
  if (existsSync(values.out)) throw new KeyceremonyError('CONFLICT', `${values.out} already exists; nothing was written`, { where: '--out' });
  const signers = (values.signer ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--signer must be NAME=PUBKEY.pem, got "${s}"`);
    return { name: s.slice(0, eq), publicKeyPem: readInputText(s.slice(eq + 1), { what: 'public key', kind: 'key' }) };
  });
  if (values.to === 'cosign') {
    if (!signers.length) throw new UsageError('--to cosign needs the signers: --signer NAME=PUB.pem … --m M');
    if (!values.m || !/^\d+$/.test(values.m)) throw new UsageError('--m M (a whole number) is required with --to cosign');
  } else if (!values['tuf-metadata']) throw new UsageError('--to tuf needs --tuf-metadata DIR (the TUF repository the targets go into)');
  const expiresIn = values['expires-in'];
  if (expiresIn !== undefined && !/^\d{1,5}$/.test(expiresIn)) throw new UsageError('--expires-in takes a whole number of days');

  const at = atOf(ctx, values.at);
  // the request's own clock (createdAt, the TUF expiry): now (KEYCEREMONY_NOW), not the evaluation time
  const now = atOf(ctx);
  const plan = await planMigration(readRepoDir(values.metadata), {
    at,
    ...(values.gun ? { gun: values.gun } : {}),
    ...(values['trusted-root'] ? { trustedRoot: readInput(values['trusted-root'], 'trusted root', 'tufRoot') } : {}),
  });
  for (const l of migrationReport(plan, values.to)) ctx.out(l);
  const target: MigrationTarget =
    values.to === 'cosign'
      ? { to: 'cosign', signers, m: Number(values.m) }
      : { to: 'tuf', folder: dirFolder(values['tuf-metadata']!), ...(expiresIn !== undefined ? { expiresInDays: Number(expiresIn) } : {}) };
  const made = await migrationRequest(plan, target, now);
  for (const w of made.warnings) ctx.err(`warning: ${w}`);
  writeFileAtomic(values.out, made.text);
  ctx.out(`${made.line}: ${values.out}`);
  ctx.out(
    values.to === 'cosign'
      ? `next: each signer runs keyceremony cosign request sign --request ${values.out} …`
      : `next: sign it (tuf sign ${values.out} …), write it (tuf status ${values.out} --write ${values['tuf-metadata']}), then tuf snapshot`,
  );
  return 0;
}

export const notaryMigrateCommand = leaf(
  'migrate',
  'Docker Content Trust to cosign or TUF: every verified tag as a signing request by digest',
  [
    '--metadata DIR [--gun GUN] [--at RFC3339] [--trusted-root FILE] --to cosign --signer NAME=PUB.pem… --m M --out REQUEST',
    '--metadata DIR [--gun GUN] [--at RFC3339] [--trusted-root FILE] --to tuf --tuf-metadata DIR [--expires-in DAYS] --out REQUEST',
  ],
  migrate,
);

/**
 * `keyceremony expiry`: the expiry dashboard of a TUF repository or Notary GUN (electron/core/lifecycle:
 * every role, its version, expiry, days left, state, signers and threshold, and the command that makes
 * the renewal request), optionally as an iCalendar file of the renewal deadlines. Exit 0 when nothing
 * has expired at `--at`, 1 otherwise (the expired roles listed), 2 on a usage error.
 */
import { signerList, type ExpiryReport, type ExpiryRow } from '../../core/lifecycle/expiry';
import { renewalCalendar } from '../../core/lifecycle/ics';
import { expiryOf } from '../../adapters/lifecycle/repository';
import { writeFileAtomic } from '../../adapters/fs/atomic';
import { parse, UsageError } from '../args';
import { leaf } from '../dispatch';
import type { CliContext } from '../context';
import { clockNow } from '../common';
import type { Command } from './types';

const STATE_TEXT: Record<ExpiryRow['state'], string> = { ok: 'ok', 'renew-soon': 'RENEW SOON', expired: 'EXPIRED' };

function what(r: ExpiryRow): string {
  if (r.kind === 'hash-bins') return `${r.role} (${r.members?.length ?? 0} bins${r.due ? `, ${r.due} due` : ''})`;
  return r.role;
}

/** The dashboard as text: one line per role, its renewal command under it. */
export function formatExpiryReport(rep: ExpiryReport): string[] {
  const head = rep.kind === 'notary' ? `Notary GUN ${rep.gun ?? '?'} in ${rep.dir}` : `TUF repository ${rep.dir}, ${rep.layout}`;
  const out = [`expiry of ${head} at ${rep.evaluatedAt}`, ''];
  const cols = rep.rows.map((r) => [
    STATE_TEXT[r.state],
    what(r),
    `v${r.version}`,
    r.expires,
    `${r.daysLeft}d`,
    `${r.renewBy} (${r.windowDays}d before, ${r.windowSource})`,
    `${r.threshold} of ${r.signers.length}: ${signerList(r)}`,
  ]);
  const titles = ['STATE', 'ROLE', 'VERSION', 'EXPIRES', 'LEFT', 'RENEW BY (WINDOW)', 'SIGNED BY'];
  const width = titles.map((t, i) => Math.max(t.length, ...cols.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(width[i]!))).join('  ');
  out.push(line(titles));
  rep.rows.forEach((r, i) => {
    out.push(line(cols[i]!));
    if (r.command) out.push(`    renew: ${r.command}`);
    if (r.commandNote) out.push(`    ${r.command ? 'note' : 'renew'}: ${r.commandNote}`);
  });
  out.push('');
  for (const n of rep.notes) out.push(`warning: ${n}`);
  const c = rep.counts;
  out.push(`${c.expired} expired, ${c['renew-soon']} to renew soon, ${c.ok} ok`);
  const expired = rep.rows.filter((r) => r.state === 'expired');
  if (expired.length) out.push(`EXPIRED at ${rep.evaluatedAt}: ${expired.map((r) => `${what(r)} v${r.version} (${r.expires})`).join(', ')}`);
  return out;
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, {
    metadata: { type: 'string' },
    at: { type: 'string' },
    'warn-days': { type: 'string' },
    json: { type: 'boolean' },
    ics: { type: 'string' },
    ceremony: { type: 'string' },
  });
  if (!values.metadata) throw new UsageError('--metadata DIR is required (a TUF metadata folder or a Notary GUN folder)');
  const warn = values['warn-days'];
  if (warn !== undefined && !/^\d{1,5}$/.test(warn)) throw new UsageError(`--warn-days takes a whole number of days, got ${JSON.stringify(warn)}`);
  const now = clockNow(ctx, values.at);
  const { repo, report } = await expiryOf(values.metadata, {
    now,
    ...(warn !== undefined ? { warnDays: Number(warn) } : {}),
    ...(values.ceremony ? { ceremony: values.ceremony } : {}),
  });
  if (values.json) ctx.out(JSON.stringify({ ...report, ...(repo.settingsFile ? { settingsFile: repo.settingsFile } : {}) }, null, 2));
  else {
    for (const l of formatExpiryReport(report)) ctx.out(l);
    if (repo.settingsFile) ctx.out(`renewal windows from ${repo.settingsFile} (renewalWindowDays)`);
  }
  if (values.ics) {
    writeFileAtomic(values.ics, await renewalCalendar(report));
    ctx.err(`wrote ${values.ics} (${report.rows.filter((r) => r.command).length} renewal deadlines)`);
  }
  return report.ok ? 0 : 1;
}

export const expiryCommand: Command = {
  ...leaf(
    'expiry',
    'when each role of a TUF repository or Notary GUN expires, who renews it, and the command (exit 1 if any expired)',
    ['--metadata DIR [--at RFC3339] [--warn-days N] [--json] [--ics FILE] [--ceremony SCRIPT]'],
    run,
  ),
  notes: `DIR: a TUF metadata folder (published N.root.json layout, tuf-on-ci root.json + root_history/, a ceremony
bundle's metadata/, rehearsal REHEARSAL-* files included) or a Notary GUN folder (detected from its root).
Renewal window per role: --warn-days N for all; else the role's x-tuf-on-ci-signing-period (tuf-on-ci's default:
half its x-tuf-on-ci-expiry-period); else renewalWindowDays of the ceremony script that made it (--ceremony, or
ceremony.json beside a bundle's metadata/); else timestamp 1, snapshot 3, targets and delegations 14, root 60 days.
--ics writes an RFC 5545 calendar of the renewal deadlines.`,
};

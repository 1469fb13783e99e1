/**
 * Handlers of IPC area "lifecycle" (shared/ipc/channels/lifecycle.ts): the expiry dashboard over a
 * chosen folder, read by the same adapter and core as `keyceremony expiry`
 * (adapters/lifecycle/repository.ts), and its calendar written through the save dialog.
 */
import { basename } from 'node:path';
import type { ExpiryReportInfo, ExpiryRowInfo, lifecycleChannels } from '../../../shared/ipc/channels/lifecycle';
import type { ExpiryReport, ExpiryRow } from '../../core/lifecycle/expiry';
import { renewalDays } from '../../core/lifecycle/tuf';
import { renewalCalendar } from '../../core/lifecycle/ics';
import { expiryOf, trustOf, writeTrust } from '../../adapters/lifecycle/repository';
import { fromUtf8, utf8 } from '../../../shared/encoding/bytes';
import { migrationRequest, planMigration } from '../../core/lifecycle/migrate';
import { readRepoDir } from '../../adapters/notary/repo-dir';
import { dirFolder } from '../../adapters/tuf/fs-folder';
import { notaryRenewStep } from '../../core/lifecycle/notary';
import type { AreaHandlers, HostKit } from '../host-kit';

/** What the app's renew flow (kc:tuf.request.create, `renew`) needs for a TUF row: for hash bins, the bin expiring first. */
function renewOf(kind: ExpiryReport['kind'], r: ExpiryRow): ExpiryRowInfo['renew'] {
  if (kind !== 'tuf' || r.kind === 'root-certificate') return undefined;
  const first = r.members?.reduce((a, b) => (b.expiresMs < a.expiresMs ? b : a));
  return { role: first?.role ?? r.role, expiresInDays: renewalDays(r) };
}

function info(report: ExpiryReport, folder: string, settingsFile?: string): ExpiryReportInfo {
  const rows = report.rows.map((r): ExpiryRowInfo => {
    const renew = renewOf(report.kind, r);
    const notaryRenew = report.kind === 'notary' ? notaryRenewStep(r) : undefined;
    return {
      role: r.role,
      kind: r.kind,
      version: r.version,
      expires: r.expires,
      daysLeft: r.daysLeft,
      state: r.state,
      renewBy: r.renewBy,
      windowDays: r.windowDays,
      windowSource: r.windowSource,
      threshold: r.threshold,
      signers: r.signers,
      ...(r.members ? { bins: { count: r.members.length, due: r.due ?? 0 } } : {}),
      ...(r.command ? { command: r.command } : {}),
      ...(r.commandNote ? { commandNote: r.commandNote } : {}),
      ...(renew ? { renew } : {}),
      ...(notaryRenew ? { notaryRenew } : {}),
    };
  });
  return {
    kind: report.kind,
    folder,
    layout: report.layout,
    ...(report.gun ? { gun: report.gun } : {}),
    evaluatedAt: report.evaluatedAt,
    rows,
    notes: report.notes,
    ok: report.ok,
    counts: report.counts,
    ...(settingsFile ? { settingsFile: basename(settingsFile) } : {}),
  };
}

export function lifecycleHandlers(kit: HostKit): AreaHandlers<typeof lifecycleChannels> {
  const query = (req: { folderId: string; at?: string; warnDays?: number }) => {
    const dir = kit.files.folder(req.folderId);
    return expiryOf(dir, { now: req.at ? Date.parse(req.at) : Date.now(), ...(req.warnDays !== undefined ? { warnDays: req.warnDays } : {}) });
  };
  return {
    'kc:lifecycle.expiry': async (req) => {
      const { repo, report } = await query(req);
      return info(report, basename(kit.files.folder(req.folderId)), repo.settingsFile);
    },

    'kc:lifecycle.saveIcs': async (req) => {
      const { report } = await query(req);
      const text = await renewalCalendar(report);
      const name = `${(report.gun ?? basename(kit.files.folder(req.folderId))).replace(/[^A-Za-z0-9._-]+/g, '-')}-renewals.ics`;
      const r = await kit.deps.saveFile({ suggestedName: name, text, kind: 'other' });
      return { saved: r.saved, name: r.name, events: report.rows.filter((x) => x.command).length };
    },

    'kc:lifecycle.trust': async (req) => {
      const t = await trustOf(kit.files.folder(req.folderId));
      const clients = t.files.find((f) => f.name === 'CLIENTS.md');
      const out = req.outFolderId ? kit.files.folder(req.outFolderId) : undefined;
      const w = out ? writeTrust(out, t) : undefined;
      return {
        kind: t.kind,
        summary: t.summary,
        files: t.files.map((f) => ({ name: f.name, size: f.bytes.length })),
        clients: clients ? fromUtf8(clients.bytes) : '',
        ...(w && out ? { written: { folder: basename(out), ...w } } : {}),
      };
    },

    'kc:lifecycle.migrate': async (req) => {
      // as `notary migrate --gun --trusted-root` (electron/cli/commands/notary-migrate.ts)
      const plan = await planMigration(readRepoDir(kit.files.folder(req.folderId)), {
        at: req.at ? new Date(req.at) : new Date(),
        ...(req.gun ? { gun: req.gun } : {}),
        ...(req.trustedRoot !== undefined ? { trustedRoot: utf8(req.trustedRoot) } : {}),
      });
      const t = req.target;
      const request = await migrationRequest(
        plan,
        t.to === 'cosign'
          ? { to: 'cosign', signers: t.signers, m: t.m }
          : { to: 'tuf', folder: dirFolder(kit.files.folder(t.tufFolderId)), ...(t.expiresInDays !== undefined ? { expiresInDays: t.expiresInDays } : {}) },
        new Date(),
      );
      return {
        gun: plan.gun,
        verification: plan.verification,
        migrated: plan.migrated.map(({ tag, role, digest, length }) => ({ tag, role, digest, length })),
        skipped: plan.skipped,
        request,
      };
    },
  };
}

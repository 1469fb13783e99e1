import { useState } from 'react';
import type { ChosenFolder, CreatedRequest, ExpiryReportInfo, ExpiryRowInfo } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Notice, ScreenTitle } from '../components/common';
import { ActionButton, FolderButton } from '../components/files';
import { MadeRequest } from './tuf/steps';

const STATE_TEXT: Record<ExpiryRowInfo['state'], string> = { ok: 'OK', 'renew-soon': 'RENEW SOON', expired: 'EXPIRED' };
const STATE_CLASS: Record<ExpiryRowInfo['state'], string> = { ok: 'ok', 'renew-soon': 'warn', expired: 'refuse' };

function signedBy(r: ExpiryRowInfo): string {
  return `${r.threshold} of ${r.signers.length}: ${r.signers.map((s) => s.name ?? `${s.keyid.slice(0, 8)}…`).join(', ')}`;
}

function what(r: ExpiryRowInfo): string {
  return r.bins ? `${r.role} (${r.bins.count} hash bins${r.bins.due ? `, ${r.bins.due} due` : ''})` : r.role;
}

/**
 * The expiry dashboard (issue 15), over the same core as `keyceremony expiry`: every role of a TUF
 * repository or Notary GUN, its state in colour AND words, who signs it, when to renew; a button per
 * TUF role that makes the renewal request (the TUF release screen's renew flow), one per Notary root,
 * targets or delegated role that stages its renewal in the folder (signed on the Notary screen), the
 * command for the rest, and the deadlines saved as a calendar (.ics) that main writes.
 */
export function Expiry() {
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [report, setReport] = useState<ExpiryReportInfo | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [at, setAt] = useState('');
  const [warnDays, setWarnDays] = useState('');
  const [made, setMade] = useState<CreatedRequest[]>([]);
  const [ics, setIcs] = useState<string | null>(null);
  const [staged, setStaged] = useState<string | null>(null);

  const query = (f: ChosenFolder) => ({
    folderId: f.folderId,
    ...(at.trim() ? { at: at.trim() } : {}),
    ...(warnDays.trim() ? { warnDays: Number(warnDays.trim()) } : {}),
  });
  const load = async (f: ChosenFolder) => {
    setError(null);
    setMade([]);
    setIcs(null);
    setStaged(null);
    setFolder(f);
    try {
      setReport(await call('kc:lifecycle.expiry', query(f)));
    } catch (e) {
      setReport(null);
      setError(toUiError(e));
    }
  };

  return (
    <main>
      <ScreenTitle>Expiry dashboard</ScreenTitle>
      <p>When each role of a repository expires, who renews it, and the request to make. Nothing is signed here.</p>
      <section className="card" aria-label="Repository">
        <h2>1. The repository</h2>
        <div className="row">
          <Field label="Evaluate at (UTC, blank: now)" hint="2027-01-31T00:00:00Z">
            <input value={at} onChange={(e) => setAt(e.target.value)} placeholder="now" aria-label="Evaluate at" />
          </Field>
          <Field label="Renewal window for every role, days (blank: per role)">
            <input value={warnDays} onChange={(e) => setWarnDays(e.target.value)} inputMode="numeric" aria-label="Renewal window in days" />
          </Field>
        </div>
        <div className="actions">
          <FolderButton purpose="tuf-metadata" label="Choose a TUF metadata or Notary repository folder…" onOpen={load} />
          {folder && (
            <button type="button" onClick={() => void load(folder)}>
              Evaluate again
            </button>
          )}
        </div>
        <ErrorBox error={error} title="The repository could not be read." />
      </section>
      {report && folder && (
        <section className="card" aria-label="Expiry" data-testid="expiry-report" data-ok={report.ok} data-expired={report.counts.expired}>
          <h2>
            2. {report.kind === 'notary' ? `Notary ${report.gun ?? ''}` : 'TUF repository'} “{report.folder}” at {report.evaluatedAt}
          </h2>
          <p className={report.ok ? (report.counts['renew-soon'] ? 'warn' : 'ok') : 'refuse'} role="status" data-testid="expiry-summary">
            {report.counts.expired} expired, {report.counts['renew-soon']} to renew soon, {report.counts.ok} ok. Layout: {report.layout}.
            {report.settingsFile ? ` Renewal windows from ${report.settingsFile}.` : ''}
          </p>
          <ExpiryTable report={report} folder={folder} onMade={setMade} onStaged={setStaged} />
          {report.notes.map((n) => (
            <p key={n} className="warn">
              {n}
            </p>
          ))}
          <div className="actions">
            <ActionButton
              label="Save the renewal deadlines as a calendar (.ics)…"
              run={async () => {
                const r = await call('kc:lifecycle.saveIcs', query(folder));
                if (r.saved) setIcs(`Saved ${r.name}: ${r.events} renewal deadlines, each with a reminder a day before.`);
              }}
            />
          </div>
          {ics && <Notice testId="ics-saved">{ics}</Notice>}
          {staged && <Notice testId="notary-staged">Staged: {staged}</Notice>}
          {made.length > 0 && (
            <div data-testid="made-requests" data-count={made.length}>
              {made.map((r) => (
                <MadeRequest key={r.suggestedName} r={r} />
              ))}
            </div>
          )}
        </section>
      )}
    </main>
  );
}

/** The roles, soonest renewal first: state in colour and words, who signs, and the renewal request or command. */
function ExpiryTable({
  report,
  folder,
  onMade,
  onStaged,
}: {
  report: ExpiryReportInfo;
  folder: ChosenFolder;
  onMade: (r: CreatedRequest[]) => void;
  onStaged: (status: string) => void;
}) {
  return (
    <table className="signers" aria-label="Roles and their expiry">
      <thead>
        <tr>
          <th scope="col">State</th>
          <th scope="col">Role</th>
          <th scope="col">Version</th>
          <th scope="col">Expires</th>
          <th scope="col">Days left</th>
          <th scope="col">Renew by (window)</th>
          <th scope="col">Signed by</th>
          <th scope="col">Renewal</th>
        </tr>
      </thead>
      <tbody>
        {report.rows.map((r) => (
          <tr key={r.role} data-testid="expiry-row" data-role={r.role} data-state={r.state}>
            <td className={STATE_CLASS[r.state]}>{STATE_TEXT[r.state]}</td>
            <td>{what(r)}</td>
            <td>v{r.version}</td>
            <td>
              <code className="wrap">{r.expires}</code>
            </td>
            <td>{r.daysLeft}</td>
            <td>
              <code className="wrap">{r.renewBy}</code> ({r.windowDays === 1 ? '1 day' : `${r.windowDays} days`} before, {r.windowSource})
            </td>
            <td>{signedBy(r)}</td>
            <td>
              {r.renew && (
                <ActionButton
                  label={`Make the renewal request for ${r.renew.role}`}
                  errorTitle="No request was made."
                  run={async () => {
                    const out = await call('kc:tuf.request.create', {
                      folderId: folder.folderId,
                      change: { kind: 'renew', role: r.renew!.role, expiry: { expiresInDays: r.renew!.expiresInDays } },
                    });
                    onMade(out.requests);
                  }}
                />
              )}
              {r.notaryRenew && (
                <ActionButton
                  label={`Stage the renewal of ${r.notaryRenew.role} (${r.notaryRenew.days} days)`}
                  errorTitle="Nothing was staged."
                  run={async () => {
                    const n = r.notaryRenew!;
                    const view =
                      n.op === 'rotate'
                        ? await call('kc:notary.rotate', { folderId: folder.folderId, rootDays: n.days })
                        : await call('kc:notary.targets', { folderId: folder.folderId, role: n.role, add: [], remove: [], days: n.days });
                    onStaged(`${view.roles.find((x) => x.role === n.role)?.status ?? n.role} Sign it on the Notary screen (same folder).`);
                  }}
                />
              )}
              {r.command && (
                <div className="hint">
                  <code className="wrap">{r.command}</code>
                </div>
              )}
              {r.commandNote && <div className="hint">{r.commandNote}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import { useState } from 'react';
import type { IncompleteObjectInfo, IncompleteReportInfo, TokenSummary } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Notice } from './common';
import { PinInput, usePin } from './tokens';

/**
 * "Incomplete objects" on one token (issue 12 item 1): what an interrupted key generation or
 * recovery left, and their removal with the custodian's consent. Reusable: the Tokens screen shows it
 * for the selected token, and a ceremony screen can show it for the token it waits for.
 * The PIN is asked for each call and cleared at the call (usePin), as everywhere else.
 */
export function IncompleteObjects({ token, onChanged }: { token: TokenSummary; onChanged?: () => void }) {
  const [report, setReport] = useState<IncompleteReportInfo | null>(null);
  const [agree, setAgree] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [removed, setRemoved] = useState<number | null>(null);
  const pin = usePin();
  const ref = { serial: token.serial, label: token.label };

  const look = async () => {
    setError(null);
    setRemoved(null);
    setAgree(false);
    const p = token.pinPad ? null : pin.take();
    setBusy(true);
    try {
      setReport(await call('kc:tokens.incomplete', { token: ref, pin: p }));
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!report || report.remove.length === 0) return;
    setError(null);
    const p = token.pinPad ? null : pin.take();
    setBusy(true);
    try {
      const r = await call('kc:tokens.removeIncomplete', { token: ref, pin: p, signatures: report.remove.map((o) => o.signature) });
      setRemoved(r.removed);
      setReport(r.report);
      setAgree(false);
      onChanged?.();
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-label="Incomplete objects" data-testid="incomplete-objects">
      <h2>Incomplete objects</h2>
      <p>
        A key generation or recovery that was interrupted (power cut, crash, token pulled) can leave half-made objects on the token. They are not usable keys.
        keyceremony lists the ones its journal says it made, and removes them only when you agree.
      </p>
      <PinInput pin={pin} pinPad={token.pinPad} id="incomplete-pin" label="PIN to check for incomplete objects" />
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => void look()}>
          Look for incomplete objects
        </button>
      </div>
      {report && report.remove.length === 0 && report.resumable.length === 0 && report.notOurs.length === 0 && (
        <Notice testId="incomplete-none">No incomplete objects on token “{report.token.label}”.</Notice>
      )}
      {report && report.remove.length > 0 && (
        <div data-testid="incomplete-remove" data-count={report.remove.length}>
          <h3>Left by an interrupted keyceremony run ({report.remove.length})</h3>
          <ObjectList items={report.remove} />
          <label className="field">
            <input type="checkbox" checked={agree} onChange={(e) => setAgree(e.target.checked)} aria-label="I agree to remove these objects" /> I hold this
            token (or speak for its custodian) and agree to remove these {report.remove.length} object(s).
          </label>
          <p>Enter the PIN again above, then:</p>
          <div className="actions">
            <button type="button" disabled={busy || !agree} onClick={() => void remove()}>
              Remove {report.remove.length} incomplete object(s)
            </button>
          </div>
        </div>
      )}
      {report && report.resumable.length > 0 && (
        <div data-testid="incomplete-resumable">
          <h3>Recovered keys to complete ({report.resumable.length})</h3>
          <p>Run the same recovery again (same backup, same token): it finds the key it unwrapped, proves it, and adds its public half.</p>
          <ObjectList items={report.resumable} />
        </div>
      )}
      {report && report.notOurs.length > 0 && (
        <div data-testid="incomplete-not-ours">
          <h3>Incomplete, not known to keyceremony ({report.notOurs.length})</h3>
          <p>No journal entry says keyceremony made these; they are left alone. Inspect them with the token vendor's tool.</p>
          <ObjectList items={report.notOurs} />
        </div>
      )}
      {removed !== null && (
        <p role="status" className="ok" data-testid="incomplete-removed" data-count={removed}>
          ✔ Removed {removed} object(s).
        </p>
      )}
      {busy && <Notice>Working with the token…</Notice>}
      <ErrorBox error={error} />
    </section>
  );
}

function ObjectList({ items }: { items: IncompleteObjectInfo[] }) {
  return (
    <ul>
      {items.map((o) => (
        <li key={o.signature} data-testid="incomplete-item">
          {o.description}
          {o.reason ? <span className="hint"> — {o.reason}</span> : null}
        </li>
      ))}
    </ul>
  );
}

import { useState } from 'react';
import type { SigningRequestView, TokenCheck } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Notice, ScreenTitle } from '../components/common';
import { PinInput, TokenGate, usePin } from '../components/tokens';

/**
 * Threshold signing: open a signing request, read the diff and the "x of y" status, sign with my
 * token, save the updated request (for the next custodian) or, once complete, the signed metadata.
 */
export function RequestSign({ onBack }: { onBack: () => void }) {
  const [text, setText] = useState<string | null>(null);
  const [fileName, setFileName] = useState('request.json');
  const [view, setView] = useState<SigningRequestView | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [custodian, setCustodian] = useState('');
  const [serial, setSerial] = useState('');
  const [keyLabel, setKeyLabel] = useState('');
  const [ready, setReady] = useState(false);
  const [check, setCheck] = useState<TokenCheck | null>(null);
  const [busy, setBusy] = useState(false);
  const [signedNow, setSignedNow] = useState(false);
  const [saved, setSaved] = useState<string[]>([]);
  const pin = usePin();
  const present = check?.status === 'present' ? check.token : null;

  const open = async (file: File) => {
    setError(null);
    setSaved([]);
    setSignedNow(false);
    try {
      const t = await file.text();
      const v = await call('kc:tuf.request.open', { text: t });
      setText(t);
      setFileName(file.name);
      setView(v);
    } catch (e) {
      setView(null);
      setText(null);
      setError(toUiError(e));
    }
  };

  const sign = async () => {
    if (!present || text === null) return;
    setError(null);
    const p = present.pinPad ? null : pin.take();
    setBusy(true);
    try {
      const r = await call('kc:tuf.request.sign', { text, token: { serial }, key: { label: keyLabel }, pin: p });
      setText(r.text);
      setView(r.view);
      setSignedNow(true);
      setReady(false);
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  const save = async (kind: 'request' | 'metadata') => {
    if (text === null) return;
    setError(null);
    try {
      if (kind === 'request') {
        const r = await call('kc:files.save', { suggestedName: fileName, text, kind: 'request' });
        if (r.saved) setSaved((s) => [...s, r.name]);
      } else {
        const f = await call('kc:tuf.request.finalize', { text });
        const r = await call('kc:files.save', { suggestedName: f.fileName, text: f.text, kind: 'metadata' });
        if (r.saved) setSaved((s) => [...s, r.name]);
      }
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <main>
      <ScreenTitle>Threshold signing</ScreenTitle>
      <button type="button" onClick={onBack}>
        Back
      </button>
      <section className="card" aria-label="Signing request">
        <Field label="Open a signing request file" hint="The .json request the release manager or the previous custodian gave you">
          <input type="file" accept=".json,application/json" aria-label="Open a signing request file" onChange={(e) => e.target.files?.[0] && void open(e.target.files[0])} />
        </Field>
      </section>
      <ErrorBox error={error} />
      {view && (
        <section className="card" aria-label="Request" data-testid="request" data-complete={String(view.complete)} data-signatures={view.signatures}>
          <h2>
            {view.role} version {view.version} → {view.fileName}
          </h2>
          {view.note && <p>{view.note}</p>}
          <p>
            Exact bytes to sign: SHA-256 <code>{view.signedSha256}</code>
          </p>
          <h3>Status</h3>
          <ul aria-label="Signature status">
            {view.rules.map((r) => (
              <li key={r.name} className={r.ok ? 'ok' : ''} data-testid="rule" data-rule={r.name} data-valid={r.valid} data-threshold={r.threshold}>
                {r.name}: {r.valid} of {r.threshold} required signatures ({r.total} keys may sign){r.ok ? ' ✔' : ''}
                <progress max={r.threshold} value={Math.min(r.valid, r.threshold)} aria-label={`${r.name} signatures`} />
              </li>
            ))}
          </ul>
          <p role="status" data-testid="request-summary">
            {view.summary}
          </p>
          <h3>What changes</h3>
          <pre className="transcript" aria-label="Changes against the previous version" data-testid="diff">
            {view.diff.join('\n') || 'No previous version to compare with.'}
          </pre>
          {signedNow && <Notice testId="signed-now">Your signature was added and verified.</Notice>}
          {!ready ? (
            <form
              aria-label="My token"
              onSubmit={(e) => {
                e.preventDefault();
                setReady(true);
              }}
            >
              <Field label="Custodian">
                <input aria-label="Custodian" value={custodian} onChange={(e) => setCustodian(e.target.value)} required />
              </Field>
              <Field label="Token serial">
                <input aria-label="Token serial" value={serial} onChange={(e) => setSerial(e.target.value.trim())} required />
              </Field>
              <Field label="Key label">
                <input aria-label="Key label" value={keyLabel} onChange={(e) => setKeyLabel(e.target.value)} required />
              </Field>
              <div className="actions">
                <button type="submit" disabled={!custodian || !serial || !keyLabel || view.complete}>
                  Sign this request with my token
                </button>
              </div>
            </form>
          ) : (
            <>
              <TokenGate expect={{ serial }} custodian={custodian} onStatus={setCheck} />
              {present && (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    void sign();
                  }}
                >
                  <PinInput pin={pin} pinPad={present.pinPad} id="request-pin" label={`PIN of ${custodian}'s token`} />
                  <div className="actions">
                    <button type="submit" disabled={busy}>
                      Add my signature
                    </button>
                  </div>
                </form>
              )}
            </>
          )}
          <div className="actions">
            <button type="button" onClick={() => void save('request')}>
              Save the updated request
            </button>
            {view.complete && (
              <button type="button" onClick={() => void save('metadata')}>
                Save the signed {view.fileName}
              </button>
            )}
          </div>
          {saved.length > 0 && <Notice testId="saved">Saved: {saved.join(', ')}</Notice>}
        </section>
      )}
    </main>
  );
}

import { useState } from 'react';
import type { SigningRequestView } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Notice, ScreenTitle } from '../components/common';
import { DiffView, KeyPicker, StatusLine, WhoSigns } from '../components/signing';
import { CosignRequestSign } from './Cosign';

/** A cosign m-of-n request (shared/cosign/request.ts REQUEST_KIND) rather than a TUF one. */
function isCosignRequest(text: string): boolean {
  try {
    return (JSON.parse(text) as { kind?: unknown }).kind === 'keyceremony.cosign-signing-request';
  } catch {
    return false;
  }
}

/**
 * Threshold signing of a TUF request: open it, read the diff and who must sign (by name and key),
 * pick my key on my token (one the request accepts), sign, save the updated request for the next
 * custodian or, once complete, the signed metadata.
 */
export function RequestSign({ onBack }: { onBack: () => void }) {
  const [text, setText] = useState<string | null>(null);
  const [fileName, setFileName] = useState('request.json');
  const [view, setView] = useState<SigningRequestView | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [signedNow, setSignedNow] = useState<string | null>(null);
  const [saved, setSaved] = useState<string[]>([]);
  const [cosign, setCosign] = useState<{ text: string; name: string } | null>(null);

  const open = async (file: File) => {
    setError(null);
    setSaved([]);
    setSignedNow(null);
    try {
      const t = await file.text();
      if (isCosignRequest(t)) {
        setCosign({ text: t, name: file.name });
        return;
      }
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

  if (cosign) return <CosignRequestSign text={cosign.text} fileName={cosign.name} onBack={onBack} />;

  return (
    <main>
      <ScreenTitle>Threshold signing</ScreenTitle>
      <button type="button" onClick={onBack}>
        Back
      </button>
      <section className="card" aria-label="Signing request">
        <Field label="Open a signing request file" hint="The .json request (TUF or cosign) the release manager or the previous custodian gave you">
          <input
            type="file"
            accept=".json,application/json"
            aria-label="Open a signing request file"
            onChange={(e) => e.target.files?.[0] && void open(e.target.files[0])}
          />
        </Field>
      </section>
      <ErrorBox error={error} />
      {view && text !== null && (
        <section className="card" aria-label="Request" data-testid="request" data-complete={String(view.complete)} data-signatures={view.signatures}>
          <h2>
            {view.role} version {view.version} → {view.fileName}
          </h2>
          {view.note && <p>{view.note}</p>}
          <p>
            Exact bytes to sign: SHA-256 <code>{view.signedSha256}</code>
          </p>
          <StatusLine complete={view.complete} testId="request-summary">
            {view.summary}
          </StatusLine>
          <WhoSigns rules={view.rules} />
          <DiffView lines={view.diff} />
          {signedNow && <Notice testId="signed-now">{signedNow}</Notice>}
          {!view.complete && (
            <KeyPicker
              reloadKey={view.signedSha256 + view.signatures}
              who="signer"
              action="Add my signature"
              load={(token) => call('kc:tuf.request.candidates', { text, token })}
              sign={async (token, key, pin) => {
                const r = await call('kc:tuf.request.sign', { text, token, key: { idHex: key.idHex }, pin });
                setText(r.text);
                setView(r.view);
                setSignedNow(`Your signature (${key.name ?? key.label}, key ${r.fingerprint.slice(0, 16)}…) was added and verified.`);
              }}
            />
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

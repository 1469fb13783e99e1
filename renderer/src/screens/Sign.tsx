import { useEffect, useState } from 'react';
import { RequestSign } from './RequestSign';
import type { KeyInfo, SignOutput, TokenCheck, TokenSummary } from '../../../shared/ipc/contract';
import { toBase64, utf8 } from '../../../shared/encoding/bytes';
import { call, newJobId, onEvent, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Notice, Progress, ScreenTitle } from '../components/common';
import { PinInput, TokenGate, TokenSelect, TouchPrompt, usePin } from '../components/tokens';

/** Sign: a threshold signing request (TUF metadata), or a text with a key on my token. */
export function Sign() {
  const [what, setWhat] = useState<'choose' | 'request' | 'text'>('choose');
  if (what === 'request') return <RequestSign onBack={() => setWhat('choose')} />;
  if (what === 'text') return <TextSign />;
  return (
    <main>
      <ScreenTitle>Sign with my token</ScreenTitle>
      <ul className="choices">
        <li>
          <button type="button" className="choice" onClick={() => setWhat('request')} aria-describedby="sign-request-hint">
            Open a signing request
          </button>
          <span id="sign-request-hint" className="hint">
            Release manager or custodian: review the change, add my signature, save the request for the next custodian.
          </span>
        </li>
        <li>
          <button type="button" className="choice" onClick={() => setWhat('text')} aria-describedby="sign-text-hint">
            Sign a text
          </button>
          <span id="sign-text-hint" className="hint">
            Sign a text (or each line of it) with a key on my token.
          </span>
        </li>
      </ul>
    </main>
  );
}

/** Sign a text with a key on my token; each line separately as a cancellable batch when asked. */
function TextSign() {
  const [custodian, setCustodian] = useState('');
  const [serial, setSerial] = useState('');
  const [keyLabel, setKeyLabel] = useState('');
  const [text, setText] = useState('');
  const [perLine, setPerLine] = useState(false);
  const [ready, setReady] = useState(false);
  const [check, setCheck] = useState<TokenCheck | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [result, setResult] = useState<SignOutput | null>(null);
  const [batch, setBatch] = useState<{ sigs: string[] } | null>(null);
  const [progress, setProgress] = useState<{ jobId: string; done: number; total: number } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const pin = usePin();

  useEffect(
    () =>
      onEvent((e) => {
        if (e.kind === 'progress') setProgress((p) => (p && p.jobId === e.jobId ? { ...p, done: e.done, total: e.total } : p));
      }),
    [],
  );

  const present = check?.status === 'present' ? check.token : null;

  const sign = async () => {
    if (!present) return;
    setError(null);
    setResult(null);
    setBatch(null);
    setSaved(null);
    const p = present.pinPad ? null : pin.take();
    const token = { serial };
    setBusy(true);
    try {
      if (perLine) {
        const lines = text.split('\n').filter((l) => l.length > 0);
        const jobId = newJobId('sign');
        setProgress({ jobId, done: 0, total: lines.length });
        const out = await call('kc:sign.batch', { jobId, token, key: { label: keyLabel }, pin: p, itemsB64: lines.map((l) => toBase64(utf8(l))) });
        setBatch({ sigs: out.signaturesB64 });
      } else {
        setResult(await call('kc:sign.data', { token, key: { label: keyLabel }, pin: p, dataB64: toBase64(utf8(text)) }));
      }
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  const cancel = async () => {
    if (progress) await call('kc:jobs.cancel', { jobId: progress.jobId });
  };

  const save = async () => {
    const payload = result ? result.signatureB64 + '\n' : (batch?.sigs ?? []).join('\n') + '\n';
    try {
      const r = await call('kc:files.save', { suggestedName: `${keyLabel || 'signature'}.sig`, text: payload, kind: 'signature' });
      setSaved(r.saved ? r.name : null);
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <main>
      <ScreenTitle>Sign with my token</ScreenTitle>
      {!ready ? (
        <form
          className="card"
          aria-label="What to sign"
          onSubmit={(e) => {
            e.preventDefault();
            setReady(true);
          }}
        >
          <Field label="Custodian">
            <input value={custodian} onChange={(e) => setCustodian(e.target.value)} aria-label="Custodian" required />
          </Field>
          <KeyChoice serial={serial} keyLabel={keyLabel} onSerial={setSerial} onKey={setKeyLabel} />
          <Field label="Token serial" hint="Picked above, or typed from the ceremony script or the token sticker">
            <input value={serial} onChange={(e) => setSerial(e.target.value.trim())} aria-label="Token serial" required />
          </Field>
          <Field label="Key label">
            <input value={keyLabel} onChange={(e) => setKeyLabel(e.target.value)} aria-label="Key label" required />
          </Field>
          <Field label="Text to sign">
            <textarea value={text} onChange={(e) => setText(e.target.value)} aria-label="Text to sign" rows={4} required />
          </Field>
          <label className="check">
            <input type="checkbox" checked={perLine} onChange={(e) => setPerLine(e.target.checked)} /> Sign each line separately (batch)
          </label>
          <div className="actions">
            <button type="submit" disabled={!custodian || !serial || !keyLabel || !text}>
              Continue
            </button>
          </div>
        </form>
      ) : (
        <section className="card" aria-label="Sign">
          <TokenGate expect={{ serial }} custodian={custodian} onStatus={setCheck} />
          {present && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void sign();
              }}
            >
              <PinInput pin={pin} pinPad={present.pinPad} id="sign-pin" label={`PIN of ${custodian}'s token`} />
              <div className="actions">
                <button type="submit" disabled={busy}>
                  {perLine ? 'Sign every line' : 'Sign with this token'}
                </button>
              </div>
            </form>
          )}
          <button type="button" onClick={() => setReady(false)} disabled={busy}>
            Change what to sign
          </button>
        </section>
      )}
      {progress && <Progress label="Signing" done={progress.done} total={progress.total} onCancel={() => void cancel()} />}
      {busy && !progress && <Notice>Signing on the token…</Notice>}
      <TouchPrompt active={busy} />
      <ErrorBox error={error} />
      {result && (
        <section className="card" aria-label="Signature" data-testid="signature" data-signature={result.signatureB64}>
          <h2>Signed and verified</h2>
          <p>
            Algorithm {result.algorithm}, key fingerprint <code>{result.fingerprint}</code>
          </p>
          <textarea readOnly value={result.signatureB64} aria-label="Signature (base64)" rows={3} />
          <button type="button" onClick={() => void save()}>
            Save signature
          </button>
        </section>
      )}
      {batch && (
        <section className="card" aria-label="Signatures" data-testid="batch-result" data-count={batch.sigs.length}>
          <h2>{batch.sigs.length} signatures made and verified</h2>
          <button type="button" onClick={() => void save()}>
            Save signatures
          </button>
        </section>
      )}
      {saved && <Notice testId="saved">Saved as {saved}.</Notice>}
    </main>
  );
}

/**
 * The token and key picked from those present (label, serial, maker; the keys on that token with
 * their type and fingerprint), so nobody has to type a serial or a key label; typing stays possible
 * for a token that is not inserted yet (the gate then waits for exactly that one).
 */
function KeyChoice({ serial, keyLabel, onSerial, onKey }: { serial: string; keyLabel: string; onSerial: (s: string) => void; onKey: (l: string) => void }) {
  const [tokens, setTokens] = useState<TokenSummary[]>([]);
  const [keys, setKeys] = useState<KeyInfo[]>([]);
  const [error, setError] = useState<UiError | null>(null);
  const look = async () => {
    setError(null);
    try {
      setTokens(await call('kc:tokens.list', {}));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  useEffect(() => {
    void look();
  }, []);
  const here = tokens.find((t) => t.serial === serial);
  useEffect(() => {
    setKeys([]);
    if (!here) return;
    call('kc:keys.listPublic', { token: { serial: here.serial } }).then(setKeys, (e: unknown) => setError(toUiError(e)));
  }, [here?.serial]);
  return (
    <fieldset className="field" data-testid="key-choice">
      <legend>Pick the token and key</legend>
      <Field label="Token (from those in the readers)">
        <TokenSelect label="Token present" tokens={tokens} value={here ? serial : ''} onChange={onSerial} />
      </Field>
      <button type="button" onClick={() => void look()}>
        Look for tokens again
      </button>
      {here && (
        <Field label="Key on that token">
          <select aria-label="Key on that token" value={keys.some((k) => k.label === keyLabel) ? keyLabel : ''} onChange={(e) => onKey(e.target.value)}>
            <option value="">{keys.length ? '— pick a key —' : 'no key with a public object on this token'}</option>
            {keys.map((k) => (
              <option key={k.idHex} value={k.label}>
                {k.label} — {k.keyType} — {k.fingerprint.slice(0, 16)}…
              </option>
            ))}
          </select>
        </Field>
      )}
      <ErrorBox error={error} />
    </fieldset>
  );
}

/**
 * Backups & PINs: a custodian's work outside a ceremony.
 *  - change a token's PIN (or SO PIN) and see the tries-left state the token reports;
 *  - check stored shares against their backup file (each holder types theirs; with m of them, the
 *    app proves they open the file);
 *  - refresh a backup: re-split the same KEK (the old shares typed above) or rotate to a new KEK on
 *    the token; the new shares are shown one custodian at a time and typed back before the new
 *    backup file is saved into a chosen folder.
 * Shares and PINs are sent once, in the call that needs them; main keeps the typed shares.
 */
import { useEffect, useState } from 'react';
import type { PinState, RefreshView, SharesReport, TokenSummary } from '../../../shared/ipc/contract';
import { call, toUiError, UiError } from '../api';
import { ErrorBox, Field, Notice, ScreenTitle, WhyDisabled } from '../components/common';
import { PinInput, TokenSelect, usePin } from '../components/tokens';
import { ShareSheetView, ShareWordsEntry } from '../components/share-words';

export function Custody() {
  const [tokens, setTokens] = useState<TokenSummary[]>([]);
  const [error, setError] = useState<UiError | null>(null);
  useEffect(() => {
    call('kc:tokens.list', {}).then(setTokens, (e: unknown) => setError(toUiError(e)));
  }, []);
  return (
    <main>
      <ScreenTitle>Backups and PINs</ScreenTitle>
      <ErrorBox error={error} />
      <ChangePin tokens={tokens} />
      <Shares tokens={tokens} />
    </main>
  );
}

function ChangePin({ tokens }: { tokens: TokenSummary[] }) {
  const [serial, setSerial] = useState('');
  const [so, setSo] = useState(false);
  const [state, setState] = useState<PinState | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const oldPin = usePin();
  const newPin = usePin();
  const again = usePin();
  useEffect(() => {
    setState(null);
    if (serial) call('kc:custody.pinState', { token: { serial } }).then(setState, (e: unknown) => setError(toUiError(e)));
  }, [serial]);
  const why = !serial ? 'pick the token' : null;
  return (
    <form
      className="card"
      aria-label="Change a PIN"
      data-testid="change-pin"
      onSubmit={async (e) => {
        e.preventDefault();
        if (why) return;
        setError(null);
        setDone(null);
        const o = oldPin.take();
        const n = newPin.take();
        const a = again.take();
        if (n !== a) {
          setError(new UiError({ code: 'PIN_INVALID', message: 'The two new PINs differ; nothing was changed.', where: 'new PIN' }));
          return;
        }
        try {
          const s = await call('kc:custody.changePin', { token: { serial }, so, oldPin: o, newPin: n });
          setState(s);
          setDone(`The ${so ? 'SO PIN' : 'PIN'} of “${s.token.label}” was changed.`);
        } catch (err) {
          setError(toUiError(err));
          call('kc:custody.pinState', { token: { serial } }).then(setState, () => undefined);
        }
      }}
    >
      <h2>Change a token PIN</h2>
      <Field label="Token">
        <TokenSelect label="Token whose PIN changes" tokens={tokens} value={serial} onChange={setSerial} />
      </Field>
      {state && (
        <p data-testid="pin-state" role="status">
          User PIN: {state.user}. SO PIN: {state.so}.
        </p>
      )}
      <label className="check">
        <input type="checkbox" checked={so} onChange={(e) => setSo(e.target.checked)} /> Change the security officer (SO) PIN instead
      </label>
      <PinInput pin={oldPin} pinPad={false} id="old-pin" label={so ? 'Current SO PIN' : 'Current PIN'} />
      <PinInput pin={newPin} pinPad={false} id="new-pin" label={so ? 'New SO PIN' : 'New PIN'} />
      <PinInput pin={again} pinPad={false} id="new-pin-2" label={so ? 'New SO PIN again' : 'New PIN again'} />
      <div className="actions">
        <button type="submit" disabled={!!why} aria-describedby="pin-change-why">
          Change the PIN
        </button>
        <WhyDisabled id="pin-change-why" reason={why ? `Not yet: ${why}.` : null} />
      </div>
      {done && <Notice testId="pin-changed">{done}</Notice>}
      <ErrorBox error={error} title="The PIN was not changed." />
    </form>
  );
}

function Shares({ tokens }: { tokens: TokenSummary[] }) {
  const [file, setFile] = useState<string | null>(null);
  const [rep, setRep] = useState<SharesReport | null>(null);
  // Each opened file gets a fresh refresh form (a finished refresh does not stay on screen over the next file).
  const [opened, setOpened] = useState(0);
  const [by, setBy] = useState('');
  const [error, setError] = useState<UiError | null>(null);
  const open = async () => {
    setError(null);
    try {
      const f = await call('kc:files.open', { purpose: 'backup' });
      if (!f) return;
      setRep(await call('kc:custody.sharesOpen', { backupText: f.text }));
      setFile(f.name);
      setOpened((n) => n + 1);
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <section className="card" aria-label="Stored shares" data-testid="stored-shares">
      <h2>Check stored shares, refresh a backup</h2>
      <p>
        <button type="button" onClick={() => void open()}>
          Open a backup file…
        </button>{' '}
        {file && <code>{file}</code>}
      </p>
      <ErrorBox error={error} />
      {rep && (
        <>
          <p>
            Key “{rep.key.label}”, share set {rep.setId}: any {rep.m} of {rep.n} shares (held by {rep.holders.join(', ')}).
          </p>
          <ul data-testid="shares-checked" data-count={rep.checked.length}>
            {rep.checked.map((c) => (
              <li key={c.index}>
                ✔ share {c.index}: checksum and set hold (typed by {c.by})
              </li>
            ))}
          </ul>
          {rep.opens && (
            <p className={rep.opens.ok ? 'ok' : 'refuse'} data-testid="shares-open" data-ok={String(rep.opens.ok)}>
              {rep.opens.ok ? `✔ These shares open the backup file: ${rep.opens.subsets}.` : `✘ ${rep.opens.message}`}
            </p>
          )}
          <Field label="Who types a share now?">
            <input aria-label="Who types a share now?" value={by} onChange={(e) => setBy(e.target.value)} />
          </Field>
          {by.trim() && (
            <ShareWordsEntry
              key={`${by}-${rep.checked.length}`}
              owner={by.trim()}
              expect={{ setId: rep.setId, entered: rep.checked.map((c) => c.index) }}
              submitLabel="Check this share"
              onSubmit={async (text) => {
                setError(null);
                try {
                  setRep(await call('kc:custody.sharesAdd', { text, by: by.trim() }));
                  setBy('');
                } catch (e) {
                  setError(toUiError(e));
                }
              }}
            />
          )}
          <Refresh key={opened} rep={rep} tokens={tokens} />
        </>
      )}
    </section>
  );
}

function Refresh({ rep, tokens }: { rep: SharesReport; tokens: TokenSummary[] }) {
  const [mode, setMode] = useState<'resplit' | 'rotate'>('resplit');
  const [m, setM] = useState(rep.m);
  const [names, setNames] = useState(rep.holders.join(', '));
  const [serial, setSerial] = useState('');
  const [view, setView] = useState<RefreshView | null>(null);
  const [shown, setShown] = useState<{ index: number; text: string } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const pin = usePin();
  const soPin = usePin();
  const custodians = names
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const why =
    mode === 'resplit' && rep.checked.length < rep.m
      ? `type ${rep.m - rep.checked.length} more old share(s) above`
      : mode === 'rotate' && !serial
        ? 'pick the token holding the key'
        : m < 1 || m > custodians.length
          ? `the threshold must be 1 to ${custodians.length}`
          : null;
  const start = async () => {
    setError(null);
    try {
      const base = { mode, m, n: custodians.length, custodians };
      setView(await call('kc:custody.refreshStart', mode === 'rotate' ? { ...base, token: { serial }, pin: pin.take(), soPin: soPin.take() } : base));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  if (view) {
    const next = view.custodians.map((c, i) => ({ c, i: i + 1 })).find((x) => !view.verified.includes(x.i));
    return (
      <section className="card" aria-label="New shares" data-testid="refresh" data-verified={view.verified.length}>
        <h3>
          New share set {view.setId}: any {view.m} of {view.n} (was set {view.previousSetId})
        </h3>
        <p className="hint">{view.explanation}</p>
        {next ? (
          <>
            <h4>
              Share {next.i} of {view.n} is for {next.c}
            </h4>
            {!shown ? (
              <button
                type="button"
                onClick={async () => {
                  try {
                    setShown({ index: next.i, text: (await call('kc:custody.refreshReveal', { index: next.i })).text });
                  } catch (e) {
                    setError(toUiError(e));
                  }
                }}
              >
                Show the new share of {next.c}
              </button>
            ) : shown.text ? (
              <>
                <ShareSheetView text={shown.text} custodian={next.c} />
                <button type="button" onClick={() => setShown({ index: shown.index, text: '' })}>
                  I have copied it: hide the share
                </button>
              </>
            ) : null}
            {shown && shown.text === '' && (
              <ShareWordsEntry
                owner={next.c}
                expect={{ setId: view.setId, index: next.i }}
                submitLabel={`Give back new share ${next.i}`}
                onSubmit={async (text) => {
                  setError(null);
                  try {
                    setView(await call('kc:custody.refreshConfirm', { index: next.i, text }));
                    setShown(null);
                  } catch (e) {
                    setError(toUiError(e));
                  }
                }}
              />
            )}
          </>
        ) : (
          <>
            <p className="ok">✔ Every new share was typed back correctly.</p>
            <button
              type="button"
              onClick={async () => {
                try {
                  const f = await call('kc:files.chooseFolder', { purpose: 'backup' });
                  if (!f) return;
                  const r = await call('kc:custody.refreshSave', { folderId: f.folderId });
                  setSaved(`New backup file saved in ${r.folder}: ${r.written.join(', ')}.`);
                } catch (e) {
                  setError(toUiError(e));
                }
              }}
            >
              {saved ? 'Save another copy to a folder…' : 'Save the new backup file to a folder…'}
            </button>
          </>
        )}
        {saved && <Notice testId="refresh-saved">{saved}</Notice>}
        <ErrorBox error={error} />
      </section>
    );
  }
  return (
    <form
      className="card"
      aria-label="Refresh the backup"
      data-testid="refresh-setup"
      onSubmit={(e) => {
        e.preventDefault();
        if (!why) void start();
      }}
    >
      <h3>Refresh this backup (a custodian leaves, or the KEK is rotated)</h3>
      <label className="check">
        <input type="radio" name="refresh-mode" checked={mode === 'resplit'} onChange={() => setMode('resplit')} /> Re-split: the same KEK, new shares (uses the
        old shares typed above)
      </label>
      <label className="check">
        <input type="radio" name="refresh-mode" checked={mode === 'rotate'} onChange={() => setMode('rotate')} /> Rotate: a new KEK on the token holding the key
        (old shares become useless)
      </label>
      <Field label="New custodians (comma-separated, one share each)">
        <input aria-label="New custodians" value={names} onChange={(e) => setNames(e.target.value)} />
      </Field>
      <Field label="New threshold">
        <input type="number" min={1} max={16} aria-label="New threshold" value={m} onChange={(e) => setM(Number(e.target.value))} />
      </Field>
      {mode === 'rotate' && (
        <>
          <Field label="Token holding the key">
            <TokenSelect label="Token holding the key" tokens={tokens} value={serial} onChange={setSerial} />
          </Field>
          <PinInput pin={pin} pinPad={false} id="rotate-pin" label="PIN of that token" />
          <PinInput pin={soPin} pinPad={false} id="rotate-so-pin" label="SO PIN of that token" />
        </>
      )}
      <div className="actions">
        <button type="submit" disabled={!!why} aria-describedby="refresh-why">
          Make the new shares
        </button>
        <WhyDisabled id="refresh-why" reason={why ? `Not yet: ${why}.` : null} />
      </div>
      <ErrorBox error={error} />
    </form>
  );
}

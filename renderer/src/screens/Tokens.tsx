import { useState } from 'react';
import type { KeyInfo, TokenSummary } from '../../../shared/ipc/contract';
import { KeyTypes, type KeyType } from '../../../shared/crypto/algorithms';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Fingerprint, Notice, ScreenTitle } from '../components/common';
import { PinInput, PinStatus, usePin } from '../components/tokens';
import { IncompleteObjects } from '../components/incomplete';

/** The CK_SLOT_ID as pkcs11-tool shows it (0x…), from the little-endian handle in slotId. */
function slotNumber(slotIdHex: string): string {
  const bytes = slotIdHex.match(/../g) ?? [];
  return `0x${bytes
    .reverse()
    .join('')
    .replace(/^0+(?=.)/, '')}`;
}

export function Tokens() {
  const [tokens, setTokens] = useState<TokenSummary[] | null>(null);
  const [selected, setSelected] = useState<string>('');
  const [keyType, setKeyType] = useState<KeyType>('ecdsa-p256');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [made, setMade] = useState<(KeyInfo & { created: boolean }) | null>(null);
  const [keys, setKeys] = useState<KeyInfo[] | null>(null);
  const pin = usePin();

  const token = tokens?.find((t) => t.initialized && t.serial === selected);

  const refresh = async (clearError = true) => {
    if (clearError) setError(null);
    try {
      const list = await call('kc:tokens.list', {});
      setTokens(list);
      if (!list.some((t) => t.initialized && t.serial === selected)) setSelected(list.find((t) => t.initialized)?.serial ?? '');
    } catch (e) {
      setError(toUiError(e));
    }
  };

  const run = async (what: 'generate' | 'list') => {
    if (!token) return;
    setError(null);
    setMade(null);
    const p = token.pinPad ? null : pin.take(); // read and clear the PIN field before the call
    setBusy(true);
    try {
      if (what === 'generate') {
        const k = await call('kc:keys.generate', { token: { serial: token.serial, label: token.label }, pin: p, keyType, label: label.trim() });
        setMade(k);
      } else {
        setKeys(await call('kc:keys.list', { token: { serial: token.serial, label: token.label }, pin: p }));
      }
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
      void refresh(false);
    }
  };

  return (
    <main>
      <ScreenTitle>Tokens and keys</ScreenTitle>
      <button type="button" onClick={() => void refresh()}>
        Look for tokens
      </button>
      {tokens && tokens.length === 0 && <Notice>No token found. Insert a token and press “Look for tokens”.</Notice>}
      {tokens && tokens.length > 0 && <TokenTable tokens={tokens} selected={selected} onSelect={setSelected} />}
      {token && (
        <form
          className="card"
          aria-label="Key on the selected token"
          onSubmit={(e) => {
            e.preventDefault();
            void run('generate');
          }}
        >
          <h2>
            Token “{token.label}” (serial {token.serial})
          </h2>
          <PinStatus token={token} />
          <Field label="Key type">
            <select value={keyType} onChange={(e) => setKeyType(e.target.value as KeyType)} aria-label="Key type">
              {KeyTypes.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Key label" hint="What the key is for, e.g. root-1 or targets-alice">
            <input value={label} onChange={(e) => setLabel(e.target.value)} aria-label="Key label" maxLength={64} />
          </Field>
          <PinInput pin={pin} pinPad={token.pinPad} id="tokens-pin" label="Token PIN" />
          <div className="actions">
            <button type="submit" disabled={busy || label.trim() === ''}>
              Generate key on token
            </button>
            <button type="button" disabled={busy} onClick={() => void run('list')}>
              List keys on token
            </button>
          </div>
        </form>
      )}
      {busy && <Notice>Working with the token…</Notice>}
      <ErrorBox error={error} />
      {token && <IncompleteObjects key={token.serial} token={token} />}
      {made && (
        <section className="card" aria-label="New key" data-testid="new-key" data-label={made.label} data-fingerprint={made.fingerprint}>
          <h2>{made.created ? 'Key generated on the token' : 'This key was already on the token'}</h2>
          <p>
            Label <strong>{made.label}</strong>, type {made.keyType}, id <code>{made.idHex}</code>
          </p>
          <Fingerprint hex={made.fingerprint} label="Fingerprint (SHA-256 of the public key)" />
        </section>
      )}
      {keys && (
        <section className="card" aria-label="Keys on the token">
          <h2>Keys on the token ({keys.length})</h2>
          <ul>
            {keys.map((k) => (
              <li key={k.idHex} data-testid="key-row" data-label={k.label}>
                <strong>{k.label}</strong> ({k.keyType}) <Fingerprint hex={k.fingerprint} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

/** The tokens present: an initialised one can be chosen; an empty slot is said as such. */
function TokenTable({ tokens, selected, onSelect }: { tokens: TokenSummary[]; selected: string; onSelect: (serial: string) => void }) {
  return (
    <table className="tokens" aria-label="Tokens present">
      <thead>
        <tr>
          <th scope="col">Use</th>
          <th scope="col">Label</th>
          <th scope="col">Serial</th>
          <th scope="col">Maker / model</th>
          <th scope="col">PIN</th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) =>
          t.initialized ? (
            <tr key={t.slotId} data-testid="token-row" data-serial={t.serial}>
              <td>
                <input
                  type="radio"
                  name="token"
                  aria-label={`Use token ${t.label} serial ${t.serial}`}
                  checked={selected === t.serial}
                  onChange={() => onSelect(t.serial)}
                />
              </td>
              <td>{t.label}</td>
              <td>
                <code>{t.serial}</code>
              </td>
              <td>
                {t.manufacturer} / {t.model}
              </td>
              <td>{t.pinPad ? 'PIN pad' : t.pin.locked ? 'locked' : t.pin.finalTry ? 'last try' : t.pin.countLow ? 'few tries left' : 'ok'}</td>
            </tr>
          ) : (
            <tr key={t.slotId} data-testid="token-uninitialised" data-slot={t.slotId}>
              <td />
              <td colSpan={2}>uninitialised token in slot {slotNumber(t.slotId)}</td>
              <td>
                {t.manufacturer} / {t.model}
              </td>
              <td>initialise it with the vendor tool first</td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}

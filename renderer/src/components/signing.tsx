/**
 * What every signing screen shares (TUF requests, cosign requests, Notary roles, the online key):
 * who must sign, by name and key, and who still has to; the diff; and the key picker — the custodian
 * inserts their token, chooses one of the keys on it that the request accepts (read from the token
 * without a PIN), types the PIN and signs. Nobody types a label. A failed attempt keeps the choices
 * (only the PIN field is cleared).
 */
import { useEffect, useRef, useState } from 'react';
import type { CandidateList, KeyCandidate, TokenSummary } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Notice } from './common';
import { PinInput, PinStatus, TouchPrompt, usePin } from './tokens';

export interface SignerRow {
  keyid: string;
  fingerprint: string;
  name?: string;
  signed: boolean;
  /** A signing event's finer state: invited = a placeholder signature waits for this key. */
  state?: 'signed' | 'invited' | 'unsigned' | 'bad';
}

/** The "Signed?" cell. */
function signedCell(s: SignerRow): string {
  if (s.signed) return '✔ signed';
  if (s.state === 'invited') return 'invited, not yet';
  if (s.state === 'bad') return '✘ signature does not verify';
  return 'not yet';
}

export interface RuleRow {
  name: string;
  threshold: number;
  valid: number;
  ok: boolean;
  line: string;
  signers: SignerRow[];
}

/** Per rule: the status line and every key it accepts, by name and key, signed or still needed. */
export function WhoSigns({ rules, label = 'Who signs' }: { rules: readonly RuleRow[]; label?: string }) {
  return (
    <section className="who-signs" aria-label={label} data-testid="who-signs">
      {rules.map((r) => (
        <div key={r.name} className="rule" data-testid="rule" data-rule={r.name} data-valid={r.valid} data-threshold={r.threshold} data-ok={String(r.ok)}>
          <p className={r.ok ? 'ok' : 'pending'} data-testid="rule-line">
            {r.ok ? '✔ ' : ''}
            {r.line}
          </p>
          <progress max={r.threshold} value={Math.min(r.valid, r.threshold)} aria-label={`${r.name}: ${r.valid} of ${r.threshold} signatures`} />
          <table className="signers">
            <caption className="visually-hidden">Keys accepted for {r.name}</caption>
            <thead>
              <tr>
                <th scope="col">Signer</th>
                <th scope="col">Key id</th>
                <th scope="col">Key fingerprint (SHA-256 of the public key)</th>
                <th scope="col">Signed?</th>
              </tr>
            </thead>
            <tbody>
              {r.signers.map((s) => (
                <tr
                  key={s.keyid}
                  data-testid="signer"
                  data-signed={String(s.signed)}
                  data-name={s.name ?? ''}
                  data-fingerprint={s.fingerprint}
                  data-state={s.state}
                >
                  <td>{s.name ?? <span className="hint">(no name given)</span>}</td>
                  <td>
                    <code>{s.keyid.slice(0, 16)}</code>
                  </td>
                  <td>
                    <code className="fp-hex">{(s.fingerprint.match(/.{1,4}/g) ?? []).join(' ')}</code>
                  </td>
                  <td className={s.signed ? 'ok' : ''}>{signedCell(s)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

export function DiffView({ lines, label = 'What changes against the previous version' }: { lines: readonly string[]; label?: string }) {
  return (
    <section aria-label={label}>
      <h3>{label}</h3>
      <pre className="transcript diff" tabIndex={0} data-testid="diff">
        {lines.join('\n') || 'No previous version to compare with.'}
      </pre>
    </section>
  );
}

/** The tokens in the readers, polled; the person picks one (or the only one is taken). */
export function useTokensPresent(pollMs = 1000): { tokens: TokenSummary[] | null; error: UiError | null } {
  const [tokens, setTokens] = useState<TokenSummary[] | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const t = await call('kc:tokens.list', {});
        if (stop) return;
        setTokens((old) => (old && JSON.stringify(old) === JSON.stringify(t) ? old : t));
        setError(null);
      } catch (e) {
        if (!stop) setError(toUiError(e));
      }
    };
    void tick();
    const h = setInterval(() => void tick(), pollMs);
    return () => {
      stop = true;
      clearInterval(h);
    };
  }, [pollMs]);
  return { tokens, error };
}

/** Several tokens in the readers: the person says which is theirs. */
function TokenChoice({ tokens, chosen, onChoose }: { tokens: TokenSummary[]; chosen: string | undefined; onChoose: (serial: string) => void }) {
  return (
    <fieldset>
      <legend>Which token is yours?</legend>
      {tokens.map((t) => (
        <label key={t.serial} className="check">
          <input type="radio" name="picker-token" checked={chosen === t.serial} onChange={() => onChoose(t.serial)} /> “{t.label}” (serial {t.serial},{' '}
          {t.manufacturer} {t.model})
        </label>
      ))}
    </fieldset>
  );
}

/**
 * Insert the token, pick one of its keys that this request accepts, enter the PIN, sign.
 * `load` lists the acceptable keys on a token (no PIN); `sign` signs with the chosen key.
 */
export function KeyPicker({
  load,
  sign,
  action = 'Sign with this key',
  who = 'signer',
  reloadKey,
  disabled,
}: {
  load: (token: { serial: string; label: string }) => Promise<CandidateList>;
  sign: (token: { serial: string; label: string }, key: KeyCandidate, pin: string | null) => Promise<void>;
  action?: string;
  who?: string;
  /** Changes when what is being signed changes (reload the candidates). */
  reloadKey: string;
  disabled?: boolean;
}) {
  const { tokens, error: listError } = useTokensPresent();
  const [serial, setSerial] = useState('');
  const [list, setList] = useState<CandidateList | null>(null);
  const [keyId, setKeyId] = useState('');
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const pin = usePin();
  const loadRef = useRef(load);
  loadRef.current = load;

  const token = tokens?.find((t) => t.serial === serial) ?? (tokens?.length === 1 ? tokens[0] : undefined);
  const tokenSerial = token?.serial ?? '';
  const tokenLabel = token?.label ?? '';

  useEffect(() => {
    let stop = false;
    setList(null);
    setError(null);
    if (!tokenSerial) return;
    loadRef
      .current({ serial: tokenSerial, label: tokenLabel })
      .then((l) => {
        if (stop) return;
        setList(l);
        const open = l.keys.filter((k) => !k.signed);
        setKeyId((cur) => (l.keys.some((k) => k.idHex === cur && !k.signed) ? cur : open.length === 1 ? open[0]!.idHex : ''));
      })
      .catch((e: unknown) => !stop && setError(toUiError(e)));
    return () => {
      stop = true;
    };
  }, [tokenSerial, tokenLabel, reloadKey]);

  const chosen = list?.keys.find((k) => k.idHex === keyId);

  const submit = async () => {
    if (!token || !chosen) return;
    setError(null);
    const p = token.pinPad ? null : pin.take();
    setBusy(true);
    try {
      await sign({ serial: token.serial, label: token.label }, chosen, p);
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card key-picker" aria-label="Sign with my token" data-testid="key-picker">
      <h3>Sign with my token</h3>
      {tokens === null && <p role="status">Looking for tokens…</p>}
      {tokens?.length === 0 && (
        <p className="instruction" role="status" data-testid="no-token">
          Insert your token.
        </p>
      )}
      {tokens && tokens.length > 1 && <TokenChoice tokens={tokens} chosen={token?.serial} onChoose={setSerial} />}
      {token && (
        <p role="status" data-testid="picker-token" data-serial={token.serial}>
          Token “{token.label}” (serial {token.serial}) is in the reader.
        </p>
      )}
      {token && <PinStatus token={token} />}
      {token && list && list.keys.length === 0 && (
        <p className="refuse" role="alert" data-testid="no-accepted-key">
          ✘ None of the keys on token “{list.token.label}” ({list.otherKeys} key{list.otherKeys === 1 ? '' : 's'}) may sign this: it is not the token of a {who}{' '}
          listed above. Nothing will be signed with it. Remove it and insert the right token.
        </p>
      )}
      {token && list && list.keys.length > 0 && (
        <form
          aria-label="Choose my key and sign"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <fieldset>
            <legend>Your key on this token</legend>
            {list.keys.map((k) => (
              <label key={k.idHex} className="check key-choice" data-testid="candidate" data-fingerprint={k.fingerprint} data-signed={String(k.signed)}>
                <input type="radio" name="picker-key" value={k.idHex} checked={keyId === k.idHex} disabled={k.signed} onChange={() => setKeyId(k.idHex)} />{' '}
                <strong>{k.name ?? k.label}</strong> — key “{k.label}” ({k.keyType}) for {k.rules.join(' and ')}
                {k.signed ? ' — already signed' : ''}
                <br />
                <code className="fp-hex">{(k.fingerprint.match(/.{1,4}/g) ?? []).slice(0, 8).join(' ')}…</code>{' '}
                <span className="fp-words">{k.fingerprintWords}</span>
              </label>
            ))}
          </fieldset>
          <PinInput pin={pin} pinPad={token.pinPad} id="picker-pin" label={`PIN of token “${token.label}”`} />
          <div className="actions">
            <button type="submit" disabled={busy || disabled || !chosen || chosen.signed}>
              {busy ? 'Signing on the token…' : action}
            </button>
          </div>
          {!chosen && list.keys.every((k) => k.signed) && <Notice>Every key of yours on this token has signed already.</Notice>}
          <TouchPrompt active={busy} />
        </form>
      )}
      <ErrorBox error={error ?? listError} />
    </section>
  );
}

/** A short status line with a ✔ when complete. */
export function StatusLine({ complete, children, testId }: { complete: boolean; children: string; testId?: string }) {
  return (
    <p role="status" className={complete ? 'ok' : 'pending'} data-testid={testId} data-complete={String(complete)}>
      {complete ? '✔ ' : ''}
      {children}
    </p>
  );
}

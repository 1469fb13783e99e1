import { useEffect, useRef, useState } from 'react';
import type { TokenCheck, TokenRef, TokenSummary } from '../../../shared/ipc/contract';
import { call, onEvent, toUiError, type UiError } from '../api';
import { ErrorBox } from './common';

/**
 * "Insert the token of <custodian> (serial …)": polls which token is present and refuses a wrong one
 * (the action that needs the token stays disabled, and main refuses it again before any login).
 */
export function TokenGate({
  expect,
  custodian,
  onStatus,
  pollMs = 1000,
}: {
  expect: TokenRef;
  custodian: string;
  onStatus: (c: TokenCheck | null) => void;
  pollMs?: number;
}) {
  const [check, setCheck] = useState<TokenCheck | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const cb = useRef(onStatus);
  cb.current = onStatus;
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const c = await call('kc:tokens.check', { expect });
        if (stop) return;
        setCheck(c);
        setError(null);
        cb.current(c);
      } catch (e) {
        if (stop) return;
        setError(toUiError(e));
        cb.current(null);
      }
    };
    void tick();
    const t = setInterval(() => void tick(), pollMs);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [expect.serial, expect.label, pollMs]);

  return (
    <section className="token-gate" aria-label="Token" data-testid="token-gate" data-status={check?.status ?? 'unknown'}>
      <p className="instruction">
        Insert the token of <strong>{custodian}</strong> (serial <code>{expect.serial}</code>
        {expect.label ? `, label “${expect.label}”` : ''}).
      </p>
      {check?.status === 'present' && (
        <p className="ok" role="status">
          ✔ Token “{check.token.label}” (serial {check.token.serial}) is present.
          {check.token.pinPad && ' This reader has a PIN pad: type the PIN on the reader when it asks.'}
        </p>
      )}
      {check?.status === 'wrong' && (
        <p className="refuse" role="alert" data-testid="wrong-token">
          ✘ Wrong token: {check.others.map((t) => `“${t.label}” (serial ${t.serial})`).join(', ')} is not the token of {custodian}. Remove it and insert the
          token with serial {expect.serial}. Nothing will be signed with it.
        </p>
      )}
      {check?.status === 'absent' && <p role="status">Waiting for the token…</p>}
      {check?.status === 'present' && <PinStatus token={check.token} />}
      <ErrorBox error={error} title="Cannot read the tokens." />
    </section>
  );
}

export function PinStatus({ token }: { token: TokenSummary }) {
  if (token.pin.locked)
    return (
      <p className="refuse" role="alert">
        The PIN of this token is locked. The security officer must reset it before it can be used.
      </p>
    );
  if (token.pin.triesLeft !== undefined && token.pin.triesLeft > 1 && (token.pin.countLow || token.pin.triesLeft < 3))
    return (
      <p className="warn" role="status" data-testid="tries-left" data-count={token.pin.triesLeft}>
        A wrong PIN was entered before: {token.pin.triesLeft} PIN tries are left before this token locks.
      </p>
    );
  if (token.pin.finalTry)
    return (
      <p className="warn" role="alert" data-testid="tries-left" data-count={1}>
        Careful: only ONE PIN try is left before this token locks.
      </p>
    );
  if (token.pin.countLow)
    return (
      <p className="warn" role="status" data-testid="tries-left">
        A wrong PIN was entered before: few tries are left before this token locks.
      </p>
    );
  return null;
}

/**
 * Masked PIN entry that keeps nothing: the value lives only in the DOM input until `take()` reads it
 * and clears the field, right before the one call that needs it. No React state holds it.
 */
export function usePin() {
  const ref = useRef<HTMLInputElement>(null);
  return {
    ref,
    take(): string {
      const el = ref.current;
      const v = el?.value ?? '';
      if (el) el.value = '';
      return v;
    },
    clear() {
      if (ref.current) ref.current.value = '';
    },
  };
}

export function PinInput({ pin, pinPad, id, label = 'PIN' }: { pin: ReturnType<typeof usePin>; pinPad: boolean; id: string; label?: string }) {
  useEffect(() => () => pin.clear(), []);
  if (pinPad) return <p role="status">This reader has a PIN pad: enter the PIN on the reader when it asks.</p>;
  return (
    <label className="field" htmlFor={id}>
      <span className="field-label">{label}</span>
      <input id={id} ref={pin.ref} type="password" autoComplete="off" spellCheck={false} inputMode="text" aria-label={label} />
    </label>
  );
}

/** A choice among the tokens present: label, serial and maker (the serial is the value). */
export function TokenSelect({
  label,
  tokens,
  value,
  onChange,
}: {
  label: string;
  tokens: readonly TokenSummary[];
  value: string;
  onChange: (serial: string) => void;
}) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">— pick a token —</option>
      {tokens.map((t) => (
        <option key={t.serial} value={t.serial}>
          {t.label} — serial {t.serial} — {t.manufacturer} {t.model}
        </option>
      ))}
    </select>
  );
}

/**
 * "Touch the YubiKey now": shown while a signature is being made on a key whose attested touch policy
 * makes the device wait for a touch (main says so with a user-presence event before the signature).
 */
export function TouchPrompt({ active }: { active: boolean }) {
  const [req, setReq] = useState<{ token: string; key: string; touchPolicy: string } | null>(null);
  useEffect(() => onEvent((e) => e.kind === 'user-presence' && setReq({ token: e.token, key: e.key, touchPolicy: e.touchPolicy })), []);
  useEffect(() => {
    if (!active) setReq(null);
  }, [active]);
  if (!active || !req) return null;
  return (
    <p className="instruction touch" role="alert" data-testid="touch-prompt" data-touch-policy={req.touchPolicy}>
      <strong>Touch the YubiKey now.</strong> It blinks until you touch it: key “{req.key}” on token “{req.token}” needs a touch for each signature
      {req.touchPolicy === 'cached' ? ' (a touch counts for 15 seconds)' : ''}.
    </p>
  );
}

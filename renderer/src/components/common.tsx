import { useEffect, useRef, type ReactNode } from 'react';
import type { Mode } from '../../../shared/ipc/contract';
import { fingerprintWords } from '../../../shared/pgp-words';
import type { UiError } from '../api';

/** Rehearsal or production, shown at all times; rehearsal is watermarked across the whole window. */
export function ModeBanner({ mode }: { mode: Mode }) {
  return (
    <>
      <div className={`mode-banner mode-${mode}`} role="status" aria-label={`Mode: ${mode}`} data-testid="mode-banner">
        {mode === 'rehearsal' ? 'REHEARSAL — practice only: nothing made here is trusted' : 'PRODUCTION — real keys, real signatures'}
      </div>
      {mode === 'rehearsal' && (
        // The word is drawn by CSS (::after): faint on purpose, decorative, and not text a contrast check or a screen reader should read.
        <div className="watermark" aria-hidden="true" data-testid="watermark" />
      )}
    </>
  );
}

/** Screen heading that takes focus when the screen opens (keyboard and screen-reader users start here). */
export function ScreenTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function ErrorBox({ error, title }: { error: UiError | null; title?: string }) {
  if (!error) return null;
  const d = error.info.details ?? {};
  return (
    <div className="error" role="alert" data-testid="error" data-code={error.code}>
      <strong>{title ?? 'That did not work.'}</strong> {error.message}
      {typeof d.triesLeft === 'number' && <div>Tries left: {d.triesLeft}</div>}
      <div className="error-code">Code: {error.code}</div>
    </div>
  );
}

export function Notice({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="notice" role="status" data-testid={testId}>
      {children}
    </div>
  );
}

/**
 * A fingerprint in its ONE form everywhere: the SHA-256 as grouped hex and all 32 bytes as PGP words
 * to read aloud, both wrapped (never cut, never scrolled sideways).
 */
export function Fingerprint({ hex, label }: { hex: string; label?: string }) {
  const groups = hex.match(/.{1,4}/g) ?? [];
  const words = fingerprintWords(hex);
  return (
    <div className="fingerprint" data-testid="fingerprint" data-hex={hex}>
      {label && <div className="fp-label">{label}</div>}
      <code className="fp-hex" aria-label={`${label ?? 'Fingerprint'} SHA-256 ${hex}`}>
        {groups.join(' ')}
      </code>
      <div className="fp-words" data-testid="fp-words" data-count={words.split(' ').length}>
        {words}
      </div>
    </div>
  );
}

/** Why a button is disabled, in words, next to it (referenced by the button's aria-describedby). */
export function WhyDisabled({ id, reason }: { id: string; reason: string | null | undefined }) {
  if (!reason) return null;
  return (
    <span id={id} className="hint why-disabled" data-testid="why-disabled">
      {reason}
    </span>
  );
}

export function Progress({ done, total, onCancel, label }: { done: number; total: number; onCancel?: () => void; label: string }) {
  return (
    <div className="progress" data-testid="progress">
      <label>
        {label}: {done} of {total}
        <progress max={total} value={done} aria-label={label} />
      </label>
      {onCancel && (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

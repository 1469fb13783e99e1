/**
 * Shares for hand copying: shown numbered, a page at a time; typed back word by word with completion
 * from the word list (BIP-39 English: every word is unique in its first four letters), the resolved
 * full word shown once four letters are typed, and the nearest words suggested for a typo. The whole
 * share is then checked in main (checksum naming a wrong or swapped word, another set, a repeat).
 * Words live only in the inputs' DOM values until the one call that sends them; React state holds
 * only per-word verdicts.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { ShareCheck } from '../../../shared/ipc/contract';
import { wordsFor, wordsFromFirstIndex } from '../../../shared/share-format';
import { call } from '../api';

const WORDS: readonly string[] = wordlist;
const BY_PREFIX = new Map<string, string>(WORDS.map((w) => [w.slice(0, 4), w]));
const SET = new Set(WORDS);

/** The word a typed text stands for: exact, or by its first four letters; null when none. */
export function resolveWord(typed: string): string | null {
  const t = typed.trim().toLowerCase();
  if (SET.has(t)) return t;
  if (t.length >= 4) {
    const w = BY_PREFIX.get(t.slice(0, 4));
    if (w && w.startsWith(t)) return w;
  }
  return null;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const c = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + c);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** Completions for a prefix (up to 6), or the nearest words for a typo (edit distance ≤ 2). */
export function suggestWords(typed: string): string[] {
  const t = typed.trim().toLowerCase();
  if (!t || resolveWord(t)) return [];
  const starts = WORDS.filter((w) => w.startsWith(t));
  if (starts.length) return starts.slice(0, 6);
  return WORDS.map((w) => ({ w, d: distance(t, w) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d || (a.w < b.w ? -1 : 1))
    .slice(0, 4)
    .map((x) => x.w);
}

/** The words of a share text (after "words:"), without the numbers of the sheet. */
export function shareWordsOf(text: string): string[] {
  const after = text.includes('words:') ? text.slice(text.indexOf('words:') + 6) : text;
  return after.split(/\s+/).filter((w) => w && !/^\d+[.):]?$/.test(w));
}

export const PAGE = 12;

/** A share shown for copying: numbered words, one page at a time, with its header. */
export function ShareSheetView({ text, custodian }: { text: string; custodian: string }) {
  const words = shareWordsOf(text);
  const header = text
    .slice(0, Math.max(0, text.indexOf('words:')))
    .trim()
    .split('\n');
  const pages = Math.max(1, Math.ceil(words.length / PAGE));
  const [page, setPage] = useState(0);
  const first = page * PAGE;
  return (
    <div className="share-sheet" data-testid="share-text" data-words={words.length}>
      <p className="share-owner">
        For <strong>{custodian}</strong> only. Copy each word with its number.
      </p>
      <ul className="share-header">
        {header.map((h) => (
          <li key={h}>{h}</li>
        ))}
      </ul>
      <ol className="share-page" start={first + 1} aria-label={`Share words ${first + 1} to ${Math.min(first + PAGE, words.length)} of ${words.length}`}>
        {words.slice(first, first + PAGE).map((w, i) => (
          <li key={first + i} data-n={first + i + 1}>
            <span className="wn">{first + i + 1}.</span> <span className="ww">{w}</span>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" disabled={page === 0} aria-describedby="share-page-info" onClick={() => setPage(page - 1)}>
          Previous words
        </button>
        <span id="share-page-info" role="status">
          Page {page + 1} of {pages} (words {first + 1}–{Math.min(first + PAGE, words.length)} of {words.length})
        </span>
        <button type="button" disabled={page >= pages - 1} aria-describedby="share-page-info" onClick={() => setPage(page + 1)}>
          Next words
        </button>
      </div>
    </div>
  );
}

/**
 * Word-by-word entry of a share. `expect` goes to main's check (whose share, which set, what is in).
 * `onComplete(text)` is called with the whole share only when the custodian submits a share whose
 * checksum holds; the inputs are cleared at that moment.
 */
export function ShareWordsEntry({
  count: initialCount = wordsFor(false),
  owner,
  expect,
  submitLabel,
  onSubmit,
  disabledReason,
}: {
  count?: number;
  owner: string;
  expect?: { index?: number; custodian?: string; setId?: string; entered?: number[] };
  submitLabel: string;
  onSubmit: (text: string) => void;
  disabledReason?: string;
}) {
  const refs = useRef<(HTMLInputElement | null)[]>([]);
  // the first word announces the share's length: 34 words (format 2), 33 (format 1), 45 (passphrase)
  const [count, setCount] = useState(initialCount);
  const [typed, setTyped] = useState<string[]>(() => new Array<string>(Math.max(initialCount, 45)).fill(''));
  const [check, setCheck] = useState<ShareCheck | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const resolved = useMemo(() => typed.map(resolveWord), [typed]);
  const filled = resolved.slice(0, count).filter(Boolean).length;

  const values = () => refs.current.map((r) => r?.value ?? '');
  const validate = (vals: string[], n = count) => {
    if (timer.current) clearTimeout(timer.current);
    const words = vals.map((v) => resolveWord(v) ?? v.trim()).filter(Boolean);
    if (words.length < n) {
      setCheck(null);
      return;
    }
    timer.current = setTimeout(() => {
      call('kc:backup.checkShare', { text: words.join(' '), ...(expect ? { expect } : {}) }).then(setCheck, () => setCheck(null));
    }, 120);
  };
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  // Only the verdict per word is state: the letters stay in the inputs.
  // words pasted beyond the boxes shown (a 45-word share pasted while 34 boxes show): filled once they exist
  const pending = useRef<Map<number, string>>(new Map());
  useEffect(() => {
    for (const [k, w] of pending.current) {
      const el = refs.current[k];
      if (el) {
        el.value = w;
        pending.current.delete(k);
      }
    }
    if (pending.current.size === 0 && refs.current[0]?.value) validate(values().slice(0, count));
  }, [count]); // runs when the number of boxes changes
  const update = (i: number, v: string) => {
    const parts = v
      .trim()
      .split(/\s+/)
      .filter((w) => w && !/^\d+[.):]?$/.test(w));
    if (parts.length > 1) {
      // several words pasted or typed at once: spread them over this and the next boxes
      parts.forEach((p, k) => {
        const el = refs.current[i + k];
        if (el) el.value = p;
        else pending.current.set(i + k, p);
      });
      refs.current[Math.min(i + parts.length, count - 1)]?.focus();
    }
    const vals = values();
    const first = resolveWord(vals[0] ?? '');
    const announced = first ? wordsFromFirstIndex(WORDS.indexOf(first)) : undefined;
    const n = announced ?? initialCount;
    if (n !== count) setCount(n);
    setTyped(vals.map((x) => (resolveWord(x) ? x : x.trim() ? '?' + x : '')));
    validate(vals.slice(0, n), n);
  };
  const clear = () => {
    refs.current.forEach((r) => r && (r.value = ''));
    setTyped(new Array<string>(Math.max(initialCount, 45)).fill(''));
    setCount(initialCount);
    setCheck(null);
  };
  const reason =
    disabledReason ??
    (!check?.complete
      ? filled < count
        ? `${count - filled} of ${count} words still to type`
        : (check?.problem?.message ?? 'checking the share…')
      : undefined);
  return (
    <form
      className="share-entry"
      aria-label={`Share words of ${owner}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (reason) return;
        const text = values()
          .slice(0, count)
          .map((v) => resolveWord(v) ?? v.trim())
          .join(' ');
        clear();
        onSubmit(text);
      }}
    >
      <p className="hint">
        Type each word in its numbered box. Four letters are enough: the full word appears beside the box. A word not in the list gets suggestions.
      </p>
      <ol className="word-grid">
        {Array.from({ length: count }, (_, i) => {
          const t = typed[i] ?? '';
          const raw = t.startsWith('?') ? t.slice(1) : t;
          const w = resolved[i];
          const sugg = !w && raw ? suggestWords(raw) : [];
          return (
            <li key={i} className={w ? 'word-ok' : raw ? 'word-bad' : ''} data-ok={String(!!w)}>
              <label>
                <span className="wn">{i + 1}.</span>
                <input
                  ref={(el) => {
                    refs.current[i] = el;
                  }}
                  aria-label={`Word ${i + 1} of ${count} (${owner})`}
                  autoComplete="off"
                  spellCheck={false}
                  autoCapitalize="none"
                  onChange={(e) => update(i, e.target.value)}
                  onKeyDown={(e) => {
                    if ((e.key === ' ' || e.key === 'Enter') && w) {
                      e.preventDefault();
                      const el = refs.current[i];
                      if (el) el.value = w;
                      refs.current[i + 1]?.focus();
                    }
                  }}
                />
              </label>
              {w && raw !== w && (
                <span className="resolved" data-testid="resolved">
                  → {w}
                </span>
              )}
              {sugg.length > 0 && (
                <span className="suggest" data-testid="suggestions">
                  {raw.length >= 4 || !WORDS.some((x) => x.startsWith(raw)) ? 'not in the list; did you mean ' : ''}
                  {sugg.map((s) => (
                    <button
                      type="button"
                      key={s}
                      className="link"
                      onClick={() => {
                        const el = refs.current[i];
                        if (el) el.value = s;
                        update(i, s);
                        refs.current[i + 1]?.focus();
                      }}
                    >
                      {s}
                    </button>
                  ))}
                </span>
              )}
            </li>
          );
        })}
      </ol>
      <p
        className={check?.complete ? 'ok' : check?.problem ? 'refuse' : 'hint'}
        role="status"
        data-testid="share-check"
        data-complete={String(!!check?.complete)}
        data-code={check?.problem?.code ?? ''}
      >
        {check?.complete
          ? `✔ Share ${check.share?.index} of ${check.share?.n} is complete and its checksum holds.`
          : (check?.problem?.message ?? `${filled} of ${count} words typed.`)}
      </p>
      <div className="actions">
        <button type="submit" aria-disabled={reason ? 'true' : undefined} className={reason ? 'is-disabled' : ''} aria-describedby="share-submit-why">
          {submitLabel}
        </button>
        {reason && (
          <span id="share-submit-why" className="hint">
            Not yet: {reason}.
          </span>
        )}
      </div>
    </form>
  );
}

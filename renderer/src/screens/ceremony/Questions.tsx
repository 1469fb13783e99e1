/** The one open question of a running ceremony, as the person it is for sees it. */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { CeremonyQuestion, TokenCheck } from '../../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../../api';
import { ErrorBox, Field, Notice, WhyDisabled } from '../../components/common';
import { PinInput, TokenGate, usePin } from '../../components/tokens';
import { ShareSheetView, ShareWordsEntry } from '../../components/share-words';

export type AnswerOf = Parameters<typeof call<'kc:ceremony.answer'>>[1]['answer'];

/** A question's heading takes focus when it appears, so keyboard users land on the next action. */
function QTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, []);
  return (
    <h2 ref={ref} tabIndex={-1}>
      {children}
    </h2>
  );
}

/** Lines the room saw (check results, fingerprints): a list, wrapped, failed checks marked. */
export function ShownLines({ lines }: { lines: string[] }) {
  if (!lines.length) return null;
  return (
    <ul className="checks" data-testid="shown">
      {lines.map((l, i) => {
        const cls = /\[FAIL\]/.test(l) ? 'fail' : /\[WARN\]/.test(l) ? 'warn' : '';
        return (
          <li key={i} className={cls}>
            {l.trim()}
          </li>
        );
      })}
    </ul>
  );
}

export function Question({ q, pinsAhead, onAnswer }: { q: CeremonyQuestion; pinsAhead: number; onAnswer: (a: AnswerOf) => void }) {
  switch (q.kind) {
    case 'ack':
      return (
        <section className="card question" aria-label="Acknowledgement" data-testid="question" data-kind="ack" data-by={q.by.id}>
          <QTitle>
            {q.by.name} ({q.by.role}) confirms
          </QTitle>
          {q.shown.length > 0 && <p>What {q.by.name} confirms was shown to the room:</p>}
          <ShownLines lines={q.shown} />
          <p className="instruction">“{q.statement}”</p>
          <div className="actions">
            <button type="button" onClick={() => onAnswer({ kind: 'ack', confirm: true })}>
              {q.by.name}: I confirm
            </button>
            <button type="button" onClick={() => onAnswer({ kind: 'ack', confirm: false })}>
              I do not confirm (stop)
            </button>
          </div>
        </section>
      );
    case 'pin':
      return <PinQuestion q={q} pinsAhead={pinsAhead} onAnswer={onAnswer} />;
    case 'deviation':
      return <DeviationQuestion q={q} onAnswer={onAnswer} />;
    case 'share-show':
      return <ShareShow q={q} onAnswer={onAnswer} />;
    case 'share-enter':
      return (
        <section
          className="card question"
          aria-label={`Type back the share of ${q.custodian}`}
          data-testid="question"
          data-kind="share-enter"
          data-custodian={q.custodianId}
        >
          <QTitle>
            {q.custodian}: type share {q.index} back from your sheet
          </QTitle>
          <ShareWordsEntry
            owner={q.custodian}
            expect={{ index: q.index, custodian: q.custodian }}
            submitLabel={`Give back share ${q.index}`}
            onSubmit={(text) => onAnswer({ kind: 'share-enter', text })}
          />
        </section>
      );
    case 'share-gather':
      return <ShareGather q={q} onAnswer={onAnswer} />;
  }
}

function PinQuestion({ q, pinsAhead, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'pin' }>; pinsAhead: number; onAnswer: (a: AnswerOf) => void }) {
  const pin = usePin();
  const [check, setCheck] = useState<TokenCheck | null>(null);
  const serial = q.token.serial;
  const present = serial ? (check?.status === 'present' ? check.token : null) : null;
  const pinPad = present?.pinPad ?? false;
  const what = q.so ? 'security officer (SO) PIN' : 'PIN';
  const why = serial && !present ? `insert the token “${q.token.label}” (serial ${serial})` : null;
  return (
    <section
      className="card question"
      aria-label={`PIN for token ${q.token.label}`}
      data-testid="question"
      data-kind="pin"
      data-token={q.token.label}
      data-so={String(q.so)}
    >
      <QTitle>
        {q.token.custodian}: the {what} of token “{q.token.label}”
      </QTitle>
      <p className="hint" data-testid="pins-ahead">
        This is one of {pinsAhead} PIN entr{pinsAhead === 1 ? 'y' : 'ies'} still ahead in this ceremony (each token is asked once per step).
      </p>
      {serial ? (
        <TokenGate expect={{ serial, label: q.token.label }} custodian={q.token.custodian} onStatus={setCheck} />
      ) : (
        <p className="instruction">
          Insert the token “{q.token.label}” of {q.token.custodian}.
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (why) return;
          const p = pinPad ? null : pin.take();
          onAnswer({ kind: 'pin', pin: p });
        }}
      >
        <PinInput pin={pin} pinPad={pinPad} id={`pin-${q.id}`} label={q.so ? `SO PIN of token ${q.token.label}` : `PIN of token ${q.token.label}`} />
        <div className="actions">
          <button type="submit" disabled={!!why} aria-describedby={`pin-why-${q.id}`}>
            Log in to “{q.token.label}”
          </button>
          <WhyDisabled id={`pin-why-${q.id}`} reason={why ? `Not yet: ${why}.` : null} />
        </div>
      </form>
    </section>
  );
}

function DeviationQuestion({ q, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'deviation' }>; onAnswer: (a: AnswerOf) => void }) {
  const [text, setText] = useState('');
  const why = text.trim().length < 10 ? 'write a justification of at least 10 characters' : null;
  return (
    <section className="card question" aria-label="Failed check" data-testid="question" data-kind="deviation" data-check={q.check.id}>
      <QTitle>Check “{q.check.id}” failed</QTitle>
      <p className="refuse">{q.check.summary}</p>
      <p>{q.administrator.name}: stop here, or write why the ceremony may go on anyway. The justification goes into the transcript.</p>
      <Field label="Justification">
        <textarea aria-label="Justification" value={text} onChange={(e) => setText(e.target.value)} rows={2} />
      </Field>
      <div className="actions">
        <button type="button" disabled={!!why} aria-describedby={`dev-why-${q.id}`} onClick={() => onAnswer({ kind: 'deviation', justification: text.trim() })}>
          Proceed with this justification
        </button>
        <button type="button" onClick={() => onAnswer({ kind: 'deviation', justification: null })}>
          Stop the ceremony
        </button>
        <WhyDisabled id={`dev-why-${q.id}`} reason={why ? `Not yet: ${why}.` : null} />
      </div>
    </section>
  );
}

function ShareShow({ q, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'share-show' }>; onAnswer: (a: AnswerOf) => void }) {
  const [text, setText] = useState<string | null>(null);
  const [has, setHas] = useState(false);
  const [sheet, setSheet] = useState<{ message: string; fileId?: string; name?: string } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const reveal = async () => {
    setError(null);
    try {
      setText((await call('kc:ceremony.revealShare', { questionId: q.id })).text);
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const shred = async (fileId: string) => {
    try {
      const r = await call('kc:files.shred', { fileId });
      setSheet({ message: `The file ${r.name} was overwritten (${r.bytes} bytes) and removed.` });
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const why = !has
    ? `${q.custodian} ticks the box once the share is written down or printed`
    : sheet?.fileId
      ? 'delete the share sheet file first (it holds the share)'
      : null;
  return (
    <section className="card question" aria-label={`Share for ${q.custodian}`} data-testid="question" data-kind="share-show" data-custodian={q.custodianId}>
      <QTitle>
        Share {q.index} of {q.total} is for {q.custodian}
      </QTitle>
      {text === null ? (
        <>
          <p className="instruction">Only {q.custodian} looks at the screen now. Everyone else, look away.</p>
          <button type="button" onClick={() => void reveal()}>
            Show the share of {q.custodian}
          </button>
        </>
      ) : (
        <>
          <ShareSheetView text={text} custodian={q.custodian} />
          <div className="actions">
            <button
              type="button"
              onClick={async () => {
                setSheet(null);
                try {
                  const r = await call('kc:ceremony.shareSheet', { questionId: q.id });
                  setSheet(
                    r.saved
                      ? {
                          message: `Share sheet saved as ${r.name}. Print it on the offline printer, then delete the file.`,
                          name: r.name,
                          ...(r.fileId ? { fileId: r.fileId } : {}),
                        }
                      : { message: 'Not saved.' },
                  );
                } catch (e) {
                  setError(toUiError(e));
                }
              }}
            >
              Print share sheet (PDF)
            </button>
          </div>
          {sheet && (
            <Notice testId="share-sheet">
              {sheet.message}{' '}
              {sheet.fileId && (
                <button type="button" onClick={() => void shred(sheet.fileId!)}>
                  Delete {sheet.name} (overwrite, then remove)
                </button>
              )}
            </Notice>
          )}
          <label className="check">
            <input type="checkbox" checked={has} onChange={(e) => setHas(e.target.checked)} /> {q.custodian}: I have written down or printed my share
          </label>
          <div className="actions">
            <button
              type="button"
              disabled={!!why}
              aria-describedby={`show-why-${q.id}`}
              onClick={() => {
                setText(null); // drop the share from the screen before answering
                onAnswer({ kind: 'share-show', received: true });
              }}
            >
              Hide the share and continue
            </button>
            <WhyDisabled id={`show-why-${q.id}`} reason={why ? `Not yet: ${why}.` : null} />
          </div>
        </>
      )}
      <ErrorBox error={error} />
    </section>
  );
}

function ShareGather({ q, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'share-gather' }>; onAnswer: (a: AnswerOf) => void }) {
  const entered = q.entered.length;
  const gave = new Set(q.entered.map((e) => e.custodian));
  const [who, setWho] = useState('');
  const person = q.custodians.find((c) => c.id === who);
  return (
    <section
      className="card question"
      aria-label="Recovery shares"
      data-testid="question"
      data-kind="share-gather"
      data-entered={entered}
      data-needed={q.needed}
    >
      <QTitle>
        Shares for the recovery: any {q.needed} of the {q.total}
      </QTitle>
      <p className="instruction" data-testid="gather-progress">
        {entered} of {q.needed} shares entered — {q.needed - entered} more needed.
      </p>
      {q.entered.length > 0 && (
        <ul>
          {q.entered.map((e) => (
            <li key={e.index}>
              ✔ share {e.index} (given to {q.holders[e.index - 1] ?? '?'}) typed by {e.custodian}
            </li>
          ))}
        </ul>
      )}
      {q.problem && (
        <p className="refuse" role="alert" data-testid="gather-problem" data-code={q.problem.code}>
          Refused: {q.problem.message}
        </p>
      )}
      <p className="hint">
        Whoever of the custodians is present types their share, in any order. The shares of set {q.setId} were given to:{' '}
        {q.holders.map((h, i) => `${i + 1}. ${h}`).join('; ')}.
      </p>
      <Field label="Who types the next share?">
        <select aria-label="Who types the next share?" value={who} onChange={(e) => setWho(e.target.value)}>
          <option value="">— choose —</option>
          {q.custodians
            .filter((c) => !gave.has(c.name))
            .map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
        </select>
      </Field>
      {person && (
        <ShareWordsEntry
          key={`${person.id}-${entered}`}
          owner={person.name}
          expect={{ setId: q.setId, entered: q.entered.map((e) => e.index) }}
          submitLabel={`Enter this share (${person.name})`}
          onSubmit={(text) => onAnswer({ kind: 'share-gather', custodianId: person.id, text })}
        />
      )}
    </section>
  );
}

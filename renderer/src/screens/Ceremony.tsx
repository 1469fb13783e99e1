import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { AppInfo, CeremonyQuestion, CeremonyTemplate, CeremonyView, ShareCheck, TokenCheck } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Fingerprint, Notice, ScreenTitle } from '../components/common';
import { PinInput, TokenGate, usePin } from '../components/tokens';

/** The ceremony wizard over the engine running in main. `preset` fixes the template (recovery). */
export function Ceremony({ info, preset }: { info: AppInfo; preset?: string }) {
  const [view, setView] = useState<CeremonyView | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  // Pick up a run that is already going (e.g. after switching screens).
  useEffect(() => {
    call('kc:ceremony.state', {}).then(
      (v) => v && (!preset || v.name === preset || v.status === 'running') && setView(v),
      () => {},
    );
  }, [preset]);

  useEffect(() => {
    if (!view || view.status !== 'running') return;
    const t = setInterval(() => {
      call('kc:ceremony.state', {}).then(
        (v) => v && setView(v),
        (e: unknown) => setError(toUiError(e)),
      );
    }, 300);
    return () => clearInterval(t);
  }, [view?.status]);

  if (!info.features.ceremony) {
    return (
      <main>
        <ScreenTitle>{preset === 'recovery' ? 'Recover a key onto a fresh token' : 'Run a ceremony'}</ScreenTitle>
        <Notice>The ceremony engine is not wired into this build. Use the command line: keyceremony ceremony run.</Notice>
      </main>
    );
  }
  return (
    <main>
      <ScreenTitle>{view ? view.title : preset === 'recovery' ? 'Recover a key onto a fresh token' : 'Run a ceremony'}</ScreenTitle>
      <ErrorBox error={error} />
      {!view ? <Setup preset={preset} onStarted={setView} /> : <Run view={view} setView={setView} onNew={() => setView(null)} />}
    </main>
  );
}

function Setup({ preset, onStarted }: { preset?: string; onStarted: (v: CeremonyView) => void }) {
  const [templates, setTemplates] = useState<CeremonyTemplate[]>([]);
  const [name, setName] = useState(preset ?? 'tuf-root');
  const [serials, setSerials] = useState<Record<string, string>>({});
  const [inputs, setInputs] = useState<Record<string, string>>({});
  const [error, setError] = useState<UiError | null>(null);
  useEffect(() => {
    call('kc:ceremony.templates', {}).then(setTemplates, (e: unknown) => setError(toUiError(e)));
  }, []);
  const t = templates.find((x) => x.name === name);
  const start = async () => {
    setError(null);
    try {
      const s = Object.fromEntries(Object.entries(serials).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()]));
      onStarted(await call('kc:ceremony.start', { template: name, serials: s, inputs }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const missingInputs = (t?.inputs ?? []).filter((i) => inputs[i] === undefined);
  return (
    <form
      className="card"
      aria-label="Prepare the ceremony"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      {!preset && (
        <Field label="Ceremony">
          <select aria-label="Ceremony" value={name} onChange={(e) => setName(e.target.value)}>
            {templates.map((x) => (
              <option key={x.name} value={x.name}>
                {x.title}
              </option>
            ))}
          </select>
        </Field>
      )}
      {t && (
        <>
          <p>{t.summary}</p>
          <h2>Participants</h2>
          <ul>
            {t.participants.map((p) => (
              <li key={p.id}>
                {p.name} — {p.role}
              </li>
            ))}
          </ul>
          <h2>Tokens</h2>
          <p className="hint">Type each token’s serial from its sticker: the ceremony refuses a token whose serial differs.</p>
          {t.tokens.map((tk) => (
            <Field key={tk.id} label={`Serial of token “${tk.label}”${tk.custodian ? ` (held by ${t.participants.find((p) => p.id === tk.custodian)?.name ?? tk.custodian})` : ''}`}>
              <input
                aria-label={`Serial of token ${tk.label}`}
                value={serials[tk.id] ?? ''}
                onChange={(e) => setSerials({ ...serials, [tk.id]: e.target.value })}
              />
            </Field>
          ))}
          {t.inputs.map((f) => (
            <Field key={f} label={`Open ${f}`} hint="The file from the original ceremony’s bundle">
              <input
                type="file"
                aria-label={`Open ${f}`}
                onChange={async (e) => {
                  const file = e.target.files?.[0];
                  if (file) setInputs({ ...inputs, [f]: await file.text() });
                }}
              />
            </Field>
          ))}
        </>
      )}
      <ErrorBox error={error} title="The ceremony did not start." />
      <div className="actions">
        <button type="submit" disabled={!t || missingInputs.length > 0}>
          Start the ceremony
        </button>
      </div>
    </form>
  );
}

function Run({ view, setView, onNew }: { view: CeremonyView; setView: (v: CeremonyView) => void; onNew: () => void }) {
  const [error, setError] = useState<UiError | null>(null);
  const cur = view.current !== null ? view.steps[view.current] : undefined;
  const answer = async (q: CeremonyQuestion, a: Parameters<typeof call<'kc:ceremony.answer'>>[1]['answer']) => {
    setError(null);
    try {
      setView(await call('kc:ceremony.answer', { questionId: q.id, answer: a }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <div className="wizard" data-testid="ceremony" data-status={view.status}>
      {cur && view.status === 'running' && (
        <section className="card" aria-label="Current step" data-testid="current-step">
          <h2>
            Step {(view.current ?? 0) + 1} of {view.steps.length}: {cur.title}
          </h2>
          {cur.instructions && <p className="instruction">{cur.instructions}</p>}
        </section>
      )}
      {view.question && <Question key={view.question.id} q={view.question} onAnswer={(a) => void answer(view.question!, a)} />}
      {view.status === 'running' && (
        <div className="actions">
          <button
            type="button"
            onClick={async () => {
              try {
                const v = await call('kc:ceremony.cancel', {});
                if (v) setView(v);
              } catch (e) {
                setError(toUiError(e));
              }
            }}
          >
            Stop the ceremony (it can be resumed)
          </button>
        </div>
      )}
      <ErrorBox error={error} />
      {view.status === 'failed' && (
        <section className="card" aria-label="Ceremony stopped">
          <ErrorBox error={view.error ? ({ info: view.error, message: view.error.message, code: view.error.code } as UiError) : null} title="The ceremony stopped." />
          <p>Nothing is lost: the journal keeps every finished step. Fix the problem, then resume.</p>
          <button
            type="button"
            onClick={async () => {
              try {
                setView(await call('kc:ceremony.resume', {}));
              } catch (e) {
                setError(toUiError(e));
              }
            }}
          >
            Resume the ceremony
          </button>
        </section>
      )}
      {view.status === 'done' && view.result && (
        <section className="card" aria-label="Ceremony result" data-testid="ceremony-result" data-ok={String(view.result.ok)} data-bundle={view.result.bundleDir}>
          <h2>{view.result.ok ? '✔ Ceremony complete: the bundle verifies' : '✘ The bundle does NOT verify'}</h2>
          <p>
            Bundle: <code>{view.result.archivePath}</code>
          </p>
          <p>
            Manifest SHA-256 <code>{view.result.manifestSha256}</code>, {view.result.files} files, signed by {view.result.signedBy.map((s) => s.id).join(', ') || 'nobody'}.
          </p>
          {view.result.problems.length > 0 && (
            <ul>
              {view.result.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <button type="button" onClick={onNew}>
            Start another ceremony
          </button>
        </section>
      )}
      <section className="card" aria-label="Steps">
        <h2>Steps</h2>
        <ol className="steps">
          {view.steps.map((s, i) => (
            <li key={s.id} aria-current={i === view.current ? 'step' : undefined} className={s.status} data-step={s.id} data-status={s.status}>
              {s.title} <span className="hint">({s.status === 'pending' ? 'to do' : s.status})</span>
            </li>
          ))}
        </ol>
      </section>
      {view.keys.length > 0 && (
        <section className="card" aria-label="Keys">
          <h2>Keys</h2>
          <ul>
            {view.keys.map((k) => (
              <li key={k.id} data-testid="ceremony-key" data-id={k.id} data-fingerprint={k.fingerprint}>
                <strong>{k.id}</strong> ({k.keyType}) on token “{k.token.label}”{k.token.serial ? ` serial ${k.token.serial}` : ''}
                <Fingerprint hex={k.fingerprint} />
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="card" aria-label="Participants">
        <h2>Participants</h2>
        <ul>
          {view.participants.map((p) => {
            const n = view.acknowledgements.filter((a) => a.by === p.id).length;
            return (
              <li key={p.id} data-testid="participant" data-id={p.id} data-acks={n}>
                {p.name} — {p.role}: {n} acknowledgement{n === 1 ? '' : 's'}
                {view.question?.kind === 'ack' && view.question.by.id === p.id ? ' (asked now)' : ''}
              </li>
            );
          })}
        </ul>
      </section>
      {view.acknowledgements.length > 0 && (
        <section className="card" aria-label="Acknowledgements">
          <h2>Acknowledgements</h2>
          <ul>
            {view.acknowledgements.map((a, i) => (
              <li key={i}>
                ✔ {view.participants.find((p) => p.id === a.by)?.name ?? a.by} ({a.step}): {a.statement}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="card" aria-label="Transcript">
        <h2>Live transcript</h2>
        <pre className="transcript" role="log" aria-live="polite" data-testid="transcript">
          {view.log.join('\n')}
        </pre>
      </section>
    </div>
  );
}

type AnswerOf = Parameters<typeof call<'kc:ceremony.answer'>>[1]['answer'];

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

function Question({ q, onAnswer }: { q: CeremonyQuestion; onAnswer: (a: AnswerOf) => void }) {
  switch (q.kind) {
    case 'ack':
      return (
        <section className="card question" aria-label="Acknowledgement" data-testid="question" data-kind="ack" data-by={q.by.id}>
          <QTitle>
            {q.by.name} ({q.by.role}) confirms
          </QTitle>
          {q.shown.length > 0 && <pre className="transcript">{q.shown.join('\n')}</pre>}
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
      return <PinQuestion q={q} onAnswer={onAnswer} />;
    case 'deviation':
      return <DeviationQuestion q={q} onAnswer={onAnswer} />;
    case 'share-show':
      return <ShareShow q={q} onAnswer={onAnswer} />;
    case 'share-enter':
      return <ShareEnter q={q} onAnswer={onAnswer} />;
  }
}

function PinQuestion({ q, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'pin' }>; onAnswer: (a: AnswerOf) => void }) {
  const pin = usePin();
  const [check, setCheck] = useState<TokenCheck | null>(null);
  const serial = q.token.serial;
  const present = serial ? (check?.status === 'present' ? check.token : null) : null;
  const pinPad = present?.pinPad ?? false;
  const what = q.so ? 'security officer (SO) PIN' : 'PIN';
  return (
    <section className="card question" aria-label={`PIN for token ${q.token.label}`} data-testid="question" data-kind="pin" data-token={q.token.label} data-so={String(q.so)}>
      <QTitle>
        {q.token.custodian}: the {what} of token “{q.token.label}”
      </QTitle>
      {serial ? (
        <TokenGate expect={{ serial, label: q.token.label }} custodian={q.token.custodian} onStatus={setCheck} />
      ) : (
        <p className="instruction">Insert the token “{q.token.label}” of {q.token.custodian}.</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const p = pinPad ? null : pin.take();
          onAnswer({ kind: 'pin', pin: p });
        }}
      >
        <PinInput pin={pin} pinPad={pinPad} id={`pin-${q.id}`} label={q.so ? `SO PIN of token ${q.token.label}` : `PIN of token ${q.token.label}`} />
        <div className="actions">
          <button type="submit" disabled={!!serial && !present}>
            Log in to “{q.token.label}”
          </button>
        </div>
      </form>
    </section>
  );
}

function DeviationQuestion({ q, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'deviation' }>; onAnswer: (a: AnswerOf) => void }) {
  const [text, setText] = useState('');
  return (
    <section className="card question" aria-label="Failed check" data-testid="question" data-kind="deviation" data-check={q.check.id}>
      <QTitle>Check “{q.check.id}” failed</QTitle>
      <p className="refuse">{q.check.summary}</p>
      <p>
        {q.administrator.name}: stop here, or write why the ceremony may go on anyway. The justification goes into the transcript.
      </p>
      <Field label="Justification">
        <textarea aria-label="Justification" value={text} onChange={(e) => setText(e.target.value)} rows={2} />
      </Field>
      <div className="actions">
        <button type="button" disabled={text.trim() === ''} onClick={() => onAnswer({ kind: 'deviation', justification: text.trim() })}>
          Proceed with this justification
        </button>
        <button type="button" onClick={() => onAnswer({ kind: 'deviation', justification: null })}>
          Stop the ceremony
        </button>
      </div>
    </section>
  );
}

function ShareShow({ q, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'share-show' }>; onAnswer: (a: AnswerOf) => void }) {
  const [text, setText] = useState<string | null>(null);
  const [has, setHas] = useState(false);
  const [sheet, setSheet] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const shown = text !== null;
  const reveal = async () => {
    setError(null);
    try {
      setText((await call('kc:ceremony.revealShare', { questionId: q.id })).text);
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <section className="card question" aria-label={`Share for ${q.custodian}`} data-testid="question" data-kind="share-show" data-custodian={q.custodianId}>
      <QTitle>
        Share {q.index} of {q.total} is for {q.custodian}
      </QTitle>
      {!shown ? (
        <>
          <p className="instruction">Only {q.custodian} looks at the screen now. Everyone else, look away.</p>
          <button type="button" onClick={() => void reveal()}>
            Show the share of {q.custodian}
          </button>
          <ErrorBox error={error} />
        </>
      ) : (
        <>
          <pre className="share-text" data-testid="share-text" aria-label={`Share ${q.index} text`}>
            {text}
          </pre>
          <div className="actions">
            <button
              type="button"
              onClick={async () => {
                setSheet(null);
                try {
                  const r = await call('kc:ceremony.shareSheet', { questionId: q.id });
                  setSheet(r.saved ? `Share sheet saved as ${r.name}: print it on the offline printer, then delete the file.` : 'Not saved.');
                } catch (e) {
                  setSheet(toUiError(e).message);
                }
              }}
            >
              Print share sheet (PDF)
            </button>
          </div>
          {sheet && <Notice testId="share-sheet">{sheet}</Notice>}
          <label className="check">
            <input type="checkbox" checked={has} onChange={(e) => setHas(e.target.checked)} /> {q.custodian}: I have written down or printed my share
          </label>
          <div className="actions">
            <button
              type="button"
              disabled={!has}
              onClick={() => {
                setText(null); // drop the share from the screen before answering
                onAnswer({ kind: 'share-show', received: true });
              }}
            >
              Hide the share and continue
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function ShareEnter({ q, onAnswer }: { q: Extract<CeremonyQuestion, { kind: 'share-enter' }>; onAnswer: (a: AnswerOf) => void }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [check, setCheck] = useState<ShareCheck | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const validate = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const text = ref.current?.value ?? '';
      call('kc:backup.checkShare', { text, expect: { index: q.index, custodian: q.custodian } }).then(setCheck, () => setCheck(null));
    }, 150);
  };
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return (
    <section className="card question" aria-label={`Type back the share of ${q.custodian}`} data-testid="question" data-kind="share-enter" data-custodian={q.custodianId}>
      <QTitle>
        {q.custodian}: type share {q.index} back from your sheet
      </QTitle>
      <p className="hint">Words are checked as you type. Numbers from the sheet are ignored.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const text = ref.current?.value ?? '';
          if (ref.current) ref.current.value = '';
          setCheck(null);
          onAnswer({ kind: 'share-enter', text });
        }}
      >
        <textarea ref={ref} aria-label={`Share words of ${q.custodian}`} rows={4} spellCheck={false} autoComplete="off" onInput={validate} className="share-input" />
        {check && (
          <>
            <ol className="share-words" aria-label="Word check">
              {check.words.map((w, i) => (
                <li key={i} className={w.ok ? 'word-ok' : 'word-bad'} data-ok={String(w.ok)}>
                  {w.ok ? '✔' : '✘'} {i + 1}. {w.ok ? 'ok' : 'not a word of the list'}
                </li>
              ))}
            </ol>
            <p className={check.complete ? 'ok' : check.problem ? 'refuse' : ''} role="status" data-testid="share-check" data-complete={String(check.complete)} data-code={check.problem?.code ?? ''}>
              {check.complete ? `✔ Share ${check.share?.index} of ${check.share?.n} is complete and its checksum holds.` : (check.problem?.message ?? '')}
            </p>
          </>
        )}
        <div className="actions">
          <button type="submit" disabled={!check?.complete}>
            Give back share {q.index}
          </button>
        </div>
      </form>
    </section>
  );
}

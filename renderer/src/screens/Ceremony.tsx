/**
 * The ceremony screen over the engine running in main: unfinished runs found on disk (Resume or
 * Abandon), the setup, the run (one question at a time, pushed by main on the event channel), and
 * the end (save the bundle to a chosen folder, print the transcript and the script, start another).
 * `preset` fixes the template (the Recover screen).
 */
import { useEffect, useState } from 'react';
import type { AppInfo, CeremonyView, UnfinishedRun } from '../../../shared/ipc/contract';
import { call, onEvent, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Fingerprint, Notice, ScreenTitle, WhyDisabled } from '../components/common';
import { Setup } from './ceremony/Setup';
import { Question, type AnswerOf } from './ceremony/Questions';

export function Ceremony({ info, preset }: { info: AppInfo; preset?: string }) {
  const [view, setView] = useState<CeremonyView | null>(null);
  const [unfinished, setUnfinished] = useState<UnfinishedRun[]>([]);
  const [error, setError] = useState<UiError | null>(null);

  // Main pushes every change of the open run; no polling.
  useEffect(
    () =>
      onEvent((e) => {
        if (e.kind === 'ceremony') setView(e.view);
      }),
    [],
  );
  // Pick up a run that is already open (e.g. after switching screens), and runs left unfinished.
  useEffect(() => {
    if (!info.features.ceremony) return;
    call('kc:ceremony.state', {}).then(
      (v) => v && (!preset || v.name === preset || v.status === 'running') && setView(v),
      (e: unknown) => setError(toUiError(e)),
    );
    call('kc:ceremony.unfinished', {}).then(setUnfinished, (e: unknown) => setError(toUiError(e)));
  }, [preset]);

  const heading = preset === 'recovery' ? 'Recover a key onto a fresh token' : 'Run a ceremony';
  if (!info.features.ceremony) {
    return (
      <main>
        <ScreenTitle>{heading}</ScreenTitle>
        <Notice>The ceremony engine is not wired into this build. Use the command line: keyceremony ceremony run.</Notice>
      </main>
    );
  }
  const startAnother = async () => {
    try {
      await call('kc:ceremony.close', {});
      setUnfinished([]);
      setView(null);
      setUnfinished(await call('kc:ceremony.unfinished', {}));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <main>
      <ScreenTitle>{view ? view.title : heading}</ScreenTitle>
      <ErrorBox error={error} />
      {!view && unfinished.length > 0 && <Unfinished runs={unfinished} mode={info.mode} onView={setView} />}
      {!view ? <Setup {...(preset ? { preset } : {})} onStarted={setView} /> : <Run view={view} setView={setView} onNew={() => void startAnother()} />}
    </main>
  );
}

function Unfinished({ runs, mode, onView }: { runs: UnfinishedRun[]; mode: AppInfo['mode']; onView: (v: CeremonyView) => void }) {
  const [error, setError] = useState<UiError | null>(null);
  const [abandoning, setAbandoning] = useState<string | null>(null);
  return (
    <section className="card" aria-label="Unfinished ceremonies" data-testid="unfinished">
      <h2>Unfinished ceremonies</h2>
      <p>The app was closed while these ceremonies were running. Their journals keep every finished step: resume one, or abandon it.</p>
      <ul>
        {runs.map((r) => {
          const other = r.rehearsal !== (mode === 'rehearsal');
          return (
            <li key={r.run} data-testid="unfinished-run" data-run={r.run}>
              <strong>{r.title}</strong> ({r.rehearsal ? 'rehearsal' : 'production'}), started {r.startedAt}: {r.stepsDone} of {r.steps} steps done
              {r.stoppedAt ? `, stopped in “${r.stoppedAt}”` : ''}.
              {r.keys.length > 0 && (
                <ul>
                  {r.keys.map((k) => (
                    <li key={k.id}>
                      key {k.id} (“{k.label}”) on {k.token}
                    </li>
                  ))}
                </ul>
              )}
              <div className="actions">
                <button
                  type="button"
                  disabled={other}
                  aria-describedby={`why-${r.run}`}
                  onClick={async () => {
                    setError(null);
                    try {
                      onView(await call('kc:ceremony.reopen', { run: r.run }));
                    } catch (e) {
                      setError(toUiError(e));
                    }
                  }}
                >
                  Resume {r.title}
                </button>
                <button type="button" disabled={other} aria-describedby={`why-${r.run}`} onClick={() => setAbandoning(r.run)}>
                  Abandon…
                </button>
                <WhyDisabled
                  id={`why-${r.run}`}
                  reason={other ? `Started in ${r.rehearsal ? 'rehearsal' : 'production'} mode: restart the app in that mode to resume or abandon it.` : null}
                />
              </div>
              {abandoning === r.run && <AbandonForm run={r.run} keys={r.keys.length} onDone={onView} />}
            </li>
          );
        })}
      </ul>
      <ErrorBox error={error} />
    </section>
  );
}

/** Who abandons, why (into the transcript), and whether the run's keys are removed from their tokens. */
function AbandonForm({ run, keys, onDone }: { run?: string; keys: number; onDone: (v: CeremonyView) => void }) {
  const [by, setBy] = useState('');
  const [reason, setReason] = useState('');
  const [remove, setRemove] = useState(true);
  const [error, setError] = useState<UiError | null>(null);
  const why = !by.trim() ? 'type who abandons the run' : reason.trim().length < 10 ? 'write a reason of at least 10 characters' : null;
  return (
    <form
      className="card"
      aria-label="Abandon the run"
      data-testid="abandon-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (why) return;
        setError(null);
        try {
          onDone(await call('kc:ceremony.abandon', { ...(run ? { run } : {}), by: by.trim(), reason: reason.trim(), removeKeys: remove }));
        } catch (err) {
          setError(toUiError(err));
        }
      }}
    >
      <p>Abandoning is final and recorded in the run’s transcript, with every key the run made.</p>
      <Field label="Abandoned by">
        <input aria-label="Abandoned by" value={by} onChange={(e) => setBy(e.target.value)} />
      </Field>
      <Field label="Reason (goes into the transcript)">
        <textarea aria-label="Reason for abandoning" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <label className="check">
        <input type="checkbox" checked={remove} onChange={(e) => setRemove(e.target.checked)} /> Remove the keys this run made from their tokens
        {keys ? ` (${keys} recorded)` : ''}; each token’s PIN is asked. Needed to start afresh on the same tokens.
      </label>
      <div className="actions">
        <button type="submit" disabled={!!why} aria-describedby="abandon-why">
          Abandon this run
        </button>
        <WhyDisabled id="abandon-why" reason={why ? `Not yet: ${why}.` : null} />
      </div>
      <ErrorBox error={error} />
    </form>
  );
}

function Run({ view, setView, onNew }: { view: CeremonyView; setView: (v: CeremonyView) => void; onNew: () => void }) {
  const [error, setError] = useState<UiError | null>(null);
  const [abandon, setAbandon] = useState(false);
  const cur = view.current !== null ? view.steps[view.current] : undefined;
  const answer = async (a: AnswerOf) => {
    if (!view.question) return;
    setError(null);
    try {
      setView(await call('kc:ceremony.answer', { questionId: view.question.id, answer: a }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const running = view.status === 'running' || view.status === 'abandoning';
  return (
    <div className="wizard" data-testid="ceremony" data-status={view.status} data-run={view.run}>
      <p className="visually-hidden" role="status" aria-live="polite">
        {cur && running ? `Step ${(view.current ?? 0) + 1} of ${view.steps.length}: ${cur.title}` : view.status}
      </p>
      {cur && view.status === 'running' && (
        <section className="card" aria-label="Current step" data-testid="current-step">
          <h2>
            Step {(view.current ?? 0) + 1} of {view.steps.length}: {cur.title}
          </h2>
          {cur.instructions && <p className="instruction">{cur.instructions}</p>}
          <p className="hint" data-testid="pins-left" data-count={view.pinsAhead}>
            PIN entries still ahead: {view.pinsAhead}.{view.sharesKept > 0 ? ` ${view.sharesKept} recovery share(s) are kept in memory for a retry.` : ''}
          </p>
        </section>
      )}
      {view.question && (
        <div data-testid="question-box" data-qid={view.question.id}>
          <Question key={view.question.id} q={view.question} pinsAhead={view.pinsAhead} onAnswer={(a) => void answer(a)} />
        </div>
      )}
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
        <section className="card" aria-label="Ceremony stopped" data-testid="stopped">
          <ErrorBox
            error={view.error ? ({ info: view.error, message: view.error.message, code: view.error.code } as UiError) : null}
            title="The ceremony stopped."
          />
          <p>
            Nothing is lost: the journal keeps every finished step.
            {view.sharesKept > 0 ? ` The ${view.sharesKept} shares typed so far are kept in memory: nobody types them again.` : ''} Fix the problem, then
            resume, or abandon the run.
          </p>
          <div className="actions">
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
            <button type="button" onClick={() => setAbandon(true)}>
              Abandon this run…
            </button>
          </div>
          {abandon && <AbandonForm keys={view.keys.length} onDone={setView} />}
        </section>
      )}
      {view.status === 'abandoned' && view.abandoned && (
        <section className="card" aria-label="Run abandoned" data-testid="abandoned">
          <h2>The run was abandoned</h2>
          <p>
            By {view.abandoned.by}: {view.abandoned.reason}
          </p>
          <p>
            Keys removed from their tokens: {view.abandoned.removed.join(', ') || 'none'}. Keys left on their tokens: {view.abandoned.left.join(', ') || 'none'}
            . The transcript in <code>{view.runDir}</code> records it.
          </p>
          <button type="button" onClick={onNew}>
            Start another ceremony
          </button>
        </section>
      )}
      {view.status === 'done' && view.result && <Finished view={view} onNew={onNew} />}
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
        <h2 id="live-transcript">Live transcript</h2>
        {/* Focusable so keyboard users can scroll it; not a live region: hashes and 32-word fingerprints are not read aloud. */}
        <pre className="transcript" tabIndex={0} role="region" aria-labelledby="live-transcript" data-testid="transcript">
          {view.log.join('\n')}
        </pre>
      </section>
    </div>
  );
}

function Finished({ view, onNew }: { view: CeremonyView; onNew: () => void }) {
  const r = view.result!;
  const [saved, setSaved] = useState<{ folder: string; written: string[]; ok: boolean; problems: string[] } | null>(null);
  const [print, setPrint] = useState<{ title: string; lines: string[] } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  useEffect(() => {
    if (print) window.print();
  }, [print]);
  const save = async () => {
    setError(null);
    try {
      const f = await call('kc:files.chooseFolder', { purpose: 'bundle' });
      if (!f) return;
      setSaved(await call('kc:ceremony.exportBundle', { folderId: f.folderId }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const printIt = async (what: 'transcript' | 'script') => {
    setError(null);
    try {
      setPrint(await call('kc:ceremony.printable', { what }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <section className="card" aria-label="Ceremony result" data-testid="ceremony-result" data-ok={String(r.ok)} data-bundle={r.bundleDir}>
      <h2>{r.ok ? '✔ Ceremony complete: the bundle verifies' : '✘ The bundle does NOT verify'}</h2>
      <p>
        Bundle: <code>{r.archivePath}</code>
      </p>
      <p>
        Manifest SHA-256 <code className="wrap">{r.manifestSha256}</code>, {r.files} files, signed by {r.signedBy.map((s) => s.id).join(', ') || 'nobody'}.
      </p>
      {r.problems.length > 0 && (
        <ul>
          {r.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" onClick={() => void save()}>
          Save the bundle to a folder…
        </button>
        <button type="button" onClick={() => void printIt('transcript')}>
          Print the transcript
        </button>
        <button type="button" onClick={() => void printIt('script')}>
          Print the script
        </button>
        <button type="button" onClick={onNew}>
          Start another ceremony
        </button>
      </div>
      {saved && (
        <Notice testId="bundle-saved">
          {saved.ok ? '✔' : '✘'} Saved to <code>{saved.folder}</code>: {saved.written.join(', ')}.{' '}
          {saved.ok ? 'The copy on the medium was read back and verifies.' : `The copy does NOT verify: ${saved.problems.join('; ')}`}
        </Notice>
      )}
      <ErrorBox error={error} />
      {print && (
        <section className="print-view" aria-label={print.title} data-testid="print-view">
          <h2>{print.title}</h2>
          {print.lines.join('\n')}
        </section>
      )}
    </section>
  );
}

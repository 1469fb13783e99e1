/** The TUF release screen's later steps: the request made, collecting signed copies, publishing, comparing files. */
import { useState } from 'react';
import type { ChosenFolder, CreatedRequest, SigningRequestView, TufRepoView } from '../../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../../api';
import { ErrorBox, Field, Notice } from '../../components/common';
import { DiffView, KeyPicker, StatusLine, WhoSigns } from '../../components/signing';
import { SaveButton } from '../../components/files';

const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

export function MadeRequest({ r }: { r: CreatedRequest }) {
  return (
    <article className="card" aria-label={`Request ${r.suggestedName}`} data-testid="made-request" data-name={r.suggestedName}>
      <h3>
        {r.view.role} v{r.view.version} → {r.view.fileName}
      </h3>
      {r.view.note && <p>{r.view.note}</p>}
      <StatusLine complete={r.view.complete}>{r.view.summary}</StatusLine>
      <WhoSigns rules={r.view.rules} />
      <DiffView lines={r.view.diff} />
      <SaveButton
        label={`Save ${r.suggestedName} for the custodians`}
        suggestedName={r.suggestedName}
        text={r.text}
        kind="request"
        done={(n) => `Saved ${n}. Give a copy to each custodian; bring back the copies they sign.`}
      />
    </article>
  );
}

/** Open the signed copies, merge them, and write the finished file into the metadata folder. */
export function Collect({ folder, onWritten }: { folder: ChosenFolder; onWritten: () => void }) {
  const [merged, setMerged] = useState<{ text: string; view: SigningRequestView; added: number; from: string[] } | null>(null);
  const [written, setWritten] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const open = async (files: FileList) => {
    setError(null);
    setMerged(null);
    setWritten(null);
    try {
      const list = Array.from(files);
      const texts = await Promise.all(list.map((f) => f.text()));
      if (texts.length === 1) {
        const view = await call('kc:tuf.request.open', { text: texts[0]! });
        setMerged({ text: texts[0]!, view, added: 0, from: list.map((f) => f.name) });
      } else {
        const r = await call('kc:tuf.request.merge', { texts });
        setMerged({ ...r, from: list.map((f) => f.name) });
      }
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <section className="card" aria-label="Collect signatures">
      <h2>3. Collect the signed copies</h2>
      <p>
        Custodians may sign copies of the same request in parallel, each on their own machine. Open all the copies they brought back: their signatures are
        checked and merged.
      </p>
      <Field label="Open the signed request copies">
        <input
          type="file"
          multiple
          accept=".json,application/json"
          aria-label="Open the signed request copies"
          onChange={(e) => e.target.files?.length && void open(e.target.files)}
        />
      </Field>
      <ErrorBox error={error} title="Not merged." />
      {merged && (
        <div data-testid="merged" data-complete={String(merged.view.complete)}>
          <p>
            Merged {merged.from.join(', ')}
            {merged.from.length > 1 ? ` (${merged.added} signature${merged.added === 1 ? '' : 's'} added to the first)` : ''}.
          </p>
          <StatusLine complete={merged.view.complete} testId="merged-summary">
            {merged.view.summary}
          </StatusLine>
          <WhoSigns rules={merged.view.rules} />
          <div className="actions">
            <SaveButton
              label="Save the merged request"
              suggestedName={`${merged.view.version}.${merged.view.role}.request.json`}
              text={merged.text}
              kind="request"
            />
            {merged.view.complete && (
              <button
                type="button"
                onClick={async () => {
                  setError(null);
                  try {
                    const w = await call('kc:tuf.request.write', { text: merged.text, folderId: folder.folderId });
                    setWritten(`${w.fileName} ${w.written ? 'written into' : 'was already in'} ${baseName(folder.display)}`);
                    onWritten();
                  } catch (e) {
                    setError(toUiError(e));
                  }
                }}
              >
                Write {merged.view.fileName} into {baseName(folder.display)}
              </button>
            )}
          </div>
          {written && <Notice testId="written">{written}</Notice>}
        </div>
      )}
    </section>
  );
}

/** Snapshot + timestamp signed by the online key on its token, written into the folder, then read back as a client would. */
export function Publish({ folder, repo, onDone }: { folder: ChosenFolder; repo: TufRepoView; onDone: () => void }) {
  const [snapDays, setSnapDays] = useState('7');
  const [tsDays, setTsDays] = useState('1');
  const [result, setResult] = useState<{ summary: string; written: string[]; verified: boolean; verification: string[] } | null>(null);
  const snap = repo.roles.find((r) => r.role === 'snapshot');
  return (
    <section className="card" aria-label="Publish snapshot and timestamp">
      <h2>4. Publish: snapshot and timestamp on the online token</h2>
      <p>
        A new snapshot (v{(snap?.version ?? 0) + 1}) lists the latest file of every targets role in {repo.folder}; a new timestamp points at it. Both are signed
        by the online key.
      </p>
      <div className="row">
        <Field label="Snapshot expires in (days)">
          <input inputMode="numeric" value={snapDays} onChange={(e) => setSnapDays(e.target.value)} />
        </Field>
        <Field label="Timestamp expires in (days)">
          <input inputMode="numeric" value={tsDays} onChange={(e) => setTsDays(e.target.value)} />
        </Field>
      </div>
      <KeyPicker
        reloadKey={folder.folderId + repo.files.join(',')}
        who="holder of the online key"
        action="Sign snapshot and timestamp"
        load={(token) => call('kc:tuf.snapshot.candidates', { folderId: folder.folderId, token })}
        sign={async (token, key, pin) => {
          const d = (v: string) => (Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : undefined);
          const sd = d(snapDays);
          const td = d(tsDays);
          const r = await call('kc:tuf.snapshot', {
            folderId: folder.folderId,
            token,
            key: { idHex: key.idHex },
            pin,
            ...(sd ? { snapshotDays: sd } : {}),
            ...(td ? { timestampDays: td } : {}),
          });
          setResult(r);
          onDone();
        }}
      />
      {result && (
        <div data-testid="published" data-verified={String(result.verified)}>
          <p className={result.verified ? 'ok' : 'refuse'} role="status">
            {result.verified ? '✔ ' : '✘ '}
            {result.summary}; wrote {result.written.join(', ')}.{' '}
            {result.verified ? 'The folder verifies as a client reads it from its first root.' : 'The folder does NOT verify as a client would read it:'}
          </p>
          <pre className="transcript" tabIndex={0} aria-label="Client verification of the folder">
            {result.verification.join('\n')}
          </pre>
        </div>
      )}
    </section>
  );
}

/** Two metadata files compared, as `tuf diff --old --new` (e.g. what a mirror serves against what was signed). */
export function Compare() {
  const [files, setFiles] = useState<{ old?: { name: string; text: string }; new?: { name: string; text: string } }>({});
  const [lines, setLines] = useState<string[] | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const pick = (which: 'old' | 'new') => async (f: File | undefined) => {
    if (!f) return;
    setFiles((x) => ({ ...x, [which]: { name: f.name, text: '' } }));
    const text = await f.text();
    setFiles((x) => ({ ...x, [which]: { name: f.name, text } }));
  };
  return (
    <section className="card" aria-label="Compare two metadata files">
      <h2>Compare two metadata files</h2>
      <Field label="Older file (optional)">
        <input type="file" accept=".json" onChange={(e) => void pick('old')(e.target.files?.[0])} />
      </Field>
      <Field label="Newer file">
        <input type="file" accept=".json" onChange={(e) => void pick('new')(e.target.files?.[0])} />
      </Field>
      <button
        type="button"
        disabled={!files.new?.text}
        onClick={async () => {
          setError(null);
          try {
            setLines((await call('kc:tuf.diff', { ...(files.old?.text ? { old: files.old } : {}), new: files.new! })).lines);
          } catch (e) {
            setError(toUiError(e));
          }
        }}
      >
        Compare
      </button>
      <ErrorBox error={error} />
      {lines && <DiffView lines={lines} label="Differences" />}
    </section>
  );
}

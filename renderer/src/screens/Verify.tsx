import { useState } from 'react';
import { SignatureAlgorithms, type SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { pemDecode, toBase64, utf8 } from '../../../shared/encoding/bytes';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, Fingerprint, ScreenTitle } from '../components/common';
import { FolderButton, OpenTextButton, PickButton, SaveButton } from '../components/files';
import { Confirmations } from '../components/confirmations';
import type { AppInfo, ChosenFolder, PickedFile, Request, Verdict } from '../../../shared/ipc/contract';
import type { ItemStatus, VerificationReport } from '../../../shared/verification/report';

const b64 = (s: string) => toBase64(utf8(s));

type Kind = 'bundle' | 'tuf' | 'notary' | 'cosign' | 'signature';
type Pins = NonNullable<Request<'kc:verify.bundle'>['pins']>;

/**
 * The auditor's screen: pin what you expect (the keys that must have signed, production or
 * rehearsal) BEFORE verifying, then verify a ceremony bundle (archive or folder), TUF or Notary
 * metadata (evaluation time, target lookups), cosign signatures and bundles, or a plain signature.
 * Every result is the one VerificationReport the CLI prints with --json: the verdict on top, red when
 * any item failed, failing items first; "Save the report" writes what --json prints.
 */
export function Verify({ info }: { info?: AppInfo }) {
  const [kind, setKind] = useState<Kind>('bundle');
  const [mode, setMode] = useState<Pins['mode']>(info?.mode === 'production' ? 'production' : 'any');
  const [keys, setKeys] = useState<{ name: string; text: string; fingerprint: string }[]>([]);
  const [fps, setFps] = useState('');
  const pins: Pins = {
    mode,
    keys: keys.map((k) => k.text),
    fingerprints: fps
      .split(/\n/)
      .map((l) => l.trim())
      .filter(Boolean),
  };
  return (
    <main>
      <ScreenTitle>Verify</ScreenTitle>
      <section className="card" aria-label="Pinned expectations" data-testid="pins">
        <h2>What do you expect? (pinned before verifying)</h2>
        <fieldset>
          <legend>Mode</legend>
          {(
            [
              ['production', 'Production: anything made in a rehearsal is refused'],
              ['rehearsal', 'Rehearsal: I am checking a practice run'],
              ['any', 'Do not check the mode'],
            ] as [Pins['mode'], string][]
          ).map(([m, l]) => (
            <label key={m} className="check">
              <input type="radio" name="pin-mode" checked={mode === m} onChange={() => setMode(m)} /> {l}
            </label>
          ))}
        </fieldset>
        <p>Keys that must have signed (from the ceremony record, a key file, or a fingerprint read out loud):</p>
        <ul aria-label="Pinned keys">
          {keys.map((k, i) => (
            <li key={`${k.name}-${i}`} data-testid="pinned-key">
              {k.name}{' '}
              <button type="button" onClick={() => setKeys(keys.filter((_, j) => j !== i))} aria-label={`Unpin ${k.name}`}>
                Unpin
              </button>
              <Fingerprint hex={k.fingerprint} label={`Pinned ${k.name}: compare with the ceremony record`} />
            </li>
          ))}
        </ul>
        <OpenTextButton
          purpose="public-key"
          label="Pin a key file…"
          onText={async (name, text) => {
            // read when pinned: a file that is not a key is refused here (the error shows under the button), with its name
            const { fingerprint } = await call('kc:verify.pinKey', { name, text });
            setKeys([...keys, { name, text, fingerprint }]);
          }}
        />
        <Field label="Pinned key fingerprints (SHA-256 of the public key, one per line)">
          <textarea value={fps} onChange={(e) => setFps(e.target.value)} rows={2} spellCheck={false} />
        </Field>
      </section>
      <fieldset className="card">
        <legend>What do you want to verify?</legend>
        {(
          [
            ['bundle', 'A ceremony bundle (.kcbundle.tar)'],
            ['tuf', 'TUF metadata against a trusted root'],
            ['notary', 'Notary (Docker Content Trust) metadata'],
            ['cosign', 'cosign signatures and bundles'],
            ['signature', 'A signature with a public key'],
          ] as [Kind, string][]
        ).map(([k, label]) => (
          <label key={k} className="check">
            <input type="radio" name="verify-kind" checked={kind === k} onChange={() => setKind(k)} /> {label}
          </label>
        ))}
      </fieldset>
      {kind === 'bundle' && <BundleVerify pins={pins} />}
      {kind === 'tuf' && <TufVerify pins={pins} />}
      {kind === 'notary' && <NotaryVerify pins={pins} />}
      {kind === 'cosign' && <CosignVerify pins={pins} />}
      {kind === 'signature' && <SignatureVerify />}
    </main>
  );
}

const MARK: Record<ItemStatus, string> = { pass: '✔', fail: '✘', warn: '⚠', skip: '–' };
const HEAD = { verified: '✔ Verified', partial: '◐ Partly verified', failed: '✘ NOT verified' } as const;

/** A VerificationReport: the verdict first, then every item (failures first). Decides on codes, never on text. */
function ReportView({ report, heading, save, run }: { report: VerificationReport; heading?: string; save?: { name: string; text: string }; run?: number }) {
  const failed = report.items.filter((i) => i.status === 'fail');
  const out = save ?? { name: `verification-report-${report.kind}.json`, text: JSON.stringify(report, null, 2) + '\n' };
  return (
    <section
      className="card"
      aria-label="Verdicts"
      data-testid="verdicts"
      data-ok={String(report.verdict === 'verified')}
      data-verdict={report.verdict}
      data-run={run ?? 0}
    >
      <div
        className={`verdict-banner ${report.verdict === 'verified' ? 'ok' : 'refuse'}`}
        role={report.verdict === 'failed' ? 'alert' : 'status'}
        data-testid="verdict-banner"
      >
        <h2>{HEAD[report.verdict]}</h2>
        {failed.length > 0 && (
          <p>
            {failed.length} check{failed.length === 1 ? '' : 's'} failed — listed first below.
          </p>
        )}
        {report.rehearsal && <p>REHEARSAL material: never production trust.</p>}
      </div>
      {heading && <p>{heading}</p>}
      <p>{report.summary}</p>
      <p className="hint">Evaluated at {report.evaluatedAt}.</p>
      <ul className="verdicts">
        {report.items.map((v, i) => (
          <li
            key={`${v.check}-${v.subject}-${i}`}
            className={v.status === 'fail' ? 'refuse' : v.status === 'pass' ? 'ok' : undefined}
            data-testid="verdict"
            data-ok={String(v.status !== 'fail')}
            data-status={v.status}
            data-check={v.check}
            data-item={v.subject}
            {...(v.code ? { 'data-code': v.code } : {})}
          >
            {MARK[v.status]} {v.subject}: {v.message}
            {v.code && v.status !== 'pass' ? ` [${v.code}]` : ''}
          </li>
        ))}
      </ul>
      {report.bundle?.confirmations?.length ? <Confirmations list={report.bundle.confirmations} /> : null}
      <SaveButton label="Save the report (as the CLI’s --json)" suggestedName={out.name} text={out.text} kind="other" testId="report-saved" />
    </section>
  );
}

/** One verification at a time; `runs` counts the results shown (a new result is a new run). */
function useVerify() {
  const [error, setError] = useState<UiError | null>(null);
  const [res, setRes] = useState<VerificationReport | null>(null);
  const [runs, setRuns] = useState(0);
  const run = async (fn: () => Promise<VerificationReport>) => {
    setError(null);
    setRes(null);
    try {
      setRes(await fn());
      setRuns((n) => n + 1);
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return { error, res, run, runs };
}

function BundleVerify({ pins }: { pins: Pins }) {
  const { error, res, run, runs } = useVerify();
  return (
    <>
      <section className="card">
        <Field label="Open a ceremony bundle (.kcbundle.tar)">
          <input
            type="file"
            aria-label="Open a ceremony bundle"
            accept=".tar"
            onChange={(e) => {
              const f = e.target.files?.[0];
              // cleared so that opening the same file again (after changing the pins) verifies again
              e.target.value = '';
              if (f) void run(async () => call('kc:verify.bundle', { archiveB64: toBase64(new Uint8Array(await f.arrayBuffer())), pins }));
            }}
          />
        </Field>
        <div className="actions">
          <PickButton purpose="bundle" label="Open a large archive…" onPick={(f) => run(() => call('kc:verify.bundleAt', { fileId: f.fileId, pins }))} />
          <FolderButton
            purpose="bundle-folder"
            label="Choose a bundle folder…"
            onOpen={(f) => run(() => call('kc:verify.bundleAt', { folderId: f.folderId, pins }))}
          />
        </div>
      </section>
      <ErrorBox error={error} />
      {res && (
        <ReportView
          run={runs}
          report={res}
          heading={`${res.bundle?.title ?? 'Ceremony bundle'} — ${res.rehearsal ? 'REHEARSAL bundle: not for production' : 'production bundle'}`}
        />
      )}
    </>
  );
}

/** --at and --target, shared by TUF and Notary. */
function Scope({ at, setAt, lookups, setLookups }: { at: string; setAt: (v: string) => void; lookups?: string; setLookups?: (v: string) => void }) {
  return (
    <>
      <Field label="Evaluate at (RFC 3339, blank: now)" hint="Like --at: expiries are judged at this time, e.g. 2027-01-31T00:00:00Z">
        <input value={at} onChange={(e) => setAt(e.target.value.trim())} spellCheck={false} />
      </Field>
      {setLookups && (
        <Field label="Targets to look up (one path per line)" hint="Like --target: which role vouches for each, searched as a client does">
          <textarea value={lookups} onChange={(e) => setLookups(e.target.value)} rows={2} spellCheck={false} />
        </Field>
      )}
    </>
  );
}

const lines = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

function TufVerify({ pins }: { pins: Pins }) {
  const [root, setRoot] = useState<string | null>(null);
  const [files, setFiles] = useState<Record<string, string>>({});
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [targets, setTargets] = useState<ChosenFolder | null>(null);
  const [at, setAt] = useState('');
  const [lookups, setLookups] = useState('');
  const { error, res, run, runs } = useVerify();
  const scope = { ...(at ? { at } : {}), ...(lines(lookups).length ? { lookups: lines(lookups) } : {}), pins };
  const verify = () => {
    if (root === null) return;
    void run(() =>
      folder
        ? call('kc:verify.folder', {
            folderId: folder.folderId,
            trustedRoot: root,
            dialect: 'tuf',
            ...scope,
            ...(targets ? { targetsFolderId: targets.folderId } : {}),
          })
        : call('kc:verify.tuf', { trustedRoot: root, files, ...scope }),
    );
  };
  return (
    <>
      <form
        className="card"
        aria-label="Verify TUF metadata"
        onSubmit={(e) => {
          e.preventDefault();
          verify();
        }}
      >
        <Field label="Trusted root (the root.json you already trust)">
          <input type="file" aria-label="Trusted root" accept=".json" onChange={async (e) => setRoot((await e.target.files?.[0]?.text()) ?? null)} />
        </Field>
        <Field label="Repository metadata files (root, timestamp, snapshot, targets…)">
          <input
            type="file"
            multiple
            aria-label="Repository metadata files"
            accept=".json"
            onChange={async (e) => {
              const out: Record<string, string> = {};
              for (const f of Array.from(e.target.files ?? [])) out[f.name] = await f.text();
              setFiles(out);
              setFolder(null);
            }}
          />
        </Field>
        <div className="actions">
          <FolderButton purpose="tuf-metadata" label="…or choose the metadata folder" onOpen={(f) => setFolder(f)} />
          <FolderButton purpose="export" label="Check target files in a folder (optional)…" onOpen={(f) => setTargets(f)} />
        </div>
        {folder && <p data-testid="tuf-folder">Metadata folder: {folder.display}</p>}
        {targets && <p>Target files: {targets.display}</p>}
        <Scope at={at} setAt={setAt} lookups={lookups} setLookups={setLookups} />
        <div className="actions">
          <button type="submit" disabled={root === null || (!folder && Object.keys(files).length === 0)}>
            Verify metadata
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {res && <ReportView run={runs} report={res} />}
    </>
  );
}

function NotaryVerify({ pins }: { pins: Pins }) {
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [root, setRoot] = useState<{ name: string; text: string } | null>(null);
  const [gun, setGun] = useState('');
  const [at, setAt] = useState('');
  const [requireAll, setRequireAll] = useState(false);
  const { error, res, run, runs } = useVerify();
  return (
    <>
      <section className="card" aria-label="Verify Notary metadata">
        <FolderButton purpose="notary-repository" label="Choose the Notary repository folder…" onOpen={setFolder} />
        {folder && <p>Folder: {folder.display}</p>}
        <p>{root ? `Trusted root: ${root.name}` : 'No trusted root: the first root in the folder is trusted (TOFU, reported).'}</p>
        <OpenTextButton purpose="tuf-root" label="Open the trusted root (optional)…" onText={(name, text) => setRoot({ name, text })} />
        <Field label="GUN (blank: the root certificates' CN)">
          <input value={gun} onChange={(e) => setGun(e.target.value.trim())} />
        </Field>
        <Scope at={at} setAt={setAt} />
        <label className="check">
          <input type="checkbox" checked={requireAll} onChange={(e) => setRequireAll(e.target.checked)} /> Require timestamp.json and snapshot.json (a published
          repository)
        </label>
        <div className="actions">
          <button
            type="button"
            disabled={!folder}
            onClick={() =>
              folder &&
              void run(() =>
                call('kc:verify.folder', {
                  folderId: folder.folderId,
                  dialect: 'notary',
                  ...(root ? { trustedRoot: root.text } : {}),
                  ...(gun ? { gun } : {}),
                  ...(at ? { at } : {}),
                  ...(requireAll ? { requireAll } : {}),
                  pins,
                }),
              )
            }
          >
            Verify Notary metadata
          </button>
        </div>
      </section>
      <ErrorBox error={error} />
      {res && <ReportView run={runs} report={res} />}
    </>
  );
}

function CosignVerify({ pins }: { pins: Pins }) {
  const [keys, setKeys] = useState<{ name: string; text: string }[]>([]);
  const [bundles, setBundles] = useState<{ name: string; text: string }[]>([]);
  const [artifact, setArtifact] = useState<PickedFile | null>(null);
  const [image, setImage] = useState('');
  const [threshold, setThreshold] = useState('');
  const [root, setRoot] = useState<{ name: string; text: string } | null>(null);
  const [payload, setPayload] = useState<{ name: string; text: string } | null>(null);
  const [signature, setSignature] = useState('');
  const [error, setError] = useState<UiError | null>(null);
  const [res, setRes] = useState<{ report: VerificationReport; cliJson: string } | null>(null);
  const [runs, setRuns] = useState(0);
  const m = Number(threshold);
  return (
    <>
      <section className="card" aria-label="Verify cosign signatures">
        <p>Allowed keys: {keys.length ? keys.map((k) => k.name).join(', ') : 'none yet'}</p>
        <OpenTextButton purpose="public-key" label="Add an allowed key (PEM)…" onText={(name, text) => setKeys([...keys, { name, text }])} />
        <Field label="Bundles (.sigstore.json)">
          <input
            type="file"
            multiple
            accept=".json"
            aria-label="Bundles"
            onChange={async (e) => {
              const out: { name: string; text: string }[] = [];
              for (const f of Array.from(e.target.files ?? [])) out.push({ name: f.name, text: await f.text() });
              setBundles(out);
            }}
          />
        </Field>
        <p>{artifact ? `Artifact: ${artifact.name}` : 'No artifact file (an image signature is checked over its payload).'}</p>
        <PickButton purpose="target" label="Choose the artifact (signed blob, or payload.json)…" onPick={setArtifact} />
        <Field label="Image by digest (optional: the signature must be for it)">
          <input value={image} onChange={(e) => setImage(e.target.value)} spellCheck={false} />
        </Field>
        <Field label="How many of the keys must have signed (m; blank with one key)">
          <input inputMode="numeric" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
        </Field>
        <details>
          <summary>A bare signature instead of bundles, or a Sigstore trusted root</summary>
          <p>{payload ? `Payload: ${payload.name}` : 'No payload.'}</p>
          <OpenTextButton purpose="other" label="Open the payload (payload.json)…" onText={(name, text) => setPayload({ name, text })} />
          <Field label="Signature (base64)">
            <input value={signature} onChange={(e) => setSignature(e.target.value)} spellCheck={false} />
          </Field>
          <p>{root ? `Trusted root: ${root.name}` : 'No trusted root (log entries are checked for what they say, not their SET/proofs).'}</p>
          <OpenTextButton purpose="other" label="Open a Sigstore trusted root (optional)…" onText={(name, text) => setRoot({ name, text })} />
        </details>
        <div className="actions">
          <button
            type="button"
            disabled={keys.length === 0}
            onClick={async () => {
              setError(null);
              setRes(null);
              try {
                setRes(
                  await call('kc:verify.cosign', {
                    keys: keys.map((k) => k.text),
                    bundles,
                    ...(payload ? { payload: payload.text } : {}),
                    ...(signature.trim() ? { signature: signature.trim() } : {}),
                    ...(image.trim() ? { image: image.trim() } : {}),
                    ...(artifact ? { artifactFileId: artifact.fileId } : {}),
                    ...(threshold.trim() && Number.isInteger(m) && m > 0 ? { threshold: m } : {}),
                    ...(root ? { trustedRoot: root.text } : {}),
                    pins,
                  }),
                );
                setRuns((n) => n + 1);
              } catch (e) {
                setError(toUiError(e));
              }
            }}
          >
            Verify cosign data
          </button>
        </div>
      </section>
      <ErrorBox error={error} />
      {res && <ReportView run={runs} report={res.report} save={{ name: 'cosign-verify.json', text: res.cliJson }} />}
    </>
  );
}

/** Verify a signature over a text with a public key (PEM). One verdict per item. */
function SignatureVerify() {
  const [pem, setPem] = useState('');
  const [alg, setAlg] = useState<SignatureAlgorithm>('ecdsa-p256-sha256');
  const [text, setText] = useState('');
  const [sigs, setSigs] = useState('');
  const [error, setError] = useState<UiError | null>(null);
  const [verdicts, setVerdicts] = useState<Verdict[] | null>(null);

  const verify = async () => {
    setError(null);
    setVerdicts(null);
    try {
      let spki: string;
      try {
        spki = toBase64(pemDecode(pem).der);
      } catch {
        spki = pem.replace(/\s+/g, '');
      }
      const list = sigs
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
      const out: Verdict[] = [];
      for (const [i, s] of list.entries()) {
        const r = await call('kc:verify.signature', { spkiB64: spki, algorithm: alg, dataB64: b64(text), signatureB64: s });
        out.push({ item: `signature ${i + 1}`, ok: r.valid, detail: r.valid ? 'valid for this key and text' : 'does NOT match this key and text' });
      }
      setVerdicts(out);
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <>
      <form
        className="card"
        aria-label="Verify a signature"
        onSubmit={(e) => {
          e.preventDefault();
          void verify();
        }}
      >
        <Field label="Public key (PEM or base64 SPKI)">
          <textarea value={pem} onChange={(e) => setPem(e.target.value)} aria-label="Public key" rows={4} />
        </Field>
        <Field label="Algorithm">
          <select value={alg} onChange={(e) => setAlg(e.target.value as SignatureAlgorithm)} aria-label="Algorithm">
            {SignatureAlgorithms.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </Field>
        <Field label="Signed text">
          <textarea value={text} onChange={(e) => setText(e.target.value)} aria-label="Signed text" rows={3} />
        </Field>
        <Field label="Signatures (base64, one per line)">
          <textarea value={sigs} onChange={(e) => setSigs(e.target.value)} aria-label="Signatures" rows={3} />
        </Field>
        <div className="actions">
          <button type="submit">Verify</button>
        </div>
      </form>
      <ErrorBox error={error} />
      {verdicts && (
        <ul className="verdicts" aria-label="Verdicts">
          {verdicts.map((v) => (
            <li key={v.item} className={v.ok ? 'ok' : 'refuse'} data-testid="verdict" data-ok={String(v.ok)}>
              {v.ok ? '✔' : '✘'} {v.item}: {v.detail}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

import { useState } from 'react';
import { SignatureAlgorithms, type SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { pemDecode, toBase64, utf8 } from '../../../shared/encoding/bytes';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, ScreenTitle } from '../components/common';
import type { Verdict } from '../../../shared/ipc/contract';
import type { ItemStatus, VerificationReport } from '../../../shared/verification/report';

const b64 = (s: string) => toBase64(utf8(s));

type Kind = 'bundle' | 'tuf' | 'signature';

/** Verify: a ceremony bundle, TUF metadata, or a signature. Per-item verdicts. */
export function Verify() {
  const [kind, setKind] = useState<Kind>('bundle');
  return (
    <main>
      <ScreenTitle>Verify</ScreenTitle>
      <fieldset className="card">
        <legend>What do you want to verify?</legend>
        {(
          [
            ['bundle', 'A ceremony bundle (.kcbundle.tar)'],
            ['tuf', 'TUF metadata against a trusted root'],
            ['signature', 'A signature with a public key'],
          ] as [Kind, string][]
        ).map(([k, label]) => (
          <label key={k} className="check">
            <input type="radio" name="verify-kind" checked={kind === k} onChange={() => setKind(k)} /> {label}
          </label>
        ))}
      </fieldset>
      {kind === 'bundle' && <BundleVerify />}
      {kind === 'tuf' && <TufVerify />}
      {kind === 'signature' && <SignatureVerify />}
    </main>
  );
}

const MARK: Record<ItemStatus, string> = { pass: '✔', fail: '✘', warn: '⚠', skip: '–' };
const HEAD = { verified: '✔ Verified', partial: '◐ Partly verified', failed: '✘ NOT verified' } as const;

/** A VerificationReport: the verdict, then every item (failures first). Decides on codes, never on text. */
function ReportView({ report, heading }: { report: VerificationReport; heading?: string }) {
  return (
    <section className="card" aria-label="Verdicts" data-testid="verdicts" data-ok={String(report.verdict === 'verified')} data-verdict={report.verdict}>
      <h2 className={report.verdict === 'verified' ? 'ok' : 'refuse'}>{HEAD[report.verdict]}</h2>
      {heading && <p>{heading}</p>}
      <p>{report.summary}</p>
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
          </li>
        ))}
      </ul>
    </section>
  );
}

function BundleVerify() {
  const [error, setError] = useState<UiError | null>(null);
  const [res, setRes] = useState<VerificationReport | null>(null);
  const open = async (f: File) => {
    setError(null);
    setRes(null);
    try {
      setRes(await call('kc:verify.bundle', { archiveB64: toBase64(new Uint8Array(await f.arrayBuffer())) }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <>
      <section className="card">
        <Field label="Open a ceremony bundle (.kcbundle.tar)">
          <input type="file" aria-label="Open a ceremony bundle" accept=".tar" onChange={(e) => e.target.files?.[0] && void open(e.target.files[0])} />
        </Field>
      </section>
      <ErrorBox error={error} />
      {res && <ReportView report={res} heading={`${res.bundle?.title ?? 'Ceremony bundle'} — ${res.rehearsal ? 'REHEARSAL bundle: not for production' : 'production bundle'}`} />}
    </>
  );
}

function TufVerify() {
  const [root, setRoot] = useState<string | null>(null);
  const [files, setFiles] = useState<Record<string, string>>({});
  const [error, setError] = useState<UiError | null>(null);
  const [res, setRes] = useState<VerificationReport | null>(null);
  const verify = async () => {
    if (root === null) return;
    setError(null);
    setRes(null);
    try {
      setRes(await call('kc:verify.tuf', { trustedRoot: root, files }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  return (
    <>
      <form
        className="card"
        aria-label="Verify TUF metadata"
        onSubmit={(e) => {
          e.preventDefault();
          void verify();
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
            }}
          />
        </Field>
        <div className="actions">
          <button type="submit" disabled={root === null || Object.keys(files).length === 0}>
            Verify metadata
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {res && <ReportView report={res} />}
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
      const list = sigs.split('\n').map((s) => s.trim()).filter(Boolean);
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

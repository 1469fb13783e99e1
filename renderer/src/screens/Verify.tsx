import { useState } from 'react';
import { SignatureAlgorithms, type SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { pemDecode, toBase64 } from '../../../shared/encoding/bytes';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, ScreenTitle } from '../components/common';

const b64 = (s: string) => toBase64(new TextEncoder().encode(s));

interface Verdict {
  item: string;
  ok: boolean;
  detail: string;
}

/** Verify a signature over a text with a public key (PEM). One verdict per item. */
export function Verify() {
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
    <main>
      <ScreenTitle>Verify</ScreenTitle>
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
    </main>
  );
}

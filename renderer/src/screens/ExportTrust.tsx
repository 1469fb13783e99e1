import { useState } from 'react';
import type { ChosenFolder, TrustAnchorsInfo } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Notice, ScreenTitle } from '../components/common';
import { FolderButton } from '../components/files';

/**
 * Export trust anchors (issue 15 item 2), as `keyceremony export trust`: for a TUF repository the root
 * clients start from (checked to carry its own threshold) and how tuf-js, python-tuf and go-tuf
 * bootstrap from it; for a Notary GUN the notary client's config.json with trust_pinning and the root
 * certificates. Shown first (what to compare out of band), then written into a chosen folder by main.
 */
export function ExportTrust() {
  const [source, setSource] = useState<ChosenFolder | null>(null);
  const [info, setInfo] = useState<TrustAnchorsInfo | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  const open = async (f: ChosenFolder) => {
    setError(null);
    setInfo(null);
    setSource(f);
    try {
      setInfo(await call('kc:lifecycle.trust', { folderId: f.folderId }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const write = async (out: ChosenFolder) => {
    if (!source) return;
    setError(null);
    try {
      setInfo(await call('kc:lifecycle.trust', { folderId: source.folderId, outFolderId: out.folderId }));
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <main>
      <ScreenTitle>Export trust anchors</ScreenTitle>
      <p>
        What the people who consume your releases pin, in their own tools’ formats. cosign public keys and admission policies: cosign → Follow a request →
        Export.
      </p>
      <section className="card" aria-label="Repository">
        <h2>1. The repository</h2>
        <FolderButton purpose="tuf-metadata" label="Choose a TUF metadata or Notary repository folder…" onOpen={open} />
        <ErrorBox error={error} title="Nothing was exported." />
      </section>
      {info && (
        <section className="card" aria-label="Trust anchors" data-testid="trust-anchors" data-kind={info.kind}>
          <h2>2. {info.kind === 'tuf' ? 'The TUF root clients start from' : 'Notary trust pinning'}</h2>
          <p>Compare these out of band (read them aloud, or against a second copy) before anyone trusts them:</p>
          <ul data-testid="trust-summary">
            {info.summary.map((s) => (
              <li key={s}>
                <code className="wrap">{s}</code>
              </li>
            ))}
          </ul>
          <p>Files: {info.files.map((f) => `${f.name} (${f.size} bytes)`).join(', ')}</p>
          <details>
            <summary>How clients use them (CLIENTS.md)</summary>
            <pre className="clients" data-testid="trust-clients">
              {info.clients}
            </pre>
          </details>
          <div className="actions">
            <FolderButton purpose="export" label="Write the trust anchors into a folder…" onOpen={write} />
          </div>
          {info.written && (
            <Notice testId="trust-written">
              Into “{info.written.folder}”: {info.written.written.length ? `wrote ${info.written.written.join(', ')}` : 'nothing new'}
              {info.written.unchanged.length ? `; already there, unchanged: ${info.written.unchanged.join(', ')}` : ''}.
            </Notice>
          )}
        </section>
      )}
    </main>
  );
}

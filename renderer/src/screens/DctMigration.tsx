import { useState } from 'react';
import type { ChosenFolder, MigrationInfo } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, ScreenTitle } from '../components/common';
import { FolderButton, KeyInputs, OpenTextButton, SaveButton, type KeyText } from '../components/files';

const nameOf = (k: KeyText) =>
  k.from
    .replace(/\.(pub|pem)$/i, '')
    .replace(/[^A-Za-z0-9._ -]+/g, '-')
    .slice(0, 63) || 'signer';

/**
 * Leaving Docker Content Trust (issue 15 item 3), as `keyceremony notary migrate`: the Notary
 * repository is verified first; every verified tag becomes, by digest, a cosign m-of-n request or a
 * TUF targets request (length and hashes); what was skipped is listed with the reason. The request is
 * saved, then signed like any other (Sign → Open a signing request).
 */
export function DctMigration() {
  const [notary, setNotary] = useState<ChosenFolder | null>(null);
  const [at, setAt] = useState('');
  const [gun, setGun] = useState('');
  const [root, setRoot] = useState<{ name: string; text: string } | null>(null);
  const [days, setDays] = useState('');
  const [to, setTo] = useState<'cosign' | 'tuf'>('cosign');
  const [keys, setKeys] = useState<KeyText[]>([]);
  const [names, setNames] = useState<string[]>([]);
  const [m, setM] = useState('2');
  const [tuf, setTuf] = useState<ChosenFolder | null>(null);
  const [result, setResult] = useState<MigrationInfo | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);

  const setKeyList = (k: KeyText[]) => {
    setKeys(k);
    setNames(k.map((x, i) => names[i] ?? nameOf(x)));
  };
  const ready = notary && (to === 'cosign' ? keys.length > 0 && /^\d+$/.test(m.trim()) : tuf && /^\d{0,5}$/.test(days.trim()));
  const make = async () => {
    if (!notary) return;
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      const target =
        to === 'cosign'
          ? { to: 'cosign' as const, signers: keys.map((k, i) => ({ name: (names[i] ?? nameOf(k)).trim(), publicKeyPem: k.text })), m: Number(m.trim()) }
          : { to: 'tuf' as const, tufFolderId: tuf!.folderId, ...(days.trim() ? { expiresInDays: Number(days.trim()) } : {}) };
      setResult(
        await call('kc:lifecycle.migrate', {
          folderId: notary.folderId,
          ...(at.trim() ? { at: at.trim() } : {}),
          ...(gun.trim() ? { gun: gun.trim() } : {}),
          ...(root ? { trustedRoot: root.text } : {}),
          target,
        }),
      );
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <ScreenTitle>Leave Docker Content Trust</ScreenTitle>
      <p>Every tag the Notary repository signs, carried over by digest to cosign or TUF. The repository is verified first; nothing is signed here.</p>
      <section className="card" aria-label="Notary repository">
        <h2>1. The Notary repository</h2>
        <FolderButton purpose="notary-repository" label="Choose the Notary repository folder…" onOpen={(f) => setNotary(f)} />
        {notary && <p>Repository folder: {notary.display}</p>}
        <Field label="Verify at (UTC, blank: now)" hint="2027-01-31T00:00:00Z">
          <input value={at} onChange={(e) => setAt(e.target.value)} placeholder="now" aria-label="Verify at" />
        </Field>
        <TrustOptions gun={gun} setGun={setGun} root={root} setRoot={setRoot} />
      </section>
      <section className="card" aria-label="Migrate to">
        <h2>2. Migrate to</h2>
        <fieldset>
          <legend>Where the signatures go</legend>
          <label className="check">
            <input type="radio" name="to" checked={to === 'cosign'} onChange={() => setTo('cosign')} /> cosign: an m-of-n signing request for every image digest
          </label>
          <label className="check">
            <input type="radio" name="to" checked={to === 'tuf'} onChange={() => setTo('tuf')} /> TUF: a targets request with each tag’s length and hashes
          </label>
        </fieldset>
        {to === 'cosign' ? (
          <>
            <KeyInputs keys={keys} onChange={setKeyList} label="Signers’ public keys" />
            {keys.map((k, i) => (
              <Field key={`${k.from}-${i}`} label={`Name of the signer holding ${k.from}`}>
                <input value={names[i] ?? ''} onChange={(e) => setNames(names.map((n, j) => (j === i ? e.target.value : n)))} />
              </Field>
            ))}
            <Field label="Signatures needed (m)">
              <input value={m} onChange={(e) => setM(e.target.value)} inputMode="numeric" />
            </Field>
          </>
        ) : (
          <>
            <FolderButton purpose="tuf-metadata" label="Choose the TUF metadata folder…" onOpen={(f) => setTuf(f)} />
            {tuf && <p>TUF repository: {tuf.display}</p>}
            <Field label="Targets expire in (days; blank: keep the targets expiry)">
              <input value={days} onChange={(e) => setDays(e.target.value)} inputMode="numeric" />
            </Field>
          </>
        )}
        <div className="actions">
          <button type="button" disabled={!ready || busy} onClick={() => void make()}>
            Verify and make the migration request
          </button>
        </div>
        <ErrorBox error={error} title="No request was made." />
      </section>
      {result && (
        <section className="card" aria-label="Migration" data-testid="migration" data-migrated={result.migrated.length} data-skipped={result.skipped.length}>
          <h2>3. {result.gun}</h2>
          <p className="ok">{result.verification}</p>
          <MigratedTable tags={result.migrated} />
          {result.skipped.length > 0 && (
            <ul aria-label="Skipped tags">
              {result.skipped.map((s) => (
                <li key={`${s.role}/${s.tag}`} className="warn" data-testid="skipped-tag">
                  Skipped {s.tag} ({s.role}): {s.reason}
                </li>
              ))}
            </ul>
          )}
          {result.request.warnings.map((w) => (
            <p key={w} className="warn">
              {w}
            </p>
          ))}
          <p>{result.request.line}.</p>
          <SaveButton
            label={`Save ${result.request.suggestedName}`}
            suggestedName={result.request.suggestedName}
            text={result.request.text}
            kind="request"
            done={(n) => `Saved ${n}. Each signer opens it in Sign → Open a signing request.`}
          />
        </section>
      )}
    </main>
  );
}

function MigratedTable({ tags }: { tags: MigrationInfo['migrated'] }) {
  return (
    <table className="signers" aria-label="Migrated tags">
      <thead>
        <tr>
          <th scope="col">Tag</th>
          <th scope="col">Notary role</th>
          <th scope="col">Digest</th>
          <th scope="col">Bytes</th>
        </tr>
      </thead>
      <tbody>
        {tags.map((t) => (
          <tr key={`${t.role}/${t.tag}`} data-testid="migrated-tag">
            <td>{t.tag}</td>
            <td>{t.role}</td>
            <td>
              <code className="wrap">{t.digest}</code>
            </td>
            <td>{t.length}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `notary migrate --gun` and `--trusted-root` on screen (blank: the certificates' CN; the folder's own root, TOFU). */
function TrustOptions({
  gun,
  setGun,
  root,
  setRoot,
}: {
  gun: string;
  setGun: (g: string) => void;
  root: { name: string; text: string } | null;
  setRoot: (r: { name: string; text: string } | null) => void;
}) {
  return (
    <>
      <Field label="GUN (blank: the root certificates' CN)">
        <input value={gun} onChange={(e) => setGun(e.target.value)} />
      </Field>
      <p data-testid="migrate-trusted-root">{root ? `Trusted root: ${root.name}` : 'No trusted root: the root in the folder is trusted (TOFU, reported).'}</p>
      <div className="actions">
        <OpenTextButton purpose="tuf-root" label="Open the trusted root (optional)…" onText={(name, text) => setRoot({ name, text })} />
        {root && (
          <button type="button" onClick={() => setRoot(null)}>
            Forget the trusted root
          </button>
        )}
      </div>
    </>
  );
}

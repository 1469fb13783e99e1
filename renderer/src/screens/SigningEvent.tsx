/**
 * A tuf-on-ci signing event (Sigstore's root-signing and every tuf-on-ci repository): the custodian
 * opens the repository's metadata folder (their git checkout of the signing-event branch), sees every
 * role's status by keyholder handle — who signed, who is invited (a placeholder waits for them), who
 * is still needed — reads what changed, and signs one role IN PLACE on their token: only their
 * signature's bytes change in the file (tuf-on-ci's layout is kept), so the git diff they push is
 * their signature alone. The CLI equivalent: `keyceremony tuf status|sign --metadata DIR`.
 */
import { useState } from 'react';
import type { ChosenFolder, TufEventRole, TufEventView } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Notice, ScreenTitle } from '../components/common';
import { FolderButton } from '../components/files';
import { DiffView, KeyPicker, StatusLine, WhoSigns } from '../components/signing';

export function SigningEvent() {
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [view, setView] = useState<TufEventView | null>(null);
  const [role, setRole] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  const open = async (f: ChosenFolder) => {
    setError(null);
    setDone(null);
    setRole(null);
    setView(null);
    setFolder(f);
    try {
      setView(await call('kc:tuf.event.open', { folderId: f.folderId }));
    } catch (e) {
      setError(toUiError(e));
    }
  };
  const chosen = view?.roles.find((r) => r.role === role);

  return (
    <main>
      <ScreenTitle>Signing event</ScreenTitle>
      <p className="instruction">
        Sign a TUF repository’s metadata where it lies, as tuf-on-ci signing events (Sigstore’s root-signing among them) expect: open the metadata folder of
        your checkout of the signing-event branch, check who has signed, read what changes, and add your signature with your token. Only your signature’s bytes
        change in the file; commit and push it as the event asks.
      </p>
      <section className="card" aria-label="Repository folder">
        <FolderButton purpose="tuf-metadata" label="Open the metadata folder…" onOpen={open} />
        {folder && <p className="hint">Folder: {folder.display}</p>}
        <ErrorBox error={error} />
      </section>
      {view && (
        <section aria-label="Status by keyholder" data-testid="event" data-ok={String(view.ok)} data-layout={view.layout}>
          <h2>Status by keyholder</h2>
          <StatusLine complete={view.ok} testId="event-summary">
            {view.ok
              ? `Every role verifies (at ${view.evaluatedAt}).`
              : `Not complete: ${view.roles
                  .filter((r) => !r.ok)
                  .map((r) => `${r.role} v${r.version}`)
                  .join(', ')} (at ${view.evaluatedAt}).`}
          </StatusLine>
          {Object.entries(view.invites).map(([who, roles]) => (
            <Notice key={who}>
              {who} is invited to join {roles.join(', ')} and has no key in the metadata yet (tuf-on-ci adds it when they accept).
            </Notice>
          ))}
          {view.roles.map((r) => (
            <RoleCard key={r.role} r={r} onSign={() => (setRole(r.role), setDone(null))} selected={role === r.role} />
          ))}
        </section>
      )}
      {view && folder && chosen && (
        <section className="card" aria-label={`Sign ${chosen.role} v${chosen.version}`} data-testid="sign-role" data-role={chosen.role}>
          <h2>
            Sign {chosen.role} v{chosen.version}
          </h2>
          <DiffView lines={chosen.diff} />
          <KeyPicker
            who={`keyholder of ${chosen.role}`}
            action={`Sign ${chosen.role} v${chosen.version} in place`}
            reloadKey={`${folder.folderId}:${chosen.role}:${chosen.version}:${chosen.rules.map((x) => x.valid).join(',')}`}
            load={(token) => call('kc:tuf.event.candidates', { folderId: folder.folderId, role: chosen.role, token })}
            sign={async (token, key, pin) => {
              const r = await call('kc:tuf.event.sign', { folderId: folder.folderId, role: chosen.role, token, key: { idHex: key.idHex }, pin });
              setView(r.view);
              const who = r.owners.length ? r.owners.join(', ') : `key ${key.fingerprint.slice(0, 16)}`;
              setDone(
                r.already
                  ? `${chosen.role} v${r.version} was signed by this key (${who}) already; nothing was written.`
                  : `Signed ${chosen.role} v${r.version} in place as ${who}: ${r.written.join(' and ')} changed by your signature only.`,
              );
            }}
          />
          {done && (
            <StatusLine complete testId="signed-now">
              {done}
            </StatusLine>
          )}
        </section>
      )}
    </main>
  );
}

function RoleCard({ r, onSign, selected }: { r: TufEventRole; onSign: () => void; selected: boolean }) {
  return (
    <article
      className="card"
      aria-label={`${r.role} v${r.version}`}
      data-testid="event-role"
      data-role={r.role}
      data-version={r.version}
      data-ok={String(r.ok)}
    >
      <h3>
        {r.ok ? '✔ ' : ''}
        {r.role} v{r.version}
      </h3>
      <p className="hint">
        Expires {r.expires}
        {r.expired ? ' — EXPIRED' : ''}
        {r.renewal ? `; renewal window opens ${r.renewal.at} (signing period ${r.renewal.days} days)` : ''}. Files: {r.files.join(', ')}.
        {r.tufOnCiLayout ? ' Written in tuf-on-ci’s layout.' : ''}
      </p>
      {r.notes.map((n) => (
        <p key={n} className="pending" data-testid="role-note">
          {n}
        </p>
      ))}
      <WhoSigns rules={r.rules} label={`Who signs ${r.role} v${r.version}`} />
      {r.rules.length > 0 && (
        <div className="actions">
          <button type="button" onClick={onSign} aria-pressed={selected}>
            Sign {r.role} v{r.version}…
          </button>
        </div>
      )}
    </article>
  );
}

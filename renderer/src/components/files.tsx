/**
 * Choosing files and folders through main's open dialog: the screen gets a handle and a name, never
 * a path. Key files are read as text for the request that lists them.
 */
import { useState } from 'react';
import type { ChosenFolder, FilePurpose, FolderPurpose, KeyInfo, PickedFile, Request } from '../../../shared/ipc/contract';
import { fromBase64, pemEncode } from '../../../shared/encoding/bytes';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Notice } from './common';
import { useTokensPresent } from './signing';

/** A button whose async action may fail: the failure is shown under it, nothing else changes. */
export function ActionButton({ label, run, disabled, errorTitle }: { label: string; run: () => Promise<void>; disabled?: boolean; errorTitle?: string }) {
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        disabled={disabled || busy}
        onClick={async () => {
          setError(null);
          setBusy(true);
          try {
            await run();
          } catch (e) {
            setError(toUiError(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {label}
      </button>
      <ErrorBox error={error} {...(errorTitle ? { title: errorTitle } : {})} />
    </>
  );
}

export function FolderButton({ purpose, label, onOpen }: { purpose: FolderPurpose; label: string; onOpen: (f: ChosenFolder) => void | Promise<void> }) {
  return (
    <ActionButton
      label={label}
      run={async () => {
        const r = await call('kc:files.chooseFolder', { purpose });
        if (r) await onOpen(r);
      }}
    />
  );
}

/** Choose a file for main to read (a release file): the screen gets an id, a name and a size. */
export function PickButton({ purpose, label, onPick }: { purpose: FilePurpose; label: string; onPick: (f: PickedFile) => void | Promise<void> }) {
  return (
    <ActionButton
      label={label}
      run={async () => {
        const r = await call('kc:files.pick', { purpose });
        if (r) await onPick(r);
      }}
    />
  );
}

/** Open a text file (a key, a list, a predicate) in main's dialog and hand over its text. */
export function OpenTextButton({
  purpose,
  label,
  onText,
}: {
  purpose: FilePurpose;
  label: string;
  onText: (name: string, text: string) => void | Promise<void>;
}) {
  return (
    <ActionButton
      label={label}
      run={async () => {
        const r = await call('kc:files.open', { purpose, encoding: 'text' });
        if (r) await onText(r.name, r.text);
      }}
    />
  );
}

type SaveKind = Request<'kc:files.save'>['kind'];

/** Save a text main writes where the person says (save dialog), then say where it went. */
export function SaveButton({
  label,
  suggestedName,
  text,
  kind,
  done,
  testId = 'saved',
}: {
  label: string;
  suggestedName: string;
  text: string;
  kind: SaveKind;
  done?: (name: string) => string;
  testId?: string;
}) {
  const [saved, setSaved] = useState<string | null>(null);
  return (
    <>
      <ActionButton
        label={label}
        run={async () => {
          const r = await call('kc:files.save', { suggestedName, text, kind });
          if (r.saved) setSaved(r.name);
        }}
      />
      {saved && <Notice testId={testId}>{done ? done(saved) : `Saved ${saved}.`}</Notice>}
    </>
  );
}

/** A public key someone brings: from a key file, or read from a token in the reader (no PIN). */
export interface KeyText {
  /** Where it came from, for the list shown ("alice.pub", "token “alice” key “targets”"). */
  from: string;
  text: string;
  fingerprint?: string;
}

export function spkiPem(k: KeyInfo): string {
  return pemEncode('PUBLIC KEY', fromBase64(k.spkiB64));
}

/** Add public keys from files or from the token in the reader. */
export function KeyInputs({ keys, onChange, label }: { keys: KeyText[]; onChange: (k: KeyText[]) => void; label: string }) {
  const [error, setError] = useState<UiError | null>(null);
  const [fromToken, setFromToken] = useState<{ token: string; keys: KeyInfo[] } | null>(null);
  const { tokens } = useTokensPresent(1500);
  return (
    <fieldset className="key-inputs">
      <legend>{label}</legend>
      <ul aria-label={label} data-testid="key-list">
        {keys.map((k, i) => (
          <li key={`${k.from}-${i}`}>
            {k.from}
            {k.fingerprint && (
              <>
                {' '}
                — fingerprint <code>{k.fingerprint.slice(0, 16)}…</code>
              </>
            )}{' '}
            <button type="button" onClick={() => onChange(keys.filter((_, j) => j !== i))} aria-label={`Remove ${k.from}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <div className="actions">
        <OpenTextButton purpose="public-key" label="Add a key file…" onText={(name, text) => onChange([...keys, { from: name, text }])} />
        {tokens?.map((t) => (
          <button
            key={t.serial}
            type="button"
            onClick={async () => {
              setError(null);
              try {
                setFromToken({ token: t.label, keys: await call('kc:keys.listPublic', { token: { serial: t.serial } }) });
              } catch (e) {
                setError(toUiError(e));
              }
            }}
          >
            Add a key from token “{t.label}”…
          </button>
        ))}
      </div>
      {fromToken && (
        <ul aria-label={`Keys on token ${fromToken.token}`}>
          {fromToken.keys.length === 0 && <li>No public key objects on this token.</li>}
          {fromToken.keys.map((k) => (
            <li key={k.idHex}>
              <button
                type="button"
                onClick={() => {
                  onChange([...keys, { from: `token “${fromToken.token}” key “${k.label}”`, text: spkiPem(k), fingerprint: k.fingerprint }]);
                  setFromToken(null);
                }}
              >
                Use “{k.label}” ({k.keyType}, {k.fingerprint.slice(0, 16)}…)
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={error} />
    </fieldset>
  );
}

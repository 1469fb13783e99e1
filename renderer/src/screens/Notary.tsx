import { useState } from 'react';
import type { CandidateList, ChosenFolder, NotaryRepoView, PickedFile } from '../../../shared/ipc/contract';
import { call, toUiError, UiError } from '../api';
import { ErrorBox, Field, Notice, ScreenTitle } from '../components/common';
import { FolderButton, KeyInputs, OpenTextButton, PickButton, SaveButton, type KeyText } from '../components/files';
import { DiffView, KeyPicker, StatusLine, WhoSigns } from '../components/signing';

type Part = 'sign' | 'targets' | 'signer' | 'delegation' | 'rotate' | 'merge' | 'names';

/**
 * Notary v1 / Docker Content Trust in the app, over the same core as `keyceremony notary`: a repository
 * folder, per role who signed and who is still needed (by name and key), the change before signing,
 * and every offline operation (init, root certificate, targets, signer, delegations, rotate, sign, merge).
 * Publishing to a notary-server is the CLI's (`keyceremony notary publish`): the app has no network.
 */
export function Notary() {
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [view, setView] = useState<NotaryRepoView | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [part, setPart] = useState<Part>('sign');

  const open = async (f: ChosenFolder) => {
    setError(null);
    try {
      setFolder(f);
      setView(await call('kc:notary.open', { folderId: f.folderId }));
    } catch (e) {
      setView(null);
      setError(toUiError(e));
    }
  };

  return (
    <main>
      <ScreenTitle>Notary (Docker Content Trust)</ScreenTitle>
      <section className="card" aria-label="Repository">
        <h2>The repository folder</h2>
        <FolderButton purpose="notary-repository" label="Choose the repository folder…" onOpen={open} />
        <ErrorBox error={error} />
        {view && !view.empty && (
          <div data-testid="notary-repo">
            <p>
              GUN <strong>{view.gun ?? '(no root certificate CN)'}</strong> in folder {view.folder}.
            </p>
            {view.roles.map((r) => (
              <article
                key={r.role}
                className="card"
                aria-label={`Role ${r.role}`}
                data-testid="notary-role"
                data-role={r.role}
                data-complete={String(r.complete)}
              >
                <h3>
                  {r.role} v{r.version}
                </h3>
                <StatusLine complete={r.complete} testId="notary-status">
                  {r.status}
                </StatusLine>
                <WhoSigns rules={r.rules} label={`Who signs ${r.role}`} />
              </article>
            ))}
          </div>
        )}
        {view?.empty && <p data-testid="notary-empty">This folder holds no repository yet: make one below.</p>}
      </section>
      {folder && view?.empty && <Init folder={folder} onDone={setView} />}
      {folder && view && !view.empty && (
        <>
          <fieldset className="card">
            <legend>What do you want to do?</legend>
            {(
              [
                ['sign', 'Sign a role with my token'],
                ['targets', 'Add or remove targets (a release), or renew their expiry'],
                ['signer', 'Add a signer (as docker trust signer add)'],
                ['delegation', 'Change a delegation: its keys and paths (as notary delegation add|remove)'],
                ['rotate', 'Rotate root keys or an online key (root v+1)'],
                ['merge', 'Merge signatures made on another copy of this folder'],
                ['names', 'Name the key holders'],
              ] as [Part, string][]
            ).map(([k, l]) => (
              <label key={k} className="check">
                <input type="radio" name="notary-part" checked={part === k} onChange={() => setPart(k)} /> {l}
              </label>
            ))}
          </fieldset>
          {part === 'sign' && <SignRole folder={folder} view={view} onDone={setView} />}
          {part === 'targets' && <Targets folder={folder} view={view} onDone={setView} />}
          {part === 'signer' && <Signer folder={folder} onDone={setView} />}
          {part === 'delegation' && <Delegation folder={folder} view={view} onDone={setView} />}
          {part === 'rotate' && <Rotate folder={folder} onDone={setView} />}
          {part === 'merge' && <Merge folder={folder} onDone={setView} />}
          {part === 'names' && <Names folder={folder} view={view} onDone={setView} />}
        </>
      )}
      <MakeCert />
    </main>
  );
}

function useRun() {
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

function num(v: string): number | undefined {
  const n = Number(v);
  return v.trim() !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
}

function TargetFiles({ files, setFiles }: { files: { file: PickedFile; name: string }[]; setFiles: (f: { file: PickedFile; name: string }[]) => void }) {
  return (
    <>
      <ul className="plain" aria-label="Target files">
        {files.map((f, i) => (
          <li key={f.file.fileId}>
            <Field label={`Target name for ${f.file.name} (${f.file.size} bytes)`}>
              <input value={f.name} onChange={(e) => setFiles(files.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
            </Field>
          </li>
        ))}
      </ul>
      <PickButton purpose="target" label="Add a target file…" onPick={(f) => setFiles([...files, { file: f, name: f.name }])} />
    </>
  );
}

function Init({ folder, onDone }: { folder: ChosenFolder; onDone: (v: NotaryRepoView) => void }) {
  const [gun, setGun] = useState('');
  const [certs, setCerts] = useState<{ name: string; text: string }[]>([]);
  const [threshold, setThreshold] = useState('1');
  const [keys, setKeys] = useState<Record<'targets' | 'snapshot' | 'timestamp', { name: string; text: string } | null>>({
    targets: null,
    snapshot: null,
    timestamp: null,
  });
  const [serverSnapshot, setServerSnapshot] = useState(false);
  const [files, setFiles] = useState<{ file: PickedFile; name: string }[]>([]);
  const { error, busy, run } = useRun();
  return (
    <section className="card" aria-label="New repository">
      <h2>New repository (notary init)</h2>
      <Field label="GUN (the repository name clients use, e.g. registry.example.com/team/app)">
        <input value={gun} onChange={(e) => setGun(e.target.value)} />
      </Field>
      <p>Root certificates (CN = the GUN), one per custodian; make them below with “Make a root certificate”.</p>
      <ul aria-label="Root certificates">
        {certs.map((c, i) => (
          <li key={`${c.name}-${i}`}>{c.name}</li>
        ))}
      </ul>
      <OpenTextButton purpose="certificate" label="Add a root certificate…" onText={(name, text) => setCerts([...certs, { name, text }])} />
      <Field label="Root threshold">
        <input inputMode="numeric" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
      </Field>
      {(['targets', 'snapshot', 'timestamp'] as const).map((r) => (
        <p key={r}>
          {r} key: {keys[r]?.name ?? 'not chosen'}{' '}
          <OpenTextButton purpose="public-key" label={`Choose the ${r} key file…`} onText={(name, text) => setKeys({ ...keys, [r]: { name, text } })} />
        </p>
      ))}
      <label className="check">
        <input type="checkbox" checked={serverSnapshot} onChange={(e) => setServerSnapshot(e.target.checked)} /> The snapshot key is the server’s (the server
        signs snapshots)
      </label>
      <TargetFiles files={files} setFiles={setFiles} />
      <div className="actions">
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            run(async () => {
              if (!keys.targets || !keys.snapshot || !keys.timestamp)
                throw new UiError({ code: 'INVALID_INPUT', message: 'Choose the targets, snapshot and timestamp key files.', where: 'keys' });
              onDone(
                await call('kc:notary.init', {
                  folderId: folder.folderId,
                  gun: gun.trim(),
                  rootCerts: certs.map((c) => c.text),
                  rootThreshold: Number(threshold),
                  targetsKey: keys.targets.text,
                  ...(serverSnapshot ? { serverSnapshotKey: keys.snapshot.text } : { snapshotKey: keys.snapshot.text }),
                  timestampKey: keys.timestamp.text,
                  targets: files.map((f) => ({ name: f.name.trim(), fileId: f.file.fileId })),
                }),
              );
            })
          }
        >
          Make the repository
        </button>
      </div>
      <ErrorBox error={error} title="No repository was made." />
    </section>
  );
}

function SignRole({ folder, view, onDone }: { folder: ChosenFolder; view: NotaryRepoView; onDone: (v: NotaryRepoView) => void }) {
  const roles = [...view.roles.map((r) => r.role), ...(view.roles.some((r) => r.role === 'snapshot') ? [] : ['snapshot'])];
  const [role, setRole] = useState(roles.find((r) => !view.roles.find((x) => x.role === r)?.complete) ?? 'root');
  const [signed, setSigned] = useState<string | null>(null);
  const rv = view.roles.find((r) => r.role === role);
  return (
    <section className="card" aria-label="Sign a role">
      <h2>Sign a role</h2>
      <Field label="Role to sign">
        <select value={role} onChange={(e) => (setRole(e.target.value), setSigned(null))}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </Field>
      {rv && <StatusLine complete={rv.complete}>{rv.status}</StatusLine>}
      {rv && <WhoSigns rules={rv.rules} label={`Who signs ${role} (this version)`} />}
      {rv && <DiffView lines={rv.diff} label={`What you sign: ${role} against its previous version`} />}
      {signed && <Notice testId="notary-signed">{signed}</Notice>}
      <KeyPicker
        reloadKey={folder.folderId + role + (rv?.version ?? 0) + (rv?.rules.map((r) => r.valid).join() ?? '')}
        who={`${role} signer`}
        action={`Sign ${role}`}
        load={(token) => call('kc:notary.candidates', { folderId: folder.folderId, role, token })}
        sign={async (token, key, pin) => {
          const r = await call('kc:notary.sign', { folderId: folder.folderId, role, token, key: { idHex: key.idHex }, pin });
          setSigned(`Signed ${role} with ${key.name ?? key.label}: ${r.status}`);
          onDone(r.view);
        }}
      />
    </section>
  );
}

function Targets({ folder, view, onDone }: { folder: ChosenFolder; view: NotaryRepoView; onDone: (v: NotaryRepoView) => void }) {
  const [role, setRole] = useState('targets');
  const [files, setFiles] = useState<{ file: PickedFile; name: string }[]>([]);
  const [remove, setRemove] = useState('');
  const [days, setDays] = useState('');
  const { error, busy, run } = useRun();
  const [done, setDone] = useState<string | null>(null);
  return (
    <section className="card" aria-label="Targets">
      <h2>Targets</h2>
      <Field label="Role">
        <select value={role} onChange={(e) => setRole(e.target.value)}>
          {['targets', ...view.delegations].map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </Field>
      <TargetFiles files={files} setFiles={setFiles} />
      <Field label="Target names to remove (one per line)">
        <textarea value={remove} onChange={(e) => setRemove(e.target.value)} rows={2} />
      </Field>
      <Field label="Expires in (days; blank: 3 years)">
        <input inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
      </Field>
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          run(async () => {
            const d = num(days);
            const v = await call('kc:notary.targets', {
              folderId: folder.folderId,
              role,
              add: files.map((f) => ({ name: f.name.trim(), fileId: f.file.fileId })),
              remove: remove
                .split('\n')
                .map((l) => l.trim())
                .filter(Boolean),
              ...(d ? { days: d } : {}),
            });
            onDone(v);
            setFiles([]);
            setDone(`${role} changed: it now needs signatures (Sign a role).`);
          })
        }
      >
        Change {role}
      </button>
      {done && <Notice testId="notary-changed">{done}</Notice>}
      <ErrorBox error={error} title="Nothing was changed." />
    </section>
  );
}

function Signer({ folder, onDone }: { folder: ChosenFolder; onDone: (v: NotaryRepoView) => void }) {
  const [name, setName] = useState('');
  const [keys, setKeys] = useState<KeyText[]>([]);
  const { error, busy, run } = useRun();
  return (
    <section className="card" aria-label="Add a signer">
      <h2>Add a signer</h2>
      <p className="hint">targets/NAME and targets/releases get the signer’s keys, paths [""] (everything), threshold 1 — as docker trust signer add does.</p>
      <Field label="Signer name">
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <KeyInputs keys={keys} onChange={setKeys} label="The signer's keys (public key or certificate)" />
      <button
        type="button"
        disabled={busy}
        onClick={() => run(async () => onDone(await call('kc:notary.signer', { folderId: folder.folderId, name: name.trim(), keys: keys.map((k) => k.text) })))}
      >
        Add the signer
      </button>
      <ErrorBox error={error} title="Nothing was changed." />
    </section>
  );
}

/**
 * `keyceremony notary delegation add|remove` (the same core call): keys and path prefixes added to
 * or removed from targets/NAME; the delegating targets file is staged, then signed under "Sign a role".
 */
function Delegation({ folder, view, onDone }: { folder: ChosenFolder; view: NotaryRepoView; onDone: (v: NotaryRepoView) => void }) {
  const [op, setOp] = useState<'add' | 'remove'>('add');
  const [role, setRole] = useState('targets/');
  const [keys, setKeys] = useState<KeyText[]>([]);
  const [paths, setPaths] = useState<string[]>([]);
  const [allPaths, setAllPaths] = useState(false);
  const [keyIds, setKeyIds] = useState<string[]>([]);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const { error, busy, run } = useRun();
  const rule = view.delegationRules.find((d) => d.role === role.trim());
  const whole = op === 'remove' && !keyIds.length && !paths.length && !allPaths;
  const reset = () => (setPaths([]), setKeyIds([]), setAllPaths(false), setConfirming(false), setDone(null));
  const holder = (id: string) => view.names[id] ?? view.keys.find((k) => k.keyid === id)?.fingerprint.slice(0, 16);
  const send = (confirmWhole: boolean) =>
    run(async () => {
      const r = await call('kc:notary.delegation', {
        folderId: folder.folderId,
        op,
        role: role.trim(),
        keys: op === 'add' ? keys.map((k) => k.text) : [],
        keyIds: op === 'remove' ? keyIds : [],
        paths: paths.filter((p) => p.trim() !== ''),
        allPaths,
        ...(confirmWhole ? { confirmWhole } : {}),
      });
      onDone(r.view);
      setKeys([]);
      reset();
      setDone(`${r.summary}. It now needs signatures (Sign a role).`);
    });
  return (
    <section className="card" aria-label="Delegations">
      <h2>Delegations</h2>
      <table aria-label="Delegations in this repository">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Listed in</th>
            <th scope="col">Threshold</th>
            <th scope="col">Keys</th>
            <th scope="col">Paths</th>
          </tr>
        </thead>
        <tbody>
          {view.delegationRules.map((d) => (
            <tr key={d.role} data-testid="delegation-row" data-role={d.role}>
              <td>{d.role}</td>
              <td>{d.parent}</td>
              <td>{d.threshold}</td>
              <td>{d.keyids.map((id) => `${id.slice(0, 12)}${view.names[id] ? ` (${view.names[id]})` : ''}`).join(', ')}</td>
              <td>{d.paths.map((p) => (p === '' ? 'every path' : p)).join(', ') || 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <fieldset>
        <legend>Change</legend>
        {(
          [
            ['add', 'Add keys or paths (a new role is made)'],
            ['remove', 'Remove keys or paths, or the whole delegation'],
          ] as const
        ).map(([k, l]) => (
          <label key={k} className="check">
            <input type="radio" name="notary-delegation-op" checked={op === k} onChange={() => (setOp(k), reset())} /> {l}
          </label>
        ))}
      </fieldset>
      <Field label="Delegated role (targets/NAME)">
        <input value={role} list="notary-delegation-roles" onChange={(e) => (setRole(e.target.value), reset())} />
      </Field>
      <datalist id="notary-delegation-roles">
        {view.delegationRules.map((d) => (
          <option key={d.role} value={d.role} />
        ))}
      </datalist>
      {op === 'add' && <KeyInputs keys={keys} onChange={setKeys} label="Keys to add (public key or certificate)" />}
      {op === 'remove' && rule && (
        <fieldset>
          <legend>Keys to remove</legend>
          {rule.keyids.map((id) => (
            <label key={id} className="check">
              <input
                type="checkbox"
                checked={keyIds.includes(id)}
                onChange={(e) => (setKeyIds(e.target.checked ? [...keyIds, id] : keyIds.filter((x) => x !== id)), setConfirming(false))}
              />{' '}
              Key {id.slice(0, 12)} ({holder(id)})
            </label>
          ))}
        </fieldset>
      )}
      <fieldset>
        <legend>{op === 'add' ? 'Path prefixes to add' : 'Path prefixes to remove'}</legend>
        <ul className="plain" aria-label={op === 'add' ? 'Path prefixes to add' : 'Path prefixes to remove'}>
          {paths.map((p, i) => (
            <li key={i}>
              <Field label={`Path prefix ${i + 1}`}>
                <input value={p} onChange={(e) => setPaths(paths.map((x, j) => (j === i ? e.target.value : x)))} />
              </Field>
              <button type="button" onClick={() => setPaths(paths.filter((_, j) => j !== i))} aria-label={`Remove path prefix ${i + 1}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => (setPaths([...paths, '']), setConfirming(false))}>
          Add a path prefix
        </button>
        <label className="check">
          <input type="checkbox" checked={allPaths} onChange={(e) => (setAllPaths(e.target.checked), setConfirming(false))} />{' '}
          {op === 'add' ? 'All paths (the role may sign every target, path "")' : 'Every path (remove them all, keep the keys)'}
        </label>
      </fieldset>
      {!whole && (
        <button type="button" disabled={busy} onClick={() => send(false)}>
          {op === 'add' ? `Add to ${role.trim()}` : `Remove from ${role.trim()}`}
        </button>
      )}
      {whole && !confirming && (
        <button type="button" disabled={busy} onClick={() => setConfirming(true)}>
          Remove the whole delegation {role.trim()}…
        </button>
      )}
      {whole && confirming && (
        <div role="alertdialog" aria-label="Confirm removing the delegation" className="notice">
          <p>
            This removes {role.trim()} with its keys and paths{rule ? ` (${rule.keyids.length} keys, ${rule.paths.length} paths)` : ''}; its signed targets are
            no longer trusted.
          </p>
          <div className="actions">
            <button type="button" disabled={busy} onClick={() => send(true)}>
              Yes, remove {role.trim()}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </div>
      )}
      {done && <Notice testId="notary-delegation-done">{done}</Notice>}
      <ErrorBox error={error} title="Nothing was changed." />
    </section>
  );
}

function Rotate({ folder, onDone }: { folder: ChosenFolder; onDone: (v: NotaryRepoView) => void }) {
  const [certs, setCerts] = useState<{ name: string; text: string }[]>([]);
  const [threshold, setThreshold] = useState('');
  const [rootDays, setRootDays] = useState('');
  const [online, setOnline] = useState<Record<'targets' | 'snapshot' | 'timestamp', { name: string; text: string } | null>>({
    targets: null,
    snapshot: null,
    timestamp: null,
  });
  const { error, busy, run } = useRun();
  return (
    <section className="card" aria-label="Rotate">
      <h2>Rotate (root v+1)</h2>
      <p className="hint">The new root needs a threshold of the OLD root keys and of the NEW ones. Leave everything blank for an expiry renewal.</p>
      <ul aria-label="New root certificates">
        {certs.map((c, i) => (
          <li key={`${c.name}-${i}`}>{c.name}</li>
        ))}
      </ul>
      <OpenTextButton purpose="certificate" label="Add a new root certificate…" onText={(name, text) => setCerts([...certs, { name, text }])} />
      <Field label="New root threshold (blank: unchanged)">
        <input inputMode="numeric" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
      </Field>
      <Field label="Root expires in (days; blank: 10 years)">
        <input inputMode="numeric" value={rootDays} onChange={(e) => setRootDays(e.target.value)} />
      </Field>
      {(['targets', 'snapshot', 'timestamp'] as const).map((r) => (
        <p key={r}>
          New {r} key: {online[r]?.name ?? 'unchanged'}{' '}
          <OpenTextButton purpose="public-key" label={`Replace the ${r} key…`} onText={(name, text) => setOnline({ ...online, [r]: { name, text } })} />
        </p>
      ))}
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          run(async () => {
            const t = num(threshold);
            const d = num(rootDays);
            onDone(
              await call('kc:notary.rotate', {
                folderId: folder.folderId,
                ...(certs.length ? { rootCerts: certs.map((c) => c.text) } : {}),
                ...(t ? { rootThreshold: t } : {}),
                ...(d ? { rootDays: d } : {}),
                ...(online.targets ? { targetsKey: online.targets.text } : {}),
                ...(online.snapshot ? { snapshotKey: online.snapshot.text } : {}),
                ...(online.timestamp ? { timestampKey: online.timestamp.text } : {}),
              }),
            );
          })
        }
      >
        Make root v+1
      </button>
      <ErrorBox error={error} title="Nothing was changed." />
    </section>
  );
}

function Merge({ folder, onDone }: { folder: ChosenFolder; onDone: (v: NotaryRepoView) => void }) {
  const [merged, setMerged] = useState<string[] | null>(null);
  const { error, run } = useRun();
  return (
    <section className="card" aria-label="Merge">
      <h2>Merge a copy signed in parallel</h2>
      <FolderButton
        purpose="notary-repository"
        label="Choose the other copy…"
        onOpen={(other) =>
          run(async () => {
            const r = await call('kc:notary.merge', { folderId: folder.folderId, fromFolderId: other.folderId });
            setMerged(r.merged);
            onDone(r.view);
          })
        }
      />
      {merged && <Notice testId="notary-merged">{merged.length ? merged.join('; ') : 'Nothing new in that copy.'}</Notice>}
      <ErrorBox error={error} title="Not merged." />
    </section>
  );
}

function Names({ folder, view, onDone }: { folder: ChosenFolder; view: NotaryRepoView; onDone: (v: NotaryRepoView) => void }) {
  const ids = view.keys;
  const [names, setNames] = useState<Record<string, string>>(view.names);
  const { error, busy, run } = useRun();
  return (
    <section className="card" aria-label="Key holders">
      <h2>Who holds which key</h2>
      <p className="hint">Names are kept in this folder ({'.keyceremony-names.json'}), never signed nor published; custodians check the fingerprint.</p>
      {ids.map((s) => (
        <Field key={s.keyid} label={`Holder of key ${s.keyid.slice(0, 12)} (${s.fingerprint.slice(0, 16)}…)`} hint={`signs ${s.roles.join(', ')}`}>
          <input value={names[s.keyid] ?? ''} onChange={(e) => setNames({ ...names, [s.keyid]: e.target.value })} />
        </Field>
      ))}
      <button
        type="button"
        disabled={busy}
        onClick={() =>
          run(async () =>
            onDone(await call('kc:notary.names', { folderId: folder.folderId, names: Object.fromEntries(Object.entries(names).filter(([, v]) => v.trim())) })),
          )
        }
      >
        Save the names
      </button>
      <ErrorBox error={error} />
    </section>
  );
}

/** A root certificate (CN = GUN) for an ECDSA key on my token, made and signed on the token. */
function MakeCert() {
  const [gun, setGun] = useState('');
  const [made, setMade] = useState<{ pem: string; suggestedName: string; keyId: string; canonicalKeyId: string } | null>(null);
  return (
    <section className="card" aria-label="Make a root certificate">
      <h2>Make a root certificate (custodian)</h2>
      <Field label="GUN for the certificate">
        <input value={gun} onChange={(e) => setGun(e.target.value)} />
      </Field>
      {gun.trim() && (
        <KeyPicker
          reloadKey={gun}
          who="custodian"
          action="Make the certificate on my token"
          load={async (token): Promise<CandidateList> => {
            const keys = await call('kc:keys.listPublic', { token });
            const ec = keys.filter((k) => k.keyType.startsWith('ecdsa'));
            return {
              token: { label: token.label, serial: token.serial },
              otherKeys: keys.length - ec.length,
              keys: ec.map((k) => ({
                label: k.label,
                idHex: k.idHex,
                keyType: k.keyType,
                fingerprint: k.fingerprint,
                fingerprintWords: k.fingerprintWords,
                rules: ['a Notary root certificate'],
                signed: false,
              })),
            };
          }}
          sign={async (token, key, pin) => {
            setMade(await call('kc:notary.cert', { gun: gun.trim(), token, key: { idHex: key.idHex }, pin }));
          }}
        />
      )}
      {made && (
        <div data-testid="notary-cert">
          <p>
            Key id in root.json <code>{made.keyId}</code>; canonical root key id (notary key list) <code>{made.canonicalKeyId}</code>.
          </p>
          <SaveButton label={`Save ${made.suggestedName}`} suggestedName={made.suggestedName} text={made.pem} kind="other" />
        </div>
      )}
    </section>
  );
}

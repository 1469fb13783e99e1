import { useState } from 'react';
import type { ChosenFolder, CreatedRequest, PickedFile, Request, TufRepoView } from '../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../api';
import { ErrorBox, Field, ScreenTitle } from '../components/common';
import { FolderButton, KeyInputs, PickButton, type KeyText } from '../components/files';
import { Collect, Compare, MadeRequest, Publish } from './tuf/steps';

type Change = Request<'kc:tuf.request.create'>['change'];
type Kind = Change['kind'];

const KINDS: [Kind, string][] = [
  ['targets-add', 'Add or replace targets (a release)'],
  ['targets-remove', 'Remove targets'],
  ['renew', 'Renew the expiry of a role'],
  ['rotate', 'Rotate keys of a top-level role (root v+1)'],
  ['delegate', 'Delegate paths to a role'],
  ['delegate-remove', 'Remove a delegation'],
];

/**
 * The release manager's TUF screen, over the same core as `keyceremony tuf`: open the metadata folder,
 * make a signing request (every kind the CLI makes), save it for the custodians, merge the copies they
 * signed in parallel, write the finished file into the folder, and publish a new snapshot + timestamp
 * with the online token.
 */
export function TufRelease() {
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [repo, setRepo] = useState<TufRepoView | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<UiError | null>(null);

  const reload = async (f: ChosenFolder) => {
    setError(null);
    try {
      setFolder(f);
      setRepo(await call('kc:tuf.repo.open', { folderId: f.folderId }));
    } catch (e) {
      setRepo(null);
      setError(toUiError(e));
    }
  };

  return (
    <main>
      <ScreenTitle>TUF release</ScreenTitle>
      <section className="card" aria-label="Repository">
        <h2>1. The repository</h2>
        <p>Choose the folder that holds the repository’s metadata (N.root.json, N.targets.json, N.snapshot.json, timestamp.json).</p>
        <FolderButton purpose="tuf-metadata" label="Choose the metadata folder…" onOpen={reload} />
        <ErrorBox error={error} />
        {folder && repo && <RepoOverview repo={repo} names={names} setNames={setNames} />}
      </section>
      {folder && repo && (
        <>
          <MakeRequest folder={folder} repo={repo} names={names} />
          <Collect folder={folder} onWritten={() => void reload(folder)} />
          <Publish folder={folder} repo={repo} onDone={() => void reload(folder)} />
        </>
      )}
      <Compare />
    </main>
  );
}

function RepoOverview({ repo, names, setNames }: { repo: TufRepoView; names: Record<string, string>; setNames: (n: Record<string, string>) => void }) {
  return (
    <div data-testid="repo" data-root-version={repo.rootVersion}>
      <p>
        Folder <strong>{repo.folder}</strong>: root v{repo.rootVersion}, {repo.targets} targets in the top-level targets
        {repo.hashBins ? `, delegated to ${repo.hashBins.count} hash bins ${repo.hashBins.prefix}-* (${repo.hashBins.bitLength} bits)` : ''}.
      </p>
      <table className="tokens" aria-label="Roles">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Version</th>
            <th scope="col">Expires</th>
            <th scope="col">Threshold</th>
            <th scope="col">File</th>
          </tr>
        </thead>
        <tbody>
          {repo.roles.map((r) => (
            <tr key={r.role} data-testid="role-row" data-role={r.role} data-version={r.version}>
              <td>{r.role}</td>
              <td>{r.version || '—'}</td>
              <td>{r.expires || '—'}</td>
              <td>
                {r.threshold} of {r.keyids.length}
              </td>
              <td>{r.file || 'missing'}</td>
            </tr>
          ))}
          {repo.delegations.map((d) => (
            <tr key={d.name} data-testid="role-row" data-role={d.name}>
              <td>{d.name} (delegated)</td>
              <td>{d.hasFile ? '' : 'no file yet'}</td>
              <td />
              <td>
                {d.threshold} of {d.keyids.length}
              </td>
              <td>
                {d.scope}
                {d.terminating ? ', terminating' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <details>
        <summary>Who holds which key (names shown to custodians in requests)</summary>
        <p className="hint">
          A name helps custodians see who still has to sign; it is not signed. Custodians check the fingerprint against their own token, which the Sign screen
          shows them.
        </p>
        <table className="tokens" aria-label="Key holders">
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Type</th>
              <th scope="col">Fingerprint</th>
              <th scope="col">Held by</th>
            </tr>
          </thead>
          <tbody>
            {repo.keys.map((k) => (
              <tr key={k.keyid}>
                <td>
                  <code>{k.keyid.slice(0, 16)}</code>
                </td>
                <td>{k.keytype}</td>
                <td>
                  <code>{k.fingerprint.slice(0, 24)}…</code>
                </td>
                <td>
                  <input
                    aria-label={`Name of the holder of key ${k.keyid.slice(0, 8)}`}
                    data-fingerprint={k.fingerprint}
                    value={names[k.keyid] ?? ''}
                    onChange={(e) => setNames({ ...names, [k.keyid]: e.target.value })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

function roleChoices(repo: TufRepoView, withTop: boolean): string[] {
  const out = withTop ? ['root', 'targets', 'snapshot', 'timestamp'] : ['targets'];
  for (const d of repo.delegations) out.push(d.name);
  return out;
}

function expiryFrom(days: string): { expiresInDays: number } | undefined {
  const n = Number(days);
  return days.trim() !== '' && Number.isInteger(n) && n > 0 ? { expiresInDays: n } : undefined;
}

function MakeRequest({ folder, repo, names }: { folder: ChosenFolder; repo: TufRepoView; names: Record<string, string> }) {
  const [kind, setKind] = useState<Kind>('targets-add');
  const [role, setRole] = useState('');
  const [days, setDays] = useState('');
  const [files, setFiles] = useState<{ file: PickedFile; path: string; custom: string }[]>([]);
  const [known, setKnown] = useState<{ path: string; length: string; sha256: string; sha512: string }[]>([]);
  const [paths, setPaths] = useState('');
  const [keys, setKeys] = useState<KeyText[]>([]);
  const [removeIds, setRemoveIds] = useState<string[]>([]);
  const [threshold, setThreshold] = useState('');
  const [name, setName] = useState('');
  const [useHash, setUseHash] = useState(false);
  const [terminating, setTerminating] = useState(false);
  const [roleDays, setRoleDays] = useState('');
  const [from, setFrom] = useState('');
  const [made, setMade] = useState<{ requests: CreatedRequest[]; warnings: string[] } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);

  const thr = threshold.trim() === '' ? undefined : Number(threshold);
  const lines = paths
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const expiry = expiryFrom(days);

  const change = (): Change => {
    switch (kind) {
      case 'targets-add':
        return {
          kind,
          ...(role ? { role } : {}),
          entries: [
            ...files.map((f) => ({ path: f.path.trim(), fileId: f.file.fileId, ...(f.custom.trim() ? { customJson: f.custom } : {}) })),
            ...known.map((k) => ({
              path: k.path.trim(),
              length: Number(k.length.trim()),
              sha256: k.sha256.trim().toLowerCase(),
              ...(k.sha512.trim() ? { sha512: k.sha512.trim().toLowerCase() } : {}),
            })),
          ],
          ...(expiry ? { expiry } : {}),
        };
      case 'targets-remove':
        return { kind, ...(role ? { role } : {}), paths: lines, ...(expiry ? { expiry } : {}) };
      case 'renew':
        return { kind, role: role || 'targets', expiry: expiry ?? {} };
      case 'rotate':
        return {
          kind,
          role: (role || 'root') as 'root' | 'targets' | 'snapshot' | 'timestamp',
          addKeys: keys.map((k) => k.text),
          removeKeyids: removeIds,
          ...(thr !== undefined ? { threshold: thr } : {}),
          ...(expiry ? { expiry } : {}),
        };
      case 'delegate':
        return {
          kind,
          name: name.trim(),
          ...(from ? { from } : {}),
          keys: keys.map((k) => k.text),
          threshold: thr ?? 1,
          ...(useHash ? { pathHashPrefixes: lines } : { paths: lines }),
          terminating,
          ...(expiry ? { expiry } : {}),
          ...(expiryFrom(roleDays) ? { roleExpiresInDays: expiryFrom(roleDays)!.expiresInDays } : {}),
        };
      case 'delegate-remove':
        return { kind, name: from ? name.trim() : role, ...(from ? { from } : {}), ...(expiry ? { expiry } : {}) };
    }
  };

  const make = async () => {
    setError(null);
    setMade(null);
    setBusy(true);
    try {
      const given = Object.fromEntries(Object.entries(names).filter(([, v]) => v.trim()));
      setMade(await call('kc:tuf.request.create', { folderId: folder.folderId, change: change(), ...(Object.keys(given).length ? { names: given } : {}) }));
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  const rotateRole = (role || 'root') as 'root' | 'targets' | 'snapshot' | 'timestamp';
  const rotateKeys = repo.roles.find((r) => r.role === rotateRole)?.keyids ?? [];

  return (
    <section className="card" aria-label="Make a signing request">
      <h2>2. Make a signing request</h2>
      <fieldset>
        <legend>What changes?</legend>
        {KINDS.map(([k, label]) => (
          <label key={k} className="check">
            <input
              type="radio"
              name="change-kind"
              checked={kind === k}
              onChange={() => {
                setKind(k);
                setRole('');
                setFrom('');
                setMade(null);
              }}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <form
        aria-label="Request details"
        onSubmit={(e) => {
          e.preventDefault();
          void make();
        }}
      >
        {kind === 'targets-add' && (
          <>
            <PickButton purpose="target" label="Add a target file…" onPick={(f) => setFiles([...files, { file: f, path: f.name, custom: '' }])} />
            <ul aria-label="Target files" className="plain">
              {files.map((f, i) => (
                <li key={f.file.fileId} data-testid="target-file">
                  <Field label={`Target path for ${f.file.name} (${f.file.size} bytes)`}>
                    <input value={f.path} onChange={(e) => setFiles(files.map((x, j) => (j === i ? { ...x, path: e.target.value } : x)))} />
                  </Field>
                  <Field label={`Custom JSON for ${f.file.name} (optional)`}>
                    <input value={f.custom} onChange={(e) => setFiles(files.map((x, j) => (j === i ? { ...x, custom: e.target.value } : x)))} />
                  </Field>
                  <button type="button" onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                    Remove {f.file.name}
                  </button>
                </li>
              ))}
            </ul>
            <button type="button" onClick={() => setKnown([...known, { path: '', length: '', sha256: '', sha512: '' }])}>
              Add a target by known length and hashes…
            </button>
            <ul aria-label="Targets by known hashes" className="plain">
              {known.map((k, i) => {
                const set = (field: 'path' | 'length' | 'sha256' | 'sha512', v: string) => setKnown(known.map((x, j) => (j === i ? { ...x, [field]: v } : x)));
                return (
                  <li key={i} data-testid="target-known">
                    <Field label={`Target path ${i + 1}`}>
                      <input value={k.path} onChange={(e) => set('path', e.target.value)} />
                    </Field>
                    <Field label={`Length in bytes of target ${i + 1}`}>
                      <input inputMode="numeric" value={k.length} onChange={(e) => set('length', e.target.value)} />
                    </Field>
                    <Field label={`SHA-256 of target ${i + 1} (64 hex characters)`}>
                      <input className="mono" value={k.sha256} onChange={(e) => set('sha256', e.target.value)} />
                    </Field>
                    <Field label={`SHA-512 of target ${i + 1} (optional, 128 hex characters)`}>
                      <input className="mono" value={k.sha512} onChange={(e) => set('sha512', e.target.value)} />
                    </Field>
                    <button type="button" onClick={() => setKnown(known.filter((_, j) => j !== i))}>
                      Remove target {i + 1}
                    </button>
                  </li>
                );
              })}
            </ul>
          </>
        )}
        {kind === 'targets-remove' && (
          <Field label="Target paths to remove (one per line)">
            <textarea value={paths} onChange={(e) => setPaths(e.target.value)} rows={3} />
          </Field>
        )}
        {(kind === 'targets-add' || kind === 'targets-remove') && (
          <Field
            label="Signed by role"
            hint={
              repo.hashBins
                ? 'Automatic: each path goes to the hash bin that holds it (one request per bin).'
                : 'The top-level targets, or a delegated role whose paths cover the targets.'
            }
          >
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="">{repo.hashBins ? 'automatic (hash bins)' : 'targets'}</option>
              {roleChoices(repo, false)
                .filter((r) => r !== 'targets')
                .map((r) => (
                  <option key={r}>{r}</option>
                ))}
            </select>
          </Field>
        )}
        {(kind === 'renew' || kind === 'rotate') && (
          <Field label="Role">
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              {(kind === 'rotate' ? ['root', 'targets', 'snapshot', 'timestamp'] : roleChoices(repo, true)).map((r) => (
                <option key={r} value={r === (kind === 'rotate' ? 'root' : 'targets') ? '' : r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
        )}
        {kind === 'rotate' && (
          <>
            <KeyInputs keys={keys} onChange={setKeys} label={`Keys to add to ${rotateRole}`} />
            <fieldset>
              <legend>Keys to remove from {rotateRole}</legend>
              {rotateKeys.map((id) => (
                <label key={id} className="check">
                  <input
                    type="checkbox"
                    checked={removeIds.includes(id)}
                    onChange={(e) => setRemoveIds(e.target.checked ? [...removeIds, id] : removeIds.filter((x) => x !== id))}
                  />{' '}
                  {names[id] ? `${names[id]} — ` : ''}key {id.slice(0, 16)}
                </label>
              ))}
            </fieldset>
            <Field label="New threshold (blank: unchanged)">
              <input inputMode="numeric" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
            </Field>
          </>
        )}
        {(kind === 'delegate' || kind === 'delegate-remove') && (
          <Field label="Delegated by" hint="targets, or a delegated role for a nested delegation (as tuf delegate --from)">
            <select value={from} onChange={(e) => setFrom(e.target.value)}>
              <option value="">targets</option>
              {repo.delegations.map((d) => (
                <option key={d.name}>{d.name}</option>
              ))}
            </select>
          </Field>
        )}
        {kind === 'delegate' && (
          <>
            <Field label="Delegated role name">
              <input value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <label className="check">
              <input type="checkbox" checked={useHash} onChange={(e) => setUseHash(e.target.checked)} /> Delegate by path hash prefixes instead of path patterns
            </label>
            <Field label={useHash ? 'Path hash prefixes (hex, one per line)' : 'Path patterns (one per line, e.g. apps/*)'}>
              <textarea value={paths} onChange={(e) => setPaths(e.target.value)} rows={3} />
            </Field>
            <KeyInputs keys={keys} onChange={setKeys} label="Keys of the delegated role" />
            <Field label="Threshold">
              <input inputMode="numeric" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
            </Field>
            <label className="check">
              <input type="checkbox" checked={terminating} onChange={(e) => setTerminating(e.target.checked)} /> Terminating (clients stop searching here)
            </label>
            <Field label="The role's own metadata expires in (days, blank: 90)">
              <input inputMode="numeric" value={roleDays} onChange={(e) => setRoleDays(e.target.value)} />
            </Field>
          </>
        )}
        {kind === 'delegate-remove' && from && (
          <Field label="Name of the delegation to remove">
            <input value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
        )}
        {kind === 'delegate-remove' && !from && (
          <Field label="Delegation to remove">
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="">(choose)</option>
              {repo.delegations.map((d) => (
                <option key={d.name}>{d.name}</option>
              ))}
            </select>
          </Field>
        )}
        <Field label={kind === 'renew' ? 'Expires in (days from now)' : 'New expiry in days (blank: keep the current expiry)'}>
          <input inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
        </Field>
        <div className="actions">
          <button type="submit" disabled={busy}>
            Make the signing request
          </button>
        </div>
      </form>
      <ErrorBox error={error} title="No request was made." />
      {made && (
        <div data-testid="made-requests" data-count={made.requests.length}>
          {made.warnings.map((w) => (
            <p key={w} className="warn" role="status">
              {w}
            </p>
          ))}
          {made.requests.map((r) => (
            <MadeRequest key={r.suggestedName} r={r} />
          ))}
        </div>
      )}
    </section>
  );
}

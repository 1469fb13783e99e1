import { useEffect, useState } from 'react';
import type { ChosenFolder, CosignRequestView, PickedFile } from '../../../shared/ipc/contract';
import { call, newJobId, onEvent, toUiError, UiError } from '../api';
import { ErrorBox, Field, Notice, Progress, ScreenTitle } from '../components/common';
import { FolderButton, KeyInputs, OpenTextButton, PickButton, SaveButton, type KeyText } from '../components/files';
import { KeyPicker, StatusLine, WhoSigns } from '../components/signing';

type Part = 'sign' | 'blob' | 'attest' | 'request' | 'export';

/**
 * cosign in the app, over the same core as `keyceremony cosign`: sign images by digest, attest,
 * make an m-of-n request, follow it by name, and export the bundles and admission policies.
 * (Custodians sign a request on the Sign screen.)
 */
export function Cosign() {
  const [part, setPart] = useState<Part>('sign');
  return (
    <main>
      <ScreenTitle>cosign</ScreenTitle>
      <fieldset className="card">
        <legend>What do you want to do?</legend>
        {(
          [
            ['sign', 'Sign images by digest with my token'],
            ['blob', 'Sign a file (blob) with my token'],
            ['attest', 'Attest: sign a predicate (SLSA provenance, SPDX, CycloneDX, custom) about images or files'],
            ['request', 'Make an m-of-n signing request'],
            ['export', 'Follow a request and export its bundles and policies'],
          ] as [Part, string][]
        ).map(([k, l]) => (
          <label key={k} className="check">
            <input type="radio" name="cosign-part" checked={part === k} onChange={() => setPart(k)} /> {l}
          </label>
        ))}
      </fieldset>
      {part === 'sign' && <SignImages />}
      {part === 'blob' && <SignBlob />}
      {part === 'attest' && <Attest />}
      {part === 'request' && <MakeRequest />}
      {part === 'export' && <FollowRequest />}
    </main>
  );
}

/** Images by digest: typed or pasted, or opened from a list file; checked by main (digest only). */
function ImagesInput({
  text,
  setText,
  label = 'Images, by digest (one per line: registry/repo@sha256:…)',
}: {
  text: string;
  setText: (t: string) => void;
  label?: string;
}) {
  return (
    <>
      <Field label={label}>
        <textarea value={text} onChange={(e) => setText(e.target.value)} rows={4} spellCheck={false} />
      </Field>
      <OpenTextButton purpose="image-list" label="Open a list of images…" onText={(_n, t) => setText(text.trim() ? `${text.trim()}\n${t}` : t)} />
    </>
  );
}

async function checkImages(text: string): Promise<string[]> {
  return (await call('kc:cosign.images', { text })).images;
}

function SignImages() {
  const [text, setText] = useState('');
  const [annotations, setAnnotations] = useState('');
  const [images, setImages] = useState<string[] | null>(null);
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [done, setDone] = useState<{ folder: string; count: number } | null>(null);
  const [progress, setProgress] = useState<{ jobId: string; done: number; total: number } | null>(null);
  useEffect(() => onEvent((e) => e.kind === 'progress' && setProgress((p) => (p && p.jobId === e.jobId ? { ...p, done: e.done, total: e.total } : p))), []);
  return (
    <section className="card" aria-label="Sign images">
      <h2>Sign images by digest</h2>
      <p className="hint">A tag is refused: a signature covers one exact image, named by its digest.</p>
      <ImagesInput text={text} setText={(t) => (setText(t), setImages(null))} />
      <Field label="Annotations (optional, key=value per line)" hint="Signed into every payload, as cosign sign -a">
        <textarea value={annotations} onChange={(e) => setAnnotations(e.target.value)} rows={2} spellCheck={false} />
      </Field>
      <div className="actions">
        <button
          type="button"
          onClick={async () => {
            setError(null);
            try {
              setImages(await checkImages(text));
            } catch (e) {
              setImages(null);
              setError(toUiError(e));
            }
          }}
        >
          Check the list
        </button>
      </div>
      <ErrorBox error={error} title="The list is not usable." />
      {images && (
        <>
          <Notice testId="images-ok">
            {images.length} image{images.length === 1 ? '' : 's'} by digest.
          </Notice>
          <p>
            Where do the signatures go? A new folder is made in the folder you choose (payload, signature and bundle per image, the public key, index.json).
          </p>
          <FolderButton purpose="export" label="Choose the output folder…" onOpen={setFolder} />
          {folder && <p data-testid="out-folder">Output folder: {folder.display}</p>}
          {folder && (
            <KeyPicker
              reloadKey={images.join()}
              who="key holder"
              action={`Sign ${images.length} image${images.length === 1 ? '' : 's'}`}
              load={(token) => call('kc:cosign.candidates', { token })}
              sign={async (token, key, pin) => {
                const jobId = newJobId('cosign');
                setProgress({ jobId, done: 0, total: images.length });
                try {
                  const ann = Object.fromEntries(
                    annotations
                      .split('\n')
                      .map((l) => l.trim())
                      .filter(Boolean)
                      .map((l) => {
                        const i = l.indexOf('=');
                        if (i <= 0) throw new UiError({ code: 'INVALID_INPUT', message: `An annotation is key=value, got "${l}".`, where: 'annotations' });
                        return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
                      }),
                  );
                  const r = await call('kc:cosign.sign', {
                    jobId,
                    images,
                    token,
                    key: { idHex: key.idHex },
                    pin,
                    folderId: folder.folderId,
                    ...(Object.keys(ann).length ? { annotations: ann } : {}),
                  });
                  setDone(r);
                } finally {
                  setProgress(null);
                }
              }}
            />
          )}
        </>
      )}
      {progress && (
        <Progress label="Signing" done={progress.done} total={progress.total} onCancel={() => void call('kc:jobs.cancel', { jobId: progress.jobId })} />
      )}
      {done && (
        <Notice testId="signed-images">
          Signed and verified {done.count} image{done.count === 1 ? '' : 's'}: {done.folder}
        </Notice>
      )}
    </section>
  );
}

function SignBlob() {
  const [file, setFile] = useState<PickedFile | null>(null);
  const [folder, setFolder] = useState<ChosenFolder | null>(null);
  const [done, setDone] = useState<{ folder: string; name: string } | null>(null);
  return (
    <section className="card" aria-label="Sign a file">
      <h2>Sign a file (blob)</h2>
      <p>{file ? `File: ${file.name} (${file.size} bytes)` : 'No file chosen.'}</p>
      <PickButton purpose="target" label="Choose the file…" onPick={setFile} />
      <p>{folder ? `Output folder: ${folder.display}` : 'The signature, bundle and public key go into a new folder in the folder you choose.'}</p>
      <FolderButton purpose="export" label="Choose the output folder…" onOpen={setFolder} />
      {file && folder && (
        <KeyPicker
          reloadKey={file.fileId}
          who="key holder"
          action={`Sign ${file.name}`}
          load={(token) => call('kc:cosign.candidates', { token })}
          sign={async (token, key, pin) =>
            setDone(await call('kc:cosign.signBlob', { fileId: file.fileId, token, key: { idHex: key.idHex }, pin, folderId: folder.folderId }))
          }
        />
      )}
      {done && (
        <Notice testId="signed-blob">
          Signed and verified {done.name}: {done.folder} (blob.sig, blob.sigstore.json, cosign.pub)
        </Notice>
      )}
    </section>
  );
}

const TYPES: [string, string][] = [
  ['', 'Detect from the file'],
  ['slsaprovenance1', 'SLSA provenance v1'],
  ['spdxjson', 'SPDX (JSON)'],
  ['cyclonedx', 'CycloneDX (JSON)'],
  ['custom', 'Custom predicate type (URI)'],
];

function Attest() {
  const [text, setText] = useState('');
  const [artifacts, setArtifacts] = useState<PickedFile[]>([]);
  const [predicate, setPredicate] = useState<{ name: string; text: string } | null>(null);
  const [type, setType] = useState('');
  const [uri, setUri] = useState('');
  const [error, setError] = useState<UiError | null>(null);
  const [made, setMade] = useState<{ suggestedName: string; text: string; kind: string; predicateType: string; subjects: number } | null>(null);
  return (
    <section className="card" aria-label="Attest">
      <h2>Attest</h2>
      <ImagesInput text={text} setText={setText} label="Subject images, by digest (optional)" />
      <p>Subject files (optional):</p>
      <ul className="plain" aria-label="Subject files">
        {artifacts.map((a) => (
          <li key={a.fileId}>
            {a.name} ({a.size} bytes)
          </li>
        ))}
      </ul>
      <PickButton purpose="target" label="Add a subject file…" onPick={(f) => setArtifacts([...artifacts, f])} />
      <p>{predicate ? `Predicate: ${predicate.name}` : 'No predicate file yet.'}</p>
      <OpenTextButton purpose="predicate" label="Open the predicate file…" onText={(name, t) => setPredicate({ name, text: t })} />
      <Field label="Predicate type">
        <select value={type} onChange={(e) => setType(e.target.value)}>
          {TYPES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </Field>
      {type === 'custom' && (
        <Field label="Predicate type URI">
          <input value={uri} onChange={(e) => setUri(e.target.value)} placeholder="https://example.com/my-predicate/v1" />
        </Field>
      )}
      <ErrorBox error={error} title="No attestation was made." />
      {predicate && (
        <KeyPicker
          reloadKey={predicate.name}
          who="key holder"
          action="Sign the attestation"
          load={(token) => call('kc:cosign.candidates', { token })}
          sign={async (token, key, pin) => {
            setError(null);
            const images = text.trim() ? await checkImages(text) : [];
            const t = type === 'custom' ? uri.trim() : type;
            setMade(
              await call('kc:cosign.attest', {
                images,
                artifacts: artifacts.map((a) => a.fileId),
                predicate: predicate.text,
                ...(t ? { type: t } : {}),
                token,
                key: { idHex: key.idHex },
                pin,
              }),
            );
          }}
        />
      )}
      {made && (
        <div data-testid="attestation" data-kind={made.kind}>
          <Notice>
            {made.kind} attestation ({made.predicateType}) over {made.subjects} subject{made.subjects === 1 ? '' : 's'}, signed and verified.
          </Notice>
          <SaveButton label={`Save ${made.suggestedName}`} suggestedName={made.suggestedName} text={made.text} kind="signature" />
        </div>
      )}
    </section>
  );
}

function MakeRequest() {
  const [text, setText] = useState('');
  const [signers, setSigners] = useState<(KeyText & { name: string })[]>([]);
  const [m, setM] = useState('2');
  const [error, setError] = useState<UiError | null>(null);
  const [made, setMade] = useState<{ text: string; view: CosignRequestView } | null>(null);
  return (
    <section className="card" aria-label="Make an m-of-n request">
      <h2>Make an m-of-n signing request</h2>
      <ImagesInput text={text} setText={setText} />
      <KeyInputs
        label="Allowed signers (public keys)"
        keys={signers}
        onChange={(ks) => setSigners(ks.map((k) => ({ ...k, name: (k as KeyText & { name?: string }).name ?? '' })))}
      />
      <ul className="plain" aria-label="Signer names">
        {signers.map((s, i) => (
          <li key={`${s.from}-${i}`}>
            <Field label={`Name of the signer for ${s.from}`}>
              <input value={s.name} onChange={(e) => setSigners(signers.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
            </Field>
          </li>
        ))}
      </ul>
      <Field label="How many must sign (m)">
        <input inputMode="numeric" value={m} onChange={(e) => setM(e.target.value)} />
      </Field>
      <div className="actions">
        <button
          type="button"
          onClick={async () => {
            setError(null);
            setMade(null);
            try {
              const images = await checkImages(text);
              setMade(
                await call('kc:cosign.request.create', { images, signers: signers.map((s) => ({ name: s.name.trim(), publicKeyPem: s.text })), m: Number(m) }),
              );
            } catch (e) {
              setError(toUiError(e));
            }
          }}
        >
          Make the request
        </button>
      </div>
      <ErrorBox error={error} title="No request was made." />
      {made && (
        <div data-testid="cosign-request-made">
          <RequestStatus view={made.view} />
          <SaveButton
            label="Save the request for the signers"
            suggestedName="cosign-request.json"
            text={made.text}
            kind="request"
            done={(n) => `Saved ${n}. Each signer opens it on the Sign screen, signs with their token and passes it on.`}
          />
        </div>
      )}
    </section>
  );
}

export function RequestStatus({ view }: { view: CosignRequestView }) {
  return (
    <div data-testid="cosign-request" data-complete={String(view.complete)}>
      <StatusLine complete={view.complete} testId="cosign-status">
        {view.status}
      </StatusLine>
      <WhoSigns
        rules={[
          { name: 'signer', threshold: view.m, valid: view.signers.filter((s) => s.signed).length, ok: view.complete, line: view.line, signers: view.signers },
        ]}
      />
      <details>
        <summary>
          {view.images.length} image{view.images.length === 1 ? '' : 's'}
        </summary>
        <ul>
          {view.images.map((i) => (
            <li key={i}>
              <code>{i}</code>
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

function FollowRequest() {
  const [text, setText] = useState<string | null>(null);
  const [view, setView] = useState<CosignRequestView | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [exported, setExported] = useState<{ folder: string; files: string[] } | null>(null);
  return (
    <section className="card" aria-label="Follow a request">
      <h2>Follow a request and export</h2>
      <Field label="Open the cosign signing request">
        <input
          type="file"
          accept=".json,application/json"
          aria-label="Open the cosign signing request"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            setError(null);
            setExported(null);
            try {
              const t = await f.text();
              setView(await call('kc:cosign.request.open', { text: t }));
              setText(t);
            } catch (err) {
              setView(null);
              setError(toUiError(err));
            }
          }}
        />
      </Field>
      <ErrorBox error={error} />
      {view && text !== null && (
        <>
          <RequestStatus view={view} />
          {view.complete ? (
            <FolderButton
              purpose="export"
              label="Export bundles and policies into a folder…"
              onOpen={async (f) => {
                setError(null);
                try {
                  setExported(await call('kc:cosign.request.export', { text, folderId: f.folderId }));
                } catch (e) {
                  setError(toUiError(e));
                }
              }}
            />
          ) : (
            <p>Export is possible once {view.m} signers have signed.</p>
          )}
        </>
      )}
      {exported && (
        <Notice testId="exported">
          Exported {exported.files.length} files into {exported.folder}: every signer’s bundle per image, the keys, kyverno-clusterpolicy.yaml,
          kyverno-imagevalidatingpolicy.yaml and policy-controller-clusterimagepolicy.yaml.
        </Notice>
      )}
    </section>
  );
}

/** A custodian signs a cosign request (from the Sign screen): status by name, my key from my token. */
export function CosignRequestSign({ text: initial, fileName, onBack }: { text: string; fileName: string; onBack: () => void }) {
  const [text, setText] = useState(initial);
  const [view, setView] = useState<CosignRequestView | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [signedNow, setSignedNow] = useState<string | null>(null);
  useEffect(() => {
    call('kc:cosign.request.open', { text: initial }).then(setView, (e: unknown) => setError(toUiError(e)));
  }, [initial]);
  return (
    <main>
      <ScreenTitle>Sign a cosign request</ScreenTitle>
      <button type="button" onClick={onBack}>
        Back
      </button>
      <ErrorBox error={error} />
      {view && (
        <section className="card" aria-label="Request" data-testid="request">
          <RequestStatus view={view} />
          {signedNow && <Notice testId="signed-now">{signedNow}</Notice>}
          {!view.complete && (
            <KeyPicker
              reloadKey={view.bodyDigest + view.signers.filter((s) => s.signed).length}
              who="signer"
              action={`Sign ${view.images.length} image${view.images.length === 1 ? '' : 's'}`}
              load={(token) => call('kc:cosign.candidates', { token, requestText: text })}
              sign={async (token, key, pin) => {
                const r = await call('kc:cosign.request.sign', { text, token, key: { idHex: key.idHex }, pin });
                setText(r.text);
                setView(r.view);
                setSignedNow(`Signed by ${key.name ?? key.label}; every signature was verified.`);
              }}
            />
          )}
          <SaveButton label="Save the updated request" suggestedName={fileName} text={text} kind="request" />
        </section>
      )}
    </main>
  );
}

/**
 * Ceremony setup: a built-in template or a script file, the people's real names and roles (who is
 * the witness, who holds which token), how many custodians, the tokens picked from those present (label, serial, maker), the input files the
 * script reads (current root.json, targets.json, a backup file), and the step parameters (thresholds,
 * expiries, GUN, delegation role and paths). Main validates the result on every change
 * (kc:ceremony.prepare, JSON-path problems) and again at start; nothing runs before it is valid.
 */
import { useEffect, useRef, useState } from 'react';
import type { CeremonyTemplate, CeremonyView, EditableParam, FilePurpose, ScriptPreview, TokenSummary } from '../../../../shared/ipc/contract';
import { call, toUiError, type UiError } from '../../api';
import { ErrorBox, Field, WhyDisabled } from '../../components/common';
import { TokenSelect } from '../../components/tokens';
import { HolderSelect, PeopleFields, type PeopleSetup } from './People';

type Setup = PeopleSetup & {
  tokens: Record<string, { label: string; serial: string }>;
  custodians?: number;
  params: Record<string, Record<string, EditableParam['value']>>;
};

const PARAM_LABEL: Record<EditableParam['name'], string> = {
  rootThreshold: 'Root threshold (signatures needed)',
  threshold: 'Threshold',
  expiresInDays: 'Expiry (days)',
  gun: 'GUN (repository name)',
  role: 'Delegated role name',
  paths: 'Delegated paths (comma-separated)',
  certDays: 'Root certificate validity (days)',
};

const fresh = (): Setup => ({ names: {}, roles: {}, holders: {}, tokens: {}, params: {} });

function purposeOf(file: string): FilePurpose & ('backup' | 'tuf-root' | 'tuf-targets' | 'other') {
  // JSON inputs only: an attestation certificate named root-9c.attest.pem is not a root.json
  if (!/\.json$/i.test(file)) return 'other';
  if (/backup/.test(file)) return 'backup';
  if (/root/.test(file)) return 'tuf-root';
  if (/targets/.test(file)) return 'tuf-targets';
  return 'other';
}

export function Setup({ preset, onStarted }: { preset?: string; onStarted: (v: CeremonyView) => void }) {
  const [templates, setTemplates] = useState<CeremonyTemplate[]>([]);
  const [template, setTemplate] = useState(preset ?? 'tuf-root');
  const [script, setScript] = useState<{ name: string; text: string } | null>(null);
  const [setup, setSetup] = useState<Setup>(fresh());
  const [inputs, setInputs] = useState<Record<string, { name: string; text: string; summary: string }>>({});
  const [inputErrors, setInputErrors] = useState<Record<string, UiError>>({});
  const [preview, setPreview] = useState<ScriptPreview | null>(null);
  const [present, setPresent] = useState<TokenSummary[]>([]);
  const [error, setError] = useState<UiError | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    call('kc:ceremony.templates', {}).then(setTemplates, (e: unknown) => setError(toUiError(e)));
    void lookForTokens();
  }, []);

  const lookForTokens = async () => {
    try {
      setPresent(await call('kc:tokens.list', {}));
    } catch (e) {
      setError(toUiError(e));
    }
  };

  const request = () => {
    const s: Parameters<typeof call<'kc:ceremony.prepare'>>[1]['setup'] = {
      names: setup.names,
      roles: setup.roles,
      holders: setup.holders,
      tokens: setup.tokens,
      params: setup.params,
    };
    if (setup.custodians !== undefined) s.custodians = setup.custodians;
    return script ? { scriptText: script.text, setup: s } : { template, setup: s };
  };

  // Main validates the setup on every change (the newest answer wins).
  useEffect(() => {
    const n = ++seq.current;
    const t = setTimeout(() => {
      call('kc:ceremony.prepare', request()).then(
        (p) => n === seq.current && setPreview(p),
        (e: unknown) => n === seq.current && setError(toUiError(e)),
      );
    }, 120);
    return () => clearTimeout(t);
  }, [template, script, setup]);

  const openScript = async () => {
    setError(null);
    try {
      const f = await call('kc:files.open', { purpose: 'ceremony-script' });
      if (f) {
        setScript({ name: f.name, text: f.text });
        setSetup(fresh());
        setInputs({});
        setInputErrors({});
      }
    } catch (e) {
      setError(toUiError(e));
    }
  };

  // An input file is read by main when it is opened (not at its step, after everyone checked in).
  const openInput = async (file: string) => {
    setError(null);
    const purpose = purposeOf(file);
    try {
      const f = await call('kc:files.open', { purpose });
      if (!f) return;
      const { [file]: _old, ...rest } = inputs;
      const { [file]: _err, ...errs } = inputErrors;
      try {
        const { summary } = await call('kc:ceremony.checkInput', { purpose, name: f.name, text: f.text });
        setInputs({ ...rest, [file]: { name: f.name, text: f.text, summary } });
        setInputErrors(errs);
      } catch (e) {
        setInputs(rest);
        setInputErrors({ ...errs, [file]: toUiError(e) });
      }
    } catch (e) {
      setError(toUiError(e));
    }
  };

  const setParam = (p: EditableParam, value: EditableParam['value']) => {
    const params = { ...setup.params };
    for (const step of p.steps) params[step] = { ...(params[step] ?? {}), [p.name]: value };
    setSetup({ ...setup, params });
  };

  const start = async () => {
    setError(null);
    try {
      onStarted(await call('kc:ceremony.start', { ...request(), inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.text])) }));
    } catch (e) {
      setError(toUiError(e));
    }
  };

  const p = preview;
  const unpicked = (p?.tokens ?? []).filter((t) => !setup.tokens[t.id]);
  const missing = (p?.inputs ?? []).filter((f) => !inputs[f]);
  const why = !p
    ? 'checking the setup…'
    : p.problems.length
      ? `fix ${p.problems.length} problem${p.problems.length > 1 ? 's' : ''} listed above`
      : unpicked.length
        ? `pick the token for ${unpicked.map((t) => `“${t.label}”`).join(', ')}`
        : missing.length
          ? `open ${missing.join(', ')}`
          : null;
  const nameOf = (id?: string) => (id ? (p?.participants.find((x) => x.id === id)?.name ?? id) : 'the administrator');

  return (
    <form
      className="card"
      aria-label="Prepare the ceremony"
      data-testid="setup"
      onSubmit={(e) => {
        e.preventDefault();
        if (!why) void start();
      }}
    >
      <h2>1. What ceremony</h2>
      {!preset && (
        <Field label="Ceremony">
          <select
            aria-label="Ceremony"
            value={script ? '' : template}
            onChange={(e) => {
              setScript(null);
              setTemplate(e.target.value);
              setSetup(fresh());
              setInputs({});
              setInputErrors({});
            }}
          >
            {script && <option value="">Script file {script.name}</option>}
            {templates.map((x) => (
              <option key={x.name} value={x.name}>
                {x.title}
              </option>
            ))}
          </select>
        </Field>
      )}
      {!preset && (
        <p>
          <button type="button" onClick={() => void openScript()}>
            Open a ceremony script file…
          </button>{' '}
          {script && (
            <span data-testid="script-file">
              Using <code>{script.name}</code>
            </span>
          )}
        </p>
      )}
      {p && (
        <>
          <p>
            <strong>{p.title}</strong>
            {p.description ? ` — ${p.description}` : ''}
          </p>
          {p.problems.length > 0 && (
            <div className="error" role="alert" data-testid="setup-problems">
              <strong>This setup cannot run yet:</strong>
              <ul>
                {p.problems.map((x, i) => (
                  <li key={i} data-path={x.path}>
                    <code>{x.path}</code>: {x.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <h2>2. People</h2>
          {p.custodians !== null && (
            <Field label="Number of custodians" hint="Each custodian holds their own token and share; thresholds above this number are lowered.">
              <input
                type="number"
                min={1}
                max={16}
                aria-label="Number of custodians"
                value={setup.custodians ?? p.custodians}
                onChange={(e) => setSetup({ ...setup, custodians: Number(e.target.value) })}
              />
            </Field>
          )}
          <PeopleFields preview={p} setup={setup} onChange={(c) => setSetup({ ...setup, ...c })} />
          <h2>3. Tokens</h2>
          <p className="hint">
            Pick each token from those in the readers: its label and serial go into the script, and check-in refuses any other token.{' '}
            <button type="button" onClick={() => void lookForTokens()}>
              Look for tokens again
            </button>
          </p>
          {p.tokens.map((t) => {
            const cur = setup.tokens[t.id];
            return (
              <fieldset key={t.id} className="field" data-testid="token-role" data-token={t.id} data-holder={t.custodian ?? ''}>
                <legend>
                  {t.id} (held by {nameOf(t.custodian)})
                </legend>
                <Field label="Held by">
                  <HolderSelect
                    preview={p}
                    tokenId={t.id}
                    value={setup.holders[t.id] ?? t.custodian ?? ''}
                    onChange={(h) => setSetup({ ...setup, holders: { ...setup.holders, [t.id]: h } })}
                  />
                </Field>
                <Field label="Token">
                  <TokenSelect
                    label={`Token for ${t.id}`}
                    tokens={present}
                    value={cur?.serial ?? ''}
                    onChange={(serial) => {
                      const tok = present.find((x) => x.serial === serial);
                      const tokens = { ...setup.tokens };
                      if (tok) tokens[t.id] = { label: tok.label, serial: tok.serial };
                      else delete tokens[t.id];
                      setSetup({ ...setup, tokens });
                    }}
                  />
                </Field>
              </fieldset>
            );
          })}
          {p.inputs.length > 0 && <h2>4. Files the ceremony reads</h2>}
          {p.inputs.map((f) => (
            <div key={f} className="input-file" data-testid="input-file" data-file={f} data-open={String(!!inputs[f])}>
              <button type="button" onClick={() => void openInput(f)}>
                Open {f}…
              </button>{' '}
              {inputs[f] ? (
                <span data-testid="input-summary">
                  ✔ {inputs[f].name}: {inputs[f].summary}
                </span>
              ) : (
                !inputErrors[f] && <span className="hint">not opened yet</span>
              )}
              <ErrorBox error={inputErrors[f] ?? null} title={`Not used: this is not the ${f} this ceremony needs.`} />
            </div>
          ))}
          {p.params.length > 0 && <h2>{p.inputs.length ? 5 : 4}. Settings</h2>}
          {p.params.map((x) => (
            <ParamField key={x.name} p={{ ...x, value: setup.params[x.steps[0] ?? '']?.[x.name] ?? x.value }} onChange={(v) => setParam(x, v)} />
          ))}
        </>
      )}
      <ErrorBox error={error} title="The ceremony did not start." />
      <div className="actions">
        <button type="submit" disabled={!!why} aria-describedby="start-why">
          Start the ceremony
        </button>
        <WhyDisabled id="start-why" reason={why ? `Not yet: ${why}.` : null} />
      </div>
    </form>
  );
}

function ParamField({ p, onChange }: { p: EditableParam; onChange: (v: EditableParam['value']) => void }) {
  const label = PARAM_LABEL[p.name];
  const v = p.value;
  if (typeof v === 'number') {
    return (
      <Field label={label}>
        <input type="number" min={1} aria-label={label} value={v} onChange={(e) => onChange(Number(e.target.value))} />
      </Field>
    );
  }
  if (typeof v === 'string') {
    return (
      <Field label={label}>
        <input aria-label={label} value={v} onChange={(e) => onChange(e.target.value)} />
      </Field>
    );
  }
  if (Array.isArray(v)) return <ListField label={label} value={v} onChange={onChange} />;
  return (
    <fieldset className="field">
      <legend>{label}</legend>
      {Object.entries(v).map(([role, days]) => (
        <label key={role} className="inline">
          {role}{' '}
          <input
            type="number"
            min={1}
            aria-label={`${role} expires in days`}
            value={days}
            onChange={(e) => onChange({ ...v, [role]: Number(e.target.value) })}
          />
        </label>
      ))}
    </fieldset>
  );
}

/** A comma-separated list typed freely (the text is kept as typed; the list is what main gets). */
function ListField({ label, value, onChange }: { label: string; value: string[]; onChange: (v: string[]) => void }) {
  const [text, setText] = useState(value.join(', '));
  return (
    <Field label={label}>
      <input
        aria-label={label}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          onChange(
            e.target.value
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean),
          );
        }}
      />
    </Field>
  );
}

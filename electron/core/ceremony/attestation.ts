/**
 * Hardware attestation in a ceremony (pure).
 *
 * keygen may require that each key be attested: the attestation certificates come from files named by
 * the script (a custodian who ran `ykman piv keys generate` + `ykman piv keys attest`) or from the
 * token itself where its module exposes them (ykcs11 exposes a per-key attestation certificate and the
 * slot f9 device certificate as objects). The chain is verified against the bundled Yubico roots (or the
 * roots the script names), the attested key must be the key being enrolled, and the facts (serial,
 * firmware, slot, PIN/touch policy, chain) go into the transcript; the certificates go into the bundle
 * under attestations/<key>/. In production a missing or invalid attestation that the script requires is
 * a deviation: the administrator records a justification or the ceremony stops. `recheckAttestations`
 * is what `bundle verify` runs over a sealed bundle.
 */
import { assertAttestation, certificatesFrom, type AttestationReport } from '../../../shared/attestation';
import { pemEncode } from '../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../shared/errors';
import { childPath } from '../../../shared/json';
import { annotate, arr, bool, obj, opt, record, str, type Infer } from '../../../shared/schema';
import type { StepContext } from './step';
import type { TranscriptBody, TranscriptEntry } from './transcript';
import type { Deviation, GeneratedKey, TokenRef } from './types';
import { fileBeside, idList, idSchema, type ValidationIssue } from './validate';

const attestationFiles = obj({
  keyCert: fileBeside("The key's attestation certificate (PEM or DER)."),
  deviceCert: fileBeside('The device (f9 / attestation key) certificate.'),
});

/** The members keygen's `attestation` param and the attest step share. */
export const attestationMembers = {
  /** Default true: a key without a valid attestation is a failure (production: a deviation). */
  required: opt(annotate(bool, { description: 'Default true.' })),
  /** Attestation files per key, relative to the script. Keys without files are read from the token. */
  files: opt(annotate(record(attestationFiles, { key: idSchema }), { description: 'Key id -> attestation files beside the script.' })),
  /** Trust anchors (PEM files beside the script) that REPLACE the bundled Yubico roots. Recorded. */
  roots: opt(
    annotate(arr(str({ min: 1, max: 1024 }), { min: 1 }), {
      description: 'PEM trust anchors beside the script that REPLACE the bundled Yubico roots (recorded in the transcript and the bundle).',
    }),
  ),
};

/** keygen's `attestation` param. */
export const attestationParam = annotate(
  obj({
    required: attestationMembers.required,
    /** The keys of this step that must be attested (default: all of them). */
    keys: opt(idList('Keys of this step to attest (default: all).')),
    files: attestationMembers.files,
    roots: attestationMembers.roots,
  }),
  {
    description:
      'Require proof that each key was generated inside genuine hardware (YubiKey PIV, YubiHSM 2): the attestation is read from the token where its module exposes it (ykcs11), or from the files named here (ykman piv keys attest / yubihsm-shell). The attested key must be the key enrolled; serial, firmware, slot, PIN/touch policy and chain go into the transcript, the certificates into attestations/<key>/. Production: missing or invalid when required is a deviation (justification) or the ceremony stops. See docs/hardware.md.',
  },
);
export type AttestationParam = Infer<typeof attestationParam>;

export const ATTESTATION_DIR = 'attestations';
const KEY_CERT = 'key-cert.pem';
const DEVICE_CERT = 'device-cert.pem';
const ROOTS = 'roots.pem';

/** The attestation param names only keys of its step (stepKeys = the step's `keys`). */
export function validateAttestationParam(v: Pick<AttestationParam, 'keys' | 'files'>, stepKeys: readonly string[], path: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const inStep = new Set(stepKeys);
  (v.keys ?? []).forEach((k, i) => {
    if (!inStep.has(k)) out.push({ path: `${childPath(path, 'keys')}[${i}]`, message: 'must name a key this step generates' });
  });
  for (const k of Object.keys(v.files ?? {}))
    if (!inStep.has(k)) out.push({ path: childPath(childPath(path, 'files'), k), message: 'must name a key this step generates' });
  return out;
}

/** The files beside the script a step's attestation reads (keygen's `attestation`, or the attest step's params). */
export function attestationInputs(kind: string, params: Record<string, unknown> | undefined): string[] {
  const a = (kind === 'keygen' ? params?.attestation : kind === 'attest' ? params : undefined) as AttestationParam | undefined;
  if (!a || typeof a !== 'object') return [];
  const out: string[] = [];
  for (const f of Object.values(a.files ?? {})) for (const p of [f?.keyCert, f?.deviceCert]) if (typeof p === 'string') out.push(p);
  for (const r of Array.isArray(a.roots) ? a.roots : []) if (typeof r === 'string') out.push(r);
  return out;
}

/** Which keys of a keygen step need an attestation. */
export function keysToAttest(param: AttestationParam | undefined, stepKeys: string[]): string[] {
  if (!param) return [];
  return param.keys ?? stepKeys;
}

const pemAll = (bytes: Uint8Array, what: string) =>
  certificatesFrom(bytes, what)
    .map((d) => pemEncode('CERTIFICATE', d))
    .join('');

function policyText(r: Pick<AttestationReport, 'pinPolicy' | 'touchPolicy'>): string {
  return r.pinPolicy || r.touchPolicy ? `PIN ${r.pinPolicy ?? '?'}, touch ${r.touchPolicy ?? '?'}` : 'policy not stated';
}

/** One line a witness can compare with the device in their hand. */
export function attestationSummary(r: AttestationReport): string {
  const dev = r.vendor === 'yubico-piv' ? 'YubiKey' : r.vendor === 'yubihsm2' ? 'YubiHSM 2' : 'device';
  return `${dev} serial ${r.serial ?? 'not stated'}, firmware ${r.firmware ?? '?'}, ${r.vendor === 'yubihsm2' ? 'object' : 'slot'} ${r.slot ?? '?'}, ${policyText(r)}; chain to ${r.root} (${r.rootSource === 'bundled' ? 'bundled root' : 'root given by the script'})`;
}

/** The transcript facts of an attestation (flat strings and numbers only; never anything secret). */
export function attestationFacts(r: AttestationReport, source: 'files' | 'token'): Record<string, string | number | boolean> {
  return {
    source,
    vendor: r.vendor,
    ...(r.serial !== null ? { serial: r.serial } : {}),
    ...(r.firmware ? { firmware: r.firmware } : {}),
    ...(r.slot ? { slot: r.slot } : {}),
    algorithm: r.algorithm,
    ...(r.pinPolicy ? { pinPolicy: r.pinPolicy } : {}),
    ...(r.touchPolicy ? { touchPolicy: r.touchPolicy } : {}),
    ...(r.formFactor ? { formFactor: r.formFactor } : {}),
    ...(r.fips ? { fips: true } : {}),
    root: r.root,
    rootSha256: r.rootSha256,
    rootSource: r.rootSource,
    publicKeySha256: r.publicKeySha256,
    chain: r.chain.map((c) => c.subject).join(' <- '),
    ...(r.notes.length ? { notes: r.notes.join(' ') } : {}),
  };
}

interface Attested {
  entries: TranscriptBody[];
  shown: string[];
  /** The verified report, for UIs (touch prompt, PIN policy). */
  report?: AttestationReport;
}

/**
 * Attest one freshly generated (or found) key: obtain the certificates, verify them, record the facts
 * and write the certificates to the bundle. Missing or invalid: rehearsal warns, production asks for a
 * deviation (or stops) when the script requires the attestation.
 */
export async function attestGeneratedKey(
  ctx: StepContext,
  input: { keyId: string; token: TokenRef; generated: GeneratedKey; transcriptKey: NonNullable<TranscriptBody['keys']>[number]; param: AttestationParam },
): Promise<Attested> {
  const { keyId, token, generated, param } = input;
  const required = param.required ?? true;
  const files = param.files?.[keyId];
  let source: 'files' | 'token' = files ? 'files' : 'token';
  let certs: { keyCert: Uint8Array; deviceCert: Uint8Array } | null = null;
  let roots: Uint8Array[] | undefined;
  let problem: string | undefined;
  try {
    if (files || param.roots) {
      if (!ctx.services.inputs)
        throw new KeyceremonyError('PRECONDITION_FAILED', 'The script names attestation files, but this run cannot read files beside the script.', {
          where: `step ${ctx.step.id}`,
        });
    }
    if (param.roots) roots = await Promise.all(param.roots.map((p) => ctx.services.inputs!.read(p)));
    if (files) {
      certs = { keyCert: await ctx.services.inputs!.read(files.keyCert), deviceCert: await ctx.services.inputs!.read(files.deviceCert) };
    } else if (ctx.services.tokens?.attestation) {
      certs = await ctx.services.tokens.attestation(token, { label: generated.label, idHex: generated.idHex }, ctx.pin(ctx.keySpec(keyId).token));
      source = 'token';
    }
    if (!certs)
      problem = `no attestation for key "${keyId}": the script names no files for it and token "${token.label}" does not expose attestation certificates`;
  } catch (e) {
    if (!(e instanceof KeyceremonyError)) throw e;
    problem = `the attestation for key "${keyId}" could not be read: ${e.message}`;
  }
  let report: AttestationReport | undefined;
  if (certs && !problem) {
    try {
      report = await assertAttestation({ ...certs, ...(roots ? { roots } : {}), expectPublicKeySpki: generated.publicKeySpki, now: ctx.clock.now() });
    } catch (e) {
      if (!(e instanceof KeyceremonyError)) throw e;
      problem = `the attestation for key "${keyId}" does not verify: ${e.message}`;
    }
  }
  const tokenField = { label: token.label, ...(token.serial ? { serial: token.serial } : {}) };
  if (report && certs) {
    const dir = `${ATTESTATION_DIR}/${keyId}`;
    const outputs = [
      {
        path: `${dir}/${KEY_CERT}`,
        sha256: await ctx.writeOutput(`${dir}/${KEY_CERT}`, new TextEncoder().encode(pemAll(certs.keyCert, 'key certificate')), 'attestation-key-certificate'),
      },
      {
        path: `${dir}/${DEVICE_CERT}`,
        sha256: await ctx.writeOutput(
          `${dir}/${DEVICE_CERT}`,
          new TextEncoder().encode(pemAll(certs.deviceCert, 'device certificate')),
          'attestation-device-certificate',
        ),
      },
    ];
    if (roots) {
      const text = roots.map((r) => pemAll(r, 'root file')).join('');
      outputs.push({ path: `${dir}/${ROOTS}`, sha256: await ctx.writeOutput(`${dir}/${ROOTS}`, new TextEncoder().encode(text), 'attestation-roots') });
    }
    return {
      report,
      shown: [`    attested    ${attestationSummary(report)}`],
      entries: [
        {
          event: 'key-attested',
          token: tokenField,
          keys: [input.transcriptKey],
          outputs,
          facts: attestationFacts(report, source),
          ...(report.notes.length ? { note: report.notes.join(' ') } : {}),
        },
      ],
    };
  }
  const reason = problem as string;
  const base: TranscriptBody = { event: 'key-attestation-failed', token: tokenField, keys: [input.transcriptKey], facts: { required, source } };
  if (!required) return { shown: [`    attestation NOT VERIFIED (not required by the script): ${reason}`], entries: [{ ...base, note: reason }] };
  if (ctx.rehearsal)
    return { shown: [`    attestation NOT VERIFIED (rehearsal: warning only): ${reason}`], entries: [{ ...base, note: `REHEARSAL warning: ${reason}` }] };
  const check = { id: `attestation:${keyId}`, status: 'fail' as const, summary: reason };
  const d: Deviation | null = await ctx.prompter.deviation({ step: ctx.step.id, check, administrator: ctx.administrator() });
  if (!d || d.justification.trim().length < 10) {
    throw new KeyceremonyError(
      'ATTESTATION_INVALID',
      `Key "${keyId}" needs a valid hardware attestation: ${reason}. Provide it, or the administrator records a justified deviation (at least 10 characters).`,
      {
        where: `step ${ctx.step.id} key ${keyId}`,
      },
    );
  }
  return { shown: [`    attestation NOT VERIFIED — deviation recorded by ${d.by}: ${reason}`], entries: [{ ...base, note: reason, deviations: [d] }] };
}

export interface AttestationRecheck {
  key: string;
  vendor: string;
  serial: number | null;
  root: string;
  rootSource: 'bundled' | 'given';
}

/**
 * Re-verify every `key-attested` transcript entry of a bundle against the certificates it carries:
 * the chain (at the time of the entry), the attested key (= the manifest's key) and the recorded facts.
 */
export async function recheckAttestations(
  entries: readonly TranscriptEntry[],
  read: (path: string) => Promise<Uint8Array | null>,
  keyFingerprint: (id: string) => string | undefined,
): Promise<{ problems: string[]; attested: AttestationRecheck[] }> {
  const problems: string[] = [];
  const attested: AttestationRecheck[] = [];
  for (const e of entries) {
    if (e.event !== 'key-attested') continue;
    const keyId = e.keys?.[0]?.id ?? '?';
    const out = (name: string) => e.outputs?.find((o) => o.path.endsWith(`/${name}`))?.path;
    const kp = out(KEY_CERT);
    const dp = out(DEVICE_CERT);
    const rp = out(ROOTS);
    const f = e.facts ?? {};
    if (!kp || !dp) {
      problems.push(`key ${keyId}: the attestation entry names no certificate files`);
      continue;
    }
    const [keyCert, deviceCert, rootsPem] = await Promise.all([read(kp), read(dp), rp ? read(rp) : Promise.resolve(null)]);
    if (!keyCert || !deviceCert || (rp && !rootsPem)) {
      problems.push(`key ${keyId}: attestation certificates missing from the bundle`);
      continue;
    }
    if (f.rootSource === 'given' && !rootsPem) {
      problems.push(`key ${keyId}: the attestation was checked against roots given by the script, but they are not in the bundle`);
      continue;
    }
    let r: AttestationReport;
    try {
      r = await assertAttestation({ keyCert, deviceCert, ...(f.rootSource === 'given' && rootsPem ? { roots: [rootsPem] } : {}), now: new Date(e.time) });
    } catch (err) {
      problems.push(`${kp}: the attestation does not verify: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const fp = keyFingerprint(keyId);
    if (fp !== r.publicKeySha256) problems.push(`key ${keyId}: the attested key (sha256 ${r.publicKeySha256.slice(0, 16)}…) is not the manifest's key`);
    const want: [string, unknown][] = [
      ['serial', r.serial ?? undefined],
      ['firmware', r.firmware ?? undefined],
      ['slot', r.slot ?? undefined],
      ['pinPolicy', r.pinPolicy ?? undefined],
      ['touchPolicy', r.touchPolicy ?? undefined],
      ['rootSha256', r.rootSha256],
      ['publicKeySha256', r.publicKeySha256],
    ];
    for (const [k, v] of want) if (f[k] !== v) problems.push(`key ${keyId}: the transcript says ${k} ${String(f[k])}, the attestation says ${String(v)}`);
    attested.push({ key: keyId, vendor: r.vendor, serial: r.serial, root: r.root, rootSource: r.rootSource });
  }
  return { problems, attested };
}

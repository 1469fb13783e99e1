/**
 * TUF step kinds, all through the injected TufService (electron/core/tuf behind an adapter):
 *   tuf-repository     first root (n root keys, threshold t) + online keys + first signed metadata
 *                      (flavor "notary" makes a Notary v1 / DCT repository for a GUN)
 *   tuf-root-rotation  root N+1 with new root keys, signed by the old and the new threshold
 *   tuf-delegation     a delegated targets role for a release team's key(s)
 */
import { KeyceremonyError } from '../../../../shared/errors';
import { sha256Hex } from '../../../../shared/crypto/webcrypto';
import { fromBase64 } from '../../../../shared/encoding/bytes';
import type { StepContext, StepKind, StepOutcome } from '../engine';
import type { CeremonyScript, OutputFile, PublicKeyRef } from '../types';
import { pInt, pKeyList, pString, pUnknown, type ValidationIssue } from '../validate';

const DAY = 86400_000;
const ROLES = ['targets', 'snapshot', 'timestamp'] as const;

function expiresIn(ctx: StepContext, days: number): string {
  return new Date(ctx.clock.now().getTime() + days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function pubRef(ctx: StepContext, keyId: string): PublicKeyRef {
  const rec = ctx.state.keys[keyId];
  if (!rec) throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${keyId}" must be generated before this step.`, { where: `step ${ctx.step.id}` });
  return { keyId, keyType: rec.keyType, publicKeySpki: fromBase64(rec.spkiB64) };
}

function validateExpiry(params: Record<string, unknown>, path: string, out: ValidationIssue[], roles: readonly string[]): void {
  const e = params.expiresInDays;
  if (e === undefined) return;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) {
    out.push({ path: `${path}.expiresInDays`, message: 'must be an object of role -> days' });
    return;
  }
  for (const k of Object.keys(e)) {
    if (!roles.includes(k)) out.push({ path: `${path}.expiresInDays.${k}`, message: `unknown role (allowed: ${roles.join(', ')})` });
    else pInt(e as Record<string, unknown>, k, `${path}.expiresInDays`, out, 1, 36500);
  }
}

async function writeFiles(ctx: StepContext, files: OutputFile[]) {
  const outputs = [];
  for (const f of files) {
    const name = ctx.rehearsal ? f.path.replace(/([^/]+)$/, 'REHEARSAL-$1') : f.path;
    outputs.push({ path: name, sha256: await ctx.writeOutput(name, f.bytes, f.kind) });
  }
  return outputs;
}

async function outcome(ctx: StepContext, event: string, r: { files: OutputFile[]; keyIds: Record<string, string>; summary: string }, signedWith: string[]): Promise<StepOutcome> {
  const outputs = await writeFiles(ctx, r.files);
  const payload = r.files[0] ? await sha256Hex(r.files[0].bytes) : undefined;
  return {
    summary: r.summary,
    entries: [
      {
        event,
        mechanism: 'TUF metadata signed on token',
        ...(payload ? { payloadSha256: payload } : {}),
        outputs,
        facts: { signedWith: signedWith.join(', '), ...Object.fromEntries(Object.entries(r.keyIds).map(([k, v]) => [`tufKeyId.${k}`, v])) },
      },
    ],
    shown: [`  ${r.summary}`, ...outputs.map((o) => `    ${o.path} sha256 ${o.sha256}`), ...Object.entries(r.keyIds).map(([k, v]) => `    TUF keyid of ${k}: ${v}`)],
  };
}

export const tufRepositoryKind: StepKind = {
  kind: 'tuf-repository',
  phase: 'signing',
  summary: 'Create a TUF (or Notary) repository: root, online keys and first signed metadata',
  needs: ['tokens', 'tuf'],
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    pUnknown(params, ['rootKeys', 'rootThreshold', 'online', 'expiresInDays', 'consistentSnapshot', 'flavor', 'gun'], path, out);
    const roots = pKeyList(params, 'rootKeys', script, path, out);
    const t = pInt(params, 'rootThreshold', path, out, 1, 64);
    if (t !== undefined && roots.length && t > roots.length) out.push({ path: `${path}.rootThreshold`, message: `threshold ${t} is more than the ${roots.length} root keys` });
    const online = params.online;
    if (typeof online !== 'object' || online === null || Array.isArray(online)) out.push({ path: `${path}.online`, message: 'must be an object {targets, snapshot, timestamp} of key id lists' });
    else {
      for (const r of ROLES) pKeyList(online as Record<string, unknown>, r, script, `${path}.online`, out);
      pUnknown(online as Record<string, unknown>, [...ROLES], `${path}.online`, out);
    }
    validateExpiry(params, path, out, ['root', ...ROLES]);
    if (params.consistentSnapshot !== undefined && typeof params.consistentSnapshot !== 'boolean') out.push({ path: `${path}.consistentSnapshot`, message: 'must be true or false' });
    if (params.flavor !== undefined && params.flavor !== 'tuf' && params.flavor !== 'notary') out.push({ path: `${path}.flavor`, message: 'must be "tuf" or "notary"' });
    if (params.flavor === 'notary') pString(params, 'gun', path, out);
    return out;
  },
  async run(ctx) {
    const p = ctx.params as {
      rootKeys: string[];
      rootThreshold: number;
      online: Record<(typeof ROLES)[number], string[]>;
      expiresInDays?: Record<string, number>;
      consistentSnapshot?: boolean;
      flavor?: 'tuf' | 'notary';
      gun?: string;
    };
    const days = { root: 365, targets: 90, snapshot: 7, timestamp: 1, ...(p.expiresInDays ?? {}) };
    const all = [...new Set([...p.rootKeys, ...ROLES.flatMap((r) => p.online[r])])];
    const r = await ctx.withSigners(all, (signers) =>
      ctx.services.tuf!.createRepository({
        rootKeys: p.rootKeys.map((k) => pubRef(ctx, k)),
        rootThreshold: p.rootThreshold,
        onlineKeys: { targets: p.online.targets.map((k) => pubRef(ctx, k)), snapshot: p.online.snapshot.map((k) => pubRef(ctx, k)), timestamp: p.online.timestamp.map((k) => pubRef(ctx, k)) },
        expires: { root: expiresIn(ctx, days.root), targets: expiresIn(ctx, days.targets), snapshot: expiresIn(ctx, days.snapshot), timestamp: expiresIn(ctx, days.timestamp) },
        consistentSnapshot: p.consistentSnapshot ?? true,
        flavor: p.flavor ?? 'tuf',
        ...(p.gun ? { gun: p.gun } : {}),
        signers,
      }),
    );
    return outcome(ctx, p.flavor === 'notary' ? 'notary-repository-created' : 'tuf-repository-created', r, all);
  },
};

export const tufRootRotationKind: StepKind = {
  kind: 'tuf-root-rotation',
  phase: 'signing',
  summary: 'Rotate TUF root keys: root N+1 signed by the old and the new root keys',
  needs: ['tokens', 'tuf'],
  validate(params, script: CeremonyScript, path) {
    const out: ValidationIssue[] = [];
    pUnknown(params, ['previousRoot', 'oldRootKeys', 'newRootKeys', 'rootThreshold', 'expiresInDays'], path, out);
    pString(params, 'previousRoot', path, out);
    pKeyList(params, 'oldRootKeys', script, path, out);
    const nk = pKeyList(params, 'newRootKeys', script, path, out);
    const t = pInt(params, 'rootThreshold', path, out, 1, 64);
    if (t !== undefined && nk.length && t > nk.length) out.push({ path: `${path}.rootThreshold`, message: `threshold ${t} is more than the ${nk.length} new root keys` });
    validateExpiry(params, path, out, ['root']);
    return out;
  },
  async run(ctx) {
    const p = ctx.params as { previousRoot: string; oldRootKeys: string[]; newRootKeys: string[]; rootThreshold: number; expiresInDays?: { root?: number } };
    const inputs = ctx.services.inputs;
    if (!inputs) throw new KeyceremonyError('PRECONDITION_FAILED', 'No input files are available to read the previous root.', { where: `step ${ctx.step.id}` });
    const previousRoot = await inputs.read(p.previousRoot);
    const all = [...new Set([...p.oldRootKeys, ...p.newRootKeys])];
    const r = await ctx.withSigners(all, (signers) =>
      ctx.services.tuf!.rotateRoot({
        previousRoot,
        newRootKeys: p.newRootKeys.map((k) => pubRef(ctx, k)),
        rootThreshold: p.rootThreshold,
        expires: expiresIn(ctx, p.expiresInDays?.root ?? 365),
        signers,
      }),
    );
    return outcome(ctx, 'tuf-root-rotated', r, all);
  },
};

export const tufDelegationKind: StepKind = {
  kind: 'tuf-delegation',
  phase: 'signing',
  summary: 'Delegate a targets role to a release team key',
  needs: ['tokens', 'tuf'],
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    pUnknown(params, ['targets', 'targetsKeys', 'role', 'paths', 'keys', 'threshold', 'expiresInDays'], path, out);
    pString(params, 'targets', path, out);
    pKeyList(params, 'targetsKeys', script, path, out);
    pString(params, 'role', path, out);
    const ks = pKeyList(params, 'keys', script, path, out);
    const t = pInt(params, 'threshold', path, out, 1, 64);
    if (t !== undefined && ks.length && t > ks.length) out.push({ path: `${path}.threshold`, message: `threshold ${t} is more than the ${ks.length} keys` });
    if (!Array.isArray(params.paths) || params.paths.length === 0 || params.paths.some((x) => typeof x !== 'string'))
      out.push({ path: `${path}.paths`, message: 'must be a non-empty array of path patterns' });
    validateExpiry(params, path, out, ['targets']);
    return out;
  },
  async run(ctx) {
    const p = ctx.params as { targets: string; targetsKeys: string[]; role: string; paths: string[]; keys: string[]; threshold: number; expiresInDays?: { targets?: number } };
    const inputs = ctx.services.inputs;
    if (!inputs) throw new KeyceremonyError('PRECONDITION_FAILED', 'No input files are available to read the targets metadata.', { where: `step ${ctx.step.id}` });
    const targets = await inputs.read(p.targets);
    const r = await ctx.withSigners(p.targetsKeys, (signers) =>
      ctx.services.tuf!.delegate({
        targets,
        role: p.role,
        paths: p.paths,
        keys: p.keys.map((k) => pubRef(ctx, k)),
        threshold: p.threshold,
        expires: expiresIn(ctx, p.expiresInDays?.targets ?? 365),
        signers,
      }),
    );
    return outcome(ctx, 'tuf-delegation-created', r, p.targetsKeys);
  },
};

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
import { arr, bool, obj, oneOf, opt, str, type Infer } from '../../../../shared/schema';
import { expiresInDays, fileBeside, idList, keyRefs, renewalWindowDays, threshold, thresholdAtMost, type ValidationIssue } from '../validate';
import { metadataDeadlines } from '../../lifecycle/deadlines';
import type { RenewalSettings } from '../../lifecycle/expiry';

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

async function writeFiles(ctx: StepContext, files: OutputFile[]) {
  const outputs = [];
  for (const f of files) {
    const name = ctx.rehearsal ? f.path.replace(/([^/]+)$/, 'REHEARSAL-$1') : f.path;
    outputs.push({ path: name, sha256: await ctx.writeOutput(name, f.bytes, f.kind) });
  }
  return outputs;
}

async function outcome(
  ctx: StepContext,
  event: string,
  r: { files: OutputFile[]; keyIds: Record<string, string>; summary: string },
  signedWith: string[],
  settings?: RenewalSettings,
): Promise<StepOutcome> {
  const outputs = await writeFiles(ctx, r.files);
  const payload = r.files[0] ? await sha256Hex(r.files[0].bytes) : undefined;
  // the next renewal deadlines of what was just signed, as `keyceremony expiry` shows them (issue 15)
  const due = metadataDeadlines(r.files, { now: ctx.clock.now().getTime(), ...(settings ? { settings } : {}) });
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
      ...(due.lines.length ? [{ event: 'renewal-deadlines', facts: due.facts }] : []),
    ],
    shown: [
      `  ${r.summary}`,
      ...outputs.map((o) => `    ${o.path} sha256 ${o.sha256}`),
      ...Object.entries(r.keyIds).map(([k, v]) => `    TUF keyid of ${k}: ${v}`),
      ...(due.lines.length ? ['  next renewal deadlines:', ...due.lines.map((l) => `    ${l}`)] : []),
    ],
  };
}

const repositoryParams = obj({
  rootKeys: idList(),
  rootThreshold: threshold(),
  online: obj({ targets: idList(), snapshot: idList(), timestamp: idList() }),
  expiresInDays: opt(expiresInDays(['root', ...ROLES])),
  renewalWindowDays: opt(renewalWindowDays()),
  consistentSnapshot: opt(bool),
  flavor: opt(oneOf(['tuf', 'notary'] as const)),
  gun: opt(str({ min: 1, max: 255 })),
});

export const tufRepositoryKind: StepKind<Infer<typeof repositoryParams>> = {
  kind: 'tuf-repository',
  phase: 'signing',
  summary: 'Create a TUF (or Notary) repository: root, online keys and first signed metadata',
  needs: ['tokens', 'tuf'],
  params: repositoryParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    keyRefs(params.rootKeys, script, `${path}.rootKeys`, out);
    thresholdAtMost(params.rootThreshold, params.rootKeys.length, 'root keys', `${path}.rootThreshold`, out);
    for (const r of ROLES) keyRefs(params.online[r], script, `${path}.online.${r}`, out);
    if (params.flavor === 'notary' && params.gun === undefined)
      out.push({ path: `${path}.gun`, message: 'a Notary repository ("flavor": "notary") needs its GUN' });
    return out;
  },
  async run(ctx) {
    const p = ctx.params;
    const days = { root: 365, targets: 90, snapshot: 7, timestamp: 1, ...(p.expiresInDays ?? {}) };
    const all = [...new Set([...p.rootKeys, ...ROLES.flatMap((r) => p.online[r])])];
    const r = await ctx.withSigners(all, (signers) =>
      ctx.services.tuf!.createRepository({
        rootKeys: p.rootKeys.map((k) => pubRef(ctx, k)),
        rootThreshold: p.rootThreshold,
        onlineKeys: {
          targets: p.online.targets.map((k) => pubRef(ctx, k)),
          snapshot: p.online.snapshot.map((k) => pubRef(ctx, k)),
          timestamp: p.online.timestamp.map((k) => pubRef(ctx, k)),
        },
        expires: {
          root: expiresIn(ctx, days.root),
          targets: expiresIn(ctx, days.targets),
          snapshot: expiresIn(ctx, days.snapshot),
          timestamp: expiresIn(ctx, days.timestamp),
        },
        consistentSnapshot: p.consistentSnapshot ?? true,
        flavor: p.flavor ?? 'tuf',
        ...(p.gun ? { gun: p.gun } : {}),
        signers,
      }),
    );
    return outcome(ctx, p.flavor === 'notary' ? 'notary-repository-created' : 'tuf-repository-created', r, all, p.renewalWindowDays);
  },
};

const rotationParams = obj({
  previousRoot: fileBeside('root.json beside the script'),
  oldRootKeys: idList(),
  newRootKeys: idList(),
  rootThreshold: threshold(),
  expiresInDays: opt(expiresInDays(['root'])),
  renewalWindowDays: opt(renewalWindowDays(['root'])),
});

export const tufRootRotationKind: StepKind<Infer<typeof rotationParams>> = {
  kind: 'tuf-root-rotation',
  phase: 'signing',
  summary: 'Rotate TUF root keys: root N+1 signed by the old and the new root keys',
  needs: ['tokens', 'tuf'],
  params: rotationParams,
  validate(params, script: CeremonyScript, path) {
    const out: ValidationIssue[] = [];
    keyRefs(params.oldRootKeys, script, `${path}.oldRootKeys`, out);
    keyRefs(params.newRootKeys, script, `${path}.newRootKeys`, out);
    thresholdAtMost(params.rootThreshold, params.newRootKeys.length, 'new root keys', `${path}.rootThreshold`, out);
    return out;
  },
  async run(ctx) {
    const p = ctx.params;
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
    return outcome(ctx, 'tuf-root-rotated', r, all, p.renewalWindowDays);
  },
};

const delegationParams = obj({
  targets: fileBeside('targets.json beside the script'),
  targetsKeys: idList(),
  role: str({ min: 1, max: 255 }),
  paths: arr(str({ min: 1, max: 1024 }), { min: 1 }),
  keys: idList(),
  threshold: threshold(),
  expiresInDays: opt(expiresInDays(['targets'])),
});

export const tufDelegationKind: StepKind<Infer<typeof delegationParams>> = {
  kind: 'tuf-delegation',
  phase: 'signing',
  summary: 'Delegate a targets role to a release team key',
  needs: ['tokens', 'tuf'],
  params: delegationParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    keyRefs(params.targetsKeys, script, `${path}.targetsKeys`, out);
    keyRefs(params.keys, script, `${path}.keys`, out);
    thresholdAtMost(params.threshold, params.keys.length, 'keys', `${path}.threshold`, out);
    return out;
  },
  async run(ctx) {
    const p = ctx.params;
    const inputs = ctx.services.inputs;
    if (!inputs)
      throw new KeyceremonyError('PRECONDITION_FAILED', 'No input files are available to read the targets metadata.', { where: `step ${ctx.step.id}` });
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

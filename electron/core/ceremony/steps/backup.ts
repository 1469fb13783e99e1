/**
 * backup: an m-of-n backup of a (backupable) key through the BackupService, then every share is
 * verified (each custodian gives their share back and the service checks it). The transcript
 * records share indexes, custodians and check values: never a share, the KEK or the key.
 */
import { KeyceremonyError } from '../../../../shared/errors';
import type { StepKind } from '../engine';
import { int, obj, type Infer } from '../../../../shared/schema';
import { idList, idSchema, keyRef, shareHolderRefs, thresholdAtMost, type ValidationIssue } from '../validate';

const backupParams = obj({
  key: idSchema,
  shares: int({ min: 2, max: 16 }),
  threshold: int({ min: 2, max: 16 }),
  custodians: idList('One custodian per share, in share order.', 2),
});

export const backupKind: StepKind<Infer<typeof backupParams>> = {
  kind: 'backup',
  phase: 'backup',
  summary: 'm-of-n backup of a key, every share verified',
  needs: ['tokens', 'backup'],
  params: backupParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    const { key, shares: n, threshold: t, custodians: c } = params;
    keyRef(key, script, `${path}.key`, out);
    shareHolderRefs(c, script, `${path}.custodians`, out);
    thresholdAtMost(t, n, 'shares', `${path}.threshold`, out);
    if (c.length !== n) out.push({ path: `${path}.custodians`, message: `lists ${c.length} custodians for ${n} shares` });
    const spec = Array.isArray(script.keys) ? script.keys.find((k) => k?.id === key) : undefined;
    if (spec && spec.profile !== 'backupable') out.push({ path: `${path}.key`, message: `key "${key}" must have "profile": "backupable" to be backed up` });
    return out;
  },
  async run(ctx) {
    const keyId = ctx.params.key;
    const rec = ctx.state.keys[keyId];
    if (!rec) throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${keyId}" must be generated before it is backed up.`, { where: `step ${ctx.step.id}` });
    const { shares, threshold, custodians } = ctx.params;
    const r = await ctx.services.backup!.backupKey({
      token: ctx.tokenRef(rec.token.id),
      key: { label: rec.label, idHex: rec.idHex, fingerprint: rec.fingerprint },
      pin: ctx.pin(rec.token.id),
      soPin: ctx.prompter.soPin(ctx.tokenSpec(rec.token.id)),
      shares,
      threshold,
      custodians,
      holders: custodians.map((id) => {
        const p = ctx.script.participants.find((x) => x.id === id);
        return p && p.name !== id ? `${p.name} (${id})` : id;
      }),
      sink: ctx.prompter.shareSink(),
    });
    const bad = r.receipts.filter((x) => !x.verified);
    if (bad.length || r.receipts.length !== shares) {
      throw new KeyceremonyError(
        'SHARE_INVALID',
        `${bad.length ? `Share(s) ${bad.map((b) => b.index).join(', ')} did not verify` : `${r.receipts.length} of ${shares} shares verified`}; the backup is not complete.`,
        {
          where: `step ${ctx.step.id}`,
        },
      );
    }
    const outputs = [];
    for (const f of r.files) {
      const name = ctx.rehearsal ? f.path.replace(/([^/]+)$/, 'REHEARSAL-$1') : f.path;
      outputs.push({ path: name, sha256: await ctx.writeOutput(name, f.bytes, f.kind) });
    }
    return {
      summary: `${threshold}-of-${shares} backup of ${keyId}, ${shares} shares verified`,
      entries: [
        {
          event: 'key-backed-up',
          token: { label: rec.token.label, ...(rec.token.serial ? { serial: rec.token.serial } : {}) },
          mechanism: r.mechanism,
          outputs,
          shares: r.receipts.map((x) => ({ index: x.index, custodian: x.custodian, checkValue: x.checkValue, verified: x.verified })),
          facts: { key: keyId, fingerprint: rec.fingerprint, threshold, shares },
        },
      ],
      shown: [
        `  ${threshold}-of-${shares} backup of ${keyId} (${rec.fingerprint.slice(0, 16)}…)`,
        ...r.receipts.map((x) => `    share ${x.index} → ${x.custodian}: check ${x.checkValue} verified`),
        ...outputs.map((o) => `    ${o.path} sha256 ${o.sha256}`),
      ],
    };
  },
};

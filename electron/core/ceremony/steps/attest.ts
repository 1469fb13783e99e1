/**
 * attest: verify the hardware attestation of keys already recorded in this ceremony — made by an
 * earlier keygen step, or found by keys-present (a custodian who generated the key with
 * `ykman piv keys generate` before the ceremony). Same rules as keygen's `attestation` parameter
 * (../attestation.ts): files beside the script or read from the token, the attested key must be the
 * recorded key, facts to the transcript, certificates to attestations/<key>/, production deviations.
 */
import { fromBase64 } from '../../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../../shared/errors';
import { annotate, obj, type Infer } from '../../../../shared/schema';
import { attestGeneratedKey, attestationMembers, validateAttestationParam, type AttestationParam } from '../attestation';
import type { StepKind } from '../engine';
import { transcriptKey } from '../engine';
import { idList, keyRefs, type ValidationIssue } from '../validate';

const attestParams = annotate(obj({ keys: idList('Keys already generated (keygen) or found (keys-present) in this ceremony.'), ...attestationMembers }), {
  description:
    "Verify the hardware attestation of keys already recorded (e.g. generated with ykman before the ceremony and found by keys-present). Same rules as keygen's attestation parameter.",
});

export const attestKind: StepKind<Infer<typeof attestParams>> = {
  kind: 'attest',
  phase: 'keygen',
  summary: 'Verify the hardware attestation of keys',
  needs: ['tokens'],
  params: attestParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    keyRefs(params.keys, script, `${path}.keys`, out);
    out.push(...validateAttestationParam({ files: params.files }, params.keys, path));
    return out;
  },
  async run(ctx) {
    const { keys, ...rest } = ctx.params;
    const param: AttestationParam = rest;
    const entries = [];
    const shown: string[] = [];
    let ok = 0;
    for (const keyId of keys) {
      const rec = ctx.state.keys[keyId];
      if (!rec)
        throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${keyId}" must be generated or found before it can be attested.`, { where: `step ${ctx.step.id}` });
      const ref = ctx.tokenRef(rec.token.id);
      shown.push(`  ${keyId} on ${ref.label}: ${rec.fingerprint}`);
      const a = await attestGeneratedKey(ctx, {
        keyId,
        token: ref,
        generated: {
          label: rec.label,
          idHex: rec.idHex,
          keyType: rec.keyType,
          publicKeySpki: fromBase64(rec.spkiB64),
          fingerprint: rec.fingerprint,
          created: false,
          mechanism: 'existing',
        },
        transcriptKey: transcriptKey(rec),
        param,
      });
      shown.push(...a.shown);
      entries.push(...a.entries);
      if (a.report) ok++;
    }
    return { summary: `${ok} of ${keys.length} key(s) attested`, entries, shown };
  },
};

/**
 * attest: verify the hardware attestation of keys already recorded in this ceremony — made by an
 * earlier keygen step, or found by keys-present (a custodian who generated the key with
 * `ykman piv keys generate` before the ceremony). Same rules as keygen's `attestation` parameter
 * (../attestation.ts): files beside the script or read from the token, the attested key must be the
 * recorded key, facts to the transcript, certificates to attestations/<key>/, production deviations.
 */
import { fromBase64 } from '../../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../../shared/errors';
import { attestGeneratedKey, validateAttestationParam, type AttestationParam } from '../attestation';
import type { StepKind } from '../engine';
import { transcriptKey } from '../engine';
import { pKeyList, pUnknown, type ValidationIssue } from '../validate';

export const attestKind: StepKind = {
  kind: 'attest',
  phase: 'keygen',
  summary: 'Verify the hardware attestation of keys',
  needs: ['tokens'],
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    pUnknown(params, ['keys', 'required', 'files', 'roots'], path, out);
    pKeyList(params, 'keys', script, path, out);
    const { keys: _keys, ...rest } = params;
    out.push(...validateAttestationParam(rest, params.keys, script, path));
    return out;
  },
  async run(ctx) {
    const { keys, ...rest } = ctx.params as unknown as { keys: string[] } & AttestationParam;
    const param: AttestationParam = rest;
    const entries = [];
    const shown: string[] = [];
    let ok = 0;
    for (const keyId of keys) {
      const rec = ctx.state.keys[keyId];
      if (!rec) throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${keyId}" must be generated or found before it can be attested.`, { where: `step ${ctx.step.id}` });
      const ref = ctx.tokenRef(rec.token.id);
      shown.push(`  ${keyId} on ${ref.label}: ${rec.fingerprint}`);
      const a = await attestGeneratedKey(ctx, {
        keyId,
        token: ref,
        generated: { label: rec.label, idHex: rec.idHex, keyType: rec.keyType, publicKeySpki: fromBase64(rec.spkiB64), fingerprint: rec.fingerprint, created: false, mechanism: 'existing' },
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

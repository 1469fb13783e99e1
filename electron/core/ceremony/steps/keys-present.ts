/**
 * keys-present: find keys made by an earlier ceremony (by label on their token) and record them,
 * e.g. the current root keys before a rotation. Fingerprints are shown for comparison.
 */
import { toBase64 } from '../../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../../shared/errors';
import { fingerprintWords } from '../../../../shared/pgp-words';
import type { StepKind } from '../engine';
import { transcriptKey } from '../engine';
import { keysParams, validateKeysParam } from '../validate';

export const keysPresentKind: StepKind<{ keys: string[] }> = {
  kind: 'keys-present',
  phase: 'check-in',
  summary: 'Find existing keys on their tokens',
  needs: ['tokens'],
  params: keysParams,
  validate: (params, script, path) => validateKeysParam(params, script, path),
  async run(ctx) {
    const entries = [];
    const shown: string[] = [];
    for (const keyId of ctx.params.keys) {
      const spec = ctx.keySpec(keyId);
      const ref = ctx.tokenRef(spec.token);
      const k = await ctx.services.tokens!.findKey(ref, { label: spec.label }, ctx.pin(spec.token));
      if (!k) throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${spec.label}" is not on token "${ref.label}".`, { where: `key ${keyId}` });
      if (k.keyType !== spec.keyType)
        throw new KeyceremonyError('KEY_UNUSABLE', `Key "${spec.label}" is ${k.keyType}, the script says ${spec.keyType}.`, { where: `key ${keyId}` });
      const rec = {
        id: keyId,
        label: k.label,
        idHex: k.idHex,
        keyType: k.keyType,
        token: { id: spec.token, label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) },
        spkiB64: toBase64(k.publicKeySpki),
        fingerprint: k.fingerprint,
        ...(spec.purpose ? { purpose: spec.purpose } : {}),
      };
      ctx.recordKey(rec);
      shown.push(`  ${keyId} on ${ref.label}: ${k.fingerprint}`, `    ${fingerprintWords(k.fingerprint)}`);
      entries.push({ event: 'key-found', token: { label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) }, keys: [transcriptKey(rec)] });
    }
    return { summary: `${entries.length} existing key(s) found`, entries, shown };
  },
};

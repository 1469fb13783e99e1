/**
 * keygen: generate the script's keys on their tokens. Idempotent: the CKA_ID is derived from the
 * run id and the key id, so a re-run after a crash finds the key it made (created=false) instead
 * of making a second one; a duplicate on the token stops the ceremony.
 */
import { defaultSignatureAlgorithm } from '../../../../shared/crypto/algorithms';
import { sha256Hex } from '../../../../shared/crypto/webcrypto';
import { pemEncode, toBase64 } from '../../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../../shared/errors';
import { fingerprintWords } from '../../../../shared/pgp-words';
import type { StepKind } from '../engine';
import { transcriptKey } from '../engine';
import { validateKeysParam } from '../validate';

export const keygenKind: StepKind = {
  kind: 'keygen',
  phase: 'keygen',
  summary: 'Generate keys on tokens',
  needs: ['tokens'],
  validate: (params, script, path) => validateKeysParam(params, script, path),
  async run(ctx) {
    const tokens = ctx.services.tokens!;
    const entries = [];
    const shown: string[] = [];
    for (const keyId of ctx.params.keys as string[]) {
      const spec = ctx.keySpec(keyId);
      const idHex = await ctx.keyIdHex(keyId);
      const ref = ctx.tokenRef(spec.token);
      const pin = ctx.pin(spec.token);
      const g = await tokens.generateKey(ref, { label: spec.label, idHex, keyType: spec.keyType, profile: spec.profile ?? 'non-extractable' }, pin);
      if ((await sha256Hex(g.publicKeySpki)) !== g.fingerprint) {
        throw new KeyceremonyError('INVALID_KEY', `The token returned a public key whose fingerprint does not match for key "${keyId}".`, { where: `key ${keyId}` });
      }
      const n = await tokens.countKeys(ref, { label: spec.label }, pin);
      if (n !== 1) throw new KeyceremonyError('KEY_AMBIGUOUS', `Token "${ref.label}" holds ${n} keys labelled "${spec.label}"; expected exactly one.`, { where: `key ${keyId}` });
      const rec = {
        id: keyId,
        label: spec.label,
        idHex: g.idHex,
        keyType: spec.keyType,
        token: { id: spec.token, label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) },
        spkiB64: toBase64(g.publicKeySpki),
        fingerprint: g.fingerprint,
        ...(spec.purpose ? { purpose: spec.purpose } : {}),
      };
      ctx.recordKey(rec);
      const pemPath = `keys/${ctx.rehearsal ? 'REHEARSAL-' : ''}${keyId}.pub.pem`;
      const pemSha = await ctx.writeOutput(pemPath, new TextEncoder().encode(pemEncode('PUBLIC KEY', g.publicKeySpki)), 'public-key');
      shown.push(`  ${keyId} on ${ref.label} (serial ${ref.serial ?? '?'}): ${spec.keyType}${g.created ? '' : ' (found: made by the interrupted attempt)'}`);
      shown.push(`    fingerprint ${g.fingerprint}`);
      shown.push(`    words       ${fingerprintWords(g.fingerprint)}`);
      entries.push({
        event: 'key-generated',
        token: { label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) },
        mechanism: `${g.mechanism}; signs with ${defaultSignatureAlgorithm(spec.keyType)}`,
        keys: [transcriptKey(rec)],
        outputs: [{ path: pemPath, sha256: pemSha }],
        facts: { created: g.created, profile: spec.profile ?? 'non-extractable' },
      });
    }
    return { summary: `${entries.length} key(s) on token`, entries, shown };
  },
};

/**
 * keygen: generate the script's keys on their tokens. Idempotent: the CKA_ID is derived from the
 * run id and the key id, so a re-run after a crash finds the key it made (created=false) instead
 * of making a second one; a duplicate on the token stops the ceremony. With `attestation`, each key
 * must also be proven generated inside genuine hardware (../attestation.ts).
 */
import { defaultSignatureAlgorithm } from '../../../../shared/crypto/algorithms';
import { sha256Hex } from '../../../../shared/crypto/webcrypto';
import { pemEncode, toBase64 } from '../../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../../shared/errors';
import { fingerprintWords } from '../../../../shared/pgp-words';
import type { StepKind } from '../engine';
import { transcriptKey } from '../engine';
import { obj, opt, type Infer } from '../../../../shared/schema';
import { attestGeneratedKey, attestationParam, keysToAttest, validateAttestationParam } from '../attestation';
import { idList, keyRefs, type ValidationIssue } from '../validate';

const keygenParams = obj({ keys: idList(), attestation: opt(attestationParam) });
import { keyName, publicKeyPath } from '../bundle';

export const keygenKind: StepKind<Infer<typeof keygenParams>> = {
  kind: 'keygen',
  phase: 'keygen',
  summary: 'Generate keys on tokens',
  needs: ['tokens'],
  params: keygenParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    keyRefs(params.keys, script, `${path}.keys`, out);
    if (params.attestation) out.push(...validateAttestationParam(params.attestation, params.keys, `${path}.attestation`));
    return out;
  },
  async run(ctx) {
    const tokens = ctx.services.tokens!;
    const entries = [];
    const shown: string[] = [];
    const attestation = ctx.params.attestation;
    const toAttest = keysToAttest(attestation, ctx.params.keys);
    let attested = 0;
    for (const keyId of ctx.params.keys) {
      const spec = ctx.keySpec(keyId);
      const idHex = await ctx.keyIdHex(keyId);
      const ref = ctx.tokenRef(spec.token);
      const pin = ctx.pin(spec.token);
      const g = await tokens.generateKey(
        ref,
        { label: spec.label, idHex, keyType: spec.keyType, profile: spec.profile ?? 'non-extractable', ...(spec.slot ? { slot: spec.slot } : {}) },
        pin,
        ctx.prompter.soPin(ctx.tokenSpec(spec.token)),
      );
      if ((await sha256Hex(g.publicKeySpki)) !== g.fingerprint) {
        throw new KeyceremonyError('INVALID_KEY', `The token returned a public key whose fingerprint does not match for key "${keyId}".`, {
          where: `key ${keyId}`,
        });
      }
      // the label the token gave the key (a YubiKey names slot keys itself) is the one to count
      const n = await tokens.countKeys(ref, { label: g.label }, pin);
      if (n !== 1)
        throw new KeyceremonyError('KEY_AMBIGUOUS', `Token "${ref.label}" holds ${n} keys labelled "${g.label}"; expected exactly one.`, {
          where: `key ${keyId}`,
        });
      const rec = {
        id: keyId,
        label: g.label,
        idHex: g.idHex,
        keyType: spec.keyType,
        token: { id: spec.token, label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) },
        spkiB64: toBase64(g.publicKeySpki),
        fingerprint: g.fingerprint,
        ...(spec.purpose ? { purpose: spec.purpose } : {}),
      };
      ctx.recordKey(rec);
      const pemPath = publicKeyPath(keyName(keyId, ctx.rehearsal));
      const pemSha = await ctx.writeOutput(pemPath, new TextEncoder().encode(pemEncode('PUBLIC KEY', g.publicKeySpki)), 'public-key');
      shown.push(`  ${keyId} on ${ref.label} (serial ${ref.serial ?? '?'}): ${spec.keyType}${g.created ? '' : ' (found: made by the interrupted attempt)'}`);
      for (const r of g.removedIncomplete ?? []) shown.push(`    removed first (left by the interrupted attempt): ${r}`);
      shown.push(`    fingerprint ${g.fingerprint}`);
      shown.push(`    words       ${fingerprintWords(g.fingerprint)}`);
      entries.push({
        event: 'key-generated',
        token: { label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) },
        mechanism: `${g.mechanism}; signs with ${defaultSignatureAlgorithm(spec.keyType)}`,
        keys: [transcriptKey(rec)],
        outputs: [{ path: pemPath, sha256: pemSha }],
        facts: {
          created: g.created,
          profile: spec.profile ?? 'non-extractable',
          ...(g.removedIncomplete?.length ? { removedIncompleteObjects: g.removedIncomplete.length, removedIncomplete: g.removedIncomplete.join('; ') } : {}),
        },
      });
      if (attestation && toAttest.includes(keyId)) {
        const a = await attestGeneratedKey(ctx, { keyId, token: ref, generated: g, transcriptKey: transcriptKey(rec), param: attestation });
        shown.push(...a.shown);
        entries.push(...a.entries);
        if (a.report) attested++;
      }
    }
    const keys = entries.filter((e) => e.event === 'key-generated').length;
    return { summary: `${keys} key(s) on token${toAttest.length ? `, ${attested} of ${toAttest.length} attested` : ''}`, entries, shown };
  },
};

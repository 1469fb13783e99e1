/**
 * restore (recovery ceremony): custodians bring threshold shares; the BackupService rebuilds the
 * key onto a new token from the backup file. The restored key must have the fingerprint recorded
 * by the original ceremony (params.expectFingerprint).
 */
import { fromUtf8, pemEncode, toBase64, utf8 } from '../../../../shared/encoding/bytes';
import { parseBackup } from '../../backup';
import type { GeneratedKey } from '../types';
import { KeyceremonyError } from '../../../../shared/errors';
import { fingerprintWords } from '../../../../shared/pgp-words';
import type { StepKind } from '../engine';
import { transcriptKey } from '../engine';
import { obj, opt, str, type Infer } from '../../../../shared/schema';
import { fileBeside, idList, idSchema, keyRef, shareHolderRefs, type ValidationIssue } from '../validate';

const restoreParams = obj({
  backupFile: fileBeside('The backup file (backup.json) beside the script.'),
  key: idSchema,
  custodians: idList('The custodians who bring their shares.'),
  expectFingerprint: opt(str({ max: 64, pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 fingerprint (64 lower-case hex digits)' })),
});
import { keyName, publicKeyPath } from '../bundle';

export const restoreKind: StepKind<Infer<typeof restoreParams>> = {
  kind: 'restore',
  phase: 'backup',
  summary: 'Restore a key from an m-of-n backup onto a token',
  needs: ['tokens', 'backup'],
  params: restoreParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    keyRef(params.key, script, `${path}.key`, out);
    shareHolderRefs(params.custodians, script, `${path}.custodians`, out);
    return out;
  },
  async run(ctx) {
    const p = ctx.params;
    const backup = ctx.services.backup!;
    if (!backup.restoreKey) throw new KeyceremonyError('PRECONDITION_FAILED', 'This build cannot restore from a backup.', { where: `step ${ctx.step.id}` });
    if (!ctx.services.inputs)
      throw new KeyceremonyError('PRECONDITION_FAILED', 'No input files are available to read the backup file.', { where: `step ${ctx.step.id}` });
    const spec = ctx.keySpec(p.key);
    const ref = ctx.tokenRef(spec.token);
    const file = await ctx.services.inputs.read(p.backupFile);
    // A step that runs again (the app stopped after the key was unwrapped, before the step was
    // recorded) finds the restored key instead of asking for the shares again.
    let found: GeneratedKey | null = null;
    if (ctx.attempt > 1 && ctx.services.tokens) {
      const b = await parseBackup(fromUtf8(file));
      const k = await ctx.services.tokens.findKey(ref, { label: b.key.label, idHex: b.key.id }, ctx.pin(spec.token));
      if (k && k.fingerprint === b.key.fingerprint) found = k;
    }
    const r = found
      ? { key: found, receipts: [] }
      : await backup.restoreKey({ backupFile: file, token: ref, pin: ctx.pin(spec.token), custodians: p.custodians, sink: ctx.prompter.shareSink() });
    if (p.expectFingerprint && r.key.fingerprint !== p.expectFingerprint) {
      throw new KeyceremonyError(
        'KEK_MISMATCH',
        `The restored key's fingerprint ${r.key.fingerprint.slice(0, 16)}… is not the expected ${p.expectFingerprint.slice(0, 16)}….`,
        { where: `step ${ctx.step.id}` },
      );
    }
    const rec = {
      id: p.key,
      label: r.key.label,
      idHex: r.key.idHex,
      keyType: r.key.keyType,
      token: { id: spec.token, label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) },
      spkiB64: toBase64(r.key.publicKeySpki),
      fingerprint: r.key.fingerprint,
    };
    ctx.recordKey(rec);
    const pemPath = publicKeyPath(keyName(p.key, ctx.rehearsal));
    const sha = await ctx.writeOutput(pemPath, utf8(pemEncode('PUBLIC KEY', r.key.publicKeySpki)), 'public-key');
    return {
      summary: `key ${p.key} restored onto ${ref.label}`,
      entries: [
        {
          event: 'key-restored',
          ...(found ? { note: 'Found on the token: restored by the interrupted attempt of this step.' } : {}),
          token: { label: ref.label, ...(ref.serial ? { serial: ref.serial } : {}) },
          keys: [transcriptKey(rec)],
          outputs: [{ path: pemPath, sha256: sha }],
          shares: r.receipts,
        },
      ],
      shown: [`  ${p.key}: ${r.key.fingerprint}`, `    ${fingerprintWords(r.key.fingerprint)}`],
    };
  },
};

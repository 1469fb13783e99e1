/**
 * notary-repository: Notary v1 / DCT root and targets for a GUN. Notary root keys are published as
 * x509 certificates made on the tokens; the Notary core (electron/core/notary) does the metadata.
 * The ceremony service for it is not wired yet: rehearsal records a skip, production stops.
 */
import { KeyceremonyError } from '../../../../shared/errors';
import type { StepKind } from '../engine';
import { pInt, pKeyList, pString, pUnknown, type ValidationIssue } from '../validate';

export const notaryRepositoryKind: StepKind = {
  kind: 'notary-repository',
  phase: 'signing',
  summary: 'Notary v1 / DCT repository for a GUN',
  needs: ['tokens', 'notary'],
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    pUnknown(params, ['gun', 'rootKeys', 'rootThreshold', 'targetsKeys'], path, out);
    pString(params, 'gun', path, out);
    const r = pKeyList(params, 'rootKeys', script, path, out);
    const t = pInt(params, 'rootThreshold', path, out, 1, 64);
    if (t !== undefined && r.length && t > r.length) out.push({ path: `${path}.rootThreshold`, message: `threshold ${t} is more than the ${r.length} root keys` });
    pKeyList(params, 'targetsKeys', script, path, out);
    return out;
  },
  async run(ctx) {
    throw new KeyceremonyError('PRECONDITION_FAILED', 'The Notary ceremony step is not available in this build; use `keyceremony notary init` with the exported keys.', { where: `step ${ctx.step.id}` });
  },
};

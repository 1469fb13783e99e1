/**
 * close: the final transcript entry lists every output with its hash; the engine then seals the
 * bundle (manifest + DSSE signature by `signWith` keys). Nothing is appended after it.
 */
import type { StepKind } from '../engine';
import { obj, type Infer } from '../../../../shared/schema';
import { idList, keyRefs, type ValidationIssue } from '../validate';

const closeParams = obj({ signWith: idList('Keys that sign the bundle manifest (DSSE).') });

export const closeKind: StepKind<Infer<typeof closeParams>> = {
  kind: 'close',
  phase: 'close',
  summary: 'Close the ceremony and seal the signed bundle',
  params: closeParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    keyRefs(params.signWith, script, `${path}.signWith`, out);
    return out;
  },
  async run(ctx) {
    const outputs = Object.entries(ctx.state.outputs)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, o]) => ({ path, sha256: o.sha256 }));
    return {
      summary: `ceremony closed with ${outputs.length} output file(s); the manifest is signed by ${ctx.params.signWith.join(', ')}`,
      entries: [{ event: 'ceremony-closed', outputs, facts: { signWith: ctx.params.signWith.join(', ') } }],
      shown: outputs.map((o) => `  ${o.path} ${o.sha256}`),
    };
  },
};

/**
 * close: the final transcript entry lists every output with its hash; the engine then seals the
 * bundle (manifest + DSSE signature by `signWith` keys). Nothing is appended after it.
 */
import type { StepKind } from '../engine';
import { pKeyList, pUnknown, type ValidationIssue } from '../validate';

export const closeKind: StepKind = {
  kind: 'close',
  phase: 'close',
  summary: 'Close the ceremony and seal the signed bundle',
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    pUnknown(params, ['signWith'], path, out);
    pKeyList(params, 'signWith', script, path, out);
    return out;
  },
  async run(ctx) {
    const outputs = Object.entries(ctx.state.outputs)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, o]) => ({ path, sha256: o.sha256 }));
    return {
      summary: `ceremony closed with ${outputs.length} output file(s); the manifest is signed by ${(ctx.params.signWith as string[]).join(', ')}`,
      entries: [{ event: 'ceremony-closed', outputs, facts: { signWith: (ctx.params.signWith as string[]).join(', ') } }],
      shown: outputs.map((o) => `  ${o.path} ${o.sha256}`),
    };
  },
};

/**
 * check-in: the participants are present and the expected tokens are in the readers (by label,
 * and by serial when the script names one). Records each token's serial for the rest of the run.
 */
import { KeyceremonyError } from '../../../../shared/errors';
import type { StepKind } from '../engine';
import { noParams } from '../validate';

export const checkInKind: StepKind<Record<string, never>> = {
  kind: 'check-in',
  phase: 'check-in',
  summary: 'Participants check in; tokens are identified by label and serial',
  needs: ['tokens'],
  params: noParams,
  async run(ctx) {
    const present = await ctx.services.tokens!.present();
    const shown: string[] = ['  participants:'];
    for (const p of ctx.script.participants) shown.push(`    ${p.role.padEnd(13)} ${p.id} (${p.name})`);
    shown.push('  tokens:');
    const entries = [];
    for (const t of ctx.script.tokens) {
      const matches = present.filter((p) => p.label === t.label);
      if (matches.length === 0)
        throw new KeyceremonyError('TOKEN_NOT_FOUND', `Token "${t.label}" is not present. Insert it and run again.`, { where: `token ${t.id}` });
      if (matches.length > 1) throw new KeyceremonyError('TOKEN_AMBIGUOUS', `Two tokens are labelled "${t.label}"; remove one.`, { where: `token ${t.id}` });
      const tok = matches[0]!;
      if (t.serial !== undefined && tok.serial !== t.serial) {
        throw new KeyceremonyError('TOKEN_NOT_RECOGNIZED', `Token "${t.label}" has serial ${tok.serial}, the script expects ${t.serial}.`, {
          where: `token ${t.id}`,
        });
      }
      const seen = ctx.state.tokens[t.id];
      if (seen && seen.serial !== tok.serial) {
        throw new KeyceremonyError('TOKEN_NOT_RECOGNIZED', `Token "${t.label}" now has serial ${tok.serial}; earlier in this ceremony it was ${seen.serial}.`, {
          where: `token ${t.id}`,
        });
      }
      ctx.recordToken(t.id, tok.label, tok.serial);
      shown.push(`    ${t.label.padEnd(20)} serial ${tok.serial}${t.custodian ? `  held by ${t.custodian}` : ''}`);
      entries.push({ event: 'token-checked-in', token: { label: tok.label, serial: tok.serial }, ...(t.custodian ? { actor: t.custodian } : {}) });
    }
    return { summary: `${ctx.script.participants.length} participants, ${ctx.script.tokens.length} tokens checked in`, entries, shown };
  },
};

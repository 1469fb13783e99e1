/**
 * preflight: the air-gap and environment checks (network interfaces, default route, wireless,
 * clock and the expiry dates it implies, removable media, tokens present). Production stops on a
 * failed check unless the administrator records a justified deviation; rehearsal warns.
 */
import { KeyceremonyError } from '../../../../shared/errors';
import type { StepKind } from '../engine';
import type { Deviation } from '../types';
import { obj, opt, type Infer } from '../../../../shared/schema';
import { expiresInDays } from '../validate';

const preflightParams = obj({ expiresInDays: opt(expiresInDays()) });

const DAY = 86400_000;

export const preflightKind: StepKind<Infer<typeof preflightParams>> = {
  kind: 'preflight',
  phase: 'preflight',
  summary: 'Air-gap and environment checks',
  needs: ['preflight'],
  params: preflightParams,
  async run(ctx) {
    const now = ctx.clock.now();
    const expiries: Record<string, string> = {};
    for (const [role, days] of Object.entries(ctx.params.expiresInDays ?? {})) {
      expiries[role] = new Date(now.getTime() + days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    const checks = await ctx.services.preflight!.run({ expectTokens: ctx.script.tokens, now, expiries });
    const deviations: Deviation[] = [];
    const shown: string[] = [];
    for (const c of checks) {
      const status = c.status === 'fail' && ctx.rehearsal ? 'warn' : c.status;
      shown.push(`  [${status === 'pass' ? ' ok ' : status === 'warn' ? 'WARN' : 'FAIL'}] ${c.id}: ${c.summary}`);
    }
    for (const [role, at] of Object.entries(expiries)) shown.push(`  ${role} metadata will expire on ${at}`);
    for (const l of shown) ctx.prompter.say(l);
    const said = shown.length;
    if (!ctx.rehearsal) {
      for (const c of checks.filter((c) => c.status === 'fail')) {
        const d = await ctx.prompter.deviation({ step: ctx.step.id, check: c, administrator: ctx.administrator() });
        if (!d || d.justification.trim().length < 10) {
          throw new KeyceremonyError(
            'PRECONDITION_FAILED',
            `Preflight check "${c.id}" failed: ${c.summary}. Fix it, or the administrator records a justified deviation (at least 10 characters).`,
            {
              where: `step ${ctx.step.id} check ${c.id}`,
            },
          );
        }
        deviations.push(d);
        shown.push(`  deviation for ${c.id} recorded by ${ctx.administrator().name}: “${d.justification.trim()}”`);
      }
    }
    const failed = checks.filter((c) => c.status === 'fail').length;
    return {
      summary: `${checks.length} checks, ${failed} failed${ctx.rehearsal && failed ? ' (rehearsal: warnings only)' : ''}${deviations.length ? `, ${deviations.length} deviation(s) recorded` : ''}`,
      entries: [
        {
          event: 'preflight',
          checks: checks.map((c) => ({ id: c.id, status: c.status === 'fail' && ctx.rehearsal ? 'warn' : c.status, summary: c.summary })),
          ...(Object.keys(expiries).length ? { facts: Object.fromEntries(Object.entries(expiries).map(([k, v]) => [`expires.${k}`, v])) } : {}),
          ...(deviations.length ? { deviations } : {}),
        },
      ],
      // What the witness attests to: the check results (already said to the room) and any deviation.
      shown,
      alreadySaid: said,
    };
  },
};

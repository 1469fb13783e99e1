/**
 * keyceremony — the headless CLI. Same core and adapters as the desktop app.
 * Exit codes: 0 ok; 1 refused / verification failed / token error; 2 usage error.
 */
import { isKeyceremonyError } from '../../shared/errors';
import { ensureNoCoreDumps } from '../adapters/process-hardening';
import { useParallelKeyProver } from '../adapters/json-key-prover';
import { UsageError } from './args';
import { commands } from './commands';
import { makeContext, type CliContext } from './context';
import { dispatch, helpText, usageOf } from './dispatch';

export const VERSION = '0.1.0';

function help(ctx: CliContext): void {
  ctx.out(`keyceremony ${VERSION} — offline key ceremonies on HSMs and smartcards`);
  ctx.out('');
  ctx.out('usage: keyceremony <command> [options]   (keyceremony <command> --help for details)');
  ctx.out('');
  const w = Math.max(...commands.map((c) => c.name.length));
  for (const c of commands) ctx.out(`  ${c.name.padEnd(w)}  ${c.summary}`);
  ctx.out('');
  ctx.out('PINs: prompt on a terminal, --pin-file FILE, or KEYCEREMONY_PIN. Never on the command line.');
  ctx.out('Module: --module PATH, KEYCEREMONY_PKCS11_MODULE, or a well-known path (SoftHSM2, OpenSC, YubiHSM, ykcs11).');
}

export async function main(argv: string[], ctx: CliContext = makeContext()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(ctx);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    ctx.out(VERSION);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    ctx.err(`keyceremony: unknown command "${name}". Run keyceremony --help.`);
    return 2;
  }
  try {
    // core dumps off before any PIN is read (issue 12 item 9); --help needs no secrets
    if (!rest.includes('--help') && !rest.includes('-h')) ensureNoCoreDumps(ctx.env);
    useParallelKeyProver(); // large JSON: the duplicate-key proof on a second core (docs/performance.md)
    return await dispatch([cmd], rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      const chain = usageOf(e) ?? [cmd];
      ctx.err(`keyceremony ${chain.map((c) => c.name).join(' ')}: ${e.message}`);
      ctx.err(helpText(chain));
      return 2;
    }
    if (isKeyceremonyError(e)) {
      ctx.err(`error[${e.code}]: ${e.message}${e.where ? ` (${e.where})` : ''}`);
      return 1;
    }
    ctx.err(`error[INTERNAL]: ${(e as Error).message}`);
    if (ctx.env.KEYCEREMONY_DEBUG) ctx.err(String((e as Error).stack));
    return 1;
  }
}

/**
 * The CLI's one dispatcher: from argv to the command-tree node it names, `--help` / `-h` for every
 * node, and usage errors that print the usage of the node that failed. Commands declare their
 * subcommands as tables (commands/types.ts); nothing else routes argv.
 */
import { UsageError } from './args';
import type { CliContext } from './context';
import type { Command } from './commands/types';

const HELP = new Set(['--help', '-h']);

/** `--help` or `-h` anywhere before a `--` terminator. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (HELP.has(a)) return true;
  }
  return false;
}

export function isPureGroup(c: Command): boolean {
  return c.usage.length === 0;
}

/** The usage lines of one node (its own forms), each prefixed with `keyceremony <path>`. */
function forms(path: string, c: Command): string[] {
  return c.usage.map((u) => {
    const [first, ...more] = u.split('\n');
    return [`keyceremony ${path}${first ? ` ${first}` : ''}`, ...more.map((l) => `      ${l.trimStart()}`)].join('\n');
  });
}

/** Every form of a node and of the nodes below it, in table order. */
export function allForms(path: string, c: Command): string[] {
  return [...forms(path, c), ...(c.subcommands ?? []).flatMap((s) => allForms(`${path} ${s.name}`, s))];
}

/** The help text of the node at the end of `chain` (chain[0] is a top-level command). */
export function helpText(chain: readonly Command[]): string {
  const node = chain[chain.length - 1] as Command;
  const path = chain.map((c) => c.name).join(' ');
  const lines: string[] = [];
  if (isPureGroup(node)) {
    lines.push(`usage: keyceremony ${path} <subcommand> [options]   (keyceremony ${path} <subcommand> --help for one)`);
    lines.push('', node.summary, '');
    for (const s of node.subcommands ?? []) {
      lines.push(`  ${s.name.padEnd(14)} ${s.summary}`);
    }
    lines.push('');
    for (const f of allForms(path, node)) lines.push(...f.split('\n').map((l) => `  ${l}`));
  } else {
    const own = forms(path, node);
    own.forEach((f, i) => lines.push(...f.split('\n').map((l, j) => `${i === 0 && j === 0 ? 'usage: ' : '       '}${l}`)));
    lines.push('', node.summary);
    const subs = (node.subcommands ?? []).flatMap((s) => allForms(`${path} ${s.name}`, s));
    if (subs.length) {
      lines.push('', 'also:');
      for (const f of subs) lines.push(...f.split('\n').map((l) => `  ${l}`));
    }
  }
  const notes = chain.map((c) => c.notes).filter((n): n is string => !!n);
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
}

/** A usage error that knows which node it belongs to, so the right usage is printed. */
export function usageOf(e: UsageError): readonly Command[] | undefined {
  return (e as UsageError & { chain?: readonly Command[] }).chain;
}

/**
 * Walk from `chain`'s last node down the subcommand tables along `args`; answer `--help`, refuse an
 * unknown or missing subcommand of a pure group, or run the node. Usage errors carry the node.
 */
export async function dispatch(chain: Command[], args: string[], ctx: CliContext): Promise<number> {
  let node = chain[chain.length - 1] as Command;
  let rest = args;
  for (;;) {
    const next = rest[0];
    const sub = next === undefined ? undefined : node.subcommands?.find((s) => s.name === next);
    if (!sub) break;
    chain.push(sub);
    node = sub;
    rest = rest.slice(1);
  }
  if (wantsHelp(rest)) {
    ctx.out(helpText(chain));
    return 0;
  }
  const tag = (e: unknown) => {
    if (e instanceof UsageError && !usageOf(e)) Object.assign(e, { chain: [...chain] });
    return e;
  };
  if (isPureGroup(node)) {
    const names = (node.subcommands ?? []).map((s) => s.name).join(', ');
    throw tag(new UsageError(rest[0] ? `unknown subcommand "${rest[0]}" (known: ${names})` : `which subcommand? (${names})`));
  }
  try {
    return await node.run(rest, ctx);
  } catch (e) {
    throw tag(e);
  }
}

/** A command made only of subcommands; its `run` dispatches (so callers may run it directly). */
export function group(def: { name: string; summary: string; notes?: string; subcommands: readonly Command[] }): Command {
  const self: Command = {
    ...def,
    usage: [],
    run: (args, ctx) => dispatch([self], args, ctx),
  };
  return self;
}

/** A command with behaviour of its own. */
export function leaf(name: string, summary: string, usage: readonly string[], run: Command['run'], subcommands?: readonly Command[]): Command {
  return { name, summary, usage, run, ...(subcommands ? { subcommands } : {}) };
}

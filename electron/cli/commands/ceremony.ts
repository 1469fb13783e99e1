/**
 * keyceremony ceremony run|template|validate: declarative key ceremonies (docs/ceremony.md).
 */
import { createInterface } from 'node:readline/promises';
import { parseStrictJson } from '../../../shared/json';
import { KeyceremonyError } from '../../../shared/errors';
import { runCeremony } from '../../adapters/ceremony/runner';
import { readInputText } from '../../adapters/fs/read';
import { BUILTIN_KINDS } from '../../core/ceremony/steps';
import { TEMPLATES, templateText } from '../../core/ceremony/templates';
import { validateScript } from '../../core/ceremony/validate';
import { parse, UsageError } from '../args';
import { group, leaf } from '../dispatch';
import type { CliContext } from '../context';
import type { Command } from './types';

async function ask(ctx: CliContext, q: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(q);
  } finally {
    rl.close();
  }
  void ctx;
}

async function run(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      rehearsal: { type: 'boolean' },
      answers: { type: 'string' },
      out: { type: 'string' },
      module: { type: 'string' },
      'rehearsal-tokens-from': { type: 'string' },
    },
    { positionals: true },
  );
  const script = positionals[0];
  if (!script || positionals.length > 1) throw new UsageError('give exactly one ceremony script');
  const rehearsal = values.rehearsal ?? false;
  const outDir = values.out ?? (rehearsal ? 'rehearsal-out' : 'ceremony-out');
  const r = await runCeremony({
    scriptPath: script,
    rehearsal,
    outDir,
    ...(values.answers ? { answersPath: values.answers } : {}),
    ...(values.module ? { modulePath: values.module } : {}),
    ...(values['rehearsal-tokens-from'] ? { rehearsalTokensFrom: values['rehearsal-tokens-from'] } : {}),
    io: {
      say: (l) => ctx.out(l),
      isTTY: ctx.stdinIsTTY,
      ask: (q) => ask(ctx, q),
      askSecret: (p) => ctx.promptSecret(p),
      showSecret: (t) => {
        if (!process.stderr.isTTY)
          throw new KeyceremonyError('USER_ACTION_REQUIRED', 'A share can only be shown on a terminal (stderr is redirected).', { where: 'backup' });
        process.stderr.write(t + '\n');
      },
    },
    env: ctx.env,
    ...(ctx.env.KEYCEREMONY_TEST_PAUSE_AT ? { pauseAt: ctx.env.KEYCEREMONY_TEST_PAUSE_AT } : {}),
  });
  if (r.alreadyComplete) ctx.out('this ceremony was already complete; nothing was changed');
  ctx.out(
    `${rehearsal ? 'REHEARSAL ' : ''}ceremony ${r.state.name} run ${r.state.runId}: ${Object.keys(r.state.keys).length} key(s), ${Object.keys(r.state.outputs).length} output(s), ${r.seconds.toFixed(1)} s${r.resumed ? ' (resumed)' : ''}`,
  );
  const skipped = Object.entries(r.state.steps).filter(([, s]) => s.status === 'skipped');
  for (const [id, s] of skipped) ctx.out(`  step ${id} ${s.summary}`);
  if (r.rehearsalTokens) ctx.out(`rehearsal tokens: ${r.rehearsalTokens}`);
  ctx.out(`transcript: ${r.transcriptPath}`);
  ctx.out(`bundle folder: ${r.bundleDir} — ${r.verdict.ok ? 'verified' : 'DOES NOT VERIFY'}`);
  ctx.out(`archive: ${r.archivePath} — ${r.archiveVerdict.ok ? 'verified' : 'DOES NOT VERIFY'}`);
  for (const p of [...r.verdict.problems, ...r.archiveVerdict.problems]) ctx.err(`  mismatch: ${p}`);
  ctx.out(`bundle: ${r.archivePath}`);
  return r.verdict.ok && r.archiveVerdict.ok ? 0 : 1;
}

function template(args: string[], ctx: CliContext): number {
  const { positionals } = parse(args, {}, { positionals: true });
  const name = positionals[0];
  if (!name) {
    const w = Math.max(...Object.keys(TEMPLATES).map((n) => n.length));
    for (const [n, t] of Object.entries(TEMPLATES)) ctx.out(`${n.padEnd(w)}  ${t.summary}`);
    return 0;
  }
  const text = templateText(name);
  if (!text) throw new UsageError(`no template "${name}" (known: ${Object.keys(TEMPLATES).join(', ')})`);
  ctx.outBytes(new TextEncoder().encode(text));
  return 0;
}

function validate(args: string[], ctx: CliContext): number {
  const { positionals } = parse(args, {}, { positionals: true });
  const path = positionals[0];
  if (!path) throw new UsageError('give a ceremony script');
  const text = readInputText(path, { what: 'ceremony script', kind: 'document' });
  const issues = validateScript(parseStrictJson(text, { source: path }), BUILTIN_KINDS);
  if (issues.length === 0) {
    ctx.out(`${path}: valid`);
    return 0;
  }
  for (const i of issues) ctx.err(`${path} ${i.path}: ${i.message}`);
  ctx.err(`${issues.length} problem(s)`);
  return 1;
}

export const ceremonyCommand: Command = group({
  name: 'ceremony',
  summary: 'run, validate and template declarative key ceremonies (rehearsal on SoftHSM2)',
  subcommands: [
    leaf(
      'run',
      'run a ceremony script step by step (resumes after a crash); seals a signed bundle',
      ['<script.json> [--rehearsal [--rehearsal-tokens-from DIR]] [--answers FILE] [--out DIR] [--module PATH]'],
      run,
    ),
    leaf('template', 'print a built-in ceremony script (no NAME: list them)', ['[NAME]'], async (args, ctx) => template(args, ctx)),
    leaf('validate', 'check a ceremony script without running it', ['<script.json>'], async (args, ctx) => validate(args, ctx)),
  ],
});

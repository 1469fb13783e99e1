/**
 * Run many CLI invocations in ONE process (startup costs seconds under load): reads a JSON file of
 * [{args, env}] and prints one JSON line {code, out, err} per case. Tests spawn it with a timeout,
 * so a case that hangs or reads without end fails the test instead of blocking the runner.
 */
import { readFileSync } from 'node:fs';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';

const cases = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { args: string[]; env?: Record<string, string> }[];
const base = { ...process.env };
for (const c of cases) {
  for (const k of Object.keys(process.env)) if (!(k in base)) delete process.env[k];
  Object.assign(process.env, base, c.env ?? {});
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { ...makeContext({ env: process.env }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(c.args, ctx);
  process.stdout.write(JSON.stringify({ code, out: out.join('\n'), err: err.join('\n') }) + '\n');
}

/** The CLI through main() in this process (no build, no spawn): exit code and printed lines. */
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';

export async function kcInProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { ...makeContext({ env: { ...process.env, ...env } }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

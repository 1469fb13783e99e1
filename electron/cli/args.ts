import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KeyceremonyError } from '../../shared/errors';

/** Options that would put a secret on the command line: refused with the reason. */
const SECRET_FLAGS = ['pin', 'so-pin', 'passphrase', 'share', 'kek', 'password'];

export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  opts: { positionals?: boolean } = {},
) {
  for (const a of args) {
    const name = /^--([a-z-]+)(=|$)/.exec(a)?.[1];
    if (name && SECRET_FLAGS.includes(name)) {
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `--${name} is not accepted: secrets on the command line end up in shell history and the process list. Use --${name}-file FILE, the KEYCEREMONY_PIN environment variable, or the prompt.`,
        { where: `--${name}` },
      );
    }
  }
  try {
    return parseArgs({ args, options, allowPositionals: opts.positionals ?? false, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function required<T>(v: T | undefined, flag: string): T {
  if (v === undefined || v === '') throw new UsageError(`${flag} is required`);
  return v;
}

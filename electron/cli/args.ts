import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KeyceremonyError } from '../../shared/errors';

/** Options that would put a secret on the command line: refused with the reason and THEIR right sources. */
const SECRET_FLAGS: Record<string, string> = {
  pin: 'Use --pin-file FILE, the KEYCEREMONY_PIN environment variable, or the prompt.',
  'so-pin': 'Use --so-pin-file FILE, the KEYCEREMONY_SO_PIN environment variable, or the prompt.',
  passphrase: 'Use --passphrase-file INDEX=FILE or the prompt.',
  share: 'Use --share-file FILE (repeat it) or --prompt COUNT to type the shares.',
  kek: 'The KEK is never given: it is rebuilt from the shares (--share-file FILE or --prompt COUNT).',
  password: 'Use a file option (…-file FILE) or the prompt.',
};

export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, opts: { positionals?: boolean } = {}) {
  for (const a of args) {
    const name = /^--([a-z-]+)(=|$)/.exec(a)?.[1];
    const sources = name && Object.hasOwn(SECRET_FLAGS, name) ? SECRET_FLAGS[name] : undefined;
    if (name && sources) {
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `--${name} is not accepted: secrets on the command line end up in shell history and the process list. ${sources}`,
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

/**
 * What every CLI command gets: output, environment, PIN sources and the PKCS#11 module.
 * PINs come from a prompt on a TTY, --pin-file, or KEYCEREMONY_PIN — never from argv.
 */
import { KeyceremonyError } from '../../shared/errors';
import { Pkcs11Module, type PinSource } from '../adapters/pkcs11';
import { limitFor, readInputFile, readStreamBounded } from '../adapters/fs/read';

export interface CliContext {
  out(line: string): void;
  err(line: string): void;
  /** Raw bytes to stdout (signatures, DER). */
  outBytes(b: Uint8Array): void;
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  readStdin(): Promise<Uint8Array>;
  /**
   * A PIN source per the options; the PIN is read only when the token asks for it. `what`, `flag` and
   * `envVar` name this secret's own sources in messages (default: the user PIN, --pin-file,
   * KEYCEREMONY_PIN; the SO PIN passes its own).
   */
  pinSource(opts: { pinFile?: string | undefined; prompt?: string; envVar?: string; flag?: string; what?: string }): PinSource;
  openModule(opts: { module?: string | undefined }): Pkcs11Module;
  /** Read a secret line from the terminal without echo; `need` is the error when there is no terminal. */
  promptSecret(prompt: string, need?: SecretNeed): Promise<Uint8Array>;
}

/** What is missing when a secret cannot be asked for, and where it can come from instead. */
export interface SecretNeed {
  code: 'PIN_REQUIRED' | 'PASSPHRASE_REQUIRED' | 'SHARE_REQUIRED';
  sentence: string;
}

const DEFAULT_NEED: SecretNeed = {
  code: 'PIN_REQUIRED',
  sentence: 'A PIN is needed but there is no terminal to ask on. Use --pin-file FILE or set KEYCEREMONY_PIN.',
};

/** Remove one trailing newline (files written by `echo`), keep everything else byte-exact. */
export function stripNewline(b: Uint8Array): Uint8Array {
  let end = b.length;
  if (end > 0 && b[end - 1] === 0x0a) end--;
  if (end > 0 && b[end - 1] === 0x0d) end--;
  return b.subarray(0, end);
}

export function readSecretFile(path: string, what: string): Uint8Array {
  const raw = readInputFile(path, { what: `${what} file`, kind: 'secret' });
  const trimmed = stripNewline(raw);
  const copy = new Uint8Array(trimmed); // copy, then wipe the file buffer
  raw.fill(0);
  if (copy.length === 0) throw new KeyceremonyError('PIN_INVALID', `The ${what} file ${path} is empty.`, { where: path });
  return copy;
}

/** Hidden-input prompt on the controlling terminal. */
export function promptSecretTTY(
  prompt: string,
  stdin: NodeJS.ReadStream = process.stdin,
  stderr: NodeJS.WriteStream = process.stderr,
  need: SecretNeed = DEFAULT_NEED,
): Promise<Uint8Array> {
  if (!stdin.isTTY) return Promise.reject(new KeyceremonyError(need.code, need.sentence));
  return new Promise((resolve, reject) => {
    stderr.write(prompt);
    const chars: number[] = [];
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      stderr.write('\n');
      if (err) {
        chars.fill(0);
        reject(err);
      } else {
        const out = Uint8Array.from(Buffer.from(String.fromCharCode(...chars), 'latin1'));
        chars.fill(0);
        resolve(out);
      }
    };
    const onData = (d: Buffer) => {
      for (const c of d) {
        if (c === 0x03) return done(new KeyceremonyError('CANCELLED', 'Cancelled at the PIN prompt.'));
        if (c === 0x0d || c === 0x0a) return done();
        if (c === 0x7f || c === 0x08) chars.pop();
        else chars.push(c);
      }
      d.fill(0);
    };
    stdin.on('data', onData);
  });
}

export function makeContext(io: { stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream; env?: NodeJS.ProcessEnv } = {}): CliContext {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const ctx: CliContext = {
    out: (l) => void stdout.write(l + '\n'),
    err: (l) => void stderr.write(l + '\n'),
    outBytes: (b) => void stdout.write(b),
    env,
    stdinIsTTY: !!process.stdin.isTTY,
    readStdin() {
      return readStreamBounded(process.stdin, { what: 'data on stdin', limit: limitFor('artifact', env) });
    },
    promptSecret: (p, need) => promptSecretTTY(p, process.stdin, stderr, need),
    pinSource({ pinFile, prompt, envVar, flag, what }) {
      const secret = what ?? 'PIN';
      return async () => {
        if (pinFile) return readSecretFile(pinFile, secret);
        const name = envVar ?? 'KEYCEREMONY_PIN';
        const v = env[name];
        if (v !== undefined && v !== '') return new TextEncoder().encode(v);
        try {
          return await ctx.promptSecret(prompt ?? 'Token PIN: ');
        } catch (e) {
          if (!(e instanceof KeyceremonyError) || e.code !== 'PIN_REQUIRED') throw e;
          // name THIS secret's sources (the SO PIN is not given with --pin-file / KEYCEREMONY_PIN)
          throw new KeyceremonyError(
            'PIN_REQUIRED',
            `The ${secret} is needed but there is no terminal to ask on. Use ${flag ?? '--pin-file'} FILE or set ${name}.`,
            {
              where: flag ?? '--pin-file',
            },
          );
        }
      };
    },
    openModule({ module }) {
      return Pkcs11Module.open(module);
    },
  };
  return ctx;
}

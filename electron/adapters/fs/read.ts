/**
 * THE way the CLI and the app's main process read a file they did not write themselves: bounded.
 *
 * A path can name anything: `/dev/zero`, a FIFO, `/dev/stdin`, a 4 GB file, a folder. So:
 * 1. open it (following links) and fstat: a regular file larger than the limit is refused before
 *    one byte is read;
 * 2. read in chunks until end of file, stopping at limit + 1 bytes: a stream (device, pipe, a
 *    /proc file whose size says 0) is refused as soon as it passes the limit.
 * Every refusal is a KeyceremonyError naming the file: TOO_LARGE "… is too large: N bytes (limit
 * L bytes)", NOT_FOUND, INVALID_INPUT (a folder), IO_ERROR (permissions, I/O).
 * Limits are per kind of input (INPUT_LIMITS); artifacts may be raised with
 * KEYCEREMONY_MAX_ARTIFACT_BYTES (up to MAX_READ_BYTES, what one read can hold).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { KeyceremonyError } from '../../../shared/errors';
import { DEFAULT_MAX_JSON_BYTES } from '../../../shared/json';

/** The most one read can hold (a Node buffer / readFileSync limit). */
export const MAX_READ_BYTES = 2 ** 31 - 1;

const KiB = 1024;
const MiB = 1024 * KiB;

/** Limits per kind of input, in bytes. */
export const INPUT_LIMITS = {
  /** PIN, SO PIN and passphrase files. */
  secret: 4 * KiB,
  /** One share (words or a share sheet's text). */
  share: 64 * KiB,
  /** A public key file (PEM, DER, TUF key JSON). */
  key: 64 * KiB,
  /** Certificates and CA bundles. */
  certificate: 1 * MiB,
  /** A signature file. */
  signature: 64 * KiB,
  /** TUF/Notary trusted root: python-tuf, go-tuf and tuf-js refuse a root over 512000 bytes. */
  tufRoot: 512_000,
  /** A Sigstore trusted_root.json. */
  sigstoreTrustedRoot: 4 * MiB,
  /** TUF/Notary metadata, signing requests, Sigstore bundles, predicates (the strict JSON parser's limit). */
  metadata: DEFAULT_MAX_JSON_BYTES,
  /** Ceremony scripts, answers files, backup files, trusted state, digest lists. */
  document: 16 * MiB,
  /** A ceremony state file or transcript we wrote. */
  journal: 256 * MiB,
  /** Artifacts signed or hashed: blobs, payloads, target files, `sign --in`. */
  artifact: 1024 * MiB,
} as const;

export type InputKind = keyof typeof INPUT_LIMITS;

/** The limit for a kind; artifacts honour KEYCEREMONY_MAX_ARTIFACT_BYTES. */
export function limitFor(kind: InputKind, env: NodeJS.ProcessEnv = process.env): number {
  if (kind === 'artifact') {
    const v = env.KEYCEREMONY_MAX_ARTIFACT_BYTES;
    if (v !== undefined && v !== '') {
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_READ_BYTES) {
        throw new KeyceremonyError(
          'INVALID_INPUT',
          `KEYCEREMONY_MAX_ARTIFACT_BYTES must be a whole number of bytes from 1 to ${MAX_READ_BYTES}, got ${JSON.stringify(v)}.`,
          {
            where: 'KEYCEREMONY_MAX_ARTIFACT_BYTES',
          },
        );
      }
      return Number(v);
    }
  }
  return INPUT_LIMITS[kind];
}

function tooLarge(what: string, path: string, size: string, limit: number): KeyceremonyError {
  return new KeyceremonyError('TOO_LARGE', `The ${what} ${path} is too large: ${size} (limit ${limit} bytes); nothing was done.`, {
    where: path,
    details: { limit },
  });
}

function cannotRead(e: unknown, what: string, path: string): KeyceremonyError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new KeyceremonyError('NOT_FOUND', `Cannot read the ${what} ${path}: there is no such file (${code}).`, { where: path, cause: e });
    case 'EISDIR':
      return new KeyceremonyError('INVALID_INPUT', `The ${what} ${path} is a folder; give a file.`, { where: path, cause: e });
    case 'EACCES':
    case 'EPERM':
      return new KeyceremonyError('IO_ERROR', `Cannot read the ${what} ${path}: permission denied (${code}).`, { where: path, cause: e });
    default:
      return new KeyceremonyError('IO_ERROR', `Cannot read the ${what} ${path}: ${code || (e as Error).message}.`, { where: path, cause: e });
  }
}

/**
 * Read a whole input file of at most `limit` bytes (or the limit of `kind`). `what` names it in
 * errors ("PIN file", "trusted root"...).
 */
export function readInputFile(path: string, opts: { what: string; kind?: InputKind; limit?: number; env?: NodeJS.ProcessEnv }): Uint8Array {
  const limit = Math.min(opts.limit ?? limitFor(opts.kind ?? 'document', opts.env), MAX_READ_BYTES);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw cannotRead(e, opts.what, path);
  }
  try {
    let st;
    try {
      st = fstatSync(fd);
    } catch (e) {
      throw cannotRead(e, opts.what, path);
    }
    if (st.isDirectory()) throw new KeyceremonyError('INVALID_INPUT', `The ${opts.what} ${path} is a folder; give a file.`, { where: path });
    if (st.isFile() && st.size > limit) throw tooLarge(opts.what, path, `${st.size} bytes`, limit);
    // Read to end of file, never more than limit + 1 bytes: a file that grew, a device, a pipe.
    const chunks: Buffer[] = [];
    let total = 0;
    const chunkSize = st.isFile() && st.size > 0 ? Math.min(st.size + 1, limit + 1) : Math.min(64 * KiB, limit + 1);
    for (;;) {
      const want = Math.min(chunkSize, limit + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(fd, buf, 0, want, null);
      } catch (e) {
        chunks.forEach((c) => c.fill(0));
        throw cannotRead(e, opts.what, path);
      }
      if (n === 0) {
        buf.fill(0);
        break;
      }
      chunks.push(n === want ? buf : buf.subarray(0, n));
      total += n;
      if (total > limit) {
        chunks.forEach((c) => c.fill(0)); // it may have been a secret file
        throw tooLarge(opts.what, path, `more than ${limit} bytes`, limit);
      }
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
      c.fill(0);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** `readInputFile` as UTF-8 text (refused with INVALID_INPUT when it is not UTF-8). */
export function readInputText(path: string, opts: { what: string; kind?: InputKind; limit?: number; env?: NodeJS.ProcessEnv }): string {
  const b = readInputFile(path, opts);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch (e) {
    throw new KeyceremonyError('INVALID_INPUT', `The ${opts.what} ${path} is not UTF-8 text.`, { where: path, cause: e });
  }
}

/** Read a stream (stdin) to its end, refusing it past `limit` bytes. */
export async function readStreamBounded(stream: AsyncIterable<unknown>, opts: { what: string; limit: number }): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
    total += b.length;
    if (total > opts.limit) {
      parts.forEach((p) => p.fill(0));
      throw new KeyceremonyError('TOO_LARGE', `The ${opts.what} is too large: more than ${opts.limit} bytes (limit ${opts.limit} bytes); nothing was done.`, {
        where: opts.what,
        details: { limit: opts.limit },
      });
    }
    parts.push(b);
  }
  const out = new Uint8Array(Buffer.concat(parts));
  parts.forEach((p) => p.fill(0));
  return out;
}

/** Short form: `readInput(path, 'trusted root', 'tufRoot')`. */
export function readInput(path: string, what: string, kind: InputKind): Uint8Array {
  return readInputFile(path, { what, kind });
}

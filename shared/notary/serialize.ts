/**
 * Byte-exact Notary files. notary-server re-marshals root/targets with Go's encoding/json when it
 * signs a server-managed snapshot, and the client then fetches files by those hashes; a file that
 * Go would write differently breaks `notary list` even though the upload succeeded. So we write
 * exactly what Go writes: `{"signed":<canonical JSON>,"signatures":[{"keyid","method","sig"}…]}`,
 * `signed` first, no whitespace, expiry in whole seconds.
 *
 * Go's encoder also escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; canonical JSON does
 * not. `assertGoSafe` refuses such characters in what we write, rather than produce a file whose
 * hash the server would compute differently.
 */
import { KeyceremonyError } from '../errors';
import { canonicalize } from '../json/canonical';
import { utf8, toBase64 } from '../encoding/bytes';
import { sha256, sha512 } from '../crypto/webcrypto';
import type { NotaryFileMeta, NotarySignature, NotarySignedBody } from './model';

const GO_ESCAPED = /[<>&\u2028\u2029]/;

/** Refuse strings Go's json encoder would escape (they would change the file's hash server-side). */
export function assertGoSafe(value: unknown, path = '$.signed'): void {
  if (typeof value === 'string') {
    if (GO_ESCAPED.test(value)) {
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `Notary metadata cannot hold <, >, & or U+2028/U+2029 (Go escapes them, so notary-server would hash the file differently): ${JSON.stringify(value)}`,
        { where: path },
      );
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertGoSafe(v, `${path}[${i}]`));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      assertGoSafe(k, path);
      assertGoSafe(v, `${path}.${k}`);
    }
  }
}

/** The file bytes Go would write for this signed body and signatures. */
export function serializeSignedFile(signed: NotarySignedBody, signatures: readonly NotarySignature[]): Uint8Array {
  assertGoSafe(signed);
  const sigs = signatures.map((s) => `{"keyid":${JSON.stringify(s.keyid)},"method":${JSON.stringify(s.method)},"sig":${JSON.stringify(s.sig)}}`);
  return utf8(`{"signed":${canonicalize(signed, '$.signed')},"signatures":[${sigs.join(',')}]}`);
}

/** Notary file meta (base64 sha256 + sha512, length) of some bytes. */
export async function notaryFileMeta(bytes: Uint8Array): Promise<NotaryFileMeta> {
  const [a, b] = await Promise.all([sha256(bytes), sha512(bytes)]);
  return { hashes: { sha256: toBase64(a), sha512: toBase64(b) }, length: bytes.length };
}

/**
 * Check bytes against file meta the way Notary does: the length must match, at least one known hash
 * (sha256/sha512) must be present, and every known hash present must match. Returns the reasons it
 * does not match (empty = ok).
 */
export async function checkFileMeta(bytes: Uint8Array, meta: NotaryFileMeta): Promise<string[]> {
  const problems: string[] = [];
  if (bytes.length !== meta.length) problems.push(`length is ${bytes.length}, expected ${meta.length}`);
  let known = 0;
  for (const [alg, fn] of [
    ['sha256', sha256],
    ['sha512', sha512],
  ] as const) {
    const want = meta.hashes[alg];
    if (want === undefined) continue;
    known++;
    const got = toBase64(await fn(bytes));
    if (got !== want) problems.push(`${alg} is ${got}, expected ${want}`);
  }
  if (known === 0) problems.push(`no sha256 or sha512 hash (has: ${Object.keys(meta.hashes).join(', ') || 'none'})`);
  return problems;
}

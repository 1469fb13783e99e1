/**
 * The sizes of a backup share in words, by share format (electron/core/backup/share.ts has the
 * layout). Shared so the app's word-entry boxes and main's checks agree: the FIRST word of a share
 * holds its format version (top 4 of its 11 bits) and its passphrase flag, so the number of words to
 * type is known as soon as the first word is.
 */
export const SHARE_VERSION = 2;
export const SHARE_VERSIONS = [1, 2] as const;
export const FLAG_PASSPHRASE = 1;
export const BODY_PLAIN = 32;
export const BODY_PROTECTED = 48; // salt 8 + ciphertext 32 + tag 8
export const CHECK_WORDS = 3;

/** Header bits: v1 68; v2 adds the 8-bit Shamir x coordinate. */
export const headerBits = (version: number): number => (version === 1 ? 68 : 76);

/** Words in a share of this format (v1 plain 33, v2 plain 34, protected 45). */
export const wordsFor = (prot: boolean, version: number = SHARE_VERSION): number =>
  Math.ceil((headerBits(version) + (prot ? BODY_PROTECTED : BODY_PLAIN) * 8) / 11) + CHECK_WORDS;

/** Every word count a share of any readable format can have. */
export const SHARE_WORD_COUNTS: readonly number[] = [...new Set(SHARE_VERSIONS.flatMap((v) => [wordsFor(false, v), wordsFor(true, v)]))].sort((a, b) => a - b);

/** The word count a share's first word announces (its index in the word list), or undefined. */
export function wordsFromFirstIndex(index: number): number | undefined {
  if (!Number.isInteger(index) || index < 0 || index > 2047) return undefined;
  const version = index >> 7;
  const flags = (index >> 3) & 15;
  if (!(SHARE_VERSIONS as readonly number[]).includes(version) || (flags & ~FLAG_PASSPHRASE) !== 0) return undefined;
  return wordsFor((flags & FLAG_PASSPHRASE) !== 0, version);
}

/**
 * One Shamir share of a KEK, as custodians hold it.
 *
 * Binary layout, big-endian bit packing, then 11-bit words + 3 Reed-Solomon check words:
 *   version 1: version 4 | flags 4 | set id 24 | m-1 4 | n-1 4 | index-1 4 | KEK check value 24 | body
 *   version 2: the same, then x 8 (the Shamir x coordinate), then body
 *   body = 32 bytes (plain) or 8-byte salt + 32 bytes + 8-byte GCM tag (passphrase-protected)
 * v1 plain: 324 bits -> 30 words + 3 check words = 33 words; protected: 452 bits -> 42 + 3 = 45.
 * v2 plain: 332 bits -> 31 + 3 = 34 words;                   protected: 460 bits -> 42 + 3 = 45.
 * Version 1 sets were split by `shamirs-secret-sharing` with x = index; version 2 sets are split by
 * the audited `shamir-secret-sharing`, which draws x at random from 1..255, so the share carries it
 * (envelope.ts; docs/backup.md "Shamir library"). The first word holds the version and the
 * passphrase flag, so the word count is known from the first word.
 *
 * The words carry everything needed to check integrity and set membership before anything is
 * combined. The custodian's name is not in the words (it would cost many words): it is in the share
 * text (first lines), on the share sheet, and in the backup file's list of custodians, which
 * recovery compares.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { toHex } from '../../../shared/encoding/bytes';
import { addChecksum, bytesToSymbols, CHECK_WORDS, symbolsToBytes, verifyChecksum, wordIndex, WORDLIST } from './words';
import {
  BODY_PLAIN,
  BODY_PROTECTED,
  FLAG_PASSPHRASE,
  headerBits,
  SHARE_VERSION,
  SHARE_VERSIONS,
  SHARE_WORD_COUNTS,
  wordsFor,
  wordsFromFirstIndex,
} from '../../../shared/share-format';

export { SHARE_VERSION, SHARE_VERSIONS, FLAG_PASSPHRASE, BODY_PLAIN, BODY_PROTECTED, wordsFor, SHARE_WORD_COUNTS };
export const MAX_SHARES = 16;

export interface Share {
  version: number;
  /** 6 hex digits (24 bits). */
  setId: string;
  m: number;
  n: number;
  /** 1..n: which of the n shares this is (names it; duplicates are refused by it). */
  index: number;
  /** The Shamir x coordinate: the index in v1, 1..255 drawn by the library in v2. */
  x: number;
  /** 6 hex digits: first 3 bytes of AES-256-ECB(KEK, 0^16), the classic KCV. */
  kcv: string;
  protected: boolean;
  /** 32 bytes (the Shamir y values of the 32 KEK bytes) or the 48-byte protected form. Secret. */
  body: Uint8Array;
  /** Optional, from the share text/file (not covered by the words). */
  custodian?: string;
}

/** The word count announced by a share's first word (its version and passphrase flag), or undefined. */
export function wordsFromFirstWord(firstWord: string): number | undefined {
  const w = wordIndex(firstWord);
  return w < 0 ? undefined : wordsFromFirstIndex(w);
}

/** Byte offset of the body: it starts at bit 68 (v1) or 76 (v2), i.e. at the low nibble of byte 8 or 9. */
const bodyOffset = (version: number): number => (version === 1 ? 8 : 9);

function header(s: Pick<Share, 'version' | 'setId' | 'm' | 'n' | 'index' | 'x' | 'kcv' | 'protected'>): Uint8Array {
  // v1: 68 bits in 9 bytes (last nibble 0); v2: 76 bits in 10 bytes (last nibble 0)
  const h = new Uint8Array(s.version === 1 ? 9 : 10);
  h[0] = ((s.version & 15) << 4) | (s.protected ? FLAG_PASSPHRASE : 0);
  const id = parseInt(s.setId, 16);
  h[1] = (id >> 16) & 255;
  h[2] = (id >> 8) & 255;
  h[3] = id & 255;
  h[4] = (((s.m - 1) & 15) << 4) | ((s.n - 1) & 15);
  const k = parseInt(s.kcv, 16);
  h[5] = (((s.index - 1) & 15) << 4) | ((k >> 20) & 15);
  h[6] = (k >> 12) & 255;
  h[7] = (k >> 4) & 255;
  h[8] = (k & 15) << 4;
  if (s.version !== 1) {
    h[8] = (h[8] as number) | ((s.x >> 4) & 15);
    h[9] = (s.x & 15) << 4;
  }
  return h;
}

/** The header bytes, used as AES-GCM additional data for protected shares. */
export function headerBytes(s: Pick<Share, 'version' | 'setId' | 'm' | 'n' | 'index' | 'x' | 'kcv' | 'protected'>): Uint8Array {
  return header(s);
}

function validateFields(s: Pick<Share, 'version' | 'setId' | 'm' | 'n' | 'index' | 'x' | 'kcv'>, where: string): void {
  const bad = (msg: string) => new KeyceremonyError('SHARE_INVALID', msg, { where });
  if (!/^[0-9a-f]{6}$/.test(s.setId)) throw bad('share set id must be 6 hex digits');
  if (!/^[0-9a-f]{6}$/.test(s.kcv)) throw bad('KEK check value must be 6 hex digits');
  if (!(Number.isInteger(s.n) && s.n >= 1 && s.n <= MAX_SHARES)) throw bad(`n must be 1..${MAX_SHARES}`);
  if (!(Number.isInteger(s.m) && s.m >= 1 && s.m <= s.n)) throw bad('m must be 1..n');
  if (!(Number.isInteger(s.index) && s.index >= 1 && s.index <= s.n)) throw bad('share index must be 1..n');
  if (!(SHARE_VERSIONS as readonly number[]).includes(s.version)) throw bad(`share format version ${s.version} is not one this tool writes or reads`);
  if (s.version === 1 ? s.x !== s.index : !(Number.isInteger(s.x) && s.x >= 1 && s.x <= 255)) throw bad('the Shamir x coordinate is out of range');
}

/** Encode a share to its words (lower-case BIP-39 English words). */
export function shareToWords(s: Share): string[] {
  validateFields(s, `share ${s.index}`);
  const bodyLen = s.protected ? BODY_PROTECTED : BODY_PLAIN;
  if (s.body.length !== bodyLen) throw new KeyceremonyError('SHARE_INVALID', 'share body has the wrong length', { where: `share ${s.index}` });
  const bits = headerBits(s.version) + bodyLen * 8;
  const buf = new Uint8Array(Math.ceil(bits / 8));
  buf.set(header(s));
  // the body starts at the low nibble of byte `off`
  const off = bodyOffset(s.version);
  for (let i = 0; i < bodyLen; i++) {
    const b = s.body[i] as number;
    buf[off + i] = (buf[off + i] as number) | (b >> 4);
    buf[off + 1 + i] = (buf[off + 1 + i] as number) | ((b & 15) << 4);
  }
  const words = addChecksum(bytesToSymbols(buf, bits)).map((x) => WORDLIST[x] as string);
  buf.fill(0);
  return words;
}

/**
 * Decode words into a share, checking the checksum. Errors name the share (`label`) and, when the
 * checksum can tell, the word position (1-based). Never echoes a word.
 */
export function wordsToShare(input: readonly string[], label: string): Share {
  const words = input.map((w) => w.trim()).filter((w) => w.length > 0);
  const symbols: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const x = wordIndex(words[i] as string);
    if (x < 0) {
      throw new KeyceremonyError('SHARE_CHECKSUM', `${label}: word ${i + 1} is not in the BIP-39 English word list; check it on the share sheet`, {
        where: `${label}, word ${i + 1}`,
        details: { word: i + 1 },
      });
    }
    symbols.push(x);
  }
  const plainN = wordsFor(false);
  const protN = wordsFor(true);
  if (!SHARE_WORD_COUNTS.includes(symbols.length)) {
    throw new KeyceremonyError(
      'SHARE_INVALID',
      `${label}: a share has ${plainN} words (${protN} if passphrase-protected; ${wordsFor(false, 1)} for a share made before format 2), this one has ${symbols.length}`,
      { where: label, details: { words: symbols.length } },
    );
  }
  const chk = verifyChecksum(symbols);
  if (!chk.ok) {
    if (chk.kind === 'one-word') {
      throw new KeyceremonyError('SHARE_CHECKSUM', `${label}: checksum failed; word ${chk.position + 1} is wrong (the checksum points to it)`, {
        where: `${label}, word ${chk.position + 1}`,
        details: { word: chk.position + 1 },
      });
    }
    if (chk.kind === 'swap') {
      const [a, b] = chk.positions;
      throw new KeyceremonyError('SHARE_CHECKSUM', `${label}: checksum failed; words ${a + 1} and ${b + 1} appear to be swapped`, {
        where: `${label}, words ${a + 1} and ${b + 1}`,
        details: { word: a + 1, word2: b + 1 },
      });
    }
    throw new KeyceremonyError('SHARE_CHECKSUM', `${label}: checksum failed; two or more words are wrong. Re-enter the share from its sheet`, {
      where: label,
    });
  }
  // the first word carries the version (its top 4 bits) and the flags: they fix the layout
  const version = (symbols[0] as number) >> 7;
  if (!(SHARE_VERSIONS as readonly number[]).includes(version)) {
    throw new KeyceremonyError(
      'UNSUPPORTED_FORMAT',
      `${label}: share format version ${version} is not supported (this tool reads ${SHARE_VERSIONS.join(' and ')})`,
      { where: label },
    );
  }
  const prot = symbols.length === wordsFor(true, version);
  if (!prot && symbols.length !== wordsFor(false, version)) {
    throw new KeyceremonyError(
      'SHARE_INVALID',
      `${label}: a format ${version} share has ${wordsFor(false, version)} or ${wordsFor(true, version)} words, this one has ${symbols.length}`,
      {
        where: label,
        details: { words: symbols.length },
      },
    );
  }
  const bodyLen = prot ? BODY_PROTECTED : BODY_PLAIN;
  const bits = headerBits(version) + bodyLen * 8;
  const buf = symbolsToBytes(symbols.slice(0, symbols.length - CHECK_WORDS), bits);
  if (!buf) throw new KeyceremonyError('SHARE_INVALID', `${label}: padding bits are not zero`, { where: label });
  const flags = (buf[0] as number) & 15;
  if (((flags & FLAG_PASSPHRASE) !== 0) !== prot || (flags & ~FLAG_PASSPHRASE) !== 0) {
    throw new KeyceremonyError('SHARE_INVALID', `${label}: share flags do not match its length`, { where: label });
  }
  const setId = toHex(buf.subarray(1, 4));
  const m = ((buf[4] as number) >> 4) + 1;
  const n = ((buf[4] as number) & 15) + 1;
  const index = ((buf[5] as number) >> 4) + 1;
  const k = (((buf[5] as number) & 15) << 20) | ((buf[6] as number) << 12) | ((buf[7] as number) << 4) | ((buf[8] as number) >> 4);
  const kcv = k.toString(16).padStart(6, '0');
  const x = version === 1 ? index : (((buf[8] as number) & 15) << 4) | ((buf[9] as number) >> 4);
  const off = bodyOffset(version);
  const body = new Uint8Array(bodyLen);
  for (let i = 0; i < bodyLen; i++) body[i] = (((buf[off + i] as number) & 15) << 4) | ((buf[off + 1 + i] as number) >> 4);
  buf.fill(0);
  const s: Share = { version, setId, m, n, index, x, kcv, protected: prot, body };
  validateFields(s, label);
  return s;
}

/**
 * Share text: what goes into a share file and the QR code. The words are the share; the header
 * lines are informational except `custodian`, which recovery compares with the backup file.
 */
export function shareToText(s: Share): string {
  const words = shareToWords(s);
  const lines = [
    `keyceremony share v${s.version}`,
    `set: ${s.setId}`,
    `share: ${s.index} of ${s.n} (${s.m} needed)`,
    `custodian: ${(s.custodian ?? '').replace(/[\r\n]/g, ' ')}`,
    `kek-check: ${s.kcv}`,
    `passphrase: ${s.protected ? 'yes' : 'no'}`,
    'words:',
  ];
  for (let i = 0; i < words.length; i += 6) lines.push(words.slice(i, i + 6).join(' '));
  return lines.join('\n') + '\n';
}

/**
 * Parse a share from text: either a share file (header lines + words) or bare words (typed).
 * Numbers like "1." or "12)" before words are ignored so people can type from the numbered sheet.
 */
export function parseShareText(text: string, label: string): Share {
  let custodian: string | undefined;
  const wordLines: string[] = [];
  let inWords = !/^\s*keyceremony share/i.test(text);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (!inWords) {
      const m = /^([a-z-]+):\s*(.*)$/i.exec(line);
      if (m && (m[1] as string).toLowerCase() === 'custodian') custodian = (m[2] as string).trim() || undefined;
      if (m && (m[1] as string).toLowerCase() === 'words') {
        inWords = true;
        if ((m[2] as string).trim()) wordLines.push(m[2] as string);
      }
      continue;
    }
    wordLines.push(line);
  }
  const words = wordLines
    .join(' ')
    .split(/[\s,]+/)
    .map((w) => w.replace(/^\d+[.):]?$/, ''))
    .filter((w) => w.length > 0);
  const s = wordsToShare(words, label);
  if (custodian !== undefined) s.custodian = custodian;
  return s;
}

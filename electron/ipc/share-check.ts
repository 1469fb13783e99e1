/**
 * Per-word validation of a share as a custodian types it (kc:backup.checkShare): each word checked
 * against the word list, then the whole share (length, checksum naming the wrong word) and, when the
 * screen says whose share it expects, a clear message for somebody else's (foreign) share.
 * The share itself is not kept or logged; only the verdict goes back.
 */
import { KeyceremonyError, toErrorInfo } from '../../shared/errors';
import type { ShareCheck } from '../../shared/ipc/contract';
import { SHARE_WORD_COUNTS, wordIndex, wordsFor, wordsFromFirstWord, wordsToShare } from '../core/backup';

export function checkShareText(text: string, expect?: { index?: number; custodian?: string; setId?: string; entered?: number[] }): ShareCheck {
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(/^\d+[.)]?$/, ''))
    .filter((w) => w.length > 0);
  const checked = words.map((w) => ({ word: w, ok: wordIndex(w) >= 0 }));
  // the first word says the share's format and whether it is passphrase-protected, hence its length
  const expectedWords = (words[0] !== undefined ? wordsFromFirstWord(words[0]) : undefined) ?? wordsFor(false);
  const out: ShareCheck = { words: checked, expectedWords, complete: false };
  if (checked.some((w) => !w.ok)) {
    const i = checked.findIndex((w) => !w.ok);
    out.problem = { code: 'SHARE_CHECKSUM', message: `Word ${i + 1} (“${checked[i]!.word}”) is not in the word list. Check it on the share sheet.` };
    return out;
  }
  if (words.length !== expectedWords || !SHARE_WORD_COUNTS.includes(words.length)) {
    if (words.length > 0) out.problem = { code: 'SHARE_INVALID', message: `${words.length} of ${expectedWords} words so far.` };
    return out;
  }
  try {
    const s = wordsToShare(words, 'typed share');
    s.body.fill(0);
    out.share = { index: s.index, n: s.n, m: s.m, setId: s.setId };
    if (expect?.setId !== undefined && s.setId !== expect.setId) {
      throw new KeyceremonyError(
        'SHARE_FOREIGN',
        `This share belongs to share set ${s.setId}; this recovery needs shares of set ${expect.setId}. It is a share of another backup.`,
        { where: 'share' },
      );
    }
    if (expect?.entered?.includes(s.index)) {
      throw new KeyceremonyError('SHARE_DUPLICATE', `Share ${s.index} was entered already; each share counts once.`, { where: 'share' });
    }
    if (expect?.index !== undefined && s.index !== expect.index) {
      throw new KeyceremonyError(
        'SHARE_FOREIGN',
        `This is share ${s.index} of ${s.n}, not share ${expect.index}${expect.custodian ? ` of ${expect.custodian}` : ''}. Each custodian types their own share.`,
        { where: 'share' },
      );
    }
    out.complete = true;
  } catch (e) {
    const info = toErrorInfo(e);
    out.problem = { code: info.code, message: info.message };
  }
  return out;
}

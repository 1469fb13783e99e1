import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PDFDocument } from 'pdf-lib';
import { passphraseBytes, protectShare, splitKek } from '../../electron/core/backup';
import { shareSheetPdf } from '../../electron/adapters/backup/share-sheet';

test('share sheet: one A4 page per custodian, titled with set and index; plain and passphrase-protected', async () => {
  const kek = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const { shares, setId } = await splitKek(kek, { m: 2, n: 3, custodians: ['Zoë Ünicode-Ł', 'Bob', 'Carol'] });
  const prot = await protectShare(shares[1]!, passphraseBytes('pp'));
  for (const s of [shares[0]!, prot]) {
    const pdf = await shareSheetPdf(s, { keyLabel: 'root', fingerprint: 'ab'.repeat(32), createdAt: '2026-11-22T05:00:00.000Z', tokenLabel: 'tokA' });
    assert.equal(Buffer.from(pdf.subarray(0, 5)).toString(), '%PDF-');
    const doc = await PDFDocument.load(pdf);
    assert.equal(doc.getPageCount(), 1);
    assert.equal(doc.getTitle(), `keyceremony share ${s.index} of 3, set ${setId}`);
    const { width, height } = doc.getPage(0).getSize();
    assert.deepEqual([Math.round(width), Math.round(height)], [595, 842]);
    // the sheet does not carry the KEK
    assert.equal(Buffer.from(pdf).includes(Buffer.from(kek)), false);
    assert.equal(Buffer.from(pdf).includes(Buffer.from(Buffer.from(kek).toString('hex'))), false);
  }
});

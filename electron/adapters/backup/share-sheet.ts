/**
 * Printable share sheet (PDF, A4) for one custodian: set id, share index, m-of-n, custodian, KEK
 * check value, numbered words, a QR code of the share text, and instructions. The sheet IS the share:
 * print it on an offline printer and never store the PDF on a networked machine.
 *
 * The QR code is drawn as vector squares (qrcode's module matrix), so no image codec is involved.
 * pdf-lib's standard fonts cover WinAnsi (Latin-1) only: other characters in names print as '?'.
 */
import QRCode from 'qrcode';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { shareToText, shareToWords, type Share } from '../../core/backup';

const winAnsi = (s: string) => s.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');

export interface SheetInfo {
  keyLabel: string;
  fingerprint: string;
  createdAt: string;
  tokenLabel?: string;
}

export async function shareSheetPdf(share: Share, info: SheetInfo): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`keyceremony share ${share.index} of ${share.n}, set ${share.setId}`);
  doc.setCreator('keyceremony');
  doc.setProducer('keyceremony');
  // fixed dates: the PDF does not leak when it was printed, and identical input gives identical output
  doc.setCreationDate(new Date(info.createdAt));
  doc.setModificationDate(new Date(info.createdAt));
  const page = doc.addPage([595.28, 841.89]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const mono = await doc.embedFont(StandardFonts.Courier);
  let y = 800;
  const text = (t: string, size = 10, f = font, x = 40) => {
    page.drawText(winAnsi(t), { x, y, size, font: f, color: rgb(0, 0, 0) });
    y -= size + 5;
  };
  text(`KEY BACKUP SHARE  ${share.index} of ${share.n}`, 18, bold);
  text(`${share.m} of ${share.n} needed to recover. Share set ${share.setId}.`, 11, bold);
  y -= 4;
  text(`Custodian: ${(share.custodian ?? '(unnamed)').slice(0, 40)}`, 11);
  text(`Key: "${info.keyLabel.slice(0, 40)}"`, 9);
  text('Public key fingerprint (SHA-256):', 9);
  text(`${info.fingerprint.slice(0, 32)}`, 8, mono);
  text(`${info.fingerprint.slice(32)}`, 8, mono);
  text(`KEK check value: ${share.kcv}`, 9);
  text(`Made: ${info.createdAt}`, 9);
  if (info.tokenLabel) text(`Source token: ${info.tokenLabel.slice(0, 40)}`, 9);
  text(share.protected ? 'Passphrase: YES - also needs your passphrase' : 'Passphrase: no', 9, share.protected ? bold : font);
  y -= 6;
  const words = shareToWords(share);
  const top = y;
  const perCol = Math.ceil(words.length / 3);
  words.forEach((w, i) => {
    const col = Math.floor(i / perCol);
    const row = i % perCol;
    page.drawText(`${String(i + 1).padStart(2, ' ')}. ${w}`, { x: 48 + col * 120, y: top - row * 17, size: 12, font: mono });
  });
  y = top - perCol * 17 - 10;
  // QR code of the share text (what `backup recover --share-file` reads), right of the words
  const qr = QRCode.create(shareToText(share), { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const cell = Math.min(3.2, 170 / size);
  const qx = 395;
  const qy = top + 12 - size * cell;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (qr.modules.get(r, c)) page.drawRectangle({ x: qx + c * cell, y: qy + (size - 1 - r) * cell, width: cell, height: cell, color: rgb(0, 0, 0) });
    }
  }
  page.drawText('QR: the same share as text', { x: qx, y: qy - 12, size: 7, font });
  y = Math.min(y, qy - 30);
  y -= 4;
  const instructions = [
    'Instructions',
    '1. This sheet is one share of a secret that protects a backup of a signing key. Alone it reveals nothing;',
    `   any ${share.m} different shares of set ${share.setId} together with the backup file recover the key.`,
    '2. Keep it sealed, offline and away from the other shares. Do not photograph, scan or copy it.',
    '3. At the ceremony you will be asked to type it back (verify-every-share). Type the words in order;',
    '   the first four letters of each word are enough. The checksum tells you which word is wrong.',
    '4. If custodians change, the ceremony either re-splits (old shares + the old backup file still work: destroy',
    '   them) or rotates (old shares become useless). Destroy this sheet only when told it was replaced.',
    '5. If this sheet may have been seen or copied, tell the key owner: the safe answer is to rotate.',
  ];
  text(instructions[0] as string, 11, bold);
  for (const l of instructions.slice(1)) text(l, 8.5);
  return doc.save({ useObjectStreams: false });
}

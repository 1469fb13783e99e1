/**
 * The share sheet's QR code decodes to exactly the share text `--share-file` reads. Needs pdftoppm
 * (poppler-utils) and zbarimg (zbar-tools); skipped with that reason when they are not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseShareText, passphraseBytes, protectShare, shareToText, splitKek } from '../../electron/core/backup';
import { shareSheetPdf } from '../../electron/adapters/backup/share-sheet';

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = have('pdftoppm') && have('zbarimg');

test(
  'share sheet QR code decodes to the share text (plain and passphrase-protected)',
  { skip: tools ? false : 'pdftoppm (poppler-utils) or zbarimg (zbar-tools) not installed' },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-qr-'));
    try {
      const kek = globalThis.crypto.getRandomValues(new Uint8Array(32));
      const { shares } = await splitKek(kek, { m: 2, n: 2, custodians: ['Alice', 'Bob'] });
      const prot = await protectShare(shares[1]!, passphraseBytes('pp'));
      for (const s of [shares[0]!, prot]) {
        const pdf = await shareSheetPdf(s, { keyLabel: 'root', fingerprint: 'cd'.repeat(32), createdAt: '2026-11-22T05:00:00.000Z' });
        const f = join(dir, `s${s.index}.pdf`);
        writeFileSync(f, pdf);
        execFileSync('pdftoppm', ['-r', '200', '-png', '-singlefile', f, join(dir, `s${s.index}`)]);
        const raw = execFileSync('zbarimg', ['-q', '--raw', join(dir, `s${s.index}.png`)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
        assert.equal(raw.replace(/\n+$/, '\n'), shareToText(s));
        const back = parseShareText(raw, 'qr');
        assert.deepEqual([...back.body], [...s.body]);
        assert.equal(back.custodian, s.custodian);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

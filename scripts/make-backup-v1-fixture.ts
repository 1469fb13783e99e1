/**
 * Made the committed v1 share-set fixture (test/fixtures/backup-v1/) with the share format and
 * Shamir library of that day (shamirs-secret-sharing, share format v1), BEFORE the new format
 * existed, so a test proves old share sets keep recovering. Kept as the record of how the fixture was
 * made; re-running it makes a DIFFERENT set (new key, new KEK), so do not re-run it to "refresh".
 *   node --import tsx scripts/make-backup-v1-fixture.ts OUTDIR
 * TEST DATA: a throwaway P-256 key on a throwaway SoftHSM2 token; the shares protect nothing.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSoftHsm } from '../test/helpers/softhsm';
import { main } from '../electron/cli/main';
import { makeContext } from '../electron/cli/context';

const out = process.argv[2];
if (!out) throw new Error('usage: make-backup-v1-fixture.ts OUTDIR');
const PIN = 'fixture-Pin-1';
const SO_PIN = 'fixture-So-2';
const hsm = await makeSoftHsm(['v1-fixture'], { pin: PIN, soPin: SO_PIN });
const dir = mkdtempSync(join(tmpdir(), 'kc-v1-fixture-'));
try {
  writeFileSync(join(dir, 'pin'), PIN + '\n');
  writeFileSync(join(dir, 'so-pin'), SO_PIN + '\n');
  writeFileSync(join(dir, 'pp'), 'correct horse battery staple\n');
  const env = { ...process.env, SOFTHSM2_CONF: hsm.conf, KEYCEREMONY_PKCS11_MODULE: hsm.module, KEYCEREMONY_PIN: '', KEYCEREMONY_SO_PIN: '' };
  const run = async (args: string[]) => {
    const code = await main(args, makeContext({ env }));
    if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}`);
  };
  await run([
    'keygen',
    '--token',
    'v1-fixture',
    '--type',
    'ecdsa-p256',
    '--label',
    'v1-signing-key',
    '--id',
    '0a0b0c',
    '--backupable',
    '--pin-file',
    join(dir, 'pin'),
  ]);
  await run([
    'backup',
    'create',
    '--token',
    'v1-fixture',
    '--label',
    'v1-signing-key',
    '--m',
    '2',
    '--n',
    '3',
    '--custodians',
    'Ada,Bo,Cy',
    '--protect',
    '3',
    '--passphrase-file',
    `3=${join(dir, 'pp')}`,
    '--out',
    join(dir, 'backup'),
    '--pin-file',
    join(dir, 'pin'),
    '--so-pin-file',
    join(dir, 'so-pin'),
  ]);
  mkdirSync(out, { recursive: true });
  for (const f of ['backup.json', 'public-key.pem']) cpSync(join(dir, 'backup', f), join(out, f));
  for (const f of readdirSync(join(dir, 'backup', 'shares')).filter((x) => x.endsWith('.txt'))) cpSync(join(dir, 'backup', 'shares', f), join(out, f));
} finally {
  rmSync(dir, { recursive: true, force: true });
  hsm.cleanup();
}

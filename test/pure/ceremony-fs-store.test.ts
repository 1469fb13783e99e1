/** The ceremony fs adapters: torn transcript tails, atomic state, links refused in bundle folders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsJournal, FsOutputStore, listRegularFiles } from '../../electron/adapters/fs/ceremony-store';
import { KeyceremonyError } from '../../shared/errors';

test('a torn last transcript line is ignored on read and cut before the next append', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-fsj-'));
  try {
    const j = new FsJournal(join(dir, 'run'), join(dir, 'bundle'));
    await j.appendTranscript(['{"a":1}', '{"a":2}']);
    appendFileSync(j.transcriptPath, '{"a":3,"tor'); // a crash in the middle of an append
    assert.deepEqual(await j.readTranscript(), ['{"a":1}', '{"a":2}']);
    await j.appendTranscript(['{"a":3}']);
    assert.equal(readFileSync(j.transcriptPath, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
    assert.equal(await j.loadState(), null);
    await j.saveState('{"x":1}');
    assert.equal(await j.loadState(), '{"x":1}');
    await assert.rejects(j.appendTranscript(['a\nb']), /newline/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bundle folders: symlinks and hard links are refused; temp files of interrupted writes are listed, and removed when the store is opened again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-fsb-'));
  try {
    const s = new FsOutputStore(join(dir, 'b'));
    await s.write('keys/a.pem', new TextEncoder().encode('x'));
    writeFileSync(join(dir, 'b', 'keys', '.a.pem.0123456789ab.tmp'), 'half');
    assert.deepEqual(await s.list(), ['keys/.a.pem.0123456789ab.tmp', 'keys/a.pem']);
    assert.deepEqual(new FsOutputStore(join(dir, 'b')).removedTempFiles, ['keys/.a.pem.0123456789ab.tmp']);
    assert.deepEqual(await s.list(), ['keys/a.pem']);
    symlinkSync('/etc/hostname', join(dir, 'b', 'link'));
    assert.throws(
      () => listRegularFiles(join(dir, 'b')),
      (e: KeyceremonyError) => e.code === 'PATH_TRAVERSAL' && e.where === 'link',
    );
    rmSync(join(dir, 'b', 'link'));
    mkdirSync(join(dir, 'other'));
    linkSync(join(dir, 'b', 'keys', 'a.pem'), join(dir, 'other', 'hard.pem'));
    assert.throws(
      () => listRegularFiles(join(dir, 'b')),
      (e: KeyceremonyError) => e.code === 'PATH_TRAVERSAL' && /hard links/.test(e.message),
    );
    rmSync(join(dir, 'other'), { recursive: true });
    assert.throws(
      () => listRegularFiles(join(dir, 'b'), 0),
      (e: KeyceremonyError) => e.code === 'TOO_LARGE',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

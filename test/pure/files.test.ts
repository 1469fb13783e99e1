/**
 * The "files" IPC area and its adapter: paths stay in main behind handles; writes into a chosen
 * folder are atomic and never replace a file; a written share sheet is overwritten then removed;
 * names with folders or ".." are refused before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { freeName, shredFile, writeFilesInto } from '../../electron/adapters/fs/files';
import { createIpcHost } from '../../electron/ipc/handlers';

const tmp = () => mkdtempSync(join(tmpdir(), 'kc-files-'));

test('writeFilesInto writes each file atomically, keeps existing files, and refuses folder parts', () => {
  const d = tmp();
  try {
    writeFileSync(join(d, 'a.txt'), 'old');
    assert.deepEqual(
      writeFilesInto(d, [
        { name: 'a.txt', bytes: 'new' },
        { name: 'b.bin', bytes: new Uint8Array([1, 2]) },
      ]),
      ['a (2).txt', 'b.bin'],
    );
    assert.equal(readFileSync(join(d, 'a.txt'), 'utf8'), 'old');
    assert.equal(readFileSync(join(d, 'a (2).txt'), 'utf8'), 'new');
    assert.deepEqual(writeFilesInto(d, [{ name: 'x/y.json', bytes: '{}' }], 'bundle'), ['bundle/x/y.json']);
    assert.deepEqual(writeFilesInto(d, [{ name: 'z', bytes: '' }], 'bundle'), ['bundle (2)/z']);
    for (const bad of ['../evil', '..', 'a\\b', 'x/../../y']) {
      assert.throws(
        () => writeFilesInto(d, [{ name: bad, bytes: 'x' }]),
        (e: { code?: string }) => e.code === 'PATH_TRAVERSAL',
        bad,
      );
    }
    assert.throws(
      () => writeFilesInto(join(d, 'gone'), [{ name: 'a', bytes: 'x' }]),
      (e: { code?: string }) => e.code === 'NOT_FOUND',
    );
    assert.equal(
      readdirSync(d).some((f) => f.endsWith('.tmp')),
      false,
      'no temp files left',
    );
    assert.equal(freeName(d, 'c.txt'), 'c.txt');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('shredFile overwrites the bytes before removing the file (an open descriptor reads zeros)', () => {
  const d = tmp();
  try {
    const p = join(d, 'share-1-of-3.pdf');
    const secret = Buffer.from('%PDF-1.7 secret share words abandon ability able about above'.repeat(100));
    writeFileSync(p, secret);
    const fd = openSync(p, 'r');
    try {
      assert.equal(shredFile(p), secret.length);
      assert.equal(existsSync(p), false);
      const after = Buffer.alloc(secret.length);
      readSync(fd, after, 0, after.length, 0);
      assert.equal(
        after.every((b) => b === 0),
        true,
        'the old inode holds zeros, not the share',
      );
    } finally {
      closeSync(fd);
    }
    assert.throws(
      () => shredFile(p),
      (e: { code?: string }) => e.code === 'IO_ERROR',
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('files channels: folders and written files are named by handle; cancelled dialogs answer null', async () => {
  const d = tmp();
  try {
    const answers: { folder: string | null; open: string | null } = { folder: null, open: null };
    const host = createIpcHost(
      {
        mode: 'rehearsal',
        version: 't',
        moduleName: null,
        openTokens: () => {
          throw new Error('no tokens here');
        },
        saveFile: async (r) => {
          writeFileSync(join(d, r.suggestedName), r.text);
          return { saved: true, name: r.suggestedName, path: join(d, r.suggestedName) };
        },
        files: { chooseFolder: async () => answers.folder, openFile: async () => answers.open },
      },
      { isTrustedSender: () => true },
    );
    const ctx = { senderUrl: 'app://keyceremony/index.html', isMainFrame: true, emit: () => {} };
    const call = async (c: string, p: unknown) => {
      const r = await host.dispatch(c, p, ctx);
      if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
      return r.value as Record<string, unknown> | null;
    };
    assert.equal(await call('kc:files.chooseFolder', { purpose: 'bundle' }), null);
    answers.folder = d;
    const f = (await call('kc:files.chooseFolder', { purpose: 'bundle' }))!;
    assert.match(String(f.folderId), /^f\d+$/);
    assert.equal(f.display, d);
    const w = (await call('kc:files.writeInto', {
      folderId: f.folderId,
      files: [
        { name: 'n.txt', text: 'hi' },
        { name: 'b.bin', b64: 'AAE=' },
      ],
    }))!;
    assert.deepEqual(w.written, ['n.txt', 'b.bin']);
    assert.deepEqual([...readFileSync(join(d, 'b.bin'))], [0, 1]);
    await assert.rejects(call('kc:files.writeInto', { folderId: 'f999', files: [{ name: 'x', text: '' }] }), { code: 'NOT_FOUND' });
    await assert.rejects(call('kc:files.writeInto', { folderId: f.folderId, files: [{ name: 'x', text: '', b64: '' }] }), { code: 'INVALID_INPUT' });
    // a path instead of a handle never reaches a handler
    await assert.rejects(call('kc:files.writeInto', { folderId: '/etc', files: [{ name: 'x', text: '' }] }), { code: 'INVALID_INPUT' });
    assert.equal(await call('kc:files.open', { purpose: 'tuf-root' }), null);
    writeFileSync(join(d, 'root.json'), '{"signed":{}}');
    answers.open = join(d, 'root.json');
    assert.deepEqual(await call('kc:files.open', { purpose: 'tuf-root' }), { name: 'root.json', text: '{"signed":{}}', size: 13 });
    await assert.rejects(call('kc:files.open', { purpose: 'tuf-root', maxBytes: 4 }), { code: 'TOO_LARGE' });
    // a device, a FIFO or a folder chosen in the dialog is refused before it is read (no hang on /dev/zero or a FIFO with no writer)
    execFileSync('mkfifo', [join(d, 'fifo')]);
    for (const [path, name] of [
      ['/dev/zero', 'zero'],
      [join(d, 'fifo'), 'fifo'],
      [d, basename(d)],
    ] as const) {
      answers.open = path;
      await assert.rejects(call('kc:files.open', { purpose: 'other' }), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'INVALID_INPUT', path);
        assert.match(e.message, new RegExp(`${name} is not a regular file`));
        return true;
      });
    }
    writeFileSync(join(d, 'bin'), Buffer.from([0xff, 0xfe, 0x00]));
    answers.open = join(d, 'bin');
    await assert.rejects(call('kc:files.open', { purpose: 'other' }), { code: 'INVALID_INPUT' });
    assert.deepEqual(await call('kc:files.open', { purpose: 'other', encoding: 'base64' }), { name: 'bin', text: '//4A', size: 3 });
    // a file main did not write cannot be shredded; a handle works once
    await assert.rejects(call('kc:files.shred', { fileId: 'w77' }), { code: 'NOT_FOUND' });
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

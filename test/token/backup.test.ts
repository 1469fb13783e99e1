/**
 * m-of-n backup round trip on SoftHSM2 (issue 7): key on token A -> backup 3-of-5 -> recover onto a
 * fresh token B from shares 2, 4, 5; openssl verifies B's signature with A's public key; pkcs11-tool
 * shows the recovered key sensitive with the recorded id/label; bad share sets are refused with token B
 * unchanged; no KEK, share or PIN in any written file except the share sheets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSoftHsm, type TestHsm } from '../helpers/softhsm';
import { main } from '../../electron/cli/main';
import { makeContext, type CliContext } from '../../electron/cli/context';
import { Pkcs11Module } from '../../electron/adapters/pkcs11';
import { combineShares, parseShareText, shareToWords, wordsToShare, WORDLIST } from '../../electron/core/backup';
import { pemEncode } from '../../shared/encoding/bytes';

const PIN = 'kc-Pin-7x3q';
const SO_PIN = 'kc-So-9w2z';
let hsm: TestHsm;
let dir: string;
let pubA: Uint8Array;
let keyId: string;

async function kc(args: string[], prompts: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const base = makeContext({ env: { ...process.env, KEYCEREMONY_PIN: '', KEYCEREMONY_SO_PIN: '' } });
  const promptSecret = async () => {
    const next = prompts.shift();
    if (next === undefined) throw new Error('no TTY in tests');
    return new TextEncoder().encode(next);
  };
  const ctx: CliContext = { ...base, out: (l) => void out.push(l), err: (l) => void err.push(l), promptSecret };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function listObjects(label: string): string {
  return execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', label, '--login', '--pin', PIN, '--list-objects'], {
    env: { ...process.env, SOFTHSM2_CONF: hsm.conf },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
}

/** The share set folder (<out>/set-<set id>) of the one backup written under dir/<name>. */
const setDir = (name: string) => {
  const sets = readdirSync(join(dir, name)).filter((n) => n.startsWith('set-'));
  assert.equal(sets.length, 1, `one share set under ${name}: ${sets.join(', ')}`);
  return join(dir, name, sets[0]!);
};

const shareFile = (i: number) => {
  const d = join(setDir('out'), 'shares');
  const f = readdirSync(d).find((x) => x.startsWith(`share-${i}-of-5-`) && x.endsWith('.txt'));
  assert.ok(f, `share file ${i}`);
  return join(d, f);
};
const pinArgs = ['--pin-file', 'PINFILE'];

before(async () => {
  hsm = await makeSoftHsm(['bk-a', 'bk-b'], { pin: PIN, soPin: SO_PIN });
  dir = mkdtempSync(join(tmpdir(), 'kc-backup-'));
  writeFileSync(join(dir, 'pin'), PIN + '\n');
  writeFileSync(join(dir, 'so-pin'), SO_PIN + '\n');
  writeFileSync(join(dir, 'pp-gus'), 'Gus passphrase: tram ferry 42\n');
  pinArgs[1] = join(dir, 'pin');
  const mod = Pkcs11Module.open();
  try {
    await mod.withSession({ label: 'bk-a' }, { pin: () => new TextEncoder().encode(PIN), rw: true }, async (s) => {
      const { key } = await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'root-key', profile: 'backupable' });
      assert.equal(key.attrs.extractable, true);
      assert.equal(key.attrs.wrapWithTrusted, true);
      pubA = key.publicKeySpki;
      keyId = key.idHex;
      await s.generateKeyPair({ keyType: 'ecdsa-p256', label: 'locked-key', profile: 'non-extractable' });
    });
  } finally {
    mod.close();
  }
  writeFileSync(join(dir, 'pubA.pem'), pemEncode('PUBLIC KEY', pubA));
});
after(() => {
  hsm?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('backup on SoftHSM2', () => {
  test('a non-extractable key is refused; a backup-able key without the SO PIN is refused; token A unchanged', async () => {
    const before = listObjects('bk-a');
    const r = await kc(['backup', 'create', '--token', 'bk-a', '--label', 'locked-key', '--m', '2', '--n', '3', '--out', join(dir, 'no'), ...pinArgs]);
    assert.equal(r.code, 1);
    assert.match(r.err, /error\[KEY_NOT_EXTRACTABLE\].*non-extractable/);
    const r2 = await kc(['backup', 'create', '--token', 'bk-a', '--label', 'root-key', '--m', '2', '--n', '3', '--out', join(dir, 'no'), ...pinArgs]);
    assert.equal(r2.code, 1);
    assert.match(r2.err, /error\[/);
    assert.equal(existsSync(join(dir, 'no')), false, 'nothing written');
    assert.equal(listObjects('bk-a'), before);
  });

  test('create 3-of-5 (trusted session KEK, KWP), then verify-every-share', async () => {
    const r = await kc([
      'backup',
      'create',
      '--token',
      'bk-a',
      '--label',
      'root-key',
      '--m',
      '3',
      '--n',
      '5',
      '--custodians',
      'Alice,Bob,Carol,Dan,Eve',
      '--out',
      join(dir, 'out'),
      ...pinArgs,
      '--so-pin-file',
      join(dir, 'so-pin'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /CKM_AES_KEY_WRAP_PAD under a session KEK marked trusted by the security officer/);
    assert.match(r.out, /proven by a test unwrap \+ signature on the source token; KEK destroyed/);
    const backup = JSON.parse(readFileSync(join(setDir('out'), 'backup.json'), 'utf8'));
    assert.equal(backup.wrap.mechanismId, 0x210a);
    assert.equal(backup.key.id, keyId);
    assert.deepEqual(backup.shareSet.custodians, ['Alice', 'Bob', 'Carol', 'Dan', 'Eve']);
    for (let i = 1; i <= 5; i++) {
      const pdf = readFileSync(shareFile(i).replace(/\.txt$/, '.pdf'));
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
      assert.equal(statSync(shareFile(i)).mode & 0o777, 0o600);
    }
    // the session KEK is gone from token A
    assert.doesNotMatch(listObjects('bk-a'), /Secret Key Object/);
    const v = await kc([
      'backup',
      'verify-shares',
      '--backup',
      join(setDir('out'), 'backup.json'),
      ...[1, 2, 3, 4, 5].flatMap((i) => ['--share-file', shareFile(i)]),
    ]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /combined all 10 3-subsets literally/);
    assert.match(v.out, /every share verified/);
    // typed at the (hidden) prompt: numbered, first four letters, upper case, in any order
    const typed = [4, 1, 5, 2, 3].map((i) =>
      shareToWords(parseShareText(readFileSync(shareFile(i), 'utf8'), 'x'))
        .map((w, k) => `${k + 1}. ${w.slice(0, 4).toUpperCase()}`)
        .join(' '),
    );
    const vp = await kc(['backup', 'verify-shares', '--backup', join(setDir('out'), 'backup.json'), '--prompt', '5'], typed);
    assert.equal(vp.code, 0, vp.err);
    assert.match(vp.out, /ok {2}share typed #1: share 4 of set/);
    assert.match(vp.out, /every share verified/);
    const partial = await kc([
      'backup',
      'verify-shares',
      '--backup',
      join(setDir('out'), 'backup.json'),
      '--share-file',
      shareFile(1),
      '--share-file',
      shareFile(3),
      '--share-file',
      shareFile(5),
    ]);
    assert.equal(partial.code, 1);
    assert.match(partial.out, /NOT verified \(not given\): share 2, 4/);
  });

  test('re-split: new set id; old shares + old backup file still work, new ones too', async () => {
    const r = await kc([
      'backup',
      'refresh',
      '--mode',
      'resplit',
      '--backup',
      join(setDir('out'), 'backup.json'),
      '--share-file',
      shareFile(1),
      '--share-file',
      shareFile(3),
      '--share-file',
      shareFile(5),
      '--m',
      '2',
      '--n',
      '3',
      '--custodians',
      'Fay,Gus,Hal',
      '--out',
      join(dir, 'resplit'),
      '--protect',
      '2',
      '--passphrase-file',
      `2=${join(dir, 'pp-gus')}`,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /OLD shares .* still recover the key/);
    // a passphrase typed twice differently at the prompt: refused, nothing written
    const mismatch = await kc(
      [
        'backup',
        'refresh',
        '--mode',
        'resplit',
        '--backup',
        join(setDir('out'), 'backup.json'),
        '--share-file',
        shareFile(1),
        '--share-file',
        shareFile(3),
        '--share-file',
        shareFile(5),
        '--m',
        '2',
        '--n',
        '2',
        '--custodians',
        'P,Q',
        '--out',
        join(dir, 'resplit-x'),
        '--protect',
        '1',
      ],
      ['first passphrase', 'first passphrasE'],
    );
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.err, /error\[INVALID_INPUT\]: the two passphrases for share 1 differ; nothing was written/);
    assert.equal(existsSync(join(dir, 'resplit-x')), false);
    const oldB = JSON.parse(readFileSync(join(setDir('out'), 'backup.json'), 'utf8'));
    const newB = JSON.parse(readFileSync(join(setDir('resplit'), 'backup.json'), 'utf8'));
    assert.notEqual(newB.shareSet.id, oldB.shareSet.id);
    assert.equal(newB.wrap.wrappedKey, oldB.wrap.wrappedKey);
    assert.equal(newB.origin.kind, 'resplit');
    const shares = readdirSync(join(setDir('resplit'), 'shares')).filter((f) => f.endsWith('.txt'));
    const gus = readFileSync(
      join(
        setDir('resplit'),
        'shares',
        shares.find((f) => f.includes('gus'))!,
      ),
      'utf8',
    );
    assert.match(gus, /passphrase: yes/);
    assert.equal(gus.split('words:')[1]!.trim().split(/\s+/).length, 45);
    const files = shares.flatMap((f) => ['--share-file', join(setDir('resplit'), 'shares', f)]);
    const bad = await kc([
      'backup',
      'verify-shares',
      '--backup',
      join(setDir('resplit'), 'backup.json'),
      ...files,
      '--passphrase-file',
      `2=${join(dir, 'pin')}`,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /error\[SHARE_INVALID\]: share file share-2-of-3-gus.txt: wrong passphrase/);
    const v = await kc([
      'backup',
      'verify-shares',
      '--backup',
      join(setDir('resplit'), 'backup.json'),
      ...files,
      '--passphrase-file',
      `2=${join(dir, 'pp-gus')}`,
    ]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /every share verified/);
  });

  test('refusals: 2 shares, a duplicate, a share of another set, one word changed; token B unchanged', async () => {
    const before = listObjects('bk-b');
    const backup = join(setDir('out'), 'backup.json');
    const foreign = join(
      setDir('resplit'),
      'shares',
      readdirSync(join(setDir('resplit'), 'shares')).find((f) => f.startsWith('share-1-') && f.endsWith('.txt'))!,
    );
    // one word changed: word 7 replaced by another valid word
    const s4 = parseShareText(readFileSync(shareFile(4), 'utf8'), 'x');
    const words = shareToWords(s4);
    words[6] = WORDLIST[(WORDLIST.indexOf(words[6]!) + 5) % 2048]!;
    writeFileSync(join(dir, 'typo.txt'), words.join(' ') + '\n');
    copyFileSync(shareFile(4), join(dir, 'dan-copy.txt'));
    const cases: [string, string[], RegExp][] = [
      ['two shares', [shareFile(2), shareFile(5)], /error\[SHARES_INSUFFICIENT\]: 3 shares of set \w+ are needed, 2 given/],
      ['duplicate', [shareFile(2), shareFile(4), join(dir, 'dan-copy.txt')], /error\[SHARE_DUPLICATE\]: share file dan-copy.txt is share 4 again/],
      ['foreign', [shareFile(2), shareFile(4), foreign], /error\[SHARE_FOREIGN\]: share file share-1-of-3-fay.txt belongs to share set \w+, not to set/],
      ['word changed', [shareFile(2), join(dir, 'typo.txt'), shareFile(5)], /error\[SHARE_CHECKSUM\]: share file typo.txt: checksum failed; word 7 is wrong/],
    ];
    for (const [name, files, re] of cases) {
      const r = await kc(['backup', 'recover', '--backup', backup, '--token', 'bk-b', ...pinArgs, ...files.flatMap((f) => ['--share-file', f])]);
      assert.equal(r.code, 1, `${name}: ${r.out}`);
      assert.match(r.err, re, name);
      assert.equal(listObjects('bk-b'), before, `${name}: token B unchanged`);
    }
  });

  test('recover onto token B from shares 5, 2, 4; openssl verifies B with A; pkcs11-tool shows it sensitive', async () => {
    const out = join(dir, 'recovered');
    const r = await kc([
      'backup',
      'recover',
      '--backup',
      join(setDir('out'), 'backup.json'),
      '--token',
      'bk-b',
      ...pinArgs,
      '--share-file',
      shareFile(5),
      '--share-file',
      shareFile(2),
      '--share-file',
      shareFile(4),
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /a fresh signature verifies under the original public key/);
    const env = { ...process.env, SOFTHSM2_CONF: hsm.conf };
    // the CLI's own proof signature, checked by openssl with A's public key
    const v1 = execFileSync('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      join(dir, 'pubA.pem'),
      '-signature',
      join(out, 'recovery-signature.bin'),
      join(out, 'recovery-challenge.bin'),
    ]).toString();
    assert.match(v1, /Verified OK/);
    // an independent signature made on token B by pkcs11-tool
    writeFileSync(join(dir, 'msg.txt'), 'signed on token B after recovery\n');
    writeFileSync(join(dir, 'msg.dgst'), execFileSync('openssl', ['dgst', '-sha256', '-binary', join(dir, 'msg.txt')]));
    execFileSync(
      'pkcs11-tool',
      [
        '--module',
        hsm.module,
        '--token-label',
        'bk-b',
        '--login',
        '--pin',
        PIN,
        '--sign',
        '--mechanism',
        'ECDSA',
        '--label',
        'root-key',
        '--signature-format',
        'openssl',
        '-i',
        join(dir, 'msg.dgst'),
        '-o',
        join(dir, 'msg.sig'),
      ],
      { env, stdio: 'ignore' },
    );
    const v2 = execFileSync('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      join(dir, 'pubA.pem'),
      '-signature',
      join(dir, 'msg.sig'),
      join(dir, 'msg.txt'),
    ]).toString();
    assert.match(v2, /Verified OK/);
    const list = listObjects('bk-b');
    const priv = list.split(/(?=Private Key Object|Public Key Object|Secret Key Object)/).find((b) => b.startsWith('Private Key Object'));
    assert.ok(priv, list);
    assert.match(priv, /label:\s+root-key/);
    assert.match(priv, new RegExp(`ID:\\s+${keyId}`));
    assert.match(priv, /Access:\s+sensitive/);
    assert.doesNotMatch(priv.replace(/never extractable/g, ''), /extractable/);
    assert.match(priv, /Usage:\s+sign\s*\n/);
    assert.doesNotMatch(list, /Secret Key Object/, 'no KEK left on token B');
    // recovering again onto the same token finds the key whole (a re-run after a crash must finish,
    // issue 12 item 2): proven again, nothing added
    const again = await kc([
      'backup',
      'recover',
      '--backup',
      join(setDir('out'), 'backup.json'),
      '--token',
      'bk-b',
      ...pinArgs,
      '--share-file',
      shareFile(1),
      '--share-file',
      shareFile(2),
      '--share-file',
      shareFile(3),
    ]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /already recovered/);
    assert.equal(listObjects('bk-b'), list);
  });

  test('a format 1 share set made before format 2 (test/fixtures/backup-v1) recovers onto a fresh token; openssl verifies under its public key', async () => {
    const V1 = resolve(import.meta.dirname, '..', 'fixtures', 'backup-v1');
    hsm.addToken('bk-v1', PIN);
    writeFileSync(join(dir, 'pp-cy'), 'correct horse battery staple\n');
    const out = join(dir, 'recovered-v1');
    const r = await kc([
      'backup',
      'recover',
      '--backup',
      join(V1, 'backup.json'),
      '--token',
      'bk-v1',
      ...pinArgs,
      '--share-file',
      join(V1, 'share-3-of-3-cy.txt'),
      '--passphrase-file',
      `3=${join(dir, 'pp-cy')}`,
      '--share-file',
      join(V1, 'share-1-of-3-ada.txt'),
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /a fresh signature verifies under the original public key/);
    const v = execFileSync('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      join(V1, 'public-key.pem'),
      '-signature',
      join(out, 'recovery-signature.bin'),
      join(out, 'recovery-challenge.bin'),
    ]).toString();
    assert.match(v, /Verified OK/);
    const list = listObjects('bk-v1');
    assert.match(list, /label:\s+v1-signing-key/);
    assert.match(list, /ID:\s+0a0b0c/);
  });

  test('rotate: new KEK and set; old shares do not open the new backup file', async () => {
    const r = await kc([
      'backup',
      'refresh',
      '--mode',
      'rotate',
      '--backup',
      join(setDir('out'), 'backup.json'),
      '--token',
      'bk-a',
      ...pinArgs,
      '--so-pin-file',
      join(dir, 'so-pin'),
      '--m',
      '2',
      '--n',
      '2',
      '--custodians',
      'Ivy,Jo',
      '--out',
      join(dir, 'rotated'),
    ]);
    assert.equal(r.code, 0, r.err);
    const oldB = JSON.parse(readFileSync(join(setDir('out'), 'backup.json'), 'utf8'));
    const newB = JSON.parse(readFileSync(join(setDir('rotated'), 'backup.json'), 'utf8'));
    assert.notEqual(newB.wrap.kekCheckValue, oldB.wrap.kekCheckValue);
    assert.equal(newB.origin.kind, 'rotated');
    assert.equal(newB.key.fingerprint, oldB.key.fingerprint);
    const v = await kc([
      'backup',
      'verify-shares',
      '--backup',
      join(setDir('rotated'), 'backup.json'),
      '--share-file',
      shareFile(1),
      '--share-file',
      shareFile(2),
      '--share-file',
      shareFile(3),
    ]);
    assert.equal(v.code, 1);
    assert.match(v.err, /error\[SHARE_FOREIGN\]/);
    assert.match(readFileSync(join(setDir('rotated'), 'backup-log.jsonl'), 'utf8'), /"event":"rotate".*"explanation":"Rotate: a NEW KEK/);
  });

  test('no KEK, share or PIN in any written file except the share sheets', async () => {
    const kek = await combineShares([1, 2, 3].map((i) => ({ share: parseShareText(readFileSync(shareFile(i), 'utf8'), `s${i}`), label: `s${i}` })));
    const secrets: [string, Buffer][] = [
      ['KEK raw', Buffer.from(kek)],
      ['KEK hex', Buffer.from(Buffer.from(kek).toString('hex'))],
      ['KEK base64', Buffer.from(Buffer.from(kek).toString('base64'))],
      ['user PIN', Buffer.from(PIN)],
      ['SO PIN', Buffer.from(SO_PIN)],
      ['custodian passphrase', Buffer.from('tram ferry 42')],
    ];
    const shareFiles: string[] = [];
    const all: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else all.push(p);
      }
    };
    for (const sub of ['out', 'resplit', 'recovered', 'rotated']) walk(join(dir, sub));
    for (const f of all) if (/\/shares\/share-.*\.txt$/.test(f)) shareFiles.push(f);
    for (const f of shareFiles) {
      const s = wordsToShare(shareToWords(parseShareText(readFileSync(f, 'utf8'), f)), f);
      const words = shareToWords(s);
      secrets.push([`words of ${f}`, Buffer.from(words.slice(0, 12).join(' '))]);
      secrets.push([`words of ${f} (tail)`, Buffer.from(words.slice(-12).join(' '))]);
      secrets.push([`body of ${f}`, Buffer.from(s.body)]);
      secrets.push([`body hex of ${f}`, Buffer.from(Buffer.from(s.body).toString('hex'))]);
      secrets.push([`body b64 of ${f}`, Buffer.from(Buffer.from(s.body).toString('base64'))]);
    }
    const contains = (data: Buffer, needle: Buffer) =>
      data.includes(needle) || Buffer.from(data.toString('latin1').replace(/\s+/g, ' '), 'latin1').includes(needle);
    // the scanner finds a share's words and body in its own share file (so it would find them elsewhere)
    const own = readFileSync(shareFiles[0]!);
    assert.ok(
      secrets.filter(([w]) => w.startsWith(`words of ${shareFiles[0]}`)).every(([, n]) => contains(own, n)),
      'scanner sanity',
    );
    let scanned = 0;
    for (const f of all) {
      const isSheet = /\/shares\/share-[^/]+\.(txt|pdf)$/.test(f);
      const data = readFileSync(f);
      for (const [what, needle] of secrets) {
        if (isSheet && !what.startsWith('KEK') && !what.endsWith('PIN')) continue; // a sheet holds its own share
        assert.equal(contains(data, needle), false, `${what} found in ${f}`);
      }
      scanned++;
    }
    assert.ok(scanned >= 20, `scanned ${scanned} files`);
    kek.fill(0);
  });
});

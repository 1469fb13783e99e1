/**
 * End to end, on SoftHSM2 tokens made for each run: every built-in template in rehearsal mode through
 * the CLI, the bundle verified (folder and archive), a tampered copy failing with the mismatch named,
 * and every file written scanned for PINs and shares.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { kcSync, lastLine, scanForSecrets, writeAnswers, writeScript } from '../helpers/ceremony-run';

let work: string;
const run = (name: string) => join(work, name);
before(() => {
  work = mkdtempSync(join(tmpdir(), 'kc-ceremony-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function rehearse(template: string, dir: string, extra: string[] = [], answers: Record<string, unknown> = {}) {
  const script = writeScript(dir, template);
  const ans = writeAnswers(dir, answers);
  const r = kcSync(['ceremony', 'run', script, '--rehearsal', '--answers', ans, '--out', join(dir, 'out'), ...extra]);
  assert.equal(r.code, 0, `${template}: ${r.err}\n${r.out}`);
  return r;
}

describe('templates in rehearsal mode', () => {
  test('tuf-root: bundle verifies, archive verifies, tampering is named, no secrets written', () => {
    const r = rehearse('tuf-root', run('root'));
    const archive = join(run('root'), 'out', 'REHEARSAL-tuf-root.kcbundle.tar');
    assert.equal(lastLine(r.out), `bundle: ${archive}`);
    assert.match(r.out, /bundle folder: .* — verified/);
    const bundleDir = join(run('root'), 'out', 'REHEARSAL-tuf-root-bundle');
    for (const f of [
      'manifest.json',
      'manifest.dsse.json',
      'transcript.jsonl',
      'REHEARSAL-transcript.html',
      'REHEARSAL-transcript.pdf',
      'metadata/REHEARSAL-1.root.json',
      'backup/REHEARSAL-tuf-targets.backup.json',
      'keys/REHEARSAL-root-1.pub.pem',
    ]) {
      assert.ok(existsSync(join(bundleDir, f)), f);
    }
    const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.rehearsal, true);
    assert.match(manifest.mode, /REHEARSAL/);
    const transcript = readFileSync(join(bundleDir, 'transcript.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(transcript.every((e) => e.rehearsal === true));
    const backup = transcript.find((e) => e.event === 'key-backed-up');
    assert.equal(backup.shares.length, 3);
    assert.ok(backup.shares.every((s: { verified: boolean }) => s.verified));
    const keygen = transcript.filter((e) => e.event === 'key-generated');
    assert.equal(keygen.length, 6);
    assert.ok(keygen.every((e) => e.token.serial && e.keys[0].words.split(' ').length === 32));

    const ok = kcSync(['bundle', 'verify', archive]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /bundle: verified/);

    // tampered folder copy: one metadata byte
    const bad = join(run('root'), 'tampered');
    cpSync(bundleDir, bad, { recursive: true });
    const rootFile = join(bad, 'metadata', 'REHEARSAL-1.root.json');
    writeFileSync(rootFile, readFileSync(rootFile, 'utf8').replace('"version": 1', '"version": 2'));
    const v = kcSync(['bundle', 'verify', bad]);
    assert.equal(v.code, 1);
    assert.match(v.err, /mismatch: metadata\/REHEARSAL-1\.root\.json: (SHA-256|size)/);

    // tampered transcript: a deleted line is named, even when the manifest hash is also off
    const bad2 = join(run('root'), 'tampered2');
    cpSync(bundleDir, bad2, { recursive: true });
    const lines = readFileSync(join(bad2, 'transcript.jsonl'), 'utf8').split('\n');
    lines.splice(5, 1);
    writeFileSync(join(bad2, 'transcript.jsonl'), lines.join('\n'));
    const v2 = kcSync(['bundle', 'verify', bad2]);
    assert.equal(v2.code, 1);
    assert.match(v2.err, /transcript\.jsonl: line 6: entry 5 is missing/);

    // tampered archive: flip a byte inside a member's content
    const badTar = join(run('root'), 'tampered.tar');
    copyFileSync(archive, badTar);
    const buf = readFileSync(badTar);
    const at = buf.indexOf(Buffer.from('"_type"'));
    assert.ok(at > 0);
    buf[at + 2] = buf[at + 2]! ^ 0x01;
    writeFileSync(badTar, buf);
    const v3 = kcSync(['bundle', 'verify', badTar]);
    assert.equal(v3.code, 1);
    assert.match(v3.err, /mismatch: /);

    // a symlink in a bundle folder is refused
    const bad3 = join(run('root'), 'tampered3');
    cpSync(bundleDir, bad3, { recursive: true });
    execFileSync('ln', ['-s', '/etc/passwd', join(bad3, 'keys', 'evil.pem')]);
    const v4 = kcSync(['bundle', 'verify', bad3]);
    assert.equal(v4.code, 1);
    assert.match(v4.err, /links are not allowed/);

    // extract: a good archive into a new folder verifies; an existing folder and a forged path are refused
    const ex = join(run('root'), 'extracted');
    assert.equal(kcSync(['bundle', 'extract', archive, ex]).code, 0);
    assert.equal(kcSync(['bundle', 'verify', ex]).code, 0);
    assert.equal(kcSync(['bundle', 'extract', archive, ex]).code, 1);
    const forged = readFileSync(archive);
    const name = forged.subarray(0, 100);
    const orig = name.toString('latin1').replace(/\0+$/, '');
    const evil = '../' + orig.slice(3);
    name.fill(0);
    name.write(evil, 'latin1');
    forged.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += forged[i]!;
    forged.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    writeFileSync(join(run('root'), 'forged.tar'), forged);
    const fx = kcSync(['bundle', 'extract', join(run('root'), 'forged.tar'), join(run('root'), 'forged-out')]);
    assert.equal(fx.code, 1);
    assert.match(fx.err, /error\[PATH_TRAVERSAL\]/);
    assert.equal(existsSync(join(run('root'), 'forged-out')), false);
    assert.equal(kcSync(['bundle', 'verify', join(run('root'), 'forged.tar')]).code, 1);

    const scan = scanForSecrets(join(run('root'), 'out'));
    assert.ok(scan.files > 15);
    assert.deepEqual(scan.hits, []);
  });

  test('the rehearsal records its next renewal deadlines, and `keyceremony expiry` reads its repository (names the custodians)', () => {
    const bundleDir = join(run('root'), 'out', 'REHEARSAL-tuf-root-bundle');
    const transcript = readFileSync(join(bundleDir, 'transcript.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const due = transcript.find((e) => e.event === 'renewal-deadlines');
    assert.ok(due, 'a renewal-deadlines entry');
    assert.match(due.facts['renew.root'], /^v1 expires \S+; renew by \S+ \(60 days before, default\)$/);
    assert.match(due.facts['renew.root.command'], /^keyceremony tuf renew --metadata metadata --role root --expires-in 365 --out 2\.root\.request\.json$/);
    assert.match(readFileSync(join(bundleDir, 'REHEARSAL-transcript.html'), 'utf8'), /<h2>Next renewal deadlines<\/h2>/);
    const rootExpires = JSON.parse(readFileSync(join(bundleDir, 'metadata', 'REHEARSAL-1.root.json'), 'utf8')).signed.expires as string;
    const e = kcSync(['expiry', '--metadata', join(bundleDir, 'metadata'), '--json']);
    assert.equal(e.code, 0, e.err);
    const rep = JSON.parse(e.out) as { layout: string; rows: { role: string; expires: string; signers: { name?: string }[] }[] };
    assert.match(rep.layout, /rehearsal/);
    assert.deepEqual(rep.rows.map((r) => r.role).sort(), ['root', 'snapshot', 'targets', 'timestamp']);
    const root = rep.rows.find((r) => r.role === 'root')!;
    assert.equal(root.expires, rootExpires);
    assert.deepEqual(
      root.signers.map((s) => s.name),
      ['Custodian 1 (token root-1)', 'Custodian 2 (token root-2)', 'Custodian 3 (token root-3)'],
    );
    const late = kcSync(['expiry', '--metadata', join(bundleDir, 'metadata'), '--at', rootExpires]);
    assert.equal(late.code, 1);
    assert.match(late.out, /^EXPIRED\s+root\s+v1/m);
  });

  test('a second run on a sealed run folder changes nothing', () => {
    const dir = run('root');
    const before = readFileSync(join(dir, 'out', 'REHEARSAL-tuf-root-bundle', 'manifest.json'));
    const r = kcSync(['ceremony', 'run', join(dir, 'tuf-root.json'), '--rehearsal', '--answers', join(dir, 'answers.json'), '--out', join(dir, 'out')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /already complete/);
    assert.deepEqual(readFileSync(join(dir, 'out', 'REHEARSAL-tuf-root-bundle', 'manifest.json')), before);
  });

  test('cosign-key: key, 2-of-3 backup verified, bundle verifies', () => {
    const dir = run('cosign');
    rehearse('cosign-key', dir);
    const b = join(dir, 'out', 'REHEARSAL-cosign-key-bundle');
    assert.ok(existsSync(join(b, 'keys', 'REHEARSAL-cosign.pub.pem')));
    const backup = JSON.parse(readFileSync(join(b, 'backup', 'REHEARSAL-cosign-signing.backup.json'), 'utf8'));
    assert.equal(backup.shareSet.m, 2);
    assert.equal(backup.shareSet.n, 3);
    // who holds each share, by name and id, for a recovery by other people years later
    assert.deepEqual(backup.shareSet.custodians, ['Custodian 1 (custodian-1)', 'Custodian 2 (custodian-2)', 'Custodian 3 (custodian-3)']);
    assert.equal(kcSync(['bundle', 'verify', join(dir, 'out', 'REHEARSAL-cosign-key.kcbundle.tar')]).code, 0);
    assert.deepEqual(scanForSecrets(join(dir, 'out')).hits, []);
  });

  test('tuf-root-rotation and tuf-delegation on the tuf-root rehearsal tokens', () => {
    const rootOut = join(run('root'), 'out');
    const rot = run('rotation');
    writeScript(rot, 'tuf-root-rotation');
    copyFileSync(join(rootOut, 'REHEARSAL-tuf-root-bundle', 'metadata', 'REHEARSAL-root.json'), join(rot, 'root.json'));
    rehearse('tuf-root-rotation', rot, ['--rehearsal-tokens-from', join(rootOut, 'rehearsal-tokens')]);
    const root2 = JSON.parse(readFileSync(join(rot, 'out', 'REHEARSAL-tuf-root-rotation-bundle', 'metadata', 'REHEARSAL-2.root.json'), 'utf8'));
    assert.equal(root2.signed.version, 2);
    assert.equal(root2.signed.roles.root.keyids.length, 3);
    assert.equal(root2.signatures.length, 5); // 2 old + 3 new
    assert.equal(kcSync(['bundle', 'verify', join(rot, 'out', 'REHEARSAL-tuf-root-rotation.kcbundle.tar')]).code, 0);

    const del = run('delegation');
    writeScript(del, 'tuf-delegation');
    copyFileSync(join(rootOut, 'REHEARSAL-tuf-root-bundle', 'metadata', 'REHEARSAL-1.targets.json'), join(del, 'targets.json'));
    rehearse('tuf-delegation', del, ['--rehearsal-tokens-from', join(rootOut, 'rehearsal-tokens')]);
    const t2 = JSON.parse(readFileSync(join(del, 'out', 'REHEARSAL-tuf-delegation-bundle', 'metadata', 'REHEARSAL-2.targets.json'), 'utf8'));
    assert.equal(t2.signed.delegations.roles[0].name, 'releases');
    assert.deepEqual(t2.signed.delegations.roles[0].paths, ['releases/*']);
    assert.equal(kcSync(['bundle', 'verify', join(del, 'out', 'REHEARSAL-tuf-delegation.kcbundle.tar')]).code, 0);
  });

  test('notary-repository: root certificates (CN = GUN) made on the tokens verify with openssl; bundle verifies', () => {
    const dir = run('notary');
    const r = rehearse('notary-repository', dir);
    assert.match(r.out, /2 Notary root certificate\(s\) for registry\.example\/org\/app/);
    // a root key is trusted while its certificate is valid: the renewal deadline is on screen and in the transcript
    assert.match(r.out, /next renewal deadlines:\n\s+root-1 root certificate valid until \S+; renew by \S+ \(60 days before, default\)/);
    assert.match(
      r.out,
      /next \(with the server's keys\): keyceremony notary init --gun registry\.example\/org\/app --root-cert notary\/REHEARSAL-root-1\.root\.crt/,
    );
    const b = join(dir, 'out', 'REHEARSAL-notary-repository-bundle');
    for (const id of ['root-1', 'root-2']) {
      const crt = join(b, 'notary', `REHEARSAL-${id}.root.crt`);
      const subject = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-subject']).toString();
      assert.match(subject, /CN\s*=\s*registry\.example\/org\/app/);
      const v = execFileSync('openssl', ['verify', '-CAfile', crt, crt]).toString();
      assert.match(v, /OK/);
      // the certificate's key is the token key recorded in the manifest
      const pub = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-pubkey']).toString();
      assert.equal(pub.trim(), readFileSync(join(b, 'keys', `REHEARSAL-${id}.pub.pem`), 'utf8').trim());
    }
    assert.equal(kcSync(['bundle', 'verify', join(dir, 'out', 'REHEARSAL-notary-repository.kcbundle.tar')]).code, 0);
  });

  test('recovery: a key backed up with `keyceremony backup create` is restored from 2 share files onto a new token', () => {
    const rootOut = join(run('root'), 'out');
    const pins = JSON.parse(readFileSync(join(rootOut, 'rehearsal-tokens', 'pins.json'), 'utf8'));
    const dir = run('recovery');
    writeScript(dir, 'recovery');
    // a copy of the tuf-root tokens, then back up the online token's targets key with the backup CLI
    const tokCopy = join(dir, 'src-tokens');
    cpSync(join(rootOut, 'rehearsal-tokens'), tokCopy, { recursive: true });
    writeFileSync(join(tokCopy, 'softhsm2.conf'), readFileSync(join(tokCopy, 'softhsm2.conf'), 'utf8').replace(join(rootOut, 'rehearsal-tokens'), tokCopy));
    writeFileSync(join(dir, 'pin'), pins.online.pin);
    writeFileSync(join(dir, 'so-pin'), pins.online.soPin);
    const b = kcSync(
      [
        'backup',
        'create',
        '--token',
        'online',
        '--label',
        'tuf-targets',
        '--m',
        '2',
        '--n',
        '3',
        '--custodians',
        'custodian-1,custodian-2,custodian-3',
        '--out',
        join(dir, 'bk'),
        '--pin-file',
        join(dir, 'pin'),
        '--so-pin-file',
        join(dir, 'so-pin'),
      ],
      { SOFTHSM2_CONF: join(tokCopy, 'softhsm2.conf') },
    );
    assert.equal(b.code, 0, b.err);
    // backup create writes each share set into its own folder, <out>/set-<set id>
    const sets = readdirSync(join(dir, 'bk')).filter((n) => n.startsWith('set-'));
    assert.equal(sets.length, 1, sets.join(','));
    const set = join('bk', sets[0]!);
    copyFileSync(join(dir, set, 'backup.json'), join(dir, 'targets.backup.json'));
    const shareFiles = readdirSync(join(dir, set, 'shares'))
      .filter((f) => f.endsWith('.txt'))
      .sort();
    assert.ok(shareFiles.length >= 3, shareFiles.join(','));
    rehearse('recovery', dir, ['--rehearsal-tokens-from', tokCopy], {
      shareFiles: { 'custodian-1': join(set, 'shares', shareFiles[0]!), 'custodian-2': join(set, 'shares', shareFiles[1]!) },
    });
    const out = join(dir, 'out');
    const keys = JSON.parse(readFileSync(join(out, 'REHEARSAL-recovery-bundle', 'REHEARSAL-keys.json'), 'utf8'));
    const original = JSON.parse(readFileSync(join(rootOut, 'REHEARSAL-tuf-root-bundle', 'REHEARSAL-keys.json'), 'utf8'));
    assert.equal(keys.keys[0].fingerprint, original.keys.find((k: { id: string }) => k.id === 'targets').fingerprint);
    assert.equal(kcSync(['bundle', 'verify', join(out, 'REHEARSAL-recovery.kcbundle.tar')]).code, 0);
    assert.deepEqual(scanForSecrets(out).hits, []);
  });
});

describe('ceremony CLI', () => {
  test('template lists and prints; validate names the JSON path; bad flags are usage errors', () => {
    const l = kcSync(['ceremony', 'template']);
    assert.equal(l.code, 0);
    for (const n of ['tuf-root', 'tuf-root-rotation', 'tuf-delegation', 'cosign-key', 'notary-repository', 'recovery'])
      assert.match(l.out, new RegExp(`^${n} `, 'm'));
    const dir = run('validate');
    const p = writeScript(dir, 'tuf-root');
    assert.equal(kcSync(['ceremony', 'validate', p]).code, 0);
    writeFileSync(p, readFileSync(p, 'utf8').replace('"rootThreshold": 2', '"rootThreshold": 7'));
    const v = kcSync(['ceremony', 'validate', p]);
    assert.equal(v.code, 1);
    assert.match(v.err, /\$\.steps\[5\]\.params\.rootThreshold: threshold 7 is more than the 3 root keys/);
    assert.equal(kcSync(['ceremony', 'run']).code, 2);
    assert.equal(kcSync(['ceremony', 'run', p, '--pin', '1234']).code, 1);
  });
});

describe('answers file', () => {
  test('a malformed answers file is refused naming the member; nothing is created', () => {
    const dir = run('answers-bad');
    const s = writeScript(dir, 'cosign-key');
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ acknowledge: { 'keygen/fingerprints': 'witness' } }));
    const r = kcSync(['ceremony', 'run', s, '--rehearsal', '--answers', join(dir, 'a.json'), '--out', join(dir, 'out')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /error\[INVALID_INPUT\]: In the answers file, \$\.acknowledge\["keygen\/fingerprints"\] must be an array of participant ids/);
    assert.equal(existsSync(join(dir, 'out')), false);
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ pin: 'x' }));
    const r2 = kcSync(['ceremony', 'run', s, '--rehearsal', '--answers', join(dir, 'b.json'), '--out', join(dir, 'out')]);
    assert.match(r2.err, /Unknown member "pin"/);
  });
});

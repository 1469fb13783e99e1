/**
 * Signing events (electron/core/tuf/event.ts): status by keyholder on the real Sigstore root history
 * (read-only), and signing in place with software keys — only our signature's bytes change, whatever
 * the layout (tuf-on-ci's python-tuf JSON, compact, an empty signatures array); keys the role does not
 * list are refused; a file changed meanwhile is refused. The SoftHSM + tuf-js proof is
 * test/peers/tuf-on-ci-event.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FIXTURES } from '../helpers/tuf-fs';
import { SoftwareSigner } from '../helpers/software-signer';
import { ownedKey, outsideSignatures, placeholders } from '../helpers/tuf-on-ci';
import { dirFolder } from '../../electron/adapters/tuf/fs-folder';
import { writeEventSignature } from '../../electron/adapters/tuf/event-write';
import { applyEventSignatures, eventStatus, formatEventStatus, prepareEventSignature, renewalDue, signingPeriod } from '../../electron/core/tuf/event';
import { pythonJsonDumps } from '../../shared/json/python';
import { signerKey } from '../../electron/core/tuf/sign';
import { newRoot, nextRoot, expiresIn } from '../../electron/core/tuf/repo';
import { isKeyceremonyError } from '../../shared/errors';
import { kcInProcess } from '../helpers/kc-inprocess';

const SIGSTORE = path.join(FIXTURES, 'tuf', 'sigstore-root-signing', 'metadata');
const AT = Date.parse('2026-08-22T00:00:00Z');
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `kc-event-${p}-`));

describe('status on the real Sigstore root-signing repository (read-only)', () => {
  test('every role with its keyholders by handle; root v15 judged against v14; the online key by id', async () => {
    const st = await eventStatus(dirFolder(SIGSTORE), { now: AT });
    assert.equal(st.layout, 'tuf-on-ci');
    assert.equal(st.ok, true, formatEventStatus(st).join('\n'));
    assert.deepEqual(
      st.roles.map((r) => [r.role, r.version]),
      [
        ['root', 15],
        ['targets', 14],
        ['snapshot', 165],
        ['timestamp', 762],
        ['registry.npmjs.org', 8],
      ],
    );
    const root = st.roles[0]!;
    assert.deepEqual(root.files, ['root.json', 'root_history/15.root.json']);
    assert.equal(root.rules[0]!.line, 'root v15: 5 of 3 — signed @mnm678, @santiagotorres, @bobcallaway, @joshuagl, @lance; complete');
    assert.equal(root.tufOnCiLayout, true);
    assert.deepEqual(root.renewal, { at: '2026-10-05T13:58:18Z', days: 46 });
    assert.equal(st.roles[3]!.rules[0]!.line, 'timestamp v762: 1 of 1 — signed key 0c87432c; complete');
  });

  test('root v10 rotated every key: judged by v9 keys and its own, both 5 of 3', async () => {
    const dir = tmp('v10');
    mkdirSync(path.join(dir, 'root_history'));
    for (const v of [9, 10]) cpSync(path.join(SIGSTORE, 'root_history', `${v}.root.json`), path.join(dir, 'root_history', `${v}.root.json`));
    cpSync(path.join(SIGSTORE, 'root_history', '10.root.json'), path.join(dir, 'root.json'));
    const st = await eventStatus(dirFolder(dir), { now: Date.parse('2024-06-01T00:00:00Z') });
    assert.deepEqual(
      st.roles[0]!.rules.map((r) => r.line),
      [
        'root v10 (keys of root v9): 5 of 3 — signed key 3c344aa0, key ec816697, key 1e1d65ce, key e2f59acb, key fdfa83a0; complete',
        'root v10 (keys of root v10): 5 of 3 — signed @dlorenc, @mnm678, @santiagotorres, @bobcallaway, @joshuagl; complete',
      ],
    );
    rmSync(dir, { recursive: true });
  });

  test('a signing event half done (real root v13, three signatures back to placeholders): who signed, who is invited, exit 1', async () => {
    const dir = tmp('v13');
    mkdirSync(path.join(dir, 'root_history'));
    cpSync(path.join(SIGSTORE, 'root_history', '12.root.json'), path.join(dir, 'root_history', '12.root.json'));
    const text = readFileSync(path.join(SIGSTORE, 'root_history', '13.root.json'), 'utf8');
    const doc = JSON.parse(text) as { signatures: { keyid: string; sig: string }[]; signed: { keys: Record<string, Record<string, string>> } };
    const owner = (id: string) => doc.signed.keys[id]?.['x-tuf-on-ci-keyowner'];
    // @santiagotorres, @bobcallaway and @lance have not signed yet (@dlorenc, leaving, never did: his placeholder is in the real file)
    let half = text;
    for (const s of doc.signatures)
      if (['@santiagotorres', '@bobcallaway', '@lance'].includes(owner(s.keyid) ?? '')) half = half.replace(`"sig": "${s.sig}"`, '"sig": ""');
    writeFileSync(path.join(dir, 'root.json'), half);
    writeFileSync(path.join(dir, 'root_history', '13.root.json'), half);
    const st = await eventStatus(dirFolder(dir), { now: Date.parse('2025-06-01T00:00:00Z') });
    assert.equal(st.ok, false);
    assert.deepEqual(
      st.roles[0]!.rules.map((r) => r.line),
      [
        'root v13 (keys of root v12): 2 of 3 — signed @mnm678, @joshuagl; 1 more of @dlorenc (invited), @santiagotorres (invited), @bobcallaway (invited)',
        'root v13 (keys of root v13): 2 of 3 — signed @mnm678, @joshuagl; 1 more of @santiagotorres (invited), @bobcallaway (invited), @lance (invited)',
      ],
    );
    const cli = await kcInProcess(['tuf', 'status', '--metadata', dir, '--at', '2025-06-01T00:00:00Z']);
    assert.equal(cli.code, 1);
    assert.match(cli.out, /not complete: root v13/);
    const json = await kcInProcess(['tuf', 'status', '--metadata', dir, '--role', 'root', '--json', '--at', '2025-06-01T00:00:00Z']);
    const parsed = JSON.parse(json.out) as { roles: { rules: { signers: { owner: string; state: string }[] }[] }[] };
    assert.deepEqual(
      parsed.roles[0]!.rules[1]!.signers.map((s) => `${s.owner}:${s.state}`),
      ['@mnm678:signed', '@santiagotorres:invited', '@bobcallaway:invited', '@joshuagl:signed', '@lance:invited'],
    );
    rmSync(dir, { recursive: true });
  });

  test('the CLI on the fixture: exit 0 with the clock pinned, 1 today (root v15 expired 2026-11-20)', async () => {
    const ok = await kcInProcess(['tuf', 'status', '--metadata', SIGSTORE, '--at', '2026-08-22T00:00:00Z']);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /✔ root v15: 5 of 3 — signed @mnm678, @santiagotorres, @bobcallaway, @joshuagl, @lance; complete/);
    const late = await kcInProcess(['tuf', 'status', '--metadata', SIGSTORE, '--role', 'root', '--at', '2026-11-30T00:00:00Z']);
    assert.equal(late.code, 1);
    assert.match(late.out, /EXPIRED/);
  });

  test('tuf verify on a tuf-on-ci folder follows root_history/ from root v1 to v15', async () => {
    const r = await kcInProcess([
      'tuf',
      'verify',
      '--trusted-root',
      path.join(SIGSTORE, 'root_history', '1.root.json'),
      '--metadata',
      SIGSTORE,
      '--at',
      '2026-08-22T00:00:00Z',
      '--json',
    ]);
    assert.equal(r.code, 0, r.out.slice(0, 2000));
    assert.equal((JSON.parse(r.out) as { tuf: { rootVersion: number } }).tuf.rootVersion, 15);
  });
});

describe("python-tuf's JSON layout", () => {
  test('pythonJsonDumps reproduces every tuf-on-ci-written Sigstore file byte for byte (and not the go-tuf-written v1-v8)', () => {
    const hist = path.join(SIGSTORE, 'root_history');
    for (const f of readdirSync(hist)) {
      const t = readFileSync(path.join(hist, f), 'utf8');
      const v = Number(f.split('.')[0]);
      assert.equal(pythonJsonDumps(JSON.parse(t)) === t, v >= 9, f);
    }
    for (const f of ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json', 'registry.npmjs.org.json']) {
      const t = readFileSync(path.join(SIGSTORE, f), 'utf8');
      assert.equal(pythonJsonDumps(JSON.parse(t)), t, f);
    }
  });

  test('ensure_ascii escapes, empty containers, no trailing newline', () => {
    assert.equal(
      pythonJsonDumps({ b: [], a: { é: 'x\u007f\u2028😀"\\\n' }, c: {} }),
      '{\n "a": {\n  "\\u00e9": "x\\u007f\\u2028\\ud83d\\ude00\\"\\\\\\n"\n },\n "b": [],\n "c": {}\n}',
    );
  });
});

describe('signing in place', () => {
  async function event(opts: { layout?: 'python' | 'compact' | 'empty-signatures' } = {}) {
    const [a, b, c, d, online, mallory] = ['alice', 'bob', 'carol', 'dave', 'online', 'mallory'].map((n) =>
      SoftwareSigner.generate('ecdsa-p256', undefined, n),
    ) as SoftwareSigner[];
    const own = async (s: SoftwareSigner, h: string) => ownedKey((await signerKey(s)).key, h);
    const [ka, kb, kc, kd] = [await own(a!, '@alice'), await own(b!, '@bob'), await own(c!, '@carol'), await own(d!, '@dave')];
    const ko = (await signerKey(online!)).key;
    const v1 = await newRoot({
      roles: {
        root: { keys: [ka.key, kb.key, kc.key], threshold: 2 },
        targets: { keys: [ka.key], threshold: 1 },
        snapshot: { keys: [ko], threshold: 1 },
        timestamp: { keys: [ko], threshold: 1 },
      },
      expires: expiresIn(AT, 365),
    });
    const v2 = await nextRoot(v1, { add: { root: [kd.key] }, remove: { root: [kc.keyid] }, expires: expiresIn(AT, 365) });
    v2.unrecognized['x-tuf-on-ci-expiry-period'] = 365;
    v2.unrecognized['x-tuf-on-ci-signing-period'] = 60;
    const dir = tmp('sign');
    mkdirSync(path.join(dir, 'root_history'));
    const v1text = pythonJsonDumps({ signatures: [], signed: v1.toJSON() });
    writeFileSync(path.join(dir, 'root_history', '1.root.json'), v1text);
    const sigs = opts.layout === 'empty-signatures' ? [] : placeholders([ka.keyid, kb.keyid, kc.keyid, kd.keyid]);
    const body = { signatures: sigs, signed: v2.toJSON() };
    const text = opts.layout === 'compact' ? JSON.stringify(body) : pythonJsonDumps(body);
    writeFileSync(path.join(dir, 'root.json'), text);
    writeFileSync(path.join(dir, 'root_history', '2.root.json'), text);
    return { dir, text, a: a!, b: b!, c: c!, d: d!, mallory: mallory!, ids: { a: ka.keyid, b: kb.keyid, c: kc.keyid, d: kd.keyid } };
  }
  const read = (dir: string, f = 'root.json') => readFileSync(path.join(dir, f), 'utf8');
  const sign = async (dir: string, s: SoftwareSigner) => writeEventSignature(dir, await prepareEventSignature(dirFolder(dir), 'root', s));

  test('two custodians in turn fill their placeholders; only the sig strings change; both files; tuf-on-ci would write the same bytes', async () => {
    const e = await event();
    let st = await eventStatus(dirFolder(e.dir), { now: AT, role: 'root' });
    assert.equal(
      st.roles[0]!.rules[0]!.line,
      'root v2 (keys of root v1): 0 of 2 — nobody signed yet; 2 more of @alice (invited), @bob (invited), @carol (invited)',
    );
    assert.deepEqual(st.roles[0]!.renewal, { at: '2027-06-23T00:00:00Z', days: 60 });
    await sign(e.dir, e.a);
    const mid = read(e.dir);
    assert.equal(outsideSignatures(mid), outsideSignatures(e.text));
    assert.notEqual(mid, e.text);
    await sign(e.dir, e.b);
    const done = read(e.dir);
    assert.equal(outsideSignatures(done), outsideSignatures(e.text));
    assert.equal(read(e.dir, 'root_history/2.root.json'), done);
    assert.equal(pythonJsonDumps(JSON.parse(done)), done, 'the signed file is still exactly what python-tuf would write');
    st = await eventStatus(dirFolder(e.dir), { now: AT, role: 'root' });
    assert.deepEqual(
      st.roles[0]!.rules.map((r) => r.line),
      ['root v2 (keys of root v1): 2 of 2 — signed @alice, @bob; complete', 'root v2 (keys of root v2): 2 of 2 — signed @alice, @bob; complete'],
    );
    assert.equal(st.ok, true);
    // @carol is only in the old root, @dave only in the new one: both may still sign
    await sign(e.dir, e.c);
    await sign(e.dir, e.d);
    const all = JSON.parse(read(e.dir)) as { signatures: { sig: string }[] };
    assert.equal(all.signatures.filter((s) => s.sig !== '').length, 4);
    rmSync(e.dir, { recursive: true });
  });

  test('signing twice with one key changes nothing', async () => {
    const e = await event();
    await sign(e.dir, e.a);
    const once = read(e.dir);
    const p = await prepareEventSignature(dirFolder(e.dir), 'root', e.a);
    assert.equal(p.already, true);
    assert.deepEqual((await writeEventSignature(e.dir, p)).written, []);
    assert.equal(read(e.dir), once);
    rmSync(e.dir, { recursive: true });
  });

  test('a key neither root lists is refused before it signs, naming who may; nothing written', async () => {
    const e = await event();
    let signed = 0;
    const spy = Object.assign(Object.create(e.mallory) as SoftwareSigner, { sign: async (d: Uint8Array) => (signed++, e.mallory.sign(d)) });
    await assert.rejects(prepareEventSignature(dirFolder(e.dir), 'root', spy), (err: unknown) => {
      assert.ok(isKeyceremonyError(err) && err.code === 'KEY_NOT_FOUND');
      assert.match(err.message, /may not sign root v2: root v1 lists @alice, @bob, @carol; root v2 lists @alice, @bob, @dave/);
      return true;
    });
    assert.equal(signed, 0);
    assert.equal(read(e.dir), e.text);
    rmSync(e.dir, { recursive: true });
  });

  test('no placeholder: the signature is appended after the last entry in the same layout (python, compact, empty array)', async () => {
    for (const layout of ['python', 'compact', 'empty-signatures'] as const) {
      const e = await event({ layout });
      // remove alice's placeholder so hers must be appended
      const without =
        layout === 'empty-signatures'
          ? e.text
          : e.text.replace(layout === 'compact' ? `{"keyid":"${e.ids.a}","sig":""},` : `{\n   "keyid": "${e.ids.a}",\n   "sig": ""\n  },\n  `, '');
      assert.notEqual(without, layout === 'empty-signatures' ? '' : e.text, layout);
      writeFileSync(path.join(e.dir, 'root.json'), without);
      writeFileSync(path.join(e.dir, 'root_history', '2.root.json'), without);
      await sign(e.dir, e.a);
      const out = read(e.dir);
      const doc = JSON.parse(out) as { signatures: { keyid: string; sig: string }[] };
      assert.equal(doc.signatures[doc.signatures.length - 1]!.keyid, e.ids.a, layout);
      if (layout === 'compact') assert.equal(out, JSON.stringify(doc), 'compact stays compact');
      else assert.equal(out, pythonJsonDumps(doc), `${layout}: python-tuf's layout kept`);
      rmSync(e.dir, { recursive: true });
    }
  });

  test('a file whose signed part changed after the signature was made is refused (CONFLICT), untouched', async () => {
    const e = await event();
    const p = await prepareEventSignature(dirFolder(e.dir), 'root', e.a);
    const changed = e.text.replace('"x-tuf-on-ci-signing-period": 60', '"x-tuf-on-ci-signing-period": 61');
    writeFileSync(path.join(e.dir, 'root.json'), changed);
    await assert.rejects(
      writeEventSignature(e.dir, p),
      (err: unknown) => isKeyceremonyError(err) && err.code === 'CONFLICT' && /changed while it was being signed/.test(err.message),
    );
    assert.equal(read(e.dir), changed);
    assert.equal(read(e.dir, 'root_history/2.root.json'), e.text, 'no file of the event was written');
    rmSync(e.dir, { recursive: true });
  });

  test("two signers at once: the lock orders them and the second keeps the first one's signature", async () => {
    const e = await event();
    const [pa, pb] = await Promise.all([prepareEventSignature(dirFolder(e.dir), 'root', e.a), prepareEventSignature(dirFolder(e.dir), 'root', e.b)]);
    await Promise.all([writeEventSignature(e.dir, pa), writeEventSignature(e.dir, pb)]);
    const st = await eventStatus(dirFolder(e.dir), { now: AT, role: 'root' });
    assert.equal(st.ok, true, formatEventStatus(st).join('\n'));
    assert.ok(!readdirSync(e.dir).some((n) => n.includes('.lock')), 'the lock file is gone');
    rmSync(e.dir, { recursive: true });
  });

  test('applyEventSignatures leaves every byte outside our sig value alone (tab-indented, CRLF file)', async () => {
    const e = await event();
    const weird = JSON.stringify(JSON.parse(e.text), null, '\t').replace(/\n/g, '\r\n') + '\r\n';
    const p = await prepareEventSignature(dirFolder(e.dir), 'root', e.a);
    const out = new TextDecoder().decode(await applyEventSignatures(new TextEncoder().encode(weird), p, 'root.json'));
    assert.equal(outsideSignatures(out), outsideSignatures(weird));
    assert.equal(out.length - weird.length, p.signatures[0]!.sig.length);
    rmSync(e.dir, { recursive: true });
  });
});

describe('signing period (renewal window)', () => {
  test('x-tuf-on-ci-signing-period in days, else half the expiry period as tuf-on-ci defaults', () => {
    assert.deepEqual(signingPeriod({ 'x-tuf-on-ci-signing-period': 46 }), { days: 46, source: 'signing-period' });
    assert.deepEqual(signingPeriod({ 'x-tuf-on-ci-expiry-period': 7 }), { days: 3, source: 'half-expiry-period' });
    assert.equal(signingPeriod({}), undefined);
    assert.deepEqual(renewalDue(Date.parse('2026-11-20T13:58:18Z'), { 'x-tuf-on-ci-signing-period': 46 }), { at: '2026-10-05T13:58:18Z', days: 46 });
  });
});

describe('tuf rotate --add-key FILE --owner @handle (a tuf-on-ci root keeps its keyholders)', () => {
  test('the owner is set (or kept from a key file), the key id covers it, the diff names both owners; bad owners refused', async () => {
    const [a, b, c, erin, frank] = ['alice', 'bob', 'carol', 'erin', 'frank'].map((n) =>
      SoftwareSigner.generate('ecdsa-p256', undefined, n),
    ) as SoftwareSigner[];
    const own = async (s: SoftwareSigner, h: string) => ownedKey((await signerKey(s)).key, h);
    const [ka, kb, kc] = [await own(a!, '@alice'), await own(b!, '@bob'), await own(c!, '@carol')];
    const ko = (await signerKey(SoftwareSigner.generate('ecdsa-p256', undefined, 'online'))).key;
    const v1 = await newRoot({
      roles: {
        root: { keys: [ka.key, kb.key, kc.key], threshold: 2 },
        targets: { keys: [ka.key], threshold: 1 },
        snapshot: { keys: [ko], threshold: 1 },
        timestamp: { keys: [ko], threshold: 1 },
      },
      expires: expiresIn(AT, 365),
    });
    const dir = tmp('rotate-owner');
    mkdirSync(path.join(dir, 'metadata', 'root_history'), { recursive: true });
    const md = path.join(dir, 'metadata');
    const text = pythonJsonDumps({ signatures: placeholders(v1.roles.root.keyids), signed: v1.toJSON() });
    writeFileSync(path.join(md, 'root.json'), text);
    writeFileSync(path.join(md, 'root_history', '1.root.json'), text);
    // erin's key as a PEM file (no owner in it); frank's as TUF key JSON that names him already
    const erinPem = path.join(dir, 'erin.pem');
    writeFileSync(erinPem, `-----BEGIN PUBLIC KEY-----\n${Buffer.from(erin!.publicKeySpki).toString('base64')}\n-----END PUBLIC KEY-----\n`);
    const frankKey = await own(frank!, '@frank');
    const frankJson = path.join(dir, 'frank.json');
    writeFileSync(frankJson, JSON.stringify(frankKey.key));
    const out = path.join(dir, 'rotate.request.json');
    const env = { KEYCEREMONY_NOW: '2026-08-22T00:00:00Z' };
    const r = await kcInProcess(
      [
        'tuf',
        'rotate',
        '--metadata',
        md,
        '--add-key',
        erinPem,
        '--owner',
        '@erin',
        '--add-key',
        frankJson,
        '--owner',
        '@frank',
        '--remove-key',
        kc.keyid.slice(0, 12),
        '--out',
        out,
      ],
      env,
    );
    assert.equal(r.code, 0, r.out + r.err);
    const erinKey = await own(erin!, '@erin');
    assert.match(r.out, new RegExp(`^\\+ root: key added ${erinKey.keyid.slice(0, 16)} of @erin ecdsa`, 'm'));
    assert.match(r.out, new RegExp(`^\\+ root: key added ${frankKey.keyid.slice(0, 16)} of @frank ecdsa`, 'm'));
    assert.match(r.out, new RegExp(`^- root: key removed ${kc.keyid.slice(0, 16)} of @carol ecdsa`, 'm'));
    const req = JSON.parse(readFileSync(out, 'utf8')) as { signed: { keys: Record<string, Record<string, unknown>>; roles: { root: { keyids: string[] } } } };
    assert.equal(req.signed.keys[erinKey.keyid]?.['x-tuf-on-ci-keyowner'], '@erin', 'the key id is over the key with its owner, as tuf-on-ci computes it');
    assert.equal(req.signed.keys[frankKey.keyid]?.['x-tuf-on-ci-keyowner'], '@frank');
    assert.deepEqual(new Set(req.signed.roles.root.keyids), new Set([ka.keyid, kb.keyid, erinKey.keyid, frankKey.keyid]));
    // the key file's own owner is kept without --owner
    const keep = await kcInProcess(['tuf', 'rotate', '--metadata', md, '--add-key', frankJson, '--out', path.join(dir, 'keep.json')], env);
    assert.equal(keep.code, 0, keep.err);
    assert.match(keep.out, /\+ root: key added [0-9a-f]{16} of @frank ecdsa/);
    // refused, nothing written
    const refusedCases: [string[], number, RegExp][] = [
      [
        ['--add-key', erinPem, '--owner', 'erin'],
        1,
        /error\[INVALID_INPUT\]: .*erin\.pem: a keyholder is "@" and a GitHub user name, such as @alice; got "erin"/,
      ],
      [['--add-key', erinPem, '--owner', '@-erin'], 1, /a keyholder is "@" and a GitHub user name/],
      [['--add-key', frankJson, '--owner', '@erin'], 1, /frank\.json: the key file names its keyholder @frank, not @erin/],
      [
        ['--add-key', erinPem, '--add-key', frankJson, '--owner', '@erin'],
        2,
        /give one --owner @handle per --add-key FILE, in the same order \(2 key file\(s\), 1 --owner\)/,
      ],
    ];
    for (const [args, code, msg] of refusedCases) {
      const bad = path.join(dir, 'bad.json');
      const x = await kcInProcess(['tuf', 'rotate', '--metadata', md, ...args, '--out', bad], env);
      assert.equal(x.code, code, `${args.join(' ')}: ${x.out}${x.err}`);
      assert.match(x.err, msg);
      assert.equal(readdirSync(dir).includes('bad.json'), false);
    }
    rmSync(dir, { recursive: true });
  });
});

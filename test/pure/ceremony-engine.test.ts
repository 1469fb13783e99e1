import { test, describe } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { CeremonyEngine } from '../../electron/core/ceremony/engine';
import { BUILTIN_KINDS } from '../../electron/core/ceremony/steps';
import { TEMPLATES, templateText } from '../../electron/core/ceremony/templates';
import { validateScript, assertScript } from '../../electron/core/ceremony/validate';
import { verifyTranscript, makeEntry, GENESIS, assertNoSecrets } from '../../electron/core/ceremony/transcript';
import { verifyBundle, MANIFEST } from '../../electron/core/ceremony/bundle';
import { tufService } from '../../electron/core/ceremony/services/tuf';
import { readTar, writeTar } from '../../electron/core/ceremony/tar';
import { fingerprintWords, wordsToBytes, PGP_EVEN_WORDS, PGP_ODD_WORDS, PGP_WORDS_SHA256 } from '../../shared/pgp-words';
import { sha256Hex } from '../../shared/crypto/webcrypto';
import { KeyceremonyError } from '../../shared/errors';
import { MemJournal, MemStore, FakeTokens, fakePreflight, autoPrompter, fixedClock, randomHex } from '../helpers/ceremony-fakes';
import type { CeremonyScript } from '../../electron/core/ceremony/types';

const tufRoot = () => JSON.parse(templateText('tuf-root')!) as CeremonyScript;
const passChecks = fakePreflight([{ id: 'network-interfaces', status: 'pass', summary: 'none up' }]);

function setup(
  opts: {
    rehearsal?: boolean;
    script?: CeremonyScript;
    journal?: MemJournal;
    store?: MemStore;
    tokens?: FakeTokens;
    prompter?: ReturnType<typeof autoPrompter>;
    preflight?: ReturnType<typeof fakePreflight>;
    onBeforeCommit?: (s: string) => Promise<void>;
  } = {},
) {
  const script = opts.script ?? tufRoot();
  const journal = opts.journal ?? new MemJournal();
  const store = opts.store ?? new MemStore(journal);
  const tokens = opts.tokens ?? new FakeTokens(script.tokens.map((t) => t.label));
  const engine = new CeremonyEngine({
    script,
    scriptText: JSON.stringify(script),
    rehearsal: opts.rehearsal ?? true,
    kinds: BUILTIN_KINDS,
    services: { tokens, tuf: tufService(), preflight: opts.preflight ?? passChecks },
    prompter: opts.prompter ?? autoPrompter(),
    journal,
    outputs: store,
    clock: fixedClock(),
    randomHex,
    ...(opts.onBeforeCommit ? { onBeforeCommit: opts.onBeforeCommit } : {}),
  });
  return { engine, journal, store, tokens, script };
}

const reader = (store: MemStore) => ({ list: () => store.list(), read: (p: string) => store.read(p) });

describe('ceremony scripts', () => {
  test('every built-in template validates', () => {
    for (const [name, t] of Object.entries(TEMPLATES)) {
      assert.deepEqual(validateScript(t.script, BUILTIN_KINDS), [], name);
    }
  });

  test('errors name the JSON path', () => {
    const s = tufRoot() as unknown as Record<string, any>;
    s.steps[5].params.rootThreshold = 4;
    s.steps[2].kind = 'keygenx';
    s.keys[0].keyType = 'dsa';
    s.participants.push({ id: 'admin', name: 'Twin', role: 'administrator' });
    const issues = validateScript(s, BUILTIN_KINDS).map((i) => i.path);
    assert.ok(issues.includes('$.steps[5].params.rootThreshold'), issues.join(' | '));
    assert.ok(issues.includes('$.steps[2].kind'));
    assert.ok(issues.includes('$.keys[0].keyType'));
    assert.ok(issues.includes('$.participants[5].id'));
    assert.throws(
      () => assertScript(s, BUILTIN_KINDS),
      (e: KeyceremonyError) => e.code === 'INVALID_INPUT' && /\$\./.test(e.where ?? ''),
    );
  });

  test('phase order and a final close step are enforced', () => {
    const s = tufRoot();
    const [pre, ci] = [s.steps[0]!, s.steps[1]!];
    s.steps[0] = ci;
    s.steps[1] = pre;
    assert.ok(validateScript(s, BUILTIN_KINDS).some((i) => i.path === '$.steps[1].kind' && /cannot come after/.test(i.message)));
    const t = tufRoot();
    t.steps.pop();
    assert.ok(validateScript(t, BUILTIN_KINDS).some((i) => /last step must be of kind "close"/.test(i.message)));
  });

  test('backup of a non-backupable key and references to unknown participants are refused', () => {
    const s = tufRoot() as unknown as Record<string, any>;
    s.keys[3].profile = 'non-extractable';
    s.steps[0].acknowledgements[0].by = 'nobody';
    const msgs = validateScript(s, BUILTIN_KINDS);
    assert.ok(msgs.some((i) => i.path === '$.steps[4].params.key'));
    assert.ok(msgs.some((i) => i.path === '$.steps[0].acknowledgements[0].by'));
  });
});

describe('engine', () => {
  test('runs the TUF root template to a sealed, verifying bundle; tampering is named', async () => {
    const { engine, store, tokens, journal } = setup();
    const r = await engine.run();
    assert.ok(r.state.sealed);
    assert.equal(tokens.generated, 6);
    assert.equal(r.state.steps['backup-targets']?.status, 'skipped'); // no backup service injected
    const v = await verifyBundle(reader(store));
    assert.deepEqual(v.problems, []);
    assert.equal(v.rehearsal, true);
    assert.deepEqual(
      v.signedBy.map((s) => s.id),
      ['root-1', 'root-2', 'root-3'],
    );
    assert.ok([...store.files.keys()].some((p) => p === 'metadata/REHEARSAL-1.root.json'));
    // every transcript entry is marked rehearsal
    assert.ok((await verifyTranscript(journal.lines)).entries.every((e) => e.rehearsal === true));

    store.files.set('metadata/REHEARSAL-1.root.json', new TextEncoder().encode('{}'));
    const bad = await verifyBundle(reader(store));
    assert.equal(bad.ok, false);
    assert.match(bad.problems.join('\n'), /metadata\/REHEARSAL-1\.root\.json: (size|SHA-256)/);
  });

  test('a second run of a sealed ceremony does nothing', async () => {
    const { engine, journal, store, tokens, script } = setup();
    await engine.run();
    const n = journal.lines.length;
    const again = setup({ script, journal, store, tokens });
    const r = await again.engine.run();
    assert.equal(r.alreadyComplete, true);
    assert.equal(journal.lines.length, n);
  });

  test('crash at every journal write, resume: same keys, no duplicates, chain intact, bundle verifies', async () => {
    // count the saves of a clean run
    const clean = setup();
    await clean.engine.run();
    const total = clean.journal.saves;
    assert.ok(total > 20);
    for (let crashAt = 0; crashAt < total; crashAt++) {
      const script = tufRoot();
      const journal = new MemJournal();
      journal.crashAfterSaves = crashAt;
      const store = new MemStore(journal);
      const tokens = new FakeTokens(script.tokens.map((t) => t.label));
      await assert.rejects(setup({ script, journal, store, tokens }).engine.run(), /simulated crash/);
      journal.crashAfterSaves = Infinity;
      const r = await setup({ script, journal, store, tokens }).engine.run();
      assert.ok(r.state.sealed, `crash ${crashAt}`);
      assert.equal(tokens.generated, 6, `crash ${crashAt}: duplicate keys`);
      for (const [, t] of tokens.tokens) assert.equal(new Set(t.keys.map((k) => k.label)).size, t.keys.length);
      const v = await verifyTranscript(journal.lines);
      assert.ok(v.ok, `crash ${crashAt}: ${v.broken?.reason}`);
      const completed = v.entries.filter((e) => e.event === 'step-completed' || e.event === 'step-skipped').map((e) => e.step);
      assert.deepEqual(
        completed,
        script.steps.map((s) => s.id),
        `crash ${crashAt}: each step completes once`,
      );
      const b = await verifyBundle(reader(store));
      assert.deepEqual(b.problems, [], `crash ${crashAt}`);
    }
  });

  test('a refused acknowledgement stops the ceremony; it resumes later', async () => {
    const first = setup({ prompter: autoPrompter({ refuse: 'fingerprints' }) });
    await assert.rejects(first.engine.run(), (e: KeyceremonyError) => e.code === 'CANCELLED' && /keygen-root/.test(e.where ?? ''));
    const again = setup({ script: first.script, journal: first.journal, store: first.store, tokens: first.tokens });
    const r = await again.engine.run();
    assert.ok(r.state.sealed);
    assert.equal(first.tokens.generated, 6);
    const v = await verifyTranscript(first.journal.lines);
    assert.ok(v.ok);
    assert.ok(v.entries.some((e) => e.event === 'step-resumed' && e.step === 'keygen-root'));
    const failed = v.entries.find((e) => e.event === 'step-failed');
    assert.equal(failed?.step, 'keygen-root');
    assert.match(failed?.note ?? '', /^CANCELLED: .*did not confirm/);
  });

  test('production: a failed preflight check blocks unless a justified deviation is recorded', async () => {
    const failing = fakePreflight([{ id: 'wireless', status: 'fail', summary: 'wlan0 present' }]);
    const a = setup({ rehearsal: false, preflight: failing });
    await assert.rejects(a.engine.run(), (e: KeyceremonyError) => e.code === 'PRECONDITION_FAILED' && /wireless/.test(e.message));
    const b = setup({ rehearsal: false, preflight: failing, prompter: autoPrompter({ deviation: 'Radio removed physically; driver entry remains.' }) });
    await assert.rejects(b.engine.run(), /backup service/); // production refuses to skip the backup step
    const v = await verifyTranscript(b.journal.lines);
    const pre = v.entries.find((e) => e.event === 'preflight');
    assert.equal(pre?.deviations?.[0]?.check, 'wireless');
    const c = setup({ rehearsal: true, preflight: failing });
    await c.engine.run();
    const pc = (await verifyTranscript(c.journal.lines)).entries.find((e) => e.event === 'preflight');
    assert.equal(pc?.checks?.[0]?.status, 'warn');
  });

  test('production: an answers file cannot acknowledge for a witness or custodian unless the script allows it; the transcript records every source', async () => {
    const fromFile = (p: ReturnType<typeof autoPrompter>): ReturnType<typeof autoPrompter> => ({
      ...p,
      acknowledge: async () => ({ confirmed: true, source: 'answers-file' as const }),
    });
    // production, answers file for the witness: refused before anything is done, naming who and how to allow it
    const a = setup({ rehearsal: false, prompter: fromFile(autoPrompter()) });
    await assert.rejects(a.engine.run(), (e: KeyceremonyError) => {
      assert.equal(e.code, 'PRECONDITION_FAILED');
      assert.match(e.message, /\(witness, witness\) must confirm .* at the screen: in production an answers file cannot acknowledge for a witness/);
      assert.match(e.message, /allowAnswersFile/);
      return true;
    });
    assert.equal(a.tokens.generated, 0);
    // the script allows it explicitly for these acknowledgements: accepted, and the transcript says the file gave them
    const script = tufRoot();
    for (const st of script.steps) for (const ack of st.acknowledgements ?? []) ack.allowAnswersFile = true;
    const b = setup({ rehearsal: false, script, prompter: fromFile(autoPrompter()) });
    await assert.rejects(b.engine.run(), /backup service/); // the fakes stop at the backup step, after keygen
    const acks = (await verifyTranscript(b.journal.lines)).entries.flatMap((e) => e.acknowledgements ?? []);
    assert.ok(acks.length >= 4, `${acks.length} acknowledgements`);
    assert.ok(
      acks.every((x) => x.source === 'answers-file'),
      JSON.stringify(acks),
    );
    // rehearsal: the file may speak for everyone; a person at the screen is recorded as such
    const c = setup({ rehearsal: true, prompter: fromFile(autoPrompter()) });
    await c.engine.run();
    const rehearsed = (await verifyTranscript(c.journal.lines)).entries.flatMap((e) => e.acknowledgements ?? []);
    assert.ok(rehearsed.length > 0 && rehearsed.every((x) => x.source === 'answers-file'), JSON.stringify(rehearsed));
    const d = setup({ rehearsal: false, prompter: autoPrompter() });
    await assert.rejects(d.engine.run(), /backup service/);
    const screen = (await verifyTranscript(d.journal.lines)).entries.flatMap((e) => e.acknowledgements ?? []);
    assert.ok(screen.length >= 4 && screen.every((x) => x.source === 'screen'), JSON.stringify(screen));
    // the administrator may be answered by the file in production
    const e2 = tufRoot();
    for (const st of e2.steps) st.acknowledgements = (st.acknowledgements ?? []).map((x) => ({ ...x, by: 'admin' }));
    const f = setup({ rehearsal: false, script: e2, prompter: fromFile(autoPrompter()) });
    await assert.rejects(f.engine.run(), /backup service/);
  });

  test('allowAnswersFile must be a boolean', () => {
    const s = tufRoot();
    (s.steps[0]!.acknowledgements![0] as unknown as Record<string, unknown>).allowAnswersFile = 'yes';
    const issues = validateScript(s, BUILTIN_KINDS);
    assert.ok(
      issues.some((i) => i.path === '$.steps[0].acknowledgements[0].allowAnswersFile' && /true or false/.test(i.message)),
      JSON.stringify(issues),
    );
  });

  test('a journal from another script or mode is refused', async () => {
    const a = setup();
    await a.engine.run();
    const s2 = tufRoot();
    s2.title = 'changed';
    await assert.rejects(
      setup({ script: s2, journal: a.journal, store: a.store, tokens: a.tokens }).engine.run(),
      (e: KeyceremonyError) => e.code === 'CONFLICT',
    );
    await assert.rejects(
      setup({ script: a.script, rehearsal: false, journal: a.journal, store: a.store, tokens: a.tokens }).engine.run(),
      (e: KeyceremonyError) => e.code === 'CONFLICT',
    );
  });
});

describe('transcript', () => {
  async function chain(n: number) {
    const lines: string[] = [];
    let prev = GENESIS;
    for (let i = 0; i < n; i++) {
      const { line, hash } = await makeEntry({ ceremony: 'c', runId: 'r', rehearsal: true }, i, prev, '2026-11-22T00:00:00Z', { event: `e${i}` });
      lines.push(line);
      prev = hash;
    }
    return lines;
  }

  test('an intact chain verifies', async () => {
    const v = await verifyTranscript(await chain(6));
    assert.equal(v.ok, true);
    assert.equal(v.count, 6);
  });

  test('edit, delete, reorder: verify names the first broken line (format v2: each line chains to the bytes of the one before)', async () => {
    const lines = await chain(6);
    const good = await verifyTranscript(lines);
    const edited = [...lines];
    edited[3] = edited[3]!.replace('"e3"', '"eX"');
    let v = await verifyTranscript(edited);
    assert.deepEqual([v.ok, v.broken?.line, v.broken?.seq, v.count], [false, 5, 4, 4]);
    assert.match(v.broken!.reason, /entry 4 does not chain to line 4 .*line 4 was altered/);

    const last = [...lines];
    last[5] = last[5]!.replace('"e5"', '"eY"');
    v = await verifyTranscript(last);
    assert.equal(v.ok, true); // the chain holds; the head (signed in the manifest) is what differs
    assert.notEqual(v.head, good.head);

    const deleted = lines.filter((_, i) => i !== 2);
    v = await verifyTranscript(deleted);
    assert.deepEqual([v.ok, v.broken?.line], [false, 3]);
    assert.match(v.broken!.reason, /entry 2 is missing/);

    const swapped = [...lines];
    [swapped[1], swapped[4]] = [swapped[4]!, swapped[1]!];
    v = await verifyTranscript(swapped);
    assert.deepEqual([v.ok, v.broken?.line], [false, 2]);

    const reseq = [...lines];
    reseq[5] = reseq[5]!.replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${GENESIS}"`);
    v = await verifyTranscript(reseq);
    assert.equal(v.broken?.line, 6);

    const dup = [...lines];
    dup[2] = dup[2]!.replace('"event":"e2"', '"event":"e2","event":"e9"');
    dup[3] = dup[3]!.replace(
      /"prev":"[0-9a-f]{64}"/,
      `"prev":"${createHash('sha256')
        .update(dup[2] + '\n')
        .digest('hex')}"`,
    );
    v = await verifyTranscript(dup.slice(0, 4));
    assert.deepEqual([v.ok, v.broken?.line], [false, 3]);
    assert.match(v.broken!.reason, /duplicate key "event"/);
  });

  test('secret-looking members are refused', async () => {
    assert.throws(() => assertNoSecrets({ facts: { pin: '1234' } }), /pin/);
    await assert.rejects(makeEntry({ ceremony: 'c', runId: 'r', rehearsal: false }, 0, GENESIS, 't', { event: 'x', facts: { share: 'abc' } } as never));
  });
});

describe('bundle and archive', () => {
  test('tar archives round-trip; traversal, symlinks and oversized entries are refused', () => {
    const entries = [
      { path: 'a.txt', bytes: new TextEncoder().encode('hello') },
      { path: `deep/${'d'.repeat(90)}/${'f'.repeat(60)}.json`, bytes: new Uint8Array(1000).fill(7) },
    ];
    const tar = writeTar(entries);
    assert.equal(tar.length % 512, 0);
    const back = readTar(tar);
    assert.deepEqual(back.map((e) => e.path).sort(), entries.map((e) => e.path).sort());
    assert.deepEqual(back.find((e) => e.path === 'a.txt')!.bytes, entries[0]!.bytes);
    assert.throws(
      () => writeTar([{ path: '../x', bytes: new Uint8Array() }]),
      (e: KeyceremonyError) => e.code === 'PATH_TRAVERSAL',
    );
    // forge entries: traversal, symlink, oversized
    const forge = (name: string, type: string, size = 0) => {
      const t = writeTar([{ path: 'x', bytes: new Uint8Array(size) }]);
      const h = t.subarray(0, 512);
      h.fill(0, 0, 100);
      h.set(new TextEncoder().encode(name), 0);
      h[156] = type.charCodeAt(0);
      h.fill(32, 148, 156);
      let sum = 0;
      for (const b of h) sum += b;
      h.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
      return t;
    };
    assert.throws(
      () => readTar(forge('../../etc/passwd', '0')),
      (e: KeyceremonyError) => e.code === 'PATH_TRAVERSAL',
    );
    assert.throws(
      () => readTar(forge('/abs', '0')),
      (e: KeyceremonyError) => e.code === 'PATH_TRAVERSAL',
    );
    assert.throws(
      () => readTar(forge('link', '2')),
      (e: KeyceremonyError) => e.code === 'PATH_TRAVERSAL',
    );
    assert.throws(
      () => readTar(forge('hard', '1')),
      (e: KeyceremonyError) => e.code === 'PATH_TRAVERSAL',
    );
    assert.throws(
      () => readTar(forge('big', '0', 2048), { maxEntry: 1024, maxTotal: 1 << 20, maxEntries: 10 }),
      (e: KeyceremonyError) => e.code === 'TOO_LARGE',
    );
    const corrupt = writeTar(entries);
    corrupt[10] = 0x41;
    assert.throws(() => readTar(corrupt), /checksum/);
  });

  test('manifest edits, extra files and a re-signed payload are caught', async () => {
    const { engine, store } = setup();
    await engine.run();
    const m = JSON.parse(new TextDecoder().decode(store.files.get(MANIFEST)!));
    m.rehearsal = false;
    store.files.set(MANIFEST, new TextEncoder().encode(JSON.stringify(m, null, 2) + '\n'));
    let v = await verifyBundle(reader(store));
    assert.match(v.problems.join('\n'), /manifest changed after signing/);
    const { engine: e2, store: s2 } = setup();
    await e2.run();
    s2.files.set('extra.txt', new Uint8Array([1]));
    v = await verifyBundle(reader(s2));
    assert.deepEqual(v.problems, ['extra.txt: not listed in the manifest', 'extra.txt: not listed in SHA256SUMS']);
    v = await verifyBundle(reader(s2), { requireProduction: true });
    assert.ok(v.problems.some((p) => /REHEARSAL bundle/.test(p)));
  });
});

describe('PGP words', () => {
  test('list integrity and the published example', async () => {
    assert.equal(PGP_EVEN_WORDS.length, 256);
    assert.equal(PGP_ODD_WORDS.length, 256);
    assert.equal(await sha256Hex(new TextEncoder().encode(PGP_EVEN_WORDS.join('\n') + '\n' + PGP_ODD_WORDS.join('\n'))), PGP_WORDS_SHA256);
    assert.equal(
      fingerprintWords('E58294F2E9A227486E8B061B31CC528FD7FA3F19'),
      'topmost Istanbul Pluto vagabond treadmill Pacific brackish dictator goldfish Medusa afflict bravado chatter revolver Dupont midsummer stopwatch whimsical cowbell bottomless',
    );
    assert.deepEqual([...wordsToBytes('aardvark Yucatan')], [0, 255]);
    assert.throws(() => wordsToBytes('Yucatan aardvark'), /word 1/);
  });
});

describe('published JSON Schema (docs/ceremony.schema.json)', () => {
  test('lists exactly the registered step kinds, each with its params schema; templates point at it', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'ceremony.schema.json'), 'utf8'));
    const kinds = schema.$defs.step.properties.kind.enum as string[];
    assert.deepEqual([...kinds].sort(), Object.keys(BUILTIN_KINDS).sort());
    const covered = (schema.$defs.step.allOf as { if: { properties: { kind: { const: string } } } }[]).map((x) => x.if.properties.kind.const);
    assert.deepEqual(covered.sort(), Object.keys(BUILTIN_KINDS).sort());
    for (const t of Object.values(TEMPLATES)) assert.equal((t.script as { $schema: string }).$schema, schema.$id);
  });
});

describe('bundle verification of hostile manifests', () => {
  test('malformed entries are reported, not thrown', async () => {
    const { engine, store } = setup();
    await engine.run();
    const m = JSON.parse(new TextDecoder().decode(store.files.get(MANIFEST)!));
    m.files[0] = { path: '../../etc/passwd', sha256: 'x', size: 'big' };
    store.files.set(MANIFEST, new TextEncoder().encode(JSON.stringify(m)));
    const v = await verifyBundle(reader(store));
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /manifest\.json: files\[0\] is malformed/);
  });
});

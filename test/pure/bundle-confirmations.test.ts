/**
 * The confirmations a bundle records (electron/core/ceremony/confirmations.ts): listed with names and
 * roles from the bundle's ceremony script, and compared with what the script asked of each person in
 * each step — a missing, extra, repeated, reworded or unconfirmed acknowledgement, or one from an
 * answers file where production forbids it, is a failed `bundle.confirmations` item naming the entry,
 * the step and the person. What the engine itself refuses while it runs is tested in ceremony-engine.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { bundleConfirmations, checkConfirmations, confirmationsSummary } from '../../electron/core/ceremony/confirmations';
import type { TranscriptEntry } from '../../electron/core/ceremony/transcript';
import type { CeremonyScript } from '../../electron/core/ceremony/types';
import { verifyBundleBytes } from '../../electron/ipc/verify';
import { findItem } from '../../shared/verification/report';
import { bundleTar, makeFakeBundle, writeBundleDir, type FakeBundle } from '../helpers/fake-bundle';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';

let good: FakeBundle;
let entries: TranscriptEntry[];
before(async () => {
  good = await makeFakeBundle();
  entries = new TextDecoder()
    .decode(good.files.get('transcript.jsonl')!)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TranscriptEntry);
});

const clone = <T>(x: T): T => structuredClone(x);
/** The entries with the acknowledgements of the entry for `step` changed by `edit`. */
function editAcks(step: string, edit: (acks: NonNullable<TranscriptEntry['acknowledgements']>) => void): TranscriptEntry[] {
  const out = clone(entries);
  const e = out.find((x) => x.step === step && (x.event === 'step-completed' || x.event === 'step-skipped'))!;
  e.acknowledgements ??= [];
  edit(e.acknowledgements);
  return out;
}

test('a sealed bundle: every confirmation listed in order with name and role; the item passes and sums up per person', async () => {
  const r = await verifyBundleBytes(bundleTar(good.files));
  assert.equal(r.verdict, 'verified', r.summary);
  const item = findItem(r, 'bundle.confirmations');
  assert.equal(item?.status, 'pass');
  assert.equal(item?.subject, 'REHEARSAL-ceremony.json');
  const list = r.bundle!.confirmations!;
  const recorded = entries.flatMap((e) => (e.acknowledgements ?? []).map((a) => `${e.seq} ${e.step} ${a.id} ${a.by}`));
  assert.deepEqual(
    list.map((c) => `${c.seq} ${c.step} ${c.ack} ${c.by}`),
    recorded,
  );
  const w = list.find((c) => c.by === 'witness')!;
  assert.deepEqual([w.name, w.role, w.source, w.skipped], ['Independent witness', 'witness', 'screen', false]);
  // the fake has no backup service: the backup step is skipped in this rehearsal, and says so
  assert.ok(list.some((c) => c.step === 'backup-targets' && c.skipped));
  assert.match(
    item!.message,
    new RegExp(
      `^${list.length} confirmations, each one the ceremony script asks for: Independent witness \\(witness, witness\\): 4 at the screen; Custodian 1`,
    ),
  );
});

test('each disagreement with the script is named: missing, not asked, twice, reworded, not confirmed, unknown step', () => {
  const script = good.script;
  const problems = (es: TranscriptEntry[], production = false) => checkConfirmations(es, script, production).problems;
  assert.deepEqual(problems(entries), []);

  const missing = problems(editAcks('keygen-root', (a) => void a.splice(0, 1)));
  assert.equal(missing.length, 1);
  assert.match(
    missing[0]!,
    /^transcript entry \d+ \(step keygen-root\): the script asks Independent witness \(witness, witness\) to confirm "fingerprints"; the transcript records no such confirmation$/,
  );

  const extra = problems(
    editAcks('preflight', (a) => void a.push({ id: 'airgap', by: 'custodian-1', statement: a[0]!.statement, confirmed: true, source: 'screen' })),
  );
  assert.deepEqual(extra.length, 1);
  assert.match(extra[0]!, /\(step preflight\): records a confirmation "airgap" by Custodian 1 \(custodian-1, custodian\) that the script does not ask of them/);

  const twice = problems(editAcks('preflight', (a) => void a.push({ ...a[0]! })));
  assert.match(twice.join('\n'), /records the confirmation "airgap" by Independent witness \(witness, witness\) twice/);

  const reworded = problems(editAcks('sign-metadata', (a) => void (a[0]!.statement = 'I saw nothing.')));
  assert.match(
    reworded.join('\n'),
    /\(step sign-metadata\): the confirmation "root-hash" by Independent witness .* does not carry the statement the script asks them to confirm/,
  );

  const refused = problems(editAcks('sign-metadata', (a) => void (a[0]!.confirmed = false)));
  assert.match(refused.join('\n'), /is not a confirmation \(confirmed is not true\)/);

  const unknown = clone(entries);
  unknown.find((e) => e.step === 'sign-metadata' && e.event === 'step-completed')!.step = 'sign-something-else';
  assert.match(problems(unknown).join('\n'), /\(step sign-something-else\): the ceremony script has no step "sign-something-else"/);
});

test('answers files: refused for a witness or custodian in production unless the script allows it; administrators and rehearsals may', () => {
  const fromFile = editAcks('preflight', (a) => void (a[0]!.source = 'answers-file'));
  const adminFromFile = editAcks('close', (a) => void (a[0]!.source = 'answers-file'));
  const prod = (es: TranscriptEntry[], s: CeremonyScript = good.script) => checkConfirmations(es, s, true).problems;
  assert.match(
    prod(fromFile).join('\n'),
    /Independent witness \(witness, witness\) confirmed "airgap" from an answers file, which production allows only where the script says "allowAnswersFile": true/,
  );
  assert.deepEqual(checkConfirmations(fromFile, good.script, false).problems, [], 'a rehearsal may answer from a file');
  assert.deepEqual(prod(adminFromFile), [], 'an administrator may be answered by file');
  const allowing = clone(good.script);
  allowing.steps.find((s) => s.id === 'preflight')!.acknowledgements![0]!.allowAnswersFile = true;
  assert.deepEqual(prod(fromFile, allowing), []);
  const list = checkConfirmations(fromFile, good.script, false).confirmations;
  assert.match(confirmationsSummary(list), /^Independent witness \(witness, witness\): 3 at the screen, 1 from the answers file; /);
});

test('the script the transcript names: changed (not compared, the file check fails), unreadable or missing (a problem); the record is listed either way', async () => {
  const path = 'REHEARSAL-ceremony.json';
  const read = (bytes: Uint8Array | null) => async (p: string) => (p === path ? bytes : null);
  const ok = await bundleConfirmations(entries, read(good.files.get(path)!), false);
  assert.deepEqual([ok.problems, ok.script, ok.notCompared], [[], path, undefined]);

  const changed = new Uint8Array(good.files.get(path)!);
  changed[changed.length - 2] = changed[changed.length - 2]! ^ 1;
  const c = await bundleConfirmations(entries, read(changed), false);
  assert.deepEqual(c.problems, []);
  assert.match(c.notCompared!, /is not the script the transcript recorded at the opening \(its SHA-256 differs\)/);
  assert.equal(c.confirmations.length, ok.confirmations.length);
  assert.equal(c.confirmations[0]!.name, undefined, 'no names from a script that is not the one run');

  const gone = await bundleConfirmations(entries, read(null), false);
  assert.match(gone.problems.join('\n'), /REHEARSAL-ceremony\.json: the ceremony script cannot be read .*not in the bundle/);

  // a script whose bytes the transcript recorded but whose participants are malformed
  const bad = new TextEncoder().encode(JSON.stringify({ participants: [{ id: 'x', name: '', role: 'witness' }], steps: [] }));
  const es = clone(entries);
  const { sha256Hex } = await import('../../shared/crypto/webcrypto');
  es[0]!.outputs = [{ path, sha256: await sha256Hex(bad) }];
  const m = await bundleConfirmations(es, read(bad), false);
  assert.match(
    m.problems.join('\n'),
    /cannot be read to compare the confirmations with it \(Invalid value at REHEARSAL-ceremony\.json\.participants\[0\]\.name: must not be empty/,
  );

  const none = clone(entries);
  none[0]!.outputs = [];
  assert.match((await bundleConfirmations(none, read(null), false)).problems.join('\n'), /does not name the ceremony script/);
});

test('a bundle whose ceremony script was changed: the file fails, the confirmations are listed but not compared (skip)', async () => {
  const files = new Map(good.files);
  const b = new Uint8Array(files.get('REHEARSAL-ceremony.json')!);
  b[b.length - 2] = b[b.length - 2]! ^ 1;
  files.set('REHEARSAL-ceremony.json', b);
  const r = await verifyBundleBytes(bundleTar(files));
  assert.equal(r.verdict, 'failed');
  assert.equal(findItem(r, 'bundle.file', 'REHEARSAL-ceremony.json')?.code, 'HASH_MISMATCH');
  assert.equal(findItem(r, 'bundle.confirmations')?.status, 'skip');
  assert.ok(r.bundle?.confirmations?.length);
});

test('keyceremony bundle verify lists every confirmation with entry, step, person and how it was given', async () => {
  const dir = writeBundleDir(good.files, mkdtempSync(join(tmpdir(), 'kc-acks-')));
  const out: string[] = [];
  const code = await main(['bundle', 'verify', dir], { ...makeContext({ env: {} }), out: (l: string) => void out.push(l), err: () => undefined });
  assert.equal(code, 0, out.join('\n'));
  const n = entries.reduce((k, e) => k + (e.acknowledgements?.length ?? 0), 0);
  const at = out.indexOf(`confirmations: ${n}, each one the ceremony script asks for`);
  assert.ok(at > 0, out.join('\n'));
  const lines = out.slice(at + 1, at + 1 + n);
  assert.match(
    lines[0]!,
    /^ {2}#\d+ preflight: Independent witness \(witness, witness\) confirmed "I checked that the ceremony machine is offline[^"]*" at the screen$/,
  );
  assert.ok(lines.some((l) => /^ {2}#\d+ backup-targets \(skipped\): Custodian 1 \(custodian-1, custodian\) confirmed/.test(l)));
  assert.equal(out[at + 1 + n], 'bundle: verified');
});

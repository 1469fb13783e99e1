/**
 * The expiry dashboard (issue 15 item 1): `keyceremony expiry` on real repositories (Sigstore's
 * root-signing in the tuf-on-ci layout and in the published consistent-snapshot layout, the Notary
 * compatibility GUNs) at fixed times, on a repository with delegations and hash bins made here, the
 * renewal windows (defaults, x-tuf-on-ci-signing-period, ceremony settings, --warn-days), the .ics read
 * back by the real iCalendar parser ical.js, every bad input, and the renewal deadlines a ceremony step
 * records for its transcript.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import ICAL from 'ical.js';
import { kcInProcess } from '../helpers/kc-inprocess';
import { FIXTURES } from '../helpers/tuf-fs';
import { SoftwareSigner } from '../helpers/software-signer';
import { signerKey } from '../../electron/core/tuf/sign';
import { expiresIn, hashBinTargets, targetFileInfo } from '../../electron/core/tuf/repo';
import { writeSoftwareRepository } from '../helpers/tuf-software-repo';
import { foldLine, icsText } from '../../electron/core/lifecycle/ics';
import { renewalWindow, stateAt, DAY_MS } from '../../electron/core/lifecycle/expiry';
import { metadataDeadlines } from '../../electron/core/lifecycle/deadlines';
import { renderTranscriptHtml, renewalDeadlineLines } from '../../electron/core/ceremony/transcript-html';
import { utf8 } from '../../shared/encoding/bytes';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-expiry-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SIGSTORE = path.join(FIXTURES, 'tuf', 'sigstore-root-signing', 'metadata');
const LEGACY = path.join(FIXTURES, 'tuf', 'sigstore-root-signing', 'legacy-repository', 'repository');
const NOTARY = path.join(FIXTURES, 'notary', 'notary', 'fixtures', 'compatibility');
const NOTARY03 = path.join(NOTARY, 'notary0.3', 'tuf', 'docker.com', 'notary0.3', 'tst', 'metadata');

interface Row {
  role: string;
  kind: string;
  version: number;
  state: string;
  daysLeft: number;
  renewBy: string;
  windowDays: number;
  windowSource: string;
  threshold: number;
  signers: { keyid: string; name?: string }[];
  command?: string;
  commandNote?: string;
  members?: unknown[];
  due?: number;
}
interface Report {
  kind: string;
  layout: string;
  gun?: string;
  ok: boolean;
  rows: Row[];
  notes: string[];
  counts: Record<string, number>;
}

async function expiryJson(args: string[]): Promise<{ code: number; report: Report; err: string }> {
  const r = await kcInProcess(['expiry', ...args, '--json']);
  assert.ok(r.out.startsWith('{'), `no JSON (exit ${r.code}): ${r.err}`);
  return { code: r.code, report: JSON.parse(r.out) as Report, err: r.err };
}
const row = (rep: Report, role: string): Row => {
  const r = rep.rows.find((x) => x.role === role);
  assert.ok(r, `no row ${role} in ${rep.rows.map((x) => x.role).join(', ')}`);
  return r;
};

describe('keyceremony expiry on Sigstore root-signing (tuf-on-ci layout, root_history/)', () => {
  test('at 2026-08-01 every role is listed with version, signers by name, tuf-on-ci signing periods as windows; exit 0', async () => {
    const { code, report } = await expiryJson(['--metadata', SIGSTORE, '--at', '2026-08-01T00:00:00Z']);
    assert.equal(code, 0);
    assert.equal(report.kind, 'tuf');
    assert.match(report.layout, /tuf-on-ci/);
    assert.deepEqual(report.rows.map((r) => r.role).sort(), ['registry.npmjs.org', 'root', 'snapshot', 'targets', 'timestamp']);
    const root = row(report, 'root');
    assert.equal(root.version, 15, 'the latest root comes from root_history/ and root.json');
    assert.equal(root.threshold, 3);
    assert.equal(root.signers.length, 5);
    assert.ok(
      root.signers.every((s) => s.name?.startsWith('@')),
      'x-tuf-on-ci-keyowner names the holders',
    );
    assert.equal(root.windowSource, 'x-tuf-on-ci-signing-period');
    const ts = row(report, 'timestamp');
    assert.equal(ts.version, 762);
    assert.equal(ts.state, 'ok');
    assert.equal(ts.daysLeft, 27);
    assert.equal(ts.windowSource, 'x-tuf-on-ci-signing-period', 'an online role takes the period from its entry in root');
    assert.equal(row(report, 'registry.npmjs.org').kind, 'delegated');
    assert.match(root.command ?? '', /^keyceremony tuf renew --metadata \S+ --role root --expires-in \d+ --out 16\.root\.request\.json$/);
    assert.deepEqual(report.counts, { ok: 5, 'renew-soon': 0, expired: 0 });
  });

  test('inside the timestamp window it is renew-soon; after its expiry it is EXPIRED and the exit is 1 with the list', async () => {
    const soon = await expiryJson(['--metadata', SIGSTORE, '--at', '2026-08-25T00:00:00Z']);
    assert.equal(soon.code, 0);
    assert.equal(row(soon.report, 'timestamp').state, 'renew-soon');
    const text = await kcInProcess(['expiry', '--metadata', SIGSTORE, '--at', '2026-09-01T00:00:00Z']);
    assert.equal(text.code, 1);
    assert.match(text.out, /^EXPIRED\s+timestamp\s+v762/m);
    assert.match(text.out, /EXPIRED at 2026-09-01T00:00:00Z: timestamp v762 \(2026-08-28T19:25:56Z\)/);
    assert.match(text.out, /renew: keyceremony tuf renew .* --role timestamp /);
  });

  test('--warn-days N overrides every window', async () => {
    const { report } = await expiryJson(['--metadata', SIGSTORE, '--at', '2026-08-01T00:00:00Z', '--warn-days', '120']);
    for (const r of report.rows) assert.equal(r.windowSource, '--warn-days');
    assert.equal(row(report, 'root').state, 'renew-soon');
    assert.equal(row(report, 'targets').state, 'ok');
  });
});

test('the published consistent-snapshot layout (N.root.json, 103 snapshots): the latest of each role; all expired today', async () => {
  const then = await expiryJson(['--metadata', LEGACY, '--at', '2024-09-05T00:00:00Z']);
  assert.equal(then.code, 0);
  assert.match(then.report.layout, /published/);
  assert.equal(row(then.report, 'root').version, 9);
  assert.equal(row(then.report, 'snapshot').version, 155);
  assert.equal(row(then.report, 'timestamp').version, 216);
  assert.equal(row(then.report, 'root').state, 'renew-soon', '7 days left, inside the 60 day default');
  assert.equal(row(then.report, 'root').windowSource, 'default');
  const now = await expiryJson(['--metadata', LEGACY, '--at', '2026-11-30T00:00:00Z']);
  assert.equal(now.code, 1);
  assert.equal(now.report.counts.expired, 5);
  assert.equal(now.report.ok, false);
});

describe('Notary GUNs (detected from the root)', () => {
  test('notary 0.3: every role, the delegation, the root certificate as a deadline; the server timestamp gets no command', async () => {
    const { code, report } = await expiryJson(['--metadata', NOTARY03, '--at', '2016-06-01T00:00:00Z']);
    assert.equal(code, 0);
    assert.equal(report.kind, 'notary');
    assert.equal(report.gun, 'docker.com/notary0.3/tst');
    assert.deepEqual(report.rows.map((r) => r.kind).sort(), ['delegated', 'root', 'root-certificate', 'snapshot', 'targets', 'timestamp']);
    assert.equal(row(report, 'targets').version, 5);
    assert.match(row(report, 'targets/releases').command ?? '', /^keyceremony notary targets --dir \S+ --role targets\/releases --days \d+$/);
    const ts = row(report, 'timestamp');
    assert.equal(ts.command, undefined);
    assert.match(ts.commandNote ?? '', /notary-server/);
    assert.ok(report.notes.some((n) => /targets\/releases: the certificate of key .* valid until 2017-07-27/.test(n)));
  });

  test('the root certificate (valid until 2026-07-25) is renew-soon inside 60 days and expired after: exit 1', async () => {
    const soon = await expiryJson(['--metadata', NOTARY03, '--at', '2026-07-01T00:00:00Z']);
    const cert = soon.report.rows.find((r) => r.kind === 'root-certificate')!;
    assert.equal(cert.state, 'renew-soon');
    assert.match(cert.command ?? '', /^keyceremony notary cert --gun docker\.com\/notary0\.3\/tst /);
    const late = await expiryJson(['--metadata', NOTARY03, '--at', '2026-08-01T00:00:00Z']);
    assert.equal(late.code, 1);
    assert.equal(late.report.rows.find((r) => r.kind === 'root-certificate')!.state, 'expired');
  });
});

// A repository made here: 2 of 3 root keys, one online key, and 4 hash bins.
const NOW = Date.parse('2026-01-01T00:00:00Z');
const roots = [0, 1, 2].map((i) => SoftwareSigner.generate('ecdsa-p256', undefined, `root-${i}`));
const online = SoftwareSigner.generate('ecdsa-p256', undefined, 'online');

async function makeRepo(dir: string, opts: { binDays?: number[] } = {}): Promise<string> {
  const md = path.join(dir, 'metadata');
  const binned = await hashBinTargets({
    targets: { 'a.txt': await targetFileInfo(new Uint8Array([1])) },
    binKeys: [(await signerKey(online)).key],
    threshold: 1,
    bitLength: 2,
    expires: expiresIn(NOW, 90),
  });
  // bins expire at different times, so the grouped row shows the earliest and counts the due ones
  [...binned.bins.values()].forEach((b, i) => {
    const d = opts.binDays?.[i];
    if (d !== undefined) b.expires = expiresIn(NOW, d);
  });
  await writeSoftwareRepository(md, { now: NOW, roots, threshold: 2, online, targets: binned.top, delegated: binned.bins });
  return md;
}

describe('a repository with hash bins, made here', () => {
  let md = '';
  test('hash bins are one grouped row: the earliest bin, how many bins, how many due; top-level roles default windows', async () => {
    md = await makeRepo(path.join(tmp, 'bins'), { binDays: [90, 10, 90, 30] });
    const { code, report } = await expiryJson(['--metadata', md, '--at', '2026-01-01T00:00:00Z']);
    assert.equal(code, 0, JSON.stringify(report.notes));
    const bins = report.rows.filter((r) => r.kind === 'hash-bins');
    assert.equal(bins.length, 1, 'one row for all bins');
    assert.equal(bins[0]!.members?.length, 4);
    assert.equal(bins[0]!.daysLeft, 10, 'the bin expiring first');
    assert.equal(bins[0]!.state, 'renew-soon');
    assert.equal(bins[0]!.due, 1, 'only the 10-day bin is inside the 14 day window');
    assert.match(bins[0]!.commandNote ?? '', /one request per bin/);
    assert.equal(row(report, 'timestamp').windowDays, 1);
    assert.equal(row(report, 'snapshot').windowDays, 3);
    assert.equal(row(report, 'targets').windowDays, 14);
    assert.equal(row(report, 'root').windowDays, 60);
    assert.equal(row(report, 'root').threshold, 2);
  });

  test('renewalWindowDays of the ceremony script beside metadata/ sets the windows; a bad one is refused naming it', async () => {
    const base = path.dirname(md);
    writeFileSync(
      path.join(base, 'ceremony.json'),
      JSON.stringify({ steps: [{ kind: 'tuf-repository', params: { renewalWindowDays: { root: 400, delegations: 5 } } }] }),
    );
    const { report } = await expiryJson(['--metadata', md, '--at', '2026-01-01T00:00:00Z']);
    assert.equal(row(report, 'root').windowDays, 400);
    assert.equal(row(report, 'root').windowSource, 'ceremony settings');
    assert.equal(row(report, 'root').state, 'renew-soon');
    assert.equal(report.rows.find((r) => r.kind === 'hash-bins')!.state, 'ok', '10 days left, 5 day window');
    assert.equal(row(report, 'timestamp').windowSource, 'default');
    writeFileSync(path.join(base, 'ceremony.json'), JSON.stringify({ steps: [{ kind: 'tuf-repository', params: { renewalWindowDays: { rooot: 2 } } }] }));
    try {
      const bad = await kcInProcess(['expiry', '--metadata', md]);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /error\[INVALID_INPUT\]: ceremony\.json renewalWindowDays\.rooot: unknown role/);
    } finally {
      rmSync(path.join(base, 'ceremony.json'));
    }
  });

  test('--ics: RFC 5545 read back by ical.js — one event per deadline with the command, a VALARM, CRLF, lines ≤ 75 octets, stable UIDs', async () => {
    const ics = path.join(tmp, 'renewals.ics');
    const r = await kcInProcess(['expiry', '--metadata', md, '--at', '2026-01-01T00:00:00Z', '--ics', ics]);
    assert.equal(r.code, 0, r.err);
    const text = readFileSync(ics, 'utf8');
    assert.ok(text.endsWith('\r\n'));
    assert.ok(!/[^\r]\n/.test(text), 'every line ends in CRLF');
    for (const l of text.split('\r\n')) assert.ok(utf8(l).length <= 75, `line over 75 octets: ${l}`);
    const cal = new ICAL.Component(ICAL.parse(text));
    const events = cal.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    assert.equal(events.length, 5, 'root, timestamp, snapshot, targets, the bins');
    const root = events.find((e) => /Renew root v1 /.test(e.summary))!;
    assert.ok(root, events.map((e) => e.summary).join(' | '));
    assert.equal(root.startDate.toJSDate().toISOString(), new Date(NOW + 365 * DAY_MS - 60 * DAY_MS).toISOString());
    assert.match(root.description, /Make the renewal request: keyceremony tuf renew --metadata .* --role root --expires-in 365 --out 2\.root\.request\.json/);
    const alarm = root.component.getFirstSubcomponent('valarm')!;
    assert.equal(alarm.getFirstPropertyValue('action'), 'DISPLAY');
    assert.equal(String(alarm.getFirstPropertyValue('trigger')), '-P1D');
    assert.ok(root.component.getFirstPropertyValue('dtstamp'));
    const again = path.join(tmp, 'renewals-2.ics');
    await kcInProcess(['expiry', '--metadata', md, '--at', '2026-02-01T00:00:00Z', '--ics', again]);
    const uids = (t: string) => [...t.matchAll(/^UID:(.*)$/gm)].map((m) => m[1]).sort();
    assert.deepEqual(uids(readFileSync(again, 'utf8')), uids(text), 'same role versions, same UIDs: a re-import updates');
  });

  test('the ceremony step records the same deadlines for the transcript, and the printable transcript shows them', async () => {
    const files = ['1.root.json', 'timestamp.json'].map((n) => ({ path: `metadata/${n}`, bytes: new Uint8Array(readFileSync(path.join(md, n))) }));
    const due = metadataDeadlines(files, { now: NOW, settings: { root: 30 } });
    assert.match(due.facts['renew.root']!, /^v1 expires 2027-01-01T00:00:00Z; renew by 2026-12-02T00:00:00Z \(30 days before, ceremony settings\)$/);
    assert.match(due.facts['renew.root.command']!, /--role root/);
    assert.match(due.facts['renew.timestamp']!, /\(1 day before, default\)/);
    const entries = [{ seq: 1, at: '2026-01-01T00:00:00Z', event: 'renewal-deadlines', facts: due.facts, hash: 'h', prev: '' }];
    assert.deepEqual(
      renewalDeadlineLines(entries as never).map((l) => l.what),
      ['timestamp', 'root'],
      'soonest renewal first',
    );
    const html = renderTranscriptHtml({ title: 't', participants: [], steps: [] } as never, entries as never, false);
    assert.match(html, /<h2>Next renewal deadlines<\/h2>/);
    assert.match(html, /renew by 2026-12-02T00:00:00Z/);
  });
});

describe('bad input: an error naming what and where, nothing written', () => {
  test('no folder, a folder without a root, a bad --warn-days, a bad --at', async () => {
    const none = await kcInProcess(['expiry', '--metadata', path.join(tmp, 'nope')]);
    assert.equal(none.code, 1);
    assert.match(none.err, /error\[NOT_FOUND\]: no such metadata folder/);
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    writeFileSync(path.join(empty, 'targets.json'), '{}');
    const noRoot = await kcInProcess(['expiry', '--metadata', empty, '--ics', path.join(empty, 'x.ics')]);
    assert.equal(noRoot.code, 1);
    assert.match(noRoot.err, /holds no root\.json, N\.root\.json or root_history\/N\.root\.json/);
    assert.ok(!existsSync(path.join(empty, 'x.ics')));
    const warn = await kcInProcess(['expiry', '--metadata', SIGSTORE, '--warn-days', 'soon']);
    assert.equal(warn.code, 2);
    assert.match(warn.err, /--warn-days takes a whole number of days/);
    const at = await kcInProcess(['expiry', '--metadata', SIGSTORE, '--at', 'yesterday']);
    assert.notEqual(at.code, 0);
    assert.match(at.err, /--at|yesterday/);
    const missing = await kcInProcess(['expiry']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--metadata DIR is required/);
  });

  test('a malformed root is reported with its file, not a crash', async () => {
    const dir = path.join(tmp, 'broken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'root.json'), '{"signed": {"_type": "root", "_type": "root"}}');
    const r = await kcInProcess(['expiry', '--metadata', dir]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.err, /INTERNAL/);
    assert.match(r.err, /root/);
  });
});

describe('pure pieces', () => {
  test('window order: --warn-days, then x-tuf-on-ci-signing-period, then settings, then defaults', () => {
    assert.deepEqual(renewalWindow({ kind: 'timestamp' }), { days: 1, source: 'default' });
    assert.deepEqual(renewalWindow({ kind: 'hash-bins' }, { settings: { delegations: 7 } }), { days: 7, source: 'ceremony settings' });
    assert.deepEqual(renewalWindow({ kind: 'root', signingPeriodDays: 46 }, { settings: { root: 10 } }), { days: 46, source: 'x-tuf-on-ci-signing-period' });
    assert.deepEqual(renewalWindow({ kind: 'root', signingPeriodDays: 46 }, { warnDays: 3 }), { days: 3, source: '--warn-days' });
    assert.deepEqual(renewalWindow({ kind: 'timestamp', signingPeriodDays: 3, signingPeriodSource: 'half-expiry-period' }), {
      days: 3,
      source: 'half x-tuf-on-ci-expiry-period',
    });
    assert.equal(stateAt(10 * DAY_MS, 2, 7 * DAY_MS), 'ok');
    assert.equal(stateAt(10 * DAY_MS, 2, 8 * DAY_MS), 'renew-soon');
    assert.equal(stateAt(10 * DAY_MS, 2, 10 * DAY_MS), 'expired');
  });

  test('folding never splits a UTF-8 character; TEXT escaping', () => {
    const long = `DESCRIPTION:${'é'.repeat(100)}`;
    const folded = foldLine(long);
    for (const part of folded.split('\r\n')) assert.ok(utf8(part).length <= 75);
    assert.equal(folded.replace(/\r\n /g, ''), long);
    assert.equal(icsText('a,b;c\\d\ne'), 'a\\,b\\;c\\\\d\\ne');
  });
});

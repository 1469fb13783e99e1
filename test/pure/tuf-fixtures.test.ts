import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync, existsSync } from 'node:fs';
import { verifyRepository, findTarget, type TufVerification } from '../../electron/core/tuf/verify';
import { failures, formatVerificationReport as formatReport } from '../../shared/verification/report';
import { FIXTURES, dirReader, readBytes, gitLinkReader, readFollowingGitLinks } from '../helpers/tuf-fs';

const T = path.join(FIXTURES, 'tuf');
const at = (s: string) => Date.parse(s);
/** The report with the verified roles alongside (what findTarget searches). */
async function verify(...args: Parameters<typeof verifyRepository>) {
  const v: TufVerification = await verifyRepository(...args);
  return Object.assign(v.report, { targetRoles: v.targetRoles });
}

describe('Sigstore production', () => {
  const md = path.join(T, 'sigstore-root-signing', 'metadata');
  test('root chain 1..15 and top-level set (clock pinned)', async () => {
    const hist = path.join(md, 'root_history');
    const reader = {
      async read(name: string) {
        if (/^\d+\.root\.json$/.test(name)) return existsSync(path.join(hist, name)) ? readBytes(path.join(hist, name)) : undefined;
        return dirReader(md).read(name);
      },
    };
    const r = await verify(readBytes(path.join(hist, '1.root.json')), reader, {
      now: at('2026-08-22T00:00:00Z'),
      targetFiles: dirReader(path.join(T, 'sigstore-root-signing', 'targets')),
    });
    assert.equal(r.ok, true, formatReport(r).join('\n'));
    assert.equal(r.tuf.rootVersion, 15);
    assert.deepEqual(
      r.roles.map((x) => [x.role, x.version]),
      [
        ['root', 15],
        ['timestamp', 762],
        ['snapshot', 165],
        ['targets', 14],
        ['registry.npmjs.org', 8],
      ],
    );
    assert.equal(r.tuf.targetFilesChecked, 12);
    const hit = await findTarget(r.targetRoles!, 'registry.npmjs.org/keys.json');
    assert.deepEqual(hit?.path, ['targets', 'registry.npmjs.org']);
    assert.equal((await findTarget(r.targetRoles!, 'trusted_root.json'))?.role, 'targets');
    const v5 = r.items.find((i) => i.check === 'root.update' && i.message.startsWith('v5:'));
    assert.equal(v5?.message, 'v5: signed by 4 of 3 required old root v4 keys, signed by 4 of 3 required new root v5 keys');
    // the same data after the timestamp expired
    const late = await verify(readBytes(path.join(hist, '1.root.json')), reader, { now: at('2026-09-01T00:00:00Z') });
    assert.equal(late.ok, false);
    assert.equal(failures(late)[0]!.code, 'EXPIRED');
    assert.equal(failures(late)[0]!.subject, 'timestamp');
  });

  test('legacy published layout (consistent snapshots, hash-prefixed targets): valid before, expired after 2024-09-06', async () => {
    const repo = path.join(T, 'sigstore-root-signing', 'legacy-repository', 'repository');
    const opts = { targetFiles: dirReader(path.join(repo, 'targets')) };
    const r = await verify(readBytes(path.join(repo, '1.root.json')), dirReader(repo), { ...opts, now: at('2024-09-05T00:00:00Z') });
    assert.equal(r.ok, true, formatReport(r).join('\n'));
    assert.deepEqual(
      r.roles.map((x) => [x.role, x.version]),
      [
        ['root', 9],
        ['timestamp', 216],
        ['snapshot', 155],
        ['targets', 9],
        ['registry.npmjs.org', 3],
      ],
    );
    assert.ok(r.tuf.targetFilesChecked > 0);
    const late = await verify(readBytes(path.join(repo, '1.root.json')), dirReader(repo), { now: at('2024-09-07T00:00:00Z') });
    assert.deepEqual([late.ok, failures(late)[0]?.code, failures(late)[0]?.subject], [false, 'EXPIRED', 'timestamp']);
  });

  test('staging chain 1..14 and top-level set', async () => {
    const dir = path.join(T, 'sigstore-root-signing-staging');
    const files = readdirSync(dir, { recursive: true }).map(String);
    const hist = files.find((f) => f.endsWith('1.root.json') && path.basename(f) === '1.root.json');
    assert.ok(hist, 'staging 1.root.json');
    const histDir = path.join(dir, path.dirname(hist));
    const mdDir = path.join(dir, 'metadata');
    const reader = {
      async read(name: string) {
        if (/^\d+\.root\.json$/.test(name)) return dirReader(histDir).read(name);
        return dirReader(mdDir).read(name);
      },
    };
    const ts = JSON.parse(Buffer.from((await dirReader(mdDir).read('timestamp.json'))!).toString()) as { signed: { expires: string } };
    const now = Date.parse(ts.signed.expires) - 3600_000;
    const r = await verify(readBytes(path.join(histDir, '1.root.json')), reader, { now });
    assert.equal(r.ok, true, formatReport(r).join('\n'));
    assert.equal(r.tuf.rootVersion, 14);
    assert.deepEqual(
      r.roles.map((x) => x.version),
      [14, 703, 25, 28, 5],
    );
  });
});

describe('python-tuf reference fixtures', () => {
  const md = path.join(T, 'python-tuf', 'tests', 'repository_data', 'repository', 'metadata');
  test('root -> timestamp -> snapshot -> targets -> role1 -> role2, target files', async () => {
    const r = await verify(readBytes(path.join(md, 'root.json')), dirReader(md), {
      now: at('2029-01-01T00:00:00Z'),
      targetFiles: dirReader(path.join(md, '..', 'targets')),
    });
    assert.equal(r.ok, true, formatReport(r).join('\n'));
    assert.deepEqual(
      r.roles.map((x) => x.role),
      ['root', 'timestamp', 'snapshot', 'targets', 'role1', 'role2'],
    );
    assert.equal(r.tuf.targetFilesChecked, 3);
    assert.equal((await findTarget(r.targetRoles!, 'file3.txt'))?.role, 'role1');
    assert.equal(await findTarget(r.targetRoles!, 'nope.txt'), undefined);
  });

  test('fishy role names are fetched by their URL-encoded names, as python-tuf and tuf-js request them', async () => {
    const fishy = path.join(T, 'python-tuf', 'tests', 'repository_data', 'fishy_rolenames');
    const m = path.join(fishy, 'metadata');
    // this old fixture stores the raw names; python-tuf's test server answers the encoded requests
    const map: Record<string, string> = { '1...%2Fa.json': '../1.a.json', '1.%C3%B6.json': '1.ö.json' };
    const r = await verify(readBytes(path.join(m, '1.root.json')), dirReader(m, map), { now: at('2029-01-01T00:00:00Z') });
    assert.equal(r.ok, true, formatReport(r).join('\n'));
    assert.deepEqual(r.roles.map((x) => x.role).sort(), ['.', '../a', 'root', 'snapshot', 'targets', 'timestamp', 'ö'].sort());
  });
});

describe('go-tuf v0.7.0 scenarios', () => {
  const base = path.join(T, 'go-tuf-v0.7.0', 'client', 'testdata');
  const scen = (name: string) => {
    const d = path.join(base, name);
    const cur = path.join(d, 'client', 'metadata', 'current');
    const clientRoot = existsSync(path.join(cur, 'root.json')) ? path.join(cur, 'root.json') : undefined;
    return { clientRoot, server: path.join(d, 'server', 'metadata') };
  };
  // expected: undefined = verifies; otherwise the failure code and a fragment of its reason
  const cases: Record<string, [string, RegExp] | undefined> = {
    Published1Time: undefined,
    Published1Time_client_root_only: undefined,
    Published2Times_keyrotated: undefined,
    Published2Times_keyrotated_initialrootexpired: undefined,
    Published3Times_keyrotated_initialrootsexpired: undefined,
    Published3Times_keyrotated_initialrootsexpired_clientversionis2: undefined,
    Published2Times_snapshot_keyrotated: undefined,
    Published2Times_targets_keyrotated: undefined,
    Published2Times_timestamp_keyrotated: undefined,
    Published3Times_keyrotated_latestrootexpired: ['EXPIRED', /root v\d expired/],
    Published2Times_keyrotated_invalidNewRootSignature: ['THRESHOLD_NOT_MET', /2\.root\.json \(5\.3\.4\): .*signed by 0 of 1/],
    Published1Time_backwardRootVersion: ['ROLLBACK', /holds version 1, expected exactly 2/],
    Published3Times_keyrotated_forwardRootVersion: ['ROLLBACK', /holds version 3, expected exactly 2/],
    Published2Times_roottoolarge: ['TOO_LARGE', /over the 512000-byte limit/],
    // defective fixture (go-tuf #417): the "invalid" old signature is not actually invalid
    Published2Times_keyrotated_invalidOldRootSignature: undefined,
  };
  for (const n of readdirSync(base).filter((x) => x.startsWith('PublishedTwiceMultiKeys'))) cases[n] = undefined;
  for (const [name, expect] of Object.entries(cases)) {
    test(`${name} ${expect ? `fails: ${expect[0]}` : 'verifies'}`, async () => {
      const { clientRoot, server } = scen(name);
      assert.ok(clientRoot, 'client trusted root');
      // roots of these sets expire 2021-09-12 (the "expired" ones) or 2031: pin the clock in between
      const r = await verify(readBytes(clientRoot), dirReader(server), { now: at('2025-01-01T00:00:00Z') });
      if (!expect) assert.equal(r.ok, true, formatReport(r).join('\n'));
      else {
        assert.equal(r.ok, false, formatReport(r).join('\n'));
        assert.equal(failures(r)[0]!.code, expect[0], formatReport(r).join('\n'));
        assert.match(failures(r)[0]!.message, expect[1]);
      }
    });
  }
  for (const set of ['go-tuf', 'go-tuf-transition-M3', 'go-tuf-transition-M4']) {
    for (const cs of ['true', 'false']) {
      test(`${set} consistent-snapshot-${cs}: root chain 1 -> 5 and the top-level set verify`, async () => {
        const d = path.join(base, set, `consistent-snapshot-${cs}`, '5', 'repository');
        const r = await verify(readFollowingGitLinks(path.join(d, '1.root.json'))!, gitLinkReader(d), {
          now: at('2025-01-01T00:00:00Z'),
          targetFiles: gitLinkReader(path.join(d, 'targets')),
        });
        assert.equal(r.ok, true, formatReport(r).join('\n'));
        assert.equal(r.tuf.rootVersion, 5);
        assert.ok(r.tuf.targetFilesChecked > 0);
      });
    }
  }
  test('_client_no_root: there is no trust anchor', () => {
    assert.equal(scen('Published1Time_client_no_root').clientRoot, undefined);
  });
});

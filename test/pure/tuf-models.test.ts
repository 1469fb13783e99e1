/**
 * shared/tuf/models.ts in the one vocabulary (shared/schema.ts, issue 16 item 5): every fault of a
 * metadata file is collected and named with its JSON path (INVALID_METADATA, the first in the
 * message, all in `details`), members we do not know are kept and written back, and each refusal the
 * hand-rolled readers made is still made.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyceremonyError } from '../../shared/errors';
import { canonicalBytes } from '../../shared/json/canonical';
import { parseStrictJson } from '../../shared/json/strict';
import { Root, Snapshot, Targets, Timestamp, readEnvelope, signedFromJSON } from '../../shared/tuf/models';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const KEY = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: 'ab'.repeat(32) } };
const role = { keyids: ['k1'], threshold: 1 };
const base = (type: string) => ({ _type: type, spec_version: '1.0.31', version: 1, expires: '2030-01-01T00:00:00Z' });
const root = () =>
  clone({ ...base('root'), consistent_snapshot: true, keys: { k1: KEY }, roles: { root: role, targets: role, snapshot: role, timestamp: role } });
const targets = () => clone({ ...base('targets'), targets: { 'a.txt': { length: 1, hashes: { sha256: 'ab'.repeat(32) } } } });

/** The error `f` throws: INVALID_METADATA (unless `code`), its where and every fault. */
function refusal(f: () => unknown, code = 'INVALID_METADATA'): { message: string; where: string; faults: string[] } {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof KeyceremonyError, String(e));
    assert.equal(e.code, code, e.message);
    const details = (e.details ?? {}) as Record<string, string>;
    const faults = Object.keys(details).length ? Object.values(details) : [`${e.where}: ${e.message}`];
    return { message: e.message, where: e.where ?? '', faults };
  }
  return assert.fail('expected a refusal');
}

describe('TUF models: faults named with their JSON path', () => {
  test('a root with three faults reports all three, the first in the message and where', () => {
    const r = root() as Record<string, unknown>;
    r.version = 0;
    (r.roles as Record<string, { threshold: number }>).snapshot!.threshold = 0;
    (r.keys as Record<string, unknown>).k2 = { keytype: 'ed25519', keyval: { public: 'ab' } };
    const e = refusal(() => Root.fromJSON(r));
    assert.equal(e.where, '$.signed.version');
    assert.match(e.message, /must be at least 1 \(got 0\) \(at \$\.signed\.version\) \(and 2 more problems\)/);
    assert.deepEqual(e.faults, [
      '$.signed.version: must be at least 1 (got 0)',
      '$.signed.keys.k2.scheme: missing',
      '$.signed.roles.snapshot.threshold: must be at least 1 (got 0)',
    ]);
  });

  test('each refusal of the hand-rolled reader is still made, at its path', () => {
    const cases: [string, () => unknown, RegExp][] = [
      [
        'unknown role',
        () => Root.fromJSON({ ...root(), roles: { ...root().roles, mirrors: role } }),
        /unknown role "mirrors" in root \(at \$\.signed\.roles\.mirrors\)/,
      ],
      [
        'role missing',
        () => Root.fromJSON({ ...root(), roles: { root: role, targets: role, snapshot: role } }),
        /root does not define the timestamp role \(at \$\.signed\.roles\.timestamp\)/,
      ],
      [
        'duplicate key id',
        () => Root.fromJSON({ ...root(), roles: { ...root().roles, root: { keyids: ['k1', 'k1'], threshold: 1 } } }),
        /duplicate entry "k1" \(at \$\.signed\.roles\.root\.keyids\[1\]\)/,
      ],
      ['float', () => Root.fromJSON({ ...root(), x: { y: 1.5 } }), /numbers in signed metadata must be integers \(at \$\.signed\.x\.y\)/],
      ['spec_version 2', () => Root.fromJSON({ ...root(), spec_version: '2.0.0' }), /spec_version.*\(at \$\.signed\.spec_version\)/],
      ['wrong _type', () => Root.fromJSON(targets()), /expected "root" \(at \$\.signed\._type\)/],
      [
        'bad date',
        () => Root.fromJSON({ ...root(), expires: '2030-02-30T00:00:00Z' }),
        /"2030-02-30T00:00:00Z" is not a valid date \(at \$\.signed\.expires\)/,
      ],
      [
        'empty hashes',
        () => Targets.fromJSON({ ...targets(), targets: { 'a.txt': { length: 1, hashes: {} } } }),
        /hashes must not be empty \(at \$\.signed\.targets\["?a\.txt"?\]\.hashes\)/,
      ],
      [
        'negative length',
        () => Targets.fromJSON({ ...targets(), targets: { 'a.txt': { length: -1, hashes: { sha256: 'ab' } } } }),
        /must be at least 0 \(got -1\)/,
      ],
      [
        'timestamp meta',
        () => Timestamp.fromJSON({ ...base('timestamp'), meta: { 'snapshot.json': { version: 1 }, 'x.json': { version: 1 } } }),
        /exactly "snapshot\.json" \(at \$\.signed\.meta\)/,
      ],
      [
        'snapshot hash',
        () => Snapshot.fromJSON({ ...base('snapshot'), meta: { 'targets.json': { version: 1, hashes: { sha256: 'zz' } } } }),
        /hex string \(at \$\.signed\.meta\["?targets\.json"?\]\.hashes\.sha256\)/,
      ],
    ];
    for (const [name, f, re] of cases) assert.match(refusal(f).message, re, name);
  });

  test('delegations: not both, neither, twice, a top-level name, bit_length over 32', () => {
    const d = (delegations: unknown) => () => Targets.fromJSON({ ...targets(), delegations });
    const r = (name: string, extra: object = {}) => ({ name, keyids: ['k1'], threshold: 1, terminating: false, paths: ['a/*'], ...extra });
    const succinct = { keyids: ['k1'], threshold: 1, bit_length: 8, name_prefix: 'bin' };
    assert.match(refusal(d({ keys: {}, roles: [], succinct_roles: succinct })).message, /"roles" or "succinct_roles", not both \(at \$\.signed\.delegations\)/);
    assert.match(refusal(d({ keys: {} })).message, /need "roles" or "succinct_roles"/);
    assert.match(refusal(d({ keys: {}, roles: [r('a'), r('a')] })).message, /role "a" delegated twice \(at \$\.signed\.delegations\.roles\[1\]\.name\)/);
    assert.match(refusal(d({ keys: {}, roles: [r('snapshot')] })).message, /may not be called "snapshot"/);
    assert.match(
      refusal(d({ keys: {}, roles: [r('a', { path_hash_prefixes: ['ab'] })] })).message,
      /"paths" or "path_hash_prefixes", not both \(at \$\.signed\.delegations\.roles\[0\]\)/,
    );
    assert.match(
      refusal(d({ keys: {}, roles: [r('a', { paths: undefined, path_hash_prefixes: ['xy'] })] })).message,
      /expected hex \(at \$\.signed\.delegations\.roles\[0\]\.path_hash_prefixes\[0\]\)/,
    );
    assert.match(
      refusal(d({ keys: {}, succinct_roles: { ...succinct, bit_length: 33 } })).message,
      /must be between 1 and 32 \(got 33\) \(at \$\.signed\.delegations\.succinct_roles\.bit_length\)/,
    );
  });

  test('a Notary _type is UNSUPPORTED_FORMAT; an envelope without signatures names $.signatures', () => {
    assert.match(refusal(() => signedFromJSON({ ...root(), _type: 'Root' }), 'UNSUPPORTED_FORMAT').message, /Notary v1 dialect/);
    assert.match(refusal(() => signedFromJSON({ ...root(), _type: 'mirrors' })).message, /unknown metadata type "mirrors"/);
    assert.equal(refusal(() => readEnvelope({ signed: root() })).where, '$.signatures');
    assert.equal(refusal(() => readEnvelope({ signed: root(), signatures: [{ keyid: 'k1' }] })).where, '$.signatures[0].sig');
  });
});

describe('TUF models: members we do not know round-trip', () => {
  test('unknown members at every level come back in toJSON, so the signed bytes are the same', () => {
    const r = clone(root()) as Record<string, unknown>;
    r['x-tuf-on-ci-expiry-period'] = 365;
    (r.roles as Record<string, Record<string, unknown>>).root!['x-tuf-on-ci-signing-period'] = 60;
    (r.keys as Record<string, Record<string, unknown>>).k1!['x-tuf-on-ci-keyowner'] = '@alice';
    const back = Root.fromJSON(r).toJSON();
    assert.deepEqual(canonicalBytes(back), canonicalBytes(r));

    const t = clone({
      ...targets(),
      'x-custom': { a: [1, 2] },
      delegations: { keys: { k1: KEY }, roles: [{ name: 'a', keyids: ['k1'], threshold: 1, terminating: true, paths: ['a/*'], 'x-role': 1 }], 'x-deleg': true },
    });
    assert.deepEqual(canonicalBytes(Targets.fromJSON(t).toJSON()), canonicalBytes(t));
    const ts = { ...base('timestamp'), meta: { 'snapshot.json': { version: 3, length: 10, hashes: { sha256: 'ab' }, 'x-m': 'y' } } };
    assert.deepEqual(canonicalBytes(Timestamp.fromJSON(clone(ts)).toJSON()), canonicalBytes(ts));
  });

  test('the model does not share its maps with the parsed document: changing a key leaves the signed part alone', () => {
    const env = readEnvelope(parseStrictJson(JSON.stringify({ signatures: [], signed: root() })));
    const before = canonicalBytes(env.signedRaw);
    const r = Root.fromJSON(env.signedRaw);
    delete r.keys.k1;
    r.roles.root.keyids.push('k9');
    assert.deepEqual(canonicalBytes(env.signedRaw), before);
  });
});

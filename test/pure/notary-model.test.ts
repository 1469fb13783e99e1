/**
 * shared/notary/model.ts in the one vocabulary (shared/schema.ts, issue 16 item 5): a Notary file's
 * faults are all collected, each named with the file and its JSON path; documents come back as given
 * (members we do not know kept, so the signed bytes are unchanged).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { KeyceremonyError } from '../../shared/errors';
import { canonicalBytes } from '../../shared/json/canonical';
import { checkKey, parseNotaryFile } from '../../shared/notary';

const N03 = path.resolve(
  process.cwd(),
  '..',
  'shared',
  'fixtures',
  'interop',
  'notary',
  'notary',
  'fixtures',
  'compatibility',
  'notary0.3',
  'tuf',
  'docker.com',
  'notary0.3',
  'tst',
  'metadata',
);
const read = (name: string) =>
  JSON.parse(readFileSync(path.join(N03, name), 'utf8')) as { signed: Record<string, unknown>; signatures: Record<string, unknown>[] };
const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

function refusal(f: () => unknown): { message: string; where: string; faults: string[] } {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof KeyceremonyError, String(e));
    assert.equal(e.code, 'INVALID_METADATA', e.message);
    const details = (e.details ?? {}) as Record<string, string>;
    return { message: e.message, where: e.where ?? '', faults: Object.values(details) };
  }
  return assert.fail('expected a refusal');
}

describe('Notary models: faults named with the file and their JSON path', () => {
  test('a timestamp with three faults reports all three; the file is named in message and where', () => {
    const ts = read('timestamp.json');
    ts.signed.version = 0;
    ts.signed.expires = 'tomorrow';
    ts.signatures[0]!.sig = 'not base64!';
    const e = refusal(() => parseNotaryFile(enc(ts), { source: 'timestamp.json' }));
    assert.equal(e.where, 'timestamp.json $.signed.expires');
    assert.match(e.message, /^timestamp\.json: not an RFC 3339 time: "tomorrow" \(at \$\.signed\.expires\) \(and 2 more problems\)$/);
    assert.deepEqual(e.faults, [
      '$.signed.expires: not an RFC 3339 time: "tomorrow"',
      '$.signed.version: must be at least 1 (got 0)',
      '$.signatures[0].sig: expected base64 (Notary signatures are base64)',
    ]);
  });

  test('each shape rule is a refusal at its path', () => {
    const ts = read('timestamp.json');
    const meta = ts.signed.meta as Record<string, unknown>;
    ts.signed.meta = { root: meta.snapshot };
    assert.match(refusal(() => parseNotaryFile(enc(ts))).message, /timestamp must describe the snapshot \(at \$\.signed\.meta\.snapshot\)/);

    const feb30 = read('timestamp.json');
    feb30.signed.expires = '2030-02-30T00:00:00Z';
    assert.match(refusal(() => parseNotaryFile(enc(feb30))).message, /not an RFC 3339 time: "2030-02-30T00:00:00Z" \(at \$\.signed\.expires\)/);

    const t = read('targets.json');
    const d = t.signed.delegations as { roles: { name: string }[]; keys: Record<string, unknown> };
    d.roles[0]!.name = 'releases';
    assert.match(refusal(() => parseNotaryFile(enc(t))).message, /starting with "targets\/" \(at \$\.signed\.delegations\.roles\[0\]\.name\)/);

    const r = read('root.json');
    const keys = r.signed.keys as Record<string, unknown>;
    const [id] = Object.keys(keys);
    keys[id!.toUpperCase()] = keys[id!];
    assert.match(refusal(() => parseNotaryFile(enc(r))).message, /64 lower-case hex digits/);

    assert.match(
      refusal(() => parseNotaryFile(enc({ ...read('root.json'), extra: 1 }))).message,
      /unexpected field "extra" \(allowed: signed, signatures\) \(at \$\.extra\)/,
    );
    assert.match(
      refusal(() => parseNotaryFile(enc(read('root.json')), { expectType: 'Targets' })).message,
      /expected "Targets", got "Root" \(at \$\.signed\._type\)/,
    );
    assert.match(
      refusal(() => checkKey({ keytype: 'dsa', keyval: { public: 'AAAA', private: null } }, '$', 'k.json')).message,
      /^k\.json: expected one of ecdsa, .* \(at \$\.keytype\)$/,
    );
  });
});

describe('Notary models: documents come back as given', () => {
  test('members we do not know are kept, at every level, and the signed bytes do not change', () => {
    const r = read('root.json');
    r.signed['x-extra'] = { a: 1 };
    const keys = r.signed.keys as Record<string, Record<string, unknown>>;
    keys[Object.keys(keys)[0]!]!['x-note'] = 'kept';
    const f = parseNotaryFile(enc(r));
    assert.equal((f.signed.keys as Record<string, Record<string, unknown>>)[Object.keys(keys)[0]!]!['x-note'], 'kept');
    assert.deepEqual(f.signed['x-extra'], { a: 1 });
    assert.deepEqual(f.signedBytes, canonicalBytes(r.signed));
  });
});

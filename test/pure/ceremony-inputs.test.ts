/**
 * Input files opened on the ceremony setup screen are read when opened (electron/ipc/ceremony-inputs.ts):
 * the wrong kind of file or a malformed one is refused with its code and where; a good one is summarised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCeremonyInput } from '../../electron/ipc/ceremony-inputs';
import { KeyceremonyError } from '../../shared/errors';

const refused = async (p: Promise<unknown>, code: string, message: RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof KeyceremonyError && e.code === code && message.test(e.message));

const targets = JSON.stringify({
  signed: { _type: 'targets', spec_version: '1.0.31', version: 3, expires: '2030-01-01T00:00:00Z', targets: {} },
  signatures: [],
});

test('a targets.json opened where root.json is needed: INVALID_METADATA naming both', async () => {
  await refused(
    checkCeremonyInput('tuf-root', '3.targets.json', targets),
    'INVALID_METADATA',
    /3\.targets\.json is targets metadata; this ceremony needs the current root\.json/,
  );
});

test('the targets.json a delegation needs: summarised (version, targets, delegated roles, expiry)', async () => {
  assert.deepEqual(await checkCeremonyInput('tuf-targets', 'targets.json', targets), {
    summary: 'targets version 3: 0 target(s), 0 delegated role(s), expires 2030-01-01T00:00:00Z',
  });
});

test('malformed files: duplicate keys and a non-backup are refused with a code, never INTERNAL', async () => {
  for (const purpose of ['tuf-root', 'tuf-targets', 'backup'] as const) {
    const e = await checkCeremonyInput(purpose, 'x.json', '{"a":1,"a":2}').then(
      () => assert.fail('accepted'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof KeyceremonyError, String(e));
    assert.notEqual(e.code, 'INTERNAL');
  }
  await refused(checkCeremonyInput('backup', 'root.json', targets), 'INVALID_METADATA', /not a keyceremony-key-backup file/);
});

/**
 * A script token that this process does not list (another process holds it: SoftHSM skips a token whose
 * files another process is rewriting; a card held exclusively is not seen) is still claimed by its
 * serial before the run starts, so a second ceremony is refused with TOKEN_IN_USE naming the holder —
 * not TOKEN_NOT_FOUND ("not inserted"). The race itself, on real SoftHSM processes, is
 * test/token/ceremony-token-locks.test.ts ("two ceremonies started together").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeremonyLocks } from '../../electron/adapters/ceremony/locks';
import type { CeremonyScript } from '../../electron/core/ceremony/types';
import type { TokenInfo } from '../../electron/adapters/pkcs11';

const script = (serial?: string) => ({ name: 'race', tokens: [{ id: 't', label: 'race-t', ...(serial ? { serial } : {}) }] }) as unknown as CeremonyScript;
const listing = (tokens: Partial<TokenInfo>[]) => ({ tokens: () => tokens as TokenInfo[] });

test('a token the script names by serial but this process does not list: claimed by serial; a second ceremony is refused naming the first', async () => {
  const base = mkdtempSync(join(tmpdir(), 'kc-locks-'));
  const env = { ...process.env, KEYCEREMONY_LOCK_DIR: join(base, 'locks') };
  const first = await CeremonyLocks.take(join(base, 'a'), 'race', env);
  const second = await CeremonyLocks.take(join(base, 'b'), 'race', env);
  try {
    // the first sees the token, the second does not (the other process was rewriting its files)
    await first.claimPresent(listing([{ serial: 'abc123', label: 'race-t', serialIsUnique: true }]), script('abc123'));
    await assert.rejects(second.claimPresent(listing([]), script('abc123')), (e: { code?: string; message?: string }) => {
      assert.equal(e.code, 'TOKEN_IN_USE');
      assert.match(e.message!, new RegExp(`^Token "race-t" \\(serial abc123\\) is in use by another ceremony: ceremony "race" in ${join(base, 'a')}`));
      return true;
    });
    assert.deepEqual(second.held(), []);
    first.release();
    // once it is free, the unlisted token is held by the second run (as it would be once inserted)
    await second.claimPresent(listing([]), script('abc123'));
    assert.deepEqual(readdirSync(join(base, 'locks')), ['token-abc123.lock']);
    // a script token without a serial that is not listed cannot be claimed: nothing else is held
    const third = await CeremonyLocks.take(join(base, 'c'), 'race', env);
    await third.claimPresent(listing([]), script());
    assert.deepEqual(third.held(), []);
    third.release();
  } finally {
    first.release();
    second.release();
  }
});

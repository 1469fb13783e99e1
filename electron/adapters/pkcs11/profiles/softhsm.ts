/**
 * SoftHSM 2 (the rehearsal and test token). Quirks, seen on SoftHSM 2.6.1 here:
 * - C_WrapKey of an Ed25519 private key answers CKR_KEY_NOT_WRAPPABLE whatever the wrapping key
 *   (its PKCS#8 export has no EdDSA case), so an Ed25519 key can never be backed up on SoftHSM
 *   (test/token/backup-keytypes.test.ts).
 * - Under concurrent use (another process logging in or writing rewrites token.object), C_Login now
 *   and then answers CKR_USER_PIN_NOT_INITIALIZED although the token's flags say the PIN is set: a
 *   transient answer, asked again like GENERAL_ERROR (../busy.ts; test/token/concurrent-signing.test.ts).
 */
import { CKR } from '../errors';
import type { TokenProfile } from './types';

export const softHsmProfile: TokenProfile = {
  id: 'softhsm2',
  description: 'SoftHSM 2 (software token for rehearsals and tests)',
  matches: (t) => /softhsm/i.test(t.module.manufacturer) || /softhsm/i.test(t.token.manufacturer),
  transient: (rv, op) => rv === CKR.USER_PIN_NOT_INITIALIZED && op === 'login',
  explain: (rv, op, keyType) =>
    rv === CKR.KEY_NOT_WRAPPABLE && op === 'wrap' && keyType === 'ed25519' ? 'SoftHSM 2.6.1 cannot wrap Ed25519 private keys at all.' : undefined,
};

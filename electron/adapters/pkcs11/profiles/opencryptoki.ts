/**
 * openCryptoki 3.8 soft token (Debian opencryptoki 3.8.1, libpkcs11_sw.so behind pkcsslotd).
 * Exercised here in a private mount namespace (test/token/opencryptoki.test.ts). Measured behaviour
 * (../shared/peers/README.md, "Second and third PKCS#11 modules", B):
 * - RSA only: no EC or EdDSA mechanism of any kind (the inventory offers rsa-3072/4096 only); no
 *   CKM_SHA256_RSA_PKCS, so keyceremony's host-side hashing with CKM_RSA_PKCS (DigestInfo) and
 *   CKM_RSA_PKCS_PSS is what works.
 * - Insecure defaults for a minimal template: a private key gets CKA_PRIVATE=false (visible without
 *   login), CKA_SENSITIVE=false, CKA_EXTRACTABLE=true. keyceremony's templates set all three
 *   explicitly (templates.ts), and the token test reads them back.
 * - No CKM_AES_KEY_WRAP(_PAD): the backup file format (RFC 5649 key wrap) cannot be made or restored here.
 * - PINs are 4 to 8 characters; the factory SO PIN 87654321 must be changed.
 * - Wrong PINs: CKF_USER_PIN_COUNT_LOW after the first, FINAL_TRY after the second, LOCKED after the
 *   third (persistent; the SO's C_InitPIN unlocks).
 * - Every soft token reports serial "123": tokens are told apart by label (one token per pkcsslotd).
 */
import { CKR } from '../errors';
import type { TokenProfile } from './types';

export const openCryptokiProfile: TokenProfile = {
  id: 'opencryptoki-sw',
  description: 'openCryptoki soft token (IBM SoftTok)',
  matches: (t) => /Meta PKCS11/i.test(t.module.description) && /SoftTok/i.test(t.token.model),
  serialIsUnique: false,
  backupUnsupported:
    'openCryptoki 3.8 offers no AES key wrap (CKM_AES_KEY_WRAP / CKM_AES_KEY_WRAP_PAD, RFC 3394/5649), which the backup file format uses: keys on this token cannot be backed up with keyceremony, nor restored onto it.',
  pinTriesLeft: (f) => (f.pinLocked ? 0 : f.pinFinalTry ? 1 : f.pinCountLow ? 2 : undefined),
  explain(rv, op) {
    if (rv === CKR.PIN_LEN_RANGE && op === 'login') return 'openCryptoki PINs are 4 to 8 characters.';
    return undefined;
  },
};

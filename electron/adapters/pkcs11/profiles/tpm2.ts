/**
 * tpm2-pkcs11 (tpm2-software, Debian libtpm2-pkcs11-1 1.9.0) on a TPM 2.0 through tpm2-abrmd.
 * Exercised here on swtpm (test/token/tpm2.test.ts). Measured behaviour
 * (../shared/peers/README.md, "Second and third PKCS#11 modules", A):
 * - C_GenerateKeyPair with a private CKA_DECRYPT=false next to a public CKA_VERIFY=true, or a public
 *   CKA_ENCRYPT=false, answers CKR_GENERAL_ERROR ("User specified and TPM specified attr mismatch"):
 *   the module decides those two itself (the private key always gets CKA_DECRYPT=true). We leave them
 *   out; keyceremony only ever signs with the key, and the key stays sensitive and non-extractable.
 * - P-256, P-384, RSA-2048/3072 only: no Ed25519, no RSA-4096 (the RSA key-pair mechanism's maximum
 *   is 3072, which the inventory reads), no AES keys, no C_WrapKey/C_UnwrapKey, no session objects,
 *   and CKA_PRIVATE + CKA_EXTRACTABLE is refused: nothing on a TPM can be backed up or restored.
 * - Every token reports serial 0000000000000000: tokens are told apart by label.
 * - The user PIN is the auth value of a TPM object, so wrong PINs feed the TPM-wide dictionary-attack
 *   counter: after 3 (swtpm default) every login on EVERY token of that TPM, the right PIN included,
 *   answers CKR_PIN_LOCKED for the lockout interval (1000 s), and the token flags never show it.
 * - Keys made by another process appear only after C_Finalize + C_Initialize (per-process cache).
 */
import { CKR } from '../errors';
import type { Template } from '../templates';
import type { TokenProfile } from './types';
import pkcs11js from 'pkcs11js';

const DROP_PRIVATE = new Set<number>([pkcs11js.CKA_DECRYPT]);
const DROP_PUBLIC = new Set<number>([pkcs11js.CKA_ENCRYPT]);

export const tpm2Profile: TokenProfile = {
  id: 'tpm2-pkcs11',
  description: 'TPM 2.0 through tpm2-pkcs11 (tpm2-software)',
  matches: (t) => /tpm2-software/i.test(t.module.manufacturer) || /TPM2\.0 Cryptoki/i.test(t.module.description),
  serialIsUnique: false,
  backupUnsupported:
    'tpm2-pkcs11 has no key wrapping (no C_WrapKey or C_UnwrapKey mechanism, no AES keys, no session objects) and refuses extractable private keys: a key on a TPM can never be backed up, and a backup cannot be restored onto a TPM. Use independent keys with a signature threshold, or make backup-able keys on another token.',
  adjustTemplate(purpose, template: Template): Template {
    if (purpose === 'generate-private') return template.filter((a) => !(DROP_PRIVATE.has(a.type as number) && a.value === false));
    if (purpose === 'generate-public') return template.filter((a) => !(DROP_PUBLIC.has(a.type as number) && a.value === false));
    return template;
  },
  pinLockedMessage: (t) =>
    `The TPM behind token "${t.label}" refuses every PIN for now: after too many wrong PINs a TPM locks out ALL logins, the right PIN included, on every token it holds (its dictionary-attack protection; the token's flags do not show it). Wait for the lockout interval (1000 s on a default swtpm; set by the TPM owner), or have the TPM owner clear it with tpm2_dictionarylockout --clear-lockout, then enter the PIN carefully.`,
  explain(rv, op) {
    if (rv === CKR.GENERAL_ERROR && op === 'generate')
      return 'tpm2-pkcs11 answers CKR_GENERAL_ERROR when a key attribute contradicts what the TPM decides itself (docs/hardware.md).';
    return undefined;
  },
};

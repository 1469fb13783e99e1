/**
 * YubiKey PIV through Yubico's ykcs11 (Debian ykcs11, from Yubico/yubico-piv-tool). NOT exercised on a
 * YubiKey here: no YubiKey is attached to this machine. The profile follows ykcs11's documentation and
 * source, and test/token/ykcs11-double.test.ts checks it against a double that behaves as cited:
 * - Keys live in fixed PIV slots, addressed by a one-byte CKA_ID: 1 = 9a, 2 = 9c, 3 = 9d, 4 = 9e,
 *   5..24 = retired 82..95, 25 = f9 (the attestation key) — doc/YKCS11/index.adoc "Key Mapping",
 *   ykcs11/objects.c `piv_objects[]` sub_id column. C_GenerateKeyPair needs CKA_ID
 *   (ykcs11.c: "Key id not specified" -> CKR_TEMPLATE_INCOMPLETE) and generating into a slot replaces
 *   whatever key was there.
 * - Labels are fixed by the module and cannot be changed ("Objects' labels as access by YKCS11 are fixed
 *   values and are unmodifiable", doc/YKCS11/Functions_and_values.adoc; objects.c `piv_objects[]`):
 *   "Private key for Digital Signature" for 9c, etc. CKA_LABEL in a template is ignored.
 * - Key generation is a management-key operation: ykcs11 maps the PIV management key to the security
 *   officer (doc/YKCS11/index.adoc "User Types"; ykcs11.c C_GenerateKeyPair: "Authentication as SO
 *   required to generate keys" -> CKR_USER_TYPE_INVALID). An SO login is refused while the user is
 *   logged in (CKR_USER_ANOTHER_ALREADY_LOGGED_IN) and while a read-only session exists
 *   (CKR_SESSION_READ_ONLY_EXISTS) — ykcs11.c C_Login.
 * - The private-key template accepts only CKA_CLASS, CKA_KEY_TYPE, CKA_ID and ignores SENSITIVE,
 *   DECRYPT, UNWRAP, SIGN, SIGN_RECOVER, PRIVATE, TOKEN, DERIVE, LABEL, SUBJECT; anything else (e.g.
 *   CKA_EXTRACTABLE) is CKR_ATTRIBUTE_TYPE_INVALID (ykcs11/mechanisms.c check_pvtkey_template). The
 *   key reads back CKA_EXTRACTABLE=false, CKA_SENSITIVE=true, CKA_LOCAL=true (objects.c get_proa).
 * - Slot 9c keys report CKA_ALWAYS_AUTHENTICATE=true (objects.c get_proa, the `pvtkey_objects` table):
 *   a context-specific login (CKU_CONTEXT_SPECIFIC, the PIN again) after each C_SignInit.
 * - A signature the YubiKey refuses because the PIN or a touch is missing comes back as
 *   CKR_USER_NOT_LOGGED_IN (ykcs11.c C_Sign: YKPIV_AUTHENTICATION_ERROR, "Operation requires
 *   authentication or touch"). With touch policy always/cached the YubiKey waits for a touch before it
 *   signs: keyceremony asks for it ("touch the YubiKey now") from the key's attested touch policy.
 * - Attestation certificates are objects: the key's own has the key's CKA_ID and CKA_TOKEN=false and is
 *   made when read; the device (f9) certificate is "X.509 Certificate for PIV Attestation", CKA_ID 25
 *   (doc/YKCS11/index.adoc "Attestation Certificates"; objects.c get_atst).
 * - C_GetTokenInfo maps the PIN retry counter to flags: 2 left -> CKF_USER_PIN_COUNT_LOW, 1 ->
 *   CKF_USER_PIN_FINAL_TRY, 0 -> CKF_USER_PIN_LOCKED (ykcs11.c C_GetTokenInfo).
 */
import { KeyceremonyError } from '../../../../shared/errors';
import { CKA_ALWAYS_AUTHENTICATE, CKA_WRAP_WITH_TRUSTED } from '../constants';
import { CKR } from '../errors';
import type { Template } from '../templates';
import type { TokenProfile } from './types';
import pkcs11js from 'pkcs11js';

/** PIV slot -> ykcs11 CKA_ID and the module's fixed private-key label. */
export const PIV_SLOTS: readonly { slot: string; id: number; label: string }[] = [
  { slot: '9a', id: 1, label: 'Private key for PIV Authentication' },
  { slot: '9c', id: 2, label: 'Private key for Digital Signature' },
  { slot: '9d', id: 3, label: 'Private key for Key Management' },
  { slot: '9e', id: 4, label: 'Private key for Card Authentication' },
  ...Array.from({ length: 20 }, (_, i) => ({ slot: (0x82 + i).toString(16), id: 5 + i, label: `Private key for Retired Key ${i + 1}` })),
];
export const PIV_ATTESTATION_ID = 25;

export function pivSlotById(id: Uint8Array): (typeof PIV_SLOTS)[number] | undefined {
  return id.length === 1 ? PIV_SLOTS.find((s) => s.id === id[0]) : undefined;
}

/** Attributes ykcs11 refuses in a private-key template (CKR_ATTRIBUTE_TYPE_INVALID). */
const REFUSED_PRIVATE = new Set<number>([pkcs11js.CKA_EXTRACTABLE, CKA_ALWAYS_AUTHENTICATE, CKA_WRAP_WITH_TRUSTED]);

export const ykcs11Profile: TokenProfile = {
  id: 'ykcs11',
  description: 'YubiKey PIV through Yubico ykcs11',
  matches: (t) => /Yubico/i.test(t.module.manufacturer) && /PIV/i.test(t.module.description),
  generateAs: 'so',
  soCredential: 'PIV management key (hex)',
  serialIsUnique: true,
  attestation: { deviceCertificateId: Uint8Array.of(PIV_ATTESTATION_ID) },
  backupUnsupported:
    'a YubiKey PIV key never leaves the YubiKey (CKA_EXTRACTABLE is always false) and ykcs11 cannot unwrap a key into a slot: use independent keys with a signature threshold.',
  pinTriesLeft: (f) => (f.pinLocked ? 0 : f.pinFinalTry ? 1 : f.pinCountLow ? 2 : undefined),
  keyId(requested, _keyType, hint) {
    const slot = hint?.slot;
    if (slot !== undefined) {
      const s = PIV_SLOTS.find((x) => x.slot === slot.toLowerCase());
      if (!s) {
        throw new KeyceremonyError(
          'INVALID_INPUT',
          `"${slot}" is not a PIV key slot. Use 9a, 9c, 9d, 9e or a retired slot 82 to 95 (9c is the signature slot).`,
          { where: 'slot' },
        );
      }
      return Uint8Array.of(s.id);
    }
    if (requested && pivSlotById(requested)) return requested;
    throw new KeyceremonyError(
      'INVALID_INPUT',
      'A YubiKey keeps keys in fixed PIV slots and names them itself: say which slot to generate into (9c is the signature slot; 9a, 9d, 9e and the retired slots 82 to 95 also work). Generating into a slot replaces the key that is there.',
      { where: 'slot' },
    );
  },
  fixedLabel: (id) => pivSlotById(id)?.label,
  adjustTemplate(purpose, template: Template): Template {
    if (purpose === 'generate-private') return template.filter((a) => !REFUSED_PRIVATE.has(a.type as number));
    return template;
  },
  explain(rv, op) {
    if (rv === CKR.USER_NOT_LOGGED_IN && op === 'sign') {
      return 'The YubiKey refused the signature: its PIN policy wants the PIN again, or its touch policy was not met (touch the YubiKey while it blinks). ykcs11 reports both the same way.';
    }
    if (rv === CKR.USER_TYPE_INVALID && op === 'generate') return 'ykcs11 generates keys only after a login with the PIV management key.';
    return undefined;
  },
};

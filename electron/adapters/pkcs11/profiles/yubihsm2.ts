/**
 * YubiHSM 2 through Yubico's yubihsm_pkcs11 (yubihsm-shell). NOT exercised here: no YubiHSM 2 and no
 * yubihsm-connector on this machine; this profile follows Yubico's documentation and source, and
 * docs/hardware.md says so.
 * - Configuration: yubihsm_pkcs11.conf (or YUBIHSM_PKCS11_CONF) names the connector URL
 *   (docs.yubico.com "Deploy for PKCS#11", hsm2-pkcs11-guide).
 * - Login: the PIN is the authentication key's object id in 4 hex digits followed by its password,
 *   e.g. 0001password (same page: "the user PIN MUST be prefixed by the ID ... of the corresponding
 *   Authentication Key"). C_GetTokenInfo says PIN length 12..68.
 * - CKA_ID is the 16-bit object id: longer ids are truncated to their first two bytes
 *   (yubihsm-shell pkcs11/util_pkcs11.c parse_id_value), so keyceremony passes two bytes itself.
 * - Labels are at most 40 bytes (YH_OBJ_LABEL_LEN; longer -> CKR_ATTRIBUTE_VALUE_INVALID).
 * - Key templates are strict (util_pkcs11.c parse_rsa_generate_template / parse_ec_generate_template):
 *   an attribute not listed is CKR_ATTRIBUTE_TYPE_INVALID. CKA_DERIVE is not accepted for RSA keys,
 *   CKA_ALWAYS_AUTHENTICATE and CKA_WRAP_WITH_TRUSTED are not accepted at all; they are dropped here.
 *   CKA_EXTRACTABLE maps to the "exportable-under-wrap" capability.
 * - Backup: the YubiHSM exports keys only under its own AES-CCM wrap (export-wrapped with a wrap key
 *   object, yubihsm-wrap) — not the RFC 5649 backup format keyceremony writes.
 * - Attestation: `yubihsm-shell -a sign-attestation-certificate` makes the key certificate; the device
 *   certificate is the YubiHSM's opaque object 0 — give both files to `attest verify` or to the
 *   ceremony script (chain: key -> device -> Yubico YubiHSM Sub-CA -> Yubico YubiHSM Root CA).
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { CKA_ALWAYS_AUTHENTICATE, CKA_WRAP_WITH_TRUSTED } from '../constants';
import { CKR } from '../errors';
import type { Template } from '../templates';
import type { TokenProfile } from './types';

const isRsa = (t: Template) => t.some((a) => a.type === pkcs11js.CKA_KEY_TYPE && a.value === pkcs11js.CKK_RSA);

export const yubiHsm2Profile: TokenProfile = {
  id: 'yubihsm2',
  description: 'YubiHSM 2 through Yubico yubihsm_pkcs11 (from documentation; not exercised here)',
  matches: (t) => /Yubico/i.test(t.module.manufacturer) && /YubiHSM/i.test(`${t.module.description} ${t.token.model}`),
  documentedOnly: true,
  serialIsUnique: true,
  keyId: (requested) => {
    const id = requested && requested.length >= 2 ? requested.slice(0, 2) : new Uint8Array(randomBytes(2));
    // object id 0 would let the device choose: keyceremony wants a predictable id for idempotent re-runs
    return id[0] === 0 && id[1] === 0 ? Uint8Array.of(0, 1) : id;
  },
  backupUnsupported:
    'a YubiHSM 2 exports keys only under its own AES-CCM wrap (yubihsm-shell get-wrapped / yubihsm-wrap), not as the RFC 5649 backup file keyceremony makes. Use the YubiHSM wrap procedure, or independent keys with a signature threshold.',
  adjustTemplate(purpose, template: Template): Template {
    if (purpose !== 'generate-private' && purpose !== 'generate-public') return template;
    const rsa = isRsa(template);
    return template.filter((a) => a.type !== CKA_ALWAYS_AUTHENTICATE && a.type !== CKA_WRAP_WITH_TRUSTED && !(rsa && a.type === pkcs11js.CKA_DERIVE));
  },
  explain(rv, op) {
    if ((rv === CKR.PIN_INCORRECT || rv === CKR.PIN_LEN_RANGE) && op === 'login') {
      return "The YubiHSM 2 PIN is the authentication key id in 4 hex digits followed by that key's password (for example 0001password).";
    }
    return undefined;
  },
};

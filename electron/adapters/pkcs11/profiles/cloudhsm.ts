/**
 * AWS CloudHSM (Client SDK 5 PKCS#11 library), a network HSM. NOT exercised here: it needs a cluster in
 * an AWS VPC, which an offline ceremony machine does not reach; this profile follows AWS's
 * documentation, and docs/hardware.md says so.
 * - PIN: "<HSM user name>:<password>" of a crypto user (docs.aws.amazon.com/cloudhsm/latest/userguide/
 *   pkcs11-pin.html).
 * - "Read-only session is not supported in SDK 5" (known issues of the PKCS #11 library,
 *   ki-pkcs11-sdk.html): every session is opened read-write.
 * - Key generation: CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN, AES; no EdDSA
 *   (pkcs11-mechanisms.html). Signing with and without hashing; RSA-PSS single-part.
 * - Key wrap: AES Key Wrap (with and without padding per the mechanism table), so the backup path may
 *   apply — not verified here.
 */
import { CKR } from '../errors';
import type { TokenProfile } from './types';

export const cloudHsmProfile: TokenProfile = {
  id: 'aws-cloudhsm',
  description: 'AWS CloudHSM Client SDK 5 (network HSM; from documentation, not exercised here)',
  matches: (t) => /CloudHSM/i.test(`${t.module.manufacturer} ${t.module.description} ${t.token.model}`),
  documentedOnly: true,
  readWriteSessions: true,
  explain(rv, op) {
    if (rv === CKR.PIN_INCORRECT && op === 'login') return "An AWS CloudHSM PIN is the crypto user's name and password joined by a colon (user:password).";
    return undefined;
  },
};

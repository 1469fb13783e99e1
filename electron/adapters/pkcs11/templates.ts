/**
 * The ONE set of key templates keyceremony gives a token: key generation, the backup's test unwrap,
 * recovery (unwrap + the public half made from the recorded SPKI) and the session KEK. Every usage
 * attribute is set explicitly (SoftHSM's defaults would allow decrypt/unwrap/derive), so a key made
 * by keygen and the same key recovered from a backup carry the same usage.
 *
 * Token profiles (./profiles) may edit a template at the session edge (a module that rejects an
 * attribute); these functions never know which module they are for.
 */
import pkcs11js from 'pkcs11js';
import { KeyceremonyError } from '../../../shared/errors';
import type { KeyType } from '../../../shared/crypto/algorithms';
import { parseSpki } from '../../../shared/crypto/spki';
import { readChildren, readDer } from '../../../shared/encoding/der';
import { CKA_ALWAYS_AUTHENTICATE, CKA_TRUSTED, CKA_WRAP_WITH_TRUSTED, CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, EC_PARAMS } from './constants';
import type { KeyProfile } from './types';

const A = pkcs11js;
export type Template = pkcs11js.Template;

/** What a template is for: profiles use it to decide what to edit. */
export type TemplatePurpose = 'generate-public' | 'generate-private' | 'unwrap-private' | 'import-public' | 'kek';

/** The private half may sign, nothing else. */
const PRIVATE_USAGE: Template = [
  { type: A.CKA_SIGN, value: true },
  { type: A.CKA_DECRYPT, value: false },
  { type: A.CKA_UNWRAP, value: false },
  { type: A.CKA_DERIVE, value: false },
];

/** The public half may verify, nothing else. */
const PUBLIC_USAGE: Template = [
  { type: A.CKA_VERIFY, value: true },
  { type: A.CKA_ENCRYPT, value: false },
  { type: A.CKA_WRAP, value: false },
  { type: A.CKA_DERIVE, value: false },
];

export function ckkOf(keyType: KeyType): number {
  if (keyType === 'ed25519') return CKK_EC_EDWARDS;
  if (keyType.startsWith('rsa')) return A.CKK_RSA;
  return A.CKK_EC;
}

export function ecParamsOf(keyType: KeyType): Buffer | undefined {
  if (keyType === 'ecdsa-p256') return EC_PARAMS['P-256'];
  if (keyType === 'ecdsa-p384') return EC_PARAMS['P-384'];
  if (keyType === 'ed25519') return EC_PARAMS.Ed25519;
  return undefined;
}

export function keyGenMechanism(keyType: KeyType): { id: number; name: string } {
  if (keyType === 'ed25519') return { id: CKM_EC_EDWARDS_KEY_PAIR_GEN, name: 'CKM_EC_EDWARDS_KEY_PAIR_GEN' };
  if (keyType.startsWith('rsa')) return { id: A.CKM_RSA_PKCS_KEY_PAIR_GEN, name: 'CKM_RSA_PKCS_KEY_PAIR_GEN' };
  return { id: A.CKM_EC_KEY_PAIR_GEN, name: 'CKM_EC_KEY_PAIR_GEN' };
}

export interface ObjectNames {
  label: string;
  id: Uint8Array;
  /** CKA_TOKEN: a token object (true) or a session object that dies with the session (false). */
  onToken: boolean;
}

/**
 * A signing private key: sensitive, private, sign-only. `backupable` keys are extractable but only
 * under a trusted wrapping key (CKA_WRAP_WITH_TRUSTED); recovered keys are never extractable again.
 */
export function privateKeyTemplate(keyType: KeyType, names: ObjectNames, opts: { profile?: KeyProfile; alwaysAuthenticate?: boolean } = {}): Template {
  const backupable = opts.profile === 'backupable';
  return [
    { type: A.CKA_CLASS, value: A.CKO_PRIVATE_KEY },
    { type: A.CKA_KEY_TYPE, value: ckkOf(keyType) },
    { type: A.CKA_TOKEN, value: names.onToken },
    { type: A.CKA_PRIVATE, value: true },
    { type: A.CKA_LABEL, value: names.label },
    { type: A.CKA_ID, value: Buffer.from(names.id) },
    { type: A.CKA_SENSITIVE, value: true },
    { type: A.CKA_EXTRACTABLE, value: backupable },
    ...PRIVATE_USAGE,
    ...(backupable ? [{ type: CKA_WRAP_WITH_TRUSTED, value: true }] : []),
    ...(opts.alwaysAuthenticate ? [{ type: CKA_ALWAYS_AUTHENTICATE, value: true }] : []),
  ];
}

function publicCommon(keyType: KeyType, names: ObjectNames): Template {
  return [
    { type: A.CKA_CLASS, value: A.CKO_PUBLIC_KEY },
    { type: A.CKA_KEY_TYPE, value: ckkOf(keyType) },
    { type: A.CKA_TOKEN, value: names.onToken },
    { type: A.CKA_PRIVATE, value: false },
    { type: A.CKA_LABEL, value: names.label },
    { type: A.CKA_ID, value: Buffer.from(names.id) },
    ...PUBLIC_USAGE,
  ];
}

/** The public half for C_GenerateKeyPair: the domain parameters (curve, or modulus size and exponent). */
export function publicKeyGenTemplate(keyType: KeyType, names: ObjectNames): Template {
  const t = publicCommon(keyType, names);
  const params = ecParamsOf(keyType);
  if (params) return [...t, { type: A.CKA_EC_PARAMS, value: params }];
  return [...t, { type: A.CKA_MODULUS_BITS, value: keyType === 'rsa-3072' ? 3072 : 4096 }, { type: A.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }];
}

/** The public half as an object made from a DER SPKI (recovery: so the recovered key is a findable pair). */
export function publicKeyFromSpkiTemplate(keyType: KeyType, spki: Uint8Array, names: ObjectNames): Template {
  const info = parseSpki(spki);
  const t = publicCommon(keyType, names);
  const params = ecParamsOf(keyType);
  const octet = (b: Uint8Array) => Buffer.concat([Buffer.from([0x04, b.length]), Buffer.from(b)]);
  if (params) return [...t, { type: A.CKA_EC_PARAMS, value: params }, { type: A.CKA_EC_POINT, value: octet(info.publicKey) }];
  const { node } = readDer(info.publicKey);
  const [mod, exp] = readChildren(node);
  if (!mod || !exp) throw new KeyceremonyError('INVALID_KEY', 'The recorded RSA public key is malformed.', { where: 'publicKeySpki' });
  const strip = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return Buffer.from(b.subarray(i));
  };
  return [...t, { type: A.CKA_MODULUS, value: strip(mod.value) }, { type: A.CKA_PUBLIC_EXPONENT, value: strip(exp.value) }];
}

/** Both halves of a new key pair. */
export function keyPairTemplates(
  keyType: KeyType,
  names: ObjectNames,
  opts: { profile?: KeyProfile; alwaysAuthenticate?: boolean } = {},
): { mechanism: { id: number; name: string }; publicTemplate: Template; privateTemplate: Template } {
  return {
    mechanism: keyGenMechanism(keyType),
    publicTemplate: publicKeyGenTemplate(keyType, names),
    privateTemplate: privateKeyTemplate(keyType, names, opts),
  };
}

export const KEK_LABEL = 'keyceremony backup KEK (session only)';

/**
 * The backup KEK: an AES-256 SESSION object (gone with the session), sensitive, non-extractable, wrap
 * and/or unwrap only. A trusted KEK is made by the security officer, whose objects must be public.
 */
export function kekTemplate(value: Buffer, opts: { trusted: boolean; wrap: boolean; unwrap: boolean }): Template {
  return [
    { type: A.CKA_CLASS, value: A.CKO_SECRET_KEY },
    { type: A.CKA_KEY_TYPE, value: A.CKK_AES },
    { type: A.CKA_TOKEN, value: false },
    { type: A.CKA_PRIVATE, value: !opts.trusted },
    { type: A.CKA_LABEL, value: KEK_LABEL },
    { type: A.CKA_VALUE, value: value },
    { type: A.CKA_SENSITIVE, value: true },
    { type: A.CKA_EXTRACTABLE, value: false },
    { type: A.CKA_WRAP, value: opts.wrap },
    { type: A.CKA_UNWRAP, value: opts.unwrap },
    { type: A.CKA_ENCRYPT, value: false },
    { type: A.CKA_DECRYPT, value: false },
    { type: A.CKA_SIGN, value: false },
    { type: A.CKA_VERIFY, value: false },
    { type: A.CKA_DERIVE, value: false },
    ...(opts.trusted ? [{ type: CKA_TRUSTED, value: true }] : []),
  ];
}

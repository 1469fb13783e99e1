/**
 * Reading objects back from a token: find by template, read attributes, describe a private key and
 * its public half as a TokenKey, and the inventory of every key object (complete or torn) that the
 * torn-object report uses. Read-only: nothing here changes the token.
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { KeyType } from '../../../shared/crypto/algorithms';
import { ecPointToSpki, ed25519ToSpki, rsaToSpki } from '../../../shared/crypto/spki';
import { readDer } from '../../../shared/encoding/der';
import { formatPkcs11Uri } from '../../../shared/pkcs11-uri';
import { CKA_ALWAYS_AUTHENTICATE, CKA_WRAP_WITH_TRUSTED, CKK_EC_EDWARDS, EC_PARAMS } from './constants';
import { mapPkcs11Error } from './errors';
import type { Template } from './templates';
import type { Handle, KeyAttributes, PublicTokenKey, TokenInfo, TokenKey, TokenObject } from './types';

const A = pkcs11js;

export interface ObjectReader {
  lib: pkcs11js.PKCS11;
  session: Handle;
  token: TokenInfo;
  modulePath: string;
}

export function findObjects(r: ObjectReader, template: Template, max = 256): Handle[] {
  try {
    r.lib.C_FindObjectsInit(r.session, template);
    try {
      return r.lib.C_FindObjects(r.session, max);
    } finally {
      r.lib.C_FindObjectsFinal(r.session);
    }
  } catch (e) {
    throw mapPkcs11Error(e, `searching token "${r.token.label}"`);
  }
}

/** The attributes of `types` the object has and lets us read (one call; unreadable ones are absent). */
export function readAttributes(r: ObjectReader, h: Handle, types: number[]): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  let res: pkcs11js.Attribute[];
  try {
    res = r.lib.C_GetAttributeValue(
      r.session,
      h,
      types.map((type) => ({ type })),
    );
  } catch {
    // CKR_ATTRIBUTE_TYPE_INVALID / _SENSITIVE for one of them: read them one by one
    res = [];
    for (const type of types) {
      try {
        res.push(...r.lib.C_GetAttributeValue(r.session, h, [{ type }]));
      } catch {
        /* this attribute is absent or sensitive */
      }
    }
  }
  for (const a of res) if (Buffer.isBuffer(a.value)) m.set(a.type as number, a.value);
  return m;
}

const bool = (m: Map<number, Buffer>, t: number): boolean => {
  const v = m.get(t);
  return !!v && v.length > 0 && v[0] !== 0;
};
const ulong = (b: Buffer | undefined): number | undefined => (b && b.length > 0 ? b.readUIntLE(0, Math.min(b.length, 6)) : undefined);

/** CKA_EC_POINT is a DER OCTET STRING around the point on most tokens; some return the raw point. */
export function unwrapOctetString(b: Buffer): Uint8Array {
  if (b[0] === 0x04 && b.length > 2) {
    try {
      const { node, next } = readDer(b);
      if (node.tag === 0x04 && next === b.length) return node.value;
    } catch {
      /* raw point */
    }
  }
  return new Uint8Array(b);
}

function keyAttributes(r: ObjectReader, priv: Handle): KeyAttributes {
  const m = readAttributes(r, priv, [
    A.CKA_SENSITIVE,
    A.CKA_EXTRACTABLE,
    A.CKA_ALWAYS_SENSITIVE,
    A.CKA_NEVER_EXTRACTABLE,
    A.CKA_LOCAL,
    A.CKA_PRIVATE,
    A.CKA_SIGN,
    A.CKA_DECRYPT,
    A.CKA_UNWRAP,
    A.CKA_DERIVE,
    CKA_ALWAYS_AUTHENTICATE,
    CKA_WRAP_WITH_TRUSTED,
  ]);
  return {
    sensitive: bool(m, A.CKA_SENSITIVE),
    extractable: bool(m, A.CKA_EXTRACTABLE),
    alwaysSensitive: bool(m, A.CKA_ALWAYS_SENSITIVE),
    neverExtractable: bool(m, A.CKA_NEVER_EXTRACTABLE),
    local: bool(m, A.CKA_LOCAL),
    private: bool(m, A.CKA_PRIVATE),
    sign: bool(m, A.CKA_SIGN),
    decrypt: bool(m, A.CKA_DECRYPT),
    unwrap: bool(m, A.CKA_UNWRAP),
    derive: bool(m, A.CKA_DERIVE),
    alwaysAuthenticate: bool(m, CKA_ALWAYS_AUTHENTICATE),
    wrapWithTrusted: bool(m, CKA_WRAP_WITH_TRUSTED),
  };
}

/** Key type and SPKI from the public half (or, for EC/RSA, the private object's public attributes). */
function publicKeyOf(r: ObjectReader, ckk: number, priv: Handle, pub: Handle | undefined): { keyType: KeyType; spki: Uint8Array } | undefined {
  const src = pub ?? priv;
  if (ckk === A.CKK_EC) {
    const pm = readAttributes(r, src, pub ? [A.CKA_EC_PARAMS, A.CKA_EC_POINT] : [A.CKA_EC_PARAMS]);
    const params = pm.get(A.CKA_EC_PARAMS);
    const pt = pm.get(A.CKA_EC_POINT);
    if (!params || !pt) return undefined;
    const keyType = params.equals(EC_PARAMS['P-256']) ? 'ecdsa-p256' : params.equals(EC_PARAMS['P-384']) ? 'ecdsa-p384' : undefined;
    return keyType ? { keyType, spki: ecPointToSpki(unwrapOctetString(pt)) } : undefined;
  }
  if (ckk === CKK_EC_EDWARDS) {
    const pt = pub ? readAttributes(r, pub, [A.CKA_EC_POINT]).get(A.CKA_EC_POINT) : undefined;
    return pt ? { keyType: 'ed25519', spki: ed25519ToSpki(unwrapOctetString(pt)) } : undefined;
  }
  if (ckk === A.CKK_RSA) {
    const rm = readAttributes(r, src, [A.CKA_MODULUS, A.CKA_PUBLIC_EXPONENT]);
    const mod = rm.get(A.CKA_MODULUS);
    const exp = rm.get(A.CKA_PUBLIC_EXPONENT);
    if (!mod || !exp || mod.length === 0) return undefined;
    return { keyType: mod.length * 8 > 3072 ? 'rsa-4096' : 'rsa-3072', spki: rsaToSpki(mod, exp) };
  }
  return undefined;
}

/** Describe a private key object and find its public half (by CKA_ID) to export the SPKI. */
export function describeKey(r: ObjectReader, priv: Handle): TokenKey | undefined {
  const m = readAttributes(r, priv, [A.CKA_KEY_TYPE, A.CKA_ID, A.CKA_LABEL]);
  const ckk = ulong(m.get(A.CKA_KEY_TYPE));
  if (ckk === undefined) return undefined;
  const id = new Uint8Array(m.get(A.CKA_ID) ?? Buffer.alloc(0));
  const label = (m.get(A.CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8');
  const pubs = id.length
    ? findObjects(
        r,
        [
          { type: A.CKA_CLASS, value: A.CKO_PUBLIC_KEY },
          { type: A.CKA_ID, value: Buffer.from(id) },
        ],
        2,
      )
    : [];
  const pub = pubs.length === 1 ? pubs[0] : undefined;
  const pk = publicKeyOf(r, ckk, priv, pub);
  if (!pk) return undefined;
  return {
    label,
    id,
    idHex: Buffer.from(id).toString('hex'),
    keyType: pk.keyType,
    publicKeySpki: pk.spki,
    fingerprint: createHash('sha256').update(pk.spki).digest('hex'),
    privateHandle: priv,
    ...(pub ? { publicHandle: pub } : {}),
    attrs: keyAttributes(r, priv),
    uri: formatPkcs11Uri({ token: r.token.label, serial: r.token.serial, id, object: label, type: 'private', modulePath: r.modulePath }),
    token: { label: r.token.label, serial: r.token.serial },
  };
}

/** Describe a public key object alone (readable without a login: CKA_PRIVATE false). */
export function describePublicKey(r: ObjectReader, pub: Handle): PublicTokenKey | undefined {
  const m = readAttributes(r, pub, [A.CKA_KEY_TYPE, A.CKA_ID, A.CKA_LABEL]);
  const ckk = ulong(m.get(A.CKA_KEY_TYPE));
  if (ckk === undefined) return undefined;
  const pk = publicKeyOf(r, ckk, pub, pub);
  if (!pk) return undefined;
  return {
    label: (m.get(A.CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8'),
    idHex: (m.get(A.CKA_ID) ?? Buffer.alloc(0)).toString('hex'),
    keyType: pk.keyType,
    publicKeySpki: pk.spki,
    fingerprint: createHash('sha256').update(pk.spki).digest('hex'),
    token: { label: r.token.label, serial: r.token.serial },
  };
}

const KIND: Record<number, TokenObject['kind']> = { [A.CKO_PRIVATE_KEY]: 'private', [A.CKO_PUBLIC_KEY]: 'public', [A.CKO_SECRET_KEY]: 'secret' };

/** One object as the inventory sees it: what it is and whether it has what every keyceremony key has. */
export function inspectObject(r: ObjectReader, h: Handle): TokenObject {
  const m = readAttributes(r, h, [A.CKA_CLASS, A.CKA_KEY_TYPE, A.CKA_LABEL, A.CKA_ID, A.CKA_SENSITIVE, A.CKA_EC_POINT, A.CKA_MODULUS]);
  const cls = ulong(m.get(A.CKA_CLASS));
  // no readable class: an object file the module created and a crash left empty
  const kind = cls === undefined ? 'unknown' : (KIND[cls] ?? 'other');
  const label = (m.get(A.CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8');
  const idHex = (m.get(A.CKA_ID) ?? Buffer.alloc(0)).toString('hex');
  const keyTypeRaw = ulong(m.get(A.CKA_KEY_TYPE));
  const missing: string[] = [];
  if (kind === 'unknown') missing.push('class');
  if (!label) missing.push('label');
  if (!idHex) missing.push('id');
  if (keyTypeRaw === undefined) missing.push('key type');
  const sensitive = m.has(A.CKA_SENSITIVE) ? bool(m, A.CKA_SENSITIVE) : undefined;
  if (kind === 'private' && !sensitive) missing.push('sensitive');
  if (kind === 'public' && !(m.get(A.CKA_EC_POINT)?.length || m.get(A.CKA_MODULUS)?.length)) missing.push('public key value');
  return {
    handle: h,
    kind,
    label,
    idHex,
    ...(keyTypeRaw !== undefined ? { keyTypeRaw } : {}),
    ...(sensitive !== undefined ? { sensitive } : {}),
    complete: missing.length === 0,
    missing,
  };
}

/**
 * Backup and recovery of a token key under a Shamir-split AES-256 KEK (issue 7).
 *
 * Wrap (token A):
 *   1. the KEK is drawn on the host (WebCrypto CSPRNG), split m-of-n in core, and the set proven;
 *   2. it is imported as a SESSION object (CKA_TOKEN false, sensitive, non-extractable) and
 *      - if the key has CKA_WRAP_WITH_TRUSTED (profile 'backupable'), the KEK must carry CKA_TRUSTED,
 *        which only the security officer may set: we log the user out, log the SO in, create the KEK
 *        (as a public session object: the SO cannot create private objects), log the SO out and the
 *        user back in, in the same session (session objects live as long as the session);
 *   3. C_WrapKey with CKM_AES_KEY_WRAP_PAD (RFC 5649; CKM_AES_KEY_WRAP only if KWP is missing);
 *   4. the blob is proven on the day: unwrapped into a session-only key on token A, a fresh
 *      signature by it verifies under the key's public key, then that copy is destroyed;
 *   5. the KEK object is destroyed and every KEK buffer zeroed.
 * Recover (token B): shares -> KEK in core (all share checks and the backup file MAC BEFORE the token is
 * touched), KEK as a session object, C_UnwrapKey into a token key with the recorded id/label
 * (sensitive, non-extractable, sign only), its public half created from the recorded SPKI, then
 * proven (fingerprint + a fresh signature verifying under the original public key). Any failure
 * after the first object was created removes what was created: token B is left as it was.
 */
import pkcs11js from 'pkcs11js';
import { KeyceremonyError } from '../../../shared/errors';
import { bytesEqual, toBase64, toHex, utf8, zeroize } from '../../../shared/encoding/bytes';
import { readChildren, readDer } from '../../../shared/encoding/der';
import { parseSpki } from '../../../shared/crypto/spki';
import { defaultSignatureAlgorithm, type KeyType } from '../../../shared/crypto/algorithms';
import { spkiFingerprint, verifySignature } from '../../../shared/crypto/webcrypto';
import {
  combineShares,
  expectationOf,
  generateKek,
  kekCheckValue,
  keyIdBytes,
  sealBackup,
  spkiBytes,
  splitKek,
  verifyBackupMac,
  wrappedKeyBytes,
  type BackupFile,
  type BackupOrigin,
  type LabeledShare,
  type Share,
} from '../../core/backup';
import { CKA_TRUSTED, CKK_EC_EDWARDS, CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD, EC_PARAMS } from './constants';
import { mapPkcs11Error, rvOf } from './errors';
import type { PinSource, TokenKey, TokenSession } from './module';

type Handle = Buffer;
const A = pkcs11js;

export interface WrapMechanism {
  name: string;
  id: number;
}

/** The best AES wrap mechanism the token offers: KWP (any length) first, plain KW as a fallback. */
export function chooseWrapMechanism(s: TokenSession): WrapMechanism {
  const have = s.token.mechanisms;
  if (have.includes('AES_KEY_WRAP_PAD')) return { name: 'CKM_AES_KEY_WRAP_PAD', id: CKM_AES_KEY_WRAP_PAD };
  if (have.includes('AES_KEY_WRAP')) return { name: 'CKM_AES_KEY_WRAP', id: CKM_AES_KEY_WRAP };
  throw new KeyceremonyError(
    'MECHANISM_UNSUPPORTED',
    `Token "${s.token.label}" offers neither CKM_AES_KEY_WRAP_PAD nor CKM_AES_KEY_WRAP: it cannot wrap a key under an AES KEK.`,
    { where: s.token.label },
  );
}

function kekTemplate(kek: Buffer, opts: { trusted: boolean; wrap: boolean; unwrap: boolean }): pkcs11js.Template {
  return [
    { type: A.CKA_CLASS, value: A.CKO_SECRET_KEY },
    { type: A.CKA_KEY_TYPE, value: A.CKK_AES },
    { type: A.CKA_TOKEN, value: false },
    // SO-created objects must be public; a user-created KEK stays private.
    { type: A.CKA_PRIVATE, value: !opts.trusted },
    { type: A.CKA_LABEL, value: 'keyceremony backup KEK (session only)' },
    { type: A.CKA_VALUE, value: kek },
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

function destroyQuietly(s: TokenSession, h: Handle | undefined): void {
  if (!h) return;
  try {
    s.raw.pkcs11.C_DestroyObject(s.raw.session, h);
  } catch {
    /* the session may be gone with its session objects */
  }
}

function pkcs11Login(s: TokenSession, userType: number, pin: Uint8Array, who: string): void {
  try {
    s.raw.pkcs11.C_Login(s.raw.session, userType, new TextDecoder().decode(pin));
  } catch (e) {
    throw mapPkcs11Error(e, `logging in to token "${s.token.label}" as ${who}`, { token: s.token.label, serial: s.token.serial });
  } finally {
    zeroize(pin);
  }
}

/** Create the KEK as a session object; with `soPin`, as a CKA_TRUSTED object made by the SO. */
async function importKek(
  s: TokenSession,
  kek: Uint8Array,
  opts: { trusted: boolean; wrap: boolean; unwrap: boolean; soPin?: PinSource; userPin?: PinSource },
): Promise<Handle> {
  const value = Buffer.from(kek);
  try {
    if (!opts.trusted) {
      try {
        return s.raw.pkcs11.C_CreateObject(s.raw.session, kekTemplate(value, opts));
      } catch (e) {
        throw mapPkcs11Error(e, `creating the session KEK on token "${s.token.label}"`);
      }
    }
    if (!opts.soPin || !opts.userPin) {
      throw new KeyceremonyError(
        'PRECONDITION_FAILED',
        `The key can only be wrapped by a trusted KEK (CKA_WRAP_WITH_TRUSTED); marking the KEK trusted needs the security officer PIN of token "${s.token.label}". Give --so-pin-file or answer the SO PIN prompt.`,
        { where: s.token.label },
      );
    }
    const p = s.raw.pkcs11;
    const soPin = await opts.soPin();
    try {
      p.C_Logout(s.raw.session);
    } catch {
      /* not logged in */
    }
    let h: Handle | undefined;
    try {
      pkcs11Login(s, A.CKU_SO, soPin, 'security officer');
      try {
        h = p.C_CreateObject(s.raw.session, kekTemplate(value, opts));
      } catch (e) {
        throw mapPkcs11Error(e, `creating the trusted session KEK on token "${s.token.label}" as security officer`);
      } finally {
        try {
          p.C_Logout(s.raw.session);
        } catch {
          /* ignore */
        }
      }
    } finally {
      // back to the user in any case (the session's owner expects a user login)
      pkcs11Login(s, A.CKU_USER, await opts.userPin(), 'user');
    }
    return h;
  } finally {
    value.fill(0);
  }
}

function wrapTemplateFor(keyType: KeyType, label: string, id: Uint8Array, onToken: boolean): pkcs11js.Template {
  const ckk = keyType.startsWith('ecdsa') ? A.CKK_EC : keyType === 'ed25519' ? CKK_EC_EDWARDS : A.CKK_RSA;
  return [
    { type: A.CKA_CLASS, value: A.CKO_PRIVATE_KEY },
    { type: A.CKA_KEY_TYPE, value: ckk },
    { type: A.CKA_TOKEN, value: onToken },
    { type: A.CKA_PRIVATE, value: true },
    { type: A.CKA_LABEL, value: label },
    { type: A.CKA_ID, value: Buffer.from(id) },
    { type: A.CKA_SENSITIVE, value: true },
    { type: A.CKA_EXTRACTABLE, value: false },
    { type: A.CKA_SIGN, value: true },
    { type: A.CKA_DECRYPT, value: false },
    { type: A.CKA_UNWRAP, value: false },
    { type: A.CKA_DERIVE, value: false },
  ];
}

/** Public key object template from a DER SPKI (so the recovered key is a findable pair). */
function publicTemplate(keyType: KeyType, spki: Uint8Array, label: string, id: Uint8Array): pkcs11js.Template {
  const info = parseSpki(spki);
  const common: pkcs11js.Template = [
    { type: A.CKA_CLASS, value: A.CKO_PUBLIC_KEY },
    { type: A.CKA_TOKEN, value: true },
    { type: A.CKA_PRIVATE, value: false },
    { type: A.CKA_LABEL, value: label },
    { type: A.CKA_ID, value: Buffer.from(id) },
    { type: A.CKA_VERIFY, value: true },
    { type: A.CKA_ENCRYPT, value: false },
    { type: A.CKA_WRAP, value: false },
    { type: A.CKA_DERIVE, value: false },
  ];
  const octet = (b: Uint8Array) => Buffer.concat([Buffer.from([0x04, b.length]), Buffer.from(b)]);
  if (keyType === 'ecdsa-p256' || keyType === 'ecdsa-p384') {
    return [
      ...common,
      { type: A.CKA_KEY_TYPE, value: A.CKK_EC },
      { type: A.CKA_EC_PARAMS, value: keyType === 'ecdsa-p256' ? EC_PARAMS['P-256'] : EC_PARAMS['P-384'] },
      { type: A.CKA_EC_POINT, value: octet(info.publicKey) },
    ];
  }
  if (keyType === 'ed25519') {
    return [
      ...common,
      { type: A.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: A.CKA_EC_PARAMS, value: EC_PARAMS.Ed25519 },
      { type: A.CKA_EC_POINT, value: octet(info.publicKey) },
    ];
  }
  const { node } = readDer(info.publicKey);
  const [mod, exp] = readChildren(node);
  if (!mod || !exp) throw new KeyceremonyError('INVALID_KEY', 'the recorded RSA public key is malformed', { where: 'backup file: key.publicKeySpki' });
  const strip = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return Buffer.from(b.subarray(i));
  };
  return [...common, { type: A.CKA_KEY_TYPE, value: A.CKK_RSA }, { type: A.CKA_MODULUS, value: strip(mod.value) }, { type: A.CKA_PUBLIC_EXPONENT, value: strip(exp.value) }];
}

/** Sign a fresh challenge with `key` on the token and verify it under `spki` (the original public key). */
async function proveKey(s: TokenSession, key: TokenKey, spki: Uint8Array, purpose: string): Promise<{ challenge: Uint8Array; signature: Uint8Array }> {
  const challenge = utf8(`keyceremony ${purpose} proof ${new Date().toISOString()} ${toHex(globalThis.crypto.getRandomValues(new Uint8Array(16)))}`);
  const alg = defaultSignatureAlgorithm(key.keyType);
  let signature: Uint8Array;
  try {
    signature = await s.signer(key, { algorithm: alg }).sign(challenge);
  } catch (e) {
    throw new KeyceremonyError('VERIFICATION_FAILED', `${purpose}: the key on token "${s.token.label}" did not produce a valid signature`, {
      where: s.token.label,
      cause: e,
    });
  }
  if (!(await verifySignature(spki, alg, challenge, signature))) {
    throw new KeyceremonyError('VERIFICATION_FAILED', `${purpose}: a fresh signature does not verify under the original public key`, { where: s.token.label });
  }
  return { challenge, signature };
}

/** A session-only key made from a private key handle: a TokenKey the signer can use. */
function sessionKey(base: TokenKey, priv: Handle): TokenKey {
  return { ...base, privateHandle: priv };
}

export interface CreateBackupOptions {
  key: { label?: string; id?: Uint8Array };
  m: number;
  n: number;
  custodians: string[];
  /** SO PIN source: needed when the key has CKA_WRAP_WITH_TRUSTED (the 'backupable' profile). */
  soPin?: PinSource;
  /** The user PIN again (to log the user back in after the SO step). */
  userPin?: PinSource;
  origin?: { kind: BackupOrigin; previousSetId?: string; explanation: string };
  now?: () => Date;
}

export interface CreatedBackup {
  backup: BackupFile;
  shares: Share[];
  /** What happened, for the transcript (no secrets). */
  facts: { mechanism: string; trustedKek: boolean; wrappedBytes: number; provenOnSource: boolean; setId: string; kcv: string };
}

/** Wrap a backup-able key on token `s` under a fresh KEK and split the KEK m-of-n. */
export async function createBackup(s: TokenSession, opts: CreateBackupOptions): Promise<CreatedBackup> {
  const key = s.findKey(opts.key);
  if (!key.attrs.extractable) {
    throw new KeyceremonyError(
      'KEY_NOT_EXTRACTABLE',
      `Key "${key.label}" (id ${key.idHex}) on token "${s.token.label}" was made non-extractable and can never be backed up. Use the independent-keys + threshold strategy, or make a new key with the backup-able profile.`,
      { where: `key ${key.label}` },
    );
  }
  const mech = chooseWrapMechanism(s);
  const trusted = key.attrs.wrapWithTrusted;
  const kek = generateKek();
  let kekHandle: Handle | undefined;
  let copy: Handle | undefined;
  try {
    const { setId, kcv, shares } = await splitKek(kek, { m: opts.m, n: opts.n, custodians: opts.custodians });
    try {
      kekHandle = await importKek(s, kek, {
        trusted,
        wrap: true,
        unwrap: true,
        ...(opts.soPin ? { soPin: opts.soPin } : {}),
        ...(opts.userPin ? { userPin: opts.userPin } : {}),
      });
      const k = s.findKey({ label: key.label, id: key.id }); // handles after a re-login
      let wrapped: Buffer;
      try {
        wrapped = s.raw.pkcs11.C_WrapKey(s.raw.session, { mechanism: mech.id }, kekHandle, k.privateHandle, Buffer.alloc(16384));
      } catch (e) {
        if (rvOf(e) === 0x69) {
          // CKR_KEY_NOT_WRAPPABLE (errors.ts maps 0x67 under that name; 0x67 is CKR_KEY_INDIGESTIBLE)
          throw new KeyceremonyError(
            'KEY_NOT_EXTRACTABLE',
            `Token "${s.token.label}" refuses to wrap this ${key.keyType} key (CKR_KEY_NOT_WRAPPABLE). ${
              key.keyType === 'ed25519' ? 'SoftHSM 2.6.1 cannot wrap Ed25519 private keys at all; ' : ''
            }Use the independent-keys + threshold strategy for this key, or another key type.`,
            { where: `key ${key.label}`, cause: e, details: { ckr: 'CKR_KEY_NOT_WRAPPABLE', rv: '0x69' } },
          );
        }
        throw mapPkcs11Error(e, `wrapping key "${key.label}" under the session KEK on token "${s.token.label}"`);
      }
      // prove the blob on the day: unwrap a session-only copy, sign, verify, destroy
      try {
        copy = s.raw.pkcs11.C_UnwrapKey(s.raw.session, { mechanism: mech.id }, kekHandle, wrapped, wrapTemplateFor(key.keyType, key.label, key.id, false));
      } catch (e) {
        throw mapPkcs11Error(e, `test-unwrapping the fresh backup blob on token "${s.token.label}"`);
      }
      await proveKey(s, sessionKey(k, copy), key.publicKeySpki, 'backup');
      const backup = await sealBackup(
        {
          format: 'keyceremony-key-backup',
          version: 1,
          createdAt: (opts.now ?? (() => new Date()))().toISOString(),
          key: { type: key.keyType, id: key.idHex, label: key.label, publicKeySpki: toBase64(key.publicKeySpki), fingerprint: key.fingerprint },
          wrap: { mechanism: mech.name, mechanismId: mech.id, wrappedKey: toBase64(wrapped), kekCheckValue: kcv, kekAlgorithm: 'AES-256' },
          shareSet: { id: setId, m: opts.m, n: opts.n, custodians: opts.custodians.slice() },
          origin: opts.origin ?? { kind: 'created', explanation: 'first backup of this key' },
          source: { tokenLabel: s.token.label, tokenSerial: s.token.serial },
        },
        kek,
      );
      return {
        backup,
        shares,
        facts: { mechanism: mech.name, trustedKek: trusted, wrappedBytes: wrapped.length, provenOnSource: true, setId, kcv },
      };
    } catch (e) {
      shares.forEach((x) => zeroize(x.body));
      throw e;
    }
  } finally {
    destroyQuietly(s, copy);
    destroyQuietly(s, kekHandle);
    zeroize(kek);
  }
}

export interface RecoverResult {
  key: TokenKey;
  fingerprintMatches: boolean;
  challenge: Uint8Array;
  signature: Uint8Array;
}

/**
 * Everything that can be checked without a token: shares (membership, duplicates, count, checksum
 * already at parse), the KEK check value, and the backup file's MAC. Returns the KEK (caller zeroes).
 */
export async function reconstructKek(backup: BackupFile, shares: readonly LabeledShare[]): Promise<Uint8Array> {
  const kek = await combineShares(shares, expectationOf(backup));
  try {
    if ((await kekCheckValue(kek)) !== backup.wrap.kekCheckValue) throw new KeyceremonyError('KEK_MISMATCH', 'the shares do not open this backup file', { where: 'shares' });
    await verifyBackupMac(backup, kek);
    if ((await spkiFingerprint(spkiBytes(backup))) !== backup.key.fingerprint) {
      throw new KeyceremonyError('VERIFICATION_FAILED', 'the recorded public key does not match its fingerprint', { where: 'backup file: key' });
    }
    return kek;
  } catch (e) {
    zeroize(kek);
    throw e;
  }
}

/** Recover the key onto token `s` (a fresh token). The KEK is zeroed here in every case. */
export async function recoverOntoToken(s: TokenSession, backup: BackupFile, kek: Uint8Array): Promise<RecoverResult> {
  const id = keyIdBytes(backup);
  const label = backup.key.label;
  let kekHandle: Handle | undefined;
  let priv: Handle | undefined;
  let pub: Handle | undefined;
  let done = false;
  try {
    const clash = [...s.findKeys({ label }), ...s.findKeys({ id })];
    if (clash.length > 0) {
      throw new KeyceremonyError(
        'KEY_EXISTS',
        `Token "${s.token.label}" already has a key labelled "${label}" or with id ${backup.key.id}. Recover onto a fresh token (nothing was changed).`,
        { where: s.token.label },
      );
    }
    const mechName = backup.wrap.mechanism.replace(/^CKM_/, '');
    if (!s.token.mechanisms.includes(mechName)) {
      throw new KeyceremonyError('MECHANISM_UNSUPPORTED', `Token "${s.token.label}" does not offer ${backup.wrap.mechanism}, which this backup was made with.`, {
        where: s.token.label,
      });
    }
    kekHandle = await importKek(s, kek, { trusted: false, wrap: false, unwrap: true });
    const blob = Buffer.from(wrappedKeyBytes(backup));
    try {
      priv = s.raw.pkcs11.C_UnwrapKey(s.raw.session, { mechanism: backup.wrap.mechanismId }, kekHandle, blob, wrapTemplateFor(backup.key.type, label, id, true));
    } catch (e) {
      throw mapPkcs11Error(e, `unwrapping the backup into token "${s.token.label}"`);
    }
    try {
      pub = s.raw.pkcs11.C_CreateObject(s.raw.session, publicTemplate(backup.key.type, spkiBytes(backup), label, id));
    } catch (e) {
      throw mapPkcs11Error(e, `creating the public key object on token "${s.token.label}"`);
    }
    const key = s.findKey({ label, id });
    const fingerprintMatches = key.fingerprint === backup.key.fingerprint && bytesEqual(key.publicKeySpki, spkiBytes(backup));
    if (!fingerprintMatches) throw new KeyceremonyError('VERIFICATION_FAILED', 'the recovered key pair does not have the recorded fingerprint', { where: s.token.label });
    if (!key.attrs.sensitive || key.attrs.extractable) {
      throw new KeyceremonyError('VERIFICATION_FAILED', 'the recovered private key is not sensitive / non-extractable as requested', { where: s.token.label });
    }
    const proof = await proveKey(s, key, spkiBytes(backup), 'recovery');
    done = true;
    return { key, fingerprintMatches, ...proof };
  } finally {
    destroyQuietly(s, kekHandle);
    zeroize(kek);
    if (!done) {
      destroyQuietly(s, pub);
      destroyQuietly(s, priv);
    }
  }
}

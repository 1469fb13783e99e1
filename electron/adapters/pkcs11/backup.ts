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
import { KeyceremonyError } from '../../../shared/errors';
import { bytesEqual, toBase64, toHex, utf8, zeroize } from '../../../shared/encoding/bytes';
import { defaultSignatureAlgorithm } from '../../../shared/crypto/algorithms';
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
import { CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD } from './constants';
import { backupUnsupportedError } from './profiles';
import { CKR } from './errors';
import type { TokenSession } from './session';
import { kekTemplate, privateKeyTemplate, publicKeyFromSpkiTemplate } from './templates';
import type { Handle, PinSource, TokenIntent, TokenJournal, TokenKey, TokenObject } from './types';
import { describe, findInterrupted, incompleteSignatures, removeInterrupted } from './interrupted';
import { crashPoint } from '../test-hooks';

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

/** Create the KEK as a session object; a trusted KEK (CKA_TRUSTED) is made by the security officer. */
async function importKek(
  s: TokenSession,
  kek: Uint8Array,
  opts: { trusted: boolean; wrap: boolean; unwrap: boolean; soPin?: PinSource; userPin?: PinSource },
): Promise<Handle> {
  const value = Buffer.from(kek);
  try {
    const template = kekTemplate(value, opts);
    if (!opts.trusted) return s.createObject('kek', template, 'the session KEK');
    if (!opts.soPin || !opts.userPin) {
      throw new KeyceremonyError(
        'PRECONDITION_FAILED',
        `The key can only be wrapped by a trusted KEK (CKA_WRAP_WITH_TRUSTED); marking the KEK trusted needs the security officer PIN of token "${s.token.label}". Give --so-pin-file or set KEYCEREMONY_SO_PIN, or answer the SO PIN prompt.`,
        { where: s.token.label },
      );
    }
    // The SO cannot create private objects: the trusted KEK is a public session object, gone with the session.
    return await s.asSecurityOfficer(opts.soPin, opts.userPin, () => s.createObject('kek', template, 'the trusted session KEK (as security officer)'));
  } finally {
    value.fill(0);
  }
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
  const unsupported = backupUnsupportedError(s.profile, s.token, 'A backup');
  if (unsupported) throw unsupported;
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
        wrapped = s.wrapKey(mech.id, kekHandle, k);
      } catch (e) {
        if (e instanceof KeyceremonyError && e.details?.ckr === 'CKR_KEY_NOT_WRAPPABLE') {
          const known = s.profile.explain?.(CKR.KEY_NOT_WRAPPABLE, 'wrap', key.keyType);
          throw new KeyceremonyError(
            'KEY_NOT_EXTRACTABLE',
            `Token "${s.token.label}" refuses to wrap this ${key.keyType} key (CKR_KEY_NOT_WRAPPABLE).${known ? ` ${known}` : ''} Use the independent-keys + threshold strategy for this key, or another key type.`,
            { where: `key ${key.label}`, cause: e, ...(e.details ? { details: e.details } : {}) },
          );
        }
        throw e;
      }
      // prove the blob on the day: unwrap a session-only copy, sign, verify, destroy
      copy = s.unwrapKey(
        mech.id,
        kekHandle,
        wrapped,
        privateKeyTemplate(key.keyType, { label: key.label, id: key.id, onToken: false }),
        'test-unwrapping the fresh backup blob',
      );
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
    if (copy) s.destroyObject(copy, { quiet: true });
    if (kekHandle) s.destroyObject(kekHandle, { quiet: true });
    zeroize(kek);
  }
}

export interface RecoverResult {
  key: TokenKey;
  fingerprintMatches: boolean;
  challenge: Uint8Array;
  signature: Uint8Array;
  /**
   * What this run found from an interrupted earlier one (issue 12 item 2): 'completed' = the private
   * key it had unwrapped was proven by a signature under the backup's public key and its public half
   * created; 'already' = the key was already recovered whole (proven again). Undefined: a fresh recovery.
   */
  resumed?: 'completed' | 'already';
  /** Objects an interrupted recovery left that were removed first (descriptions). */
  removed: string[];
}

export interface RecoverOptions {
  /** The token journal: the intent is written before the unwrap and closed when the key is whole. */
  journal?: TokenJournal;
  now?: () => Date;
}

/**
 * Everything that can be checked without a token: shares (membership, duplicates, count, checksum
 * already at parse), the KEK check value, and the backup file's MAC. Returns the KEK (caller zeroes).
 */
export async function reconstructKek(backup: BackupFile, shares: readonly LabeledShare[]): Promise<Uint8Array> {
  const kek = await combineShares(shares, expectationOf(backup));
  try {
    if ((await kekCheckValue(kek)) !== backup.wrap.kekCheckValue)
      throw new KeyceremonyError('KEK_MISMATCH', 'the shares do not open this backup file', { where: 'shares' });
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

/** The backup's key as a TokenKey around a private key handle (to sign with it before it has a public half). */
function backupKeyAt(s: TokenSession, backup: BackupFile, priv: Handle): TokenKey {
  const id = keyIdBytes(backup);
  const none = {
    sensitive: true,
    extractable: false,
    alwaysSensitive: false,
    neverExtractable: false,
    local: false,
    alwaysAuthenticate: false,
    wrapWithTrusted: false,
    private: true,
    sign: true,
    decrypt: false,
    unwrap: false,
    derive: false,
  };
  return {
    label: backup.key.label,
    id,
    idHex: backup.key.id,
    keyType: backup.key.type,
    publicKeySpki: spkiBytes(backup),
    fingerprint: backup.key.fingerprint,
    privateHandle: priv,
    attrs: none,
    uri: '',
    token: { label: s.token.label, serial: s.token.serial },
  };
}

/**
 * A recovery interrupted after the unwrap left the key on the token without its public half (or torn
 * objects). Before unwrapping again: remove what an interrupted recovery of THIS key left (torn
 * objects, an orphan public half), and find a whole private key with the backup's id; if a fresh
 * signature by it verifies under the backup's public key it IS the key: its public half is created
 * and the recovery completes. Returns how it resumed, or undefined when there was nothing to resume.
 */
async function resumeRecovery(s: TokenSession, backup: BackupFile, opts: RecoverOptions, removed: string[]): Promise<'completed' | 'already' | undefined> {
  const id = keyIdBytes(backup);
  const label = backup.key.label;
  const r = findInterrupted(s, opts.journal, { label, id });
  const ours = r.objects.filter((o) => o.forKey === label && o.op !== 'keygen');
  if (ours.length) {
    removeInterrupted(s, undefined, { ...r, objects: ours, finished: [], interrupted: [] });
    removed.push(...ours.map((o) => `${describe(o)} — ${o.reason}`));
  }
  const privs = s.objects({ id, kind: 'private' }).filter((o) => o.complete);
  const pubs = s.objects({ id, kind: 'public' }).filter((o) => o.complete);
  if (privs.length === 1 && pubs.length === 1) {
    const k = s.findKeys({ id });
    if (k.length === 1 && k[0]?.fingerprint === backup.key.fingerprint) return 'already';
    return undefined; // another key under this id: the clash check refuses
  }
  if (privs.length !== 1 || pubs.length !== 0) return undefined;
  const candidate = privs[0] as TokenObject;
  try {
    await proveKey(s, backupKeyAt(s, backup, candidate.handle), spkiBytes(backup), 'resumed recovery');
  } catch (e) {
    throw new KeyceremonyError(
      'KEY_EXISTS',
      `Token "${s.token.label}" holds a private key with id ${backup.key.id} and no public half, but it is not the key of this backup (a fresh signature by it does not verify under the backup's public key). Nothing was changed: recover onto a fresh token, or remove that key with the token vendor's tool.`,
      { where: s.token.label, cause: e },
    );
  }
  s.createObject('import-public', publicKeyFromSpkiTemplate(backup.key.type, spkiBytes(backup), { label, id, onToken: true }), 'the public key object');
  crashPoint('recover:public-created');
  return 'completed';
}

/**
 * Recover the key onto token `s` (a fresh token). Resumable (issue 12 item 2): a key an interrupted
 * run already unwrapped is found, proven and completed instead of unwrapped twice. The KEK is zeroed
 * here in every case.
 */
export async function recoverOntoToken(s: TokenSession, backup: BackupFile, kek: Uint8Array, opts: RecoverOptions = {}): Promise<RecoverResult> {
  const unsupported = backupUnsupportedError(s.profile, s.token, 'Restoring a backup');
  if (unsupported) throw unsupported;
  const id = keyIdBytes(backup);
  const label = backup.key.label;
  let kekHandle: Handle | undefined;
  let priv: Handle | undefined;
  let pub: Handle | undefined;
  let done = false;
  const removed: string[] = [];
  const intent: TokenIntent = {
    v: 1,
    op: 'recover',
    token: { serial: s.token.serial, label: s.token.label },
    key: { label, idHex: backup.key.id, keyType: backup.key.type },
    tornBefore: [],
    startedAt: (opts.now ?? (() => new Date()))().toISOString(),
  };
  try {
    const resumed = await resumeRecovery(s, backup, opts, removed);
    if (resumed) {
      const key = s.findKey({ label, id });
      const fingerprintMatches = key.fingerprint === backup.key.fingerprint && bytesEqual(key.publicKeySpki, spkiBytes(backup));
      if (!fingerprintMatches)
        throw new KeyceremonyError('VERIFICATION_FAILED', 'the recovered key pair does not have the recorded fingerprint', { where: s.token.label });
      if (!key.attrs.sensitive || key.attrs.extractable) {
        throw new KeyceremonyError('VERIFICATION_FAILED', 'the recovered private key is not sensitive / non-extractable as requested', {
          where: s.token.label,
        });
      }
      const proof = await proveKey(s, key, spkiBytes(backup), 'recovery');
      for (const i of opts.journal?.pending(intent.token) ?? []) if (i.op === 'recover' && i.key.idHex === backup.key.id) opts.journal?.end(i);
      done = true;
      return { key, fingerprintMatches, ...proof, resumed, removed };
    }
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
      throw new KeyceremonyError(
        'MECHANISM_UNSUPPORTED',
        `Token "${s.token.label}" does not offer ${backup.wrap.mechanism}, which this backup was made with.`,
        {
          where: s.token.label,
        },
      );
    }
    kekHandle = await importKek(s, kek, { trusted: false, wrap: false, unwrap: true });
    const names = { label, id, onToken: true };
    intent.tornBefore = incompleteSignatures(s);
    opts.journal?.begin(intent);
    priv = s.unwrapKey(backup.wrap.mechanismId, kekHandle, wrappedKeyBytes(backup), privateKeyTemplate(backup.key.type, names), 'unwrapping the backup');
    crashPoint('recover:unwrapped');
    pub = s.createObject('import-public', publicKeyFromSpkiTemplate(backup.key.type, spkiBytes(backup), names), 'the public key object');
    crashPoint('recover:public-created');
    const key = s.findKey({ label, id });
    const fingerprintMatches = key.fingerprint === backup.key.fingerprint && bytesEqual(key.publicKeySpki, spkiBytes(backup));
    if (!fingerprintMatches)
      throw new KeyceremonyError('VERIFICATION_FAILED', 'the recovered key pair does not have the recorded fingerprint', { where: s.token.label });
    if (!key.attrs.sensitive || key.attrs.extractable) {
      throw new KeyceremonyError('VERIFICATION_FAILED', 'the recovered private key is not sensitive / non-extractable as requested', { where: s.token.label });
    }
    const proof = await proveKey(s, key, spkiBytes(backup), 'recovery');
    opts.journal?.end(intent);
    done = true;
    return { key, fingerprintMatches, ...proof, removed };
  } finally {
    if (kekHandle) s.destroyObject(kekHandle, { quiet: true });
    zeroize(kek);
    if (!done && (pub || priv)) {
      // a refusal after the first object was made: the token is left as it was, the intent closed
      if (pub) s.destroyObject(pub, { quiet: true });
      if (priv) s.destroyObject(priv, { quiet: true });
      try {
        opts.journal?.end(intent);
      } catch {
        /* the refusal is what the person needs to see */
      }
    }
  }
}

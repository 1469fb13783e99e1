/**
 * The backup file: the wrapped key blob and its public facts. It never contains the KEK, a share or
 * a PIN. It is authenticated by the KEK itself (HMAC-SHA256 under a key derived from the KEK with
 * HKDF), so at recovery, once m shares give the KEK, a swapped public key, label or blob is refused
 * before any token is touched.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { bytesEqual, fromBase64, fromHex, toBase64, toHex, utf8 } from '../../../shared/encoding/bytes';
import { isKeyType, type KeyType } from '../../../shared/crypto/algorithms';
import { spkiFingerprint } from '../../../shared/crypto/webcrypto';
import type { SetExpectation } from './envelope';

export const BACKUP_FORMAT = 'keyceremony-key-backup';
export const BACKUP_VERSION = 1;

export type BackupOrigin = 'created' | 'resplit' | 'rotated';

export interface BackupFile {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  key: {
    type: KeyType;
    /** CKA_ID, hex. */
    id: string;
    label: string;
    /** DER SubjectPublicKeyInfo, base64. */
    publicKeySpki: string;
    /** SHA-256 of the SPKI, hex. */
    fingerprint: string;
  };
  wrap: {
    /** PKCS#11 mechanism name and number used to wrap (CKM_AES_KEY_WRAP_PAD = 0x210a). */
    mechanism: string;
    mechanismId: number;
    /** The wrapped private key (PKCS#8 inside, encrypted under the KEK), base64. */
    wrappedKey: string;
    /** KEK check value: AES-ECB(KEK, 0^16)[0..3], hex. */
    kekCheckValue: string;
    kekAlgorithm: 'AES-256';
  };
  shareSet: { id: string; m: number; n: number; custodians: string[] };
  origin: { kind: BackupOrigin; previousSetId?: string; explanation: string };
  source: { tokenLabel: string; tokenSerial: string };
  /** HMAC-SHA256 (key = HKDF-SHA256(KEK, info "keyceremony backup file mac v1")) over macInput(). */
  mac: string;
}

export type UnsignedBackup = Omit<BackupFile, 'mac'>;

function macInput(b: UnsignedBackup): Uint8Array {
  // Fixed order array: deterministic without a general canonical-JSON dependency.
  return utf8(
    JSON.stringify([
      b.format,
      b.version,
      b.createdAt,
      b.key.type,
      b.key.id,
      b.key.label,
      b.key.publicKeySpki,
      b.key.fingerprint,
      b.wrap.mechanism,
      b.wrap.mechanismId,
      b.wrap.wrappedKey,
      b.wrap.kekCheckValue,
      b.wrap.kekAlgorithm,
      b.shareSet.id,
      b.shareSet.m,
      b.shareSet.n,
      b.shareSet.custodians,
      b.origin.kind,
      b.origin.previousSetId ?? null,
      b.origin.explanation,
      b.source.tokenLabel,
      b.source.tokenSerial,
    ]),
  );
}

async function macKey(kek: Uint8Array): Promise<CryptoKey> {
  const s = globalThis.crypto.subtle;
  const raw = kek.slice();
  try {
    const base = await s.importKey('raw', raw.buffer as ArrayBuffer, 'HKDF', false, ['deriveKey']);
    return await s.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new ArrayBuffer(32), info: utf8('keyceremony backup file mac v1').buffer as ArrayBuffer },
      base,
      { name: 'HMAC', hash: 'SHA-256', length: 256 },
      false,
      ['sign'],
    );
  } finally {
    raw.fill(0);
  }
}

async function computeMac(b: UnsignedBackup, kek: Uint8Array): Promise<string> {
  const key = await macKey(kek);
  return toHex(new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, macInput(b).slice().buffer as ArrayBuffer)));
}

export async function sealBackup(b: UnsignedBackup, kek: Uint8Array): Promise<BackupFile> {
  return { ...b, mac: await computeMac(b, kek) };
}

/** Check the file's MAC with the reconstructed KEK. Throws VERIFICATION_FAILED naming the file. */
export async function verifyBackupMac(b: BackupFile, kek: Uint8Array, where = 'backup file'): Promise<void> {
  const { mac, ...rest } = b;
  const want = await computeMac(rest, kek);
  if (!bytesEqual(utf8(want), utf8(mac))) {
    throw new KeyceremonyError('VERIFICATION_FAILED', 'the backup file was changed after it was made (its MAC does not verify under the reconstructed KEK)', {
      where,
    });
  }
}

export function backupToJson(b: BackupFile): string {
  return JSON.stringify(b, null, 2) + '\n';
}

/** Parse and validate a backup file (structure and the public key fingerprint; the MAC needs the KEK). */
export async function parseBackup(text: string, where = 'backup file'): Promise<BackupFile> {
  const bad = (msg: string, path: string) => new KeyceremonyError('INVALID_METADATA', `${where}: ${msg}`, { where: `${where}: ${path}` });
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new KeyceremonyError('INVALID_JSON', `${where} is not JSON`, { where, cause: e });
  }
  const o = j as Record<string, unknown>;
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('expected an object', path);
    return v as Record<string, unknown>;
  };
  const str = (v: unknown, path: string, re?: RegExp): string => {
    if (typeof v !== 'string' || (re && !re.test(v))) throw bad('bad or missing value', path);
    return v;
  };
  const int = (v: unknown, path: string, lo: number, hi: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`expected an integer ${lo}..${hi}`, path);
    return v;
  };
  obj(o, '$');
  if (o.format !== BACKUP_FORMAT) throw bad(`not a ${BACKUP_FORMAT} file`, 'format');
  if (o.version !== BACKUP_VERSION) {
    throw new KeyceremonyError('UNSUPPORTED_FORMAT', `${where}: version ${String(o.version)} is not supported`, { where: `${where}: version` });
  }
  const key = obj(o.key, 'key');
  const wrap = obj(o.wrap, 'wrap');
  const set = obj(o.shareSet, 'shareSet');
  const origin = obj(o.origin, 'origin');
  const source = obj(o.source, 'source');
  const type = key.type;
  if (!isKeyType(type)) throw bad('unknown key type', 'key.type');
  const n = int(set.n, 'shareSet.n', 1, 16);
  const custodians = set.custodians;
  if (!Array.isArray(custodians) || custodians.length !== n || custodians.some((c) => typeof c !== 'string')) {
    throw bad('expected one custodian name per share', 'shareSet.custodians');
  }
  const kind = str(origin.kind, 'origin.kind');
  if (kind !== 'created' && kind !== 'resplit' && kind !== 'rotated') throw bad('unknown origin', 'origin.kind');
  const b: BackupFile = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: str(o.createdAt, 'createdAt'),
    key: {
      type,
      id: str(key.id, 'key.id', /^([0-9a-f]{2})*$/),
      label: str(key.label, 'key.label'),
      publicKeySpki: str(key.publicKeySpki, 'key.publicKeySpki', /^[A-Za-z0-9+/=]+$/),
      fingerprint: str(key.fingerprint, 'key.fingerprint', /^[0-9a-f]{64}$/),
    },
    wrap: {
      mechanism: str(wrap.mechanism, 'wrap.mechanism'),
      mechanismId: int(wrap.mechanismId, 'wrap.mechanismId', 0, 0xffffffff),
      wrappedKey: str(wrap.wrappedKey, 'wrap.wrappedKey', /^[A-Za-z0-9+/=]+$/),
      kekCheckValue: str(wrap.kekCheckValue, 'wrap.kekCheckValue', /^[0-9a-f]{6}$/),
      kekAlgorithm: 'AES-256',
    },
    shareSet: {
      id: str(set.id, 'shareSet.id', /^[0-9a-f]{6}$/),
      m: int(set.m, 'shareSet.m', 1, n),
      n,
      custodians: custodians as string[],
    },
    origin: { kind, explanation: str(origin.explanation, 'origin.explanation') },
    source: { tokenLabel: str(source.tokenLabel, 'source.tokenLabel'), tokenSerial: str(source.tokenSerial, 'source.tokenSerial') },
    mac: str(o.mac, 'mac', /^[0-9a-f]{64}$/),
  };
  if (wrap.kekAlgorithm !== 'AES-256') throw bad('only AES-256 KEKs are supported', 'wrap.kekAlgorithm');
  if (origin.previousSetId !== undefined) b.origin.previousSetId = str(origin.previousSetId, 'origin.previousSetId', /^[0-9a-f]{6}$/);
  const fp = await spkiFingerprint(fromBase64(b.key.publicKeySpki));
  if (fp !== b.key.fingerprint) throw bad('the public key does not match its recorded fingerprint', 'key.fingerprint');
  return b;
}

export function expectationOf(b: BackupFile): SetExpectation {
  return { setId: b.shareSet.id, kcv: b.wrap.kekCheckValue, m: b.shareSet.m, n: b.shareSet.n, custodians: b.shareSet.custodians };
}

export const wrappedKeyBytes = (b: BackupFile): Uint8Array => fromBase64(b.wrap.wrappedKey);
export const keyIdBytes = (b: BackupFile): Uint8Array => fromHex(b.key.id);
export const spkiBytes = (b: BackupFile): Uint8Array => fromBase64(b.key.publicKeySpki);
export { toBase64 };

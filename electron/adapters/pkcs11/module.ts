/**
 * The PKCS#11 token layer over pkcs11js. Owns the module, sessions and logins; hands out Signers.
 * Slots are found by token label or serial, never by index (slot order changes between runs).
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { KeyceremonyError } from '../../../shared/errors';
import { type KeyType, type SignatureAlgorithm, algorithmsForKeyType, defaultSignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { ecPointToSpki, ed25519ToSpki, rsaToSpki } from '../../../shared/crypto/spki';
import { formatPkcs11Uri } from '../../../shared/pkcs11-uri';
import { readDer } from '../../../shared/encoding/der';
import {
  CKA_ALWAYS_AUTHENTICATE,
  CKA_WRAP_WITH_TRUSTED,
  CKK_EC_EDWARDS,
  CKM_EC_EDWARDS_KEY_PAIR_GEN,
  CKM_EDDSA,
  CKU_CONTEXT_SPECIFIC,
  EC_PARAMS,
  TokenFlags,
  mechanismName,
} from './constants';
import { CKR, mapPkcs11Error, rvOf } from './errors';
import { resolveModulePath } from './modules';
import { TokenSigner } from './signer';

type Handle = Buffer;

/** UTF-8 PIN bytes from a prompt, file or env var. The adapter zeroes them right after use. */
export type PinSource = () => Uint8Array | Promise<Uint8Array>;

export interface TokenFlagsInfo {
  loginRequired: boolean;
  userPinInitialized: boolean;
  tokenInitialized: boolean;
  writeProtected: boolean;
  /** PIN pad / biometric: the PIN is entered on the device, not in keyceremony. */
  protectedAuthenticationPath: boolean;
  pinCountLow: boolean;
  pinFinalTry: boolean;
  pinLocked: boolean;
  pinToBeChanged: boolean;
  soPinLocked: boolean;
}

export interface TokenInfo {
  slotId: string;
  slotDescription: string;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  firmware: string;
  hardware: string;
  flags: TokenFlagsInfo;
  mechanisms: string[];
  /** What key types this token can generate and sign with, from its mechanism list. */
  keyTypes: KeyType[];
  minPinLen: number;
  maxPinLen: number;
}

export interface ModuleInfo {
  path: string;
  manufacturer: string;
  description: string;
  cryptokiVersion: string;
  libraryVersion: string;
}

export interface TokenSelector {
  label?: string;
  serial?: string;
}

export type KeyProfile = 'non-extractable' | 'backupable';

export interface KeyAttributes {
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
  local: boolean;
  alwaysAuthenticate: boolean;
  wrapWithTrusted: boolean;
  private: boolean;
  sign: boolean;
  decrypt: boolean;
  unwrap: boolean;
  derive: boolean;
}

export interface TokenKey {
  label: string;
  id: Uint8Array;
  idHex: string;
  keyType: KeyType;
  publicKeySpki: Uint8Array;
  /** sha256 hex of the SPKI DER. */
  fingerprint: string;
  privateHandle: Handle;
  publicHandle?: Handle;
  attrs: KeyAttributes;
  /** RFC 7512 URI for this key's private object (no PIN). */
  uri: string;
  token: { label: string; serial: string };
}

export interface GenerateSpec {
  keyType: KeyType;
  label: string;
  /** CKA_ID; default: the first 20 bytes of sha256(label) would collide across tokens, so we default to random 16 bytes. */
  id?: Uint8Array;
  profile?: KeyProfile;
  /** CKA_ALWAYS_AUTHENTICATE: the token asks for the PIN before every signature. */
  alwaysAuthenticate?: boolean;
}

const trimPad = (s: string) => s.replace(/[\s\0]+$/g, '');
const ver = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;
const flag = (f: number, bit: number) => (f & bit) !== 0;

export function keyTypesFromMechanisms(mechs: Set<number>): KeyType[] {
  const out: KeyType[] = [];
  if (mechs.has(pkcs11js.CKM_EC_KEY_PAIR_GEN) && mechs.has(pkcs11js.CKM_ECDSA)) out.push('ecdsa-p256', 'ecdsa-p384');
  if (mechs.has(CKM_EC_EDWARDS_KEY_PAIR_GEN) && mechs.has(CKM_EDDSA)) out.push('ed25519');
  if (mechs.has(pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN) && (mechs.has(pkcs11js.CKM_RSA_PKCS_PSS) || mechs.has(pkcs11js.CKM_RSA_PKCS))) {
    out.push('rsa-3072', 'rsa-4096');
  }
  return out;
}

interface LoadedModule {
  lib: pkcs11js.PKCS11;
  refs: number;
  weInitialized: boolean;
}
const loaded = new Map<string, LoadedModule>();

export class Pkcs11Module {
  readonly path: string;
  private readonly lib: pkcs11js.PKCS11;
  private closed = false;

  private constructor(path: string, lib: pkcs11js.PKCS11) {
    this.path = path;
    this.lib = lib;
  }

  /** Load a PKCS#11 module (shared per process and path, tolerant of an already initialised module). */
  static open(modulePath?: string): Pkcs11Module {
    const path = resolveModulePath(modulePath);
    if (!path) {
      throw new KeyceremonyError(
        'MODULE_NOT_FOUND',
        'No PKCS#11 module found. Install your token vendor\'s module (or softhsm2 for rehearsals) and pass --module PATH or set KEYCEREMONY_PKCS11_MODULE.',
      );
    }
    let entry = loaded.get(path);
    if (!entry) {
      const lib = new pkcs11js.PKCS11();
      try {
        lib.load(path);
      } catch (e) {
        throw new KeyceremonyError('MODULE_LOAD_FAILED', `Could not load the PKCS#11 module at ${path}: ${(e as Error).message}`, {
          where: path,
          cause: e,
        });
      }
      let weInitialized = true;
      try {
        lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      } catch (e) {
        if (rvOf(e) === CKR.CRYPTOKI_ALREADY_INITIALIZED) weInitialized = false;
        else throw mapPkcs11Error(e, `initialising the PKCS#11 module ${path}`);
      }
      entry = { lib, refs: 0, weInitialized };
      loaded.set(path, entry);
    }
    entry.refs++;
    return new Pkcs11Module(path, entry.lib);
  }

  /** Release this handle; the module is finalised when the last handle closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const entry = loaded.get(this.path);
    if (!entry) return;
    entry.refs--;
    if (entry.refs <= 0) {
      loaded.delete(this.path);
      try {
        if (entry.weInitialized) entry.lib.C_Finalize();
      } catch {
        /* finalising a module that is going away: nothing useful to report */
      }
      try {
        entry.lib.close();
      } catch {
        /* ignore */
      }
    }
  }

  private check(): void {
    if (this.closed) throw new KeyceremonyError('SESSION_CLOSED', 'This PKCS#11 module handle is closed.');
  }

  info(): ModuleInfo {
    this.check();
    const i = this.lib.C_GetInfo();
    return {
      path: this.path,
      manufacturer: trimPad(i.manufacturerID),
      description: trimPad(i.libraryDescription),
      cryptokiVersion: ver(i.cryptokiVersion),
      libraryVersion: ver(i.libraryVersion),
    };
  }

  /** Inventory: every slot with a token present. */
  tokens(): TokenInfo[] {
    this.check();
    let slots: Handle[];
    try {
      slots = this.lib.C_GetSlotList(true);
    } catch (e) {
      throw mapPkcs11Error(e, 'listing token slots');
    }
    const out: TokenInfo[] = [];
    for (const slot of slots) {
      try {
        out.push(this.tokenInfo(slot));
      } catch (e) {
        // A token pulled out between the list and the query is not an inventory failure.
        const err = mapPkcs11Error(e, 'reading token information');
        if (err.code !== 'TOKEN_NOT_PRESENT' && err.code !== 'TOKEN_NOT_RECOGNIZED') throw err;
      }
    }
    return out;
  }

  private tokenInfo(slot: Handle): TokenInfo {
    const si = this.lib.C_GetSlotInfo(slot);
    const ti = this.lib.C_GetTokenInfo(slot);
    const mechs = new Set(this.lib.C_GetMechanismList(slot));
    const f = ti.flags;
    return {
      slotId: slot.toString('hex'),
      slotDescription: trimPad(si.slotDescription),
      label: trimPad(ti.label),
      manufacturer: trimPad(ti.manufacturerID),
      model: trimPad(ti.model),
      serial: trimPad(ti.serialNumber),
      firmware: ver(ti.firmwareVersion),
      hardware: ver(ti.hardwareVersion),
      flags: {
        loginRequired: flag(f, TokenFlags.LOGIN_REQUIRED),
        userPinInitialized: flag(f, TokenFlags.USER_PIN_INITIALIZED),
        tokenInitialized: flag(f, TokenFlags.TOKEN_INITIALIZED),
        writeProtected: flag(f, TokenFlags.WRITE_PROTECTED),
        protectedAuthenticationPath: flag(f, TokenFlags.PROTECTED_AUTHENTICATION_PATH),
        pinCountLow: flag(f, TokenFlags.USER_PIN_COUNT_LOW),
        pinFinalTry: flag(f, TokenFlags.USER_PIN_FINAL_TRY),
        pinLocked: flag(f, TokenFlags.USER_PIN_LOCKED),
        pinToBeChanged: flag(f, TokenFlags.USER_PIN_TO_BE_CHANGED),
        soPinLocked: flag(f, TokenFlags.SO_PIN_LOCKED),
      },
      mechanisms: [...mechs].sort((a, b) => a - b).map(mechanismName),
      keyTypes: keyTypesFromMechanisms(mechs),
      minPinLen: ti.minPinLen,
      maxPinLen: ti.maxPinLen,
    };
  }

  /** Find one token by label and/or serial. */
  findToken(sel: TokenSelector): TokenInfo {
    if (!sel.label && !sel.serial) {
      throw new KeyceremonyError('INVALID_INPUT', 'Say which token to use: give its label or its serial number.');
    }
    const all = this.tokens();
    const hits = all.filter((t) => (!sel.label || t.label === sel.label) && (!sel.serial || t.serial === sel.serial));
    const what = [sel.label && `label "${sel.label}"`, sel.serial && `serial ${sel.serial}`].filter(Boolean).join(' and ');
    if (hits.length === 0) {
      const present =
        all
          .filter((t) => t.flags.tokenInitialized)
          .map((t) => `"${t.label}" (serial ${t.serial})`)
          .join(', ') || 'none';
      throw new KeyceremonyError('TOKEN_NOT_FOUND', `No token with ${what} is inserted. Tokens present: ${present}.`, {
        where: what,
      });
    }
    if (hits.length > 1) {
      throw new KeyceremonyError(
        'TOKEN_AMBIGUOUS',
        `${hits.length} tokens match ${what}. Select the token by serial number instead.`,
        { where: what },
      );
    }
    return hits[0] as TokenInfo;
  }

  /**
   * Open a session on the selected token, log in with the PIN if one is given (or if the token has a
   * PIN pad), run `fn`, then always log out and close the session.
   */
  async withSession<T>(
    sel: TokenSelector,
    opts: { pin?: PinSource; rw?: boolean; login?: boolean },
    fn: (s: TokenSession) => Promise<T> | T,
  ): Promise<T> {
    this.check();
    const token = this.findToken(sel);
    const slot = Buffer.from(token.slotId, 'hex');
    let session: Handle;
    try {
      session = this.lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | (opts.rw ? pkcs11js.CKF_RW_SESSION : 0));
    } catch (e) {
      throw mapPkcs11Error(e, `opening a session with token "${token.label}"`, { token: token.label, serial: token.serial });
    }
    let loggedIn = false;
    try {
      const wantLogin = opts.login ?? (opts.pin !== undefined || token.flags.protectedAuthenticationPath);
      if (wantLogin) {
        const bytes = opts.pin ? await opts.pin() : undefined;
        login(this.lib, session, token, pkcs11js.CKU_USER, bytes, () => this.refreshToken(token));
        loggedIn = true;
      }
      const s = new TokenSession(this.lib, session, token, this.path, opts.pin);
      return await fn(s);
    } finally {
      if (loggedIn) {
        try {
          this.lib.C_Logout(session);
        } catch {
          /* the session may already be gone */
        }
      }
      try {
        this.lib.C_CloseSession(session);
      } catch {
        /* ignore: closing a session on a removed token */
      }
    }
  }

  private refreshToken(token: TokenInfo): TokenInfo | undefined {
    try {
      return this.tokens().find((t) => t.serial === token.serial && t.label === token.label);
    } catch {
      return undefined;
    }
  }
}

function login(
  lib: pkcs11js.PKCS11,
  session: Handle,
  token: TokenInfo,
  userType: number,
  bytes: Uint8Array | undefined,
  refresh: () => TokenInfo | undefined,
): void {
  if (token.flags.pinLocked && userType === pkcs11js.CKU_USER) {
    throw new KeyceremonyError(
      'PIN_LOCKED',
      `The PIN of token "${token.label}" (serial ${token.serial}) is locked after too many wrong tries. The security officer must reset it before this token can be used.`,
      { details: { token: token.label, serial: token.serial } },
    );
  }
  const ctx = `logging in to token "${token.label}" (serial ${token.serial})`;
  if (!bytes) {
    if (!token.flags.protectedAuthenticationPath) {
      throw new KeyceremonyError('PIN_REQUIRED', `Token "${token.label}" needs its PIN to continue.`, {
        details: { token: token.label, serial: token.serial },
      });
    }
    try {
      lib.C_Login(session, userType); // PIN pad: the token asks for the PIN itself
    } catch (e) {
      if (rvOf(e) === CKR.USER_ALREADY_LOGGED_IN) return;
      throw mapPkcs11Error(e, ctx);
    }
    return;
  }
  // pkcs11js takes the PIN as a JS string (it cannot be zeroed); we keep it only for this call and
  // zero the byte buffer we were given.
  try {
    lib.C_Login(session, userType, new TextDecoder().decode(bytes));
  } catch (e) {
    const rv = rvOf(e);
    if (rv === CKR.USER_ALREADY_LOGGED_IN) return;
    const err = mapPkcs11Error(e, ctx, { token: token.label, serial: token.serial });
    if (rv === CKR.PIN_INCORRECT) {
      const now = refresh();
      if (now?.flags.pinLocked) {
        throw new KeyceremonyError('PIN_LOCKED', `Wrong PIN: the PIN of token "${token.label}" is now locked. The security officer must reset it.`, {
          cause: e,
          details: { token: token.label, serial: token.serial, triesLeft: 0 },
        });
      }
      const tries = now?.flags.pinFinalTry ? ' Only ONE try is left before the token locks.' : now?.flags.pinCountLow ? ' Few tries are left before the token locks.' : '';
      throw new KeyceremonyError('PIN_INCORRECT', `Wrong PIN for token "${token.label}" (serial ${token.serial}).${tries} Check the PIN and try again.`, {
        cause: e,
        details: {
          token: token.label,
          serial: token.serial,
          ...(now?.flags.pinFinalTry ? { triesLeft: 1, finalTry: true } : {}),
          ...(now?.flags.pinCountLow ? { pinCountLow: true } : {}),
        },
      });
    }
    throw err;
  } finally {
    bytes.fill(0);
  }
}

export class TokenSession {
  /** Raw access for adapters that need calls this class does not wrap (backup wrap/unwrap). */
  readonly raw: { pkcs11: pkcs11js.PKCS11; session: Handle };

  constructor(
    private readonly lib: pkcs11js.PKCS11,
    private readonly session: Handle,
    readonly token: TokenInfo,
    readonly modulePath: string,
    private readonly pin?: PinSource,
  ) {
    this.raw = { pkcs11: lib, session };
  }

  private find(template: pkcs11js.Template, max = 64): Handle[] {
    try {
      this.lib.C_FindObjectsInit(this.session, template);
      try {
        return this.lib.C_FindObjects(this.session, max);
      } finally {
        this.lib.C_FindObjectsFinal(this.session);
      }
    } catch (e) {
      throw mapPkcs11Error(e, `searching token "${this.token.label}"`);
    }
  }

  private attrs(h: Handle, types: number[]): Map<number, Buffer> {
    const res = this.lib.C_GetAttributeValue(
      this.session,
      h,
      types.map((type) => ({ type })),
    );
    const m = new Map<number, Buffer>();
    for (const a of res) if (Buffer.isBuffer(a.value)) m.set(a.type, a.value);
    return m;
  }

  private bool(m: Map<number, Buffer>, t: number): boolean {
    const v = m.get(t);
    return !!v && v.length > 0 && v[0] !== 0;
  }

  private optionalBool(h: Handle, t: number): boolean {
    try {
      return this.bool(this.attrs(h, [t]), t);
    } catch {
      return false;
    }
  }

  /** All key pairs (by their private key objects) matching the selector. */
  findKeys(sel: { label?: string; id?: Uint8Array } = {}): TokenKey[] {
    const tmpl: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }];
    if (sel.label !== undefined) tmpl.push({ type: pkcs11js.CKA_LABEL, value: sel.label });
    if (sel.id !== undefined) tmpl.push({ type: pkcs11js.CKA_ID, value: Buffer.from(sel.id) });
    const out: TokenKey[] = [];
    for (const h of this.find(tmpl)) {
      const k = this.describe(h);
      if (k) out.push(k);
    }
    return out;
  }

  findKey(sel: { label?: string; id?: Uint8Array }): TokenKey {
    if (sel.label === undefined && sel.id === undefined) {
      throw new KeyceremonyError('INVALID_INPUT', 'Say which key to use: give its label or its id.');
    }
    const keys = this.findKeys(sel);
    const what = [sel.label !== undefined && `label "${sel.label}"`, sel.id && `id ${Buffer.from(sel.id).toString('hex')}`]
      .filter(Boolean)
      .join(' and ');
    if (keys.length === 0) {
      throw new KeyceremonyError('KEY_NOT_FOUND', `Token "${this.token.label}" (serial ${this.token.serial}) has no private key with ${what}.`, {
        where: what,
      });
    }
    if (keys.length > 1) {
      throw new KeyceremonyError('KEY_AMBIGUOUS', `Token "${this.token.label}" has ${keys.length} keys with ${what}; select by id.`, {
        where: what,
      });
    }
    return keys[0] as TokenKey;
  }

  /** Describe a private key object and find its public half (by CKA_ID) to export the SPKI. */
  private describe(priv: Handle): TokenKey | undefined {
    const A = pkcs11js;
    const m = this.attrs(priv, [A.CKA_KEY_TYPE, A.CKA_ID, A.CKA_LABEL]);
    const keyTypeRaw = m.get(A.CKA_KEY_TYPE);
    if (!keyTypeRaw) return undefined;
    const ckk = keyTypeRaw.readUIntLE(0, Math.min(keyTypeRaw.length, 6));
    const id = new Uint8Array(m.get(A.CKA_ID) ?? Buffer.alloc(0));
    const label = (m.get(A.CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8');
    const flagsM = this.attrs(priv, [
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
    ]);
    const attrs: KeyAttributes = {
      sensitive: this.bool(flagsM, A.CKA_SENSITIVE),
      extractable: this.bool(flagsM, A.CKA_EXTRACTABLE),
      alwaysSensitive: this.bool(flagsM, A.CKA_ALWAYS_SENSITIVE),
      neverExtractable: this.bool(flagsM, A.CKA_NEVER_EXTRACTABLE),
      local: this.bool(flagsM, A.CKA_LOCAL),
      private: this.bool(flagsM, A.CKA_PRIVATE),
      sign: this.bool(flagsM, A.CKA_SIGN),
      decrypt: this.bool(flagsM, A.CKA_DECRYPT),
      unwrap: this.bool(flagsM, A.CKA_UNWRAP),
      derive: this.bool(flagsM, A.CKA_DERIVE),
      alwaysAuthenticate: this.optionalBool(priv, CKA_ALWAYS_AUTHENTICATE),
      wrapWithTrusted: this.optionalBool(priv, CKA_WRAP_WITH_TRUSTED),
    };
    const pubTmpl: pkcs11js.Template = [
      { type: A.CKA_CLASS, value: A.CKO_PUBLIC_KEY },
      { type: A.CKA_ID, value: Buffer.from(id) },
    ];
    const pubs = id.length ? this.find(pubTmpl, 2) : [];
    const pub = pubs.length === 1 ? pubs[0] : undefined;
    let keyType: KeyType;
    let spki: Uint8Array;
    const src = pub ?? priv;
    if (ckk === A.CKK_EC) {
      const pm = this.attrs(src, pub ? [A.CKA_EC_PARAMS, A.CKA_EC_POINT] : [A.CKA_EC_PARAMS]);
      const params = pm.get(A.CKA_EC_PARAMS);
      if (!params) return undefined;
      if (params.equals(EC_PARAMS['P-256'])) keyType = 'ecdsa-p256';
      else if (params.equals(EC_PARAMS['P-384'])) keyType = 'ecdsa-p384';
      else return undefined;
      const pt = pm.get(A.CKA_EC_POINT);
      if (!pt) return undefined;
      spki = ecPointToSpki(unwrapOctetString(pt));
    } else if (ckk === CKK_EC_EDWARDS) {
      keyType = 'ed25519';
      if (!pub) return undefined;
      const pt = this.attrs(pub, [A.CKA_EC_POINT]).get(A.CKA_EC_POINT);
      if (!pt) return undefined;
      spki = ed25519ToSpki(unwrapOctetString(pt));
    } else if (ckk === A.CKK_RSA) {
      const rm = this.attrs(src, [A.CKA_MODULUS, A.CKA_PUBLIC_EXPONENT]);
      const mod = rm.get(A.CKA_MODULUS);
      const exp = rm.get(A.CKA_PUBLIC_EXPONENT);
      if (!mod || !exp) return undefined;
      spki = rsaToSpki(mod, exp);
      const bits = mod.length * 8;
      keyType = bits > 3072 ? 'rsa-4096' : 'rsa-3072';
    } else {
      return undefined;
    }
    const fingerprint = createHash('sha256').update(spki).digest('hex');
    return {
      label,
      id,
      idHex: Buffer.from(id).toString('hex'),
      keyType,
      publicKeySpki: spki,
      fingerprint,
      privateHandle: priv,
      ...(pub ? { publicHandle: pub } : {}),
      attrs,
      uri: formatPkcs11Uri({
        token: this.token.label,
        serial: this.token.serial,
        id,
        object: label,
        type: 'private',
        modulePath: this.modulePath,
      }),
      token: { label: this.token.label, serial: this.token.serial },
    };
  }

  /**
   * Generate a key pair on the token. Idempotent: a key with the same label, id and type is returned
   * with `created: false`. A different key under the same label or id is refused (KEY_EXISTS).
   */
  async generateKeyPair(spec: GenerateSpec): Promise<{ key: TokenKey; created: boolean }> {
    const A = pkcs11js;
    if (!spec.label) throw new KeyceremonyError('INVALID_INPUT', 'A key needs a label.', { where: 'label' });
    if (!this.token.keyTypes.includes(spec.keyType)) {
      throw new KeyceremonyError(
        'ALGORITHM_UNSUPPORTED',
        `Token "${this.token.label}" (${this.token.manufacturer} ${this.token.model}) cannot generate ${spec.keyType} keys. It supports: ${this.token.keyTypes.join(', ') || 'none of the key types keyceremony uses'}.`,
        { where: 'keyType' },
      );
    }
    const byLabel = this.findKeys({ label: spec.label });
    const byId = spec.id ? this.findKeys({ id: spec.id }) : [];
    const same = byLabel.find((k) => (!spec.id || Buffer.from(k.id).equals(Buffer.from(spec.id))) && k.keyType === spec.keyType);
    if (same && byLabel.length === 1 && byId.every((k) => k.privateHandle.equals(same.privateHandle))) {
      return { key: same, created: false };
    }
    if (byLabel.length > 0) {
      throw new KeyceremonyError(
        'KEY_EXISTS',
        `Token "${this.token.label}" already has a different key labelled "${spec.label}" (${byLabel.map((k) => `${k.keyType}, id ${k.idHex}`).join('; ')}). Choose another label or remove that key.`,
        { where: 'label' },
      );
    }
    if (byId.length > 0) {
      throw new KeyceremonyError(
        'KEY_EXISTS',
        `Token "${this.token.label}" already has a key with id ${Buffer.from(spec.id as Uint8Array).toString('hex')} (label "${byId[0]?.label}").`,
        { where: 'id' },
      );
    }
    const id = Buffer.from(spec.id ?? (await import('node:crypto')).randomBytes(16));
    const backupable = spec.profile === 'backupable';
    const common = [
      { type: A.CKA_TOKEN, value: true },
      { type: A.CKA_ID, value: id },
      { type: A.CKA_LABEL, value: spec.label },
    ];
    // Every usage attribute set explicitly: SoftHSM's defaults allow decrypt/unwrap/derive.
    const pub: pkcs11js.Template = [
      ...common,
      { type: A.CKA_CLASS, value: A.CKO_PUBLIC_KEY },
      { type: A.CKA_PRIVATE, value: false },
      { type: A.CKA_VERIFY, value: true },
      { type: A.CKA_ENCRYPT, value: false },
      { type: A.CKA_WRAP, value: false },
      { type: A.CKA_DERIVE, value: false },
    ];
    const priv: pkcs11js.Template = [
      ...common,
      { type: A.CKA_CLASS, value: A.CKO_PRIVATE_KEY },
      { type: A.CKA_PRIVATE, value: true },
      { type: A.CKA_SENSITIVE, value: true },
      { type: A.CKA_EXTRACTABLE, value: backupable },
      { type: A.CKA_SIGN, value: true },
      { type: A.CKA_DECRYPT, value: false },
      { type: A.CKA_UNWRAP, value: false },
      { type: A.CKA_DERIVE, value: false },
    ];
    if (backupable) priv.push({ type: CKA_WRAP_WITH_TRUSTED, value: true });
    if (spec.alwaysAuthenticate) priv.push({ type: CKA_ALWAYS_AUTHENTICATE, value: true });
    let mech: pkcs11js.Mechanism;
    switch (spec.keyType) {
      case 'ecdsa-p256':
      case 'ecdsa-p384':
        mech = { mechanism: A.CKM_EC_KEY_PAIR_GEN };
        pub.push({ type: A.CKA_KEY_TYPE, value: A.CKK_EC });
        priv.push({ type: A.CKA_KEY_TYPE, value: A.CKK_EC });
        pub.push({ type: A.CKA_EC_PARAMS, value: spec.keyType === 'ecdsa-p256' ? EC_PARAMS['P-256'] : EC_PARAMS['P-384'] });
        break;
      case 'ed25519':
        mech = { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN };
        pub.push({ type: A.CKA_KEY_TYPE, value: CKK_EC_EDWARDS });
        priv.push({ type: A.CKA_KEY_TYPE, value: CKK_EC_EDWARDS });
        pub.push({ type: A.CKA_EC_PARAMS, value: EC_PARAMS.Ed25519 });
        break;
      case 'rsa-3072':
      case 'rsa-4096':
        mech = { mechanism: A.CKM_RSA_PKCS_KEY_PAIR_GEN };
        pub.push({ type: A.CKA_KEY_TYPE, value: A.CKK_RSA });
        priv.push({ type: A.CKA_KEY_TYPE, value: A.CKK_RSA });
        pub.push({ type: A.CKA_MODULUS_BITS, value: spec.keyType === 'rsa-3072' ? 3072 : 4096 });
        pub.push({ type: A.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
        break;
    }
    try {
      await new Promise<void>((resolve, reject) =>
        this.lib.C_GenerateKeyPair(this.session, mech, pub, priv, (err) => (err ? reject(err) : resolve())),
      );
    } catch (e) {
      throw mapPkcs11Error(e, `generating a ${spec.keyType} key on token "${this.token.label}"`);
    }
    return { key: this.findKey({ label: spec.label, id }), created: true };
  }

  /** A Signer for a key on this token, valid while the session is open. */
  signer(key: TokenKey, opts: { algorithm?: SignatureAlgorithm } = {}): TokenSigner {
    const algorithm = opts.algorithm ?? defaultSignatureAlgorithm(key.keyType);
    if (!algorithmsForKeyType(key.keyType).includes(algorithm)) {
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `A ${key.keyType} key cannot sign with ${algorithm}.`, { where: 'algorithm' });
    }
    return new TokenSigner(this.lib, this.session, key, algorithm, this.token, {
      pin: () => this.contextPin(),
      login: (b) => this.contextLogin(b),
    });
  }

  /** CKA_ALWAYS_AUTHENTICATE keys (YubiKey PIV 9c) need the PIN again right after C_SignInit. */
  private async contextPin(): Promise<Uint8Array | undefined> {
    return this.pin ? await this.pin() : undefined;
  }

  private contextLogin(bytes: Uint8Array | undefined): void {
    login(this.lib, this.session, this.token, CKU_CONTEXT_SPECIFIC, bytes, () => undefined);
  }

  /** Delete a key pair (both halves). Used by rehearsal clean-up and tests. */
  destroyKey(key: TokenKey): void {
    try {
      this.lib.C_DestroyObject(this.session, key.privateHandle);
      if (key.publicHandle) this.lib.C_DestroyObject(this.session, key.publicHandle);
    } catch (e) {
      throw mapPkcs11Error(e, `deleting key "${key.label}" on token "${this.token.label}"`);
    }
  }
}

/** CKA_EC_POINT is a DER OCTET STRING around the point on most tokens; some return the raw point. */
function unwrapOctetString(b: Buffer): Uint8Array {
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

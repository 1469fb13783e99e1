/**
 * The PKCS#11 module: loading (once per process and path), the token inventory, and opening a
 * logged-in session (session.ts) on a token found by label or serial, never by slot index (slot order
 * changes between runs). Each token gets its profile (profiles/) here.
 */
import pkcs11js from 'pkcs11js';
import { KeyceremonyError } from '../../../shared/errors';
import type { KeyType } from '../../../shared/crypto/algorithms';
import { CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, TokenFlags, mechanismName } from './constants';
import { CKR, mapPkcs11Error, rvOf } from './errors';
import { login, logout } from './login';
import { retryWhileBusy } from './busy';
import { resolveModulePath } from './modules';
import { crashPoint } from '../test-hooks';
import { profileById, profileFor } from './profiles';
import { TokenSession } from './session';
import type { Handle, ModuleInfo, PinSource, TokenInfo, TokenSelector } from './types';

export type { GenerateSpec, KeyAttributes, KeyProfile, ModuleInfo, PinSource, TokenFlagsInfo, TokenInfo, TokenKey, TokenObject, TokenSelector } from './types';
export { TokenSession } from './session';

const trimPad = (s: string) => s.replace(/[\s\0]+$/g, '');
const ver = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;
const flag = (f: number, bit: number) => (f & bit) !== 0;

/**
 * Key types a token can generate and sign with, from its mechanism list. `rsaMaxBits` is the RSA
 * key-pair mechanism's maximum key size (C_GetMechanismInfo), when the token says: tpm2-pkcs11 stops
 * at 3072, a YubiKey before firmware 5.7 at 2048.
 */
export function keyTypesFromMechanisms(mechs: Set<number>, rsaMaxBits?: number): KeyType[] {
  const out: KeyType[] = [];
  if (mechs.has(pkcs11js.CKM_EC_KEY_PAIR_GEN) && mechs.has(pkcs11js.CKM_ECDSA)) out.push('ecdsa-p256', 'ecdsa-p384');
  if (mechs.has(CKM_EC_EDWARDS_KEY_PAIR_GEN) && mechs.has(CKM_EDDSA)) out.push('ed25519');
  if (mechs.has(pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN) && (mechs.has(pkcs11js.CKM_RSA_PKCS_PSS) || mechs.has(pkcs11js.CKM_RSA_PKCS))) {
    for (const [t, bits] of [
      ['rsa-3072', 3072],
      ['rsa-4096', 4096],
    ] as const)
      if (!rsaMaxBits || rsaMaxBits >= bits) out.push(t);
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
  /** Called with the token before every session this handle opens (see guarded()). */
  private guard?: (token: TokenInfo) => Promise<void> | void;

  private constructor(path: string, lib: pkcs11js.PKCS11) {
    this.path = path;
    this.lib = lib;
  }

  /** Load a PKCS#11 module (shared per process and path, tolerant of an already initialised module). */
  static open(modulePath?: string, opts: { library?: pkcs11js.PKCS11 } = {}): Pkcs11Module {
    const path = resolveModulePath(modulePath);
    if (!path) {
      throw new KeyceremonyError(
        'MODULE_NOT_FOUND',
        "No PKCS#11 module found. Install your token vendor's module (or softhsm2 for rehearsals) and pass --module PATH or set KEYCEREMONY_PKCS11_MODULE.",
      );
    }
    let entry = loaded.get(path);
    if (!entry) {
      // `library`: a stand-in for a module that cannot run here, loaded instead of the file (the
      // ykcs11 double in test/helpers); everything above the library is the real token layer.
      const lib = opts.library ?? new pkcs11js.PKCS11();
      try {
        if (!opts.library) lib.load(path);
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

  /**
   * Another handle on this module whose every session first calls `guard(token)`, which may refuse
   * (throw) before the session opens: a ceremony's token locks. Close it like any handle.
   */
  guarded(guard: (token: TokenInfo) => Promise<void> | void): Pkcs11Module {
    this.check();
    const entry = loaded.get(this.path);
    if (entry) entry.refs++;
    const m = new Pkcs11Module(this.path, this.lib);
    m.guard = guard;
    return m;
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
    const module = this.info();
    const out: TokenInfo[] = [];
    for (const slot of slots) {
      try {
        out.push(this.tokenInfo(slot, module));
      } catch (e) {
        // A token pulled out between the list and the query is not an inventory failure.
        const err = mapPkcs11Error(e, 'reading token information');
        if (err.code !== 'TOKEN_NOT_PRESENT' && err.code !== 'TOKEN_NOT_RECOGNIZED') throw err;
      }
    }
    return out;
  }

  private tokenInfo(slot: Handle, module: ModuleInfo): TokenInfo {
    // another process writing to the token makes these answer GENERAL_ERROR for a moment (./busy.ts)
    const busy = { who: `The token in slot 0x${slot.toString('hex')}`, context: 'reading token information' };
    const si = retryWhileBusy(busy, () => this.lib.C_GetSlotInfo(slot));
    const ti = retryWhileBusy(busy, () => this.lib.C_GetTokenInfo(slot));
    const mechs = new Set(retryWhileBusy(busy, () => this.lib.C_GetMechanismList(slot)));
    let rsaMaxBits: number | undefined;
    if (mechs.has(pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN)) {
      try {
        rsaMaxBits = this.lib.C_GetMechanismInfo(slot, pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN).maxKeySize || undefined;
      } catch {
        /* no mechanism information: assume the module's list is the whole story */
      }
    }
    const f = ti.flags;
    const profile = profileFor({
      module,
      token: { manufacturer: trimPad(ti.manufacturerID), model: trimPad(ti.model), label: trimPad(ti.label), serial: trimPad(ti.serialNumber) },
    });
    const tries = profile.pinTriesLeft?.({
      pinCountLow: flag(f, TokenFlags.USER_PIN_COUNT_LOW),
      pinFinalTry: flag(f, TokenFlags.USER_PIN_FINAL_TRY),
      pinLocked: flag(f, TokenFlags.USER_PIN_LOCKED),
    });
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
        soPinCountLow: flag(f, TokenFlags.SO_PIN_COUNT_LOW),
        soPinFinalTry: flag(f, TokenFlags.SO_PIN_FINAL_TRY),
        soPinLocked: flag(f, TokenFlags.SO_PIN_LOCKED),
      },
      mechanisms: [...mechs].sort((a, b) => a - b).map(mechanismName),
      keyTypes: keyTypesFromMechanisms(mechs, rsaMaxBits),
      minPinLen: ti.minPinLen,
      maxPinLen: ti.maxPinLen,
      profile: profile.id,
      serialIsUnique: profile.serialIsUnique ?? true,
      ...(tries !== undefined ? { pinTriesLeft: tries } : {}),
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
      const sameSerial = hits.every((t) => !t.serialIsUnique && t.serial === hits[0]?.serial);
      throw new KeyceremonyError(
        'TOKEN_AMBIGUOUS',
        sameSerial
          ? `${hits.length} tokens match ${what}. Their module gives every token the same serial (${hits[0]?.serial}, profile ${hits[0]?.profile}): select the token by label.`
          : `${hits.length} tokens match ${what}. Select the token by serial number instead.`,
        { where: what },
      );
    }
    return hits[0] as TokenInfo;
  }

  /**
   * Open a session on the selected token, log in with the PIN if one is given (or if the token has a
   * PIN pad), run `fn`, then always log out and close the session.
   */
  async withSession<T>(sel: TokenSelector, opts: { pin?: PinSource; rw?: boolean; login?: boolean }, fn: (s: TokenSession) => Promise<T> | T): Promise<T> {
    this.check();
    const token = this.findToken(sel);
    if (this.guard) await this.guard(token);
    const slot = Buffer.from(token.slotId, 'hex');
    let session: Handle;
    try {
      const rw = opts.rw || profileById(token.profile).readWriteSessions;
      const busy = {
        who: `Token "${token.label}" (serial ${token.serial})`,
        context: 'opening a session',
        details: { token: token.label, serial: token.serial },
      };
      session = retryWhileBusy(busy, () => this.lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | (rw ? pkcs11js.CKF_RW_SESSION : 0)));
    } catch (e) {
      throw mapPkcs11Error(e, `opening a session with token "${token.label}"`, { token: token.label, serial: token.serial });
    }
    const refresh = () => this.refreshToken(token);
    let loggedIn = false;
    try {
      const wantLogin = opts.login ?? (opts.pin !== undefined || token.flags.protectedAuthenticationPath);
      if (wantLogin) {
        const bytes = opts.pin ? await opts.pin() : undefined;
        login({ lib: this.lib, session, token, refresh }, 'user', bytes);
        loggedIn = true;
        crashPoint('token:logged-in');
      }
      const s = new TokenSession({
        lib: this.lib,
        session,
        token,
        modulePath: this.path,
        profile: profileById(token.profile),
        refresh,
        ...(opts.pin ? { pin: opts.pin } : {}),
      });
      return await fn(s);
    } finally {
      if (loggedIn) logout({ lib: this.lib, session });
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

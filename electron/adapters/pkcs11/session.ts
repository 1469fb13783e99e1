/**
 * One logged-in session on one token: find, generate, sign, and the few object operations the backup
 * needs (create, wrap, unwrap, destroy, the security officer's turn). Every call that reaches the
 * module goes through here, so PIN handling (login.ts), templates (templates.ts), error mapping
 * (errors.ts) and the token's profile (profiles/) are applied in one place. There is no raw escape
 * hatch: what an adapter needs becomes a method.
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { KeyceremonyError } from '../../../shared/errors';
import { type SignatureAlgorithm, algorithmsForKeyType, defaultSignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { statedKeyPolicy } from '../../../shared/attestation';
import { mapPkcs11Error, rvOf } from './errors';
import { changePin, login, logout } from './login';
import { describeKey, describePublicKey, findObjects, inspectObject, readAttributes, type ObjectReader } from './objects';
import { backupUnsupportedError, type Operation, type TokenProfile } from './profiles';
import { keyPairTemplates, type Template, type TemplatePurpose } from './templates';
import { TokenSigner } from './signer';
import type { GenerateSpec, Handle, KeyPolicy, PinSource, PublicTokenKey, TokenInfo, TokenKey, TokenObject } from './types';

const A = pkcs11js;

export interface SessionParts {
  lib: pkcs11js.PKCS11;
  session: Handle;
  token: TokenInfo;
  modulePath: string;
  profile: TokenProfile;
  /** The user PIN source this session logged in with (asked again for context-specific logins). */
  pin?: PinSource;
  /** Re-read this token's information (flags after a wrong PIN). */
  refresh: () => TokenInfo | undefined;
}

export class TokenSession {
  readonly token: TokenInfo;
  readonly modulePath: string;
  readonly profile: TokenProfile;
  private readonly lib: pkcs11js.PKCS11;
  private readonly session: Handle;
  private readonly pin: PinSource | undefined;
  private readonly refresh: () => TokenInfo | undefined;

  constructor(p: SessionParts) {
    this.lib = p.lib;
    this.session = p.session;
    this.token = p.token;
    this.modulePath = p.modulePath;
    this.profile = p.profile;
    this.pin = p.pin;
    this.refresh = p.refresh;
  }

  private get reader(): ObjectReader {
    return { lib: this.lib, session: this.session, token: this.token, modulePath: this.modulePath };
  }

  /** Map a module error, adding the profile's sentence for refusals this module is known for. */
  private fail(e: unknown, op: Operation, context: string, keyType?: TokenKey['keyType']): KeyceremonyError {
    const err = mapPkcs11Error(e, context, { token: this.token.label, serial: this.token.serial });
    const rv = rvOf(e);
    const extra = rv === undefined ? undefined : this.profile.explain?.(rv, op, keyType);
    return extra ? new KeyceremonyError(err.code, `${err.message} ${extra}`, { cause: e, ...(err.details ? { details: err.details } : {}) }) : err;
  }

  private template(purpose: TemplatePurpose, t: Template): Template {
    return this.profile.adjustTemplate ? this.profile.adjustTemplate(purpose, t) : t;
  }

  /**
   * Change the user PIN (session not logged in) or the SO PIN (the SO logs in with the old PIN first).
   * The session must be read/write. PIN bytes are zeroed in every case.
   */
  changePin(role: 'user' | 'so', oldPin: Uint8Array, newPin: Uint8Array): void {
    const t = { lib: this.lib, session: this.session, token: this.token, refresh: this.refresh };
    if (role === 'so') {
      try {
        login(t, 'so', oldPin.slice());
        try {
          changePin(t, 'so', oldPin, newPin);
        } finally {
          logout(t);
        }
      } finally {
        oldPin.fill(0);
        newPin.fill(0);
      }
    } else {
      changePin(t, 'user', oldPin, newPin);
    }
  }

  /** All key pairs (by their private key objects) matching the selector. */
  findKeys(sel: { label?: string; id?: Uint8Array } = {}): TokenKey[] {
    const tmpl: Template = [{ type: A.CKA_CLASS, value: A.CKO_PRIVATE_KEY }];
    if (sel.label !== undefined) tmpl.push({ type: A.CKA_LABEL, value: sel.label });
    if (sel.id !== undefined) tmpl.push({ type: A.CKA_ID, value: Buffer.from(sel.id) });
    const out: TokenKey[] = [];
    for (const h of findObjects(this.reader, tmpl)) {
      const k = describeKey(this.reader, h);
      if (k) out.push(k);
    }
    return out;
  }

  /**
   * The public keys on the token, read from its public key objects: works WITHOUT logging in
   * (CKA_PRIVATE false, as our templates make them and as PIV cards expose them), so a screen can
   * offer a custodian their key before the PIN is asked for. Keys without a visible public object
   * are not listed.
   */
  findPublicKeys(): PublicTokenKey[] {
    const out: PublicTokenKey[] = [];
    for (const h of findObjects(this.reader, [{ type: A.CKA_CLASS, value: A.CKO_PUBLIC_KEY }])) {
      const k = describePublicKey(this.reader, h);
      if (k) out.push(k);
    }
    return out;
  }

  findKey(sel: { label?: string; id?: Uint8Array }): TokenKey {
    if (sel.label === undefined && sel.id === undefined) {
      throw new KeyceremonyError('INVALID_INPUT', 'Say which key to use: give its label or its id.');
    }
    const keys = this.findKeys(sel);
    const what = [sel.label !== undefined && `label "${sel.label}"`, sel.id && `id ${Buffer.from(sel.id).toString('hex')}`].filter(Boolean).join(' and ');
    if (keys.length === 0) {
      throw new KeyceremonyError('KEY_NOT_FOUND', `Token "${this.token.label}" (serial ${this.token.serial}) has no private key with ${what}.`, {
        where: what,
      });
    }
    if (keys.length > 1) {
      throw new KeyceremonyError('KEY_AMBIGUOUS', `Token "${this.token.label}" has ${keys.length} keys with ${what}; select by id.`, { where: what });
    }
    return keys[0] as TokenKey;
  }

  /**
   * Every key object on the token (private, public, secret), complete or torn, optionally only those
   * with this label or id. What the torn-object report and the clean-up look at.
   */
  objects(sel: { label?: string; id?: Uint8Array; kind?: TokenObject['kind'] } = {}): TokenObject[] {
    const tmpl: Template = [];
    if (sel.kind === 'private') tmpl.push({ type: A.CKA_CLASS, value: A.CKO_PRIVATE_KEY });
    if (sel.kind === 'public') tmpl.push({ type: A.CKA_CLASS, value: A.CKO_PUBLIC_KEY });
    if (sel.kind === 'secret') tmpl.push({ type: A.CKA_CLASS, value: A.CKO_SECRET_KEY });
    if (sel.label !== undefined) tmpl.push({ type: A.CKA_LABEL, value: sel.label });
    if (sel.id !== undefined) tmpl.push({ type: A.CKA_ID, value: Buffer.from(sel.id) });
    return findObjects(this.reader, tmpl, 4096)
      .map((h) => inspectObject(this.reader, h))
      .filter((o) => o.kind !== 'other' && (!sel.kind || o.kind === sel.kind));
  }

  /**
   * The CKA_ID and label a new key gets on this token: the profile's rules applied (fixed slots and
   * module-assigned labels), a random 16-byte id when none is asked for. Known before the key is
   * made, so they can be journaled first (interrupted.ts).
   */
  keyNames(spec: Pick<GenerateSpec, 'id' | 'label' | 'keyType' | 'slot'>): { id: Uint8Array; label: string } {
    const id = this.profile.keyId
      ? this.profile.keyId(spec.id, spec.keyType, spec.slot !== undefined ? { slot: spec.slot } : {})
      : (spec.id ?? randomBytes(16));
    return { id: new Uint8Array(id), label: this.profile.fixedLabel?.(id) ?? spec.label };
  }

  /**
   * Generate a key pair on the token. Idempotent: a key with the same label, id and type is returned
   * with `created: false`. A different key under the same label or id is refused (KEY_EXISTS).
   */
  async generateKeyPair(spec: GenerateSpec): Promise<{ key: TokenKey; created: boolean }> {
    if (!spec.label) throw new KeyceremonyError('INVALID_INPUT', 'A key needs a label.', { where: 'label' });
    if (!this.token.keyTypes.includes(spec.keyType)) {
      throw new KeyceremonyError(
        'ALGORITHM_UNSUPPORTED',
        `Token "${this.token.label}" (${this.token.manufacturer} ${this.token.model}) cannot generate ${spec.keyType} keys. It supports: ${this.token.keyTypes.join(', ') || 'none of the key types keyceremony uses'}.`,
        { where: 'keyType' },
      );
    }
    if (spec.profile === 'backupable') {
      const no = backupUnsupportedError(this.profile, this.token, 'A backup-able key');
      if (no) throw no;
    }
    // Tokens with fixed slots and module-assigned labels (ykcs11): the slot decides the id and the
    // label; the caller's label is not stored, the key is found by its id.
    if (this.profile.keyId) spec = { ...spec, id: this.profile.keyId(spec.id, spec.keyType, spec.slot !== undefined ? { slot: spec.slot } : {}) };
    const fixed = spec.id ? this.profile.fixedLabel?.(spec.id) : undefined;
    if (fixed !== undefined) spec = { ...spec, label: fixed };
    const byLabel = fixed !== undefined ? [] : this.findKeys({ label: spec.label });
    const byId = spec.id ? this.findKeys({ id: spec.id }) : [];
    if (fixed !== undefined && byId.length > 0) {
      const k = byId[0] as TokenKey;
      if (k.keyType === spec.keyType && !spec.replaceSlot) return { key: k, created: false };
      if (!spec.replaceSlot) {
        throw new KeyceremonyError(
          'KEY_EXISTS',
          `Slot ${spec.slot ?? Buffer.from(spec.id as Uint8Array).toString('hex')} of token "${this.token.label}" already holds a ${k.keyType} key (${k.fingerprint.slice(0, 16)}…); generating would replace it. Use that key, or choose another slot.`,
          { where: 'slot' },
        );
      }
    }
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
    if (byId.length > 0 && fixed === undefined) {
      throw new KeyceremonyError(
        'KEY_EXISTS',
        `Token "${this.token.label}" already has a key with id ${Buffer.from(spec.id as Uint8Array).toString('hex')} (label "${byId[0]?.label}").`,
        { where: 'id' },
      );
    }
    const id = Buffer.from(spec.id ?? randomBytes(16));
    const names = { label: spec.label, id, onToken: true };
    const t = keyPairTemplates(spec.keyType, names, {
      ...(spec.profile ? { profile: spec.profile } : {}),
      ...(spec.alwaysAuthenticate ? { alwaysAuthenticate: true } : {}),
    });
    const pub = this.template('generate-public', t.publicTemplate);
    const priv = this.template('generate-private', t.privateTemplate);
    const generate = async () => {
      try {
        await new Promise<void>((resolve, reject) =>
          this.lib.C_GenerateKeyPair(this.session, { mechanism: t.mechanism.id }, pub, priv, (err) => (err ? reject(err) : resolve())),
        );
      } catch (e) {
        throw this.fail(e, 'generate', `generating a ${spec.keyType} key on token "${this.token.label}"`, spec.keyType);
      }
    };
    if (this.profile.generateAs === 'so') {
      // ykcs11: key generation is a management-key (security officer) operation; the user login of
      // this session is put back afterwards.
      const who = this.profile.soCredential ?? 'security officer PIN';
      if (!spec.soPin)
        throw new KeyceremonyError('PIN_REQUIRED', `Token "${this.token.label}" generates keys only with its ${who}: give it (it is asked like an SO PIN).`, {
          where: 'soPin',
          details: { token: this.token.label, profile: this.profile.id },
        });
      if (!this.pin)
        throw new KeyceremonyError('PIN_REQUIRED', `Token "${this.token.label}" needs its PIN as well to read the new key back.`, { where: 'pin' });
      await this.asSecurityOfficer(spec.soPin, this.pin, generate);
    } else {
      await generate();
    }
    return { key: fixed !== undefined ? this.findKey({ id }) : this.findKey({ label: spec.label, id }), created: true };
  }

  /**
   * The key's attestation certificates, where the module exposes them as objects (ykcs11): the key's
   * own (same CKA_ID, CKA_TOKEN false, made when read) and the device certificate. Null elsewhere.
   */
  attestationCertificates(key: Pick<TokenKey, 'id'>): { keyCert: Uint8Array; deviceCert: Uint8Array } | null {
    const att = this.profile.attestation;
    if (!att) return null;
    const value = (id: Uint8Array, token: boolean): Uint8Array | undefined => {
      const tmpl: Template = [
        { type: A.CKA_CLASS, value: A.CKO_CERTIFICATE },
        { type: A.CKA_ID, value: Buffer.from(id) },
        { type: A.CKA_TOKEN, value: token },
      ];
      for (const h of findObjects(this.reader, tmpl, 4)) {
        const v = readAttributes(this.reader, h, [A.CKA_VALUE]).get(A.CKA_VALUE);
        if (v && v.length) return new Uint8Array(v);
      }
      return undefined;
    };
    const keyCert = value(key.id, false);
    const deviceCert = value(att.deviceCertificateId, true);
    return keyCert && deviceCert ? { keyCert, deviceCert } : null;
  }

  /** The PIN and touch policy the device states for this key (from its attestation), where it does. */
  keyPolicy(key: Pick<TokenKey, 'id'>): KeyPolicy | undefined {
    const c = this.attestationCertificates(key);
    return (c && statedKeyPolicy(c.keyCert)) || undefined;
  }

  /**
   * A Signer for a key on this token, valid while the session is open. `onUserPresence` is called
   * before each signature the device will hold until it is touched (YubiKey touch policy always or
   * cached): that is when to say "touch the YubiKey now".
   */
  signer(
    key: TokenKey,
    opts: {
      algorithm?: SignatureAlgorithm;
      onUserPresence?: (req: { token: string; key: string; touchPolicy: 'always' | 'cached' }) => void | Promise<void>;
    } = {},
  ): TokenSigner {
    const algorithm = opts.algorithm ?? defaultSignatureAlgorithm(key.keyType);
    if (!algorithmsForKeyType(key.keyType).includes(algorithm)) {
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `A ${key.keyType} key cannot sign with ${algorithm}.`, { where: 'algorithm' });
    }
    const contextLogin = key.attrs.alwaysAuthenticate && this.profile.login?.contextSpecific !== 'never';
    const touch = this.keyPolicy(key)?.touchPolicy;
    const presence =
      touch === 'always' || touch === 'cached' ? async () => opts.onUserPresence?.({ token: this.token.label, key: key.label, touchPolicy: touch }) : undefined;
    return new TokenSigner(this.lib, this.session, key, algorithm, this.token, {
      needed: contextLogin,
      ...(presence ? { presence } : {}),
      explain: (rv) => this.profile.explain?.(rv, 'sign', key.keyType),
      // CKA_ALWAYS_AUTHENTICATE keys (YubiKey PIV 9c) need the PIN again right after C_SignInit.
      pin: async () => (this.pin ? await this.pin() : undefined),
      login: (bytes) => login({ lib: this.lib, session: this.session, token: this.token }, 'context', bytes),
    });
  }

  /** Create an object from a template (profile edits applied). */
  createObject(purpose: TemplatePurpose, template: Template, what: string): Handle {
    try {
      return this.lib.C_CreateObject(this.session, this.template(purpose, template));
    } catch (e) {
      throw this.fail(e, 'create', `creating ${what} on token "${this.token.label}"`);
    }
  }

  /** C_WrapKey: the wrapped bytes of `key` under `wrappingKey`. */
  wrapKey(mechanism: number, wrappingKey: Handle, key: TokenKey): Buffer {
    try {
      return this.lib.C_WrapKey(this.session, { mechanism }, wrappingKey, key.privateHandle, Buffer.alloc(16384));
    } catch (e) {
      throw this.fail(e, 'wrap', `wrapping key "${key.label}" on token "${this.token.label}"`, key.keyType);
    }
  }

  /** C_UnwrapKey into an object made from `template` (profile edits applied). */
  unwrapKey(mechanism: number, unwrappingKey: Handle, blob: Uint8Array, template: Template, what: string): Handle {
    try {
      return this.lib.C_UnwrapKey(this.session, { mechanism }, unwrappingKey, Buffer.from(blob), this.template('unwrap-private', template));
    } catch (e) {
      throw this.fail(e, 'unwrap', `${what} on token "${this.token.label}"`);
    }
  }

  /** Destroy one object; `quiet` ignores failures (clean-up paths where the object may be gone). */
  destroyObject(h: Handle, opts: { quiet?: boolean; what?: string } = {}): void {
    try {
      this.lib.C_DestroyObject(this.session, h);
    } catch (e) {
      if (!opts.quiet) throw this.fail(e, 'destroy', `deleting ${opts.what ?? 'an object'} on token "${this.token.label}"`);
    }
  }

  /** Delete a key pair (both halves). Used by rehearsal clean-up and tests. */
  destroyKey(key: TokenKey): void {
    this.destroyObject(key.privateHandle, { what: `key "${key.label}"` });
    if (key.publicHandle) this.destroyObject(key.publicHandle, { what: `the public half of key "${key.label}"` });
  }

  /**
   * Run `fn` as the security officer in THIS session (session objects it creates live on for the
   * user): the user is logged out, the SO logged in, `fn` runs, the SO is logged out and the user
   * logged back in — in every case, so the session's owner finds the user login it expects.
   */
  async asSecurityOfficer<T>(soPin: PinSource, userPin: PinSource, fn: () => T | Promise<T>): Promise<T> {
    const target = { lib: this.lib, session: this.session, token: this.token, refresh: this.refresh };
    const so = await soPin();
    logout(target);
    try {
      login(target, 'so', so);
      try {
        return await fn();
      } finally {
        logout(target);
      }
    } finally {
      login(target, 'user', await userPin());
    }
  }
}

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
import { mapPkcs11Error, rvOf } from './errors';
import { login, logout } from './login';
import { describeKey, describePublicKey, findObjects, inspectObject, type ObjectReader } from './objects';
import type { Operation, TokenProfile } from './profiles';
import { keyPairTemplates, type Template, type TemplatePurpose } from './templates';
import { TokenSigner } from './signer';
import type { GenerateSpec, Handle, PinSource, PublicTokenKey, TokenInfo, TokenKey, TokenObject } from './types';

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
      throw new KeyceremonyError('KEY_NOT_FOUND', `Token "${this.token.label}" (serial ${this.token.serial}) has no private key with ${what}.`, { where: what });
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
    const id = Buffer.from(this.profile.keyId ? this.profile.keyId(spec.id, spec.keyType) : (spec.id ?? randomBytes(16)));
    const names = { label: spec.label, id, onToken: true };
    const t = keyPairTemplates(spec.keyType, names, {
      ...(spec.profile ? { profile: spec.profile } : {}),
      ...(spec.alwaysAuthenticate ? { alwaysAuthenticate: true } : {}),
    });
    const pub = this.template('generate-public', t.publicTemplate);
    const priv = this.template('generate-private', t.privateTemplate);
    try {
      await new Promise<void>((resolve, reject) =>
        this.lib.C_GenerateKeyPair(this.session, { mechanism: t.mechanism.id }, pub, priv, (err) => (err ? reject(err) : resolve())),
      );
    } catch (e) {
      throw this.fail(e, 'generate', `generating a ${spec.keyType} key on token "${this.token.label}"`, spec.keyType);
    }
    return { key: this.findKey({ label: spec.label, id }), created: true };
  }

  /** A Signer for a key on this token, valid while the session is open. */
  signer(key: TokenKey, opts: { algorithm?: SignatureAlgorithm } = {}): TokenSigner {
    const algorithm = opts.algorithm ?? defaultSignatureAlgorithm(key.keyType);
    if (!algorithmsForKeyType(key.keyType).includes(algorithm)) {
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `A ${key.keyType} key cannot sign with ${algorithm}.`, { where: 'algorithm' });
    }
    const contextLogin = key.attrs.alwaysAuthenticate && this.profile.login?.contextSpecific !== 'never';
    return new TokenSigner(this.lib, this.session, key, algorithm, this.token, {
      needed: contextLogin,
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

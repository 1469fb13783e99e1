/**
 * The engine's TokenService over the PKCS#11 token layer (electron/adapters/pkcs11).
 * One session per token per call; several keys on one token share that session.
 */
import { fromHex } from '../../../shared/encoding/bytes';
import { KeyceremonyError } from '../../../shared/errors';
import type { Signer } from '../../core/signer';
import type { GeneratedKey, PinSource, PresentToken, TokenRef, TokenService } from '../../core/ceremony/types';
import type { KeyType, SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { Pkcs11Module, type TokenSession } from '../pkcs11';
import { generateKeyOnce, type IncompletePolicy } from '../pkcs11/interrupted';
import type { TokenJournal } from '../pkcs11/types';

const sel = (t: TokenRef) => (t.serial ? { serial: t.serial, label: t.label } : { label: t.label });

function mechanismFor(t: KeyType): string {
  if (t === 'ed25519') return 'CKM_EC_EDWARDS_KEY_PAIR_GEN';
  if (t.startsWith('rsa')) return 'CKM_RSA_PKCS_KEY_PAIR_GEN';
  return 'CKM_EC_KEY_PAIR_GEN';
}

export interface TokenServiceOptions {
  /** Said to the room before a signature the device holds until it is touched (YubiKey touch policy). */
  onUserPresence?: (req: { token: string; key: string; touchPolicy: 'always' | 'cached' }) => void | Promise<void>;
  /** Where key generations are journaled before the token is asked (the run folder's token-journal/). */
  journal?: TokenJournal;
  /**
   * What to do with objects an interrupted earlier attempt left on a token (issue 12 item 1):
   * 'auto' in rehearsal; in production a function asking the token's custodian. Default: refuse.
   */
  incomplete?: IncompletePolicy;
}

export class Pkcs11TokenService implements TokenService {
  constructor(
    private readonly mod: Pkcs11Module,
    private readonly opts: TokenServiceOptions = {},
  ) {}

  async present(): Promise<PresentToken[]> {
    return this.mod.tokens().map((t) => ({ label: t.label, serial: t.serial, manufacturer: t.manufacturer, model: t.model }));
  }

  async generateKey(
    token: TokenRef,
    spec: { label: string; idHex: string; keyType: KeyType; profile: 'non-extractable' | 'backupable'; slot?: string },
    pin: PinSource,
    soPin?: PinSource,
  ): Promise<GeneratedKey> {
    return this.mod.withSession(sel(token), { pin, rw: true }, async (s) => {
      const { key, created, removed } = await generateKeyOnce(
        s,
        {
          keyType: spec.keyType,
          label: spec.label,
          id: fromHex(spec.idHex),
          profile: spec.profile,
          ...(spec.slot ? { slot: spec.slot } : {}),
          ...(soPin ? { soPin } : {}),
        },
        {
          ...(this.opts.journal ? { journal: this.opts.journal } : {}),
          policy: this.opts.incomplete ?? 'refuse',
          how: 'Run the ceremony again on a terminal (or in the app) to confirm their removal, or remove them with `keyceremony keygen … --remove-incomplete`.',
        },
      );
      return {
        label: key.label,
        idHex: key.idHex,
        keyType: key.keyType,
        publicKeySpki: key.publicKeySpki,
        fingerprint: key.fingerprint,
        created,
        mechanism: mechanismFor(spec.keyType),
        ...(removed.length ? { removedIncomplete: removed } : {}),
      };
    });
  }

  async findKey(token: TokenRef, s: { label: string; idHex?: string }, pin: PinSource): Promise<GeneratedKey | null> {
    return this.mod.withSession(sel(token), { pin }, async (sess) => {
      const ks = sess.findKeys({ label: s.label, ...(s.idHex ? { id: fromHex(s.idHex) } : {}) });
      if (ks.length > 1)
        throw new KeyceremonyError('KEY_AMBIGUOUS', `Token "${token.label}" holds ${ks.length} keys labelled "${s.label}".`, { where: token.label });
      const k = ks[0];
      return k
        ? {
            label: k.label,
            idHex: k.idHex,
            keyType: k.keyType,
            publicKeySpki: k.publicKeySpki,
            fingerprint: k.fingerprint,
            created: false,
            mechanism: 'existing',
          }
        : null;
    });
  }

  async destroyKey(token: TokenRef, s: { label: string; idHex: string }, pin: PinSource): Promise<void> {
    await this.mod.withSession(sel(token), { pin, rw: true }, async (sess) => {
      for (const k of sess.findKeys({ label: s.label, id: fromHex(s.idHex) })) sess.destroyKey(k);
    });
  }

  async countKeys(token: TokenRef, s: { label?: string; idHex?: string }, pin: PinSource): Promise<number> {
    return this.mod.withSession(
      sel(token),
      { pin },
      async (sess) => sess.findKeys({ ...(s.label ? { label: s.label } : {}), ...(s.idHex ? { id: fromHex(s.idHex) } : {}) }).length,
    );
  }

  async attestation(token: TokenRef, key: { label: string; idHex: string }, pin: PinSource): Promise<{ keyCert: Uint8Array; deviceCert: Uint8Array } | null> {
    return this.mod.withSession(sel(token), { pin }, async (s) => s.attestationCertificates({ id: fromHex(key.idHex) }));
  }

  async withSigners<T>(
    keys: { token: TokenRef; key: { label: string; idHex: string }; pin: PinSource; algorithm?: SignatureAlgorithm }[],
    fn: (signers: Signer[]) => Promise<T>,
  ): Promise<T> {
    // group by token (one session each), then open the sessions nested
    const groups: { token: TokenRef; pin: PinSource; idx: number[] }[] = [];
    keys.forEach((k, i) => {
      const g = groups.find((x) => x.token.label === k.token.label && x.token.serial === k.token.serial);
      if (g) g.idx.push(i);
      else groups.push({ token: k.token, pin: k.pin, idx: [i] });
    });
    const signers: Signer[] = new Array(keys.length);
    const open = async (gi: number): Promise<T> => {
      if (gi === groups.length) return fn(signers);
      const g = groups[gi]!;
      return this.mod.withSession(sel(g.token), { pin: g.pin }, async (s: TokenSession) => {
        for (const i of g.idx) {
          const k = keys[i]!;
          const key = s.findKey({ label: k.key.label, id: fromHex(k.key.idHex) });
          if (!key) throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${k.key.label}" is not on token "${g.token.label}".`, { where: g.token.label });
          signers[i] = s.signer(key, {
            ...(k.algorithm ? { algorithm: k.algorithm } : {}),
            ...(this.opts.onUserPresence ? { onUserPresence: this.opts.onUserPresence } : {}),
          });
        }
        return open(gi + 1);
      });
    };
    return open(0);
  }
}

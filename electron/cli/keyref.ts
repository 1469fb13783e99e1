/** Shared option handling for "which token, which key" (flags or a pkcs11: URI) and the PIN. */
import { KeyceremonyError } from '../../shared/errors';
import { parsePkcs11Uri } from '../../shared/pkcs11-uri';
import { fromHex } from '../../shared/encoding/bytes';
import type { TokenKey, TokenSelector, TokenSession } from '../adapters/pkcs11';
import { UsageError } from './args';
import type { CliContext } from './context';

export const tokenOptions = {
  module: { type: 'string' },
  token: { type: 'string' },
  serial: { type: 'string' },
  'pin-file': { type: 'string' },
} as const;

export const keyOptions = {
  ...tokenOptions,
  key: { type: 'string' },
  label: { type: 'string' },
  id: { type: 'string' },
} as const;

export interface KeyRef {
  module?: string;
  token: TokenSelector;
  key: { label?: string; id?: Uint8Array };
  pinFile?: string;
}

function hexId(s: string): Uint8Array {
  try {
    return fromHex(s.replace(/^0x/, ''));
  } catch {
    throw new KeyceremonyError('INVALID_INPUT', `--id must be hex (e.g. 0a1b2c), got "${s}".`, { where: '--id' });
  }
}

export function tokenRef(v: { module?: string; token?: string; serial?: string; 'pin-file'?: string }): Omit<KeyRef, 'key'> {
  if (!v.token && !v.serial) throw new UsageError('say which token: --token LABEL or --serial SERIAL');
  return {
    ...(v.module ? { module: v.module } : {}),
    token: { ...(v.token ? { label: v.token } : {}), ...(v.serial ? { serial: v.serial } : {}) },
    ...(v['pin-file'] ? { pinFile: v['pin-file'] } : {}),
  };
}

export function keyRef(v: { module?: string; token?: string; serial?: string; 'pin-file'?: string; key?: string; label?: string; id?: string }): KeyRef {
  if (v.key) {
    const u = parsePkcs11Uri(v.key);
    if (u.pinValue !== undefined) {
      throw new KeyceremonyError(
        'INVALID_URI',
        'The pkcs11: URI carries a pin-value. keyceremony never takes a PIN from the command line; use pin-source=file:..., --pin-file or KEYCEREMONY_PIN.',
        { where: '--key' },
      );
    }
    if (!u.token && !u.serial) throw new UsageError('the pkcs11: URI must name the token (token=... or serial=...)');
    if (!u.object && !u.id) throw new UsageError('the pkcs11: URI must name the key (object=... or id=...)');
    const pinFile = v['pin-file'] ?? (u.pinSource?.startsWith('file:') ? u.pinSource.slice(5) : u.pinSource);
    return {
      ...((v.module ?? u.modulePath) ? { module: (v.module ?? u.modulePath) as string } : {}),
      token: { ...(u.token ? { label: u.token } : {}), ...(u.serial ? { serial: u.serial } : {}) },
      key: { ...(u.object ? { label: u.object } : {}), ...(u.id ? { id: u.id } : {}) },
      ...(pinFile ? { pinFile } : {}),
    };
  }
  const t = tokenRef(v);
  if (!v.label && !v.id) throw new UsageError('say which key: --label LABEL, --id HEX, or --key pkcs11:URI');
  return { ...t, key: { ...(v.label ? { label: v.label } : {}), ...(v.id ? { id: hexId(v.id) } : {}) } };
}

export function pinFor(ctx: CliContext, ref: { pinFile?: string; token: TokenSelector }) {
  return ctx.pinSource({
    pinFile: ref.pinFile,
    prompt: `PIN for token ${ref.token.label ? `"${ref.token.label}"` : ''}${ref.token.serial ? ` serial ${ref.token.serial}` : ''}: `,
  });
}

export { hexId };

/**
 * Open the module, log in to the token `ref` names, find its key and run `fn`; the session is closed
 * and the module released whatever happens. Every command that signs with a token key goes through it.
 */
export async function withTokenKey<T>(ctx: CliContext, ref: KeyRef, fn: (s: TokenSession, key: TokenKey) => Promise<T>): Promise<T> {
  const mod = ctx.openModule(ref);
  try {
    return await mod.withSession(ref.token, { pin: pinFor(ctx, ref) }, (s) => fn(s, s.findKey(ref.key)));
  } finally {
    mod.close();
  }
}

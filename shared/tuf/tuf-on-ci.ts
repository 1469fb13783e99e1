/**
 * tuf-on-ci's fields on TUF metadata (tuf_on_ci_sign/_signer_repository.py): the keyholder a key
 * belongs to, and a role's expiry and signing periods. Pure: used by the diff, the signing-event
 * status and the rotation request alike.
 */
import { KeyceremonyError } from '../errors';
import type { TufKeyJSON } from './keys';

export const KEYOWNER = 'x-tuf-on-ci-keyowner';
export const EXPIRY_PERIOD = 'x-tuf-on-ci-expiry-period';
export const SIGNING_PERIOD = 'x-tuf-on-ci-signing-period';

/** The keyholder a key names (`x-tuf-on-ci-keyowner`), if any. */
export function keyOwner(key: TufKeyJSON | undefined): string | undefined {
  const o = key?.[KEYOWNER];
  return typeof o === 'string' && o.length > 0 ? o : undefined;
}

/**
 * A keyholder handle as tuf-on-ci writes it: "@" and a GitHub user name (its signer's `user-name`
 * setting, docs/SIGNER-SETUP.md: "user-name = @my-github-username"): letters, digits and single
 * hyphens, at most 39 characters, not starting or ending with a hyphen.
 */
const HANDLE = /^@(?=.{1,39}$)[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/;

export function checkOwnerHandle(handle: string, where: string): string {
  if (!HANDLE.test(handle)) {
    throw new KeyceremonyError('INVALID_INPUT', `${where}: a keyholder is "@" and a GitHub user name, such as @alice; got ${JSON.stringify(handle)}`, {
      where,
    });
  }
  return handle;
}

/**
 * The key with its keyholder set: `owner` is written as `x-tuf-on-ci-keyowner` (the key id then
 * covers it, as in tuf-on-ci). A key that already names a different keyholder is refused; without
 * `owner` the key is returned as it is (a key file's own owner field is kept).
 */
export function withKeyOwner(key: TufKeyJSON, owner: string | undefined, where: string): TufKeyJSON {
  if (owner === undefined) return key;
  checkOwnerHandle(owner, where);
  const had = keyOwner(key);
  if (had !== undefined && had !== owner) {
    throw new KeyceremonyError('INVALID_INPUT', `${where}: the key file names its keyholder ${had}, not ${owner}; give the matching --owner or none`, {
      where,
    });
  }
  return { ...key, [KEYOWNER]: owner };
}

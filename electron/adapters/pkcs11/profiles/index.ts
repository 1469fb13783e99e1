/** The token profiles, most specific first; `generic` matches every token and comes last. */
import { KeyceremonyError } from '../../../../shared/errors';
import { genericProfile } from './generic';
import { openCryptokiProfile } from './opencryptoki';
import { softHsmProfile } from './softhsm';
import { tpm2Profile } from './tpm2';
import type { ProfileMatchInput, TokenProfile } from './types';
import { yubiHsm2Profile } from './yubihsm2';
import { cloudHsmProfile } from './cloudhsm';
import { ykcs11Profile } from './ykcs11';

export const PROFILES: readonly TokenProfile[] = [
  softHsmProfile,
  tpm2Profile,
  openCryptokiProfile,
  ykcs11Profile,
  yubiHsm2Profile,
  cloudHsmProfile,
  genericProfile,
];

/** Refused before the module is asked: a backup-able key, a backup or a restore on a token that cannot do it. */
export function backupUnsupportedError(profile: TokenProfile, token: { label: string }, what: string): KeyceremonyError | undefined {
  if (!profile.backupUnsupported) return undefined;
  return new KeyceremonyError('MECHANISM_UNSUPPORTED', `${what} on token "${token.label}" is not possible: ${profile.backupUnsupported}`, {
    where: token.label,
    details: { profile: profile.id },
  });
}

export function profileFor(t: ProfileMatchInput, profiles: readonly TokenProfile[] = PROFILES): TokenProfile {
  return profiles.find((p) => p.matches(t)) ?? genericProfile;
}

export function profileById(id: string): TokenProfile {
  return PROFILES.find((p) => p.id === id) ?? genericProfile;
}

export type { Operation, ProfileMatchInput, TokenProfile } from './types';

/** The token profiles, most specific first; `generic` matches every token and comes last. */
import { genericProfile } from './generic';
import { softHsmProfile } from './softhsm';
import type { ProfileMatchInput, TokenProfile } from './types';

export const PROFILES: readonly TokenProfile[] = [softHsmProfile, genericProfile];

export function profileFor(t: ProfileMatchInput, profiles: readonly TokenProfile[] = PROFILES): TokenProfile {
  return profiles.find((p) => p.matches(t)) ?? genericProfile;
}

export function profileById(id: string): TokenProfile {
  return PROFILES.find((p) => p.id === id) ?? genericProfile;
}

export type { Operation, ProfileMatchInput, TokenProfile } from './types';

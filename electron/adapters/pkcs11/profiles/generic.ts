/** The standard PKCS#11 v2.40 behaviour: no quirks. Every token uses it unless a profile matches first. */
import type { TokenProfile } from './types';

export const genericProfile: TokenProfile = {
  id: 'generic',
  description: 'PKCS#11 v2.40 as the standard describes it',
  matches: () => true,
};

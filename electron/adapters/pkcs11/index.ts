export { Pkcs11Module, keyTypesFromMechanisms } from './module';
export { TokenSession } from './session';
export type {
  TokenInfo,
  TokenKey,
  TokenSelector,
  TokenFlagsInfo,
  ModuleInfo,
  PinSource,
  KeyProfile,
  GenerateSpec,
  KeyAttributes,
  TokenObject,
  LoginRole,
  PublicTokenKey,
} from './types';
export { TokenSigner } from './signer';
export { findModules, resolveModulePath, WELL_KNOWN_MODULES } from './modules';
export { CKR, mapPkcs11Error, rvName } from './errors';
export { createSelfSignedCert } from './x509';
export { PROFILES, profileFor, type TokenProfile } from './profiles';

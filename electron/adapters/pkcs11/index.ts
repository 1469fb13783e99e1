export { Pkcs11Module, TokenSession } from './module';
export type { TokenInfo, TokenKey, TokenSelector, TokenFlagsInfo, ModuleInfo, PinSource, KeyProfile, GenerateSpec, KeyAttributes } from './module';
export { TokenSigner } from './signer';
export { findModules, resolveModulePath, WELL_KNOWN_MODULES } from './modules';
export { mapPkcs11Error, rvName } from './errors';
export { createSelfSignedCert } from './x509';

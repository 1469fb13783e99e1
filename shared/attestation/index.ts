export { assertAttestation, bundledCertificates, certificatesFrom, statedKeyPolicy, verifyAttestation } from './verify';
export type { AttestationInput, AttestationReport, AttestationVendor, AttestationVerdict, ChainLink } from './verify';
export { BUNDLED_ATTESTATION_CERTS } from './yubico-roots';
export type { BundledCert } from './yubico-roots';
export { PIV_SLOTS } from './extensions';
export type { PinPolicy, TouchPolicy } from './extensions';

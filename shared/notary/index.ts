export * from './model';
export * from './keys';
export * from './serialize';
export { parseCertificate, isSelfSigned, type CertInfo } from './x509';

/**
 * Notary v1 / Docker Content Trust: build, threshold-sign, rotate and verify offline.
 * `isNotaryMetadata(json)` is the dialect detector `keyceremony tuf verify` uses to hand a
 * directory to `verifyNotaryRepository`.
 */
export { isNotaryMetadata } from '../../../shared/notary';
export * from './build';
export * from './sign';
export * from './repo';
export * from './verify';
export * from './diff';

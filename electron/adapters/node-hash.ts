/**
 * Node's native one-shot SHA-256, for pure code that takes a synchronous hash (the transcript chain
 * check hashes every line: one native call per line is ~20x cheaper than an awaited WebCrypto digest).
 */
import { hash } from 'node:crypto';

export const nodeSha256Hex = (data: Uint8Array): string => hash('sha256', data, 'hex');

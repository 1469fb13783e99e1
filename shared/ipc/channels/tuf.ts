/** IPC area "tuf": threshold signing of TUF metadata with portable signing requests. */
import { fileText, KeyRefSchema, PinSchema, TokenRefSchema } from '../common';
import { obj, type Schema } from '../schema';

export interface SigningRequestView {
  role: string;
  version: number;
  fileName: string;
  signedSha256: string;
  note?: string;
  /** "targets v2: signed by 1 of 2 required targets keys" */
  summary: string;
  complete: boolean;
  rules: { name: string; threshold: number; valid: number; ok: boolean; total: number; signedBy: string[]; missing: string[] }[];
  /** What changed against the trusted previous version (lines starting +, -, ~). */
  diff: string[];
  signatures: number;
}

export const tufChannels = {
  'kc:tuf.request.open': obj({ text: fileText }),
  /** Sign the request with my token (refused before login if the token is not the expected one). */
  'kc:tuf.request.sign': obj({ text: fileText, token: TokenRefSchema, key: KeyRefSchema, pin: PinSchema }),
  'kc:tuf.request.finalize': obj({ text: fileText }),
} as const satisfies Record<string, Schema<unknown>>;

export interface TufResponses {
  'kc:tuf.request.open': SigningRequestView;
  'kc:tuf.request.sign': { text: string; view: SigningRequestView; fingerprint: string };
  'kc:tuf.request.finalize': { fileName: string; text: string };
}

/** IPC area "app": what the app is, saving a file main writes, cancelling a job. */
import { empty, fileName, fileText, jobId, type Mode } from '../common';
import { obj, oneOf, type Schema } from '../schema';

export interface AppInfo {
  mode: Mode;
  version: string;
  /** Features whose main-process modules are wired in this build. */
  features: { tokens: boolean; ceremony: boolean; backup: boolean; tuf: boolean; verify: boolean };
  /** The PKCS#11 module in use (path basename only). */
  module: string | null;
}

export const appChannels = {
  'kc:app.info': empty,
  'kc:jobs.cancel': obj({ jobId }),
  /** Main shows a save dialog (in the app) and writes atomically; the renderer never picks a path. */
  'kc:files.save': obj({ suggestedName: fileName, text: fileText, kind: oneOf(['request', 'metadata', 'transcript', 'bundle', 'signature', 'other'] as const) }),
} as const satisfies Record<string, Schema<unknown>>;

export interface AppResponses {
  'kc:app.info': AppInfo;
  'kc:jobs.cancel': { cancelled: boolean };
  'kc:files.save': { saved: boolean; name: string };
}

/** IPC area "app": what the app is, cancelling a job. (Files: channels/files.ts.) */
import { empty, jobId, type Mode } from '../common';
import { obj, type Schema } from '../schema';

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
} as const satisfies Record<string, Schema<unknown>>;

export interface AppResponses {
  'kc:app.info': AppInfo;
  'kc:jobs.cancel': { cancelled: boolean };
}

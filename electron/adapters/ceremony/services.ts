/**
 * The one composition of the ceremony engine's services over real adapters, used by both the CLI
 * runner and the desktop app's ceremony session, so the two can never differ in what a ceremony can do.
 */
import { tufService } from '../../core/ceremony/services/tuf';
import type { EngineOptions } from '../../core/ceremony/engine';
import type { PreflightProbe, Services } from '../../core/ceremony/types';
import type { Pkcs11Module } from '../pkcs11';
import type { TokenJournal } from '../pkcs11/types';
import { linuxPreflight } from '../preflight';
import { pkcs11BackupService } from './backup-service';
import { notaryService } from './notary-service';
import type { Pkcs11TokenService } from './token-service';
import { transcriptPdf } from './transcript-pdf';

export function ceremonyServices(
  mod: Pkcs11Module,
  tokens: Pkcs11TokenService,
  opts: { inputs: NonNullable<Services['inputs']>; preflight?: PreflightProbe; journal?: TokenJournal },
): Services {
  return {
    tokens,
    tuf: tufService(),
    backup: pkcs11BackupService(mod, undefined, opts.journal),
    notary: notaryService(),
    preflight: opts.preflight ?? linuxPreflight({ present: () => tokens.present() }),
    inputs: opts.inputs,
  };
}

/** The printable transcript (PDF) every sealed bundle carries. */
export const ceremonyPrintables: NonNullable<EngineOptions['printables']> = async ({ script, entries, rehearsal, at }) => [
  { path: 'transcript.pdf', bytes: await transcriptPdf(script, entries, rehearsal, at), kind: 'transcript-pdf' },
];

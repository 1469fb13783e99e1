/**
 * The step-kind registry. A step kind is a plug-in: {kind, phase, needs, validate, run}. New kinds
 * (cosign attestations, certificates...) register here; the engine and validator know nothing else.
 */
import type { StepKind } from '../engine';
import { attestKind } from './attest';
import { backupKind } from './backup';
import { checkInKind } from './checkin';
import { closeKind } from './close';
import { exportKind } from './export';
import { keygenKind } from './keygen';
import { keysPresentKind } from './keys-present';
import { notaryRepositoryKind } from './notary';
import { preflightKind } from './preflight';
import { restoreKind } from './restore';
import { tufDelegationKind, tufRepositoryKind, tufRootRotationKind } from './tuf';

export const BUILTIN_KINDS: Record<string, StepKind> = Object.fromEntries(
  [
    preflightKind,
    checkInKind,
    keysPresentKind,
    keygenKind,
    attestKind,
    backupKind,
    restoreKind,
    tufRepositoryKind,
    tufRootRotationKind,
    tufDelegationKind,
    notaryRepositoryKind,
    exportKind,
    closeKind,
  ].map((k) => [k.kind, k]),
);

export function registerKind(kinds: Record<string, StepKind>, k: StepKind): Record<string, StepKind> {
  return { ...kinds, [k.kind]: k };
}

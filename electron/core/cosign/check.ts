/**
 * One cosign verification as `keyceremony cosign verify` runs it — a simple-signing signature, one
 * bundle, or m-of-n over several bundles — and the JSON `--json` prints for it. The CLI and the
 * app's Verify screen both call this, so the report an auditor saves from the app is the CLI's.
 */
import { KeyceremonyError } from '../../../shared/errors';
import type { ImageReference } from '../../../shared/cosign/reference';
import type { TrustedRoot } from '../../../shared/cosign/trusted-root';
import { evaluateThreshold, verifyBundle, verifySimpleSigning, type VerifyResult } from './verify';
import type { TlogCheck } from './tlog';

export interface CosignCheckInput {
  /** DER SPKI of each allowed key (one, or n with `threshold`). */
  keys: readonly Uint8Array[];
  /** Bundles by name (file name), for the per-bundle lines. */
  bundles?: readonly { name: string; bytes: Uint8Array }[];
  payload?: Uint8Array;
  /** base64 text or raw DER. */
  signature?: Uint8Array | string;
  manifest?: Uint8Array;
  image?: ImageReference;
  artifact?: Uint8Array;
  threshold?: number;
  trustedRoot?: TrustedRoot;
  now: Date;
}

export interface CosignCheck {
  valid: boolean;
  reason: string;
  tlog?: TlogCheck;
  /** Exactly what `keyceremony cosign verify --json` prints. */
  json: Record<string, unknown>;
  /** m-of-n: each bundle's own verdict (the CLI prints these on stderr). */
  perBundle?: { name: string; valid: boolean; reason: string; keyFingerprint?: string }[];
  /** Fingerprints of the keys whose signature verified. */
  signers: string[];
}

const bad = (msg: string, where: string): never => {
  throw new KeyceremonyError('INVALID_INPUT', msg, { where });
};

export async function checkCosign(input: CosignCheckInput): Promise<CosignCheck> {
  const bundles = input.bundles ?? [];
  const logOpts = { ...(input.trustedRoot ? { trustedRoot: input.trustedRoot } : {}), now: input.now };
  if (input.keys.length === 0) bad('give the public key(s) to verify with', 'keys');
  if (input.threshold !== undefined) {
    if (!Number.isInteger(input.threshold) || input.threshold < 1) bad('the threshold m must be a whole number of at least 1', 'threshold');
    if (bundles.length === 0) bad('a threshold needs bundles', 'bundles');
    const res = await evaluateThreshold({
      keys: input.keys,
      m: input.threshold!,
      bundles: bundles.map((b) => b.bytes),
      ...(input.artifact ? { artifact: input.artifact } : {}),
      ...(input.image ? { image: input.image } : {}),
      ...logOpts,
    });
    const r = { valid: res.met, reason: res.reason };
    return {
      ...r,
      json: { ...r, signers: res.signers },
      perBundle: res.perBundle.map((p) => ({
        name: bundles[p.index]!.name,
        valid: p.valid,
        reason: p.reason,
        ...(p.keyFingerprint ? { keyFingerprint: p.keyFingerprint } : {}),
      })),
      signers: res.signers,
    };
  }
  if (input.keys.length !== 1) bad('several keys need a threshold m', 'keys');
  const spki = input.keys[0]!;
  let r: VerifyResult;
  if (input.payload || input.signature) {
    if (!input.payload || !input.signature) bad('a payload and its signature go together', 'payload');
    if (bundles.length) bad('give either a payload and signature, or a bundle', 'bundles');
    if (input.trustedRoot) bad('a trusted root checks the transparency-log entries of a bundle; a bare signature has none', 'trustedRoot');
    r = await verifySimpleSigning({
      spki,
      payload: input.payload!,
      signature: input.signature!,
      ...(input.image ? { image: input.image } : {}),
      ...(input.manifest ? { manifest: input.manifest } : {}),
    });
  } else if (bundles.length === 1) {
    r = await verifyBundle({
      spki,
      bundle: bundles[0]!.bytes,
      ...(input.artifact ? { artifact: input.artifact } : {}),
      ...(input.image ? { image: input.image } : {}),
      ...logOpts,
    });
  } else {
    return bad('give a payload and its signature, or one bundle (several bundles need a threshold)', 'bundles');
  }
  const extra = r.claims ? { claims: r.claims } : r.statement ? { statement: r.statement } : {};
  return {
    valid: r.valid,
    reason: r.reason,
    ...(r.tlog ? { tlog: r.tlog } : {}),
    json: { ...r, ...extra },
    signers: r.valid && r.keyFingerprint ? [r.keyFingerprint] : [],
  };
}

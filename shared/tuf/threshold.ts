/**
 * Threshold counting (spec #update-root 5.3.4/5.3.5 and every role: "a threshold of ... keys").
 * - each authorised keyid counts at most once; signatures by keyids the role does not list, empty
 *   `"sig": ""` entries and signatures that do not verify are ignored, never fatal;
 * - the same physical key listed under two keyids (Sigstore v9, go-tuf M3) counts once: we go further
 *   than the spec's "unique keyids" here, since two ids for one key would otherwise let one
 *   custodian meet a threshold of two;
 * - a signature by a key of a type we do not implement is "unsupported", not "does not verify": it is
 *   counted apart (`unsupported`) so a report never calls a signature bad that it could not check.
 */
import { isKeyceremonyError } from '../errors';
import type { TufKeyJSON } from './keys';
import { keyFingerprint, keyToSpki, verifyTufSignature } from './keys';
import type { TufSignature } from './models';

export interface ThresholdResult {
  threshold: number;
  /** Distinct physical keys with a valid signature. */
  valid: number;
  ok: boolean;
  /** keyids whose signature verified (one per physical key). */
  validKeyids: string[];
  /** SHA-256 of each valid signer's SPKI, in the order of validKeyids. */
  fingerprints: string[];
  /** keyids the role lists that signed with a key type or scheme we cannot verify. */
  unsupported: string[];
  /** Human notes: ignored signatures and why. */
  notes: string[];
}

export async function checkThreshold(
  data: Uint8Array,
  signatures: readonly TufSignature[],
  keyids: readonly string[],
  keys: Readonly<Record<string, TufKeyJSON>>,
  threshold: number,
): Promise<ThresholdResult> {
  const allowed = new Set(keyids);
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  const validKeyids: string[] = [];
  const fingerprints: string[] = [];
  const unsupported: string[] = [];
  const notes: string[] = [];
  for (const s of signatures) {
    const short = s.keyid.slice(0, 8);
    if (s.sig === '') {
      notes.push(`empty signature for ${short} ignored`);
      continue;
    }
    if (!allowed.has(s.keyid)) {
      notes.push(`signature by ${short}, which this role does not list, ignored`);
      continue;
    }
    const key = keys[s.keyid];
    if (!key) {
      notes.push(`keyid ${short} is listed for the role but has no key object`);
      continue;
    }
    if (seenIds.has(s.keyid)) {
      notes.push(`second signature by ${short} counted once`);
      continue;
    }
    try {
      keyToSpki(key);
    } catch (e) {
      const isUnsupported = isKeyceremonyError(e) && e.code === 'ALGORITHM_UNSUPPORTED';
      if (isUnsupported && !unsupported.includes(s.keyid)) unsupported.push(s.keyid);
      notes.push(`signature by ${short} not checked: ${isUnsupported ? 'unsupported key type' : 'unusable key'} ${key.keytype}/${key.scheme}`);
      continue;
    }
    if (!(await verifyTufSignature(key, data, s.sig))) {
      notes.push(`signature by ${short} does not verify`);
      continue;
    }
    seenIds.add(s.keyid);
    const fp = await keyFingerprint(key);
    if (seenKeys.has(fp)) {
      notes.push(`${short} is the same key as another signer, counted once`);
      continue;
    }
    seenKeys.add(fp);
    validKeyids.push(s.keyid);
    fingerprints.push(fp);
  }
  return { threshold, valid: validKeyids.length, ok: validKeyids.length >= threshold, validKeyids, fingerprints, unsupported, notes };
}

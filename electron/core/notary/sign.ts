/**
 * Threshold signing of Notary metadata through injected Signers (one token key each), and the
 * per-rule signing status a custodian reads before and after signing:
 *   "root v2: signed by 1 of 2 required old-root keys, 2 of 2 required new-root keys"
 */
import { KeyceremonyError } from '../../../shared/errors';
import { bytesEqual } from '../../../shared/encoding/bytes';
import { canonicalBytes } from '../../../shared/json/canonical';
import {
  methodForKey,
  notarySigFromSignerOutput,
  signatureAlgorithmForKey,
  spkiOfKey,
  verifyNotarySignature,
  type NotaryKey,
  type NotaryRoleKeys,
  type NotaryRoot,
  type NotarySignature,
  type NotarySignedBody,
  type NotaryTargets,
} from '../../../shared/notary';
import type { Signer } from '../signer';

/** One threshold rule: which keys may sign and how many must. */
export interface SigningRule {
  label: string;
  keys: Record<string, NotaryKey>;
  threshold: number;
}

export interface RuleStatus {
  label: string;
  threshold: number;
  valid: number;
  /** Key ids with a valid signature. */
  signedBy: string[];
  met: boolean;
}

function keysOfRole(keys: Record<string, NotaryKey>, role: NotaryRoleKeys | undefined): Record<string, NotaryKey> {
  const out: Record<string, NotaryKey> = {};
  for (const id of role?.keyids ?? []) {
    const k = keys[id];
    if (k) out[id] = k;
  }
  return out;
}

/**
 * The rules a file must satisfy. Root: its own root role, and for a rotation (version > trusted)
 * also the previous root's. Top-level roles: their role in root. Delegated roles: their delegation
 * in the parent targets.
 */
export function rulesFor(role: string, body: NotarySignedBody, ctx: { root?: NotaryRoot; prevRoot?: NotaryRoot; parent?: NotaryTargets }): SigningRule[] {
  if (role === 'root') {
    const r = body as NotaryRoot;
    const rules: SigningRule[] = [];
    const rotating = ctx.prevRoot && ctx.prevRoot.version < r.version;
    if (rotating && ctx.prevRoot) {
      rules.push({
        label: `old-root (v${ctx.prevRoot.version})`,
        keys: keysOfRole(ctx.prevRoot.keys, ctx.prevRoot.roles.root),
        threshold: ctx.prevRoot.roles.root.threshold,
      });
    }
    rules.push({ label: rotating ? 'new-root' : 'root', keys: keysOfRole(r.keys, r.roles.root), threshold: r.roles.root.threshold });
    return rules;
  }
  if (role === 'targets' || role === 'snapshot' || role === 'timestamp') {
    const root = ctx.root;
    if (!root) throw new KeyceremonyError('PRECONDITION_FAILED', `cannot check ${role} without root.json`, { where: role });
    return [{ label: role, keys: keysOfRole(root.keys, root.roles[role]), threshold: root.roles[role].threshold }];
  }
  const parent = ctx.parent;
  const d = parent?.delegations.roles.find((x) => x.name === role);
  if (!parent || !d) throw new KeyceremonyError('NOT_FOUND', `no delegation ${JSON.stringify(role)} in targets.json`, { where: role });
  return [{ label: role, keys: keysOfRole(parent.delegations.keys, d), threshold: d.threshold }];
}

/**
 * Count valid signatures per rule: each key counted once (by key id and by public key, so one key
 * listed under two ids counts once); signatures by unknown keys or empty/garbled ones are ignored.
 */
export async function ruleStatus(rule: SigningRule, sigs: readonly NotarySignature[], signedBytes: Uint8Array): Promise<RuleStatus> {
  const seenIds = new Set<string>();
  const seenSpki: Uint8Array[] = [];
  const signedBy: string[] = [];
  for (const s of sigs) {
    const key = rule.keys[s.keyid];
    if (!key || seenIds.has(s.keyid)) continue;
    if (!(await verifyNotarySignature(key, s, signedBytes))) continue;
    const spki = spkiOfKey(key);
    seenIds.add(s.keyid);
    if (seenSpki.some((x) => bytesEqual(x, spki))) continue;
    seenSpki.push(spki);
    signedBy.push(s.keyid);
  }
  return { label: rule.label, threshold: rule.threshold, valid: signedBy.length, signedBy, met: signedBy.length >= rule.threshold };
}

export async function statusOf(rules: readonly SigningRule[], sigs: readonly NotarySignature[], signedBytes: Uint8Array): Promise<RuleStatus[]> {
  return Promise.all(rules.map((r) => ruleStatus(r, sigs, signedBytes)));
}

/** "root v2: signed by 1 of 2 required old-root (v1) keys, 2 of 2 required new-root keys" */
export function formatStatus(role: string, version: number, st: readonly RuleStatus[]): string {
  return `${role} v${version}: signed by ${st.map((s) => `${s.valid} of ${s.threshold} required ${s.label} keys`).join(', ')}${st.every((s) => s.met) ? ' (complete)' : ''}`;
}

/**
 * Add a signature by `signer` to a file. The signer's public key must be one of the keys the rules
 * allow (under any id: one token key may be listed under an old and a new certificate; it then
 * signs under each). Existing valid signatures stay; an invalid one by the same key id is
 * replaced. Refuses a signer whose key no rule lists. Returns the new signature list and the ids
 * signed for.
 */
export async function signWith(
  body: NotarySignedBody,
  existing: readonly NotarySignature[],
  rules: readonly SigningRule[],
  signer: Signer,
): Promise<{ signatures: NotarySignature[]; keyIds: string[]; already: string[] }> {
  const data = canonicalBytes(body, '$.signed');
  const ids = new Map<string, NotaryKey>();
  for (const r of rules) {
    for (const [id, k] of Object.entries(r.keys)) {
      let spki: Uint8Array;
      try {
        spki = spkiOfKey(k);
      } catch {
        continue; // a malformed key in the metadata matches no signer
      }
      if (bytesEqual(spki, signer.publicKeySpki)) ids.set(id, k);
    }
  }
  if (ids.size === 0) {
    throw new KeyceremonyError(
      'KEY_NOT_FOUND',
      `the key ${signer.description} (fingerprint ${signer.fingerprint.slice(0, 16)}…) is not one of the keys allowed to sign this ${body._type.toLowerCase()} (${rules.map((r) => r.label).join(', ')})`,
      { where: body._type },
    );
  }
  const out = [...existing];
  const keyIds: string[] = [];
  const already: string[] = [];
  let sigBytes: Uint8Array | undefined;
  for (const [id, key] of ids) {
    const prev = out.findIndex((s) => s.keyid === id);
    if (prev >= 0 && (await verifyNotarySignature(key, out[prev] as NotarySignature, data))) {
      already.push(id);
      continue;
    }
    const alg = signatureAlgorithmForKey(key);
    if (signer.algorithm !== alg) {
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Notary needs ${alg} for this key; the signer uses ${signer.algorithm}`, {
        where: signer.description,
      });
    }
    sigBytes ??= await signer.sign(data);
    const sig: NotarySignature = { keyid: id, method: methodForKey(key), sig: notarySigFromSignerOutput(key, sigBytes) };
    if (!(await verifyNotarySignature(key, sig, data))) {
      throw new KeyceremonyError('SIGNATURE_SELF_CHECK_FAILED', `the signature by ${signer.description} does not verify as a Notary signature`, { where: id });
    }
    if (prev >= 0) out.splice(prev, 1, sig);
    else out.push(sig);
    keyIds.push(id);
  }
  return { signatures: out, keyIds, already };
}

/**
 * Merge the signatures of two copies of the same file. The signed bodies must be byte-identical
 * (canonically); a copy over other bytes is refused with both versions named.
 */
export function mergeSignatures(
  a: { signed: NotarySignedBody; signatures: readonly NotarySignature[] },
  b: { signed: NotarySignedBody; signatures: readonly NotarySignature[] },
): NotarySignature[] {
  if (!bytesEqual(canonicalBytes(a.signed), canonicalBytes(b.signed))) {
    throw new KeyceremonyError(
      'SIGNATURE_MISMATCH',
      `these are signatures over different contents (${a.signed._type} v${a.signed.version} vs v${b.signed.version}); re-sign the current file instead of merging`,
      { where: a.signed._type },
    );
  }
  const out = [...a.signatures];
  for (const s of b.signatures) if (!out.some((x) => x.keyid === s.keyid && x.sig === s.sig)) out.push(s);
  return out;
}

/**
 * Human-readable diff of a metadata version against the trusted previous one: what a custodian reads
 * before signing. Keys are shown with key id and SPKI fingerprint; thresholds, expiry, consistent
 * snapshot, targets (hash, length) and delegations are compared.
 */
import { keyFingerprint, type TufKeyJSON } from '../../../shared/tuf/keys';
import { signedFromJSON, readEnvelope, Root, Targets, Snapshot, Timestamp, type Delegations, type AnySigned } from '../../../shared/tuf/models';
import { parseStrictJsonBytes } from '../../../shared/json/strict';
import { canonicalize } from '../../../shared/json/canonical';
import { keyOwner } from '../../../shared/tuf/tuf-on-ci';

export interface DiffResult {
  lines: string[];
  changed: boolean;
}

async function keyLabel(id: string, k: TufKeyJSON | undefined): Promise<string> {
  if (!k) return `${id.slice(0, 16)} (no key object)`;
  const owner = keyOwner(k);
  return `${id.slice(0, 16)} ${owner ? `of ${owner} ` : ''}${k.keytype}/${k.scheme} fingerprint ${(await keyFingerprint(k)).slice(0, 32)}`;
}

async function diffRoleKeys(
  out: string[],
  label: string,
  prev: { keyids: string[]; threshold: number } | undefined,
  next: { keyids: string[]; threshold: number } | undefined,
  prevKeys: Record<string, TufKeyJSON>,
  nextKeys: Record<string, TufKeyJSON>,
): Promise<void> {
  const a = new Set(prev?.keyids ?? []);
  const b = new Set(next?.keyids ?? []);
  for (const id of b) if (!a.has(id)) out.push(`+ ${label}: key added ${await keyLabel(id, nextKeys[id])}`);
  for (const id of a) if (!b.has(id)) out.push(`- ${label}: key removed ${await keyLabel(id, prevKeys[id])}`);
  if (prev && next && prev.threshold !== next.threshold) out.push(`~ ${label}: threshold ${prev.threshold} -> ${next.threshold}`);
  if (next) out.push(`  ${label}: ${next.threshold} of ${next.keyids.length} keys`);
}

function delegationMap(d: Delegations | undefined): Map<string, { keyids: string[]; threshold: number; desc: string }> {
  const m = new Map<string, { keyids: string[]; threshold: number; desc: string }>();
  for (const r of d?.roles ?? []) {
    const scope = r.paths ? `paths ${JSON.stringify(r.paths)}` : `hash prefixes ${JSON.stringify(r.pathHashPrefixes ?? [])}`;
    m.set(r.name, { keyids: r.keyids, threshold: r.threshold, desc: `${scope}${r.terminating ? ', terminating' : ''}` });
  }
  if (d?.succinctRoles) {
    const s = d.succinctRoles;
    m.set(`${s.namePrefix}-* (hash bins)`, { keyids: s.keyids, threshold: s.threshold, desc: `${2 ** s.bitLength} bins (${s.bitLength} bits)` });
  }
  return m;
}

/** `role`: the role's name when it is not the type (a delegated role: "releases (targets) v1 -> v2"). */
export async function diffSigned(prevRaw: unknown | undefined, nextRaw: unknown, role?: string): Promise<DiffResult> {
  const next = signedFromJSON(nextRaw);
  const prev: AnySigned | undefined = prevRaw === undefined ? undefined : signedFromJSON(prevRaw);
  const out: string[] = [];
  const name = role && role !== next.type ? `${role} (${next.type})` : next.type;
  if (!prev) out.push(`new ${name} v${next.version} (no previous version to compare)`);
  else {
    if (prev.type !== next.type) out.push(`! type changes from ${prev.type} to ${next.type}`);
    out.push(`${name} v${prev.version} -> v${next.version}${next.version !== prev.version + 1 ? '  (! not the next version)' : ''}`);
  }
  if (prev?.expires !== next.expires) out.push(`~ expires ${prev ? prev.expires + ' -> ' : ''}${next.expires}`);
  if (next instanceof Root) {
    const p = prev instanceof Root ? prev : undefined;
    if (p && p.consistentSnapshot !== next.consistentSnapshot) out.push(`~ consistent_snapshot ${p.consistentSnapshot} -> ${next.consistentSnapshot}`);
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
      await diffRoleKeys(out, role, p?.roles[role], next.roles[role], p?.keys ?? {}, next.keys);
    }
  } else if (next instanceof Targets) {
    const p = prev instanceof Targets ? prev : undefined;
    const pt = p?.targets ?? {};
    let added = 0;
    let removed = 0;
    let changed = 0;
    const detail: string[] = [];
    for (const [path, tf] of Object.entries(next.targets)) {
      const old = pt[path];
      if (!old) {
        added++;
        detail.push(`+ target ${path} (${tf.length} bytes, sha256 ${String(tf.hashes.sha256 ?? Object.values(tf.hashes)[0]).slice(0, 16)}…)`);
      } else if (canonicalize(old) !== canonicalize(tf)) {
        changed++;
        detail.push(
          `~ target ${path}: ${old.length} -> ${tf.length} bytes, sha256 ${String(old.hashes.sha256).slice(0, 16)}… -> ${String(tf.hashes.sha256).slice(0, 16)}…`,
        );
      }
    }
    for (const path of Object.keys(pt)) {
      if (!(path in next.targets)) {
        removed++;
        detail.push(`- target ${path}`);
      }
    }
    out.push(`  targets: ${added} added, ${removed} removed, ${changed} changed, ${Object.keys(next.targets).length} in total`);
    const LIMIT = 200;
    out.push(...detail.slice(0, LIMIT));
    if (detail.length > LIMIT) out.push(`  … ${detail.length - LIMIT} more target changes`);
    const pd = delegationMap(p?.delegations);
    const nd = delegationMap(next.delegations);
    for (const [name, d] of nd) {
      const o = pd.get(name);
      if (!o) out.push(`+ delegation ${name}: ${d.threshold} of ${d.keyids.length} keys, ${d.desc}`);
      else if (o.desc !== d.desc) out.push(`~ delegation ${name}: ${o.desc} -> ${d.desc}`);
      await diffRoleKeys(out, `delegation ${name}`, o, d, p?.delegations?.keys ?? {}, next.delegations?.keys ?? {});
    }
    for (const name of pd.keys()) if (!nd.has(name)) out.push(`- delegation ${name}`);
  } else if (next instanceof Snapshot) {
    const p = prev instanceof Snapshot ? prev : undefined;
    for (const [f, m] of Object.entries(next.meta)) {
      const o = p?.meta[f];
      if (!o) out.push(`+ ${f} v${m.version}`);
      else if (o.version !== m.version) out.push(`~ ${f} v${o.version} -> v${m.version}${m.version < o.version ? '  (! rollback)' : ''}`);
    }
    for (const f of Object.keys(p?.meta ?? {})) if (!(f in next.meta)) out.push(`- ${f}`);
  } else if (next instanceof Timestamp) {
    const p = prev instanceof Timestamp ? prev : undefined;
    out.push(`  snapshot.json ${p ? `v${p.snapshotMeta.version} -> ` : ''}v${next.snapshotMeta.version}`);
  }
  const changed = !prev || canonicalize(prevRaw) !== canonicalize(nextRaw);
  return { lines: out, changed };
}

/** The `signed` part of a metadata file's bytes: a whole envelope, or a bare signed object. */
export function signedOfFile(bytes: Uint8Array, source: string): unknown {
  const v = parseStrictJsonBytes(bytes, { source }) as Record<string, unknown>;
  if (typeof v === 'object' && v !== null && 'signed' in v) return readEnvelope(v).signedRaw;
  signedFromJSON(v);
  return v;
}

/** `tuf diff --old FILE --new FILE`: two metadata files compared (no old file: all of it is new). */
export async function diffFiles(
  oldFile: { bytes: Uint8Array; source: string } | undefined,
  newFile: { bytes: Uint8Array; source: string },
): Promise<DiffResult> {
  return diffSigned(oldFile ? signedOfFile(oldFile.bytes, oldFile.source) : undefined, signedOfFile(newFile.bytes, newFile.source));
}

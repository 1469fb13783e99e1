/**
 * What a custodian reads before signing: the change against the previous version of the same role.
 * Keys by fingerprint (SHA-256 of the SPKI, the same as the token shows) and certificate CN/expiry,
 * thresholds, expiry, targets (length, sha256) and delegations.
 */
import {
  certOfKey,
  isX509KeyType,
  keyFingerprint,
  NOTARY_TOP_ROLES,
  type NotaryFileMeta,
  type NotaryKey,
  type NotaryRoot,
  type NotarySignedBody,
  type NotaryTargets,
} from '../../../shared/notary';

async function describeKey(id: string, k: NotaryKey | undefined): Promise<string> {
  if (!k) return `${id.slice(0, 12)}… (missing)`;
  let extra = '';
  if (isX509KeyType(k.keytype)) {
    try {
      const c = certOfKey(k);
      extra = ` cert CN=${c.subjectCN} until ${c.notAfter.toISOString().slice(0, 10)}`;
    } catch {
      extra = ' (certificate does not parse)';
    }
  }
  let fp = '?';
  try {
    fp = (await keyFingerprint(k)).slice(0, 16) + '…';
  } catch {
    /* reported elsewhere */
  }
  return `${k.keytype} ${id.slice(0, 12)}… fingerprint ${fp}${extra}`;
}

function b64ToHex(s: string | undefined): string {
  if (!s) return '?';
  return Array.from(atob(s), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
}

function metaLine(name: string, m: NotaryFileMeta): string {
  return `${name} (${m.length} bytes, sha256 ${b64ToHex(m.hashes.sha256).slice(0, 16)}…)`;
}

function sameMeta(a: NotaryFileMeta, b: NotaryFileMeta): boolean {
  return a.length === b.length && a.hashes.sha256 === b.hashes.sha256 && a.hashes.sha512 === b.hashes.sha512;
}

async function diffRoot(prev: NotaryRoot | undefined, next: NotaryRoot, out: string[]): Promise<void> {
  for (const role of NOTARY_TOP_ROLES) {
    const a = prev?.roles[role];
    const b = next.roles[role];
    const before = new Set(a?.keyids ?? []);
    const after = new Set(b.keyids);
    for (const id of after) if (!before.has(id)) out.push(`  ${role}: + key ${await describeKey(id, next.keys[id])}`);
    for (const id of before) if (!after.has(id)) out.push(`  ${role}: - key ${await describeKey(id, prev?.keys[id])}`);
    if (!a) out.push(`  ${role}: threshold ${b.threshold} of ${b.keyids.length}`);
    else if (a.threshold !== b.threshold || a.keyids.length !== b.keyids.length) {
      out.push(`  ${role}: threshold ${a.threshold} of ${a.keyids.length} -> ${b.threshold} of ${b.keyids.length}`);
    }
  }
}

async function diffTargets(prev: NotaryTargets | undefined, next: NotaryTargets, out: string[]): Promise<void> {
  const a = prev?.targets ?? {};
  for (const [name, m] of Object.entries(next.targets)) {
    const old = a[name];
    if (!old) out.push(`  + target ${metaLine(name, m)}`);
    else if (!sameMeta(old, m))
      out.push(
        `  ~ target ${name}: ${old.length} bytes sha256 ${b64ToHex(old.hashes.sha256).slice(0, 16)}… -> ${m.length} bytes sha256 ${b64ToHex(m.hashes.sha256).slice(0, 16)}…`,
      );
  }
  for (const [name, m] of Object.entries(a)) if (!(name in next.targets)) out.push(`  - target ${metaLine(name, m)}`);
  const pr = new Map((prev?.delegations?.roles ?? []).map((r) => [r.name, r]));
  for (const r of next.delegations?.roles ?? []) {
    const o = pr.get(r.name);
    if (!o) {
      out.push(`  + delegation ${r.name}: threshold ${r.threshold}, paths ${JSON.stringify(r.paths ?? [])}`);
      for (const id of r.keyids) out.push(`      key ${await describeKey(id, next.delegations.keys[id])}`);
      continue;
    }
    for (const id of r.keyids) if (!o.keyids.includes(id)) out.push(`  ${r.name}: + key ${await describeKey(id, next.delegations.keys[id])}`);
    for (const id of o.keyids) if (!r.keyids.includes(id)) out.push(`  ${r.name}: - key ${await describeKey(id, prev?.delegations.keys[id])}`);
    if (o.threshold !== r.threshold) out.push(`  ${r.name}: threshold ${o.threshold} -> ${r.threshold}`);
    if (JSON.stringify(o.paths ?? []) !== JSON.stringify(r.paths ?? []))
      out.push(`  ${r.name}: paths ${JSON.stringify(o.paths ?? [])} -> ${JSON.stringify(r.paths ?? [])}`);
  }
  for (const [name] of pr) if (!(next.delegations?.roles ?? []).some((r) => r.name === name)) out.push(`  - delegation ${name}`);
}

/** Human diff lines of `next` against `prev` (undefined: a new role, everything is added). */
export async function diffNotary(role: string, prev: NotarySignedBody | undefined, next: NotarySignedBody): Promise<string[]> {
  const out: string[] = [`${role}: ${prev ? `v${prev.version} -> ` : 'new, '}v${next.version}`];
  if (prev && prev._type !== next._type) {
    out.push(`  type ${prev._type} -> ${next._type}`);
    return out;
  }
  if (!prev || prev.expires !== next.expires) out.push(`  expires ${prev ? `${prev.expires} -> ` : ''}${next.expires}`);
  if (next._type === 'Root') await diffRoot(prev as NotaryRoot | undefined, next, out);
  else if (next._type === 'Targets') await diffTargets(prev as NotaryTargets | undefined, next, out);
  else {
    const a = (prev as { meta?: Record<string, NotaryFileMeta> } | undefined)?.meta ?? {};
    for (const [name, m] of Object.entries(next.meta)) {
      const old = a[name];
      if (!old || !sameMeta(old, m)) out.push(`  ${old ? '~' : '+'} ${metaLine(name, m)}`);
    }
    for (const name of Object.keys(a)) if (!(name in next.meta)) out.push(`  - ${name}`);
  }
  if (out.length === 1) out.push('  no changes besides the version');
  return out;
}

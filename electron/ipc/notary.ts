/**
 * The Notary work of the desktop app over electron/core/notary (what `keyceremony notary` runs): a
 * repository folder as the screens show it — per role, the `notary status` line, every key the rules
 * accept by name and key with who signed, and the `notary diff` of what signing now would sign.
 */
import { KeyceremonyError } from '../../shared/errors';
import { certOfKey, isX509KeyType, keyFingerprint, parseNotaryFile, spkiOfKey, type NotaryKey, type NotaryRoot, type NotaryTargets } from '../../shared/notary';
import type { NotaryRepoView, NotaryRoleView } from '../../shared/ipc/contract';
import { diffNotary, gunOf, pendingFor, repoStatus, rulesOfRole, type RepoFiles } from '../core/notary';
import { ruleLine } from '../core/status-line';
import type { AcceptedKey } from './candidates';

/** Where the key holders' names live in a repository folder (hidden: never read as metadata, never published). */
export const NAMES_FILE = '.keyceremony-names.json';

export function parseNames(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new KeyceremonyError('INVALID_JSON', `${NAMES_FILE} is not JSON; remove or fix it.`, { where: NAMES_FILE });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new KeyceremonyError('INVALID_INPUT', `${NAMES_FILE} must map key ids to names.`, { where: NAMES_FILE });
  const out: Record<string, string> = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'string' && /^[0-9a-f]{64}$/.test(k)) out[k] = n.slice(0, 64);
  return out;
}

async function roleView(files: RepoFiles, role: string, names: Record<string, string>, now: Date): Promise<NotaryRoleView> {
  const st = (await repoStatus(files)).find((r) => r.role === role)!;
  const { rules } = rulesOfRole(files, role);
  const head = `${role} v${st.version}`;
  const out: NotaryRoleView['rules'] = [];
  for (const [i, rule] of rules.entries()) {
    const rs = st.rules[i]!;
    const signers: NotaryRoleView['rules'][number]['signers'] = [];
    for (const [keyid, key] of Object.entries(rule.keys)) {
      let fingerprint = '';
      try {
        fingerprint = await keyFingerprint(key);
      } catch {
        /* a key that does not parse signs nothing; shown without a fingerprint */
      }
      let cn: string | undefined;
      if (isX509KeyType(key.keytype)) {
        try {
          cn = certOfKey(key).subjectCN ?? undefined;
        } catch {
          cn = undefined;
        }
      }
      const name = names[keyid];
      signers.push({ keyid, fingerprint, signed: rs.signedBy.includes(keyid), ...(name ? { name } : {}), ...(cn ? { cn } : {}) });
    }
    // one physical key under two ids (a kept root key under the old and the new certificate) signs once
    for (const s of signers) if (!s.signed && signers.some((o) => o.signed && o.fingerprint === s.fingerprint && s.fingerprint)) s.signed = true;
    const line = ruleLine(head, { name: rule.label, threshold: rule.threshold, valid: rs.valid, signers });
    // a stale snapshot met its rule for bytes that no longer describe the folder: not done
    const stale = rs.met && !st.complete;
    out.push({
      name: rule.label,
      threshold: rule.threshold,
      valid: rs.valid,
      ok: rs.met && !stale,
      line: stale ? `${line} — but stale: sign it again` : line,
      signers,
    });
  }
  let diff: string[];
  try {
    const p = await pendingFor(files, role, { now });
    diff = await diffNotary(role, p.prev, p.next);
  } catch (e) {
    diff = [`(${e instanceof KeyceremonyError ? e.message : String(e)})`];
  }
  return { role, version: st.version, complete: st.complete, status: st.line, rules: out, diff };
}

export async function repoView(files: RepoFiles, folder: string, names: Record<string, string>, now = new Date()): Promise<NotaryRepoView> {
  if (!files.has('root.json')) return { folder, empty: true, roles: [], delegations: [], delegationRules: [], keys: [], names };
  const root = parseNotaryFile<NotaryRoot>(files.get('root.json')!, { source: 'root.json', expectType: 'Root' }).signed;
  let gun: string | undefined;
  try {
    gun = gunOf(root);
  } catch {
    gun = undefined;
  }
  const roles: NotaryRoleView[] = [];
  for (const r of await repoStatus(files)) roles.push(await roleView(files, r.role, names, now));
  const delegations = roles.map((r) => r.role).filter((r) => r.startsWith('targets/'));
  const keys = new Map<string, { keyid: string; fingerprint: string; roles: string[] }>();
  const add = async (id: string, k: NotaryKey | undefined, role: string) => {
    if (!k) return;
    const e = keys.get(id) ?? { keyid: id, fingerprint: await keyFingerprint(k).catch(() => ''), roles: [] };
    if (!e.roles.includes(role)) e.roles.push(role);
    keys.set(id, e);
  };
  for (const r of ['root', 'targets', 'snapshot', 'timestamp'] as const) for (const id of root.roles[r].keyids) await add(id, root.keys[id], r);
  const delegationRules: NotaryRepoView['delegationRules'] = [];
  for (const parent of ['targets', ...delegations]) {
    const t = files.get(`${parent}.json`);
    if (!t) continue;
    const d = parseNotaryFile<NotaryTargets>(t, { source: `${parent}.json`, expectType: 'Targets' }).signed.delegations;
    for (const r of d?.roles ?? []) {
      delegationRules.push({ role: r.name, parent, threshold: r.threshold, keyids: [...r.keyids], paths: [...(r.paths ?? [])] });
      if (parent === 'targets') for (const id of r.keyids) await add(id, d!.keys[id], r.name);
    }
  }
  return { folder, empty: false, ...(gun ? { gun } : {}), roles, delegations, delegationRules, keys: [...keys.values()], names };
}

/** Every key the role's rules accept, for matching against a token's keys. */
export async function roleAcceptedKeys(files: RepoFiles, role: string, names: Record<string, string>): Promise<AcceptedKey[]> {
  if (role === 'snapshot' && !files.has('snapshot.json')) {
    // the first snapshot: its keys are root's snapshot role
    const root = parseNotaryFile<NotaryRoot>(files.get('root.json')!, { source: 'root.json', expectType: 'Root' }).signed;
    return root.roles.snapshot.keyids.flatMap((id) => {
      const k = root.keys[id];
      return k ? [{ spki: spkiOfKey(k), rule: 'snapshot', signed: false, ...(names[id] ? { name: names[id] } : {}) }] : [];
    });
  }
  const { rules, file } = rulesOfRole(files, role);
  const st = (await repoStatus(files)).find((r) => r.role === role);
  // a stale snapshot is rebuilt as a new version when signed: nobody has signed that one yet
  const rebuilt = role === 'snapshot' && (await pendingFor(files, 'snapshot', { now: new Date() })).next.version !== file.signed.version;
  const out: AcceptedKey[] = [];
  for (const [i, rule] of rules.entries()) {
    for (const [id, k] of Object.entries(rule.keys)) {
      let spki: Uint8Array;
      try {
        spki = spkiOfKey(k);
      } catch {
        continue;
      }
      const signed = !rebuilt && (st?.rules[i]?.signedBy.includes(id) ?? false);
      out.push({ spki, rule: rule.label, signed, ...(names[id] ? { name: names[id] } : {}) });
    }
  }
  return out;
}

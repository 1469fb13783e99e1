/**
 * Signing events as tuf-on-ci (and Sigstore's root-signing) run them: the metadata files themselves sit
 * in a folder (a git branch), every key names its keyholder (`x-tuf-on-ci-keyowner`: "@handle"), and each
 * invited signer has a placeholder signature (`"sig": ""`) until they sign. Here:
 *
 * - `eventStatus`: for each role in the folder, its threshold, who signed and who is still needed, by
 *   keyholder handle; a root is judged by the previous root's keys too (spec 5.3.4: root N+1 must be
 *   signed by a threshold of root N's keys AND of its own).
 * - `prepareEventSignature` + `applyEventSignatures`: sign a role IN PLACE. The signature goes into our
 *   placeholder (or a new entry after the last one, as python-tuf's `Metadata.sign(append=True)` puts
 *   it); every other byte of the file stays as it was, so the signing event's git diff is our signature
 *   alone, whatever the file's formatting (tuf-on-ci writes python-tuf's JSONSerializer layout:
 *   shared/json/python.ts). A key the role (for root: the old or the new root) does not list is refused.
 * - `signingPeriod`: tuf-on-ci's renewal window of a role (`x-tuf-on-ci-signing-period`, days).
 *
 * Folder layouts (both read): tuf-on-ci — `root.json` + `root_history/N.root.json`, other roles as
 * `<role>.json`; published — `N.root.json`, `N.<role>.json` (consistent snapshot) and/or `<role>.json`.
 * Pure: the folder is injected; the adapter (electron/adapters/tuf/fs-folder.ts) reads and writes it.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { canonicalBytes } from '../../../shared/json/canonical';
import { parseStrictJson } from '../../../shared/json/strict';
import { pythonJsonDumps } from '../../../shared/json/python';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { fromUtf8, toHex } from '../../../shared/encoding/bytes';
import { keyFingerprint, sameSpki, verifyTufSignature, type TufKeyJSON } from '../../../shared/tuf/keys';
import { Root, Targets, formatTufTime, readEnvelope, signedFromJSON, type TufSignature } from '../../../shared/tuf/models';
import { isBinName } from '../../../shared/tuf/delegation';
import { checkThreshold } from '../../../shared/tuf/threshold';
import type { Signer } from '../signer';
import { signerKey } from './sign';
import { diffSigned } from './diff';
import { pick } from './request';
import { delegatorOf, loadTopTargets, type MetadataFolder } from './updates';
import { EXPIRY_PERIOD, KEYOWNER, SIGNING_PERIOD, keyOwner } from '../../../shared/tuf/tuf-on-ci';

export { EXPIRY_PERIOD, KEYOWNER, SIGNING_PERIOD, keyOwner };

const DAY = 86_400_000;

/**
 * tuf-on-ci's signing period of a role, in days: how long before `expires` a new version should be
 * signed (the renewal window). Read from the signed part of a root or targets-family file, or from a
 * root's role entry (snapshot/timestamp keep theirs there). tuf-on-ci's own default when a role has an
 * expiry period but no signing period is half the expiry period (`get_online_config`).
 */
export function signingPeriod(holder: Record<string, unknown> | undefined): { days: number; source: 'signing-period' | 'half-expiry-period' } | undefined {
  if (!holder) return undefined;
  const sp = holder[SIGNING_PERIOD];
  if (typeof sp === 'number' && Number.isSafeInteger(sp) && sp >= 0) return { days: sp, source: 'signing-period' };
  const ep = holder[EXPIRY_PERIOD];
  if (typeof ep === 'number' && Number.isSafeInteger(ep) && ep > 0) return { days: Math.floor(ep / 2), source: 'half-expiry-period' };
  return undefined;
}

/** When renewal is due: the expiry (ms) minus the signing period (undefined when the role has none). */
export function renewalDue(expiresAt: number, holder: Record<string, unknown> | undefined): { at: string; days: number } | undefined {
  const sp = signingPeriod(holder);
  if (!sp) return undefined;
  return { at: formatTufTime(expiresAt - sp.days * DAY), days: sp.days };
}

// ---------------------------------------------------------------------------------------------
// Reading the folder

const TOP = ['root', 'targets', 'snapshot', 'timestamp'];

/** One role's current metadata in the folder, with every file that holds that version. */
interface RoleFiles {
  role: string;
  version: number;
  /** File names (relative to the folder) holding this version; the first is read. */
  files: string[];
  bytes: Uint8Array;
  signedRaw: Record<string, unknown>;
  signatures: TufSignature[];
  /** Each file's signatures (files holding one version may differ in who signed). */
  perFile: { name: string; signatures: TufSignature[] }[];
  canonical: Uint8Array;
}

interface Parsed {
  name: string;
  bytes: Uint8Array;
  signedRaw: Record<string, unknown>;
  signatures: TufSignature[];
  version: number;
  type: string;
}

function where(folder: MetadataFolder, name: string): string {
  return `${folder.label.replace(/\/+$/, '')}/${name}`;
}

function parseFile(folder: MetadataFolder, name: string): Parsed {
  const bytes = folder.read(name);
  if (!bytes) throw new KeyceremonyError('NOT_FOUND', `cannot read ${where(folder, name)}`, { where: where(folder, name) });
  const p = where(folder, name);
  try {
    const env = readEnvelope(parseStrictJson(fromUtf8(bytes), { source: p, integersOnly: true }));
    const model = signedFromJSON(env.signedRaw);
    return { name, bytes, signedRaw: env.signedRaw, signatures: env.signatures, version: model.version, type: model.type };
  } catch (e) {
    if (e instanceof KeyceremonyError) throw new KeyceremonyError(e.code, `${p}: ${e.message}`, { where: e.where ?? p, cause: e });
    throw e;
  }
}

/** Role name -> candidate file names (plain, versioned, root history). */
function roleFileNames(folder: MetadataFolder): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (role: string, name: string) => out.set(role, [...(out.get(role) ?? []), name]);
  for (const n of folder.names()) {
    let m = /^root_history\/(\d+)\.root\.json$/.exec(n);
    if (m) {
      add('root', n);
      continue;
    }
    m = /^(\d+)\.(.+)\.json$/.exec(n);
    if (m) {
      add(m[2]!, n);
      continue;
    }
    m = /^([^/]+)\.json$/.exec(n);
    if (m) add(m[1]!, n);
  }
  return out;
}

/** The version a file name says (N.role.json), or undefined for a plain name. */
function versionOfName(name: string): number | undefined {
  const m = /(?:^|\/)(\d+)\.[^/]+\.json$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The role's latest version and every file that holds it (root.json, root_history/N.root.json and
 * N.root.json may all hold root vN). Files holding the same version must sign the same bytes.
 */
async function currentRoleFiles(folder: MetadataFolder, role: string, candidates: readonly string[]): Promise<RoleFiles> {
  const parsed: Parsed[] = [];
  let best = 0;
  // plain names are read to learn their version; for versioned names only the highest is read
  const byVersion = candidates.filter((n) => versionOfName(n) !== undefined).sort((a, b) => versionOfName(b)! - versionOfName(a)!);
  const plain = candidates.filter((n) => versionOfName(n) === undefined);
  for (const n of plain) {
    const p = parseFile(folder, n);
    parsed.push(p);
    best = Math.max(best, p.version);
  }
  const topVersioned = byVersion.length ? versionOfName(byVersion[0]!)! : 0;
  best = Math.max(best, topVersioned);
  for (const n of byVersion) {
    if (versionOfName(n) !== best) break;
    parsed.push(parseFile(folder, n));
  }
  const holding = parsed.filter((p) => p.version === best);
  if (holding.length === 0) throw new KeyceremonyError('NOT_FOUND', `no metadata file for ${role} in ${folder.label}`, { where: folder.label });
  for (const p of holding) {
    const expectType = TOP.includes(role) ? role : 'targets';
    if (p.type !== expectType) {
      throw new KeyceremonyError('INVALID_METADATA', `${where(folder, p.name)} is ${p.type} metadata, not ${expectType}`, { where: where(folder, p.name) });
    }
    const named = versionOfName(p.name);
    if (named !== undefined && named !== p.version) {
      throw new KeyceremonyError('INVALID_METADATA', `${where(folder, p.name)} holds version ${p.version}, not ${named}`, { where: where(folder, p.name) });
    }
  }
  const first = holding[0]!;
  const canonical = canonicalBytes(first.signedRaw, '$.signed');
  const h = await sha256Hex(canonical);
  for (const p of holding.slice(1)) {
    if ((await sha256Hex(canonicalBytes(p.signedRaw, '$.signed'))) !== h) {
      throw new KeyceremonyError(
        'CONFLICT',
        `${where(folder, first.name)} and ${where(folder, p.name)} are both ${role} v${best} but sign different contents: make them one before signing`,
        { where: where(folder, p.name) },
      );
    }
  }
  return {
    role,
    version: best,
    files: holding.map((p) => p.name),
    bytes: first.bytes,
    signedRaw: first.signedRaw,
    signatures: first.signatures,
    perFile: holding.map((p) => ({ name: p.name, signatures: p.signatures })),
    canonical,
  };
}

/** Version `v` of a role among its files (root_history/v.root.json, v.<role>.json, or a plain file holding v). */
function roleVersion(folder: MetadataFolder, candidates: readonly string[], v: number): Parsed | undefined {
  for (const n of candidates) {
    const named = versionOfName(n);
    if (named === v) return parseFile(folder, n);
  }
  for (const n of candidates.filter((x) => versionOfName(x) === undefined)) {
    const p = parseFile(folder, n);
    if (p.version === v) return p;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Rules and status

/** Who must sign: one rule per key set (root N+1: root N's keys and its own). */
export interface EventRule {
  /** "root v14" (the previous root's keys), "root v15" (its own), "targets v3" (a delegator). */
  by: string;
  keyids: string[];
  keys: Record<string, TufKeyJSON>;
  threshold: number;
}

export type SignerState = 'signed' | 'invited' | 'unsigned' | 'bad';

export interface EventSigner {
  keyid: string;
  fingerprint: string;
  /** The keyholder (`x-tuf-on-ci-keyowner`), when the key names one. */
  owner?: string;
  /** signed; invited (a placeholder "sig": "" waits); unsigned (no entry); bad (a signature that does not verify). */
  state: SignerState;
}

export interface EventRuleStatus {
  by: string;
  threshold: number;
  valid: number;
  ok: boolean;
  signers: EventSigner[];
  /** "root v15: 2 of 3 — signed @mnm678, @joshuagl; 1 more of @santiagotorres (invited), @lance" */
  line: string;
}

export interface EventRoleStatus {
  role: string;
  version: number;
  files: string[];
  expires: string;
  expired: boolean;
  /** The renewal window (tuf-on-ci signing period), when the role carries one. */
  renewal?: { at: string; days: number };
  rules: EventRuleStatus[];
  /** Every rule met and not expired. */
  ok: boolean;
  /** The file is byte for byte what tuf-on-ci (python-tuf's JSONSerializer) writes. */
  tufOnCiLayout: boolean;
  notes: string[];
}

export interface EventStatus {
  folder: string;
  layout: 'tuf-on-ci' | 'published';
  evaluatedAt: string;
  roles: EventRoleStatus[];
  /** Invitations to join a role without a key yet (tuf-on-ci's .signing-event-state), by handle. */
  invites: Record<string, string[]>;
  ok: boolean;
}

function sameRule(a: EventRule, b: EventRule): boolean {
  return a.threshold === b.threshold && a.keyids.length === b.keyids.length && a.keyids.every((k) => b.keyids.includes(k));
}

function delegatedRule(holder: Targets, role: string): { keyids: string[]; keys: Record<string, TufKeyJSON>; threshold: number } | undefined {
  const d = holder.delegations;
  const listed = d?.roles?.find((r) => r.name === role);
  if (d && listed) return { keyids: listed.keyids, keys: pick(d.keys, listed.keyids), threshold: listed.threshold };
  if (d?.succinctRoles && isBinName(d.succinctRoles, role))
    return { keyids: d.succinctRoles.keyids, keys: pick(d.keys, d.succinctRoles.keyids), threshold: d.succinctRoles.threshold };
  return undefined;
}

interface RoleContext {
  current: RoleFiles;
  rules: EventRule[];
  notes: string[];
  /** Where the role's tuf-on-ci periods live (the signed part, or root's role entry for online roles). */
  periods?: Record<string, unknown>;
}

async function roleContext(folder: MetadataFolder, role: string, names: Map<string, string[]>, cache: { root?: RoleFiles }): Promise<RoleContext> {
  const rootCands = names.get('root') ?? [];
  if (rootCands.length === 0) throw new KeyceremonyError('NOT_FOUND', `no root.json or N.root.json in ${folder.label}`, { where: folder.label });
  const root = (cache.root ??= await currentRoleFiles(folder, 'root', rootCands));
  const rootModel = Root.fromJSON(root.signedRaw);
  const cands = names.get(role);
  if (!cands?.length) throw new KeyceremonyError('NOT_FOUND', `no metadata for role "${role}" in ${folder.label}`, { where: role });
  const notes: string[] = [];
  if (role === 'root') {
    const own: EventRule = {
      by: `root v${root.version}`,
      keyids: rootModel.roles.root.keyids,
      keys: pick(rootModel.keys, rootModel.roles.root.keyids),
      threshold: rootModel.roles.root.threshold,
    };
    const rules = [own];
    if (root.version > 1) {
      const prev = roleVersion(folder, rootCands, root.version - 1);
      if (prev) {
        const pm = Root.fromJSON(prev.signedRaw);
        const old: EventRule = {
          by: `root v${pm.version}`,
          keyids: pm.roles.root.keyids,
          keys: pick(pm.keys, pm.roles.root.keyids),
          threshold: pm.roles.root.threshold,
        };
        if (!sameRule(old, own)) rules.unshift(old);
      } else notes.push(`root v${root.version - 1} is not in the folder: root v${root.version} is judged by its own keys only`);
    }
    return { current: root, rules, notes, periods: root.signedRaw };
  }
  const current = await currentRoleFiles(folder, role, cands);
  if (TOP.includes(role)) {
    const r = rootModel.roles[role as 'targets' | 'snapshot' | 'timestamp'];
    const rules = [{ by: `root v${root.version}`, keyids: r.keyids, keys: pick(rootModel.keys, r.keyids), threshold: r.threshold }];
    const periods = role === 'targets' ? current.signedRaw : (r.unrecognized as Record<string, unknown>);
    return { current, rules, notes, periods };
  }
  const top = loadTopTargets(folder);
  const holder = delegatedRule(top, role) ? { name: 'targets', model: top } : delegatorOf(folder, role, top);
  const rule = delegatedRule(holder.model, role);
  if (!rule) throw new KeyceremonyError('NOT_FOUND', `role "${role}" is not delegated by any role in ${folder.label}`, { where: role });
  return { current, rules: [{ by: `${holder.name} v${holder.model.version}`, ...rule }], notes, periods: current.signedRaw };
}

function handles(signers: readonly EventSigner[]): string {
  return signers
    .map((s) => `${s.owner ?? `key ${s.keyid.slice(0, 8)}`}${s.state === 'invited' ? ' (invited)' : s.state === 'bad' ? ' (signature does not verify)' : ''}`)
    .join(', ');
}

/** "root v15: 2 of 3 — signed @a, @b; 1 more of @c (invited), @d" */
export function eventRuleLine(head: string, r: Pick<EventRuleStatus, 'threshold' | 'valid' | 'signers'>): string {
  const signed = r.signers.filter((s) => s.state === 'signed');
  const waiting = r.signers.filter((s) => s.state !== 'signed');
  const need = r.threshold - r.valid;
  const who = signed.length ? `signed ${handles(signed)}` : 'nobody signed yet';
  const still = need <= 0 ? 'complete' : `${need} more of ${handles(waiting)}`;
  return `${head}: ${r.valid} of ${r.threshold} — ${who}; ${still}`;
}

async function ruleStatus(
  rule: EventRule,
  role: string,
  version: number,
  canonical: Uint8Array,
  signatures: readonly TufSignature[],
  many: boolean,
): Promise<EventRuleStatus> {
  const th = await checkThreshold(canonical, signatures, rule.keyids, rule.keys, rule.threshold);
  const signedFps = new Set(th.fingerprints);
  const signers: EventSigner[] = [];
  for (const id of rule.keyids) {
    const key = rule.keys[id];
    const fingerprint = key ? await keyFingerprint(key) : '';
    if (fingerprint && signers.some((s) => s.fingerprint === fingerprint)) continue; // one key under two ids: one signer
    const entries = signatures.filter((s) => s.keyid === id);
    let state: SignerState;
    if (th.validKeyids.includes(id) || (fingerprint !== '' && signedFps.has(fingerprint))) state = 'signed';
    else if (entries.some((s) => s.sig !== '')) state = 'bad';
    else if (entries.length) state = 'invited';
    else state = 'unsigned';
    const owner = keyOwner(key);
    signers.push({ keyid: id, fingerprint, ...(owner ? { owner } : {}), state });
  }
  const head = many ? `${role} v${version} (keys of ${rule.by})` : `${role} v${version}`;
  const base = { by: rule.by, threshold: rule.threshold, valid: th.valid, ok: th.ok, signers };
  return { ...base, line: eventRuleLine(head, base) };
}

async function roleStatus(
  folder: MetadataFolder,
  role: string,
  names: Map<string, string[]>,
  now: number,
  cache: { root?: RoleFiles },
): Promise<EventRoleStatus> {
  const ctx = await roleContext(folder, role, names, cache);
  const c = ctx.current;
  const rules: EventRuleStatus[] = [];
  for (const r of ctx.rules) rules.push(await ruleStatus(r, role, c.version, c.canonical, c.signatures, ctx.rules.length > 1));
  const model = signedFromJSON(c.signedRaw);
  const expires = model.expires;
  const expired = model.isExpired(now);
  const renewal = renewalDue(model.expiresAt(), ctx.periods);
  const notes = [...ctx.notes];
  if (expired) notes.push(`${role} v${c.version} expired at ${expires}`);
  const text = fromUtf8(c.bytes);
  let tufOnCiLayout = false;
  try {
    tufOnCiLayout = pythonJsonDumps(JSON.parse(text)) === text;
  } catch {
    tufOnCiLayout = false;
  }
  return {
    role,
    version: c.version,
    files: c.files,
    expires,
    expired,
    ...(renewal ? { renewal } : {}),
    rules,
    ok: rules.every((r) => r.ok) && !expired,
    tufOnCiLayout,
    notes,
  };
}

function roleOrder(roles: string[]): string[] {
  const top = TOP.filter((r) => roles.includes(r));
  return [...top, ...roles.filter((r) => !TOP.includes(r)).sort()];
}

/** The invitations in tuf-on-ci's `.signing-event-state` ({"invites": {"@handle": ["role", …]}}), if present. */
export function readInvites(bytes: Uint8Array | undefined, source: string): Record<string, string[]> {
  if (!bytes) return {};
  const v = parseStrictJson(fromUtf8(bytes), { source }) as { invites?: unknown };
  const inv = v?.invites;
  if (typeof inv !== 'object' || inv === null || Array.isArray(inv)) return {};
  const out: Record<string, string[]> = {};
  for (const [who, roles] of Object.entries(inv)) if (Array.isArray(roles)) out[who] = roles.filter((r): r is string => typeof r === 'string');
  return out;
}

/**
 * Status of every role in the folder (or of `only`), by keyholder. `invitesFile`: the bytes of
 * tuf-on-ci's `.signing-event-state`, when the folder has one.
 */
export async function eventStatus(folder: MetadataFolder, opts: { now: number; role?: string; invitesFile?: Uint8Array }): Promise<EventStatus> {
  const names = roleFileNames(folder);
  const layout = folder.names().some((n) => n.startsWith('root_history/')) ? 'tuf-on-ci' : 'published';
  const roles = opts.role ? [opts.role] : roleOrder([...names.keys()]);
  if (opts.role && !names.has(opts.role)) {
    throw new KeyceremonyError('NOT_FOUND', `no metadata for role "${opts.role}" in ${folder.label} (roles here: ${roleOrder([...names.keys()]).join(', ')})`, {
      where: opts.role,
    });
  }
  const cache: { root?: RoleFiles } = {};
  const out: EventRoleStatus[] = [];
  for (const r of roles) {
    try {
      out.push(await roleStatus(folder, r, names, opts.now, cache));
    } catch (e) {
      // root is what every other role is judged by: without it there is no status
      if (r === 'root' || !(e instanceof KeyceremonyError)) throw e;
      out.push({
        role: r,
        version: 0,
        files: names.get(r) ?? [],
        expires: '',
        expired: false,
        rules: [],
        ok: false,
        tufOnCiLayout: false,
        notes: [`error[${e.code}]: ${e.message}`],
      });
    }
  }
  return {
    folder: folder.label,
    layout,
    evaluatedAt: formatTufTime(opts.now),
    roles: out,
    invites: readInvites(opts.invitesFile, `${folder.label}/.signing-event-state`),
    ok: out.every((r) => r.ok),
  };
}

/** The status as lines for a terminal. */
export function formatEventStatus(st: EventStatus): string[] {
  const lines: string[] = [`signing event in ${st.folder} (${st.layout} layout), at ${st.evaluatedAt}`];
  for (const r of st.roles) {
    for (const rule of r.rules) lines.push(`${rule.ok ? '✔' : '✘'} ${rule.line}`);
    lines.push(
      `    expires ${r.expires}${r.expired ? ' (EXPIRED)' : ''}${r.renewal ? `; renewal window opens ${r.renewal.at} (signing period ${r.renewal.days} days)` : ''}; ${r.files.join(', ')}`,
    );
    for (const n of r.notes) lines.push(`    note: ${n}`);
  }
  for (const [who, roles] of Object.entries(st.invites)) lines.push(`invited to join ${roles.join(', ')} (no key yet): ${who}`);
  lines.push(
    st.ok
      ? 'every role verifies'
      : `not complete: ${st.roles
          .filter((r) => !r.ok)
          .map((r) => `${r.role} v${r.version}`)
          .join(', ')}`,
  );
  return lines;
}

/**
 * What a custodian reads before signing `role`: the diff of its current version against the previous
 * one in the folder (root: root_history/N-1.root.json or N-1.root.json; other roles: N-1.<role>.json).
 */
export async function eventDiff(folder: MetadataFolder, role: string): Promise<{ version: number; previous?: number; lines: string[] }> {
  const names = roleFileNames(folder);
  const cands = names.get(role);
  if (!cands?.length) throw new KeyceremonyError('NOT_FOUND', `no metadata for role "${role}" in ${folder.label}`, { where: role });
  const cur = await currentRoleFiles(folder, role, cands);
  const prev = cur.version > 1 ? roleVersion(folder, cands, cur.version - 1) : undefined;
  const d = await diffSigned(prev?.signedRaw, cur.signedRaw, role);
  return { version: cur.version, ...(prev ? { previous: prev.version } : {}), lines: d.lines };
}

// ---------------------------------------------------------------------------------------------
// Signing in place

export { applyEventSignatures } from './in-place';

export interface PreparedSignature {
  role: string;
  version: number;
  /** The files to edit (all hold this version). */
  files: string[];
  /** SHA-256 of the canonical signed part: a file whose signed part changed meanwhile is refused. */
  signedSha256: string;
  signatures: TufSignature[];
  /** The keyholder(s) the key is listed for. */
  owners: string[];
  /** Nothing to do: the key had signed already. */
  already: boolean;
}

/**
 * Sign `role` with `signer`: refused (KEY_NOT_FOUND, before the token signs) unless one of the role's
 * rules lists the signer's public key; the signature is made over the canonical signed part, verified
 * with each listing key, and returned for `applyEventSignatures`.
 */
export async function prepareEventSignature(folder: MetadataFolder, role: string, signer: Signer): Promise<PreparedSignature> {
  const names = roleFileNames(folder);
  const ctx = await roleContext(folder, role, names, {});
  const c = ctx.current;
  const { key } = await signerKey(signer);
  const ids = new Set<string>();
  const owners = new Set<string>();
  for (const r of ctx.rules) {
    for (const id of r.keyids) {
      const k = r.keys[id];
      if (k && sameSpki(k, key)) {
        ids.add(id);
        const o = keyOwner(k);
        if (o) owners.add(o);
      }
    }
  }
  if (ids.size === 0) {
    const listed = ctx.rules.map((r) => `${r.by} lists ${r.keyids.map((id) => keyOwner(r.keys[id]) ?? `key ${id.slice(0, 8)}`).join(', ')}`).join('; ');
    throw new KeyceremonyError(
      'KEY_NOT_FOUND',
      `${signer.description} (fingerprint ${signer.fingerprint.slice(0, 16)}…) may not sign ${role} v${c.version}: ${listed}. Nothing was signed or written.`,
      { where: signer.description },
    );
  }
  const signedSha256 = await sha256Hex(c.canonical);
  const keysById: Record<string, TufKeyJSON> = Object.assign({}, ...ctx.rules.map((r) => r.keys));
  // signed already: every file holding this version carries a valid signature by each listing id
  let already = true;
  for (const f of c.perFile) {
    for (const id of ids) {
      let ok = false;
      for (const s of f.signatures) if (s.keyid === id && s.sig !== '' && (await verifyTufSignature(keysById[id]!, c.canonical, s.sig))) ok = true;
      if (!ok) already = false;
    }
  }
  if (already) {
    return { role, version: c.version, files: c.files, signedSha256, signatures: [], owners: [...owners], already: true };
  }
  const sig = toHex(await signer.sign(c.canonical));
  const signatures: TufSignature[] = [];
  for (const id of ids) {
    if (!(await verifyTufSignature(keysById[id]!, c.canonical, sig))) {
      throw new KeyceremonyError(
        'SIGNATURE_SELF_CHECK_FAILED',
        `the signature made for ${role} v${c.version} does not verify with key ${id.slice(0, 16)}…; nothing was written`,
        { where: id },
      );
    }
    signatures.push({ keyid: id, sig });
  }
  return { role, version: c.version, files: c.files, signedSha256, signatures, owners: [...owners], already: false };
}

/** One key that may sign a role now: the rule that lists it, its keyholder, whether it has signed. */
export interface EventSigningKey {
  rule: string;
  keyid: string;
  key: TufKeyJSON;
  owner?: string;
  signed: boolean;
}

/**
 * Every key that may sign `role` in the folder, per rule (a root: the previous root's keys and its
 * own): what a signing screen offers a custodian to choose from on their token.
 */
export async function eventSigningKeys(folder: MetadataFolder, role: string): Promise<EventSigningKey[]> {
  const ctx = await roleContext(folder, role, roleFileNames(folder), {});
  const c = ctx.current;
  const out: EventSigningKey[] = [];
  for (const r of ctx.rules) {
    const st = await ruleStatus(r, role, c.version, c.canonical, c.signatures, ctx.rules.length > 1);
    for (const s of st.signers) {
      const key = r.keys[s.keyid];
      if (key)
        out.push({
          rule: ctx.rules.length > 1 ? `keys of ${r.by}` : r.by,
          keyid: s.keyid,
          key,
          ...(s.owner ? { owner: s.owner } : {}),
          signed: s.state === 'signed',
        });
    }
  }
  return out;
}

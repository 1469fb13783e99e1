/**
 * Helpers for repository updates made as signing requests (targets add/remove, delegations, online-role
 * key rotation, expiry bumps) and for the client-side trusted state that `tuf verify --trusted-state`
 * keeps between runs (rollback protection, spec 5.3.5 / 5.4.3 / 5.4.4 / 5.5.5). Pure: no I/O.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { parseStrictJson } from '../../../shared/json/strict';
import { isBinName, isDelegatedPath, binForTarget } from '../../../shared/tuf/delegation';
import { formatTufTime, parseTufTime, type Root, type Targets } from '../../../shared/tuf/models';
import { pick, type SigningRule } from './request';
import { verifyRepository, type MetadataReader, type TrustedVersions, type TufVerification } from './verify';
import { addFailure, type TufFacts, type VerificationReport } from '../../../shared/verification/report';

type VerifyReport = VerificationReport & { tuf: TufFacts };

const TOP = ['root', 'targets', 'snapshot', 'timestamp'] as const;

/**
 * Who must sign a new version of `role`: a top-level role's keys from the current root, or a role
 * delegated by the top-level targets (listed, or a TAP 15 bin) with the delegation's keys.
 */
export function roleRules(role: string, root: Root, top: Targets | undefined): SigningRule[] {
  if (role === 'root') throw new KeyceremonyError('INVALID_INPUT', 'root changes use root rules (old and new root keys)', { where: role });
  if ((TOP as readonly string[]).includes(role)) {
    const r = root.roles[role as 'targets' | 'snapshot' | 'timestamp'];
    return [{ name: role, keyids: r.keyids, keys: pick(root.keys, r.keyids), threshold: r.threshold }];
  }
  const d = top?.delegations;
  const listed = d?.roles?.find((x) => x.name === role);
  if (d && listed) return [{ name: role, keyids: listed.keyids, keys: pick(d.keys, listed.keyids), threshold: listed.threshold }];
  if (d?.succinctRoles && isBinName(d.succinctRoles, role)) {
    const s = d.succinctRoles;
    return [{ name: role, keyids: s.keyids, keys: pick(d.keys, s.keyids), threshold: s.threshold }];
  }
  const names = (d?.roles ?? []).map((x) => x.name);
  throw new KeyceremonyError(
    'NOT_FOUND',
    `role "${role}" is not delegated by targets v${top?.version ?? '?'}` +
      (names.length
        ? ` (it delegates to: ${names.join(', ')})`
        : d?.succinctRoles
          ? ` (it delegates to hash bins ${d.succinctRoles.namePrefix}-*)`
          : ' (it has no delegations)'),
    { where: role },
  );
}

/**
 * A target path as TUF clients use it (a URL path relative to the targets base): not empty, no leading
 * "/", no "." or ".." segments, no empty segments, no backslash or control characters.
 */
export function checkTargetPath(p: string, where = '--path'): void {
  const bad = (why: string): never => {
    throw new KeyceremonyError('INVALID_INPUT', `target path ${JSON.stringify(p)} ${why}`, { where });
  };
  if (p.length === 0) bad('is empty');
  if (p.startsWith('/')) bad('must be relative (no leading "/")');
  if (/[\\\u0000-\u001f]/.test(p)) bad('contains a backslash or a control character');
  if (p.split('/').some((s) => s === '' || s === '.' || s === '..')) bad('has an empty, "." or ".." segment');
}

/** Refuse a target path that the role would not be trusted for (clients would ignore it there). */
export async function checkPathInRole(role: string, p: string, top: Targets | undefined): Promise<void> {
  if (role === 'targets') {
    const s = top?.delegations?.succinctRoles;
    if (s) {
      throw new KeyceremonyError(
        'INVALID_INPUT',
        `targets delegates every path to hash bins: ${p} belongs in ${await binForTarget(s, p)} (use --role ${await binForTarget(s, p)})`,
        { where: p },
      );
    }
    return;
  }
  const d = top?.delegations;
  const listed = d?.roles?.find((x) => x.name === role);
  if (listed && !(await isDelegatedPath(listed, p))) {
    const scope = listed.paths ? `paths ${JSON.stringify(listed.paths)}` : `path hash prefixes ${JSON.stringify(listed.pathHashPrefixes ?? [])}`;
    throw new KeyceremonyError('INVALID_INPUT', `${p} is outside role ${role}'s delegated ${scope}: clients would not trust it there`, { where: p });
  }
  if (!listed && d?.succinctRoles && isBinName(d.succinctRoles, role)) {
    const want = await binForTarget(d.succinctRoles, p);
    if (want !== role) throw new KeyceremonyError('INVALID_INPUT', `${p} belongs in hash bin ${want}, not ${role}`, { where: p });
  }
}

/** An expiry from `--expires TIME` or `--expires-in DAYS`, else `keep`; it must be after `now`. */
export function expiryFrom(opts: { expires?: string; expiresInDays?: number; keep?: string; now: number; what: string }): string {
  if (opts.expires !== undefined && opts.expiresInDays !== undefined) {
    throw new KeyceremonyError('INVALID_INPUT', 'give --expires or --expires-in, not both', { where: '--expires' });
  }
  let out: string | undefined;
  if (opts.expires !== undefined) out = formatTufTime(parseTufTime(opts.expires, '--expires'));
  else if (opts.expiresInDays !== undefined) {
    if (opts.expiresInDays < 1) throw new KeyceremonyError('INVALID_INPUT', '--expires-in must be at least 1 day', { where: '--expires-in' });
    out = formatTufTime(opts.now + opts.expiresInDays * 86400_000);
  } else out = opts.keep;
  if (out === undefined) throw new KeyceremonyError('INVALID_INPUT', `${opts.what}: give --expires TIME or --expires-in DAYS`, { where: '--expires-in' });
  if (parseTufTime(out, 'expires') <= opts.now) {
    throw new KeyceremonyError('EXPIRED', `${opts.what} would expire at ${out}, which is not after now (${formatTufTime(opts.now)}): give --expires-in DAYS`, {
      where: opts.expires !== undefined ? '--expires' : '--expires-in',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Trusted state for `tuf verify --trusted-state FILE`

export const TRUSTED_STATE_FORMAT = 'keyceremony/tuf-trusted-state';

export interface TrustedState {
  format: typeof TRUSTED_STATE_FORMAT;
  formatVersion: 1;
  root: number;
  timestamp?: number;
  snapshot?: number;
  /** Highest verified version per targets-family role file ("targets.json", "<role>.json"). */
  meta: Record<string, number>;
  verifiedAt: string;
}

export function parseTrustedState(text: string, source: string): TrustedState {
  const v = parseStrictJson(text, { source }) as Partial<TrustedState>;
  const bad = (where: string, msg: string): never => {
    throw new KeyceremonyError('INVALID_INPUT', `${source}: ${msg}`, { where: `${source} ${where}` });
  };
  if (typeof v !== 'object' || v === null || v.format !== TRUSTED_STATE_FORMAT)
    bad('$.format', `not a keyceremony TUF trusted state (${TRUSTED_STATE_FORMAT})`);
  if (v.formatVersion !== 1) bad('$.formatVersion', 'unsupported trusted state format version');
  const posInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 1;
  if (!posInt(v.root)) bad('$.root', 'root must be a version number >= 1');
  for (const k of ['timestamp', 'snapshot'] as const) if (v[k] !== undefined && !posInt(v[k])) bad(`$.${k}`, `${k} must be a version number >= 1`);
  if (typeof v.meta !== 'object' || v.meta === null || Array.isArray(v.meta)) bad('$.meta', 'meta must be an object');
  for (const [k, n] of Object.entries(v.meta as Record<string, number>)) if (!posInt(n)) bad(`$.meta[${JSON.stringify(k)}]`, 'versions must be numbers >= 1');
  return v as TrustedState;
}

/** The versions the verifier must not go below (its `previous` option). */
export function previousFromState(s: TrustedState): TrustedVersions {
  return {
    ...(s.timestamp !== undefined ? { timestamp: s.timestamp } : {}),
    ...(s.snapshot !== undefined ? { snapshot: s.snapshot } : {}),
    ...(Object.keys(s.meta).length ? { snapshotMeta: { ...s.meta } } : {}),
  };
}

/** A root older than the trusted one is a rollback (the verifier starts from --trusted-root only). */
export function rootRollback(s: TrustedState | undefined, report: VerifyReport): string | undefined {
  if (s && report.ok && report.tuf.rootVersion < s.root) {
    return `root v${report.tuf.rootVersion} is older than the trusted v${s.root} (5.3.5; trusted state)`;
  }
  return undefined;
}

/** The new trusted state after a successful verify: the highest versions seen, old entries kept. */
export function nextTrustedState(prev: TrustedState | undefined, report: VerifyReport, at: string): TrustedState {
  const meta: Record<string, number> = { ...(prev?.meta ?? {}) };
  let timestamp = prev?.timestamp;
  let snapshot = prev?.snapshot;
  for (const r of report.roles) {
    if (r.status !== 'verified' || r.version === undefined) continue;
    if (r.role === 'root') continue;
    if (r.role === 'timestamp') timestamp = Math.max(timestamp ?? 0, r.version);
    else if (r.role === 'snapshot') snapshot = Math.max(snapshot ?? 0, r.version);
    else meta[`${r.role}.json`] = Math.max(meta[`${r.role}.json`] ?? 0, r.version);
  }
  return {
    format: TRUSTED_STATE_FORMAT,
    formatVersion: 1,
    root: Math.max(prev?.root ?? 0, report.tuf.rootVersion),
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(snapshot !== undefined ? { snapshot } : {}),
    meta,
    verifiedAt: at,
  };
}

/**
 * `tuf verify --trusted-state` (and any verifier that remembers what it trusted, the desktop's too):
 * verify with the state's versions as the previous ones (timestamp, snapshot and role rollbacks,
 * 5.4.3 / 5.4.4 / 5.5.5), refuse a final root older than the trusted root (5.3.5), and give the state
 * to keep — only when the repository verified; a failed run leaves the state as it was.
 */
export async function verifyWithTrustedState(
  trustedRoot: Uint8Array,
  reader: MetadataReader,
  opts: { now: number; targetFiles?: MetadataReader; state?: TrustedState },
): Promise<{ verification: TufVerification; nextState?: TrustedState }> {
  const verification = await verifyRepository(trustedRoot, reader, {
    now: opts.now,
    ...(opts.targetFiles ? { targetFiles: opts.targetFiles } : {}),
    ...(opts.state ? { previous: previousFromState(opts.state) } : {}),
  });
  const report = verification.report;
  const rolledBack = rootRollback(opts.state, report);
  if (rolledBack) addFailure(report, { check: 'root.rollback', subject: 'root', code: 'ROLLBACK', message: rolledBack, spec: '5.3.5' });
  return report.ok ? { verification, nextState: nextTrustedState(opts.state, report, report.evaluatedAt) } : { verification };
}

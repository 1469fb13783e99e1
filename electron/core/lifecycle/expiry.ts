/**
 * The expiry dashboard (issue 15 item 1): every role of a TUF repository or Notary GUN with its
 * version, expiry, days left, state (`ok | renew-soon | expired`), who signs it and the threshold, and
 * the exact command that makes the renewal request. Pure: the roles come from the readers beside this
 * file (tuf.ts, notary.ts) over an injected folder; `now` is given.
 *
 * Renewal window of a role (how long before expiry it is due): `--warn-days N` for every role, else the
 * role's own `x-tuf-on-ci-signing-period` (tuf-on-ci's "start signing this many days before expiry",
 * carried by the role's metadata, or for online roles by their entry in root), else the repository's
 * ceremony settings (`renewalWindowDays` of the ceremony step that made it), else the defaults below.
 */
import { KeyceremonyError } from '../../../shared/errors';

export const DAY_MS = 86_400_000;

export type ExpiryState = 'ok' | 'renew-soon' | 'expired';
export type ExpiryKind = 'root' | 'targets' | 'snapshot' | 'timestamp' | 'delegated' | 'hash-bins' | 'root-certificate';
/** The keys a window can be set for: the top-level roles, and "delegations" for every delegated role (bins too). */
export type WindowKey = 'root' | 'targets' | 'snapshot' | 'timestamp' | 'delegations';

/** Days before expiry a role is due for renewal, unless its repository says otherwise. */
export const DEFAULT_RENEWAL_WINDOW_DAYS: Readonly<Record<WindowKey, number>> = { timestamp: 1, snapshot: 3, targets: 14, delegations: 14, root: 60 };

export type WindowSource = 'default' | 'ceremony settings' | 'x-tuf-on-ci-signing-period' | 'half x-tuf-on-ci-expiry-period' | '--warn-days';

/** One role (or a group of hash bins, or a Notary root certificate) as read from the folder. */
export interface RoleExpiry {
  role: string;
  kind: ExpiryKind;
  version: number;
  /** As written in the metadata. */
  expires: string;
  expiresMs: number;
  file: string;
  /** The delegating role (root for the top-level roles). */
  delegator?: string;
  threshold: number;
  /** Who may sign: the key id, and the holder's name where the metadata or settings name one. */
  signers: { keyid: string; name?: string }[];
  /** tuf-on-ci's signing period of the role, in days (core/tuf/event.ts signingPeriod). */
  signingPeriodDays?: number;
  /** Where it comes from: the role's `x-tuf-on-ci-signing-period`, or tuf-on-ci's default, half its expiry period. */
  signingPeriodSource?: 'signing-period' | 'half-expiry-period';
  /** `x-tuf-on-ci-expiry-period` of the role, in days: how long its next version is valid. */
  expiryPeriodDays?: number;
  /** Hash bins: every bin, the row shows the one expiring first. */
  members?: { role: string; version: number; expires: string; expiresMs: number }[];
}

/** What a reader found in a folder: the roles, and what it could not read (named, never silently dropped). */
export interface RepositoryRoles {
  kind: 'tuf' | 'notary';
  /** The folder, as named in commands (the `--metadata` argument). */
  dir: string;
  /** How the folder is laid out: published (N.root.json), tuf-on-ci (root_history/), rehearsal, notary. */
  layout: string;
  gun?: string;
  roles: RoleExpiry[];
  notes: string[];
}

export interface ExpiryRow extends RoleExpiry {
  state: ExpiryState;
  /** Whole days until expiry (negative once expired), rounded down. */
  daysLeft: number;
  /** Expiry minus the renewal window: when the renewal request should be made. */
  renewBy: string;
  windowDays: number;
  windowSource: WindowSource;
  /** The command that makes the renewal request (absent when nobody offline renews it: a Notary timestamp). */
  command?: string;
  /** Why there is no command, or what else to know about it. */
  commandNote?: string;
  /** Hash bins: how many are due (renew-soon or expired). */
  due?: number;
}

export interface ExpiryReport {
  kind: 'tuf' | 'notary';
  dir: string;
  layout: string;
  gun?: string;
  evaluatedAt: string;
  rows: ExpiryRow[];
  notes: string[];
  /** Nothing expired at `evaluatedAt` (the CLI's exit 0). */
  ok: boolean;
  counts: Record<ExpiryState, number>;
}

/** Renewal windows from the repository's ceremony settings (`renewalWindowDays`), any subset. */
export type RenewalSettings = Partial<Record<WindowKey, number>>;

export function windowKey(kind: ExpiryKind): WindowKey {
  switch (kind) {
    case 'root':
    case 'root-certificate':
      return 'root';
    case 'targets':
    case 'snapshot':
    case 'timestamp':
      return kind;
    case 'delegated':
    case 'hash-bins':
      return 'delegations';
  }
}

/** The renewal window of one role and where it comes from (see the module comment for the order). */
export function renewalWindow(
  role: Pick<RoleExpiry, 'kind' | 'signingPeriodDays' | 'signingPeriodSource'>,
  opts: { warnDays?: number; settings?: RenewalSettings } = {},
): { days: number; source: WindowSource } {
  if (opts.warnDays !== undefined) return { days: opts.warnDays, source: '--warn-days' };
  if (role.signingPeriodDays !== undefined) {
    return {
      days: role.signingPeriodDays,
      source: role.signingPeriodSource === 'half-expiry-period' ? 'half x-tuf-on-ci-expiry-period' : 'x-tuf-on-ci-signing-period',
    };
  }
  const key = windowKey(role.kind);
  const set = opts.settings?.[key];
  if (set !== undefined) return { days: set, source: 'ceremony settings' };
  return { days: DEFAULT_RENEWAL_WINDOW_DAYS[key], source: 'default' };
}

/** Check renewal settings read from a file (a ceremony script's `renewalWindowDays`). */
export function checkRenewalSettings(v: unknown, where: string): RenewalSettings {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new KeyceremonyError('INVALID_INPUT', `${where} must be an object of role -> days`, { where });
  const out: RenewalSettings = {};
  for (const [k, d] of Object.entries(v)) {
    if (!(k in DEFAULT_RENEWAL_WINDOW_DAYS)) {
      throw new KeyceremonyError('INVALID_INPUT', `${where}.${k}: unknown role (allowed: ${Object.keys(DEFAULT_RENEWAL_WINDOW_DAYS).join(', ')})`, {
        where: `${where}.${k}`,
      });
    }
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0 || d > 36500) {
      throw new KeyceremonyError('INVALID_INPUT', `${where}.${k} must be a whole number of days (0-36500)`, { where: `${where}.${k}` });
    }
    out[k as WindowKey] = d;
  }
  return out;
}

/** UTC, whole seconds (renew-by times are reminders, not signed values). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

export function stateAt(expiresMs: number, windowDays: number, now: number): ExpiryState {
  if (now >= expiresMs) return 'expired';
  if (now >= expiresMs - windowDays * DAY_MS) return 'renew-soon';
  return 'ok';
}

/** The rows of the dashboard, soonest renewal first. `command` makes each row's renewal command. */
export function expiryReport(
  repo: RepositoryRoles,
  opts: { now: number; warnDays?: number; settings?: RenewalSettings; command: (row: RoleExpiry) => { command?: string; note?: string } },
): ExpiryReport {
  const rows: ExpiryRow[] = repo.roles.map((r) => {
    const w = renewalWindow(r, opts);
    const renewByMs = r.expiresMs - w.days * DAY_MS;
    const c = opts.command(r);
    const row: ExpiryRow = {
      ...r,
      state: stateAt(r.expiresMs, w.days, opts.now),
      daysLeft: Math.floor((r.expiresMs - opts.now) / DAY_MS),
      renewBy: isoSeconds(renewByMs),
      windowDays: w.days,
      windowSource: w.source,
      ...(c.command ? { command: c.command } : {}),
      ...(c.note ? { commandNote: c.note } : {}),
    };
    if (r.members) row.due = r.members.filter((m) => stateAt(m.expiresMs, w.days, opts.now) !== 'ok').length;
    return row;
  });
  rows.sort((a, b) => Date.parse(a.renewBy) - Date.parse(b.renewBy) || a.role.localeCompare(b.role));
  const counts: Record<ExpiryState, number> = { ok: 0, 'renew-soon': 0, expired: 0 };
  for (const r of rows) counts[r.state]++;
  return {
    kind: repo.kind,
    dir: repo.dir,
    layout: repo.layout,
    ...(repo.gun ? { gun: repo.gun } : {}),
    evaluatedAt: isoSeconds(opts.now),
    rows,
    notes: repo.notes,
    ok: counts.expired === 0,
    counts,
  };
}

/** "alice, bob, 1a2b3c4d…" — names where known, short key ids otherwise. */
export function signerList(row: Pick<RoleExpiry, 'signers'>): string {
  return row.signers.map((s) => s.name ?? `${s.keyid.slice(0, 8)}…`).join(', ');
}

/** Quote a word for a POSIX shell when it needs it (paths with spaces in the printed commands). */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

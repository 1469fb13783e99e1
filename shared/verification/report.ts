/**
 * One verification report for everything keyceremony verifies offline: TUF repositories, Notary v1
 * repositories and ceremony bundles. `tuf verify --json`, `notary verify --json` and `bundle verify
 * --json` print it; the desktop Verify screens render it. Decisions are made on codes, never on the
 * English sentences (which are for people only and may change):
 *
 *   items[].check   what was checked (a closed list: CheckCodes)
 *   items[].status  pass | fail | warn | skip
 *   items[].code    the ErrorCode of a failure (THRESHOLD_NOT_MET, EXPIRED, ROLLBACK, HASH_MISMATCH…)
 *   verdict         failed if any item failed; partial when everything checked passed but the scope
 *                   was incomplete (e.g. a TUF folder with only root files); verified otherwise.
 *
 * Items are ordered failures first, then warnings, then passes, then skipped checks (each group in
 * the order the checks ran). `roles` carries the facts an auditor reads: per role (or bundle
 * manifest) its file, version, expiry, delegator, and who signed it by key id / name / fingerprint.
 */
import type { ErrorCode } from '../errors';

export const VERIFICATION_REPORT_TYPE = 'https://keyceremony.dev/verification/v1';

export type VerificationKind = 'tuf' | 'notary' | 'bundle' | 'cosign';

/** What an item checked. Adding a code is fine; renaming one breaks consumers. */
export const CheckCodes = [
  // ---- TUF and Notary (TUF spec "Detailed client workflow" 5.2–5.6; Notary's client does the same)
  /** The trusted root: parses, is signed by a threshold of its own root keys (5.2). */
  'trust.anchor',
  /** How trust was established (Notary: pinned root vs TOFU). */
  'trust.mode',
  /** One root rotation N -> N+1: threshold of N and of N+1, version exactly N+1 (5.3.4, 5.3.5). */
  'root.update',
  /** The final root is not expired (5.3.10). */
  'root.expiry',
  /** The root is not older than a previously trusted one (trusted state). */
  'root.rollback',
  /** Notary: the root certificates (CN = GUN, validity, no SHA-1, RSA >= 2048). */
  'root.certificates',
  /** A role's metadata file is present where the referring metadata says. */
  'role.present',
  /** A role's file parses strictly and has the right type. */
  'role.parse',
  /** Length and hashes match the referring metadata (5.5.2, 5.6.2). */
  'role.hashes',
  /** Signed by a threshold of the keys its delegator names (5.4.2, 5.5.3, 5.6.3). */
  'role.signatures',
  /** The version the referring metadata names (5.5.4, 5.6.4). */
  'role.version',
  /** Not older than previously trusted versions (5.4.3, 5.4.4, 5.5.5). */
  'role.rollback',
  /** Not expired at the evaluation time (5.4.5, 5.5.6, 5.6.5). */
  'role.expiry',
  /** Targets outside the paths delegated to the role (a client ignores them). */
  'role.paths',
  /** Notary: delegation key certificates. */
  'role.certificates',
  /** A delegation is well formed (Notary: a child role name under its parent). */
  'role.delegation',
  /** Performance advice (e.g. a very large flat targets file). */
  'role.advice',
  /** Target files given alongside match their length and hashes. */
  'target.files',
  /** A target was looked up the way a client searches (5.6.7). */
  'target.lookup',
  /** What the verification covered: root chain only, rehearsal file names, missing optional files. */
  'scope',
  // ---- ceremony bundles
  /** manifest.json is present, strictly parsed and well formed. */
  'bundle.manifest',
  /** manifest.dsse.json covers exactly manifest.json. */
  'bundle.envelope',
  /** A manifest key's fingerprint is SHA-256 of its public key. */
  'bundle.key',
  /** A required signer's signature over the manifest verifies. */
  'bundle.signature',
  /** A signer pinned out of band (--expect-signer) signed. */
  'bundle.signer.expected',
  /** A listed file is present with the listed size and SHA-256. */
  'bundle.file',
  /** A file in the bundle that the manifest does not list. */
  'bundle.unlisted',
  /** The hash-chained transcript verifies and matches the manifest. */
  'bundle.transcript',
  /** SHA256SUMS lists exactly the bundle's other files, each matching (docs/bundle-format.md). */
  'bundle.checksums',
  /** A signer's detached signature over SHA256SUMS (SHA256SUMS.<key>.sig) verifies, as openssl checks it. */
  'bundle.checksums.signature',
  /** VERIFY.sh is present and byte for byte the script keyceremony writes for the bundle's signers. */
  'bundle.verify-script',
  /** A key's hardware attestation (attestations/<key>/) re-verifies: chain, key, recorded facts. */
  'bundle.attestation',
  /** The transcript's confirmations (acknowledgements) are what the ceremony script asked of each person, each step. */
  'bundle.confirmations',
  /** Production vs rehearsal. */
  'bundle.mode',
  // ---- cosign (key-based, as `keyceremony cosign verify`)
  /** One signature or bundle verified with an allowed key (and, for a bundle, its log entries). */
  'cosign.signature',
  /** m distinct allowed keys signed (m-of-n). */
  'cosign.threshold',
  // ---- expectations an auditor pinned before verifying (desktop Verify screen)
  /** A key the auditor pinned (by key or fingerprint) signed what was verified. */
  'pin.signer',
  /** What was verified is in the mode the auditor pinned (production or rehearsal). */
  'pin.mode',
] as const;

export type CheckCode = (typeof CheckCodes)[number];

export type ItemStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface VerificationItem {
  check: CheckCode;
  status: ItemStatus;
  /** What the item is about: a role name ("root", "targets", "releases"), a bundle file path, a key id. */
  subject: string;
  /** The error code of a failure; also set on warnings where one applies. */
  code?: ErrorCode;
  /** The file the item was read from. */
  file?: string;
  /** The spec step, e.g. "5.3.4" (TUF). */
  spec?: string;
  /** One sentence for people. Display only: never decide on it. */
  message: string;
}

export interface SignerFact {
  keyid: string;
  /** A name a person knows the key by: a ceremony key id, a certificate CN, a label. */
  name?: string;
  /** SHA-256 (hex) of the DER SubjectPublicKeyInfo, when the key could be read. */
  fingerprint?: string;
  /** PGP words of the fingerprint (bundles), for reading aloud. */
  words?: string;
}

/** One threshold rule and how it was met. */
export interface ThresholdFact {
  /** The role whose metadata names the keys: "root", "targets", "a" (the delegating role), "manifest". */
  delegator: string;
  /** The version of the delegator's metadata the keys come from. */
  delegatorVersion?: number;
  /** For people: "root v3 timestamp keys", "keys delegated by a", "root v1 keys (old)". */
  description: string;
  threshold: number;
  valid: number;
  met: boolean;
  /** Keys whose signature verified (each physical key counted once). */
  signedBy: SignerFact[];
}

export type RoleStatus = 'verified' | 'failed' | 'not checked';

export type RoleKind = 'root' | 'timestamp' | 'snapshot' | 'targets' | 'delegated' | 'manifest';

export interface RoleFact {
  /** Role name ("root", "targets", "releases", "targets/releases"); "manifest" for a bundle. */
  role: string;
  kind: RoleKind;
  file?: string;
  version?: number;
  expires?: string;
  /** The role that delegated this one (targets -> a -> c: c's delegator is "a"). */
  delegator?: string;
  status: RoleStatus;
  thresholds: ThresholdFact[];
  /** Targets this role lists. */
  targets?: number;
  /** Things an auditor may want to know that do not change the verdict (ignored signatures…). */
  notes: string[];
}

export type OverallVerdict = 'verified' | 'partial' | 'failed';

export interface TufFacts {
  trustedRootVersion: number;
  rootVersion: number;
  /** The folder held only root files: the root chain was verified, nothing else. */
  rootChainOnly: boolean;
  targetCount: number;
  targetFilesChecked: number;
  lookups?: { target: string; role?: string; delegationPath?: string[]; length?: number; hashes?: Record<string, string> }[];
}

export interface NotaryFacts {
  gun?: string;
  /** How trust was established (pinned root, or TOFU on the first root seen). */
  trust: string;
  targets: { name: string; role: string; length: number; sha256?: string }[];
}

/** One confirmation a person gave in a ceremony, as its transcript records it. */
export interface ConfirmationFact {
  /** The transcript entry (`seq`) and time of the step that recorded it. */
  seq: number;
  time: string;
  step: string;
  /** The step was skipped (rehearsal: a service this build lacks); the confirmation was still asked. */
  skipped: boolean;
  /** The acknowledgement's id in the ceremony script. */
  ack: string;
  /** Participant id; name and role as the bundle's ceremony script gives them. */
  by: string;
  name?: string;
  role?: string;
  statement: string;
  /** At the screen, from an answers file, or not recorded (transcripts written before sources were). */
  source: 'screen' | 'answers-file' | 'unrecorded';
}

/** How a confirmation was given, in words (the CLI, the Verify screen and the check's summary say the same). */
export const CONFIRMATION_SOURCE: Record<ConfirmationFact['source'], string> = {
  screen: 'at the screen',
  'answers-file': 'from the answers file',
  unrecorded: 'without a recorded source',
};

/** "Name (id, role)" of the person who confirmed, or the bare id when the script was not read. */
export function confirmerLabel(c: Pick<ConfirmationFact, 'by' | 'name' | 'role'>): string {
  return c.name ? `${c.name} (${c.by}${c.role ? `, ${c.role}` : ''})` : c.by;
}

export interface BundleFacts {
  title?: string;
  ceremony?: string;
  runId?: string;
  sealedAt?: string;
  files: number;
  /** The ceremony's public keys as the manifest lists them. */
  keys: { id: string; label: string; keyType: string; fingerprint: string; words: string; purpose?: string }[];
  /** SHA256SUMS and each signer's signature over it: what an outsider checks with sha256sum and openssl. */
  checksums?: {
    path: string;
    present: boolean;
    listed: number;
    matches: boolean;
    signatures: { key: string; path: string; algorithm: string; fingerprint: string; ok: boolean }[];
  };
  /** VERIFY.sh: present, and the script keyceremony writes for these signers (so it gives the same verdict). */
  verifyScript?: { path: string; present: boolean; matches: boolean };
  /** Every confirmation the transcript records, in order (what a witness checks after the ceremony). */
  confirmations?: ConfirmationFact[];
}

export interface VerificationReport {
  type: typeof VERIFICATION_REPORT_TYPE;
  kind: VerificationKind;
  verdict: OverallVerdict;
  /** No item failed (verdict is verified or partial). */
  ok: boolean;
  /** The time the verification was evaluated at (ISO 8601): expiries are judged against it. */
  evaluatedAt: string;
  /** What was verified, for headings: "TUF repository", a GUN, a bundle title. */
  subject: string;
  /** Made in a rehearsal (bundle flag, REHEARSAL- file names): never production trust. */
  rehearsal: boolean;
  /** One line for people. */
  summary: string;
  items: VerificationItem[];
  roles: RoleFact[];
  tuf?: TufFacts;
  notary?: NotaryFacts;
  bundle?: BundleFacts;
}

const RANK: Record<ItemStatus, number> = { fail: 0, warn: 1, pass: 2, skip: 3 };

/** Failures first, then warnings, passes, skipped; stable within each group. */
export function orderItems(items: readonly VerificationItem[]): VerificationItem[] {
  return items
    .map((it, i) => ({ it, i }))
    .sort((a, b) => RANK[a.it.status] - RANK[b.it.status] || a.i - b.i)
    .map((x) => x.it);
}

/** The verdict the items and scope give: red when anything failed. */
export function verdictOf(items: readonly VerificationItem[], complete: boolean): OverallVerdict {
  if (items.some((i) => i.status === 'fail')) return 'failed';
  return complete ? 'verified' : 'partial';
}

/** Items that failed, in order. */
export function failures(r: Pick<VerificationReport, 'items'>): VerificationItem[] {
  return r.items.filter((i) => i.status === 'fail');
}

/** The first item with this check (and subject, when given). */
export function findItem(r: Pick<VerificationReport, 'items'>, check: CheckCode, subject?: string): VerificationItem | undefined {
  return r.items.find((i) => i.check === check && (subject === undefined || i.subject === subject));
}

/** "NOT VERIFIED at <time>: [CODE] message; …" from the failing items. */
export function failedSummary(r: Pick<VerificationReport, 'items' | 'evaluatedAt'>): string {
  return `NOT VERIFIED at ${r.evaluatedAt}: ${failures(r)
    .map((f) => `[${f.code ?? 'VERIFICATION_FAILED'}] ${f.message}`)
    .join('; ')}`;
}

/**
 * Add a failure found after the verifier ran (e.g. a rollback against a trusted state): the item goes
 * first, the role it names is marked failed, and the verdict turns red.
 */
export function addFailure(r: VerificationReport, item: Omit<VerificationItem, 'status'>): void {
  r.items = orderItems([{ ...item, status: 'fail' }, ...r.items]);
  const role = r.roles.find((x) => x.role === item.subject);
  if (role) role.status = 'failed';
  r.verdict = 'failed';
  r.ok = false;
  r.summary = failedSummary(r);
}

const MARK: Record<ItemStatus, string> = { pass: 'ok  ', fail: 'FAIL', warn: 'warn', skip: 'skip' };

function signerList(t: ThresholdFact): string {
  return t.signedBy.map((s) => `${s.name ? `${s.name} ` : ''}${s.keyid.slice(0, 12)}`).join(', ');
}

function itemLine(i: VerificationItem, indent: string): string {
  return `${indent}${MARK[i.status]} ${i.message}${i.code && i.status !== 'pass' ? ` [${i.code}]` : ''}`;
}

/**
 * The plain-text report (CLI): the verdict line, problems first, then one block per role with its
 * checks, its signers by key id (and name), and its notes; checks about no role at the end.
 */
export function formatVerificationReport(r: VerificationReport, opts: { maxNotes?: number } = {}): string[] {
  const maxNotes = opts.maxNotes ?? 20;
  const out: string[] = [r.summary];
  if (r.rehearsal) out.push('REHEARSAL: not for production');
  for (const i of r.items) {
    if (i.status === 'fail' || i.status === 'warn')
      out.push(`${MARK[i.status]} ${i.subject}${i.file && i.file !== i.subject ? ` (${i.file})` : ''}: ${i.message}${i.code ? ` [${i.code}]` : ''}`);
  }
  const roleNames = new Set(r.roles.map((x) => x.role));
  const seen = new Set<string>();
  for (const role of r.roles) {
    const head = [
      role.role,
      role.version !== undefined ? ` v${role.version}` : '',
      role.file ? ` (${role.file})` : '',
      `: ${role.status}`,
      role.delegator ? `, delegated by ${role.delegator}` : '',
      role.expires ? `, expires ${role.expires}` : '',
      role.targets !== undefined ? `, ${role.targets} target${role.targets === 1 ? '' : 's'}` : '',
    ].join('');
    out.push(head);
    if (!seen.has(role.role)) {
      for (const i of r.items) if (i.subject === role.role && i.status === 'pass') out.push(itemLine(i, '  '));
      seen.add(role.role);
    }
    for (const t of role.thresholds) if (t.signedBy.length) out.push(`  signers (${t.description}): ${signerList(t)}`);
    for (const n of role.notes.slice(0, maxNotes)) out.push(`  note ${n}`);
    if (role.notes.length > maxNotes) out.push(`  note ... ${role.notes.length - maxNotes} more`);
  }
  for (const i of r.items) {
    if ((i.status === 'pass' || i.status === 'skip') && !roleNames.has(i.subject)) out.push(`${MARK[i.status]} ${i.subject}: ${i.message}`);
  }
  for (const i of r.items) if (i.status === 'skip' && roleNames.has(i.subject)) out.push(`${MARK[i.status]} ${i.subject}: ${i.message}`);
  return out;
}

/**
 * Verify a Notary repository the way the notary client does (notary 0.7 `tuf/`, `trustpinning/`), in
 * the steps of the TUF client workflow, one function each:
 *
 *   loadTrustedRoot  the trust anchor: a pinned root (the file the user trusts) or, like notary's TOFU,
 *                    the first root seen; signed by a threshold of its own root keys
 *   updateRoot       every `N.root.json` after it, then `root.json`: version exactly N+1, a threshold
 *                    of the previous root's root keys AND of its own; the final root's certificates
 *                    (x509, CN = GUN, valid at the clock, no SHA-1) and expiry
 *   updateTimestamp  threshold, expiry, the snapshot's base64 sha256/sha512 + length
 *   updateSnapshot   threshold, expiry, root.json's hashes; matches the timestamp
 *   updateTargets    targets, then every delegation pre-order depth first (the TUF 5.6.7 order), each
 *                    checked against its parent (`verifyDelegate`); targets outside a role's paths are
 *                    ignored with a warning, as clients do
 *
 * Unlike a TUF client it does not stop at the first fault: every role is checked and reported, so a
 * custodian sees all that is wrong at once. Each key counts once (by id and by public key); unknown-key
 * and broken signatures are ignored. The clock is injected (`at`). The result is the one
 * VerificationReport (shared/verification), kind "notary".
 */
import { isKeyceremonyError, type ErrorCode } from '../../../shared/errors';
import {
  certOfKey,
  checkFileMeta,
  isSelfSigned,
  isX509KeyType,
  parseNotaryFile,
  parseNotaryTime,
  type NotaryRoot,
  type NotarySignedBody,
  type NotarySnapshot,
  type NotaryTargets,
  type NotaryTimestamp,
  type ParsedNotaryFile,
} from '../../../shared/notary';
import { parseSpki } from '../../../shared/crypto/spki';
import { fromBase64, toHex } from '../../../shared/encoding/bytes';
import {
  VERIFICATION_REPORT_TYPE,
  failedSummary,
  formatVerificationReport,
  orderItems,
  verdictOf,
  type CheckCode,
  type ItemStatus,
  type NotaryFacts,
  type RoleFact,
  type RoleKind,
  type ThresholdFact,
  type VerificationItem,
  type VerificationReport,
} from '../../../shared/verification/report';
import { formatStatus, rulesFor, statusOf, type RuleStatus } from './sign';

export type NotaryVerifyReport = VerificationReport & { kind: 'notary'; notary: NotaryFacts };

export interface NotaryVerifyOptions {
  /** Files of the repository directory by relative path (`root.json`, `2.root.json`, `targets/releases.json`…). */
  files: ReadonlyMap<string, Uint8Array>;
  /** Bytes of the root the user trusts; without it the first root present is trusted (TOFU, reported). */
  trustedRoot?: Uint8Array;
  /** Expected GUN; default: the root certificates' CN. */
  gun?: string;
  at: Date;
  /** Fail when timestamp.json / snapshot.json are absent (a published repository). Default false. */
  requireAll?: boolean;
}

const short = (id: string) => `${id.slice(0, 12)}…`;

/** Who delegates a role: the (previous and) current root for root and the top-level roles, the parent targets role otherwise. */
export interface NotaryDelegator {
  role: string;
  version: number;
  ctx: { root?: NotaryRoot; prevRoot?: NotaryRoot; parent?: NotaryTargets };
}

/**
 * Count a file's signatures against every rule its delegator sets (notary: a rotated root needs a
 * threshold of the old AND the new root keys). Throws NOT_FOUND when the delegator does not delegate it.
 */
export async function verifyDelegate(
  delegator: NotaryDelegator,
  role: string,
  file: ParsedNotaryFile,
): Promise<{ status: RuleStatus[]; facts: ThresholdFact[]; line: string }> {
  const rules = rulesFor(role, file.signed, delegator.ctx);
  const status = await statusOf(rules, file.signatures, file.signedBytes);
  const facts = status.map((s): ThresholdFact => ({
    delegator: delegator.role,
    delegatorVersion: delegator.version,
    description: `${s.label} keys`,
    threshold: s.threshold,
    valid: s.valid,
    met: s.met,
    signedBy: s.signedBy.map((keyid) => ({ keyid, ...certName(rules.find((r) => r.label === s.label)?.keys[keyid]) })),
  }));
  return { status, facts, line: formatStatus(role, file.signed.version, status) };
}

function certName(k: Parameters<typeof certOfKey>[0] | undefined): { name?: string } {
  if (!k || !isX509KeyType(k.keytype)) return {};
  try {
    const cn = certOfKey(k).subjectCN;
    return cn ? { name: `CN=${cn}` } : {};
  } catch {
    return {};
  }
}

class Builder {
  readonly items: VerificationItem[] = [];
  readonly roles: RoleFact[] = [];
  current: RoleFact | undefined;

  begin(role: string, kind: RoleKind, file: string, delegator?: string): RoleFact {
    const r: RoleFact = { role, kind, file, status: 'not checked', thresholds: [], notes: [], ...(delegator ? { delegator } : {}) };
    this.roles.push(r);
    this.current = r;
    return r;
  }

  add(status: ItemStatus, check: CheckCode, message: string, code?: ErrorCode, subject?: string): void {
    const r = this.current;
    this.items.push({ check, status, subject: subject ?? r?.role ?? 'repository', ...(r?.file ? { file: r.file } : {}), message, ...(code ? { code } : {}) });
    if (status === 'fail' && r && subject === undefined) r.status = 'failed';
  }
  pass(check: CheckCode, message: string): void {
    this.add('pass', check, message);
  }
  warn(check: CheckCode, message: string, code?: ErrorCode): void {
    this.add('warn', check, message, code);
  }
  fail(check: CheckCode, code: ErrorCode, message: string): void {
    this.add('fail', check, message, code);
  }
  /** The current role verified unless one of its items failed. */
  settle(): void {
    const r = this.current;
    if (r && r.status === 'not checked') r.status = 'verified';
  }
  failedHere(): boolean {
    return this.current?.status === 'failed';
  }
}

class NotaryVerifier {
  readonly out = new Builder();
  readonly facts: NotaryFacts = { trust: '', targets: [] };
  private root: ParsedNotaryFile<NotaryRoot> | undefined;

  constructor(private readonly opts: NotaryVerifyOptions) {}

  private parse<T extends NotarySignedBody>(bytes: Uint8Array, file: string, type: T['_type']): ParsedNotaryFile<T> | undefined {
    try {
      return parseNotaryFile<T>(bytes, { source: file, expectType: type });
    } catch (e) {
      this.out.fail('role.parse', isKeyceremonyError(e) ? e.code : 'INVALID_METADATA', e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }

  private signatures(check: CheckCode, v: { status: RuleStatus[]; facts: ThresholdFact[]; line: string }): boolean {
    const fact = this.out.current as RoleFact;
    fact.thresholds.push(...v.facts);
    const ok = v.status.every((s) => s.met);
    if (ok) this.out.pass(check, v.line);
    else
      for (const s of v.status)
        if (!s.met) this.out.fail(check, 'THRESHOLD_NOT_MET', `${v.line}: needs ${s.threshold} valid ${s.label} signatures, has ${s.valid}`);
    return ok;
  }

  private expiry(body: NotarySignedBody, check: CheckCode): void {
    const exp = parseNotaryTime(body.expires);
    if (exp <= this.opts.at.getTime()) this.out.fail(check, 'EXPIRED', `expired at ${new Date(exp).toISOString()} (clock ${this.opts.at.toISOString()})`);
    else this.out.pass(check, `valid until ${new Date(exp).toISOString()}`);
  }

  /** x509 root certificates: CN = GUN, no SHA-1, RSA >= 2048; with `strictTime`, valid at the clock. */
  private async certificates(root: NotaryRoot, strictTime: boolean): Promise<string | undefined> {
    const at = this.opts.at;
    let cn: string | undefined = this.facts.gun ?? this.opts.gun;
    const before = this.out.items.length;
    const bad = (msg: string) => this.out.fail('root.certificates', 'INVALID_KEY', msg);
    for (const id of root.roles.root.keyids) {
      const k = root.keys[id];
      if (!k) {
        bad(`root role lists key ${short(id)} that is not in keys`);
        continue;
      }
      if (!isX509KeyType(k.keytype)) {
        bad(`root key ${short(id)} is ${k.keytype}; Notary root keys are x509 certificates`);
        continue;
      }
      let c;
      try {
        c = certOfKey(k);
      } catch (e) {
        bad(`root key ${short(id)}: certificate does not parse (${(e as Error).message})`);
        continue;
      }
      if (cn === undefined && c.subjectCN) cn = c.subjectCN;
      if (c.subjectCN !== cn) bad(`root certificate ${short(id)} has CN=${JSON.stringify(c.subjectCN)}, expected the GUN ${JSON.stringify(cn)}`);
      if (c.sha1) bad(`root certificate ${short(id)} is signed with SHA-1 (Notary refuses it)`);
      const info = parseSpki(c.spki);
      if (info.algorithm === 'rsa' && info.bits < 2048) bad(`root certificate ${short(id)} has a ${info.bits}-bit RSA key (Notary needs >= 2048)`);
      if (strictTime && (at < c.notBefore || at > c.notAfter)) {
        this.out.fail(
          'root.certificates',
          'EXPIRED',
          `root certificate ${short(id)} (CN=${c.subjectCN}) is valid ${c.notBefore.toISOString()} .. ${c.notAfter.toISOString()}, not at ${at.toISOString()}`,
        );
      } else if (strictTime && c.notAfter.getTime() - at.getTime() < 182 * 86_400_000) {
        this.out.warn('root.certificates', `root certificate ${short(id)} expires within 6 months (${c.notAfter.toISOString()})`);
      }
      if (!(await isSelfSigned(c)))
        this.out.warn('root.certificates', `root certificate ${short(id)} is not self-signed (needs a trust_pinning CA on clients)`);
    }
    if (strictTime && !this.out.items.slice(before).some((i) => i.status === 'fail')) {
      this.out.pass('root.certificates', `${root.roles.root.keyids.length} root certificate(s): CN=${cn}, valid at ${at.toISOString()}`);
    }
    return cn;
  }

  /** The trust anchor: the pinned root, or the first root present (TOFU). */
  async loadTrustedRoot(): Promise<boolean> {
    const { files } = this.opts;
    const versioned = this.versionedRoots();
    let bytes = this.opts.trustedRoot;
    let name = 'trusted root';
    if (bytes) this.facts.trust = 'pinned: the trusted root given';
    else {
      const first = versioned[0];
      name = first !== undefined ? `${first}.root.json` : 'root.json';
      bytes = files.get(name);
      this.facts.trust = `TOFU: trusting ${name} as first seen (pin it with a trusted root to rule out a substituted repository)`;
    }
    const fact = this.out.begin('root', 'root', name);
    if (this.opts.trustedRoot) this.out.pass('trust.mode', this.facts.trust);
    else this.out.warn('trust.mode', this.facts.trust);
    if (!bytes) {
      this.out.fail('role.present', 'NOT_FOUND', 'no root.json: nothing to verify from');
      return false;
    }
    const anchor = this.parse<NotaryRoot>(bytes, name, 'Root');
    if (!anchor) return false;
    fact.version = anchor.signed.version;
    fact.expires = anchor.signed.expires;
    const v = await verifyDelegate({ role: 'root', version: anchor.signed.version, ctx: {} }, 'root', anchor);
    this.signatures('trust.anchor', v);
    this.facts.gun = await this.certificates(anchor.signed, false);
    this.root = anchor;
    return !this.out.failedHere();
  }

  private versionedRoots(): number[] {
    return [...this.opts.files.keys()]
      .map((f) => /^(\d+)\.root\.json$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  /** Every later root, in order; then the final root's expiry and certificates at the clock. */
  async updateRoot(): Promise<NotaryRoot | undefined> {
    const fact = this.out.current as RoleFact;
    for (const v of this.versionedRoots()) {
      if (v <= this.root!.signed.version) continue;
      if (!(await this.stepTo(this.opts.files.get(`${v}.root.json`)!, `${v}.root.json`))) return undefined;
    }
    const rootJson = this.opts.files.get('root.json');
    if (rootJson && !(this.opts.trustedRoot === undefined && fact.file === 'root.json')) {
      if (!(await this.stepTo(rootJson, 'root.json'))) return undefined;
    }
    const root = this.root!.signed;
    fact.version = root.version;
    fact.expires = root.expires;
    this.expiry(root, 'root.expiry');
    await this.certificates(root, true);
    this.out.settle();
    return root;
  }

  private async stepTo(bytes: Uint8Array, file: string): Promise<boolean> {
    const cur = this.root!;
    const fact = this.out.current as RoleFact;
    const next = this.parse<NotaryRoot>(bytes, file, 'Root');
    if (!next) return false;
    if (next.signed.version === cur.signed.version) {
      if (next.signedBytes.length !== cur.signedBytes.length || next.signedBytes.some((b, i) => b !== cur.signedBytes[i])) {
        this.out.fail(
          'root.update',
          'ROLLBACK',
          `${file}: root v${next.signed.version} differs from the trusted root v${cur.signed.version} with the same version`,
        );
        return false;
      }
      return true;
    }
    if (next.signed.version < cur.signed.version) {
      this.out.fail('root.update', 'ROLLBACK', `${file}: rollback: version ${next.signed.version} is older than the trusted root v${cur.signed.version}`);
      return false;
    }
    if (next.signed.version !== cur.signed.version + 1) {
      this.out.fail(
        'root.update',
        'ROLLBACK',
        `${file}: root version ${next.signed.version} does not follow v${cur.signed.version} (expected exactly v${cur.signed.version + 1}); missing ${cur.signed.version + 1}.root.json?`,
      );
      return false;
    }
    fact.file = file;
    const before = this.out.items.length;
    const v = await verifyDelegate({ role: 'root', version: cur.signed.version, ctx: { prevRoot: cur.signed } }, 'root', next);
    this.signatures('root.update', v);
    const gun = this.facts.gun;
    const g = await this.certificates(next.signed, false);
    if (gun && g !== gun) this.out.fail('root.certificates', 'INVALID_KEY', `GUN changed from ${gun} to ${g}`);
    if (this.out.items.slice(before).some((i) => i.status === 'fail')) return false;
    this.root = next;
    return true;
  }

  /** timestamp.json: threshold, expiry, and the snapshot it names. Returns whether snapshot.json matches it. */
  async updateTimestamp(root: NotaryRoot): Promise<boolean> {
    const { files } = this.opts;
    const bytes = files.get('timestamp.json');
    const snBytes = files.get('snapshot.json');
    this.out.begin('timestamp', 'timestamp', 'timestamp.json', 'root');
    if (!bytes) {
      if (this.opts.requireAll) this.out.fail('role.present', 'NOT_FOUND', 'timestamp.json is missing');
      else {
        this.out.add('skip', 'scope', 'absent: notary-server holds the timestamp key and makes it on publish (not verified here)');
        (this.out.current as RoleFact).notes.push('absent: notary-server holds the timestamp key and makes it on publish');
      }
      return false;
    }
    const ts = this.parse<NotaryTimestamp>(bytes, 'timestamp.json', 'Timestamp');
    if (!ts) return false;
    const fact = this.out.current as RoleFact;
    fact.version = ts.signed.version;
    fact.expires = ts.signed.expires;
    this.signatures('role.signatures', await verifyDelegate({ role: 'root', version: root.version, ctx: { root } }, 'timestamp', ts));
    this.expiry(ts.signed, 'role.expiry');
    let matches = false;
    if (!snBytes) this.out.fail('role.present', 'NOT_FOUND', 'snapshot.json is missing');
    else {
      const p = await checkFileMeta(snBytes, ts.signed.meta.snapshot);
      for (const x of p) this.out.fail('role.hashes', 'HASH_MISMATCH', `snapshot.json: ${x}`);
      if (!p.length) this.out.pass('role.hashes', 'snapshot.json matches: length, hashes');
      matches = p.length === 0;
    }
    this.out.settle();
    return matches;
  }

  /** snapshot.json: threshold, expiry, root.json's hashes, and the timestamp's view of it. */
  async updateSnapshot(root: NotaryRoot, matchesTimestamp: boolean): Promise<NotarySnapshot | undefined> {
    const { files } = this.opts;
    const bytes = files.get('snapshot.json');
    this.out.begin('snapshot', 'snapshot', 'snapshot.json', 'root');
    if (!bytes) {
      if (this.opts.requireAll) this.out.fail('role.present', 'NOT_FOUND', 'snapshot.json is missing');
      else {
        this.out.add('skip', 'scope', 'absent (server-managed, or not built yet): targets not checked against a snapshot');
        (this.out.current as RoleFact).notes.push('absent (server-managed, or not built yet)');
      }
      return undefined;
    }
    const sn = this.parse<NotarySnapshot>(bytes, 'snapshot.json', 'Snapshot');
    if (!sn) return undefined;
    const fact = this.out.current as RoleFact;
    fact.version = sn.signed.version;
    fact.expires = sn.signed.expires;
    this.signatures('role.signatures', await verifyDelegate({ role: 'root', version: root.version, ctx: { root } }, 'snapshot', sn));
    this.expiry(sn.signed, 'role.expiry');
    const rootNow = files.get('root.json');
    if (sn.signed.meta.root && rootNow) {
      const p = await checkFileMeta(rootNow, sn.signed.meta.root);
      for (const x of p) this.out.fail('role.hashes', 'HASH_MISMATCH', `root.json: ${x}`);
      if (!p.length) this.out.pass('role.hashes', 'root.json matches: length, hashes');
    }
    if (!files.has('timestamp.json')) this.out.warn('scope', 'not covered by a timestamp here');
    else if (!matchesTimestamp) this.out.fail('role.hashes', 'HASH_MISMATCH', 'does not match timestamp.json');
    this.out.settle();
    return this.out.failedHere() ? undefined : sn.signed;
  }

  /** targets.json, then the delegations pre-order depth first, each against its parent. */
  async updateTargets(root: NotaryRoot, snapshot: NotarySnapshot | undefined): Promise<void> {
    const stack: { role: string; parent?: NotaryTargets; parentName?: string; paths?: string[] }[] = [{ role: 'targets' }];
    const seen = new Set<string>();
    while (stack.length) {
      const item = stack.pop()!;
      if (seen.has(item.role)) continue;
      seen.add(item.role);
      const t = await this.loadTargetsRole(item, root, snapshot);
      if (!t) continue;
      const children = t.delegations?.roles ?? [];
      const next: typeof stack = [];
      for (const d of children) {
        if (!d.name.startsWith(`${item.role}/`)) {
          this.out.fail('role.delegation', 'INVALID_METADATA', `delegation ${JSON.stringify(d.name)} is not a child of ${item.role}`);
          continue;
        }
        next.push({ role: d.name, parent: t, parentName: item.role, paths: d.paths ?? [] });
      }
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
    }
  }

  private async loadTargetsRole(
    item: { role: string; parent?: NotaryTargets; parentName?: string; paths?: string[] },
    root: NotaryRoot,
    snapshot: NotarySnapshot | undefined,
  ): Promise<NotaryTargets | undefined> {
    const file = `${item.role}.json`;
    const bytes = this.opts.files.get(file);
    const kind: RoleKind = item.parent ? 'delegated' : 'targets';
    const fact = this.out.begin(item.role, kind, file, item.parentName ?? 'root');
    if (!bytes) {
      if (item.role === 'targets') this.out.fail('role.present', 'NOT_FOUND', 'targets.json is missing');
      else fact.notes.push('no metadata published for this delegation yet (no targets)');
      if (snapshot?.meta[item.role]) this.out.fail('role.present', 'NOT_FOUND', `snapshot lists ${item.role} but the file is missing`);
      if (item.role !== 'targets') this.out.add('skip', 'role.present', 'no metadata published for this delegation yet (no targets)');
      this.out.settle();
      return undefined;
    }
    const t = this.parse<NotaryTargets>(bytes, file, 'Targets');
    if (!t) return undefined;
    fact.version = t.signed.version;
    fact.expires = t.signed.expires;
    if (snapshot) {
      const m = snapshot.meta[item.role];
      if (!m) this.out.fail('role.present', 'NOT_FOUND', 'not listed in snapshot.json');
      else {
        const p = await checkFileMeta(bytes, m);
        for (const x of p) this.out.fail('role.hashes', 'HASH_MISMATCH', `does not match snapshot.json: ${x}`);
        if (!p.length) this.out.pass('role.hashes', 'matches snapshot.json: length, hashes');
      }
    }
    const delegator: NotaryDelegator = item.parent
      ? { role: item.parentName!, version: item.parent.version, ctx: { root, parent: item.parent } }
      : { role: 'root', version: root.version, ctx: { root } };
    try {
      this.signatures('role.signatures', await verifyDelegate(delegator, item.role, t));
    } catch (e) {
      this.out.fail('role.signatures', isKeyceremonyError(e) ? e.code : 'INTERNAL', e instanceof Error ? e.message : String(e));
      return undefined;
    }
    this.expiry(t.signed, 'role.expiry');
    if (item.parent) this.delegationCertificates(item.role, item.parent);
    if (this.out.failedHere()) return undefined;
    const listed: string[] = [];
    for (const [name, m] of Object.entries(t.signed.targets)) {
      if (item.paths && !item.paths.some((p) => name.startsWith(p))) {
        this.out.warn('role.paths', `target ${JSON.stringify(name)} is outside the role's paths; clients ignore it`);
        continue;
      }
      listed.push(name);
      this.facts.targets.push({ name, role: item.role, length: m.length, ...(m.hashes.sha256 ? { sha256: toHex(fromBase64(m.hashes.sha256)) } : {}) });
    }
    fact.targets = listed.length;
    this.out.settle();
    return t.signed;
  }

  /** Delegation key certificates: notary only warns about expiry. */
  private delegationCertificates(role: string, parent: NotaryTargets): void {
    const d = parent.delegations.roles.find((x) => x.name === role);
    for (const id of d?.keyids ?? []) {
      const k = parent.delegations.keys[id];
      if (!k || !isX509KeyType(k.keytype)) continue;
      try {
        const c = certOfKey(k);
        if (this.opts.at > c.notAfter)
          this.out.warn('role.certificates', `delegation certificate ${short(id)} (CN=${c.subjectCN}) expired ${c.notAfter.toISOString()}; notary warns only`);
      } catch {
        this.out.fail('role.certificates', 'INVALID_KEY', `delegation key ${short(id)} certificate does not parse`);
      }
    }
  }
}

/** Verify a Notary repository directory's files. Never throws on bad metadata: it reports. */
export async function verifyNotaryRepository(opts: NotaryVerifyOptions): Promise<NotaryVerifyReport> {
  const v = new NotaryVerifier(opts);
  let complete = false;
  if (await v.loadTrustedRoot()) {
    const root = await v.updateRoot();
    if (root) {
      const onlyRoots = [...opts.files.keys()].every((f) => f === 'root.json' || /^\d+\.root\.json$/.test(f));
      if (onlyRoots) {
        v.out.current = undefined;
        v.out.warn('scope', `only root metadata here: the root chain to v${root.version} is verified; timestamp, snapshot and targets are not`);
      } else {
        const tsMatches = await v.updateTimestamp(root);
        const snapshot = await v.updateSnapshot(root, tsMatches);
        await v.updateTargets(root, snapshot);
        complete = true;
      }
    }
  }
  const items = orderItems(v.out.items);
  const verdict = verdictOf(items, complete);
  const report: NotaryVerifyReport = {
    type: VERIFICATION_REPORT_TYPE,
    kind: 'notary',
    verdict,
    ok: verdict !== 'failed',
    evaluatedAt: opts.at.toISOString(),
    subject: v.facts.gun ? `Notary repository ${v.facts.gun}` : 'Notary repository',
    rehearsal: false,
    summary: '',
    items,
    roles: v.out.roles,
    notary: v.facts,
  };
  report.summary =
    verdict === 'failed'
      ? failedSummary(report)
      : `${verdict === 'verified' ? 'VERIFIED' : 'PARTIAL'} at ${report.evaluatedAt}: ${report.subject}, root v${v.out.roles[0]?.version ?? '?'}, ${v.facts.targets.length} targets`;
  return report;
}

/** The human report: the verdict, the trust, problems first, one block per role, the targets. */
export function formatNotaryReport(r: NotaryVerifyReport): string[] {
  const out = [`${r.subject} at ${r.evaluatedAt}`, `trust: ${r.notary.trust}`, ...formatVerificationReport(r)];
  if (r.notary.targets.length) {
    out.push('targets:');
    for (const t of r.notary.targets) out.push(`  ${t.name}  ${t.length} bytes  sha256:${t.sha256 ?? '?'}  (${t.role})`);
  }
  out.push(r.verdict === 'verified' ? 'VERIFIED' : r.verdict === 'partial' ? 'PARTIAL' : 'NOT VERIFIED');
  return out;
}

/**
 * Verify a Notary repository the way the notary client does (notary 0.7 `tuf/`, `trustpinning/`):
 * - trust: a pinned root (the file the user trusts) or, like notary's TOFU, the first root seen;
 * - root chain: every `N.root.json` after the trusted one, version exactly N+1, signed by a
 *   threshold of the previous root's root keys AND of its own; each key counted once (by id and by
 *   public key); unknown-key and broken signatures ignored;
 * - the final root's certificates: x509, CN = GUN, inside their validity at the clock, no SHA-1;
 * - timestamp -> snapshot -> targets -> delegations: thresholds, base64 sha256/sha512 + length,
 *   expiry at the clock; delegated targets outside the role's paths are ignored (with a note).
 * The clock is injected (`at`). Every finding is a sentence in a per-role report.
 */
import { KeyceremonyError } from '../../../shared/errors';
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
import { formatStatus, rulesFor, statusOf, type RuleStatus } from './sign';

export interface RoleReport {
  role: string;
  file: string;
  version?: number;
  expires?: string;
  ok: boolean;
  /** "root v2: signed by 2 of 2 required old-root (v1) keys, 1 of 1 required new-root keys" */
  status?: string;
  rules?: RuleStatus[];
  problems: string[];
  notes: string[];
}

export interface TargetListing {
  name: string;
  role: string;
  length: number;
  /** hex, as `notary list` shows it */
  sha256?: string;
}

export interface NotaryVerifyReport {
  ok: boolean;
  dialect: 'notary';
  gun?: string;
  at: string;
  trust: string;
  roles: RoleReport[];
  targets: TargetListing[];
  problems: string[];
}

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

/** base64 -> hex (targets are listed as `notary list` shows them). */
function b64ToHex(s: string): string {
  return toHex(fromBase64(s));
}

function fmt(ms: number): string {
  return new Date(ms).toISOString();
}

function rel(files: ReadonlyMap<string, Uint8Array>, name: string): Uint8Array | undefined {
  return files.get(name);
}

async function checkRootCerts(root: NotaryRoot, gun: string | undefined, at: Date, rep: RoleReport, strictTime: boolean): Promise<string | undefined> {
  let cn: string | undefined = gun;
  for (const id of root.roles.root.keyids) {
    const k = root.keys[id];
    if (!k) {
      rep.problems.push(`root role lists key ${id.slice(0, 12)}… that is not in keys`);
      continue;
    }
    if (!isX509KeyType(k.keytype)) {
      rep.problems.push(`root key ${id.slice(0, 12)}… is ${k.keytype}; Notary root keys are x509 certificates`);
      continue;
    }
    let c;
    try {
      c = certOfKey(k);
    } catch (e) {
      rep.problems.push(`root key ${id.slice(0, 12)}…: certificate does not parse (${(e as Error).message})`);
      continue;
    }
    if (cn === undefined && c.subjectCN) cn = c.subjectCN;
    if (c.subjectCN !== cn) rep.problems.push(`root certificate ${id.slice(0, 12)}… has CN=${JSON.stringify(c.subjectCN)}, expected the GUN ${JSON.stringify(cn)}`);
    if (c.sha1) rep.problems.push(`root certificate ${id.slice(0, 12)}… is signed with SHA-1 (Notary refuses it)`);
    const info = parseSpki(c.spki);
    if (info.algorithm === 'rsa' && info.bits < 2048) rep.problems.push(`root certificate ${id.slice(0, 12)}… has a ${info.bits}-bit RSA key (Notary needs >= 2048)`);
    if (strictTime && (at < c.notBefore || at > c.notAfter)) {
      rep.problems.push(`root certificate ${id.slice(0, 12)}… (CN=${c.subjectCN}) is valid ${c.notBefore.toISOString()} .. ${c.notAfter.toISOString()}, not at ${at.toISOString()}`);
    } else if (strictTime && c.notAfter.getTime() - at.getTime() < 182 * 86_400_000) {
      rep.notes.push(`root certificate ${id.slice(0, 12)}… expires within 6 months (${c.notAfter.toISOString()})`);
    }
    if (!(await isSelfSigned(c))) rep.notes.push(`root certificate ${id.slice(0, 12)}… is not self-signed (needs a trust_pinning CA on clients)`);
  }
  return cn;
}

function expiryCheck(body: NotarySignedBody, at: Date, rep: RoleReport): void {
  const exp = parseNotaryTime(body.expires);
  if (exp <= at.getTime()) rep.problems.push(`expired at ${fmt(exp)} (clock ${at.toISOString()})`);
}

/** Record a role's signature status in its report: rules, status line, unmet thresholds, expiry. */
function recordSignatures(rep: RoleReport, role: string, body: NotarySignedBody & { version: number }, st: RuleStatus[], at: Date): void {
  rep.rules = st;
  rep.status = formatStatus(role, body.version, st);
  for (const s of st) if (!s.met) rep.problems.push(`needs ${s.threshold} valid ${s.label} signatures, has ${s.valid}`);
  expiryCheck(body, at, rep);
}

function parseOrReport<T extends NotarySignedBody>(bytes: Uint8Array, file: string, type: T['_type'], rep: RoleReport): ParsedNotaryFile<T> | undefined {
  try {
    return parseNotaryFile<T>(bytes, { source: file, expectType: type });
  } catch (e) {
    rep.problems.push(e instanceof KeyceremonyError ? `${e.message}` : `does not parse: ${(e as Error).message}`);
    return undefined;
  }
}

function newRep(role: string, file: string): RoleReport {
  return { role, file, ok: false, problems: [], notes: [] };
}

/** Verify a Notary repository directory's files. Never throws on bad metadata: it reports. */
export async function verifyNotaryRepository(opts: NotaryVerifyOptions): Promise<NotaryVerifyReport> {
  const { files, at } = opts;
  const roles: RoleReport[] = [];
  const problems: string[] = [];
  const report: NotaryVerifyReport = { ok: false, dialect: 'notary', at: at.toISOString(), trust: '', roles, targets: [], problems };

  // ---- root chain
  const versioned = [...files.keys()]
    .map((f) => /^(\d+)\.root\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  let anchorBytes: Uint8Array | undefined = opts.trustedRoot;
  let anchorName = 'trusted root';
  if (anchorBytes) report.trust = 'pinned: the trusted root given';
  else {
    const first = versioned[0];
    anchorName = first !== undefined ? `${first}.root.json` : 'root.json';
    anchorBytes = rel(files, anchorName);
    report.trust = `TOFU: trusting ${anchorName} as first seen (pin it with a trusted root to rule out a substituted repository)`;
  }
  if (!anchorBytes) {
    problems.push('no root.json: nothing to verify from');
    return report;
  }
  const anchorRep = newRep('root', anchorName);
  roles.push(anchorRep);
  const anchor = parseOrReport<NotaryRoot>(anchorBytes, anchorName, 'Root', anchorRep);
  if (!anchor) return finish(report);
  anchorRep.version = anchor.signed.version;
  anchorRep.expires = anchor.signed.expires;
  const st0 = await statusOf(rulesFor('root', anchor.signed, {}), anchor.signatures, anchor.signedBytes);
  anchorRep.rules = st0;
  anchorRep.status = formatStatus('root', anchor.signed.version, st0);
  if (!st0.every((s) => s.met)) anchorRep.problems.push('the trusted root is not signed by a threshold of its own root keys');
  const gun = await checkRootCerts(anchor.signed, opts.gun, at, anchorRep, false);
  report.gun = gun;
  anchorRep.ok = anchorRep.problems.length === 0;

  let cur: ParsedNotaryFile<NotaryRoot> = anchor;
  let curRep = anchorRep;
  const stepTo = async (bytes: Uint8Array, file: string): Promise<boolean> => {
    const rep = newRep('root', file);
    roles.push(rep);
    const next = parseOrReport<NotaryRoot>(bytes, file, 'Root', rep);
    if (!next) return false;
    rep.version = next.signed.version;
    rep.expires = next.signed.expires;
    if (next.signed.version === cur.signed.version) {
      // the same version must be the same root
      if (next.signedBytes.length !== cur.signedBytes.length || next.signedBytes.some((b, i) => b !== cur.signedBytes[i])) {
        rep.problems.push(`root v${next.signed.version} differs from the trusted root v${cur.signed.version} with the same version`);
        return false;
      }
      rep.ok = true;
      rep.notes.push('same as the trusted root');
      roles.pop();
      return true;
    }
    if (next.signed.version < cur.signed.version) {
      rep.problems.push(`rollback: version ${next.signed.version} is older than the trusted root v${cur.signed.version}`);
      return false;
    }
    if (next.signed.version !== cur.signed.version + 1) {
      rep.problems.push(`root version ${next.signed.version} does not follow v${cur.signed.version} (expected exactly v${cur.signed.version + 1}); missing ${cur.signed.version + 1}.root.json?`);
      return false;
    }
    const st = await statusOf(rulesFor('root', next.signed, { prevRoot: cur.signed }), next.signatures, next.signedBytes);
    rep.rules = st;
    rep.status = formatStatus('root', next.signed.version, st);
    for (const s of st) if (!s.met) rep.problems.push(`needs ${s.threshold} valid ${s.label} signatures, has ${s.valid}`);
    const g = await checkRootCerts(next.signed, gun, at, rep, false);
    if (gun && g !== gun) rep.problems.push(`GUN changed from ${gun} to ${g}`);
    rep.ok = rep.problems.length === 0;
    if (rep.ok) {
      cur = next;
      curRep = rep;
    }
    return rep.ok;
  };

  let chainOk = true;
  for (const v of versioned) {
    if (v <= cur.signed.version) continue;
    const b = files.get(`${v}.root.json`) as Uint8Array;
    if (!(await stepTo(b, `${v}.root.json`))) {
      chainOk = false;
      break;
    }
  }
  const rootJson = files.get('root.json');
  if (chainOk && rootJson && !(opts.trustedRoot === undefined && anchorName === 'root.json')) {
    chainOk = await stepTo(rootJson, 'root.json');
  }
  if (!chainOk) return finish(report);

  // final root: expiry and certificates at the clock
  const root = cur.signed;
  const finalRep = newRep('root', `root (final v${root.version})`);
  expiryCheck(root, at, finalRep);
  await checkRootCerts(root, gun, at, finalRep, true);
  if (finalRep.problems.length) {
    curRep.problems.push(...finalRep.problems);
    curRep.ok = false;
  }
  curRep.notes.push(...finalRep.notes);

  const onlyRoots = [...files.keys()].every((f) => f === 'root.json' || /^\d+\.root\.json$/.test(f));
  if (onlyRoots) return finish(report);

  // ---- timestamp
  let snapshotTrusted = false;
  const tsBytes = files.get('timestamp.json');
  const snBytes = files.get('snapshot.json');
  if (tsBytes) {
    const rep = newRep('timestamp', 'timestamp.json');
    roles.push(rep);
    const ts = parseOrReport<NotaryTimestamp>(tsBytes, 'timestamp.json', 'Timestamp', rep);
    if (ts) {
      rep.version = ts.signed.version;
      rep.expires = ts.signed.expires;
      const st = await statusOf(rulesFor('timestamp', ts.signed, { root }), ts.signatures, ts.signedBytes);
      recordSignatures(rep, 'timestamp', ts.signed, st, at);
      if (!snBytes) rep.problems.push('snapshot.json is missing');
      else {
        const p = await checkFileMeta(snBytes, ts.signed.meta.snapshot);
        for (const x of p) rep.problems.push(`snapshot.json: ${x}`);
        snapshotTrusted = p.length === 0;
      }
      rep.ok = rep.problems.length === 0;
    }
  } else if (opts.requireAll) {
    problems.push('timestamp.json is missing');
  } else {
    const rep = newRep('timestamp', 'timestamp.json');
    rep.ok = true;
    rep.notes.push('absent: notary-server holds the timestamp key and makes it on publish (not verified here)');
    roles.push(rep);
  }

  // ---- snapshot
  let snapshot: NotarySnapshot | undefined;
  if (snBytes) {
    const rep = newRep('snapshot', 'snapshot.json');
    roles.push(rep);
    const sn = parseOrReport<NotarySnapshot>(snBytes, 'snapshot.json', 'Snapshot', rep);
    if (sn) {
      rep.version = sn.signed.version;
      rep.expires = sn.signed.expires;
      const st = await statusOf(rulesFor('snapshot', sn.signed, { root }), sn.signatures, sn.signedBytes);
      recordSignatures(rep, 'snapshot', sn.signed, st, at);
      const rootNow = files.get('root.json');
      if (sn.signed.meta.root && rootNow) {
        for (const x of await checkFileMeta(rootNow, sn.signed.meta.root)) rep.problems.push(`root.json: ${x}`);
      }
      if (!tsBytes) rep.notes.push('not covered by a timestamp here');
      else if (!snapshotTrusted) rep.problems.push('does not match timestamp.json');
      rep.ok = rep.problems.length === 0;
      if (rep.ok) snapshot = sn.signed;
    }
  } else if (opts.requireAll) {
    problems.push('snapshot.json is missing');
  } else {
    const rep = newRep('snapshot', 'snapshot.json');
    rep.ok = true;
    rep.notes.push('absent (server-managed, or not built yet): targets not checked against a snapshot');
    roles.push(rep);
  }

  // ---- targets and delegations (breadth first, like the notary client)
  const queue: { role: string; parent?: NotaryTargets; paths?: string[] }[] = [{ role: 'targets' }];
  const seen = new Set<string>();
  while (queue.length) {
    const item = queue.shift() as { role: string; parent?: NotaryTargets; paths?: string[] };
    if (seen.has(item.role)) continue;
    seen.add(item.role);
    const file = `${item.role}.json`;
    const bytes = files.get(file);
    const rep = newRep(item.role, file);
    roles.push(rep);
    if (!bytes) {
      if (item.role === 'targets') rep.problems.push('targets.json is missing');
      else {
        rep.ok = true;
        rep.notes.push('no metadata published for this delegation yet (no targets)');
      }
      if (snapshot?.meta[item.role]) rep.problems.push(`snapshot lists ${item.role} but the file is missing`);
      rep.ok = rep.problems.length === 0;
      continue;
    }
    const t = parseOrReport<NotaryTargets>(bytes, file, 'Targets', rep);
    if (!t) continue;
    rep.version = t.signed.version;
    rep.expires = t.signed.expires;
    if (snapshot) {
      const m = snapshot.meta[item.role];
      if (!m) rep.problems.push('not listed in snapshot.json');
      else for (const x of await checkFileMeta(bytes, m)) rep.problems.push(`does not match snapshot.json: ${x}`);
    }
    let st: RuleStatus[];
    try {
      st = await statusOf(rulesFor(item.role, t.signed, { root, parent: item.parent }), t.signatures, t.signedBytes);
    } catch (e) {
      rep.problems.push((e as Error).message);
      continue;
    }
    recordSignatures(rep, item.role, t.signed, st, at);
    if (item.parent) {
      // delegation key certificates: notary only warns about expiry
      const d = item.parent.delegations.roles.find((x) => x.name === item.role);
      for (const id of d?.keyids ?? []) {
        const k = item.parent.delegations.keys[id];
        if (k && isX509KeyType(k.keytype)) {
          try {
            const c = certOfKey(k);
            if (at > c.notAfter) rep.notes.push(`delegation certificate ${id.slice(0, 12)}… (CN=${c.subjectCN}) expired ${c.notAfter.toISOString()}; notary warns only`);
          } catch {
            rep.problems.push(`delegation key ${id.slice(0, 12)}… certificate does not parse`);
          }
        }
      }
    }
    rep.ok = rep.problems.length === 0;
    if (!rep.ok) continue;
    for (const [name, m] of Object.entries(t.signed.targets)) {
      if (item.paths && !item.paths.some((p) => name.startsWith(p))) {
        rep.notes.push(`target ${JSON.stringify(name)} is outside the role's paths; clients ignore it`);
        continue;
      }
      report.targets.push({ name, role: item.role, length: m.length, sha256: m.hashes.sha256 ? b64ToHex(m.hashes.sha256) : undefined });
    }
    for (const d of t.signed.delegations?.roles ?? []) {
      if (!d.name.startsWith(`${item.role}/`)) {
        rep.problems.push(`delegation ${JSON.stringify(d.name)} is not a child of ${item.role}`);
        rep.ok = false;
        continue;
      }
      queue.push({ role: d.name, parent: t.signed, paths: d.paths ?? [] });
    }
  }
  return finish(report);
}

function finish(r: NotaryVerifyReport): NotaryVerifyReport {
  r.ok = r.problems.length === 0 && r.roles.length > 0 && r.roles.every((x) => x.ok);
  return r;
}

/** The human report: one block per role, then the verdict. */
export function formatNotaryReport(r: NotaryVerifyReport): string[] {
  const out: string[] = [];
  out.push(`Notary repository${r.gun ? ` ${r.gun}` : ''} at ${r.at}`);
  out.push(`trust: ${r.trust}`);
  for (const x of r.roles) {
    out.push(`${x.ok ? 'OK  ' : 'FAIL'} ${x.file}${x.version !== undefined ? ` v${x.version}` : ''}${x.expires ? ` expires ${x.expires}` : ''}`);
    if (x.status) out.push(`       ${x.status}`);
    for (const p of x.problems) out.push(`       problem: ${p}`);
    for (const n of x.notes) out.push(`       note: ${n}`);
  }
  for (const p of r.problems) out.push(`problem: ${p}`);
  if (r.targets.length) {
    out.push('targets:');
    for (const t of r.targets) out.push(`  ${t.name}  ${t.length} bytes  sha256:${t.sha256 ?? '?'}  (${t.role})`);
  }
  out.push(r.ok ? 'VERIFIED' : 'NOT VERIFIED');
  return out;
}

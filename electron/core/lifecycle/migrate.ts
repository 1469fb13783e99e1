/**
 * Docker Content Trust migration (issue 15 item 3), pure: a Notary v1 repository read offline and
 * verified first (core/notary verifyNotaryRepository, as `notary verify` does), then every tag of the
 * targets role and its delegations (targets/releases, signers' roles) turned into the digest it signs
 * — Notary's base64 sha256 of the manifest becomes `sha256:<hex>`, the reference is the GUN as a
 * Docker reference BY DIGEST — for a cosign m-of-n request or a TUF targets request (each tag's
 * length and hashes, no image needed). What cannot be carried over is skipped and said: a role that
 * did not verify (expired, too few signatures…), a tag without a sha256.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { fromBase64, toHex } from '../../../shared/encoding/bytes';
import { parseNotaryFile, type NotaryTargets } from '../../../shared/notary';
import { verifyNotaryRepository, type RepoFiles } from '../notary';
import { fromUtf8 } from '../../../shared/encoding/bytes';
import { parseImageReference } from '../../../shared/cosign/reference';
import { serializeRequest as serializeCosignRequest } from '../../../shared/cosign/request';
import { createRequest as createCosignRequest } from '../cosign/request';
import { targetsRequest, type MetadataFolder } from '../tuf/updates';
import { serializeRequest as serializeTufRequest } from '../tuf/request';

export interface MigratedTag {
  tag: string;
  /** The Notary role that signed it (`targets`, `targets/releases`). */
  role: string;
  /** `sha256:<hex>` of the manifest. */
  digest: string;
  length: number;
  sha512?: string;
}

export interface SkippedTag {
  tag: string;
  role: string;
  reason: string;
}

export interface MigrationPlan {
  gun: string;
  /** The verification's one-line verdict. */
  verification: string;
  migrated: MigratedTag[];
  skipped: SkippedTag[];
}

const TRUST_ROLES = new Set(['root', 'timestamp', 'snapshot', 'targets']);

/** Every targets-family file in the folder: `targets.json`, `targets/<name>.json` (nested too). */
function targetsFiles(files: RepoFiles): string[] {
  return [...files.keys()].filter((f) => f === 'targets.json' || (f.startsWith('targets/') && f.endsWith('.json'))).sort();
}

export async function planMigration(files: RepoFiles, opts: { at: Date; gun?: string; trustedRoot?: Uint8Array }): Promise<MigrationPlan> {
  const report = await verifyNotaryRepository({
    files,
    at: opts.at,
    ...(opts.gun ? { gun: opts.gun } : {}),
    ...(opts.trustedRoot ? { trustedRoot: opts.trustedRoot } : {}),
  });
  const broken = report.roles.filter((r) => TRUST_ROLES.has(r.role) && r.status === 'failed');
  const gun = report.notary.gun;
  if (broken.length || !gun) {
    throw new KeyceremonyError('VERIFICATION_FAILED', `the repository does not verify at ${opts.at.toISOString()}, nothing is migrated: ${report.summary}`, {
      where: broken[0]?.file ?? 'root.json',
    });
  }
  const verified = new Map(report.notary.targets.map((t) => [`${t.role}\n${t.name}`, t]));
  const failing = (role: string) =>
    report.items
      .filter((i) => i.subject === role && i.status === 'fail')
      .map((i) => i.message)
      .join('; ');
  const migrated: MigratedTag[] = [];
  const skipped: SkippedTag[] = [];
  for (const file of targetsFiles(files)) {
    const role = file.slice(0, -'.json'.length);
    let signed: NotaryTargets;
    try {
      signed = parseNotaryFile(files.get(file)!, { source: file }).signed as NotaryTargets;
    } catch (e) {
      skipped.push({ tag: '*', role, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const fact = report.roles.find((r) => r.role === role);
    for (const [tag, meta] of Object.entries(signed.targets ?? {})) {
      const v = verified.get(`${role}\n${tag}`);
      if (!v) {
        const why =
          fact?.status === 'failed'
            ? `${role} did not verify: ${failing(role) || 'see notary verify'}`
            : fact
              ? `outside the paths ${role} is delegated`
              : `${role} is not delegated by the repository`;
        skipped.push({ tag, role, reason: why });
        continue;
      }
      if (!v.sha256) {
        skipped.push({ tag, role, reason: 'no sha256 in its Notary entry: a digest cannot be named' });
        continue;
      }
      const sha512 = meta.hashes.sha512 ? toHex(fromBase64(meta.hashes.sha512)) : undefined;
      migrated.push({ tag, role, digest: `sha256:${v.sha256}`, length: v.length, ...(sha512 ? { sha512 } : {}) });
    }
  }
  return { gun, verification: report.summary, migrated, skipped };
}

/** The report printed and saved beside the request: what was migrated (tag -> digest) and what was skipped, and why. */
export function migrationReport(p: MigrationPlan, to: 'cosign' | 'tuf'): string[] {
  return [
    `Notary GUN ${p.gun} -> ${to}: ${p.migrated.length} tag(s) migrated, ${p.skipped.length} skipped`,
    `verification: ${p.verification}`,
    ...p.migrated.map((m) => `  migrated ${m.tag} (${m.role}) -> ${to === 'cosign' ? `${p.gun}@${m.digest}` : `${m.tag}: ${m.length} bytes, ${m.digest}`}`),
    ...p.skipped.map((s) => `  skipped  ${s.tag} (${s.role}): ${s.reason}`),
  ];
}

/** The distinct image digests to sign (tags sharing a manifest are one image), as `GUN@sha256:…`. */
export function cosignImages(p: MigrationPlan): string[] {
  return [...new Set(p.migrated.map((m) => `${p.gun}@${m.digest}`))];
}

export type MigrationTarget =
  { to: 'cosign'; signers: readonly { name: string; publicKeyPem: string }[]; m: number } | { to: 'tuf'; folder: MetadataFolder; expiresInDays?: number };

/** The signing request a plan becomes: the file text, the name to save it under, one line saying what it is, and warnings. */
export async function migrationRequest(
  plan: MigrationPlan,
  target: MigrationTarget,
  now: Date,
): Promise<{ text: string; suggestedName: string; line: string; warnings: string[] }> {
  if (plan.migrated.length === 0)
    throw new KeyceremonyError('NOT_FOUND', `no tag of ${plan.gun} can be migrated (see the skipped list); nothing was written`, { where: plan.gun });
  if (target.to === 'cosign') {
    const images = cosignImages(plan).map((r) => parseImageReference(r));
    const req = await createCosignRequest({ images, signers: target.signers, m: target.m, now });
    return {
      text: fromUtf8(serializeCosignRequest(req)),
      suggestedName: `${plan.gun.replace(/[^A-Za-z0-9._-]+/g, '_')}.cosign-request.json`,
      line: `cosign request for ${req.images.length} image(s) by digest, ${req.m} of ${req.signers.length} signers`,
      warnings: [],
    };
  }
  const { request, advice } = await targetsRequest(target.folder, {
    action: 'add',
    add: plan.migrated.map((m) => ({
      path: m.tag,
      length: m.length,
      hashes: { sha256: m.digest.slice('sha256:'.length), ...(m.sha512 ? { sha512: m.sha512 } : {}) },
    })),
    expiry: target.expiresInDays !== undefined ? { expiresInDays: target.expiresInDays } : {},
    now: now.getTime(),
  });
  const version = (request.signed as { version: number }).version;
  return {
    text: serializeTufRequest(request),
    suggestedName: `${version}.${encodeURIComponent(request.role)}.request.json`,
    line: `TUF targets request (${request.role} v${version}, ${plan.migrated.length} target(s) by length and hashes)`,
    warnings: advice ? [advice] : [],
  };
}

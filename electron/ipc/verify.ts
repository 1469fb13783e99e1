/**
 * Verification for the Verify screen: a ceremony bundle archive (manifest, DSSE signature, every
 * file's hash, the transcript chain) and TUF metadata against a trusted root (the client workflow of
 * electron/core/tuf/verify.ts). Per-item verdicts; nothing is written.
 */
import { verifyBundle, type BundleReader } from '../core/ceremony/bundle';
import { readTar } from '../core/ceremony/tar';
import { verifyRepository } from '../core/tuf/verify';
import { KeyceremonyError } from '../../shared/errors';
import { utf8 } from '../../shared/encoding/bytes';
import type { BundleVerification, TufVerification, Verdict } from '../../shared/ipc/contract';

export async function verifyBundleBytes(archive: Uint8Array): Promise<BundleVerification> {
  const entries = readTar(archive);
  const m = new Map(entries.map((e) => [e.path, e.bytes]));
  const reader: BundleReader = {
    list: async () => [...m.keys()].sort(),
    read: async (p) => {
      const b = m.get(p);
      if (!b) throw new KeyceremonyError('NOT_FOUND', `${p} is not in the archive.`, { where: p });
      return b;
    },
  };
  const v = await verifyBundle(reader);
  const items: Verdict[] = [];
  items.push({
    item: 'manifest signature',
    ok: v.signedBy.length > 0 && !v.problems.some((p) => /signature|dsse|envelope/i.test(p)),
    detail: v.signedBy.length ? `signed by ${v.signedBy.map((s) => `${s.id} (${s.words})`).join(', ')}` : 'no valid signature',
  });
  for (const f of v.manifest?.files ?? []) {
    const problem = v.problems.find((p) => p.includes(f.path));
    items.push({ item: f.path, ok: !problem, detail: problem ?? `sha256 ${f.sha256.slice(0, 16)}… matches (${f.size} bytes)` });
  }
  for (const p of v.problems) if (!items.some((i) => i.detail === p)) items.push({ item: 'bundle', ok: false, detail: p });
  const out: BundleVerification = {
    ok: v.ok,
    rehearsal: v.rehearsal,
    problems: v.problems,
    items,
    signedBy: v.signedBy.map((s) => ({ id: s.id, fingerprint: s.fingerprint })),
  };
  if (v.manifest?.title) out.title = v.manifest.title;
  return out;
}

export async function verifyTufFiles(trustedRoot: string, files: Record<string, string>): Promise<TufVerification> {
  const r = await verifyRepository(utf8(trustedRoot), { read: async (name) => (Object.prototype.hasOwnProperty.call(files, name) ? utf8(files[name]!) : undefined) });
  const items: Verdict[] = r.roles.map((role) => ({
    item: `${role.role}${role.version !== undefined ? ` v${role.version}` : ''}${role.file ? ` (${role.file})` : ''}`,
    ok: role.status === 'verified',
    detail: role.status === 'verified' ? role.verified.join('; ') || 'verified' : role.problems.join('; ') || role.status,
  }));
  const summary = r.ok
    ? [`Verified: root v${r.trustedRootVersion} → v${r.rootVersion}${r.rootChainOnly ? ' (root chain only: no timestamp.json)' : `, ${r.targetCount} targets`}`]
    : r.failures.map((f) => `[${f.code}] ${f.role}: ${f.message}`);
  return { ok: r.ok, summary, items };
}

/**
 * Test helper: a TUF repository written into a folder with software signers (pure-tier and UI tests
 * that need metadata, not tokens): root `threshold` of `roots` (the first `threshold` sign), one
 * online key for targets, snapshot, timestamp and any delegated roles (hash bins).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SoftwareSigner } from './software-signer';
import type { Targets } from '../../shared/tuf/models';
import { signerKey } from '../../electron/core/tuf/sign';
import { createRepository, expiresIn, newRoot, newTargets } from '../../electron/core/tuf/repo';

export async function writeSoftwareRepository(
  md: string,
  o: { now: number; roots: SoftwareSigner[]; threshold: number; online: SoftwareSigner; targets?: Targets; delegated?: Map<string, Targets> },
): Promise<void> {
  mkdirSync(md, { recursive: true });
  const k = async (s: SoftwareSigner) => (await signerKey(s)).key;
  const spec = { keys: [await k(o.online)], threshold: 1 };
  const root = await newRoot({
    roles: { root: { keys: await Promise.all(o.roots.map(k)), threshold: o.threshold }, targets: spec, snapshot: spec, timestamp: spec },
    expires: expiresIn(o.now, 365),
  });
  const files = await createRepository({
    root,
    rootSigners: o.roots.slice(0, o.threshold),
    targets: o.targets ?? newTargets(expiresIn(o.now, 90)),
    ...(o.delegated ? { delegated: o.delegated } : {}),
    signers: { targets: [o.online], snapshot: [o.online], timestamp: [o.online], ...(o.delegated ? { delegated: { '*': [o.online] } } : {}) },
    now: o.now,
  });
  for (const f of files) writeFileSync(join(md, f.name), f.bytes);
}

/**
 * Verification for the Verify screen: a ceremony bundle archive (manifest, DSSE signature, SHA256SUMS
 * and its openssl-checkable signatures, VERIFY.sh, every file's hash, the transcript chain) and TUF metadata against a trusted root (the client workflow of
 * electron/core/tuf/verify.ts). Both answer the one VerificationReport (shared/verification); nothing
 * is written.
 */
import { bundleReport, verifyBundle, type BundleReader } from '../core/ceremony/bundle';
import { readTar } from '../core/ceremony/tar';
import { verifyRepository } from '../core/tuf/verify';
import { KeyceremonyError } from '../../shared/errors';
import { utf8 } from '../../shared/encoding/bytes';
import type { VerificationReport } from '../../shared/verification/report';
import { nodeSha256Hex } from '../adapters/node-hash';

/** A bundle archive's files, read from memory. */
export function archiveReader(archive: Uint8Array): BundleReader {
  const m = new Map(readTar(archive).map((e) => [e.path, e.bytes]));
  return {
    list: async () => [...m.keys()].sort(),
    read: async (p) => {
      const b = m.get(p);
      if (!b) throw new KeyceremonyError('NOT_FOUND', `${p} is not in the archive.`, { where: p });
      return b;
    },
  };
}

export async function verifyBundleBytes(archive: Uint8Array): Promise<VerificationReport> {
  return bundleReport(await verifyBundle(archiveReader(archive), { sha256Hex: nodeSha256Hex }));
}

export async function verifyTufFiles(trustedRoot: string, files: Record<string, string>): Promise<VerificationReport> {
  const has = (name: string) => Object.prototype.hasOwnProperty.call(files, name);
  const { report } = await verifyRepository(utf8(trustedRoot), {
    read: async (name) => (has(name) ? utf8(files[name]!) : undefined),
    list: async () => Object.keys(files),
  });
  return report;
}

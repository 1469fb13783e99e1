/** Handlers of IPC area "verify" (shared/ipc/channels/verify.ts). */
import { fromBase64 } from '../../../shared/encoding/bytes';
import type { verifyChannels } from '../../../shared/ipc/channels/verify';
import { archiveReader, verifyBundleBytes, verifyTufFiles } from '../verify';
import type { AreaHandlers, HostKit } from '../host-kit';
import { KeyceremonyError } from '../../../shared/errors';
import { utf8 } from '../../../shared/encoding/bytes';
import { bundleReaderFor } from '../../adapters/fs/ceremony-store';
import { readOpenedFile } from '../../adapters/fs/files';
import { readRepoDir } from '../../adapters/notary/repo-dir';
import { dirMetadataReader } from '../../adapters/tuf/fs-reader';
import { auditBundle, auditCosign, auditNotary, auditTuf, pinnedKeyFingerprint, resolvePins } from '../audit';

export function verifyHandlers(kit: HostKit): AreaHandlers<typeof verifyChannels> {
  return {
    'kc:verify.pinKey': async (req) => ({ fingerprint: await pinnedKeyFingerprint(req.text, req.name) }),
    'kc:verify.bundle': async (req) => {
      const pins = await resolvePins(req.pins);
      return pins ? auditBundle(archiveReader(fromBase64(req.archiveB64)), pins) : verifyBundleBytes(fromBase64(req.archiveB64));
    },
    'kc:verify.bundleAt': async (req) => {
      if ((req.fileId === undefined) === (req.folderId === undefined)) {
        throw new KeyceremonyError('INVALID_INPUT', 'Give the bundle: an archive or a folder (one of them).', { where: 'bundle' });
      }
      const path = req.fileId !== undefined ? kit.files.pickedFile(req.fileId) : kit.files.folder(req.folderId!);
      return auditBundle(bundleReaderFor(path), await resolvePins(req.pins));
    },
    'kc:verify.tuf': async (req) => {
      const has = (name: string) => Object.prototype.hasOwnProperty.call(req.files, name);
      const source = { read: async (name: string) => (has(name) ? utf8(req.files[name]!) : undefined), list: async () => Object.keys(req.files) };
      const pins = await resolvePins(req.pins);
      if (!pins && req.at === undefined && !req.lookups?.length) return verifyTufFiles(req.trustedRoot, req.files);
      return auditTuf(req.trustedRoot, source, {
        ...(req.at ? { at: req.at } : {}),
        ...(req.lookups ? { lookups: req.lookups } : {}),
        ...(pins ? { pins } : {}),
      });
    },
    'kc:verify.folder': async (req) => {
      const dir = kit.files.folder(req.folderId);
      const pins = await resolvePins(req.pins);
      if (req.dialect === 'notary') {
        return auditNotary(readRepoDir(dir), {
          ...(req.trustedRoot !== undefined ? { trustedRoot: req.trustedRoot } : {}),
          ...(req.gun ? { gun: req.gun } : {}),
          ...(req.at ? { at: req.at } : {}),
          ...(req.requireAll ? { requireAll: true } : {}),
          ...(pins ? { pins } : {}),
        });
      }
      if (req.trustedRoot === undefined)
        throw new KeyceremonyError('INVALID_INPUT', 'TUF verification starts from a root you already trust: open it first.', { where: 'trustedRoot' });
      return auditTuf(req.trustedRoot, dirMetadataReader(dir), {
        ...(req.at ? { at: req.at } : {}),
        ...(req.lookups ? { lookups: req.lookups } : {}),
        ...(req.targetsFolderId ? { targetFiles: dirMetadataReader(kit.files.folder(req.targetsFolderId)) } : {}),
        ...(pins ? { pins } : {}),
      });
    },
    'kc:verify.cosign': async (req) => {
      const { pins: p, artifactFileId, ...rest } = req;
      const artifact = artifactFileId !== undefined ? readOpenedFile(kit.files.pickedFile(artifactFileId), MAX_ARTIFACT) : undefined;
      return auditCosign({ ...rest, ...(artifact ? { artifact } : {}) }, await resolvePins(p));
    },
  };
}

const MAX_ARTIFACT = 1024 * 1024 * 1024;

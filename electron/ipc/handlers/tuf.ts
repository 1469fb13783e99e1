/** Handlers of IPC area "tuf" (shared/ipc/channels/tuf.ts): requests, the release manager's updates, snapshot. */
import { basename } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { utf8 } from '../../../shared/encoding/bytes';
import { diffFiles } from '../../core/tuf/diff';
import type { tufChannels } from '../../../shared/ipc/channels/tuf';
import { snapshotFiles, planSnapshot } from '../../core/tuf/updates';
import { verifyRepository } from '../../core/tuf/verify';
import { formatVerificationReport } from '../../../shared/verification/report';
import { dirFolder } from '../../adapters/tuf/fs-folder';
import { readOpenedFile, writeExactInto } from '../../adapters/fs/files';
import { dirMetadataReader } from '../../adapters/tuf/fs-reader';
import {
  acceptedKeys,
  createRequests,
  finalizeRequestText,
  firstRoot,
  mergeRequestTexts,
  onlineKeys,
  openRequest,
  repoView,
  signRequestText,
} from '../tuf-requests';
import { matchCandidates, publicKeysOn } from '../candidates';
import { findKey, touchPromptFor, type AreaHandlers, type HostKit } from '../host-kit';

/** A release file is hashed in main; 1 GiB is the most this screen reads in one piece. */
const MAX_TARGET_BYTES = 1024 * 1024 * 1024;

export function tufHandlers(kit: HostKit): AreaHandlers<typeof tufChannels> {
  const folderOf = (id: string) => dirFolder(kit.files.folder(id));
  const folderName = (id: string) => basename(kit.files.folder(id));
  return {
    'kc:tuf.request.open': async (req) => openRequest(req.text),

    'kc:tuf.request.sign': async (req, ctx) => {
      const before = await openRequest(req.text); // refuse a bad request before touching the token
      return kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const alg = key.keyType === 'ecdsa-p384' ? { algorithm: 'ecdsa-p384-sha384' as const } : {};
        const out = await signRequestText(req.text, s.signer(key, { ...alg, onUserPresence: touchPromptFor(kit, ctx) }));
        if (out.view.signatures <= before.signatures) {
          throw new KeyceremonyError('CONFLICT', 'This key had already signed the request; nothing changed.', { where: 'signatures' });
        }
        return { text: out.text, view: out.view, fingerprint: key.fingerprint };
      });
    },

    'kc:tuf.request.finalize': async (req) => {
      const f = await finalizeRequestText(req.text);
      return { fileName: f.fileName, text: f.text };
    },

    'kc:tuf.request.candidates': async (req) => {
      const accepted = await acceptedKeys(req.text);
      const { token, keys } = await publicKeysOn(kit, req.token);
      return matchCandidates(token, keys, accepted);
    },

    'kc:tuf.request.merge': async (req) => mergeRequestTexts(req.texts),

    'kc:tuf.request.write': async (req) => {
      const f = await finalizeRequestText(req.text);
      const r = writeExactInto(kit.files.folder(req.folderId), [{ name: f.fileName, bytes: f.bytes }]);
      return { fileName: f.fileName, written: r.written.length === 1 };
    },

    'kc:tuf.repo.open': async (req) => repoView(folderOf(req.folderId), folderName(req.folderId)),

    'kc:tuf.request.create': async (req) =>
      createRequests(folderOf(req.folderId), req.change, {
        now: Date.now(),
        ...(req.names ? { names: req.names } : {}),
        readTarget: (id) => readOpenedFile(kit.files.pickedFile(id), MAX_TARGET_BYTES),
      }),

    'kc:tuf.diff': async (req) =>
      diffFiles(req.old ? { bytes: utf8(req.old.text), source: req.old.name } : undefined, { bytes: utf8(req.new.text), source: req.new.name }),

    'kc:tuf.snapshot.candidates': async (req) => {
      const accepted = onlineKeys(folderOf(req.folderId));
      const { token, keys } = await publicKeysOn(kit, req.token);
      const list = matchCandidates(token, keys, accepted);
      // the one online key signs both: offer only keys listed for snapshot AND timestamp
      return { ...list, keys: list.keys.filter((k) => k.rules.includes('snapshot') && k.rules.includes('timestamp')) };
    },

    'kc:tuf.snapshot': async (req) => {
      const folder = folderOf(req.folderId);
      planSnapshot(folder); // refuse a folder that is not ready before the PIN is used
      const now = Date.now();
      const r = await kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        return snapshotFiles(folder, s.signer(key), {
          now,
          ...(req.snapshotDays !== undefined ? { snapshotDays: req.snapshotDays } : {}),
          ...(req.timestampDays !== undefined ? { timestampDays: req.timestampDays } : {}),
        });
      });
      // timestamp.json is the one file a new version replaces (spec: it is never versioned)
      const w = writeExactInto(kit.files.folder(req.folderId), r.files, { replace: (n) => n === 'timestamp.json' });
      // read back as a client would, from the first root in the folder
      const first = firstRoot(folder);
      let verified = false;
      let verification: string[] = ['no 1.root.json in the folder to start from'];
      if (first) {
        const { report } = await verifyRepository(first.bytes, dirMetadataReader(kit.files.folder(req.folderId)), { now });
        verified = report.verdict === 'verified';
        verification = formatVerificationReport(report);
      }
      return { summary: r.summary, written: w.written, verified, verification };
    },
  };
}

/** Handlers of IPC area "notary" (shared/ipc/channels/notary.ts): `keyceremony notary`'s offline operations. */
import { existsSync } from 'node:fs';
import { readInputText } from '../../adapters/fs/read';
import { basename, join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { canonicalKeyId, certPemFromText, notaryKeyFromCertPem, notaryKeyFromText, notaryKeyId } from '../../../shared/notary';
import type { notaryChannels } from '../../../shared/ipc/channels/notary';
import { checkGun, initRepo, mergeRepos, stageDelegation, stageRootRotation, stageSigner, stageTargets } from '../../core/notary';
import { createSelfSignedCert } from '../../adapters/pkcs11';
import { readRepoDir, signRoleInDir, writeRepoFiles } from '../../adapters/notary/repo-dir';
import { readOpenedFile } from '../../adapters/fs/files';
import { writeFileAtomic } from '../../adapters/fs/atomic';
import { NAMES_FILE, parseNames, repoView, roleAcceptedKeys } from '../notary';
import { matchCandidates, publicKeysOn } from '../candidates';
import { findKey, type AreaHandlers, type HostKit } from '../host-kit';

/** Notary targets are hashed in main; 1 GiB is the most this screen reads in one piece. */
const MAX_TARGET_BYTES = 1024 * 1024 * 1024;

export function notaryHandlers(kit: HostKit): AreaHandlers<typeof notaryChannels> {
  const dirOf = (id: string) => kit.files.folder(id);
  const namesOf = (dir: string) => {
    const p = join(dir, NAMES_FILE);
    return parseNames(existsSync(p) ? readInputText(p, { what: 'key holder names', kind: 'document' }) : undefined);
  };
  const view = (id: string) => {
    const dir = dirOf(id);
    return repoView(readRepoDir(dir), basename(dir), namesOf(dir));
  };
  const targetsOf = (list: readonly { name: string; fileId: string }[]) =>
    list.map((t) => ({ name: t.name, bytes: readOpenedFile(kit.files.pickedFile(t.fileId), MAX_TARGET_BYTES) }));
  const keyOf = (text: string, what: string) => notaryKeyFromText(text, what);
  /** Stage a change with the core and write it into the folder (each file atomically). */
  const apply = async (id: string, stage: (files: Map<string, Uint8Array>) => Promise<Map<string, Uint8Array>>) => {
    const dir = dirOf(id);
    writeRepoFiles(dir, await stage(readRepoDir(dir)));
    return view(id);
  };

  return {
    'kc:notary.open': async (req) => view(req.folderId),

    'kc:notary.names': async (req) => {
      const dir = dirOf(req.folderId);
      writeFileAtomic(join(dir, NAMES_FILE), JSON.stringify({ ...namesOf(dir), ...req.names }, null, 2) + '\n');
      return view(req.folderId);
    },

    'kc:notary.init': async (req) => {
      if (!!req.snapshotKey === !!req.serverSnapshotKey) {
        throw new KeyceremonyError('INVALID_INPUT', 'Give exactly one snapshot key: yours (you sign snapshots) or the server’s (the server signs them).', {
          where: 'snapshotKey',
        });
      }
      const dir = dirOf(req.folderId);
      if (readRepoDir(dir).has('root.json'))
        throw new KeyceremonyError('CONFLICT', `${basename(dir)} already holds a repository (root.json); choose an empty folder.`, { where: 'folder' });
      return apply(req.folderId, () =>
        initRepo({
          gun: checkGun(req.gun),
          rootCertsPem: req.rootCerts.map((t, i) => certPemFromText(t, `root certificate ${i + 1}`)),
          rootThreshold: req.rootThreshold,
          targetsKeys: [keyOf(req.targetsKey, 'targets key')],
          snapshotKeys: [keyOf((req.snapshotKey ?? req.serverSnapshotKey)!, 'snapshot key')],
          timestampKey: keyOf(req.timestampKey, 'timestamp key'),
          now: new Date(),
          rootDays: req.rootDays,
          targetsDays: req.targetsDays,
          targets: targetsOf(req.targets),
        }),
      );
    },

    'kc:notary.cert': async (req) => {
      const gun = checkGun(req.gun);
      return kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        if (key.keyType !== 'ecdsa-p256' && key.keyType !== 'ecdsa-p384') {
          throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Notary root keys are ECDSA (ecdsa-x509); ${key.label} is ${key.keyType}.`, { where: key.label });
        }
        const c = await createSelfSignedCert(s.signer(key), { cn: gun, days: req.days ?? 3650, keyEncipherment: true });
        const k = notaryKeyFromCertPem(c.pem);
        return {
          pem: c.pem,
          suggestedName: `${key.label}.crt`,
          keyId: await notaryKeyId(k),
          canonicalKeyId: await canonicalKeyId(k),
          fingerprint: key.fingerprint,
        };
      });
    },

    'kc:notary.targets': async (req) => {
      if (req.add.length === 0 && req.remove.length === 0 && req.days === undefined) {
        throw new KeyceremonyError('INVALID_INPUT', 'Add or remove a target, or give a new expiry alone to renew it.', { where: 'targets' });
      }
      return apply(req.folderId, (files) =>
        stageTargets(files, { role: req.role, add: targetsOf(req.add), remove: req.remove, now: new Date(), days: req.days }),
      );
    },

    'kc:notary.signer': async (req) =>
      apply(req.folderId, (files) =>
        stageSigner(files, { name: req.name, keys: req.keys.map((t, i) => keyOf(t, `key of ${req.name} #${i + 1}`)), now: new Date(), days: req.days }),
      ),

    // `notary delegation add|remove` (electron/cli/commands/notary.ts): the same core call, the same refusals
    'kc:notary.delegation': async (req) => {
      const common = { role: req.role, paths: req.paths, allPaths: req.allPaths, now: new Date(), days: req.days };
      let staged: Awaited<ReturnType<typeof stageDelegation>>;
      const dir = dirOf(req.folderId);
      if (req.op === 'add') {
        if (req.keyIds.length)
          throw new KeyceremonyError('INVALID_INPUT', 'Adding takes key files (a certificate or public key), not key ids.', { where: 'keyIds' });
        if (!req.keys.length && !req.paths.length && !req.allPaths)
          throw new KeyceremonyError('INVALID_INPUT', `Give ${req.role} a key, a path or every path.`, { where: 'paths' });
        staged = await stageDelegation(readRepoDir(dir), {
          op: 'add',
          ...common,
          keys: req.keys.map((t, i) => keyOf(t, `key of ${req.role} #${i + 1}`)),
        });
      } else {
        if (req.keys.length) throw new KeyceremonyError('INVALID_INPUT', 'Removing takes key ids, not key files.', { where: 'keys' });
        const whole = !req.keyIds.length && !req.paths.length && !req.allPaths;
        if (whole && !req.confirmWhole)
          throw new KeyceremonyError('INVALID_INPUT', `This removes the whole delegation ${req.role} (its keys and paths); confirm it first.`, {
            where: 'confirmWhole',
          });
        staged = await stageDelegation(readRepoDir(dir), { op: 'remove', ...common, keyIds: req.keyIds });
      }
      writeRepoFiles(dir, staged.files);
      return { view: await view(req.folderId), summary: staged.summary };
    },

    'kc:notary.rotate': async (req) =>
      apply(req.folderId, (files) =>
        stageRootRotation(files, {
          rootCertsPem: req.rootCerts?.map((t, i) => certPemFromText(t, `root certificate ${i + 1}`)),
          rootThreshold: req.rootThreshold,
          targetsKeys: req.targetsKey ? [keyOf(req.targetsKey, 'targets key')] : undefined,
          snapshotKeys: req.snapshotKey ? [keyOf(req.snapshotKey, 'snapshot key')] : undefined,
          timestampKeys: req.timestampKey ? [keyOf(req.timestampKey, 'timestamp key')] : undefined,
          now: new Date(),
          rootDays: req.rootDays,
        }),
      ),

    'kc:notary.candidates': async (req) => {
      const dir = dirOf(req.folderId);
      const accepted = await roleAcceptedKeys(readRepoDir(dir), req.role, namesOf(dir));
      const { token, keys } = await publicKeysOn(kit, req.token);
      return matchCandidates(token, keys, accepted);
    },

    'kc:notary.sign': async (req) => {
      const dir = dirOf(req.folderId);
      const files = readRepoDir(dir);
      const now = new Date();
      const opts = { now, ...(req.snapshotDays !== undefined ? { snapshotDays: req.snapshotDays, rebuild: true } : {}) };
      const res = await kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        // Notary ECDSA is always SHA-256, also on P-384 keys; written under the folder's lock over
        // what is there then (another custodian may sign the same folder from another machine's mount)
        return signRoleInDir(dir, req.role, s.signer(key, key.keyType === 'ecdsa-p384' ? { algorithm: 'ecdsa-p384-sha256' } : {}), opts, { files });
      });
      if (res.signedAs.length === 0 && res.completed.length === 0)
        throw new KeyceremonyError('CONFLICT', `This key had already signed ${req.role}; nothing changed.`, { where: 'role' });
      return { view: await view(req.folderId), signedAs: res.signedAs, already: res.already, status: res.status };
    },

    'kc:notary.merge': async (req) => {
      const dir = dirOf(req.folderId);
      const other = dirOf(req.fromFolderId);
      if (other === dir) throw new KeyceremonyError('INVALID_INPUT', 'Choose the OTHER copy of the repository to merge from.', { where: 'fromFolderId' });
      const m = mergeRepos(readRepoDir(dir), readRepoDir(other));
      writeRepoFiles(dir, m.files);
      return { view: await view(req.folderId), merged: m.merged };
    },
  };
}

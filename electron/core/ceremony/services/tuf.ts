/**
 * The engine's TufService over electron/core/tuf (repo.ts, sign.ts): the ceremony supplies public
 * keys and Signers (token sessions), this builds and signs the metadata. Pure.
 */
import { KeyceremonyError } from '../../../../shared/errors';
import { computeKeyId, keyFromSpki, type TufKeyJSON } from '../../../../shared/tuf/keys';
import { Root, Targets } from '../../../../shared/tuf/models';
import { fromUtf8 } from '../../../../shared/encoding/bytes';
import { delegate as tufDelegate, newRoot, newTargets, nextRoot, nextTargets, publishTargets } from '../../tuf/repo';
import { signEnvelope } from '../../tuf/sign';
import type { Signer } from '../../signer';
import type { OutputFile, PublicKeyRef, TufService } from '../types';

const tufKey = (k: PublicKeyRef): TufKeyJSON => keyFromSpki(k.keyType, k.publicKeySpki);

async function keyIdsOf(keys: PublicKeyRef[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const k of keys) out[k.keyId] = await computeKeyId(tufKey(k));
  return out;
}

function signersFor(ids: string[], m: Map<string, Signer>, role: string): Signer[] {
  return ids.map((id) => {
    const s = m.get(id);
    if (!s) throw new KeyceremonyError('PRECONDITION_FAILED', `No signer for ${role} key "${id}".`, { where: role });
    return s;
  });
}

function parseSigned(bytes: Uint8Array, what: string): unknown {
  try {
    const env = JSON.parse(fromUtf8(bytes)) as { signed?: unknown };
    if (!env || typeof env !== 'object' || !env.signed) throw new KeyceremonyError('INVALID_METADATA', 'no "signed" member');
    return env.signed;
  } catch (e) {
    throw new KeyceremonyError('INVALID_METADATA', `${what} is not TUF metadata: ${(e as Error).message}`, { where: what });
  }
}

export function tufService(): TufService {
  return {
    async createRepository(i) {
      if (i.flavor === 'notary') {
        throw new KeyceremonyError(
          'UNSUPPORTED_FORMAT',
          'Notary repositories are made with `keyceremony notary init` (x509 root certificates); the ceremony step for them is not wired yet.',
          { where: 'flavor' },
        );
      }
      const roleSpec = (keys: PublicKeyRef[], threshold: number) => ({ keys: keys.map(tufKey), threshold });
      const root = await newRoot({
        roles: {
          root: roleSpec(i.rootKeys, i.rootThreshold),
          targets: roleSpec(i.onlineKeys.targets, i.thresholds?.targets ?? 1),
          snapshot: roleSpec(i.onlineKeys.snapshot, i.thresholds?.snapshot ?? 1),
          timestamp: roleSpec(i.onlineKeys.timestamp, i.thresholds?.timestamp ?? 1),
        },
        expires: i.expires.root,
        consistentSnapshot: i.consistentSnapshot,
      });
      const rootBytes = await signEnvelope(
        root.toJSON(),
        signersFor(
          i.rootKeys.map((k) => k.keyId),
          i.signers,
          'root',
        ),
      );
      const targets = newTargets(i.expires.targets);
      const published = await publishTargets({
        roles: new Map([['targets', targets]]),
        snapshotVersion: 1,
        timestampVersion: 1,
        expires: { snapshot: i.expires.snapshot, timestamp: i.expires.timestamp },
        signers: {
          targets: signersFor(
            i.onlineKeys.targets.map((k) => k.keyId),
            i.signers,
            'targets',
          ),
          snapshot: signersFor(
            i.onlineKeys.snapshot.map((k) => k.keyId),
            i.signers,
            'snapshot',
          ),
          timestamp: signersFor(
            i.onlineKeys.timestamp.map((k) => k.keyId),
            i.signers,
            'timestamp',
          ),
        },
      });
      const files: OutputFile[] = [
        { path: 'metadata/1.root.json', bytes: rootBytes, kind: 'tuf-metadata' },
        { path: 'metadata/root.json', bytes: rootBytes, kind: 'tuf-metadata' },
        ...published.map((f) => ({ path: `metadata/${f.name}`, bytes: f.bytes, kind: 'tuf-metadata' })),
      ];
      const all = [...i.rootKeys, ...i.onlineKeys.targets, ...i.onlineKeys.snapshot, ...i.onlineKeys.timestamp];
      return {
        files,
        keyIds: await keyIdsOf(all),
        summary: `TUF root v1 (${i.rootThreshold} of ${i.rootKeys.length} root keys), targets v1, snapshot v1, timestamp; root expires ${i.expires.root}`,
      };
    },

    async rotateRoot(i) {
      const prev = Root.fromJSON(parseSigned(i.previousRoot, 'previous root'));
      const newIds = await keyIdsOf(i.newRootKeys);
      const oldIds = prev.roles.root.keyids;
      const next = await nextRoot(prev, {
        add: { root: i.newRootKeys.map(tufKey) },
        remove: { root: oldIds.filter((id) => !Object.values(newIds).includes(id)) },
        threshold: { root: i.rootThreshold },
        expires: i.expires,
      });
      // sign with every signer given (old keys for the old threshold, new keys for the new one)
      const bytes = await signEnvelope(next.toJSON(), [...i.signers.values()]);
      return {
        files: [
          { path: `metadata/${next.version}.root.json`, bytes, kind: 'tuf-metadata' },
          { path: 'metadata/root.json', bytes, kind: 'tuf-metadata' },
        ],
        keyIds: newIds,
        summary: `TUF root v${next.version} (${i.rootThreshold} of ${i.newRootKeys.length} root keys) signed by ${i.signers.size} key(s)`,
      };
    },

    async delegate(i) {
      const prev = Targets.fromJSON(parseSigned(i.targets, 'targets metadata'));
      const next = nextTargets(prev, i.expires);
      await tufDelegate(next, { name: i.role, keys: i.keys.map(tufKey), threshold: i.threshold, paths: i.paths });
      const bytes = await signEnvelope(next.toJSON(), [...i.signers.values()]);
      return {
        files: [{ path: `metadata/${next.version}.targets.json`, bytes, kind: 'tuf-metadata' }],
        keyIds: await keyIdsOf(i.keys),
        summary: `targets v${next.version} delegates "${i.role}" (${i.threshold} of ${i.keys.length} keys) for ${i.paths.join(', ')}`,
      };
    },
  };
}

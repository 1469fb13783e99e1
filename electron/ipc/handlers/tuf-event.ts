/**
 * Handlers of IPC area "tuf-event" (shared/ipc/channels/tuf-event.ts): a tuf-on-ci signing event in
 * the app — the same core (electron/core/tuf/event.ts) and the same locked, atomic in-place write
 * (electron/adapters/tuf/event-write.ts) as `keyceremony tuf status|sign --metadata DIR`.
 */
import path from 'node:path';
import type { TufEventView, tufEventChannels } from '../../../shared/ipc/channels/tuf-event';
import { keyToSpki } from '../../../shared/tuf/keys';
import { eventDiff, eventSigningKeys, eventStatus, formatEventStatus, prepareEventSignature } from '../../core/tuf/event';
import { dirFolder, signingEventState } from '../../adapters/tuf/fs-folder';
import { writeEventSignature } from '../../adapters/tuf/event-write';
import { matchCandidates, publicKeysOn, type AcceptedKey } from '../candidates';
import { findKey, touchPromptFor, type AreaHandlers, type HostKit } from '../host-kit';

/** The folder's status by keyholder, with each role's diff against its previous version. */
export async function eventView(dir: string, now: number): Promise<TufEventView> {
  const folder = dirFolder(dir);
  const invites = signingEventState(dir);
  const st = await eventStatus(folder, { now, ...(invites ? { invitesFile: invites } : {}) });
  const roles: TufEventView['roles'] = [];
  for (const r of st.roles) {
    const diff = r.version > 0 ? (await eventDiff(folder, r.role)).lines : [];
    roles.push({
      role: r.role,
      version: r.version,
      files: r.files,
      expires: r.expires,
      expired: r.expired,
      ...(r.renewal ? { renewal: r.renewal } : {}),
      ok: r.ok,
      tufOnCiLayout: r.tufOnCiLayout,
      notes: r.notes,
      diff,
      rules: r.rules.map((x) => ({
        name: r.rules.length > 1 ? `keys of ${x.by}` : x.by,
        threshold: x.threshold,
        valid: x.valid,
        ok: x.ok,
        line: x.line,
        signers: x.signers.map((s) => ({
          keyid: s.keyid,
          fingerprint: s.fingerprint,
          ...(s.owner ? { name: s.owner } : {}),
          signed: s.state === 'signed',
          state: s.state,
        })),
      })),
    });
  }
  return { folder: st.folder, layout: st.layout, evaluatedAt: st.evaluatedAt, ok: st.ok, roles, invites: st.invites, lines: formatEventStatus(st) };
}

export function tufEventHandlers(kit: HostKit): AreaHandlers<typeof tufEventChannels> {
  const dirOf = (id: string) => kit.files.folder(id);
  return {
    'kc:tuf.event.open': async (req) => eventView(dirOf(req.folderId), Date.now()),

    'kc:tuf.event.candidates': async (req) => {
      const accepted: AcceptedKey[] = [];
      for (const k of await eventSigningKeys(dirFolder(dirOf(req.folderId)), req.role)) {
        let spki: Uint8Array;
        try {
          spki = keyToSpki(k.key).spki;
        } catch {
          continue; // a key type we cannot match (it is shown in the status, not offered)
        }
        accepted.push({ spki, rule: k.rule, signed: k.signed, ...(k.owner ? { name: k.owner } : {}) });
      }
      const { token, keys } = await publicKeysOn(kit, req.token);
      return matchCandidates(token, keys, accepted);
    },

    'kc:tuf.event.sign': async (req, ctx) => {
      const dir = dirOf(req.folderId);
      const folder = dirFolder(dir);
      const prepared = await kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const alg = key.keyType === 'ecdsa-p384' ? { algorithm: 'ecdsa-p384-sha384' as const } : {};
        // refused (KEY_NOT_FOUND) before the token signs when the role does not list this key
        return prepareEventSignature(folder, req.role, s.signer(key, { ...alg, onUserPresence: touchPromptFor(kit, ctx) }));
      });
      const w = prepared.already ? { written: [] } : await writeEventSignature(dir, prepared);
      return {
        already: prepared.already,
        written: w.written.map((f) => path.relative(dir, f).split(path.sep).join('/')),
        owners: prepared.owners,
        version: prepared.version,
        view: await eventView(dir, Date.now()),
      };
    },
  };
}

/**
 * The TUF work of the desktop app over the same core as `keyceremony tuf`: signing requests
 * (electron/core/tuf/request.ts: open, sign, merge, finalize) and repository updates
 * (electron/core/tuf/updates.ts: targets, renew, rotate, delegate, snapshot). This module turns them
 * into what the screens show; it reads and writes nothing itself.
 */
import { diffSigned } from '../core/tuf/diff';
import { finalizeRequest, mergeRequests, parseRequest, requestStatus, serializeRequest, signRequest, type SigningRequest } from '../core/tuf/request';
import {
  delegateRequests,
  latestRoleFiles,
  loadRoot,
  removeDelegationRequest,
  renewRequest,
  repositoryOverview,
  rolesForPaths,
  rotateRequest,
  targetsRequest,
  type ExpirySpec,
  type MetadataFolder,
  type SignerNames,
} from '../core/tuf/updates';
import type { Signer } from '../core/signer';
import { KeyceremonyError } from '../../shared/errors';
import { fromUtf8 } from '../../shared/encoding/bytes';
import { parseStrictJson } from '../../shared/json/strict';
import { keyFingerprint, keyToSpki, parseTufKeyText } from '../../shared/tuf/keys';
import type { CreatedRequest, Request, SigningRequestView, TufRepoView } from '../../shared/ipc/contract';
import type { AcceptedKey } from './candidates';

async function view(req: SigningRequest): Promise<SigningRequestView> {
  const st = await requestStatus(req);
  const d = await diffSigned(req.previous, req.signed, req.role);
  const v: SigningRequestView = {
    role: req.role,
    version: req.version,
    fileName: req.fileName,
    signedSha256: req.signedSha256,
    summary: st.summary,
    complete: st.complete,
    rules: st.rules.map((r) => ({
      name: r.name,
      threshold: r.threshold,
      valid: r.valid,
      ok: r.ok,
      total: req.rules.find((x) => x.name === r.name)?.keyids.length ?? 0,
      signedBy: r.signedBy,
      missing: r.missing,
      signers: r.signers,
      line: r.line,
    })),
    diff: d.lines,
    signatures: req.signatures.length,
  };
  if (req.note) v.note = req.note;
  return v;
}

export async function openRequest(text: string): Promise<SigningRequestView> {
  return view(parseRequest(text, 'signing request'));
}

export async function signRequestText(text: string, signer: Signer): Promise<{ text: string; view: SigningRequestView }> {
  const signed = await signRequest(parseRequest(text, 'signing request'), signer);
  return { text: serializeRequest(signed), view: await view(signed) };
}

export async function finalizeRequestText(text: string): Promise<{ fileName: string; text: string; bytes: Uint8Array }> {
  const req = parseRequest(text, 'signing request');
  const bytes = await finalizeRequest(req);
  return { fileName: req.fileName, text: fromUtf8(bytes), bytes };
}

/** Merge signed copies: the first is the base; the result names how many signatures were added. */
export async function mergeRequestTexts(texts: readonly string[]): Promise<{ text: string; view: SigningRequestView; added: number }> {
  const reqs = texts.map((t, i) => parseRequest(t, `signing request ${i + 1}`));
  let out = reqs[0]!;
  for (const r of reqs.slice(1)) out = await mergeRequests(out, r);
  return { text: serializeRequest(out), view: await view(out), added: out.signatures.length - reqs[0]!.signatures.length };
}

/** Every key a request's rules accept, for matching against the keys on a token. */
export async function acceptedKeys(text: string): Promise<AcceptedKey[]> {
  const req = parseRequest(text, 'signing request');
  const st = await requestStatus(req);
  const out: AcceptedKey[] = [];
  for (const r of req.rules) {
    const rs = st.rules.find((x) => x.name === r.name);
    for (const id of r.keyids) {
      const k = r.keys[id];
      if (!k) continue;
      let spki: Uint8Array;
      try {
        spki = keyToSpki(k).spki;
      } catch {
        continue;
      }
      const fp = await keyFingerprint(k);
      const name = req.names?.[id];
      out.push({ spki, rule: r.name, signed: rs?.signers.some((s) => s.fingerprint === fp && s.signed) ?? false, ...(name ? { name } : {}) });
    }
  }
  return out;
}

export async function repoView(folder: MetadataFolder, folderName: string): Promise<TufRepoView> {
  const o = repositoryOverview(folder);
  const keys: TufRepoView['keys'] = [];
  for (const [keyid, k] of Object.entries(o.keys)) keys.push({ keyid, keytype: k.keytype, scheme: k.scheme, fingerprint: await keyFingerprint(k) });
  const v: TufRepoView = {
    folder: folderName,
    files: folder.names().sort(),
    rootVersion: o.rootVersion,
    roles: o.roles,
    delegations: o.delegations,
    targets: o.targets,
    keys,
  };
  if (o.hashBins) v.hashBins = o.hashBins;
  return v;
}

type Change = Request<'kc:tuf.request.create'>['change'];

function expiryOf(e: { expires?: string; expiresInDays?: number } | undefined): ExpirySpec {
  return { ...(e?.expires !== undefined ? { expires: e.expires } : {}), ...(e?.expiresInDays !== undefined ? { expiresInDays: e.expiresInDays } : {}) };
}

async function created(req: SigningRequest): Promise<CreatedRequest> {
  return { suggestedName: `${req.version}.${req.role}.request.json`, text: serializeRequest(req), view: await view(req) };
}

/**
 * Make the request(s) for one change, exactly as the CLI would. Target files are read by `readTarget`
 * (main reads the chosen file). On a repository delegating to hash bins, targets added to or removed
 * from "targets" become one request per bin touched (TAP 15), each for its bin's keys.
 */
export async function createRequests(
  folder: MetadataFolder,
  change: Change,
  opts: { now: number; names?: SignerNames; readTarget: (fileId: string) => Uint8Array },
): Promise<{ requests: CreatedRequest[]; warnings: string[] }> {
  const names = opts.names ? { names: opts.names } : {};
  const now = opts.now;
  switch (change.kind) {
    case 'targets-add':
    case 'targets-remove': {
      const paths = change.kind === 'targets-add' ? change.entries.map((e) => e.path) : change.paths;
      const groups = change.role ? new Map([[change.role, paths]]) : await rolesForPaths(folder, paths);
      const out: CreatedRequest[] = [];
      const warnings: string[] = [];
      for (const [role, ps] of groups) {
        const add =
          change.kind === 'targets-add'
            ? change.entries
                .filter((e) => ps.includes(e.path))
                .map((e) => {
                  const custom = e.customJson !== undefined && e.customJson.trim() !== '' ? parseCustom(e.customJson, e.path) : undefined;
                  const c = custom !== undefined ? { custom } : {};
                  if (e.fileId !== undefined) {
                    if (e.length !== undefined || e.sha256 !== undefined || e.sha512 !== undefined) {
                      throw new KeyceremonyError('INVALID_INPUT', `${e.path}: give a file or its length and hashes, not both`, { where: e.path });
                    }
                    return { path: e.path, bytes: opts.readTarget(e.fileId), ...c };
                  }
                  if (e.length === undefined || e.sha256 === undefined) {
                    throw new KeyceremonyError('INVALID_INPUT', `${e.path}: choose the file, or give its length and SHA-256`, { where: e.path });
                  }
                  return { path: e.path, length: e.length, hashes: { sha256: e.sha256, ...(e.sha512 !== undefined ? { sha512: e.sha512 } : {}) }, ...c };
                })
            : [];
        const r = await targetsRequest(folder, {
          action: change.kind === 'targets-add' ? 'add' : 'remove',
          role,
          add,
          remove: change.kind === 'targets-remove' ? ps : [],
          expiry: expiryOf(change.expiry),
          now,
          ...names,
        });
        if (r.advice) warnings.push(r.advice);
        out.push(await created(r.request));
      }
      return { requests: out, warnings };
    }
    case 'renew':
      return { requests: [await created(await renewRequest(folder, { role: change.role, expiry: expiryOf(change.expiry), now, ...names }))], warnings: [] };
    case 'rotate':
      return {
        requests: [
          await created(
            await rotateRequest(folder, {
              role: change.role,
              add: change.addKeys.map((t, i) => parseTufKeyText(t, `added key ${i + 1}`)),
              removeKeyids: change.removeKeyids,
              ...(change.threshold !== undefined ? { threshold: change.threshold } : {}),
              expiry: expiryOf(change.expiry),
              now,
              ...names,
            }),
          ),
        ],
        warnings: [],
      };
    case 'delegate': {
      const r = await delegateRequests(folder, {
        name: change.name,
        ...(change.from ? { from: change.from } : {}),
        keys: change.keys.map((t, i) => parseTufKeyText(t, `delegated key ${i + 1}`)),
        threshold: change.threshold,
        ...(change.paths ? { paths: change.paths } : {}),
        ...(change.pathHashPrefixes ? { pathHashPrefixes: change.pathHashPrefixes } : {}),
        terminating: change.terminating,
        expiry: expiryOf(change.expiry),
        ...(change.roleExpiresInDays !== undefined ? { roleExpiresInDays: change.roleExpiresInDays } : {}),
        now,
        ...names,
      });
      const requests = [await created(r.targets)];
      if (r.role) requests.push(await created(r.role));
      return { requests, warnings: r.warnings };
    }
    case 'delegate-remove':
      return {
        requests: [
          await created(
            await removeDelegationRequest(folder, {
              name: change.name,
              ...(change.from ? { from: change.from } : {}),
              expiry: expiryOf(change.expiry),
              now,
              ...names,
            }),
          ),
        ],
        warnings: [],
      };
  }
}

function parseCustom(text: string, path: string): unknown {
  try {
    return parseStrictJson(text, { source: `custom for ${path}` });
  } catch (e) {
    throw new KeyceremonyError('INVALID_JSON', `The custom field for ${path} is not JSON: ${(e as Error).message}`, { where: `custom ${path}` });
  }
}

/** The keys of the current root that sign snapshot and timestamp (the online key signs both). */
export function onlineKeys(folder: MetadataFolder): AcceptedKey[] {
  const root = loadRoot(folder);
  const out: AcceptedKey[] = [];
  for (const role of ['snapshot', 'timestamp'] as const) {
    for (const id of root.roles[role].keyids) {
      const k = root.keys[id];
      if (!k) continue;
      try {
        out.push({ spki: keyToSpki(k).spki, rule: role, signed: false });
      } catch {
        /* an unusable key accepts nothing */
      }
    }
  }
  return out;
}

/** The first root in the folder (what a client would start from), for the check after a snapshot. */
export function firstRoot(folder: MetadataFolder): { name: string; bytes: Uint8Array } | undefined {
  const v = [...latestRoleFiles(folder).entries()].find(([r]) => r === 'root');
  if (!v) return undefined;
  for (let i = 1; i <= v[1].version; i++) {
    const b = folder.read(`${i}.root.json`);
    if (b) return { name: `${i}.root.json`, bytes: b };
  }
  return undefined;
}

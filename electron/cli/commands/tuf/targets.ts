/**
 * `keyceremony tuf targets add|remove` and `tuf delegate [remove]`: the next version of targets (or of a
 * delegated role) as signing requests, and the request for a newly delegated role's own metadata.
 */
import path from 'node:path';
import { KeyceremonyError } from '../../../../shared/errors';
import { parseStrictJson } from '../../../../shared/json/strict';
import { keyFromSpki, type TufKeyJSON } from '../../../../shared/tuf/keys';
import { delegateRequests, removeDelegationRequest, targetsRequest, type KnownHashes } from '../../../core/tuf/updates';
import { dirFolder } from '../../../adapters/tuf/fs-folder';
import { readInput } from '../../../adapters/fs/read';
import { parse, UsageError } from '../../args';
import type { CliContext } from '../../context';
import { keyRef, withTokenKey } from '../../keyref';
import { clockNow, intFlag } from '../../common';
import { emitRequest, expiryOptions, expirySpec, guardOut, outFlag, readKeyFile, type Sub } from './common';

/**
 * `--length N --sha256 HEX [--sha512 HEX]` per `--path`, paired in order (targets added by known
 * hashes, without the file); undefined when none of them is given.
 */
function knownHashArgs(values: { length?: string[]; sha256?: string[]; sha512?: string[] }, n: number): { length: number; hashes: KnownHashes }[] | undefined {
  const len = values.length ?? [];
  const s256 = values.sha256 ?? [];
  const s512 = values.sha512 ?? [];
  if (!len.length && !s256.length && !s512.length) return undefined;
  if (len.length !== n || s256.length !== n || (s512.length && s512.length !== n)) {
    throw new UsageError(
      `give --length N and --sha256 HEX (and --sha512 HEX, if any, for each) once per --path P, paired in order: ${n} --path, ${len.length} --length, ${s256.length} --sha256${s512.length ? `, ${s512.length} --sha512` : ''}`,
    );
  }
  return len.map((l, i) => ({
    length: intFlag(l, '--length')!,
    hashes: { sha256: s256[i]!.toLowerCase(), ...(s512.length ? { sha512: s512[i]!.toLowerCase() } : {}) },
  }));
}

/** `tuf targets add|remove`: a request for the next version of targets (or a delegated role). */
export const targetsCmd: Sub = async (args, ctx) => {
  const [action, ...rest] = args;
  if (action !== 'add' && action !== 'remove') throw new UsageError('tuf targets add|remove --metadata DIR --path P [--file F] … --out REQUEST');
  const { values } = parse(rest, {
    metadata: { type: 'string' },
    role: { type: 'string' },
    path: { type: 'string', multiple: true },
    file: { type: 'string', multiple: true },
    length: { type: 'string', multiple: true },
    sha256: { type: 'string', multiple: true },
    sha512: { type: 'string', multiple: true },
    custom: { type: 'string', multiple: true },
    out: { type: 'string' },
    ...expiryOptions,
  });
  if (!values.metadata) throw new UsageError('--metadata DIR is required');
  const out = outFlag(values);
  const paths = values.path ?? [];
  if (paths.length === 0) throw new UsageError('give at least one --path P');
  const files = values.file ?? [];
  if (action === 'remove' && (files.length || values.length || values.sha256 || values.sha512)) throw new UsageError('tuf targets remove takes --path only');
  const known = knownHashArgs(values, paths.length);
  if (action === 'add' && known && files.length)
    throw new UsageError('give either --file F or --length N --sha256 HEX for the targets of one request, not both');
  if (action === 'add' && !known && files.length !== paths.length) {
    throw new UsageError(
      `give one --file F per --path P (${paths.length} --path, ${files.length} --file), paired in order, or --length N --sha256 HEX per --path`,
    );
  }
  const dir = values.metadata;
  const folder = dirFolder(dir);
  const add =
    action === 'add'
      ? paths.map((p, i) => {
          const c = values.custom?.[i];
          let custom: unknown;
          if (c !== undefined && c !== '') {
            try {
              custom = parseStrictJson(c, { source: `--custom #${i + 1}` });
            } catch (e) {
              throw new KeyceremonyError('INVALID_JSON', `--custom #${i + 1} for ${p} is not JSON: ${(e as Error).message}`, { where: `--custom ${p}` });
            }
          }
          const c2 = custom !== undefined ? { custom } : {};
          return known
            ? { path: p, length: known[i]!.length, hashes: known[i]!.hashes, ...c2 }
            : { path: p, bytes: readInput(files[i]!, 'target file', 'artifact'), ...c2 };
        })
      : [];
  const { request: req, advice } = await targetsRequest(folder, {
    action,
    ...(values.role ? { role: values.role } : {}),
    add,
    remove: action === 'remove' ? paths : [],
    expiry: expirySpec(values),
    now: clockNow(ctx),
  });
  if (advice) ctx.err(`warning: ${advice}`);
  await emitRequest(ctx, out, req);
  ctx.out(`next: sign it (tuf sign ${out} …), write it (tuf status ${out} --write ${dir}), then tuf snapshot --metadata ${dir} …`);
  return 0;
};

/** Public keys from PEM/JSON files and, through a token, from pkcs11: URIs (no private key is used). */
async function delegationKeys(ctx: CliContext, values: { key?: string[]; 'key-uri'?: string[]; module?: string; 'pin-file'?: string }): Promise<TufKeyJSON[]> {
  const keys = (values.key ?? []).map(readKeyFile);
  for (const uri of values['key-uri'] ?? []) {
    if (!uri.startsWith('pkcs11:')) throw new UsageError(`--key-uri takes a pkcs11: URI, got ${JSON.stringify(uri)} (use --key FILE for a key file)`);
    const ref = keyRef({ key: uri, ...(values.module ? { module: values.module } : {}), ...(values['pin-file'] ? { 'pin-file': values['pin-file'] } : {}) });
    keys.push(await withTokenKey(ctx, ref, async (_s, k) => keyFromSpki(k.keyType, k.publicKeySpki)));
  }
  return keys;
}

/**
 * `tuf delegate`: targets v+1 delegating paths to a role (added or replaced), plus the request for the
 * role's own first (or re-keyed) metadata file, signed by the delegated keys. `tuf delegate remove`.
 */
export const delegateCmd: Sub = async (args, ctx) => {
  const removing = args[0] === 'remove';
  const { values } = parse(removing ? args.slice(1) : args, {
    metadata: { type: 'string' },
    role: { type: 'string' },
    from: { type: 'string' },
    key: { type: 'string', multiple: true },
    'key-uri': { type: 'string', multiple: true },
    module: { type: 'string' },
    'pin-file': { type: 'string' },
    paths: { type: 'string', multiple: true },
    'path-hash-prefix': { type: 'string', multiple: true },
    threshold: { type: 'string' },
    terminating: { type: 'boolean' },
    out: { type: 'string' },
    'role-out': { type: 'string' },
    'role-expires-in': { type: 'string' },
    ...expiryOptions,
  });
  if (!values.metadata) throw new UsageError('--metadata DIR is required');
  if (!values.role) throw new UsageError('--role NAME is required (the delegated role)');
  const out = outFlag(values);
  const folder = dirFolder(values.metadata);
  const name = values.role;
  const now = clockNow(ctx);
  if (removing) {
    for (const f of ['key', 'key-uri', 'paths', 'path-hash-prefix', 'threshold', 'terminating', 'role-out'] as const) {
      if (values[f] !== undefined) throw new UsageError(`tuf delegate remove takes --metadata, --role, --from, --out and an expiry only (not --${f})`);
    }
    await emitRequest(
      ctx,
      out,
      await removeDelegationRequest(folder, { name, ...(values.from ? { from: values.from } : {}), expiry: expirySpec(values), now }),
    );
    return 0;
  }
  const threshold = intFlag(values.threshold, '--threshold');
  if (threshold === undefined) throw new UsageError('--threshold N is required');
  if (!values.paths === !values['path-hash-prefix']) throw new UsageError("give --paths 'GLOB'… or --path-hash-prefix HEX…, one of them");
  if (!values.key && !values['key-uri']) throw new UsageError('give the delegated keys: --key FILE… and/or --key-uri pkcs11:…');
  const keys = await delegationKeys(ctx, values);
  const roleDays = intFlag(values['role-expires-in'], '--role-expires-in');
  const r = await delegateRequests(folder, {
    name,
    ...(values.from ? { from: values.from } : {}),
    keys,
    threshold,
    ...(values.paths ? { paths: values.paths } : {}),
    ...(values['path-hash-prefix'] ? { pathHashPrefixes: values['path-hash-prefix'] } : {}),
    terminating: values.terminating ?? false,
    expiry: expirySpec(values),
    ...(roleDays !== undefined ? { roleExpiresInDays: roleDays } : {}),
    now,
  });
  let roleOut: string | undefined;
  if (r.role) {
    roleOut = values['role-out'] ?? path.join(path.dirname(out), `${r.role.version}.${name}.request.json`);
    if (path.resolve(roleOut) === path.resolve(out)) throw new UsageError('--role-out must differ from --out');
  } else if (values['role-out']) ctx.err(`note: the keys of ${name} did not change; no request for its own metadata (--role-out unused)`);
  for (const w of r.warnings) ctx.err(`warning: ${w}`);
  guardOut(out, r.targets);
  if (r.role && roleOut) guardOut(roleOut, r.role);
  await emitRequest(ctx, out, r.targets);
  if (r.role && roleOut) {
    ctx.out(`role ${name}: its own metadata must be signed by its new keys:`);
    await emitRequest(ctx, roleOut, r.role);
  }
  return 0;
};

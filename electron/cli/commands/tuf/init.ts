/**
 * `keyceremony tuf init`, `tuf rotate`, `tuf renew`: a new repository (root v1 as a signing request),
 * key and threshold changes of a top-level role, and expiry bumps, as signing requests.
 */
import path from 'node:path';
import { KeyceremonyError } from '../../../../shared/errors';
import { computeKeyId } from '../../../../shared/tuf/keys';
import { withKeyOwner } from '../../../../shared/tuf/tuf-on-ci';
import { createRequest, requestStatus, rootRules, serializeRequest } from '../../../core/tuf/request';
import { diffSigned } from '../../../core/tuf/diff';
import {
  DEFAULT_EXPIRY_DAYS,
  expiresIn,
  newRoot,
  newTargets,
  publishTargets,
  targetFileInfo,
  flatTargetsAdvice,
  hashBinTargets,
  recommendedBitLength,
} from '../../../core/tuf/repo';
import { renewRequest, rotateRequest, type TopRole } from '../../../core/tuf/updates';
import { signerKey } from '../../../core/tuf/sign';
import { dirFolder } from '../../../adapters/tuf/fs-folder';
import { readInput } from '../../../adapters/fs/read';
import { parse, UsageError } from '../../args';
import { keyOptions } from '../../keyref';
import { clockNow, intFlag, writeOut } from '../../common';
import { emitRequest, expiryOptions, expirySpec, hasTokenFlags, outFlag, readKeyFile, withTokenSigner, type Sub } from './common';

export const init: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    ...keyOptions,
    out: { type: 'string' },
    'root-key': { type: 'string', multiple: true },
    threshold: { type: 'string' },
    'online-key': { type: 'string' },
    target: { type: 'string', multiple: true },
    'hash-bins': { type: 'string' },
    'root-days': { type: 'string' },
    'targets-days': { type: 'string' },
  });
  if (!values.out) throw new UsageError('--out DIR is required');
  const rootKeys = (values['root-key'] ?? []).map(readKeyFile);
  if (rootKeys.length === 0) throw new UsageError('at least one --root-key FILE is required');
  const threshold = intFlag(values.threshold, '--threshold');
  if (threshold === undefined) throw new UsageError('--threshold T is required');
  if (!values['online-key']) throw new UsageError('--online-key FILE is required (the key of targets, snapshot and timestamp)');
  const online = readKeyFile(values['online-key']);
  const now = clockNow(ctx);
  const root = await newRoot({
    roles: {
      root: { keys: rootKeys, threshold },
      targets: { keys: [online], threshold: 1 },
      snapshot: { keys: [online], threshold: 1 },
      timestamp: { keys: [online], threshold: 1 },
    },
    expires: expiresIn(now, intFlag(values['root-days'], '--root-days', DEFAULT_EXPIRY_DAYS.root)!),
  });
  const targets = newTargets(expiresIn(now, intFlag(values['targets-days'], '--targets-days', DEFAULT_EXPIRY_DAYS.targets)!));
  for (const spec of values.target ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--target takes NAME=FILE, got ${JSON.stringify(spec)}`);
    targets.targets[spec.slice(0, eq)] = await targetFileInfo(readInput(spec.slice(eq + 1), 'target file', 'artifact'));
  }
  const nTargets = Object.keys(targets.targets).length;
  const binsArg = values['hash-bins'];
  const bits = binsArg === undefined ? undefined : binsArg === 'auto' ? recommendedBitLength(nTargets) : intFlag(binsArg, '--hash-bins');
  if (bits !== undefined && (bits < 1 || bits > 16)) throw new UsageError('--hash-bins takes 1..16 (bits) or auto');
  if (bits !== undefined && !hasTokenFlags(values)) throw new UsageError('--hash-bins needs the online token (--token/--label) to sign the bins');
  const advice = bits === undefined ? flatTargetsAdvice(nTargets) : undefined;
  if (advice) ctx.err(`warning: ${advice}`);
  const out = values.out;
  const req = await createRequest({ signed: root.toJSON(), role: 'root', rules: rootRules(root), note: 'root ceremony: new repository' });
  writeOut(ctx, path.join(out, 'requests', '1.root.request.json'), serializeRequest(req));
  const md = path.join(out, 'metadata');
  if (hasTokenFlags(values)) {
    await withTokenSigner(ctx, values, async (signer, label) => {
      const { keyid } = await signerKey(signer);
      if (keyid !== (await computeKeyId(online))) {
        throw new KeyceremonyError('KEY_NOT_FOUND', `${label} is not the --online-key`, { where: '--online-key' });
      }
      let roles = new Map([['targets', targets]]);
      if (bits !== undefined) {
        const b = await hashBinTargets({ targets: targets.targets, binKeys: [online], threshold: 1, bitLength: bits, expires: targets.expires });
        roles = new Map([['targets', b.top], ...b.bins]);
        ctx.out(`targets delegated to ${b.bins.size} succinct hash bins (${bits} bits, TAP 15)`);
      }
      const files = await publishTargets({
        roles,
        snapshotVersion: 1,
        timestampVersion: 1,
        expires: { snapshot: expiresIn(now, DEFAULT_EXPIRY_DAYS.snapshot), timestamp: expiresIn(now, DEFAULT_EXPIRY_DAYS.timestamp) },
        signers: { targets: [signer], snapshot: [signer], timestamp: [signer], delegated: { '*': [signer] } },
      });
      for (const f of files) writeOut(ctx, path.join(md, f.name), f.bytes);
    });
  } else {
    const treq = await createRequest({
      signed: targets.toJSON(),
      role: 'targets',
      rules: [{ name: 'targets', keyids: root.roles.targets.keyids, keys: { [root.roles.targets.keyids[0]!]: online }, threshold: 1 }],
    });
    writeOut(ctx, path.join(out, 'requests', '1.targets.request.json'), serializeRequest(treq));
  }
  for (const l of (await diffSigned(undefined, root.toJSON())).lines) ctx.out(l);
  ctx.out((await requestStatus(req)).summary);
  ctx.out(`next: each root custodian runs  keyceremony tuf sign ${path.join(out, 'requests', '1.root.request.json')} --token … --label …`);
  return 0;
};

export const rotate: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    metadata: { type: 'string' },
    out: { type: 'string' },
    role: { type: 'string' },
    'add-key': { type: 'string', multiple: true },
    owner: { type: 'string', multiple: true },
    'remove-key': { type: 'string', multiple: true },
    threshold: { type: 'string' },
    'root-days': { type: 'string' },
    ...expiryOptions,
  });
  if (!values.metadata || !values.out) throw new UsageError('--metadata DIR and --out REQUEST are required');
  const role = (values.role ?? 'root') as TopRole;
  if (!['root', 'targets', 'snapshot', 'timestamp'].includes(role)) {
    throw new UsageError(`--role is root, targets, snapshot or timestamp (keys of a delegated role: tuf delegate), got ${JSON.stringify(values.role)}`);
  }
  if (values['root-days'] !== undefined && (values.expires !== undefined || values['expires-in'] !== undefined)) {
    throw new UsageError('give --root-days or --expires/--expires-in, not both');
  }
  const owners = values.owner ?? [];
  const keyFiles = values['add-key'] ?? [];
  if (owners.length && owners.length !== keyFiles.length) {
    throw new UsageError(`give one --owner @handle per --add-key FILE, in the same order (${keyFiles.length} key file(s), ${owners.length} --owner)`);
  }
  const add = keyFiles.map((f, i) => withKeyOwner(readKeyFile(f), owners[i], f));
  const threshold = intFlag(values.threshold, '--threshold');
  if (!add.length && !(values['remove-key'] ?? []).length && threshold === undefined) {
    throw new UsageError('nothing to change: give --add-key FILE, --remove-key KEYID or --threshold T (an expiry alone: tuf renew --role root)');
  }
  const rootDays = intFlag(values['root-days'], '--root-days');
  const req = await rotateRequest(dirFolder(values.metadata), {
    role,
    add,
    removeKeyids: values['remove-key'] ?? [],
    ...(threshold !== undefined ? { threshold } : {}),
    expiry: expirySpec(values),
    ...(rootDays !== undefined ? { rootDays } : {}),
    now: clockNow(ctx),
  });
  await emitRequest(ctx, values.out, req);
  if (role !== 'root') {
    ctx.out(
      `next: once root v${req.version} is signed and written, ${role === 'targets' ? 'sign targets with the new key (tuf renew --role targets …)' : 'run tuf snapshot with the new key'}`,
    );
  }
  return 0;
};

/** `tuf renew --role R`: the next version of any role with a later expiry, as a signing request. */
export const renew: Sub = async (args, ctx) => {
  const { values } = parse(args, { metadata: { type: 'string' }, role: { type: 'string' }, out: { type: 'string' }, ...expiryOptions });
  if (!values.metadata) throw new UsageError('--metadata DIR is required');
  if (!values.role) throw new UsageError('--role R is required (root, targets, snapshot, timestamp or a delegated role)');
  if (values.expires === undefined && values['expires-in'] === undefined) throw new UsageError('give --expires-in DAYS or --expires TIME');
  const out = outFlag(values);
  await emitRequest(ctx, out, await renewRequest(dirFolder(values.metadata), { role: values.role, expiry: expirySpec(values), now: clockNow(ctx) }));
  return 0;
};

/**
 * `keyceremony tuf …`: TUF 1.0 repositories built and threshold-signed offline with token keys
 * (signing requests carried between air-gapped machines), diffed before signing, and verified the way
 * a client does. See docs/tuf.md.
 *
 * Verify contract (outside checks rely on it):
 *   keyceremony tuf verify --trusted-root FILE --metadata DIR [--at RFC3339] [--json]
 *   exit 0 = verified, 1 = not verified (reasons printed), 2 = usage. With only N.root.json files in DIR
 *   the root chain is verified. A Notary v1 trusted root is detected and verified as Notary.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { fromUtf8 } from '../../../shared/encoding/bytes';
import { parseStrictJson } from '../../../shared/json/strict';
import { computeKeyId, keyFromSpki, type TufKeyJSON } from '../../../shared/tuf/keys';
import { withKeyOwner } from '../../../shared/tuf/tuf-on-ci';
import { parseTufTime } from '../../../shared/tuf/models';
import { lookupTargets } from '../../core/tuf/verify';
import { formatVerificationReport } from '../../../shared/verification/report';
import {
  createRequest,
  finalizeRequest,
  mergeRequests,
  parseRequest,
  requestStatus,
  rootRules,
  serializeRequest,
  signRequest,
  type SigningRequest,
} from '../../core/tuf/request';
import { diffSigned, signedOfFile } from '../../core/tuf/diff';
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
} from '../../core/tuf/repo';
import { verifyWithTrustedState } from '../../core/tuf/update';
import { readTrustedStateFile, writeTrustedStateFile } from '../../adapters/tuf/trusted-state';
import {
  checkOverwrite,
  delegateRequests,
  planSnapshot,
  removeDelegationRequest,
  renewRequest,
  rotateRequest,
  snapshotFiles,
  targetsRequest,
  type ExpirySpec,
  type KnownHashes,
  type TopRole,
} from '../../core/tuf/updates';
import { signerKey } from '../../core/tuf/sign';
import { isNotaryMetadata, verifyNotaryRepository, formatNotaryReport } from '../../core/notary';
import { dirMetadataReader, metadataDirReader } from '../../adapters/tuf/fs-reader';
import { dirFolder } from '../../adapters/tuf/fs-folder';
import { readRepoDir } from '../../adapters/notary/repo-dir';
import { lockFileOf, waitingLine, withFileLock } from '../../adapters/fs/lock';
import { readInput } from '../../adapters/fs/read';
import { parse, UsageError } from '../args';
import { group, leaf } from '../dispatch';
import type { CliContext } from '../context';
import { keyOptions, keyRef, withTokenKey } from '../keyref';
import { clockNow, intFlag, writeOut } from '../common';
import { parseTufKeyFile } from '../keyfile';
import type { Command } from './types';
import { eventSignCmd, eventStatusCmd } from './tuf-event';
import type { Signer } from '../../core/signer';

const KEY = '(--key pkcs11:URI | (--token L | --serial S) (--label L | --id HEX)) [--pin-file F]';
const NOTES = `Key files: PEM public keys (as \`keyceremony pubkey\` writes them) or TUF key JSON objects.
Set KEYCEREMONY_NOW (RFC 3339) to pin the clock.`;

type Sub = (args: string[], ctx: CliContext) => Promise<number>;

/** A public key file: PEM SPKI (any supported type) or a TUF key object in JSON. */
export function readKeyFile(p: string): TufKeyJSON {
  return parseTufKeyFile(readInput(p, 'key file', 'key'), p);
}

function readRequestFile(p: string): SigningRequest {
  return parseRequest(fromUtf8(readInput(p, 'signing request', 'metadata')), p);
}

/** Sign with the token key the flags name; `label` says which key, for the transcript. */
function withTokenSigner<T>(ctx: CliContext, values: Record<string, unknown>, fn: (s: Signer, label: string) => Promise<T>): Promise<T> {
  return withTokenKey(ctx, keyRef(values as Parameters<typeof keyRef>[0]), async (s, key) => {
    const alg = key.keyType === 'ecdsa-p384' ? { algorithm: 'ecdsa-p384-sha384' as const } : {};
    return fn(s.signer(key, alg), `${key.label} (fingerprint ${key.fingerprint.slice(0, 16)}…)`);
  });
}

function hasTokenFlags(v: Record<string, unknown>): boolean {
  return Boolean(v.key || v.token || v.serial);
}

async function printStatus(ctx: CliContext, req: SigningRequest): Promise<boolean> {
  const st = await requestStatus(req);
  ctx.out(st.summary);
  for (const r of st.rules) {
    if (!r.ok && r.missing.length) ctx.out(`  ${r.name}: ${r.threshold - r.valid} more of: ${r.missing.join(', ')}`);
  }
  return st.complete;
}

async function writeIfComplete(ctx: CliContext, req: SigningRequest, dir: string | undefined): Promise<void> {
  if (!dir) return;
  const st = await requestStatus(req);
  if (!st.complete) {
    ctx.err(`not written to ${dir}: the request is not complete yet`);
    return;
  }
  writeOut(ctx, path.join(dir, req.fileName), await finalizeRequest(req));
}

// ---------------------------------------------------------------------------------------------

const init: Sub = async (args, ctx) => {
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

const rotate: Sub = async (args, ctx) => {
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

/** `--metadata DIR` given: the signing-event form (a repository folder, signed in place). */
const eventForm = (args: readonly string[]) => args.some((a) => a === '--metadata' || a.startsWith('--metadata='));

const sign: Sub = async (args, ctx) => {
  if (eventForm(args)) return eventSignCmd(args, ctx);
  const { values, positionals } = parse(args, { ...keyOptions, write: { type: 'string' } }, { positionals: true });
  const file = positionals[0];
  if (!file || positionals.length !== 1) throw new UsageError('give exactly one REQUEST file');
  const req = readRequestFile(file);
  for (const l of (await diffSigned(req.previous, req.signed, req.role)).lines) ctx.out(l);
  const signed = await withTokenSigner(ctx, values, async (signer, label) => {
    const r = await signRequest(req, signer);
    ctx.out(`signed ${req.role} v${req.version} (sha256 ${req.signedSha256.slice(0, 16)}…) with ${label}`);
    return r;
  });
  const merged = await writeSignedRequest(ctx, file, req, signed);
  await printStatus(ctx, merged);
  await writeIfComplete(ctx, merged, values.write);
  return 0;
};

/**
 * Other custodians may sign the same request file at this moment (issue 12 item 3): under the file's
 * lock, re-read it, add our signatures to what is there now, write it atomically, and read it back —
 * the command ends well only with our signature on disk.
 */
async function writeSignedRequest(ctx: CliContext, file: string, before: SigningRequest, signed: SigningRequest): Promise<SigningRequest> {
  const ours = signed.signatures.filter((s) => !before.signatures.some((b) => b.keyid === s.keyid)).map((s) => s.keyid);
  const what = `the signing request ${file}`;
  return withFileLock(
    lockFileOf(file),
    what,
    async () => {
      const now = readRequestFile(file);
      if (now.signedSha256 !== signed.signedSha256) {
        throw new KeyceremonyError(
          'CONFLICT',
          `${file} was replaced while you signed: it now asks for ${now.role} v${now.version} (sha256 ${now.signedSha256.slice(0, 16)}…), you signed sha256 ${signed.signedSha256.slice(0, 16)}…. Nothing was written; sign the new request.`,
          { where: file },
        );
      }
      const merged = await mergeRequests(now, signed);
      if (now.signatures.length > before.signatures.length)
        ctx.err(`kept ${now.signatures.length - before.signatures.length} signature(s) another signer wrote meanwhile`);
      writeOut(ctx, file, serializeRequest(merged));
      const back = readRequestFile(file);
      const lost = ours.filter((k) => !back.signatures.some((s) => s.keyid === k));
      if (lost.length) {
        throw new KeyceremonyError(
          'IO_ERROR',
          `${file} was written but does not hold your signature (key ${lost[0]!.slice(0, 16)}…) when read back; sign again.`,
          { where: file },
        );
      }
      return merged;
    },
    { onWait: (h) => ctx.err(waitingLine(what, h)) },
  );
}

const status: Sub = async (args, ctx) => {
  if (eventForm(args)) return eventStatusCmd(args, ctx);
  const { values, positionals } = parse(args, { write: { type: 'string' } }, { positionals: true });
  if (positionals.length !== 1) throw new UsageError('give exactly one REQUEST file');
  const req = readRequestFile(positionals[0]!);
  const complete = await printStatus(ctx, req);
  await writeIfComplete(ctx, req, values.write);
  return complete ? 0 : 1;
};

const merge: Sub = async (args, ctx) => {
  const { values, positionals } = parse(args, { out: { type: 'string' } }, { positionals: true });
  if (positionals.length < 2 || !values.out) throw new UsageError('give two or more REQUEST files and --out FILE');
  let req = readRequestFile(positionals[0]!);
  for (const p of positionals.slice(1)) req = await mergeRequests(req, readRequestFile(p));
  writeOut(ctx, values.out, serializeRequest(req));
  await printStatus(ctx, req);
  return 0;
};

const diff: Sub = async (args, ctx) => {
  const { values, positionals } = parse(args, { old: { type: 'string' }, new: { type: 'string' } }, { positionals: true });
  let prev: unknown;
  let next: unknown;
  let role: string | undefined;
  if (positionals.length === 1) {
    const req = readRequestFile(positionals[0]!);
    prev = req.previous;
    next = req.signed;
    role = req.role;
  } else if (values.new && positionals.length === 0) {
    prev = values.old ? signedOfFile(readInput(values.old, 'metadata', 'metadata'), values.old) : undefined;
    next = signedOfFile(readInput(values.new, 'metadata', 'metadata'), values.new);
  } else throw new UsageError('give a REQUEST file, or --old FILE --new FILE');
  for (const l of (await diffSigned(prev, next, role)).lines) ctx.out(l);
  return 0;
};

const verify: Sub = async (args, ctx) => {
  const { values } = parse(args, {
    'trusted-root': { type: 'string' },
    metadata: { type: 'string' },
    at: { type: 'string' },
    targets: { type: 'string' },
    target: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    'trusted-state': { type: 'string' },
  });
  if (!values['trusted-root'] || !values.metadata) throw new UsageError('--trusted-root FILE and --metadata DIR are required');
  const stateFile = values['trusted-state'];
  const state = stateFile ? readTrustedStateFile(stateFile) : undefined;
  const metadata = metadataDirReader(values.metadata);
  const now = clockNow(ctx, values.at);
  const trusted = readInput(values['trusted-root'], 'trusted root', 'tufRoot');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(trusted));
  } catch {
    parsed = undefined; // the verifier reports it with position
  }
  if (isNotaryMetadata(parsed)) {
    if (stateFile) throw new UsageError('--trusted-state is for TUF repositories, not the Notary dialect');
    // Notary v1 dialect, detected by itself (electron/core/notary)
    const report = await verifyNotaryRepository({ files: readRepoDir(values.metadata), at: new Date(now), trustedRoot: trusted });
    if (values.json) ctx.out(JSON.stringify(report, null, 2));
    else for (const l of formatNotaryReport(report)) ctx.out(l);
    return report.ok ? 0 : 1;
  }
  const { verification: v, nextState } = await verifyWithTrustedState(trusted, metadata, {
    now,
    ...(values.targets ? { targetFiles: dirMetadataReader(values.targets) } : {}),
    ...(state ? { state } : {}),
  });
  const report = v.report;
  // --target PATH: which role vouches for it, found the way a client searches (spec 5.6.7)
  const lookups = await lookupTargets(v, values.target ?? []);
  if (values.json) ctx.out(JSON.stringify(report, null, 2));
  else {
    for (const l of formatVerificationReport(report)) ctx.out(l);
    for (const l of lookups) {
      ctx.out(
        l.role
          ? `target ${l.target}: found in ${l.role} (${l.delegationPath!.join(' -> ')}), ${l.length} bytes, sha256 ${l.hashes?.sha256 ?? '-'}`
          : `target ${l.target}: NOT FOUND${l.searched ? ' in any role a client would search' : ' (metadata did not verify)'}`,
      );
    }
  }
  if (stateFile) {
    if (nextState) {
      writeTrustedStateFile(stateFile, nextState);
      ctx.err(`wrote ${stateFile}`);
    } else ctx.err(`trusted state ${stateFile} left unchanged: not verified`);
  }
  return report.ok ? 0 : 1;
};

/**
 * New snapshot + timestamp over the latest targets-family files in DIR, signed with the online key on
 * a token (spec #update-snapshot-metadata, #update-timestamp-metadata). Also the way to bump their expiry.
 */
const snapshot: Sub = async (args, ctx) => {
  const { values } = parse(args, { ...keyOptions, metadata: { type: 'string' }, 'snapshot-days': { type: 'string' }, 'timestamp-days': { type: 'string' } });
  if (!values.metadata) throw new UsageError('--metadata DIR is required');
  const dir = values.metadata;
  const folder = dirFolder(dir);
  const now = clockNow(ctx);
  const snapshotDays = intFlag(values['snapshot-days'], '--snapshot-days', DEFAULT_EXPIRY_DAYS.snapshot)!;
  const timestampDays = intFlag(values['timestamp-days'], '--timestamp-days', DEFAULT_EXPIRY_DAYS.timestamp)!;
  // refuse a folder that is not ready before the token is asked for
  planSnapshot(folder, `tuf status REQUEST --write ${dir}`);
  await withTokenSigner(ctx, values, async (signer, label) => {
    const r = await snapshotFiles(folder, signer, { now, snapshotDays, timestampDays, writeHint: `tuf status REQUEST --write ${dir}` });
    for (const f of r.files) writeOut(ctx, path.join(dir, f.name), f.bytes);
    ctx.out(`${r.summary}; signed with ${label}`);
  });
  return 0;
};

// ---------------------------------------------------------------------------------------------
// Updates as signing requests: targets add/remove, delegations, online-role rotation, expiry bumps.
// The requests are built in electron/core/tuf/updates.ts (the app builds the same ones); here: the
// flags, the diff, the request file (atomically, never over other custodians' signatures), the status.

const expiryOptions = { expires: { type: 'string' }, 'expires-in': { type: 'string' } } as const;

function expirySpec(values: { expires?: string; 'expires-in'?: string }): ExpirySpec {
  const days = intFlag(values['expires-in'], '--expires-in');
  return { ...(values.expires !== undefined ? { expires: values.expires } : {}), ...(days !== undefined ? { expiresInDays: days } : {}) };
}

/**
 * Refuse to overwrite a file that is not a signing request, or a request carrying signatures over
 * other bytes (custodians' work would be lost).
 */
function guardOut(out: string, req: SigningRequest): void {
  if (!existsSync(out)) return;
  checkOverwrite(fromUtf8(readInput(out, 'signing request', 'metadata')), req, out);
}

/** The diff, the request file and its status: the same output for every request-producing command. */
async function emitRequest(ctx: CliContext, out: string, req: SigningRequest): Promise<void> {
  guardOut(out, req);
  for (const l of (await diffSigned(req.previous, req.signed, req.role)).lines) ctx.out(l);
  writeOut(ctx, out, serializeRequest(req));
  await printStatus(ctx, req);
}

function outFlag(values: { out?: string }): string {
  if (!values.out) throw new UsageError('--out REQUEST is required (the signing request file to write)');
  return values.out;
}

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
const targetsCmd: Sub = async (args, ctx) => {
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
const delegateCmd: Sub = async (args, ctx) => {
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

/** `tuf renew --role R`: the next version of any role with a later expiry, as a signing request. */
const renew: Sub = async (args, ctx) => {
  const { values } = parse(args, { metadata: { type: 'string' }, role: { type: 'string' }, out: { type: 'string' }, ...expiryOptions });
  if (!values.metadata) throw new UsageError('--metadata DIR is required');
  if (!values.role) throw new UsageError('--role R is required (root, targets, snapshot, timestamp or a delegated role)');
  if (values.expires === undefined && values['expires-in'] === undefined) throw new UsageError('give --expires-in DAYS or --expires TIME');
  const out = outFlag(values);
  await emitRequest(ctx, out, await renewRequest(dirFolder(values.metadata), { role: values.role, expiry: expirySpec(values), now: clockNow(ctx) }));
  return 0;
};

export const tufCommand: Command = group({
  name: 'tuf',
  summary: 'TUF repositories: create, threshold-sign offline, rotate, diff, merge, verify as a client does',
  notes: NOTES,
  subcommands: [
    leaf(
      'init',
      'a new repository: root v1 as a signing request, targets/snapshot/timestamp (signed now with an online token, if given)',
      [
        `--out DIR --root-key FILE… --threshold T --online-key FILE [--target NAME=FILE…] [--hash-bins BITS|auto]
      [--root-days 365] [--targets-days 90] [${KEY}]   (the online token signs targets/snapshot/timestamp now)`,
      ],
      init,
    ),
    leaf(
      'rotate',
      'a root v+1 request: add or remove keys, change a threshold or the expiry',
      [
        `--metadata DIR --out REQUEST [--role root|targets|snapshot|timestamp] [--add-key FILE [--owner @handle]…] [--remove-key KEYID…]
      [--threshold T] [--root-days N | --expires TIME | --expires-in DAYS]`,
      ],
      rotate,
    ),
    group({
      name: 'targets',
      summary: 'a request for targets (or delegated role R) version v+1 with targets added or removed',
      subcommands: [
        leaf(
          'add',
          'add targets from files, or by known length and hashes (no file needed)',
          [
            '--metadata DIR --path P --file F [--path P --file F…] [--custom JSON…] [--role R] --out REQUEST [--expires TIME | --expires-in DAYS]',
            `--metadata DIR --path P --length N --sha256 HEX [--sha512 HEX] [--path P --length N --sha256 HEX…] [--custom JSON…] [--role R]
      --out REQUEST [--expires TIME | --expires-in DAYS]`,
          ],
          (args, ctx) => targetsCmd(['add', ...args], ctx),
        ),
        leaf('remove', 'remove targets', ['--metadata DIR --path P… [--role R] --out REQUEST [--expires TIME | --expires-in DAYS]'], (args, ctx) =>
          targetsCmd(['remove', ...args], ctx),
        ),
      ],
    }),
    leaf(
      'delegate',
      "delegate paths to a role: targets (or --from ROLE, a delegated role) v+1 plus the request for the role's own metadata",
      [
        `--metadata DIR --role NAME [--from ROLE] (--key FILE… | --key-uri pkcs11:…) (--paths GLOB… | --path-hash-prefix HEX…)
      --threshold N [--terminating] --out REQUEST [--role-out REQUEST] [--role-expires-in DAYS] [--expires-in DAYS]`,
      ],
      delegateCmd,
      [
        leaf(
          'remove',
          'remove a delegation (targets, or --from ROLE, v+1)',
          ['--metadata DIR --role NAME [--from ROLE] --out REQUEST [--expires-in DAYS]'],
          (args, ctx) => delegateCmd(['remove', ...args], ctx),
        ),
      ],
    ),
    leaf('renew', 'an expiry bump of any role, as a signing request', ['--metadata DIR --role R (--expires-in DAYS | --expires TIME) --out REQUEST'], renew),
    leaf(
      'sign',
      'add a token signature to a signing request, or sign a role of a repository folder (a tuf-on-ci signing event) in place',
      [`REQUEST ${KEY} [--write DIR]`, `--metadata DIR --role ROLE ${KEY}   (in place: only our signature's bytes change)`],
      sign,
    ),
    leaf(
      'status',
      'who signed and who is still needed: of a request (--write puts the finished metadata into DIR), or of every role in a repository folder by keyholder',
      ['REQUEST [--write DIR]', '--metadata DIR [--role ROLE] [--json] [--at RFC3339]   (exit 0 when every role verifies)'],
      status,
    ),
    leaf(
      'snapshot',
      'new snapshot + timestamp over the latest N.<role>.json files in DIR (also: expiry bump)',
      [`--metadata DIR ${KEY} [--snapshot-days 7] [--timestamp-days 1]`],
      snapshot,
    ),
    leaf('merge', 'merge signatures made in parallel on copies of one request', ['REQUEST REQUEST… --out FILE'], merge),
    leaf('diff', 'what a request changes against the previous version', ['REQUEST', '--old FILE --new FILE'], diff),
    leaf(
      'verify',
      'verify a repository as a TUF client does (exit 0 verified, 1 not)',
      [
        `--trusted-root FILE --metadata DIR [--at RFC3339] [--targets DIR] [--target PATH…] [--json]
      [--trusted-state FILE]   (refuse versions below those verified before; updated after a success)`,
      ],
      verify,
    ),
  ],
});

export { parseTufTime };

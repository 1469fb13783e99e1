/**
 * What the `keyceremony tuf …` subcommands (dispatched by ../tuf.ts) share: key and request files,
 * signing with the token key the flags name, a request's status, and writing a request file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fromUtf8 } from '../../../../shared/encoding/bytes';
import type { TufKeyJSON } from '../../../../shared/tuf/keys';
import { finalizeRequest, parseRequest, requestStatus, serializeRequest, type SigningRequest } from '../../../core/tuf/request';
import { diffSigned } from '../../../core/tuf/diff';
import { checkOverwrite, type ExpirySpec } from '../../../core/tuf/updates';
import { readInput } from '../../../adapters/fs/read';
import type { Signer } from '../../../core/signer';
import { UsageError } from '../../args';
import type { CliContext } from '../../context';
import { keyRef, withTokenKey } from '../../keyref';
import { intFlag, writeOut } from '../../common';
import { parseTufKeyFile } from '../../keyfile';

export type Sub = (args: string[], ctx: CliContext) => Promise<number>;

/** A public key file: PEM SPKI (any supported type) or a TUF key object in JSON. */
export function readKeyFile(p: string): TufKeyJSON {
  return parseTufKeyFile(readInput(p, 'key file', 'key'), p);
}

export function readRequestFile(p: string): SigningRequest {
  return parseRequest(fromUtf8(readInput(p, 'signing request', 'metadata')), p);
}

/** Sign with the token key the flags name; `label` says which key, for the transcript. */
export function withTokenSigner<T>(ctx: CliContext, values: Record<string, unknown>, fn: (s: Signer, label: string) => Promise<T>): Promise<T> {
  return withTokenKey(ctx, keyRef(values as Parameters<typeof keyRef>[0]), async (s, key) => {
    const alg = key.keyType === 'ecdsa-p384' ? { algorithm: 'ecdsa-p384-sha384' as const } : {};
    return fn(s.signer(key, alg), `${key.label} (fingerprint ${key.fingerprint.slice(0, 16)}…)`);
  });
}

export function hasTokenFlags(v: Record<string, unknown>): boolean {
  return Boolean(v.key || v.token || v.serial);
}

export async function printStatus(ctx: CliContext, req: SigningRequest): Promise<boolean> {
  const st = await requestStatus(req);
  ctx.out(st.summary);
  for (const r of st.rules) {
    if (!r.ok && r.missing.length) ctx.out(`  ${r.name}: ${r.threshold - r.valid} more of: ${r.missing.join(', ')}`);
  }
  return st.complete;
}

export async function writeIfComplete(ctx: CliContext, req: SigningRequest, dir: string | undefined): Promise<void> {
  if (!dir) return;
  const st = await requestStatus(req);
  if (!st.complete) {
    ctx.err(`not written to ${dir}: the request is not complete yet`);
    return;
  }
  writeOut(ctx, path.join(dir, req.fileName), await finalizeRequest(req));
}

// Updates as signing requests: targets add/remove, delegations, online-role rotation, expiry bumps.
// The requests are built in electron/core/tuf/updates.ts (the app builds the same ones); here: the
// flags, the diff, the request file (atomically, never over other custodians' signatures), the status.

export const expiryOptions = { expires: { type: 'string' }, 'expires-in': { type: 'string' } } as const;

export function expirySpec(values: { expires?: string; 'expires-in'?: string }): ExpirySpec {
  const days = intFlag(values['expires-in'], '--expires-in');
  return { ...(values.expires !== undefined ? { expires: values.expires } : {}), ...(days !== undefined ? { expiresInDays: days } : {}) };
}

/**
 * Refuse to overwrite a file that is not a signing request, or a request carrying signatures over
 * other bytes (custodians' work would be lost).
 */
export function guardOut(out: string, req: SigningRequest): void {
  if (!existsSync(out)) return;
  checkOverwrite(fromUtf8(readInput(out, 'signing request', 'metadata')), req, out);
}

/** The diff, the request file and its status: the same output for every request-producing command. */
export async function emitRequest(ctx: CliContext, out: string, req: SigningRequest): Promise<void> {
  guardOut(out, req);
  for (const l of (await diffSigned(req.previous, req.signed, req.role)).lines) ctx.out(l);
  writeOut(ctx, out, serializeRequest(req));
  await printStatus(ctx, req);
}

export function outFlag(values: { out?: string }): string {
  if (!values.out) throw new UsageError('--out REQUEST is required (the signing request file to write)');
  return values.out;
}

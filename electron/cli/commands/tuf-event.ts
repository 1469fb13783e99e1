/**
 * `keyceremony tuf status --metadata DIR` and `keyceremony tuf sign --metadata DIR --role ROLE KEY`:
 * take part in a tuf-on-ci signing event (or any TUF repository folder): who signed and who is still
 * needed by keyholder handle; sign a role in place, the file's other bytes unchanged. See docs/tuf.md
 * "Signing a tuf-on-ci event with keyceremony". The logic is electron/core/tuf/event.ts.
 *
 * Status contract: exit 0 when every role shown verifies (thresholds met, for root under the previous
 * root too, not expired at --at / KEYCEREMONY_NOW / now), 1 otherwise, 2 usage.
 */
import { eventDiff, eventStatus, formatEventStatus, prepareEventSignature } from '../../core/tuf/event';
import { dirFolder, signingEventState } from '../../adapters/tuf/fs-folder';
import { writeEventSignature } from '../../adapters/tuf/event-write';
import { parse, UsageError } from '../args';
import type { CliContext } from '../context';
import { keyOptions, keyRef, withTokenKey } from '../keyref';
import { clockNow } from '../common';

const ROLE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function roleFlag(v: string | undefined, required: boolean): string | undefined {
  if (v === undefined) {
    if (required) throw new UsageError('--role ROLE is required (root, targets, or a delegated role in the folder)');
    return undefined;
  }
  if (!ROLE.test(v)) throw new UsageError(`--role takes a role name (letters, digits, . _ -), got ${JSON.stringify(v)}`);
  return v;
}

/** `tuf status --metadata DIR [--role ROLE] [--json] [--at TIME]` */
export async function eventStatusCmd(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(
    args,
    { metadata: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' }, at: { type: 'string' } },
    { positionals: true },
  );
  if (positionals.length) throw new UsageError('tuf status --metadata DIR takes no REQUEST file');
  const dir = values.metadata!;
  const role = roleFlag(values.role, false);
  const folder = dirFolder(dir);
  const invites = signingEventState(dir);
  const st = await eventStatus(folder, { now: clockNow(ctx, values.at), ...(role ? { role } : {}), ...(invites ? { invitesFile: invites } : {}) });
  if (values.json) ctx.out(JSON.stringify(st, null, 2));
  else for (const l of formatEventStatus(st)) ctx.out(l);
  return st.ok ? 0 : 1;
}

/** `tuf sign --metadata DIR --role ROLE KEY`: sign in place. */
export async function eventSignCmd(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(args, { ...keyOptions, metadata: { type: 'string' }, role: { type: 'string' } }, { positionals: true });
  if (positionals.length) throw new UsageError('tuf sign --metadata DIR --role ROLE signs the folder in place; give no REQUEST file');
  const dir = values.metadata!;
  const role = roleFlag(values.role, true)!;
  const ref = keyRef(values);
  const folder = dirFolder(dir);
  // what is being signed, before the PIN is asked for
  const d = await eventDiff(folder, role);
  for (const l of d.lines) ctx.out(l);
  const before = await eventStatus(folder, { now: clockNow(ctx), role });
  for (const r of before.roles[0]!.rules) ctx.out(`before: ${r.line}`);
  const prepared = await withTokenKey(ctx, ref, async (s, key) => {
    const alg = key.keyType === 'ecdsa-p384' ? { algorithm: 'ecdsa-p384-sha384' as const } : {};
    return prepareEventSignature(folder, role, s.signer(key, alg));
  });
  const who = prepared.owners.length ? prepared.owners.join(', ') : `key ${prepared.signatures[0]?.keyid.slice(0, 8) ?? ''}`;
  if (prepared.already) {
    ctx.out(`${role} v${prepared.version} was signed by this key (${who}) already; nothing written`);
  } else {
    const w = await writeEventSignature(dir, prepared);
    for (const f of w.written) ctx.err(`wrote ${f}`);
    ctx.out(`signed ${role} v${prepared.version} in place as ${who} (key id ${prepared.signatures.map((s) => s.keyid.slice(0, 16) + '…').join(', ')})`);
  }
  const after = await eventStatus(dirFolder(dir), { now: clockNow(ctx), role });
  for (const r of after.roles[0]!.rules) ctx.out(r.line);
  return 0;
}

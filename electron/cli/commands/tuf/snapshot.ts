/**
 * `keyceremony tuf snapshot`: new snapshot + timestamp signed with the online token key.
 */
import path from 'node:path';
import { DEFAULT_EXPIRY_DAYS } from '../../../core/tuf/repo';
import { planSnapshot, snapshotFiles } from '../../../core/tuf/updates';
import { dirFolder } from '../../../adapters/tuf/fs-folder';
import { parse, UsageError } from '../../args';
import { keyOptions } from '../../keyref';
import { clockNow, intFlag, writeOut } from '../../common';
import { withTokenSigner, type Sub } from './common';

/**
 * New snapshot + timestamp over the latest targets-family files in DIR, signed with the online key on
 * a token (spec #update-snapshot-metadata, #update-timestamp-metadata). Also the way to bump their expiry.
 */
export const snapshot: Sub = async (args, ctx) => {
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

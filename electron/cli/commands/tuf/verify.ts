/**
 * `keyceremony tuf verify`: a repository verified as a TUF client does (a Notary v1 trusted root is
 * detected and verified as Notary), optionally against and updating a `--trusted-state` file. The
 * contract outside checks rely on is in ../tuf.ts.
 */
import { fromUtf8 } from '../../../../shared/encoding/bytes';
import { formatVerificationReport } from '../../../../shared/verification/report';
import { lookupTargets } from '../../../core/tuf/verify';
import { verifyWithTrustedState } from '../../../core/tuf/update';
import { isNotaryMetadata, verifyNotaryRepository, formatNotaryReport } from '../../../core/notary';
import { readTrustedStateFile, writeTrustedStateFile } from '../../../adapters/tuf/trusted-state';
import { dirMetadataReader, metadataDirReader } from '../../../adapters/tuf/fs-reader';
import { readRepoDir } from '../../../adapters/notary/repo-dir';
import { readInput } from '../../../adapters/fs/read';
import { parse, UsageError } from '../../args';
import { clockNow } from '../../common';
import type { Sub } from './common';

export const verify: Sub = async (args, ctx) => {
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

/**
 * keyceremony bundle verify|extract: check a ceremony bundle offline (folder or .tar archive):
 * the signed manifest, every file, the transcript chain, SHA256SUMS and its openssl-checkable
 * signatures, and that VERIFY.sh is the script written for the bundle (docs/bundle-format.md).
 * Exit 0 when it verifies, 1 naming every mismatch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { CONFIRMATION_SOURCE, confirmerLabel } from '../../../shared/verification/report';
import { bundleReport, verifyBundle, type BundleVerdict } from '../../core/ceremony/bundle';
import { readTar, TAR_LIMITS } from '../../core/ceremony/tar';
import { bundleReaderFor } from '../../adapters/fs/ceremony-store';
import { nodeSha256Hex } from '../../adapters/node-hash';
import { ensureDir, writeFileAtomic } from '../../adapters/fs/atomic';
import { readInputFile } from '../../adapters/fs/read';
import { parse, UsageError } from '../args';
import { group, leaf } from '../dispatch';
import type { CliContext } from '../context';
import type { Command } from './types';

async function verifyCmd(rest: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(
    rest,
    { production: { type: 'boolean' }, 'expect-signer': { type: 'string', multiple: true }, json: { type: 'boolean' } },
    { positionals: true },
  );
  const path = positionals[0];
  if (!path || positionals.length > 1) throw new UsageError('give one bundle folder or archive');
  let v: BundleVerdict;
  try {
    v = await verifyBundle(bundleReaderFor(path), {
      requireProduction: values.production ?? false,
      expectFingerprints: values['expect-signer'] ?? [],
      sha256Hex: nodeSha256Hex,
    });
  } catch (e) {
    if (e instanceof KeyceremonyError && values.json) {
      // the one report schema (shared/verification) even when the bundle cannot be read at all
      const message = `${path}: ${e.message}`;
      const failed: BundleVerdict = {
        ok: false,
        problems: [message],
        items: [{ check: 'bundle.manifest', status: 'fail', code: e.code, subject: path, message }],
        rehearsal: false,
        signedBy: [],
        attested: [],
        files: 0,
      };
      ctx.out(JSON.stringify(bundleReport(failed), null, 2));
      return 1;
    }
    if (e instanceof KeyceremonyError) {
      ctx.err(`error[${e.code}]: ${path}: ${e.message}${e.where ? ` (${e.where})` : ''}`);
      ctx.out('bundle: DOES NOT VERIFY');
      return 1;
    }
    throw e;
  }
  if (values.json) {
    ctx.out(JSON.stringify(bundleReport(v), null, 2));
    return v.ok ? 0 : 1;
  }
  const m = v.manifest;
  if (m) {
    if (m.rehearsal) ctx.out(`*** ${m.mode} ***`);
    ctx.out(`ceremony ${m.ceremony} (${m.title}), run ${m.runId}, sealed ${m.sealedAt}`);
    ctx.out(`${m.files.length} file(s); transcript ${m.transcript.entries} entries`);
  }
  for (const s of v.signedBy) ctx.out(`signed by ${s.id}: ${s.fingerprint}\n  ${s.words}`);
  const c = v.checksums;
  if (c) {
    const good = c.signatures.filter((x) => x.ok).length;
    ctx.out(
      c.present
        ? `SHA256SUMS: ${c.listed} files, ${c.matches ? 'matching' : 'NOT matching the bundle'}; signed by ${good} of ${m?.signers.length ?? 0} signers (${c.signatures.map((x) => `${x.path} ${x.ok ? 'ok' : 'BAD'}`).join(', ')})`
        : 'SHA256SUMS: MISSING',
    );
  }
  const sh = v.verifyScript;
  if (sh)
    ctx.out(
      `VERIFY.sh: ${!sh.present ? 'MISSING' : sh.matches ? 'present, the script keyceremony writes for these signers (run: sh VERIFY.sh)' : 'present but CHANGED'}`,
    );
  for (const a of v.attested)
    ctx.out(
      `attested key ${a.key}: ${a.vendor === 'yubihsm2' ? 'YubiHSM 2' : a.vendor === 'yubico-piv' ? 'YubiKey' : a.vendor} serial ${a.serial ?? 'not stated'}, chain to ${a.root}${a.rootSource === 'given' ? ' (root given by the ceremony script, not bundled with keyceremony)' : ''}`,
    );
  const acks = v.confirmations;
  if (acks) {
    const checked = v.items.find((i) => i.check === 'bundle.confirmations');
    const state =
      checked?.status === 'pass'
        ? 'each one the ceremony script asks for'
        : checked?.status === 'skip'
          ? 'NOT compared with the script'
          : 'NOT what the script asks';
    ctx.out(`confirmations: ${acks.length}, ${state}`);
    for (const a of acks) {
      ctx.out(`  #${a.seq} ${a.step}${a.skipped ? ' (skipped)' : ''}: ${confirmerLabel(a)} confirmed "${a.statement}" ${CONFIRMATION_SOURCE[a.source]}`);
    }
  }
  for (const p of v.problems) ctx.err(`mismatch: ${p}`);
  ctx.out(v.ok ? 'bundle: verified' : `bundle: DOES NOT VERIFY (${v.problems.length} problem(s))`);
  return v.ok ? 0 : 1;
}

async function extractCmd(rest: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parse(rest, {}, { positionals: true });
  const [archive, dir] = positionals;
  if (!archive || !dir) throw new UsageError('give ARCHIVE and DIR');
  if (existsSync(dir)) throw new KeyceremonyError('CONFLICT', `${dir} exists; extract into a new folder.`, { where: dir });
  // bounded before reading (a 4 GB file, /dev/zero): a bundle archive is at most TAR_LIMITS.maxTotal bytes
  const entries = readTar(readInputFile(archive, { what: 'bundle archive', limit: TAR_LIMITS.maxTotal })); // refuses traversal, links, oversized entries
  ensureDir(dir);
  for (const e of entries) writeFileAtomic(join(dir, ...e.path.split('/')), e.bytes);
  ctx.out(`${entries.length} file(s) extracted to ${dir}; now run: keyceremony bundle verify ${dir}  (without keyceremony: cd ${dir} && sh VERIFY.sh)`);
  return 0;
}

export const bundleCommand: Command = group({
  name: 'bundle',
  summary: 'verify a ceremony bundle (folder or archive) offline; extract an archive safely',
  subcommands: [
    leaf(
      'verify',
      'verify a bundle folder or .tar archive: signed manifest, every file, transcript chain, SHA256SUMS and its signatures, VERIFY.sh (exit 0 verified, 1 not)',
      ['PATH [--production] [--expect-signer SHA256]... [--json]'],
      verifyCmd,
    ),
    leaf('extract', 'extract a bundle archive into a new folder (refuses traversal, links, oversized entries)', ['ARCHIVE DIR'], extractCmd),
  ],
});

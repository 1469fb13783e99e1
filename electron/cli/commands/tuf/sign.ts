/**
 * `keyceremony tuf sign`, `tuf status`, `tuf merge`, `tuf diff`: signing requests carried between
 * air-gapped machines, signed with token keys, merged, and diffed before signing. With `--metadata DIR`,
 * sign and status take part in a signing event instead (../tuf-event.ts).
 */
import { KeyceremonyError } from '../../../../shared/errors';
import { mergeRequests, serializeRequest, signRequest, type SigningRequest } from '../../../core/tuf/request';
import { diffSigned, signedOfFile } from '../../../core/tuf/diff';
import { lockFileOf, waitingLine, withFileLock } from '../../../adapters/fs/lock';
import { readInput } from '../../../adapters/fs/read';
import { parse, UsageError } from '../../args';
import type { CliContext } from '../../context';
import { keyOptions } from '../../keyref';
import { writeOut } from '../../common';
import { eventSignCmd, eventStatusCmd } from '../tuf-event';
import { printStatus, readRequestFile, withTokenSigner, writeIfComplete, type Sub } from './common';

/** `--metadata DIR` given: the signing-event form (a repository folder, signed in place). */
const eventForm = (args: readonly string[]) => args.some((a) => a === '--metadata' || a.startsWith('--metadata='));

export const sign: Sub = async (args, ctx) => {
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

export const status: Sub = async (args, ctx) => {
  if (eventForm(args)) return eventStatusCmd(args, ctx);
  const { values, positionals } = parse(args, { write: { type: 'string' } }, { positionals: true });
  if (positionals.length !== 1) throw new UsageError('give exactly one REQUEST file');
  const req = readRequestFile(positionals[0]!);
  const complete = await printStatus(ctx, req);
  await writeIfComplete(ctx, req, values.write);
  return complete ? 0 : 1;
};

export const merge: Sub = async (args, ctx) => {
  const { values, positionals } = parse(args, { out: { type: 'string' } }, { positionals: true });
  if (positionals.length < 2 || !values.out) throw new UsageError('give two or more REQUEST files and --out FILE');
  let req = readRequestFile(positionals[0]!);
  for (const p of positionals.slice(1)) req = await mergeRequests(req, readRequestFile(p));
  writeOut(ctx, values.out, serializeRequest(req));
  await printStatus(ctx, req);
  return 0;
};

export const diff: Sub = async (args, ctx) => {
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

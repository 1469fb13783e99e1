/**
 * `keyceremony export trust`: the trust anchors consumers pin (issue 15 item 2) — for a TUF repository
 * its latest root (checked to carry its own threshold) and CLIENTS.md (tuf-js, python-tuf, go-tuf); for
 * a Notary GUN a notary client config.json with trust_pinning, the root certificates and CLIENTS.md.
 * for a cosign signing request each signer's public key, all of them in one file, and the admission policies.
 */
import { cosignTrustOf, trustOf, writeTrust } from '../../adapters/lifecycle/repository';
import { parse, UsageError } from '../args';
import { group, leaf } from '../dispatch';
import type { CliContext } from '../context';
import type { Command } from './types';

async function trust(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, { metadata: { type: 'string' }, 'cosign-request': { type: 'string' }, out: { type: 'string' } });
  const from = values.metadata ?? values['cosign-request'];
  if (!from || (values.metadata && values['cosign-request'])) {
    throw new UsageError('give one of --metadata DIR (a TUF metadata folder or a Notary GUN folder) or --cosign-request FILE');
  }
  if (!values.out) throw new UsageError('--out DIR is required (the folder the trust anchors are written into)');
  const t = values.metadata ? await trustOf(values.metadata) : cosignTrustOf(from);
  const w = writeTrust(values.out, t);
  ctx.out(`trust anchors of the ${t.kind === 'tuf' ? 'TUF repository' : t.kind === 'notary' ? 'Notary GUN' : 'cosign request'} in ${from}:`);
  for (const s of t.summary) ctx.out(`  ${s}`);
  for (const f of t.files) ctx.out(`  ${values.out}/${f.name}${w.unchanged.includes(f.name) ? ' (already there, unchanged)' : ''}`);
  return 0;
}

export const exportCommand: Command = group({
  name: 'export',
  summary: 'what consumers pin: trust anchors in their own tools’ formats',
  subcommands: [
    leaf(
      'trust',
      'the root to pin and how clients bootstrap from it (TUF), or a notary client config.json with trust_pinning (Notary)',
      ['--metadata DIR --out DIR'],
      trust,
    ),
  ],
  notes: `TUF: root.json (the repository's latest root, refused unless it carries a threshold of its own root keys) and
CLIENTS.md (tuf-js, python-tuf, go-tuf bootstrap, with the root's SHA-256 and keys to compare out of band).
Notary: config.json (trust_pinning.certs: the GUN -> its root certificates' key ids; TOFU off), root-<id>.crt, CLIENTS.md.
cosign (--cosign-request FILE, signed or not): keys/<signer>.pub, keys/signers.pem (all keys), the Kyverno and
policy-controller policies for m of them, CLIENTS.md.`,
});

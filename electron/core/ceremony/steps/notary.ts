/**
 * notary-repository: the offline half of a Notary v1 / Docker Content Trust repository for a GUN.
 * Each root key signs its own self-signed x509 certificate (CN = GUN, Notary's `ecdsa-x509` root
 * keys) on its token; the certificates, their Notary key ids and the targets public key go into the
 * bundle, ready for `keyceremony notary init` once the server's timestamp key is known (Notary
 * servers always hold the timestamp key, so the repository itself cannot be finished offline).
 */
import type { StepKind } from '../engine';
import { int, obj, opt, str, type Infer } from '../../../../shared/schema';
import { idList, keyRefs, renewalWindowDays, threshold, thresholdAtMost, type ValidationIssue } from '../validate';
import { certificateDeadlines } from '../../lifecycle/deadlines';

const notaryParams = obj({
  gun: str({ min: 1, max: 255 }),
  rootKeys: idList(),
  rootThreshold: threshold(),
  targetsKeys: idList(),
  certDays: opt(int({ min: 1, max: 36500 })),
  renewalWindowDays: opt(renewalWindowDays(['root'])),
});
import { keyName, publicKeyPath } from '../bundle';

export const notaryRepositoryKind: StepKind<Infer<typeof notaryParams>> = {
  kind: 'notary-repository',
  phase: 'signing',
  summary: 'Notary v1 / DCT root certificates for a GUN',
  needs: ['tokens', 'notary'],
  params: notaryParams,
  validate(params, script, path) {
    const out: ValidationIssue[] = [];
    const r = params.rootKeys;
    keyRefs(r, script, `${path}.rootKeys`, out);
    thresholdAtMost(params.rootThreshold, r.length, 'root keys', `${path}.rootThreshold`, out);
    keyRefs(params.targetsKeys, script, `${path}.targetsKeys`, out);
    r.forEach((id, i) => {
      const k = Array.isArray(script.keys) ? script.keys.find((x) => x?.id === id) : undefined;
      if (k && k.keyType !== 'ecdsa-p256' && k.keyType !== 'ecdsa-p384')
        out.push({ path: `${path}.rootKeys[${i}]`, message: `Notary root keys are ECDSA (ecdsa-x509); "${id}" is ${k.keyType}` });
    });
    return out;
  },
  async run(ctx) {
    const p = ctx.params;
    const r = await ctx.withSigners(p.rootKeys, (signers) => ctx.services.notary!.rootCertificates({ gun: p.gun, days: p.certDays ?? 3650, signers }));
    const outputs = [];
    for (const f of r.files) {
      const name = ctx.rehearsal ? f.path.replace(/([^/]+)$/, 'REHEARSAL-$1') : f.path;
      outputs.push({ path: name, sha256: await ctx.writeOutput(name, f.bytes, f.kind) });
    }
    const pem = (id: string) => publicKeyPath(keyName(id, ctx.rehearsal));
    // a root key is trusted while its certificate is valid: its renewal deadline goes in the transcript (issue 15)
    const due = certificateDeadlines(
      r.files
        .filter((f) => f.kind === 'certificate')
        .map((f) => ({ name: f.path.replace(/^.*\//, '').replace(/\.root\.crt$/, ' root certificate'), pem: f.bytes })),
      p.renewalWindowDays ? { settings: p.renewalWindowDays } : {},
    );
    const next = `keyceremony notary init --gun ${p.gun} ${outputs.map((o) => `--root-cert ${o.path}`).join(' ')} --root-threshold ${p.rootThreshold} --targets-key ${pem(p.targetsKeys[0] as string)} --server-snapshot-key SERVER/snapshot.key --timestamp-key SERVER/timestamp.key --dir REPO`;
    return {
      summary: r.summary,
      entries: [
        {
          event: 'notary-root-certificates',
          mechanism: 'x509 self-signed on token (CN = GUN)',
          outputs,
          facts: { gun: p.gun, rootThreshold: p.rootThreshold, next, ...Object.fromEntries(Object.entries(r.keyIds).map(([k, v]) => [`notaryKeyId.${k}`, v])) },
        },
        ...(due.lines.length ? [{ event: 'renewal-deadlines', facts: due.facts }] : []),
      ],
      shown: [
        `  ${r.summary}`,
        ...outputs.map((o) => `    ${o.path} sha256 ${o.sha256}`),
        ...Object.entries(r.keyIds).map(([k, v]) => `    Notary key id of ${k}: ${v}`),
        `  next (with the server's keys): ${next}`,
        ...(due.lines.length ? ['  next renewal deadlines:', ...due.lines.map((l) => `    ${l}`)] : []),
      ],
    };
  },
};

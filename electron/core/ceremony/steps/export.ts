/**
 * export: the public side of the ceremony for the bundle: every key's PEM (already written at
 * keygen), a keys.json summary with fingerprints and words, and a README with the mode banner.
 */
import { utf8 } from '../../../../shared/encoding/bytes';
import { fingerprintWords } from '../../../../shared/pgp-words';
import type { StepKind } from '../engine';
import { REHEARSAL_BANNER } from '../bundle';
import { noParams } from '../validate';

export const exportKind: StepKind<Record<string, never>> = {
  kind: 'export',
  phase: 'export',
  summary: 'Export public keys and a key summary',
  params: noParams,
  async run(ctx) {
    const keys = Object.values(ctx.state.keys).map((k) => ({
      id: k.id,
      label: k.label,
      keyType: k.keyType,
      purpose: k.purpose ?? null,
      token: k.token,
      fingerprint: k.fingerprint,
      words: fingerprintWords(k.fingerprint),
      spki: k.spkiB64,
    }));
    const prefix = ctx.rehearsal ? 'REHEARSAL-' : '';
    const summary = utf8(JSON.stringify({ mode: ctx.rehearsal ? REHEARSAL_BANNER : 'production', ceremony: ctx.script.name, keys }, null, 2) + '\n');
    const readme = utf8(
      [
        ctx.rehearsal ? `*** ${REHEARSAL_BANNER} ***` : 'Production ceremony bundle',
        '',
        `${ctx.script.title} (${ctx.script.name}), run ${ctx.state.runId}`,
        '',
        'Files: manifest.json lists every file with its SHA-256; manifest.dsse.json is the DSSE signature',
        'over it by the ceremony key(s); transcript.jsonl is the hash-chained record of the ceremony.',
        'Verify offline:  keyceremony bundle verify <this folder or the .tar archive>',
        '',
        'Keys (compare the words aloud):',
        ...keys.map((k) => `  ${k.id}  ${k.fingerprint}\n      ${k.words}`),
        '',
      ].join('\n'),
    );
    const outputs = [
      { path: `${prefix}keys.json`, sha256: await ctx.writeOutput(`${prefix}keys.json`, summary, 'key-summary') },
      { path: `${prefix}README.txt`, sha256: await ctx.writeOutput(`${prefix}README.txt`, readme, 'readme') },
    ];
    return {
      summary: `${keys.length} public key(s) exported`,
      entries: [{ event: 'exported', outputs }],
      shown: outputs.map((o) => `  ${o.path} sha256 ${o.sha256}`),
    };
  },
};

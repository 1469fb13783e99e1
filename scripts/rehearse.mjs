#!/usr/bin/env node
// npm run rehearse: the built-in TUF root ceremony in REHEARSAL mode on SoftHSM2 tokens created for
// the run (3 custodian root tokens, root threshold 2, online keys, a 2-of-3 backup of the targets key),
// unattended with an answers file; writes the bundle (SHA256SUMS, its signatures and VERIFY.sh
// included), verifies it, and prints where everything is.
// Last line: `bundle: <path>`. Options: --out DIR (default .tmp/rehearsal-<UTC time>).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const bundlePath = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(bundlePath)) {
  console.error('rehearse: dist/cli.mjs is missing; run `npm run build` first.');
  process.exit(2);
}
const { main } = await import(bundlePath.href);

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const stamp = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const runDir = resolve(outIdx >= 0 ? args[outIdx + 1] : join('.tmp', `rehearsal-${stamp}`));
mkdirSync(runDir, { recursive: true });

// 1. the built-in template, as a user would copy it (`keyceremony ceremony template tuf-root > file`)
const chunks = [];
let code = await main(
  ['ceremony', 'template', 'tuf-root'],
  makeCtx((b) => chunks.push(Buffer.from(b))),
);
if (code !== 0) process.exit(code);
const scriptPath = join(runDir, 'tuf-root.ceremony.json');
writeFileSync(scriptPath, Buffer.concat(chunks));

// 2. unattended answers: everyone acknowledges; rehearsal shares are handed back in memory only
const answersPath = join(runDir, 'answers.json');
writeFileSync(answersPath, JSON.stringify({ acknowledge: 'all', shares: 'rehearsal-memory' }, null, 2) + '\n');

// 3. run, then verify the archive with the same command an auditor would use
const t0 = Date.now();
code = await main(['ceremony', 'run', scriptPath, '--rehearsal', '--answers', answersPath, '--out', runDir], makeCtx());
if (code !== 0) {
  console.error(`rehearse: the ceremony failed (exit ${code}); the run folder is ${runDir}`);
  process.exit(code);
}
const seconds = (Date.now() - t0) / 1000;
const archive = join(runDir, 'REHEARSAL-tuf-root.kcbundle.tar');
console.log('');
console.log(`$ keyceremony bundle verify ${archive}`);
code = await main(['bundle', 'verify', archive], makeCtx());
console.log('');
console.log(`rehearsal finished in ${seconds.toFixed(1)} s — everything is in ${runDir}`);
console.log(`  script:      ${scriptPath}`);
console.log(`  answers:     ${answersPath}`);
console.log(`  tokens:      ${join(runDir, 'rehearsal-tokens')} (SoftHSM2, this run only)`);
console.log(`  bundle dir:  ${join(runDir, 'REHEARSAL-tuf-root-bundle')}`);
console.log(`  transcript:  ${join(runDir, 'REHEARSAL-tuf-root-bundle', 'transcript.jsonl')} (printable: REHEARSAL-transcript.html, .pdf)`);
console.log(`  checksums:   ${join(runDir, 'REHEARSAL-tuf-root-bundle', 'SHA256SUMS')} (+ SHA256SUMS.<key>.sig per root key; openssl-checkable)`);
console.log(`  without keyceremony: cd ${join(runDir, 'REHEARSAL-tuf-root-bundle')} && sh VERIFY.sh   (docs/bundle-format.md)`);
console.log(`  TUF repo:    ${join(runDir, 'REHEARSAL-tuf-root-bundle', 'metadata')}`);
console.log(`bundle: ${archive}`);
process.exit(code);

function makeCtx(outBytes = (b) => process.stdout.write(b)) {
  return {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    outBytes,
    env: process.env,
    stdinIsTTY: false,
    readStdin: async () => new Uint8Array(),
    pinSource: () => () => {
      throw new Error('no PIN prompts in a rehearsal');
    },
    openModule: () => {
      throw new Error('not used');
    },
    promptSecret: async () => {
      throw new Error('no prompts in a rehearsal');
    },
  };
}

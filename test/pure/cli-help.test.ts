/** Every command and subcommand answers --help / -h with its own usage and exit 0 (issue 14 item 5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../electron/cli/main';
import { makeContext } from '../../electron/cli/context';
import { commands } from '../../electron/cli/commands';
import type { Command } from '../../electron/cli/commands/types';

async function kc(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { ...makeContext({ env: {} }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The paths the issue names and every other one the CLI documents. */
const KNOWN = [
  ['tokens'],
  ['keygen'],
  ['pubkey'],
  ['sign'],
  ['cert'],
  ['cosign'],
  ['cosign', 'sign'],
  ['cosign', 'attest'],
  ['cosign', 'request'],
  ['cosign', 'request', 'create'],
  ['cosign', 'request', 'sign'],
  ['cosign', 'status'],
  ['cosign', 'export-policy'],
  ['cosign', 'verify'],
  ['tuf'],
  ['tuf', 'init'],
  ['tuf', 'rotate'],
  ['tuf', 'sign'],
  ['tuf', 'status'],
  ['tuf', 'merge'],
  ['tuf', 'diff'],
  ['tuf', 'verify'],
  ['tuf', 'snapshot'],
  ['tuf', 'targets'],
  ['tuf', 'targets', 'add'],
  ['tuf', 'targets', 'remove'],
  ['tuf', 'delegate'],
  ['tuf', 'delegate', 'remove'],
  ['tuf', 'renew'],
  ['backup'],
  ['backup', 'create'],
  ['backup', 'verify-shares'],
  ['backup', 'refresh'],
  ['backup', 'recover'],
  ['notary'],
  ['notary', 'cert'],
  ['notary', 'init'],
  ['notary', 'rotate'],
  ['notary', 'targets'],
  ['notary', 'signer'],
  ['notary', 'sign'],
  ['notary', 'diff'],
  ['notary', 'merge'],
  ['notary', 'status'],
  ['notary', 'verify'],
  ['notary', 'publish'],
  ['ceremony'],
  ['ceremony', 'run'],
  ['ceremony', 'template'],
  ['ceremony', 'validate'],
  ['bundle'],
  ['bundle', 'verify'],
  ['bundle', 'extract'],
  ['attest'],
  ['attest', 'verify'],
];

test('every known command path answers --help and -h with exit 0 and its own usage, on stdout', async () => {
  for (const path of KNOWN) {
    for (const flag of ['--help', '-h']) {
      const r = await kc([...path, flag]);
      assert.equal(r.code, 0, `${path.join(' ')} ${flag}: exit ${r.code}\n${r.err}`);
      assert.equal(r.err, '', `${path.join(' ')} ${flag} wrote to stderr: ${r.err}`);
      // the usage names the path it documents
      assert.ok(r.out.includes(`keyceremony ${path.join(' ')}`), `${path.join(' ')} ${flag}: usage does not name the command:\n${r.out}`);
    }
  }
});

test('--help after other options still prints the usage (nothing runs)', async () => {
  const r = await kc(['cosign', 'verify', '--key', '/nonexistent.pem', '--help']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /keyceremony cosign verify/);
  const b = await kc(['backup', 'create', '--m', '2', '-h']);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /keyceremony backup create/);
});

test('a usage error prints the usage of the subcommand that failed, exit 2', async () => {
  const r = await kc(['cosign', 'verify', '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.err, /keyceremony cosign verify: Unknown option '--bogus'/);
  assert.match(r.err, /usage: keyceremony cosign verify/);
  const u = await kc(['cosign', 'nope']);
  assert.equal(u.code, 2);
  assert.match(u.err, /unknown subcommand "nope"/);
  assert.match(u.err, /keyceremony cosign sign/);
});

/** Every node of the command tree the dispatcher routes by (so a new subcommand is covered by itself). */
function walk(cs: readonly Command[], prefix: string[] = []): string[][] {
  return cs.flatMap((c) => [[...prefix, c.name], ...walk(c.subcommands ?? [], [...prefix, c.name])]);
}

test('walking the command tree: every command and subcommand answers --help / -h with its usage, exit 0', async () => {
  const tree = walk(commands);
  // the tree holds every path the documentation names (and the list above is not stale)
  const names = new Set(tree.map((p) => p.join(' ')));
  for (const k of KNOWN) assert.ok(names.has(k.join(' ')), `${k.join(' ')} is not in the command tree`);
  assert.ok(tree.length >= KNOWN.length);
  for (const path of tree) {
    for (const flag of ['--help', '-h']) {
      const r = await kc([...path, flag]);
      assert.equal(r.code, 0, `${path.join(' ')} ${flag}: exit ${r.code}\n${r.err}`);
      assert.equal(r.err, '');
      assert.match(r.out, new RegExp(`^usage: keyceremony ${path.join(' ')}( |$)`, 'm'), `${path.join(' ')} ${flag}`);
    }
  }
});

test('every leaf has a usage and a summary; a group lists each of its subcommands', () => {
  const visit = (c: Command, path: string) => {
    assert.ok(c.summary.length > 10, `${path}: summary`);
    if (c.usage.length === 0) assert.ok((c.subcommands ?? []).length > 0, `${path}: neither usage nor subcommands`);
    for (const s of c.subcommands ?? []) visit(s, `${path} ${s.name}`);
  };
  for (const c of commands) visit(c, c.name);
});

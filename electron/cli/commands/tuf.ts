/**
 * `keyceremony tuf …`: TUF 1.0 repositories built and threshold-signed offline with token keys
 * (signing requests carried between air-gapped machines), diffed before signing, and verified the way
 * a client does. See docs/tuf.md.
 *
 * Verify contract (outside checks rely on it):
 *   keyceremony tuf verify --trusted-root FILE --metadata DIR [--at RFC3339] [--json]
 *   exit 0 = verified, 1 = not verified (reasons printed), 2 = usage. With only N.root.json files in DIR
 *   the root chain is verified. A Notary v1 trusted root is detected and verified as Notary.
 *
 * This file is the dispatch table and the usage; each subcommand group lives in ./tuf/: init.ts (init,
 * rotate, renew), targets.ts (targets add/remove, delegate), sign.ts (sign, status, merge, diff),
 * snapshot.ts, verify.ts, and common.ts (what they share). Signing events: ./tuf-event.ts.
 */
import { group, leaf } from '../dispatch';
import type { Command } from './types';
import { KEY_USAGE as KEY } from '../common';
import { init, renew, rotate } from './tuf/init';
import { delegateCmd, targetsCmd } from './tuf/targets';
import { diff, merge, sign, status } from './tuf/sign';
import { snapshot } from './tuf/snapshot';
import { verify } from './tuf/verify';

const NOTES = `Key files: PEM public keys (as \`keyceremony pubkey\` writes them) or TUF key JSON objects.
Set KEYCEREMONY_NOW (RFC 3339) to pin the clock.`;

export const tufCommand: Command = group({
  name: 'tuf',
  summary: 'TUF repositories: create, threshold-sign offline, rotate, diff, merge, verify as a client does',
  notes: NOTES,
  subcommands: [
    leaf(
      'init',
      'a new repository: root v1 as a signing request, targets/snapshot/timestamp (signed now with an online token, if given)',
      [
        `--out DIR --root-key FILE… --threshold T --online-key FILE [--target NAME=FILE…] [--hash-bins BITS|auto]
      [--root-days 365] [--targets-days 90] [${KEY}]   (the online token signs targets/snapshot/timestamp now)`,
      ],
      init,
    ),
    leaf(
      'rotate',
      'a root v+1 request: add or remove keys, change a threshold or the expiry',
      [
        `--metadata DIR --out REQUEST [--role root|targets|snapshot|timestamp] [--add-key FILE [--owner @handle]…] [--remove-key KEYID…]
      [--threshold T] [--root-days N | --expires TIME | --expires-in DAYS]`,
      ],
      rotate,
    ),
    group({
      name: 'targets',
      summary: 'a request for targets (or delegated role R) version v+1 with targets added or removed',
      subcommands: [
        leaf(
          'add',
          'add targets from files, or by known length and hashes (no file needed)',
          [
            '--metadata DIR --path P --file F [--path P --file F…] [--custom JSON…] [--role R] --out REQUEST [--expires TIME | --expires-in DAYS]',
            `--metadata DIR --path P --length N --sha256 HEX [--sha512 HEX] [--path P --length N --sha256 HEX…] [--custom JSON…] [--role R]
      --out REQUEST [--expires TIME | --expires-in DAYS]`,
          ],
          (args, ctx) => targetsCmd(['add', ...args], ctx),
        ),
        leaf('remove', 'remove targets', ['--metadata DIR --path P… [--role R] --out REQUEST [--expires TIME | --expires-in DAYS]'], (args, ctx) =>
          targetsCmd(['remove', ...args], ctx),
        ),
      ],
    }),
    leaf(
      'delegate',
      "delegate paths to a role: targets (or --from ROLE, a delegated role) v+1 plus the request for the role's own metadata",
      [
        `--metadata DIR --role NAME [--from ROLE] (--key FILE… | --key-uri pkcs11:…) (--paths GLOB… | --path-hash-prefix HEX…)
      --threshold N [--terminating] --out REQUEST [--role-out REQUEST] [--role-expires-in DAYS] [--expires-in DAYS]`,
      ],
      delegateCmd,
      [
        leaf(
          'remove',
          'remove a delegation (targets, or --from ROLE, v+1)',
          ['--metadata DIR --role NAME [--from ROLE] --out REQUEST [--expires-in DAYS]'],
          (args, ctx) => delegateCmd(['remove', ...args], ctx),
        ),
      ],
    ),
    leaf('renew', 'an expiry bump of any role, as a signing request', ['--metadata DIR --role R (--expires-in DAYS | --expires TIME) --out REQUEST'], renew),
    leaf(
      'sign',
      'add a token signature to a signing request, or sign a role of a repository folder (a tuf-on-ci signing event) in place',
      [`REQUEST ${KEY} [--write DIR]`, `--metadata DIR --role ROLE ${KEY}   (in place: only our signature's bytes change)`],
      sign,
    ),
    leaf(
      'status',
      'who signed and who is still needed: of a request (--write puts the finished metadata into DIR), or of every role in a repository folder by keyholder',
      ['REQUEST [--write DIR]', '--metadata DIR [--role ROLE] [--json] [--at RFC3339]   (exit 0 when every role verifies)'],
      status,
    ),
    leaf(
      'snapshot',
      'new snapshot + timestamp over the latest N.<role>.json files in DIR (also: expiry bump)',
      [`--metadata DIR ${KEY} [--snapshot-days 7] [--timestamp-days 1]`],
      snapshot,
    ),
    leaf('merge', 'merge signatures made in parallel on copies of one request', ['REQUEST REQUEST… --out FILE'], merge),
    leaf('diff', 'what a request changes against the previous version', ['REQUEST', '--old FILE --new FILE'], diff),
    leaf(
      'verify',
      'verify a repository as a TUF client does (exit 0 verified, 1 not)',
      [
        `--trusted-root FILE --metadata DIR [--at RFC3339] [--targets DIR] [--target PATH…] [--json]
      [--trusted-state FILE]   (refuse versions below those verified before; updated after a success)`,
      ],
      verify,
    ),
  ],
});

/**
 * Trust anchors for consumers (issue 15 item 2), pure: what `keyceremony export trust` writes.
 *
 * - TUF: the root clients should start from — the repository's latest root, byte for byte, after
 *   checking that it carries a threshold of its own root keys (a root in the middle of a signing event
 *   is refused, naming how many signatures it has) — and CLIENTS.md: how tuf-js, python-tuf and go-tuf
 *   bootstrap from it, with its version, expiry, SHA-256 and root keys to compare out of band.
 * - Notary: a notary client `config.json` whose `trust_pinning.certs` pins the GUN to the key ids of
 *   its root certificates as root.json lists them (the `ecdsa-x509`/`rsa-x509` ids: the client
 *   matches those, not the "canonical" ids of the bare keys), with TOFU disabled; each root certificate
 *   as PEM; and CLIENTS.md.
 * - cosign: from a signing request, each signer's public key, all of them in one file, and the
 *   Kyverno / policy-controller policies for m of them.
 */
import { KeyceremonyError } from '../../../shared/errors';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { utf8 } from '../../../shared/encoding/bytes';
import { keyFingerprint } from '../../../shared/tuf/keys';
import { Root } from '../../../shared/tuf/models';
import { checkThreshold } from '../../../shared/tuf/threshold';
import { certOfKey, certPemOfKey, isX509KeyType, parseNotaryFile, type NotaryRoot } from '../../../shared/notary';
import { gunOf, roleStatus, type RepoFiles } from '../notary';
import { DEFAULT_LIMITS, loadMetadata } from '../tuf/verify';
import { parseImageReference } from '../../../shared/cosign/reference';
import type { CosignRequest } from '../../../shared/cosign/request';
import { policyFiles } from '../cosign/outputs';

export interface TrustExport {
  kind: 'tuf' | 'notary' | 'cosign';
  files: { name: string; bytes: Uint8Array }[];
  /** One line per fact a consumer compares out of band. */
  summary: string[];
}

/** The TUF trust anchor: `rootBytes` is the latest root (as read from `rootName` in the folder). */
export async function tufTrustAnchor(rootBytes: Uint8Array, rootName: string): Promise<TrustExport> {
  const loaded = loadMetadata(rootBytes, rootName, DEFAULT_LIMITS.root, (v) => Root.fromJSON(v));
  const root = loaded.model;
  const rule = root.roles.root;
  const t = await checkThreshold(loaded.signedBytes, loaded.env.signatures, rule.keyids, root.keys, rule.threshold);
  if (!t.ok) {
    throw new KeyceremonyError(
      'THRESHOLD_NOT_MET',
      `${rootName} (root v${root.version}) carries ${t.valid} valid signatures of its own root keys, ${rule.threshold} needed: not a root to hand to clients (finish its signing first)`,
      { where: rootName },
    );
  }
  const sha = await sha256Hex(rootBytes);
  const keys: string[] = [];
  for (const id of rule.keyids) {
    const k = root.keys[id];
    const owner = k?.['x-tuf-on-ci-keyowner'];
    keys.push(`- \`${id}\`${k ? ` (${k.keytype}, SPKI SHA-256 \`${await keyFingerprint(k)}\`)` : ''}${typeof owner === 'string' ? ` — ${owner}` : ''}`);
  }
  const summary = [
    `root v${root.version}, expires ${root.expires}`,
    `sha256 ${sha}`,
    `root threshold ${rule.threshold} of ${rule.keyids.length} (${t.valid} valid signatures)`,
  ];
  const md = `# Trust anchor: TUF root v${root.version}

\`root.json\` here is the root clients start from: copy it into the client's metadata directory as its
trusted root before the first update. The client then walks the repository's later roots itself
(each must be signed by a threshold of the previous root's keys and of its own).

Compare out of band (read aloud, or against a second copy) before trusting it:

- version ${root.version}, expires ${root.expires} (a client refuses an expired final root; it does not refuse an expired *initial* root if newer roots are published)
- SHA-256 of root.json: \`${sha}\`
- root threshold ${rule.threshold} of ${rule.keyids.length}; root keys:
${keys.join('\n')}

## tuf-js (npm \`tuf-js\`)

\`\`\`js
import { Updater } from 'tuf-js';
// metadataDir holds this root.json (as root.json) before the first refresh
const updater = new Updater({ metadataDir: './tuf-metadata', targetDir: './tuf-targets',
  metadataBaseUrl: 'https://REPOSITORY/metadata', targetBaseUrl: 'https://REPOSITORY/targets' });
await updater.refresh();
const info = await updater.getTargetInfo('PATH');
\`\`\`

## python-tuf (\`tuf.ngclient\`)

\`\`\`python
from tuf.ngclient import Updater
# pass its bytes as bootstrap (what python-tuf's docs ask for); versions without
# that argument read root.json from metadata_dir instead
updater = Updater(metadata_dir="tuf-metadata", metadata_base_url="https://REPOSITORY/metadata/",
                  target_base_url="https://REPOSITORY/targets/", target_dir="tuf-targets",
                  bootstrap=open("root.json", "rb").read())
updater.refresh()
info = updater.get_targetinfo("PATH")
\`\`\`

## go-tuf v2 (\`github.com/theupdateframework/go-tuf/v2/metadata/updater\`)

\`\`\`go
root, _ := os.ReadFile("root.json")
cfg, _ := config.New("https://REPOSITORY/metadata", root) // go-tuf/v2/metadata/config
cfg.LocalMetadataDir = "tuf-metadata"
cfg.LocalTargetsDir = "tuf-targets"
cfg.RemoteTargetsURL = "https://REPOSITORY/targets"
up, _ := updater.New(cfg)
err := up.Refresh()
\`\`\`
`;
  return {
    kind: 'tuf',
    files: [
      { name: 'root.json', bytes: rootBytes },
      { name: 'CLIENTS.md', bytes: utf8(md) },
    ],
    summary,
  };
}

/** The Notary trust anchor of the GUN in `files` (a repository folder as readRepoDir gives it). */
export async function notaryTrustAnchor(files: RepoFiles): Promise<TrustExport> {
  const b = files.get('root.json');
  if (!b) throw new KeyceremonyError('NOT_FOUND', 'no root.json in the Notary repository folder', { where: 'root.json' });
  const root = parseNotaryFile(b, { source: 'root.json' }).signed as NotaryRoot;
  const gun = gunOf(root);
  const st = await roleStatus(files, 'root');
  if (!st.complete) throw new KeyceremonyError('THRESHOLD_NOT_MET', `root.json is not fully signed (${st.line}): not a root to pin`, { where: 'root.json' });
  const certs: { id: string; name: string; pem: string; cn: string; until: string }[] = [];
  for (const id of root.roles.root.keyids) {
    const key = root.keys[id];
    if (!key || !isX509KeyType(key.keytype)) continue;
    const c = certOfKey(key);
    certs.push({ id, name: `root-${id.slice(0, 12)}.crt`, pem: certPemOfKey(key), cn: c.subjectCN ?? '?', until: c.notAfter.toISOString() });
  }
  if (certs.length === 0) {
    throw new KeyceremonyError(
      'INVALID_INPUT',
      `root v${root.version} of ${gun} lists no root certificate (ecdsa-x509/rsa-x509): the notary client cannot pin it`,
      { where: 'root.json' },
    );
  }
  const config = { trust_pinning: { certs: { [gun]: certs.map((c) => c.id) }, disable_tofu: true } };
  const md = `# Trust anchor: Notary GUN ${gun}

\`config.json\` pins ${gun} to its root certificates (trust_pinning.certs, TOFU disabled): the notary
client refuses this GUN unless its root is signed with one of these certificates' keys, even on
first use.

\`\`\`sh
notary -c config.json -s https://NOTARY-SERVER -d ~/.notary list ${gun}
\`\`\`

(Merge the \`trust_pinning\` member into an existing \`~/.notary/config.json\` to pin it there.) The Docker CLI
(\`DOCKER_CONTENT_TRUST=1\`) has no pinning setting: it trusts on first use.

Root v${root.version}, threshold ${root.roles.root.threshold}; certificates (key id as root.json lists it):

${certs.map((c) => `- \`${c.id}\` — ${c.name}, CN=${c.cn}, valid until ${c.until}`).join('\n')}
`;
  return {
    kind: 'notary',
    files: [
      { name: 'config.json', bytes: utf8(JSON.stringify(config, null, 2) + '\n') },
      ...certs.map((c) => ({ name: c.name, bytes: utf8(c.pem) })),
      { name: 'CLIENTS.md', bytes: utf8(md) },
    ],
    summary: [`GUN ${gun}, root v${root.version}`, ...certs.map((c) => `pinned certificate ${c.id} (CN=${c.cn}, until ${c.until})`)],
  };
}

/**
 * The cosign trust anchors of a signing request (the keys consumers verify with and the admission
 * policies for m of them): keys/<signer>.pub one per signer, keys/signers.pem all of them in one file,
 * the Kyverno and policy-controller policies `cosign export-policy` writes, and CLIENTS.md.
 */
export function cosignTrustAnchor(r: CosignRequest): TrustExport {
  const safe = (n: string) => n.replace(/[^A-Za-z0-9._-]+/g, '_');
  const repositories = [...new Set(r.images.map((i) => parseImageReference(i).name))];
  const policies = policyFiles({ name: 'keyceremony-release', repositories, keys: r.signers.map((s) => ({ name: s.name, pem: s.publicKey })), m: r.m });
  const keyLines = r.signers.map((s) => `- keys/${safe(s.name)}.pub — ${s.name}, SPKI SHA-256 \`${s.fingerprint}\``);
  const md = `# Trust anchors: cosign, ${r.m} of ${r.signers.length} signers

Compare each key's SPKI SHA-256 out of band before trusting it:

${keyLines.join('\n')}

\`keys/signers.pem\` holds all ${r.signers.length} keys in one file.

Verify an image with one key (cosign 2.x): \`cosign verify --key keys/${safe(r.signers[0]?.name ?? 'signer')}.pub IMAGE@sha256:DIGEST\` — a
single \`cosign verify\` checks one key; ${r.m} of ${r.signers.length} is enforced by the admission policies below
(or \`keyceremony cosign verify --key … --threshold ${r.m}\`).

Admission policies for ${repositories.join(', ')} (validated against the engines' CRDs):
${policies.map((p) => `- ${p.path}`).join('\n')}
`;
  return {
    kind: 'cosign',
    files: [
      ...r.signers.map((s) => ({ name: `keys/${safe(s.name)}.pub`, bytes: utf8(s.publicKey) })),
      { name: 'keys/signers.pem', bytes: utf8(r.signers.map((s) => s.publicKey.trimEnd() + '\n').join('')) },
      ...policies.map((p) => ({ name: p.path, bytes: typeof p.data === 'string' ? utf8(p.data) : p.data })),
      { name: 'CLIENTS.md', bytes: utf8(md) },
    ],
    summary: [`${r.m} of ${r.signers.length} signers over ${repositories.join(', ')}`, ...r.signers.map((s) => `${s.name}: SPKI SHA-256 ${s.fingerprint}`)],
  };
}

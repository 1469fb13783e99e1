/**
 * tuf-on-ci-shaped signing events for tests: files written byte for byte as tuf-on-ci's signer writes
 * them — python-tuf's JSONSerializer, i.e. Python's own `json.dumps(d, indent=1, separators=(",", ": "),
 * sort_keys=True)` (run here by the real python3, see scripts/system-deps.sh) — with a placeholder
 * signature ("sig": "") for every key of the role, old root keys first, as tuf-on-ci's `close()` does.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Updater } from 'tuf-js';
import path from 'node:path';
import { computeKeyId, type TufKeyJSON } from '../../shared/tuf/keys';
import type { TufSignature } from '../../shared/tuf/models';
import { arrayItems, objectMembers } from '../../shared/json/spans';
import { signSigned } from '../../electron/core/tuf/sign';
import type { Signer } from '../../electron/core/signer';

/** Python's json.dumps as python-tuf's JSONSerializer calls it (the real interpreter). */
export function pythonDumps(value: unknown): string {
  return execFileSync(
    'python3',
    ['-c', 'import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), indent=1, separators=(",", ": "), sort_keys=True))'],
    {
      input: JSON.stringify(value),
      encoding: 'utf8',
    },
  );
}

/** A key object as tuf-on-ci stores it: with its keyholder. Returns the key and its id (over the owner field too). */
export async function ownedKey(key: TufKeyJSON, owner: string): Promise<{ keyid: string; key: TufKeyJSON }> {
  const k = { ...key, 'x-tuf-on-ci-keyowner': owner };
  return { keyid: await computeKeyId(k), key: k };
}

/** Placeholders for `keyids` (tuf-on-ci: "sig": "" for each signer it waits for). */
export function placeholders(keyids: readonly string[]): TufSignature[] {
  return [...new Set(keyids)].map((keyid) => ({ keyid, sig: '' }));
}

/** Signatures by `signers`, merged into placeholders in place (python-tuf Metadata.sign(append=True)). */
export async function withSignatures(
  signed: object,
  sigs: TufSignature[],
  signers: readonly Signer[],
  keyids: Record<string, string>,
): Promise<TufSignature[]> {
  const made = await signSigned(signed, signers);
  const out = sigs.map((s) => ({ ...s }));
  for (const m of made) {
    // our signer key ids are computed without the owner field: map to the listed (owned) id
    const id = keyids[m.keyid] ?? m.keyid;
    const hit = out.find((s) => s.keyid === id);
    if (hit) hit.sig = m.sig;
    else out.push({ keyid: id, sig: m.sig });
  }
  return out;
}

/** Write a metadata file the way tuf-on-ci does (and, for root, its root_history copy). */
export function writeTufOnCi(dir: string, role: string, signed: Record<string, unknown>, signatures: readonly TufSignature[]): string {
  const text = pythonDumps({ signatures, signed });
  mkdirSync(path.join(dir, 'root_history'), { recursive: true });
  writeFileSync(path.join(dir, `${role}.json`), text);
  if (role === 'root') writeFileSync(path.join(dir, 'root_history', `${String(signed.version)}.root.json`), text);
  return text;
}

/** The text with every signature's "sig" value blanked: what must not change when someone signs. */
export function outsideSignatures(text: string): string {
  const top = objectMembers(text, 0);
  const sm = top.members.find((m) => m.key === 'signatures')!;
  let out = '';
  let at = 0;
  for (const it of arrayItems(text, sm.value.start).items) {
    const sig = objectMembers(text, it.start).members.find((m) => m.key === 'sig')!;
    out += text.slice(at, sig.value.start) + '""';
    at = sig.value.end;
  }
  return out + text.slice(at);
}

/**
 * Publish the signing event's folder `md` into `pub` as tuf-on-ci's build step names the files
 * (consistent snapshot: N.root.json for root versions 1..`rootVersions`, 1.snapshot.json, 1.targets.json).
 */
export function publishLikeTufOnCi(md: string, pub: string, rootVersions: number): void {
  mkdirSync(path.join(pub, 'metadata'), { recursive: true });
  mkdirSync(path.join(pub, 'targets'), { recursive: true });
  for (let v = 1; v <= rootVersions; v++) cpSync(path.join(md, 'root_history', `${v}.root.json`), path.join(pub, 'metadata', `${v}.root.json`));
  cpSync(path.join(md, 'timestamp.json'), path.join(pub, 'metadata', 'timestamp.json'));
  cpSync(path.join(md, 'snapshot.json'), path.join(pub, 'metadata', '1.snapshot.json'));
  cpSync(path.join(md, 'targets.json'), path.join(pub, 'metadata', '1.targets.json'));
}

/** A tuf-js client in `dir` that trusts root v1 of the folder `md` and refreshes from `baseUrl`. */
export function tufJsClient(dir: string, md: string, baseUrl: string): { refresh: () => Promise<void>; rootVersion: () => number } {
  mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  cpSync(path.join(md, 'root_history', '1.root.json'), path.join(dir, 'metadata', 'root.json'));
  return {
    refresh: () =>
      new Updater({
        metadataDir: path.join(dir, 'metadata'),
        targetDir: path.join(dir, 'targets'),
        metadataBaseUrl: `${baseUrl}/metadata`,
        targetBaseUrl: `${baseUrl}/targets`,
      }).refresh(),
    rootVersion: () => (JSON.parse(readFileSync(path.join(dir, 'metadata', 'root.json'), 'utf8')) as { signed: { version: number } }).signed.version,
  };
}

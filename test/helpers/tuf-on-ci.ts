/**
 * tuf-on-ci-shaped signing events for tests: files written byte for byte as tuf-on-ci's signer writes
 * them — python-tuf's JSONSerializer, i.e. Python's own `json.dumps(d, indent=1, separators=(",", ": "),
 * sort_keys=True)` (run here by the real python3, see scripts/system-deps.sh) — with a placeholder
 * signature ("sig": "") for every key of the role, old root keys first, as tuf-on-ci's `close()` does.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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

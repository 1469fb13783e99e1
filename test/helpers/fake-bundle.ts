/**
 * PURE tests: a sealed ceremony bundle made by the engine over in-memory fakes (software keys),
 * written to a folder or a tar, and a way to re-sign an edited manifest with the ceremony's own keys
 * (to prove a check holds even when the signatures are good).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CeremonyEngine } from '../../electron/core/ceremony/engine';
import { BUILTIN_KINDS } from '../../electron/core/ceremony/steps';
import { templateText } from '../../electron/core/ceremony/templates';
import { tufService } from '../../electron/core/ceremony/services/tuf';
import { MANIFEST, MANIFEST_DSSE, MANIFEST_PAYLOAD_TYPE, type BundleReader } from '../../electron/core/ceremony/bundle';
import { writeTar } from '../../electron/core/ceremony/tar';
import { envelope, pae } from '../../shared/dsse';
import { toBase64, utf8 } from '../../shared/encoding/bytes';
import type { CeremonyScript } from '../../electron/core/ceremony/types';
import type { Signer } from '../../electron/core/signer';
import { MemJournal, MemStore, FakeTokens, fakePreflight, autoPrompter, fixedClock, randomHex } from './ceremony-fakes';

export interface FakeBundle {
  /** Every file of the sealed bundle (transcript included). */
  files: Map<string, Uint8Array>;
  tokens: FakeTokens;
  script: CeremonyScript;
}

export async function makeFakeBundle(template = 'tuf-root', edit?: (s: CeremonyScript) => void, opts: { rehearsal?: boolean } = {}): Promise<FakeBundle> {
  const script = JSON.parse(templateText(template)!) as CeremonyScript;
  edit?.(script);
  const journal = new MemJournal();
  const store = new MemStore(journal);
  const tokens = new FakeTokens(script.tokens.map((t) => t.label));
  const engine = new CeremonyEngine({
    script,
    scriptText: JSON.stringify(script),
    rehearsal: opts.rehearsal ?? true,
    kinds: BUILTIN_KINDS,
    services: { tokens, tuf: tufService(), preflight: fakePreflight([{ id: 'network-interfaces', status: 'pass', summary: 'none up' }]) },
    prompter: autoPrompter(),
    journal,
    outputs: store,
    clock: fixedClock(),
    randomHex,
  });
  await engine.run();
  const files = new Map<string, Uint8Array>();
  for (const p of await store.list()) files.set(p, await store.read(p));
  return { files, tokens, script };
}

export function memReader(files: Map<string, Uint8Array>): BundleReader {
  return {
    list: async () => [...files.keys()].sort(),
    read: async (p) => {
      const b = files.get(p);
      if (!b) throw new Error(`no ${p}`);
      return b;
    },
  };
}

export function writeBundleDir(files: Map<string, Uint8Array>, dir: string): string {
  for (const [p, b] of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), b);
  }
  return dir;
}

export function bundleTar(files: Map<string, Uint8Array>): Uint8Array {
  return writeTar([...files].map(([path, bytes]) => ({ path, bytes })));
}

/** The software signers of the bundle's manifest signers, in manifest order. */
export function manifestSigners(b: FakeBundle): Signer[] {
  const m = JSON.parse(new TextDecoder().decode(b.files.get(MANIFEST)!)) as { signers: string[] };
  return m.signers.map((id) => {
    const spec = b.script.keys.find((k) => k.id === id)!;
    const tok = b.script.tokens.find((t) => t.id === spec.token)!;
    return b.tokens.tokens.get(tok.label)!.keys.find((k) => k.label === spec.label)!.signer;
  });
}

/** Replace manifest.json with `bytes` and sign it with the ceremony's own keys (a valid DSSE). */
export async function resignManifest(b: FakeBundle, bytes: Uint8Array): Promise<void> {
  const sigs = [];
  for (const s of manifestSigners(b)) sigs.push({ keyid: s.fingerprint, sig: toBase64(await s.sign(pae(MANIFEST_PAYLOAD_TYPE, bytes))) });
  b.files.set(MANIFEST, bytes);
  b.files.set(MANIFEST_DSSE, utf8(JSON.stringify(envelope(MANIFEST_PAYLOAD_TYPE, bytes, sigs), null, 2) + '\n'));
}

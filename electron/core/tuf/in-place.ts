/**
 * Signatures put into a metadata file's TEXT, in place: an entry with our keyid (a placeholder, or a
 * stale signature) gets its "sig" string replaced; otherwise a new entry is added after the last one,
 * formatted like the entry before it (in an empty array: like python-tuf). Every other byte stays as its
 * author wrote it, so a tuf-on-ci signing event's git diff is only our signature (electron/core/tuf/event.ts).
 */
import { KeyceremonyError } from '../../../shared/errors';
import { canonicalBytes } from '../../../shared/json/canonical';
import { parseStrictJson } from '../../../shared/json/strict';
import { applySplices, arrayItems, objectMembers, skipWs, type Splice } from '../../../shared/json/spans';
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { fromUtf8, utf8 } from '../../../shared/encoding/bytes';
import { readEnvelope, type TufSignature } from '../../../shared/tuf/models';

/** What was signed: the signatures and the SHA-256 of the canonical signed part they cover. */
export interface SignaturesToApply {
  role: string;
  version: number;
  signatures: TufSignature[];
  signedSha256: string;
}

/**
 * Put `sigs` into one metadata file's text, changing nothing else: an entry with our keyid (a
 * placeholder, or a stale signature) gets its "sig" string replaced; otherwise a new entry is added
 * after the last one, formatted like the entry before it (or, in an empty array, like python-tuf would).
 * Refused (CONFLICT) when the file no longer signs the bytes the signature was made over.
 */
export async function applyEventSignatures(bytes: Uint8Array, prepared: SignaturesToApply, source: string): Promise<Uint8Array> {
  const text = fromUtf8(bytes);
  const env = readEnvelope(parseStrictJson(text, { source, integersOnly: true }));
  if ((await sha256Hex(canonicalBytes(env.signedRaw, '$.signed'))) !== prepared.signedSha256) {
    throw new KeyceremonyError(
      'CONFLICT',
      `${source} changed while it was being signed: it no longer holds the ${prepared.role} v${prepared.version} that was signed. Nothing was written; sign again.`,
      { where: source },
    );
  }
  const top = objectMembers(text, 0);
  const sm = top.members.find((m) => m.key === 'signatures');
  if (!sm) throw new KeyceremonyError('INVALID_METADATA', `${source}: no "signatures"`, { where: source });
  const arr = arrayItems(text, sm.value.start);
  const entries = arr.items.map((it) => ({ span: it, obj: objectMembers(text, it.start) }));
  const edits: Splice[] = [];
  const appended: TufSignature[] = [];
  for (const s of prepared.signatures) {
    const hits = entries.filter((e) => {
      const k = e.obj.members.find((m) => m.key === 'keyid');
      return k && JSON.parse(text.slice(k.value.start, k.value.end)) === s.keyid;
    });
    if (hits.length === 0) {
      appended.push(s);
      continue;
    }
    for (const e of hits) {
      const sigm = e.obj.members.find((m) => m.key === 'sig');
      if (!sigm) throw new KeyceremonyError('INVALID_METADATA', `${source}: a signature entry for ${s.keyid.slice(0, 16)}… has no "sig"`, { where: source });
      edits.push({ start: sigm.value.start, end: sigm.value.end, text: JSON.stringify(s.sig) });
    }
  }
  if (appended.length) edits.push(appendEntries(text, arr, entries, appended));
  const out = applySplices(text, edits);
  // what we wrote must read back as the same metadata with our signatures in it
  const back = readEnvelope(parseStrictJson(out, { source, integersOnly: true }));
  if ((await sha256Hex(canonicalBytes(back.signedRaw, '$.signed'))) !== prepared.signedSha256) {
    throw new KeyceremonyError('INTERNAL', `${source}: the edited file no longer holds the signed metadata; nothing was written`, { where: source });
  }
  for (const s of prepared.signatures) {
    if (!back.signatures.some((b) => b.keyid === s.keyid && b.sig === s.sig)) {
      throw new KeyceremonyError('INTERNAL', `${source}: the signature by ${s.keyid.slice(0, 16)}… did not land; nothing was written`, { where: source });
    }
  }
  return utf8(out);
}

function entryText(keyid: string, sig: string, like: string | undefined, indentUnit: string, level: number): string {
  if (like !== undefined) {
    // the previous entry's text with its two strings replaced (same whitespace, same key order)
    const o = objectMembers(like, 0);
    const k = o.members.find((m) => m.key === 'keyid');
    const s = o.members.find((m) => m.key === 'sig');
    if (k && s && o.members.length === 2) {
      return applySplices(like, [
        { start: k.value.start, end: k.value.end, text: JSON.stringify(keyid) },
        { start: s.value.start, end: s.value.end, text: JSON.stringify(sig) },
      ]);
    }
  }
  if (!indentUnit) return JSON.stringify({ keyid, sig });
  const pad = (n: number) => '\n' + indentUnit.repeat(n);
  return `{${pad(level + 1)}"keyid": ${JSON.stringify(keyid)},${pad(level + 1)}"sig": ${JSON.stringify(sig)}${pad(level)}}`;
}

function appendEntries(
  text: string,
  arr: ReturnType<typeof arrayItems>,
  entries: { span: { start: number; end: number } }[],
  sigs: readonly TufSignature[],
): Splice {
  const last = entries[entries.length - 1];
  if (last) {
    // separator = what lies between the previous two entries (or ",\n<indent>" taken from before the last)
    const prev = entries[entries.length - 2];
    const lineStart = text.lastIndexOf('\n', last.span.start) + 1;
    const sep = prev ? text.slice(prev.span.end, last.span.start) : ',' + (lineStart > arr.span.start ? '\n' + text.slice(lineStart, last.span.start) : '');
    const like = text.slice(last.span.start, last.span.end);
    const add = sigs.map((s) => sep + entryText(s.keyid, s.sig, like, '', 0)).join('');
    return { start: last.span.end, end: last.span.end, text: add };
  }
  // an empty array: write the entries as python-tuf does, at the indentation the file uses
  const lineStart = text.lastIndexOf('\n', arr.span.start) + 1;
  const keyIndent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const unit = detectIndentUnit(text);
  if (!unit) return { start: arr.span.start, end: arr.span.end, text: JSON.stringify(sigs.map((s) => ({ keyid: s.keyid, sig: s.sig }))) };
  const level = keyIndent.length / unit.length;
  const pad = (n: number) => '\n' + unit.repeat(n);
  const body = sigs.map((s) => pad(level + 1) + entryText(s.keyid, s.sig, undefined, unit, level + 1)).join(',');
  return { start: arr.span.start, end: arr.span.end, text: `[${body}${pad(level)}]` };
}

function detectIndentUnit(text: string): string {
  const i = skipWs(text, 1);
  const lineStart = text.lastIndexOf('\n', i) + 1;
  return lineStart === 0 ? '' : text.slice(lineStart, i);
}

/**
 * The single-file bundle archive: a POSIX ustar archive written and read by our own code.
 * Format (docs/ceremony.md): regular files only (typeflag '0'), mode 0644, uid/gid 0, mtime 0 (so the
 * same bundle gives the same bytes), names up to 100 bytes or prefix+name (155+100), content padded
 * to 512 bytes, two zero blocks at the end. The reader refuses path traversal (absolute, "..",
 * backslashes), links and any non-regular entry, duplicate names, oversized entries and archives,
 * and bad header checksums. Names must be UTF-8 (INVALID_ENCODING otherwise); numeric fields may be
 * octal or GNU base-256 (sizes are then held to the same limits, TOO_LARGE naming the field).
 */
import { KeyceremonyError } from '../../../shared/errors';
import { fromUtf8, utf8 } from '../../../shared/encoding/bytes';

export interface TarEntry {
  path: string;
  bytes: Uint8Array;
}

export const TAR_LIMITS = { maxEntry: 256 * 1024 * 1024, maxTotal: 1024 * 1024 * 1024, maxEntries: 10000 };

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function checkPath(p: string, where: string): void {
  if (
    p.length === 0 ||
    p.startsWith('/') ||
    p.includes('\\') ||
    p.includes('\0') ||
    /^[A-Za-z]:/.test(p) ||
    p.split('/').some((s) => s === '..' || s === '.' || s === '')
  ) {
    throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing archive entry "${p}": paths must be relative, without "..", "." or empty parts.`, { where });
  }
}

export function writeTar(entries: TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    checkPath(e.path, e.path);
    if (seen.has(e.path)) throw new KeyceremonyError('CONFLICT', `Duplicate archive entry "${e.path}".`, { where: e.path });
    seen.add(e.path);
    const h = new Uint8Array(512);
    const nameBytes = utf8(e.path);
    let name: Uint8Array = nameBytes;
    let prefix: Uint8Array = new Uint8Array(0);
    if (nameBytes.length > 100) {
      const cut = e.path.lastIndexOf('/', 155);
      if (cut <= 0) throw new KeyceremonyError('INVALID_INPUT', `Archive path too long: ${e.path}`, { where: e.path });
      prefix = utf8(e.path.slice(0, cut));
      name = utf8(e.path.slice(cut + 1));
      if (prefix.length > 155 || name.length > 100) throw new KeyceremonyError('INVALID_INPUT', `Archive path too long: ${e.path}`, { where: e.path });
    }
    h.set(name, 0);
    h.set(utf8(octal(0o644, 8)), 100);
    h.set(utf8(octal(0, 8)), 108);
    h.set(utf8(octal(0, 8)), 116);
    h.set(utf8(octal(e.bytes.length, 12)), 124);
    h.set(utf8(octal(0, 12)), 136);
    h.set(utf8('        '), 148);
    h[156] = 0x30; // '0' regular file
    h.set(utf8('ustar\0'), 257);
    h.set(utf8('00'), 263);
    h.set(prefix, 345);
    let sum = 0;
    for (const b of h) sum += b;
    h.set(utf8(octal(sum, 7) + ' '), 148);
    blocks.push(h, e.bytes);
    const pad = (512 - (e.bytes.length % 512)) % 512;
    if (pad) blocks.push(new Uint8Array(pad));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/** A NUL-terminated header field as bytes. */
function field(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** A name field: UTF-8 or refused (a name we cannot read is a name we cannot check). */
function nameField(b: Uint8Array, where: string): string {
  const f = field(b);
  try {
    return fromUtf8(f);
  } catch {
    const hex = Array.from(f, (x) => x.toString(16).padStart(2, '0')).join('');
    throw new KeyceremonyError(
      'INVALID_ENCODING',
      `An archive entry name is not valid UTF-8 (bytes ${hex}); keyceremony bundles name their files in UTF-8, so this archive was not made by keyceremony or was altered.`,
      {
        where,
      },
    );
  }
}

/** An ASCII header field (magic, numbers): bytes as Latin-1, so garbage is reported, not thrown. */
function asciiField(b: Uint8Array): string {
  return String.fromCharCode(...field(b));
}

/**
 * A numeric header field: octal ASCII (POSIX), or GNU base-256 (first byte 0x80: the rest is a
 * big-endian binary number; 0xff: a negative number). Values past 2^53 come back as Infinity, which
 * every size limit refuses.
 */
function parseNumber(b: Uint8Array, where: string, what: string): { value: number; base256: boolean } {
  const first = b[0] as number;
  if (first & 0x80) {
    if (first === 0xff) throw new KeyceremonyError('UNSUPPORTED_FORMAT', `The archive header's ${what} is a negative GNU base-256 number.`, { where });
    let v = first & 0x7f;
    for (let i = 1; i < b.length; i++) v = v * 256 + (b[i] as number);
    return { value: Number.isSafeInteger(v) ? v : Infinity, base256: true };
  }
  const s = asciiField(b).trim();
  if (!/^[0-7]+$/.test(s)) throw new KeyceremonyError('UNSUPPORTED_FORMAT', `Bad number in an archive header (${what}).`, { where });
  return { value: parseInt(s, 8), base256: false };
}

/** Read an archive made by writeTar (or any plain ustar of regular files). */
export function readTar(data: Uint8Array, limits = TAR_LIMITS): TarEntry[] {
  if (data.length > limits.maxTotal) throw new KeyceremonyError('TOO_LARGE', `Archive larger than ${limits.maxTotal} bytes.`, { where: 'archive' });
  const out: TarEntry[] = [];
  const seen = new Set<string>();
  let o = 0;
  while (o + 512 <= data.length) {
    const h = data.subarray(o, o + 512);
    if (h.every((b) => b === 0)) return out;
    const where = `archive offset ${o}`;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    if (parseNumber(h.subarray(148, 156), where, 'checksum').value !== sum)
      throw new KeyceremonyError('UNSUPPORTED_FORMAT', 'Archive header checksum mismatch.', { where });
    const name = nameField(h.subarray(0, 100), where);
    const magic = asciiField(h.subarray(257, 263));
    const prefix = magic === 'ustar' ? nameField(h.subarray(345, 500), where) : '';
    const path = prefix ? `${prefix}/${name}` : name;
    const type = String.fromCharCode(h[156] as number);
    if (type === '1' || type === '2') throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing archive entry "${path}": links are not allowed.`, { where: path });
    if (type === '5' && path.endsWith('/')) {
      checkPath(path.slice(0, -1), path);
      o += 512;
      continue; // directories are implied by file paths
    }
    if (type !== '0' && type !== '\0')
      throw new KeyceremonyError('UNSUPPORTED_FORMAT', `Refusing archive entry "${path}": only regular files are allowed (type "${type}").`, { where: path });
    checkPath(path, path);
    const { value: size, base256 } = parseNumber(h.subarray(124, 136), path, 'size');
    if (size > limits.maxEntry) {
      const said = Number.isFinite(size) ? `${size} bytes` : 'more than 2^53 bytes';
      throw new KeyceremonyError(
        'TOO_LARGE',
        `Archive entry "${path}" is ${said}${base256 ? ' (a GNU base-256 size field)' : ''}; the limit is ${limits.maxEntry} bytes.`,
        { where: path },
      );
    }
    if (o + 512 + size > data.length) throw new KeyceremonyError('UNSUPPORTED_FORMAT', `Archive entry "${path}" is truncated.`, { where: path });
    if (seen.has(path)) throw new KeyceremonyError('CONFLICT', `Archive has "${path}" twice.`, { where: path });
    seen.add(path);
    if (out.length >= limits.maxEntries) throw new KeyceremonyError('TOO_LARGE', `Archive has more than ${limits.maxEntries} entries.`, { where: path });
    out.push({ path, bytes: data.slice(o + 512, o + 512 + size) });
    o += 512 + Math.ceil(size / 512) * 512;
  }
  throw new KeyceremonyError('UNSUPPORTED_FORMAT', 'Archive ends without its end-of-archive blocks.', { where: 'archive' });
}

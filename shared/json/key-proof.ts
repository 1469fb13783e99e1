/**
 * A proof, from the bytes of a JSON text, that no object in it holds the same key twice — and, for
 * `{integersOnly}`, that every number is an integer, with the canonical-order facts parseStrictJson
 * marks. The bytes are the text in UTF-8, or in Latin-1 when every character is below U+0100: either
 * way equal strings give equal bytes, byte order is the order of the characters (Latin-1: exactly
 * JavaScript's; UTF-8: code-point order, which differs from JavaScript's UTF-16 order only between
 * U+E000..U+FFFF and astral characters, so keys holding a byte >= 0xEE are never called ordered), and
 * `"`, `\`, `{`, `}`, `[`, `]`, `,` are the only bytes of their values.
 *
 * parseStrictJson may run it on another thread while `JSON.parse` builds the value on this one
 * (electron/adapters/json-key-prover.ts); the value then needs no walk of its own. It assumes nothing
 * of the text and decides nothing about its grammar: it is used only for a text `JSON.parse` accepted,
 * and whatever it does not prove goes back to parseStrictJson's own proof and scanner.
 *
 * How: strings are skipped by a search for the closing `"`, a word at a time (an odd run of `\` before it
 * escapes it; a text without any `\` skips that look-back and the key checks for escapes); outside
 * strings only `{ } [ ] ,` matter (and, for integers, the number tokens). The first string after `{`
 * or after a `,` inside an object is a key. Each object compares a new key with the keys it already
 * holds (bytes), by length then bytes while it has fewer than SMALL keys, then through one
 * open-addressing table shared by all large objects (largeKeyTable, each entry tagged with its
 * object's serial number), so nothing is allocated per object or per key.
 *
 * Not proven (-1): a key holding a `\` (its escapes would have to be decoded to compare), nesting
 * deeper than `maxDepth` (the scanner reports it), a duplicate key, input that ends inside a string,
 * and with `canon` a number with a fraction or an exponent (the scanner refuses it with its place).
 *
 * `canon` (the `{integersOnly}` form): on return canon[0] is the number of containers opened at depths
 * 0..2 (document order), and canon[1 + k] is 1 when the k-th one's whole subtree is in canonical order
 * (keys strictly increasing, numbers of at most 15 digits: safe integers) — parseStrictJson marks those
 * objects as its own walk would. canon[0] is -1 when these marks cannot be used: more containers than
 * canon holds, or an array-index key ("0", "17") in an object at depth 0 or 1, which JavaScript
 * enumerates before the others, out of document order.
 *
 * These functions are self-contained — no imports, no module state, only each other — because
 * the worker runs them from their source text.
 */
export function proveNoDuplicateKeys(b: Uint8Array, maxDepth: number, canon?: Int32Array): number {
  const n = b.length;
  const SMALL = 16;
  // per open container (index = depth): 0 array, 1 object, 2 large object; its first key slot; its
  // serial; (canon) its mark slot, whether its subtree is still in order, where its last key was
  const kind = new Uint8Array(maxDepth + 1);
  const first = new Int32Array(maxDepth + 1);
  const serialAt = new Int32Array(maxDepth + 1);
  const markAt = new Int32Array(3);
  const ordered = new Uint8Array(maxDepth + 1);
  const lastKey = new Int32Array(maxDepth + 1);
  const lastLen = new Int32Array(maxDepth + 1);
  // keys of the open small objects, innermost last: start and length in b
  let keyStart: Int32Array = new Int32Array(1024);
  let keyLen: Int32Array = new Int32Array(1024);
  let nk = 0;
  const insertLarge = largeKeyTable(b);
  const grow = (a: Int32Array): Int32Array => {
    const g = new Int32Array(a.length * 2);
    g.set(a);
    return g;
  };
  const escapes = b.indexOf(0x5c) !== -1;
  const quote = quoteFinder(b);
  let marks = 0;
  let serial = 0;
  let depth = -1;
  let keys = 0;
  let expectKey = false;
  let i = 0;
  while (i < n) {
    const c = b[i] as number;
    if (c === 0x22) {
      let e = quote(i + 1);
      for (;;) {
        if (e === -1) return -1;
        if (!escapes) break;
        let s = e - 1;
        while (b[s] === 0x5c) s--;
        if (((e - 1 - s) & 1) === 0) break;
        e = quote(e + 1);
      }
      if (expectKey) {
        expectKey = false;
        keys++;
        const start = i + 1;
        const len = e - start;
        if (escapes) for (let k = start; k < e; k++) if (b[k] === 0x5c) return -1;
        if (canon !== undefined) {
          if (depth < 2 && isIndexKey(b, start, len)) marks = -1;
          if (!keyAfter(b, start, len, lastKey[depth] as number, lastLen[depth] as number)) ordered[depth] = 0;
          lastKey[depth] = start;
          lastLen[depth] = len;
        }
        if (kind[depth] === 2) {
          if (!insertLarge(serialAt[depth] as number, start, len)) return -1;
        } else {
          const f = first[depth] as number;
          for (let q = f; q < nk; q++) if (keyLen[q] === len && rangesEqual(b, keyStart[q] as number, start, len)) return -1;
          if (nk - f + 1 < SMALL) {
            if (nk === keyStart.length) [keyStart, keyLen] = [grow(keyStart), grow(keyLen)];
            keyStart[nk] = start;
            keyLen[nk++] = len;
          } else {
            // the object becomes large: its keys (all distinct) move to the table
            const ser = serialAt[depth] as number;
            for (let q = f; q < nk; q++) insertLarge(ser, keyStart[q] as number, keyLen[q] as number);
            insertLarge(ser, start, len);
            nk = f;
            kind[depth] = 2;
          }
        }
      }
      i = e + 1;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth + 1 >= maxDepth) return -1;
      depth++;
      kind[depth] = c === 0x7b ? 1 : 0;
      first[depth] = nk;
      serialAt[depth] = ++serial;
      expectKey = c === 0x7b;
      if (canon !== undefined) {
        ordered[depth] = 1;
        lastLen[depth] = -1;
        if (depth <= 2 && marks >= 0) marks = marks + 1 < canon.length ? marks + 1 : -1;
        if (depth <= 2) markAt[depth] = marks;
      }
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth < 0) return -1;
      nk = first[depth] as number;
      if (canon !== undefined) {
        if (depth <= 2 && marks >= 0) canon[markAt[depth] as number] = ordered[depth] as number;
        if (depth > 0 && ordered[depth] === 0) ordered[depth - 1] = 0;
      }
      depth--;
      expectKey = false;
      i++;
    } else if (canon !== undefined && c !== 0x2c && c > 0x20) {
      // (integers) outside strings: a literal, or a number: digits, an optional leading '-'
      if (c === 0x74 || c === 0x6e) i += 4;
      else if (c === 0x66) i += 5;
      else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const d0 = c === 0x2d ? i + 1 : i;
        let j = d0;
        while ((b[j] as number) >= 0x30 && (b[j] as number) <= 0x39) j++;
        const after = b[j];
        if (after === 0x2e || after === 0x65 || after === 0x45) return -1;
        if (j - d0 > 15 && depth >= 0) ordered[depth] = 0;
        i = j;
      } else i++;
    } else {
      if (c === 0x2c) expectKey = depth >= 0 && kind[depth] !== 0;
      i++;
    }
  }
  if (depth !== -1) return -1;
  if (canon !== undefined) canon[0] = marks;
  return keys;
}

/**
 * The next `"` at or after `from` in b (-1: none), four bytes at a time where b is 4-byte aligned (it
 * is on the worker: a view at the start of a SharedArrayBuffer): a word with no `"` byte has no zero
 * byte after XOR 0x22222222, which (x - 0x01010101) & ~x & 0x80808080 tells exactly. One
 * Buffer#indexOf call per string cost more than the scan itself (strings are 35 bytes on average).
 */
function quoteFinder(b: Uint8Array): (from: number) => number {
  const n = b.length;
  const words = (b.byteOffset & 3) === 0 ? new Uint32Array(b.buffer, b.byteOffset, n >>> 2) : undefined;
  return (from: number): number => {
    let k = from;
    if (words !== undefined) {
      for (; (k & 3) !== 0; k++) {
        if (k >= n) return -1;
        if (b[k] === 0x22) return k;
      }
      let w = k >>> 2;
      for (const wn = words.length; w < wn; w++) {
        const x = (words[w] as number) ^ 0x22222222;
        if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
      }
      k = w << 2;
    }
    while (k < n && b[k] !== 0x22) k++;
    return k < n ? k : -1;
  };
}

/** The `len` bytes of `b` at `a` and at `c` are equal. */
function rangesEqual(b: Uint8Array, a: number, c: number, len: number): boolean {
  let m = 0;
  while (m < len && b[a + m] === b[c + m]) m++;
  return m === len;
}

/**
 * The key at `start` comes strictly after the one at `prev` (`prevLen` -1: no key before it) in
 * JavaScript's order, as far as bytes can tell: false (not ordered) when it holds a byte >= 0xEE (the
 * key before it was checked the same way in its turn).
 */
function keyAfter(b: Uint8Array, start: number, len: number, prev: number, prevLen: number): boolean {
  for (let k = start; k < start + len; k++) if ((b[k] as number) >= 0xee) return false;
  if (prevLen < 0) return true;
  const m = Math.min(len, prevLen);
  for (let k = 0; k < m; k++) {
    const x = b[start + k] as number;
    const y = b[prev + k] as number;
    if (x !== y) return x > y;
  }
  return len > prevLen;
}

/** An array-index key ("0", "17"; not "01", not 2^32 - 1 or more): JavaScript lists it first. */
function isIndexKey(b: Uint8Array, start: number, len: number): boolean {
  if (len === 0 || len > 10 || (len > 1 && b[start] === 0x30)) return false;
  let v = 0;
  for (let k = start; k < start + len; k++) {
    const x = b[k] as number;
    if (x < 0x30 || x > 0x39) return false;
    v = v * 10 + (x - 0x30);
  }
  return v < 4294967295;
}

/**
 * The keys of every large object: one open-addressing table, 4 ints per slot (serial, start, length,
 * hash; serial 0 = empty). `insert(serial, start, len)` is false when that object already holds the key.
 */
function largeKeyTable(b: Uint8Array): (ser: number, start: number, len: number) => boolean {
  let mask = (1 << 12) - 1;
  let table = new Int32Array((mask + 1) * 4);
  let used = 0;
  const hashOf = (start: number, len: number, ser: number): number => {
    let h = Math.imul(0x811c9dc5 ^ len, 0x01000193) ^ Math.imul(ser, 0x9e3779b1);
    for (let k = start; k < start + len; k++) h = Math.imul(h ^ (b[k] as number), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 12);
  };
  const place = (t: Int32Array, m: number, ser: number, start: number, len: number, h: number): void => {
    let s = h & m;
    while (t[s * 4] !== 0) s = (s + 1) & m;
    t[s * 4] = ser;
    t[s * 4 + 1] = start;
    t[s * 4 + 2] = len;
    t[s * 4 + 3] = h;
  };
  return (ser: number, start: number, len: number): boolean => {
    const h = hashOf(start, len, ser);
    for (let s = h & mask; table[s * 4] !== 0; s = (s + 1) & mask) {
      if (table[s * 4] !== ser || table[s * 4 + 3] !== h || table[s * 4 + 2] !== len) continue;
      if (rangesEqual(b, table[s * 4 + 1] as number, start, len)) return false;
    }
    if (++used * 2 > mask) {
      const m2 = mask * 2 + 1;
      const t2 = new Int32Array((m2 + 1) * 4);
      for (let s = 0; s <= mask; s++) {
        const ts = table[s * 4] as number;
        if (ts !== 0) place(t2, m2, ts, table[s * 4 + 1] as number, table[s * 4 + 2] as number, table[s * 4 + 3] as number);
      }
      table = t2;
      mask = m2;
    }
    place(table, mask, ser, start, len, h);
    return true;
  };
}

/** The source text the worker evaluates: the functions above, `proveNoDuplicateKeys` last. */
export function keyProofSource(): string {
  return [rangesEqual, keyAfter, isIndexKey, largeKeyTable, quoteFinder, proveNoDuplicateKeys].map((f) => f.toString()).join('\n');
}

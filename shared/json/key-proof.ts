/**
 * A proof, from the bytes of a JSON text, that no object in it holds the same key twice. The bytes are
 * the text in UTF-8, or in Latin-1 when every character is below U+0100: either way equal strings give
 * equal bytes and `"`, `\`, `{`, `}`, `[`, `]`, `,` are the only bytes of their values.
 *
 * parseStrictJson may run it on another thread while `JSON.parse` builds the value on this one
 * (electron/adapters/json-key-prover.ts); the value then needs no walk of its own. It assumes nothing
 * of the text and decides nothing about its grammar: it is used only for a text `JSON.parse` accepted,
 * and whatever it does not prove goes back to parseStrictJson's own proof and scanner.
 *
 * How: strings are skipped with one native search for the closing `"` (an odd run of `\` before it
 * escapes it; a text without any `\` skips that look-back and the key checks for escapes); outside strings only `{ } [ ] ,` matter. The first string after `{` or after a `,`
 * inside an object is a key. Each object compares a new key with the keys it already holds (bytes), by length then bytes while it has fewer than SMALL keys,
 * then through one open-addressing table shared by all large objects (each entry tagged with its
 * object's serial number), so nothing is allocated per object or per key.
 *
 * Not proven (-1): a key holding a `\` (its escapes would have to be decoded to compare), nesting
 * deeper than `maxDepth` (the scanner reports it), a duplicate key, or input that ends inside a string.
 *
 * Self-contained — no imports, no module state, no helpers outside this function — because the
 * worker runs it from its source text (`proveNoDuplicateKeys.toString()`).
 */
export function proveNoDuplicateKeys(b: Uint8Array, maxDepth: number): number {
  const n = b.length;
  const SMALL = 16;
  // per open container (index = depth): 0 array, 1 object, 2 large object; its first key slot; its serial
  const kind = new Uint8Array(maxDepth + 1);
  const first = new Int32Array(maxDepth + 1);
  const serialAt = new Int32Array(maxDepth + 1);
  // keys of the open small objects, innermost last: start and length in b
  let keyStart: Int32Array = new Int32Array(1024);
  let keyLen: Int32Array = new Int32Array(1024);
  let nk = 0;
  // keys of large objects: 4 ints per slot (serial, start, length, hash); serial 0 = empty slot
  let mask = (1 << 12) - 1;
  let table = new Int32Array((mask + 1) * 4);
  let used = 0;

  const grow = (a: Int32Array): Int32Array => {
    const g = new Int32Array(a.length * 2);
    g.set(a);
    return g;
  };
  /** the `len` bytes at `a` and at `c` are equal */
  const same = (a: number, c: number, len: number): boolean => {
    let m = 0;
    while (m < len && b[a + m] === b[c + m]) m++;
    return m === len;
  };
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
  /** false: object `ser` already holds this key */
  const insert = (ser: number, start: number, len: number): boolean => {
    const h = hashOf(start, len, ser);
    for (let s = h & mask; table[s * 4] !== 0; s = (s + 1) & mask) {
      if (table[s * 4] !== ser || table[s * 4 + 3] !== h || table[s * 4 + 2] !== len) continue;
      if (same(table[s * 4 + 1] as number, start, len)) return false;
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

  const escapes = b.indexOf(0x5c) !== -1;
  let serial = 0;
  let depth = -1;
  let keys = 0;
  let expectKey = false;
  let i = 0;
  while (i < n) {
    const c = b[i] as number;
    if (c === 0x22) {
      let e = b.indexOf(0x22, i + 1);
      for (;;) {
        if (e === -1) return -1;
        if (!escapes) break;
        let s = e - 1;
        while (b[s] === 0x5c) s--;
        if (((e - 1 - s) & 1) === 0) break;
        e = b.indexOf(0x22, e + 1);
      }
      if (expectKey) {
        expectKey = false;
        keys++;
        const start = i + 1;
        const len = e - start;
        if (escapes) for (let k = start; k < e; k++) if (b[k] === 0x5c) return -1;
        if (kind[depth] === 2) {
          if (!insert(serialAt[depth] as number, start, len)) return -1;
        } else {
          const f = first[depth] as number;
          for (let q = f; q < nk; q++) if (keyLen[q] === len && same(keyStart[q] as number, start, len)) return -1;
          if (nk - f + 1 < SMALL) {
            if (nk === keyStart.length) [keyStart, keyLen] = [grow(keyStart), grow(keyLen)];
            keyStart[nk] = start;
            keyLen[nk++] = len;
          } else {
            // the object becomes large: its keys (all distinct) move to the table
            const ser = serialAt[depth] as number;
            for (let q = f; q < nk; q++) insert(ser, keyStart[q] as number, keyLen[q] as number);
            insert(ser, start, len);
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
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth < 0) return -1;
      nk = first[depth] as number;
      depth--;
      expectKey = false;
      i++;
    } else {
      if (c === 0x2c) expectKey = depth >= 0 && kind[depth] !== 0;
      i++;
    }
  }
  return depth === -1 ? keys : -1;
}

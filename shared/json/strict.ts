/**
 * Strict JSON parsing for signed metadata (TUF, Notary, bundles).
 *
 * `JSON.parse` silently keeps the last of two duplicate keys and accepts escaped lone surrogates, so
 * two parsers can disagree about what a signed document says. Here `JSON.parse` (native, fast) builds
 * the value, then provenStrict proves cheaply that it dropped no key and that the text holds no lone
 * surrogate (a key walk and one pass over the text) — or, where the main process installed one
 * (setParallelKeyProver), a proof from the text's bytes on another core while `JSON.parse` runs; when
 * neither proof holds, a linear scanner
 * validates the whole text (RFC 8259 grammar), rejects duplicate object keys and lone surrogates, and
 * names the JSON path and line:column of the fault. Cost: docs/performance.md, "Strict JSON".
 *
 * With `integersOnly` (TUF and Notary metadata, whose canonical JSON has integers only) a number with a
 * fraction or an exponent is refused even when its value is an integer: `1.0`, `1e0` and
 * `0.99999999999999999999` all read as 1 in JavaScript, and python-tuf and go-tuf refuse them.
 *
 * Errors are KeyceremonyError:
 *   INVALID_JSON   bad grammar, lone surrogate, invalid UTF-8 (bytes form), nesting too deep,
 *                  a non-integer number under `integersOnly`
 *   DUPLICATE_KEY  an object has the same key twice (after decoding escapes)
 *   TOO_LARGE      the input exceeds `maxBytes` (UTF-8 bytes)
 * `where` reads e.g. `targets.json $.signed.keys["abc"] at 3:15` and `details` carries
 * {path, line, column, source?} for callers that format their own messages.
 */
import { KeyceremonyError, type ErrorCode } from '../errors';

export interface StrictJsonOptions {
  /** File name or label shown in errors. */
  source?: string;
  /** Refuse inputs larger than this many UTF-8 bytes. Default 64 MiB. */
  maxBytes?: number;
  /** Refuse nesting deeper than this. Default 512. */
  maxDepth?: number;
  /** Refuse numbers written with a fraction or an exponent (canonical JSON: integers only). */
  integersOnly?: boolean;
}

export const DEFAULT_MAX_JSON_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 512;

/** One segment of a JSON path: an object key or an array index. */
export type PathSegment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Render a JSON path: `$.signed.keys["ab-c"][0]`. */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  let s = '$';
  for (const seg of segments) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (IDENT.test(seg)) s += `.${seg}`;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

/** Append one segment to an already formatted path. */
export function childPath(path: string, seg: PathSegment): string {
  if (typeof seg === 'number') return `${path}[${seg}]`;
  return IDENT.test(seg) ? `${path}.${seg}` : `${path}[${JSON.stringify(seg)}]`;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function lineCol(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: pos - last };
}

interface Frame {
  obj: boolean;
  /** keys seen so far: an array while small, a Set past SMALL keys */
  keys: string[] | Set<string> | null;
  seg: PathSegment;
}

const SMALL = 12;
const PLAIN = /[^"\\\u0000-\u001f\uD800-\uDFFF]*/y;

class Scanner {
  private i = 0;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly t: string,
    private readonly opts: StrictJsonOptions,
  ) {}

  fail(code: ErrorCode, msg: string, pos: number, extraSeg?: PathSegment): never {
    const segs: PathSegment[] = [];
    for (const f of this.stack) if (f.seg !== -1) segs.push(f.seg);
    if (extraSeg !== undefined) segs.push(extraSeg);
    const path = formatJsonPath(segs);
    const { line, column } = lineCol(this.t, Math.min(pos, this.t.length));
    const src = this.opts.source;
    const where = `${src ? src + ' ' : ''}${path} at ${line}:${column}`;
    const details: Record<string, string | number> = { path, line, column };
    if (src) details.source = src;
    throw new KeyceremonyError(code, `${src ? src + ': ' : ''}${msg} at ${path} (line ${line}, column ${column}).`, {
      where,
      details,
    });
  }

  private ws(): void {
    const t = this.t;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** Scan a string starting at the opening quote; returns the index after the closing quote. */
  private string(wantValue: boolean): string | undefined {
    const t = this.t;
    const start = this.i;
    let i = start + 1;
    let escaped = false;
    let pendingHigh = -1; // position of an unpaired high surrogate
    const n = t.length;
    for (;;) {
      if (pendingHigh === -1) {
        PLAIN.lastIndex = i;
        PLAIN.test(t);
        i = PLAIN.lastIndex;
      }
      if (i >= n) this.fail('INVALID_JSON', 'unterminated string', start);
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) this.fail('INVALID_JSON', 'control character in string (must be escaped)', i);
      let unit = -1;
      if (c === 0x5c) {
        escaped = true;
        const e = t.charCodeAt(i + 1);
        if (e === 0x75) {
          const hex = t.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('INVALID_JSON', 'bad \\u escape in string', i);
          unit = parseInt(hex, 16);
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
          if (pendingHigh !== -1) this.fail('INVALID_JSON', 'lone surrogate in string', pendingHigh);
          continue;
        } else {
          this.fail('INVALID_JSON', 'bad escape in string', i);
        }
      } else {
        if (c < 0xd800 || c > 0xdfff) {
          if (pendingHigh !== -1) this.fail('INVALID_JSON', 'lone surrogate in string', pendingHigh);
          i++;
          continue;
        }
        unit = c;
        i++;
      }
      // unit is a code unit from an escape or a raw surrogate
      if (unit >= 0xd800 && unit <= 0xdbff) {
        if (pendingHigh !== -1) this.fail('INVALID_JSON', 'lone surrogate in string', pendingHigh);
        pendingHigh = i - 1;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        if (pendingHigh === -1) this.fail('INVALID_JSON', 'lone surrogate in string', i - 1);
        pendingHigh = -1;
      } else if (pendingHigh !== -1) {
        this.fail('INVALID_JSON', 'lone surrogate in string', pendingHigh);
      }
    }
    if (pendingHigh !== -1) this.fail('INVALID_JSON', 'lone surrogate in string', pendingHigh);
    this.i = i + 1;
    if (!wantValue) return undefined;
    return escaped ? (JSON.parse(t.slice(start, i + 1)) as string) : t.slice(start + 1, i);
  }

  private number(): void {
    const t = this.t;
    let i = this.i;
    const start = i;
    if (t.charCodeAt(i) === 0x2d) i++;
    const d0 = t.charCodeAt(i);
    if (d0 === 0x30) i++;
    else if (d0 >= 0x31 && d0 <= 0x39) {
      i++;
      while (t.charCodeAt(i) >= 0x30 && t.charCodeAt(i) <= 0x39) i++;
    } else this.fail('INVALID_JSON', 'bad number', start);
    const intEnd = i;
    if (t.charCodeAt(i) === 0x2e) {
      i++;
      const s = i;
      while (t.charCodeAt(i) >= 0x30 && t.charCodeAt(i) <= 0x39) i++;
      if (i === s) this.fail('INVALID_JSON', 'bad number', start);
    }
    const e = t.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sg = t.charCodeAt(i);
      if (sg === 0x2b || sg === 0x2d) i++;
      const s = i;
      while (t.charCodeAt(i) >= 0x30 && t.charCodeAt(i) <= 0x39) i++;
      if (i === s) this.fail('INVALID_JSON', 'bad number', start);
    }
    if (i !== intEnd && this.opts.integersOnly) {
      const text = t.slice(start, Math.min(i, start + 40));
      this.fail('INVALID_JSON', `non-canonical number ${text}${i - start > 40 ? '…' : ''}: only integers are allowed (no fraction, no exponent)`, start);
    }
    this.i = i;
  }

  private literal(word: string): void {
    if (this.t.startsWith(word, this.i)) this.i += word.length;
    else this.fail('INVALID_JSON', 'unexpected token', this.i);
  }

  private key(frame: Frame): void {
    if (this.t.charCodeAt(this.i) !== 0x22) this.fail('INVALID_JSON', 'expected a string key', this.i);
    const at = this.i;
    const k = this.string(true) as string;
    const ks = frame.keys;
    let dup: boolean;
    if (ks === null) {
      frame.keys = [k];
      dup = false;
    } else if (Array.isArray(ks)) {
      dup = ks.includes(k);
      if (!dup) {
        ks.push(k);
        if (ks.length > SMALL) frame.keys = new Set(ks);
      }
    } else {
      dup = ks.has(k);
      ks.add(k);
    }
    if (dup) {
      frame.seg = -1;
      this.fail('DUPLICATE_KEY', `duplicate key ${JSON.stringify(k)}`, at, k);
    }
    frame.seg = k;
    this.ws();
    if (this.t.charCodeAt(this.i) !== 0x3a) this.fail('INVALID_JSON', "expected ':' after key", this.i);
    this.i++;
    this.ws();
  }

  run(): void {
    const t = this.t;
    const n = t.length;
    const maxDepth = this.opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    const stack = this.stack;
    this.ws();
    for (;;) {
      // expecting a value at this.i
      const c = t.charCodeAt(this.i);
      if (c === 0x7b || c === 0x5b) {
        if (stack.length >= maxDepth) this.fail('INVALID_JSON', `nesting deeper than ${maxDepth}`, this.i);
        const obj = c === 0x7b;
        const frame: Frame = { obj, keys: null, seg: obj ? -1 : 0 };
        stack.push(frame);
        this.i++;
        this.ws();
        const d = t.charCodeAt(this.i);
        if (d === (obj ? 0x7d : 0x5d)) {
          stack.pop();
          this.i++;
        } else if (obj) {
          this.key(frame);
          continue;
        } else {
          continue;
        }
      } else if (c === 0x22) {
        this.string(false);
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        this.number();
      } else if (c === 0x74) this.literal('true');
      else if (c === 0x66) this.literal('false');
      else if (c === 0x6e) this.literal('null');
      else this.fail('INVALID_JSON', this.i >= n ? 'unexpected end of input' : 'unexpected character', this.i);
      // after a value: close containers or move to the next member
      for (;;) {
        this.ws();
        const top = stack[stack.length - 1];
        if (top === undefined) {
          if (this.i !== n) this.fail('INVALID_JSON', 'unexpected data after the JSON value', this.i);
          return;
        }
        const d = t.charCodeAt(this.i);
        if (d === 0x2c) {
          this.i++;
          this.ws();
          if (top.obj) this.key(top);
          else top.seg = (top.seg as number) + 1;
          break;
        }
        if (d === (top.obj ? 0x7d : 0x5d)) {
          stack.pop();
          this.i++;
          continue;
        }
        this.fail('INVALID_JSON', this.i >= n ? 'unexpected end of input' : top.obj ? "expected ',' or '}'" : "expected ',' or ']'", this.i);
      }
    }
  }
}

/**
 * A duplicate-key proof running beside `JSON.parse` (shared/json/key-proof.ts): `result()` waits for it
 * (keys proven, or -1); for `{integersOnly}`, `marks()` then gives the canonical-order marks of the
 * containers at depths 0..2 (mark count, then 1 per container in order; undefined: none usable).
 */
export interface KeyProof {
  result(): number;
  marks?(): Int32Array | undefined;
}

/** Starts a KeyProof of `text` elsewhere (another thread), or declines (undefined). */
export type ParallelKeyProver = (text: string, maxDepth: number, integersOnly: boolean) => KeyProof | undefined;

let parallelProver: ParallelKeyProver | undefined;

/**
 * Install (or remove, with undefined) a prover that shows a text holds no duplicate key while
 * `JSON.parse` runs (shared/json/key-proof.ts on a worker: electron/adapters/json-key-prover.ts). Under
 * `{integersOnly}` it also proves every number an integer and hands back the canonical-order marks.
 */
export function setParallelKeyProver(p: ParallelKeyProver | undefined): void {
  parallelProver = p;
}

function tooLarge(size: number, max: number, source?: string): never {
  throw new KeyceremonyError('TOO_LARGE', `${source ? source + ': ' : ''}JSON input is ${size} bytes, more than the ${max}-byte limit.`, {
    where: source ?? '$',
    details: { size, max },
  });
}

/**
 * Parse JSON text strictly (see the module comment). Returns plain JSON values; object keys such as
 * `__proto__` stay ordinary own properties, as with `JSON.parse`.
 */
export function parseStrictJson(text: string, opts: StrictJsonOptions = {}): unknown {
  if (typeof text !== 'string') {
    throw new KeyceremonyError('INVALID_INPUT', 'parseStrictJson expects a string', { where: opts.source ?? '$' });
  }
  const max = opts.maxBytes ?? DEFAULT_MAX_JSON_BYTES;
  if (text.length > max) tooLarge(text.length, max, opts.source);
  if (text.length * 3 > max) {
    const size = utf8Length(text);
    if (size > max) tooLarge(size, max, opts.source);
  }
  // Fast path: native JSON.parse, then prove there were no duplicate keys, no lone surrogates and
  // (integersOnly) no fraction or exponent; anything not proven goes to the scanner, which finds the
  // fault with its path and line:column (or finds none: the value stands).
  const ints = opts.integersOnly === true;
  const proof = parallelProver === undefined ? undefined : parallelProver(text, opts.maxDepth ?? DEFAULT_MAX_DEPTH, ints);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    proof?.result(); // the worker's answer is not needed; collected so the next text may use it
    new Scanner(text, opts).run();
    throw new KeyceremonyError('INVALID_JSON', `${opts.source ? opts.source + ': ' : ''}invalid JSON.`, { where: opts.source ?? '$' });
  }
  // proven beside the parse: no duplicate key, nesting within maxDepth (integersOnly: integers only);
  // lone surrogates here
  if (proof !== undefined && proof.result() >= 0 && !maySurrogate(text)) {
    if (ints) markCanonical(value, proof.marks?.());
    return value;
  }
  if (!provenStrict(text, value, opts)) new Scanner(text, opts).run();
  return value;
}

/**
 * `text` parsed by JSON.parse to `value`: prove it holds no duplicate key (JSON.parse keeps the last
 * one silently) and no lone surrogate, and under `integersOnly` no number with a fraction or an
 * exponent. False means "not proven", never "invalid".
 *
 * Duplicates: every key ends with an unescaped `"`, optional whitespace and `:`. Counting those in
 * the text (a string value starting with ":", or a `\":` inside a string, is a false hit and counts
 * too) and comparing with the keys the parsed objects hold is exact when equal: each duplicate loses
 * one key, each false hit adds one.
 */
function provenStrict(text: string, value: unknown, opts: StrictJsonOptions): boolean {
  if (maySurrogate(text) || inheritsEnumerable()) return false;
  const ints = opts.integersOnly === true;
  const depth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  // the walk first, while the value just built is still warm in the caches
  let held: number;
  numberInArray = typeof value === 'number';
  try {
    if (ints) {
      heldKeys = 0;
      tooDeep = false;
      canonOf(value, depth, 0, true);
      held = tooDeep ? -1 : heldKeys;
    } else {
      held = keysOf(value, depth, 0);
    }
  } catch {
    return false; // the call stack ran out (a maxDepth far above the default): the scanner has its own stack
  }
  if (held < 0) return false;
  // numbers outside objects (array elements, a bare number) are not seen by the key scan
  if (ints && numberInArray && mayHoldNonInteger(text)) return false;
  return countKeyTokens(text, ints) === held;
}

/**
 * The number of key tokens in `text` (with false hits, see provenStrict): one `indexOf(':')` pass that
 * looks back over whitespace for an unescaped `"`. With `ints`, -1 as soon as a member value is a
 * number written with a fraction or an exponent (every member value follows its key's colon).
 */
function countKeyTokens(t: string, ints: boolean): number {
  let n = 0;
  for (let i = t.indexOf(':'); i !== -1; i = t.indexOf(':', i + 1)) {
    let j = i - 1;
    let c = t.charCodeAt(j);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(--j);
    if (c !== 0x22 || !unescapedQuote(t, j)) continue;
    n++;
    if (!ints) continue;
    let k = i + 1;
    c = t.charCodeAt(k);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++k);
    if (c === 0x2d) c = t.charCodeAt(++k);
    if (c >= 0x30 && c <= 0x39) {
      do c = t.charCodeAt(++k);
      while (c >= 0x30 && c <= 0x39);
      if (c === 0x2e || c === 0x65 || c === 0x45) return -1;
    }
  }
  return n;
}

function unescapedQuote(t: string, q: number): boolean {
  let b = 0;
  for (let i = q - 1; i >= 0 && t.charCodeAt(i) === 0x5c; i--) b++;
  return (b & 1) === 0;
}

/**
 * A number token with a fraction or an exponent starts right after `:`, `,` or `[` (or the start of the
 * text) and whitespace: `[:,[]\s*-?\d+[.eE]`. One regex test over the text (linear, ~1 ms per MB), only
 * when the parsed value holds numbers outside objects; strings holding such a sequence (", 1.5") are rare
 * false hits that send the text to the scanner, which decides exactly.
 */
const MAY_HOLD_NON_INTEGER = /(?:^|[:,[])[ \t\n\r]*-?[0-9]+[.eE]/;

function mayHoldNonInteger(t: string): boolean {
  return MAY_HOLD_NON_INTEGER.test(t);
}

/**
 * A raw surrogate or a \uD800-\uDFFF escape (or a literal "\\ud8.." — a false hit, harmless). The
 * character class alone is one fast scan; the escape pattern only runs when the text has a `\u`.
 */
const RAW_SURROGATE = /[\uD800-\uDFFF]/;
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
function maySurrogate(t: string): boolean {
  return RAW_SURROGATE.test(t) || (t.includes('\\u') && ESCAPED_SURROGATE.test(t));
}

/** The walks below use for-in, which also lists enumerable properties inherited from Object.prototype. */
function inheritsEnumerable(): boolean {
  for (const _ in {}) return true;
  return false;
}

type Obj = Record<string, unknown>;

/**
 * Objects at levels below this are walked by a for-in loop of their own (the two identical loops in
 * keysIn and canonIn). Large parsed objects (a targets or snapshot map) are dictionaries in V8, which
 * make a for-in loop generic; kept apart, they leave the loop over the hundreds of thousands of small
 * objects below them fast.
 */
const TOP_LEVELS = 3;

/**
 * Keys held by the objects of a parsed value; -Infinity (which every sum keeps) when nesting exceeds
 * `depth` more levels: the scanner reports it. No allocation: a garbage collection while the freshly
 * parsed value is alive would have to copy it.
 */
function keysIn(y: object, depth: number, level: number): number {
  if (depth <= 0) return -Infinity;
  let n = 0;
  if (Array.isArray(y)) {
    for (let i = 0; i < y.length; i++) n += keysOf(y[i], depth - 1, level + 1);
  } else if (level < TOP_LEVELS) {
    for (const k in y) n += keysOf((y as Obj)[k], depth - 1, level + 1) + 1;
  } else {
    for (const k in y) n += keysOf((y as Obj)[k], depth - 1, level + 1) + 1;
  }
  return n;
}

/** keysIn of a member or element: 0 for a leaf (small enough to inline: no call per leaf). */
function keysOf(x: unknown, depth: number, level: number): number {
  return typeof x === 'object' && x !== null ? keysIn(x, depth, level) : 0;
}

/**
 * Objects (the top two levels) of values returned by parseStrictJson(…, {integersOnly}) whose whole subtree is already in
 * canonical order: keys sorted, integers only. canonicalize() may then skip its own ordering pass when
 * asked to (`assumeParsedOrder`), which only callers that never mutate parsed values do (the verifier).
 */
export const PARSED_IN_CANONICAL_ORDER = new WeakSet<object>();
const MARK_DEPTH = 2;

/** Walk state of canonIn (one synchronous walk at a time). */
let heldKeys = 0;
let numberInArray = false;
let tooDeep = false;

/**
 * The {integersOnly} walk: counts keys into heldKeys, flags numbers in arrays and nesting beyond
 * `depth` (tooDeep), marks the containers of the top levels whose subtree is in canonical order, and
 * returns whether this one is. `check` false: nothing needs the order of this subtree any more (its
 * nearest markable ancestor is already out of order), only its keys.
 */
function canonIn(y: object, depth: number, level: number, check: boolean): boolean {
  if (depth <= 0) {
    tooDeep = true;
    return false;
  }
  let canon = check;
  const c = level < MARK_DEPTH;
  if (Array.isArray(y)) {
    for (let i = 0; i < y.length; i++) {
      const x: unknown = y[i];
      if (typeof x === 'number') numberInArray = true;
      canon = canonOf(x, depth - 1, level + 1, canon || c) && canon;
    }
  } else {
    let prev: string | undefined;
    let n = 0;
    if (level < TOP_LEVELS) {
      for (const k in y) {
        canon = canonOf((y as Obj)[k], depth - 1, level + 1, canon || c) && canon && (n === 0 || (prev as string) < k);
        prev = k;
        n++;
      }
    } else {
      for (const k in y) {
        canon = canonOf((y as Obj)[k], depth - 1, level + 1, canon || c) && canon && (n === 0 || (prev as string) < k);
        prev = k;
        n++;
      }
    }
    heldKeys += n;
  }
  if (canon && level <= MARK_DEPTH) PARSED_IN_CANONICAL_ORDER.add(y);
  return canon;
}

/**
 * The canonical-order marks a parallel proof handed back (KeyProof.marks): the containers at levels
 * 0..MARK_DEPTH in document order (pre-order), as the proof numbered them, marked where it found the
 * whole subtree in order — what canonIn would have marked. No marks when they are not usable (an
 * array-index key reorders a for-in, see key-proof.ts), when Object.prototype has enumerable
 * properties, or when the count differs from the value's: canonicalize() then orders by itself.
 */
function markCanonical(value: unknown, marks: Int32Array | undefined): void {
  if (marks === undefined || inheritsEnumerable()) return;
  const found: object[] = [];
  const visit = (x: unknown, level: number): void => {
    if (typeof x !== 'object' || x === null) return;
    found.push(x);
    if (level === MARK_DEPTH) return;
    if (Array.isArray(x)) for (let i = 0; i < x.length; i++) visit(x[i], level + 1);
    else for (const k in x) visit((x as Obj)[k], level + 1);
  };
  visit(value, 0);
  if (found.length !== marks[0]) return;
  for (let k = 0; k < found.length; k++) if (marks[1 + k] === 1) PARSED_IN_CANONICAL_ORDER.add(found[k] as object);
}

/** canonIn of a member or element: a leaf is in order unless it is a number but no safe integer. */
function canonOf(x: unknown, depth: number, level: number, check: boolean): boolean {
  if (typeof x === 'object' && x !== null) return canonIn(x, depth, level, check);
  return typeof x !== 'number' || Number.isSafeInteger(x);
}

/** Parse UTF-8 bytes strictly: invalid UTF-8 and a leading BOM are INVALID_JSON. */
export function parseStrictJsonBytes(bytes: Uint8Array, opts: StrictJsonOptions = {}): unknown {
  const max = opts.maxBytes ?? DEFAULT_MAX_JSON_BYTES;
  if (bytes.length > max) tooLarge(bytes.length, max, opts.source);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    throw new KeyceremonyError('INVALID_JSON', `${opts.source ? opts.source + ': ' : ''}input is not valid UTF-8.`, {
      where: opts.source ?? '$',
      cause: e,
    });
  }
  return parseStrictJson(text, { ...opts, maxBytes: Math.max(max, bytes.length) });
}

/**
 * The Shamir envelope around an AES-256 KEK: split into m-of-n shares, check shares, recombine,
 * prove a set reconstructs, re-split. Pure (WebCrypto + two Shamir libraries); nothing here writes
 * anything anywhere. KEK bytes live only in the Uint8Arrays passed in and out; every intermediate
 * secret array we hold is zeroed.
 *
 * Two share formats (share.ts), one library each, chosen by the share's version:
 * - v2 (every new set): the audited `shamir-secret-sharing` (Cure53, Zellic; zero dependencies). It
 *   works on Uint8Arrays only, never strings; a share is the 32 y-bytes followed by one x byte, x drawn
 *   by the library from 1..255. Its per-byte polynomial coefficients are typed arrays it does not zero
 *   (garbage-collected; docs/backup.md). m = 1 (which it refuses) is the degree-0 polynomial: every
 *   share's y-bytes are the KEK, x = index.
 * - v1 (sets made before): `shamirs-secret-sharing`, whose share layout we strip to the 32 bytes that
 *   carry information (below) and whose internals turn secrets into hex/binary JS strings that cannot
 *   be zeroed. Only combining is done with it now: v1 sets keep recovering; no new v1 set is made.
 * Measured (npm run bench -- shamir, same run): the new library splits 20-80x and combines 300-2500x
 * faster on a 32-byte KEK.
 */
import sss from 'shamirs-secret-sharing';
import { split as sssSplit, combine as sssCombine } from 'shamir-secret-sharing';
import { KeyceremonyError } from '../../../shared/errors';
import { bytesEqual, concatBytes, toHex, utf8, zeroize } from '../../../shared/encoding/bytes';
import { BODY_PLAIN, BODY_PROTECTED, headerBytes, MAX_SHARES, SHARE_VERSION, type Share } from './share';

export const KEK_BYTES = 32;
/** Combine every m-subset literally when there are at most this many; otherwise a random sample. */
export const EXHAUSTIVE_LIMIT = 500;
export const SAMPLE_SIZE = 100;
export const PBKDF2_ITERATIONS = 600_000;

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new KeyceremonyError('INTERNAL', 'WebCrypto is not available in this runtime');
  return c.subtle;
}
const ab = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return b;
}

/** A fresh AES-256 KEK from the platform CSPRNG. */
export function generateKek(): Uint8Array {
  return randomBytes(KEK_BYTES);
}

/** Classic AES key check value: AES-ECB(KEK, 0^16), first 3 bytes, hex. (CBC with a zero IV = ECB for one block.) */
export async function kekCheckValue(kek: Uint8Array): Promise<string> {
  if (kek.length !== KEK_BYTES) throw new KeyceremonyError('INVALID_KEY', 'the KEK must be 32 bytes (AES-256)');
  const raw = kek.slice();
  try {
    const key = await subtle().importKey('raw', raw.buffer as ArrayBuffer, { name: 'AES-CBC' }, false, ['encrypt']);
    const out = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, key, new Uint8Array(16)));
    return toHex(out.subarray(0, 3));
  } finally {
    raw.fill(0);
  }
}

// ---- v1: shamirs-secret-sharing's share layout, stripped to the 32 secret-bearing bytes ----
// shamirs-secret-sharing 2.0.1 encodes each secret byte as a 16-bit "character" behind a 1-bit
// marker, padded to 640 bits: a share is 0x08, x, then 80 bytes where byte 15 is the marker (its
// polynomial is the constant 1), bytes 16+2k are constant 0 and bytes 17+2k carry secret byte 31-k.
// The constant positions carry no information (constant polynomials), so a share keeps only the 32
// bytes at 17+2k and recovery puts the constants back. checkLibraryLayout() proves this at run time.
const LIB_LEN = 82;
function unstrip(x: number, body: Uint8Array): Uint8Array {
  const r = new Uint8Array(LIB_LEN);
  r[0] = 0x08;
  r[1] = x;
  r[2 + 15] = 1;
  for (let k = 0; k < BODY_PLAIN; k++) r[2 + 17 + 2 * k] = body[k] as number;
  return r;
}
let layoutChecked = false;
/** Threshold-1 shares are the encoded secret itself: check the layout on a non-secret pattern. */
export function checkLibraryLayout(): void {
  if (layoutChecked) return;
  const pattern = new Uint8Array(KEK_BYTES).map((_, i) => 0xa0 + i);
  const [s] = sss.split(pattern, { shares: 1, threshold: 1 });
  const ok =
    !!s &&
    s.length === LIB_LEN &&
    s[0] === 0x08 &&
    s[1] === 1 &&
    s[17] === 1 &&
    Array.from({ length: 15 }, (_, i) => s[2 + i]).every((v) => v === 0) &&
    Array.from({ length: KEK_BYTES }, (_, k) => s[2 + 16 + 2 * k] === 0 && s[2 + 17 + 2 * k] === pattern[KEK_BYTES - 1 - k]).every(Boolean);
  if (!ok) throw new KeyceremonyError('INTERNAL', 'shamirs-secret-sharing share layout changed: refusing to split or combine');
  layoutChecked = true;
}

/** v1: combine with shamirs-secret-sharing (x = index). */
function v1Combine(points: readonly { x: number; body: Uint8Array }[]): Uint8Array {
  const libShares = points.map((p) => unstrip(p.x, p.body));
  try {
    const out = sss.combine(libShares);
    const kek = new Uint8Array(KEK_BYTES);
    // the library returns the secret; anything of another length is a wrong combination
    if (out.length === KEK_BYTES) kek.set(out);
    else kek.fill(0xff);
    out.fill(0);
    return kek;
  } finally {
    libShares.forEach((s) => s.fill(0));
  }
}

/** v2: combine with shamir-secret-sharing; one point is the degree-0 polynomial (m = 1). */
async function v2Combine(points: readonly { x: number; body: Uint8Array }[]): Promise<Uint8Array> {
  if (points.length === 1) return (points[0] as { body: Uint8Array }).body.slice();
  const libShares = points.map((p) => {
    const b = new Uint8Array(KEK_BYTES + 1);
    b.set(p.body.subarray(0, KEK_BYTES));
    b[KEK_BYTES] = p.x;
    return b;
  });
  try {
    const out = await sssCombine(libShares);
    const kek = new Uint8Array(KEK_BYTES);
    if (out.length === KEK_BYTES) kek.set(out);
    else kek.fill(0xff); // a wrong combination; the KEK check value will say so
    out.fill(0);
    return kek;
  } catch (e) {
    // the library refuses two points with the same x: a share repeated under another index
    throw new KeyceremonyError('SHARE_DUPLICATE', `two of these shares are the same point of the polynomial: ${(e as Error).message}`, {
      where: 'shares',
      cause: e,
    });
  } finally {
    libShares.forEach((s) => s.fill(0));
  }
}

/** Combine points of one set with the library of its share format. */
async function libCombine(version: number, points: readonly { x: number; body: Uint8Array }[]): Promise<Uint8Array> {
  if (version === 1) {
    checkLibraryLayout();
    return v1Combine(points);
  }
  return v2Combine(points);
}

/** Combine plain points WITHOUT any check (tests: prove m-1 points do not reconstruct). */
export async function combineUnchecked(points: readonly { x: number; body: Uint8Array }[], version: number = SHARE_VERSION): Promise<Uint8Array> {
  return libCombine(version, points);
}

export function newSetId(avoid: readonly string[] = []): string {
  for (;;) {
    const id = toHex(randomBytes(3));
    if (!avoid.includes(id)) return id;
  }
}

export interface SplitOptions {
  m: number;
  n: number;
  /** Names by index-1; optional. */
  custodians?: readonly string[];
  /** New set id (6 hex); random if absent. */
  setId?: string;
  /** Set ids this split must not reuse (re-split). */
  avoidSetIds?: readonly string[];
}

/** Split a 32-byte KEK into n shares, m needed. Shares are plain; protect them with protectShare. */
export async function splitKek(kek: Uint8Array, opts: SplitOptions): Promise<{ setId: string; kcv: string; shares: Share[] }> {
  const { m, n } = opts;
  if (kek.length !== KEK_BYTES) throw new KeyceremonyError('INVALID_KEY', 'the KEK must be 32 bytes (AES-256)');
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_SHARES)) {
    throw new KeyceremonyError('INVALID_INPUT', `n (number of shares) must be 1..${MAX_SHARES}`, { where: 'n' });
  }
  if (!(Number.isInteger(m) && m >= 1 && m <= n)) throw new KeyceremonyError('INVALID_INPUT', 'm (shares needed) must be 1..n', { where: 'm' });
  if (opts.custodians && opts.custodians.length !== n) {
    throw new KeyceremonyError('INVALID_INPUT', `give ${n} custodian names (one per share), got ${opts.custodians.length}`, { where: 'custodians' });
  }
  const setId = opts.setId ?? newSetId(opts.avoidSetIds);
  if (!/^[0-9a-f]{6}$/.test(setId)) throw new KeyceremonyError('INVALID_INPUT', 'set id must be 6 hex digits', { where: 'setId' });
  const kcv = await kekCheckValue(kek);
  // format 2: shamir-secret-sharing (n >= 2, m >= 2); m = 1 is the degree-0 polynomial (y = KEK)
  let points: { x: number; body: Uint8Array }[];
  if (m === 1) points = Array.from({ length: n }, (_, i) => ({ x: i + 1, body: kek.slice() }));
  else {
    const lib = await sssSplit(kek, n, m);
    points = lib.map((ls) => {
      if (ls.length !== KEK_BYTES + 1 || ls[KEK_BYTES] === 0) throw new KeyceremonyError('INTERNAL', 'unexpected shamir-secret-sharing share layout');
      const p = { x: ls[KEK_BYTES] as number, body: ls.slice(0, KEK_BYTES) };
      ls.fill(0);
      return p;
    });
  }
  if (new Set(points.map((p) => p.x)).size !== n) throw new KeyceremonyError('INTERNAL', 'shamir-secret-sharing returned two shares with the same x');
  const shares: Share[] = points.map(({ x, body }, i) => {
    const s: Share = { version: SHARE_VERSION, setId, m, n, index: i + 1, x, kcv, protected: false, body };
    const name = opts.custodians?.[i];
    if (name !== undefined) s.custodian = name;
    return s;
  });
  // self-check before anyone sees a share: the set proves to reconstruct this KEK
  const check = await proveSet(shares, kek);
  if (!check) {
    shares.forEach((s) => zeroize(s.body));
    throw new KeyceremonyError('INTERNAL', 'the fresh shares did not reconstruct the KEK; nothing was written');
  }
  return { setId, kcv, shares };
}

/**
 * Prove that all given (plain, same-set) shares lie on one polynomial of degree < m whose value at 0
 * is `kek`: the base subset (first m) reconstructs it, and each other share, swapped in for one base
 * share, reconstructs it too. Then EVERY m-subset reconstructs the KEK (m points fix the polynomial).
 */
async function proveSet(shares: readonly Share[], kek: Uint8Array): Promise<boolean> {
  const { m, version } = shares[0] as Share;
  const pts = shares.map((s) => ({ x: s.x, body: s.body }));
  const base = pts.slice(0, m);
  const first = await libCombine(version, base);
  let ok = bytesEqual(first, kek);
  zeroize(first);
  for (const p of pts.slice(m)) {
    const k = await libCombine(version, [...base.slice(1), p]);
    ok = bytesEqual(k, kek) && ok;
    zeroize(k);
  }
  return ok;
}

export interface LabeledShare {
  share: Share;
  /** How errors name this share: "share file alice.txt", "share 2 (prompt)". */
  label: string;
}

export interface SetExpectation {
  setId: string;
  kcv: string;
  m: number;
  n: number;
  /** Names by index-1 (from the backup file); compared when a share names its custodian. */
  custodians?: readonly string[];
}

/**
 * Check set membership and duplicates BEFORE combining. Each error names the share.
 * With no expectation, the first share defines the set.
 */
export function checkMembership(items: readonly LabeledShare[], expect?: SetExpectation): SetExpectation {
  if (items.length === 0) throw new KeyceremonyError('SHARES_INSUFFICIENT', 'no shares were given', { where: 'shares' });
  const first = (items[0] as LabeledShare).share;
  const set: SetExpectation = expect ?? { setId: first.setId, kcv: first.kcv, m: first.m, n: first.n };
  const seen = new Map<number, string>();
  const version = first.version;
  for (const { share: s, label } of items) {
    if (s.version !== version) {
      throw new KeyceremonyError(
        'SHARE_FOREIGN',
        `${label} is a share of format ${s.version}, the others of format ${version}: shares of one set share one format`,
        {
          where: label,
        },
      );
    }
    if (s.setId !== set.setId) {
      throw new KeyceremonyError(
        'SHARE_FOREIGN',
        `${label} belongs to share set ${s.setId}, not to set ${set.setId}${expect ? ' recorded in the backup file' : ''}; it cannot be combined with these shares`,
        { where: label, details: { shareSet: s.setId, expectedSet: set.setId } },
      );
    }
    if (s.kcv !== set.kcv || s.m !== set.m || s.n !== set.n) {
      throw new KeyceremonyError(
        'SHARE_FOREIGN',
        `${label} says ${s.m}-of-${s.n} with KEK check ${s.kcv}, the set is ${set.m}-of-${set.n} with KEK check ${set.kcv}`,
        {
          where: label,
        },
      );
    }
    const prev = seen.get(s.index);
    if (prev !== undefined) {
      throw new KeyceremonyError('SHARE_DUPLICATE', `${label} is share ${s.index} again (already given as ${prev}); each share counts once`, {
        where: label,
        details: { index: s.index },
      });
    }
    seen.set(s.index, label);
    const recorded = set.custodians?.[s.index - 1];
    if (recorded !== undefined && s.custodian !== undefined && s.custodian !== recorded) {
      throw new KeyceremonyError('SHARE_FOREIGN', `${label} names custodian "${s.custodian}", the backup file records "${recorded}" for share ${s.index}`, {
        where: label,
      });
    }
  }
  return set;
}

/**
 * Reconstruct the KEK from at least m plain shares of one set (any order). Checks membership and
 * duplicates first; refuses fewer than m; checks the result against the KEK check value; shares
 * beyond m must be consistent with the rest (the inconsistent one is named).
 */
export async function combineShares(items: readonly LabeledShare[], expect?: SetExpectation): Promise<Uint8Array> {
  const set = checkMembership(items, expect);
  for (const { share, label } of items) {
    if (share.protected) throw new KeyceremonyError('PRECONDITION_FAILED', `${label} is passphrase-protected: unlock it first`, { where: label });
  }
  if (items.length < set.m) {
    throw new KeyceremonyError(
      'SHARES_INSUFFICIENT',
      `${set.m} shares of set ${set.setId} are needed, ${items.length} given (${items.map((i) => `share ${i.share.index}`).join(', ')})`,
      { where: 'shares', details: { needed: set.m, given: items.length } },
    );
  }
  const version = (items[0] as LabeledShare).share.version;
  const pts = items.map((i) => ({ x: i.share.x, body: i.share.body }));
  const base = pts.slice(0, set.m);
  const kek = await libCombine(version, base);
  if ((await kekCheckValue(kek)) !== set.kcv) {
    zeroize(kek);
    throw new KeyceremonyError(
      'KEK_MISMATCH',
      `shares ${items
        .slice(0, set.m)
        .map((i) => i.label)
        .join(', ')} passed their checksums but do not reconstruct the KEK (check value differs): one of them was altered or made up`,
      { where: 'shares' },
    );
  }
  for (let i = set.m; i < pts.length; i++) {
    const k = await libCombine(version, [...base.slice(1), pts[i] as { x: number; body: Uint8Array }]);
    const same = bytesEqual(k, kek);
    zeroize(k);
    if (!same) {
      zeroize(kek);
      const label = (items[i] as LabeledShare).label;
      throw new KeyceremonyError('KEK_MISMATCH', `${label} passed its checksum but does not fit the other shares`, { where: label });
    }
  }
  return kek;
}

export interface VerifyReport {
  setId: string;
  m: number;
  n: number;
  kcv: string;
  /** Indices checked (integrity + membership + lies on the set's polynomial). */
  verified: number[];
  /** Indices 1..n not given. */
  missing: number[];
  /** m-subsets literally combined and checked against the KEK check value. */
  subsetsCombined: number;
  subsetsTotal: number;
  exhaustive: boolean;
  /** True when every given share lies on the polynomial: every m-subset of them reconstructs. */
  everySubsetReconstructs: boolean;
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Every k-subset of 0..n-1 (indices in increasing order), in lexicographic order. */
export function* combinations(n: number, k: number): Generator<number[]> {
  const c = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield c.slice();
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i] = (c[i] as number) + 1;
    for (let j = i + 1; j < k; j++) c[j] = (c[j - 1] as number) + 1;
  }
}

/**
 * Verify-every-share: each share's integrity (checksum, already checked when decoding) and set
 * membership; then the set reconstructs: the consistency proof covers every m-subset, and m-subsets
 * are also combined literally (all of them when C(n,m) <= EXHAUSTIVE_LIMIT, otherwise SAMPLE_SIZE random
 * ones). The KEK exists only in memory and is zeroed; nothing is written.
 */
export async function verifyEveryShare(items: readonly LabeledShare[], expect?: SetExpectation): Promise<VerifyReport> {
  const kek = await combineShares(items, expect); // membership, duplicates, >= m, KCV, consistency of extras
  try {
    const set = checkMembership(items, expect);
    const version = (items[0] as LabeledShare).share.version;
    const pts = items.map((i) => ({ x: i.share.x, body: i.share.body }));
    const total = binom(pts.length, set.m);
    const exhaustive = total <= EXHAUSTIVE_LIMIT;
    let combined = 0;
    const check = async (idx: number[]) => {
      const k = await libCombine(
        version,
        idx.map((i) => pts[i] as { x: number; body: Uint8Array }),
      );
      const same = bytesEqual(k, kek);
      zeroize(k);
      combined++;
      if (!same) {
        throw new KeyceremonyError('KEK_MISMATCH', `shares ${idx.map((i) => (items[i] as LabeledShare).label).join(', ')} do not reconstruct the KEK`, {
          where: 'shares',
        });
      }
    };
    if (exhaustive) {
      for (const c of combinations(pts.length, set.m)) await check(c);
    } else {
      for (let t = 0; t < SAMPLE_SIZE; t++) {
        const idx = Array.from({ length: pts.length }, (_, i) => i);
        const r = randomBytes(pts.length * 4);
        for (let i = idx.length - 1; i > 0; i--) {
          const j = (((r[i * 4] as number) << 24) | ((r[i * 4 + 1] as number) << 16) | ((r[i * 4 + 2] as number) << 8) | (r[i * 4 + 3] as number)) >>> 0;
          const jj = j % (i + 1);
          [idx[i], idx[jj]] = [idx[jj] as number, idx[i] as number];
        }
        await check(idx.slice(0, set.m).sort((a, b) => a - b));
      }
    }
    const given = new Set(items.map((i) => i.share.index));
    return {
      setId: set.setId,
      m: set.m,
      n: set.n,
      kcv: set.kcv,
      verified: [...given].sort((a, b) => a - b),
      missing: Array.from({ length: set.n }, (_, i) => i + 1).filter((i) => !given.has(i)),
      subsetsCombined: combined,
      subsetsTotal: total,
      exhaustive,
      everySubsetReconstructs: true,
    };
  } finally {
    zeroize(kek);
  }
}

/** Re-split: the same KEK, a new set id, new m'-of-n'. Old shares + old backup file still recover. */
export async function resplit(kek: Uint8Array, opts: SplitOptions & { oldSetId: string }): Promise<{ setId: string; kcv: string; shares: Share[] }> {
  return splitKek(kek, { ...opts, avoidSetIds: [opts.oldSetId, ...(opts.avoidSetIds ?? [])] });
}

// ---- per-custodian passphrase protection ----
const SALT_PREFIX = utf8('keyceremony share passphrase v1');

async function passphraseKey(passphrase: Uint8Array, salt: Uint8Array): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', ab(passphrase), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: ab(concatBytes(SALT_PREFIX, salt)), iterations: PBKDF2_ITERATIONS },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Normalise a passphrase (NFKC, UTF-8) so the same words typed on another machine match. */
export function passphraseBytes(p: string): Uint8Array {
  return utf8(p.normalize('NFKC'));
}

/**
 * Protect a share with a custodian's passphrase: PBKDF2-SHA256 (600k) -> AES-256-GCM (64-bit tag),
 * header as additional data, 8-byte random salt; the key is unique per salt so the nonce is fixed.
 */
export async function protectShare(s: Share, passphrase: Uint8Array): Promise<Share> {
  if (s.protected) throw new KeyceremonyError('PRECONDITION_FAILED', `share ${s.index} is already passphrase-protected`, { where: `share ${s.index}` });
  if (passphrase.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'the passphrase is empty', { where: `share ${s.index}` });
  const out: Share = { ...s, protected: true };
  const salt = randomBytes(8);
  const key = await passphraseKey(passphrase, concatBytes(salt, headerBytes(out)));
  const ct = new Uint8Array(
    await subtle().encrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: ab(headerBytes(out)), tagLength: 64 }, key, ab(s.body)),
  );
  out.body = concatBytes(salt, ct);
  if (out.body.length !== BODY_PROTECTED) throw new KeyceremonyError('INTERNAL', 'protected share has the wrong length');
  return out;
}

/** Unlock a protected share. A wrong passphrase (or an altered share) is refused, naming the share. */
export async function unprotectShare(s: Share, passphrase: Uint8Array, label: string): Promise<Share> {
  if (!s.protected) return s;
  const salt = s.body.subarray(0, 8);
  const key = await passphraseKey(passphrase, concatBytes(salt, headerBytes(s)));
  let pt: Uint8Array;
  try {
    pt = new Uint8Array(
      await subtle().decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: ab(headerBytes(s)), tagLength: 64 }, key, ab(s.body.subarray(8))),
    );
  } catch {
    throw new KeyceremonyError('SHARE_INVALID', `${label}: wrong passphrase (or the share was altered)`, { where: label });
  }
  const out: Share = { ...s, protected: false, body: pt };
  return out;
}

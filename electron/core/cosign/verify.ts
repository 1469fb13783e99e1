/**
 * Verifier for what we produce and for real cosign data, key-based: no Fulcio certificate chain, no
 * identity, no SCT and no RFC 3161 timestamp is checked — say so to the user. A bundle's certificate,
 * if it has one, must hold the verifying key. Transparency-log entries must be about this bundle
 * (./tlog.ts); with a trusted root their SET / inclusion proof are verified too.
 *
 * - Simple signing: signature over the exact payload bytes under the key; the payload's manifest
 *   digest must equal the image digest asked about and sha256(manifest) when a manifest is given.
 * - Bundles: messageSignature — signature over the artifact AND messageDigest == hash(artifact)
 *   (sigstore-js skips that comparison when there is no tlog entry); DSSE — exactly one signature,
 *   over PAE(payloadType, payload), payloadType must be in-toto, and the artifact (if given) must be
 *   a subject of the statement.
 * - m-of-n: count distinct allowed keys with a valid bundle over the same artifact / image.
 */
import { KeyceremonyError, isKeyceremonyError } from '../../../shared/errors';
import { sha256, sha256Hex, sha384, sha512, verifySignature } from '../../../shared/crypto/webcrypto';
import { bytesEqual, fromBase64, toBase64, toHex } from '../../../shared/encoding/bytes';
import { parseSimpleSigningPayload, claimsMatchReference, type SimpleSigningClaims } from '../../../shared/cosign/simple-signing';
import { parseImageReference, type ImageReference } from '../../../shared/cosign/reference';
import { parseBundle, type ParsedBundle, type HashAlgorithmName } from '../../../shared/cosign/bundle';
import { IN_TOTO_PAYLOAD_TYPE, pae } from '../../../shared/dsse';
import { parseStatement } from '../../../shared/cosign/intoto';
import { verifyAlgorithmsFor } from '../../../shared/cosign/keys';
import type { TrustedRoot } from '../../../shared/cosign/trusted-root';
import { parseCertificate } from '../../../shared/notary/x509';
import { checkTlogEntries, type TlogCheck } from './tlog';

export interface VerifyResult {
  valid: boolean;
  /** Why it failed (one sentence), or what was checked when valid. */
  reason: string;
  /** Fingerprint (sha256 hex of SPKI) of the key that verified. */
  keyFingerprint?: string;
  claims?: SimpleSigningClaims;
  statement?: { type: string; predicateType: string; subject: { name: string; digest: { sha256: string } }[] };
  /** What was checked of the bundle's transparency-log entries (bundles only). */
  tlog?: TlogCheck;
}

const fail = (reason: string, extra: Partial<VerifyResult> = {}): VerifyResult => ({ valid: false, reason, ...extra });

async function sigValid(spki: Uint8Array, data: Uint8Array, sig: Uint8Array, digest?: HashAlgorithmName): Promise<boolean> {
  let algs;
  try {
    algs = verifyAlgorithmsFor(spki, digest);
  } catch (e) {
    // a key type we do not implement: say so (the signature was not checked), never "does not verify"
    if (isKeyceremonyError(e) && e.code === 'ALGORITHM_UNSUPPORTED') {
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `unsupported key type: ${e.message}; the signature was not checked.`, {
        where: 'public key',
        cause: e,
      });
    }
    return false;
  }
  for (const a of algs) {
    try {
      if (await verifySignature(spki, a, data, sig)) return true;
    } catch (e) {
      // The SPKI parsed but the platform rejects the key material (e.g. a point not on the curve).
      throw new KeyceremonyError('INVALID_KEY', `The public key is not a usable ${a} key: ${(e as Error).message}.`, { where: 'public key', cause: e });
    }
  }
  return false;
}

function decodeSig(sig: Uint8Array | string): Uint8Array | null {
  if (typeof sig !== 'string') return sig;
  try {
    const b = fromBase64(sig.trim());
    return b.length > 0 ? b : null;
  } catch {
    return null;
  }
}

/** Verify a cosign simple-signing signature (payload + base64 signature) against a public key. */
export async function verifySimpleSigning(opts: {
  spki: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array | string;
  image?: ImageReference | string;
  manifest?: Uint8Array;
}): Promise<VerifyResult> {
  const sig = decodeSig(opts.signature);
  if (!sig) return fail('the signature is not base64');
  const fp = await sha256Hex(opts.spki);
  if (!(await sigValid(opts.spki, opts.payload, sig))) {
    return fail(`the signature does not verify with key ${fp.slice(0, 16)}… over the payload bytes (wrong key, or payload/signature changed)`);
  }
  let claims: SimpleSigningClaims;
  try {
    claims = parseSimpleSigningPayload(opts.payload);
  } catch (e) {
    return fail(isKeyceremonyError(e) ? e.message : String(e));
  }
  if (opts.image !== undefined) {
    let ref: ImageReference;
    try {
      ref = typeof opts.image === 'string' ? parseImageReference(opts.image, '--image') : opts.image;
    } catch (e) {
      return fail(isKeyceremonyError(e) ? e.message : String(e));
    }
    const mismatch = claimsMatchReference(claims, ref);
    if (mismatch) return fail(mismatch, { claims });
  }
  if (opts.manifest !== undefined) {
    const actual = `sha256:${await sha256Hex(opts.manifest)}`;
    if (actual !== claims.manifestDigest) {
      return fail(`the manifest's digest is ${actual} but the payload signs ${claims.manifestDigest}`, { claims });
    }
  }
  return {
    valid: true,
    reason: `signature by key ${fp} over ${claims.dockerReference}@${claims.manifestDigest}`,
    keyFingerprint: fp,
    claims,
  };
}

async function hashWith(alg: HashAlgorithmName, data: Uint8Array): Promise<Uint8Array> {
  return alg === 'SHA2_384' ? sha384(data) : alg === 'SHA2_512' ? sha512(data) : sha256(data);
}

export interface BundleVerifyOptions {
  spki: Uint8Array;
  bundle: Uint8Array | unknown;
  artifact?: Uint8Array;
  image?: ImageReference | string;
  allowedPayloadTypes?: string[];
  /** Sigstore trusted root: verify the log entries' SET / inclusion proof with its tlog keys. */
  trustedRoot?: TrustedRoot;
  /** The time the log entries must not be later than (default: now). */
  now?: Date;
}

/**
 * Verify one bundle (bytes, JSON, or parsed) against a key; `artifact` = the signed blob / DSSE
 * subject. The signature first, then the certificate's key, then the transparency-log entries.
 */
export async function verifyBundle(opts: BundleVerifyOptions): Promise<VerifyResult> {
  let b: ParsedBundle;
  try {
    b = isParsed(opts.bundle) ? opts.bundle : parseBundle(opts.bundle);
  } catch (e) {
    return fail(isKeyceremonyError(e) ? e.message : String(e));
  }
  const res = await verifyContent(b, opts);
  if (!res.valid) return res;
  if (b.leafCertificate) {
    let certSpki: Uint8Array;
    try {
      certSpki = parseCertificate(b.leafCertificate).spki;
    } catch (e) {
      return fail(`the bundle's certificate is not readable: ${isKeyceremonyError(e) ? e.message : String(e)}`);
    }
    if (!bytesEqual(certSpki, opts.spki))
      return fail("the bundle's certificate holds another public key than the one given: the bundle claims a different signer");
  }
  const t = await checkTlogEntries(
    { bundle: b, spki: opts.spki, ...(b.leafCertificate ? { leafCert: b.leafCertificate } : {}) },
    {
      ...(opts.trustedRoot ? { trustedRoot: opts.trustedRoot } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    },
  );
  if (!t.ok) return fail(t.reason, { ...(res.keyFingerprint ? { keyFingerprint: res.keyFingerprint } : {}) });
  return { ...res, tlog: t.check };
}

async function verifyContent(b: ParsedBundle, opts: BundleVerifyOptions): Promise<VerifyResult> {
  const fp = await sha256Hex(opts.spki);
  const c = b.content;
  if (c.kind === 'messageSignature') {
    if (!opts.artifact) return fail('a messageSignature bundle is checked against its artifact: pass the artifact (--artifact)');
    const digest = await hashWith(c.digestAlgorithm, opts.artifact);
    if (!bytesEqual(digest, c.digest)) {
      return fail(
        `messageDigest in the bundle (${toHex(c.digest).slice(0, 16)}…) is not the ${c.digestAlgorithm} of the artifact (${toHex(digest).slice(0, 16)}…)`,
      );
    }
    if (!(await sigValid(opts.spki, opts.artifact, c.signature, c.digestAlgorithm))) {
      return fail(`the bundle's signature does not verify with key ${fp.slice(0, 16)}… over the artifact`);
    }
    const res: VerifyResult = { valid: true, reason: `messageSignature by key ${fp} over the artifact`, keyFingerprint: fp };
    // A bundle over a simple-signing payload: check the image too when asked.
    if (opts.image !== undefined) {
      const r = await verifySimpleSigning({ spki: opts.spki, payload: opts.artifact, signature: c.signature, image: opts.image });
      if (!r.valid) return r;
      if (r.claims) res.claims = r.claims;
    }
    return res;
  }
  const allowed = opts.allowedPayloadTypes ?? [IN_TOTO_PAYLOAD_TYPE];
  if (!allowed.includes(c.payloadType)) {
    return fail(`DSSE payloadType "${c.payloadType}" is not ${allowed.join(' or ')}`);
  }
  if (!(await sigValid(opts.spki, pae(c.payloadType, c.payload), c.signature))) {
    return fail(`the DSSE signature does not verify with key ${fp.slice(0, 16)}… over PAE(payloadType, payload)`);
  }
  const res: VerifyResult = { valid: true, reason: `DSSE signature by key ${fp}`, keyFingerprint: fp };
  if (c.payloadType === IN_TOTO_PAYLOAD_TYPE) {
    let st;
    try {
      st = parseStatement(c.payload);
    } catch (e) {
      return fail(isKeyceremonyError(e) ? e.message : String(e));
    }
    res.statement = { type: st.type, predicateType: st.predicateType, subject: st.subject };
    const wanted: string[] = [];
    if (opts.artifact) wanted.push(await sha256Hex(opts.artifact));
    if (opts.image !== undefined) {
      try {
        const ref = typeof opts.image === 'string' ? parseImageReference(opts.image, '--image') : opts.image;
        wanted.push(ref.digest.slice('sha256:'.length));
      } catch (e) {
        return fail(isKeyceremonyError(e) ? e.message : String(e));
      }
    }
    for (const w of wanted) {
      if (!st.subject.some((s) => s.digest.sha256.toLowerCase() === w)) {
        return fail(`the statement's subjects do not include sha256:${w}`, { statement: res.statement });
      }
    }
    res.reason += ` over an in-toto statement (${st.predicateType || 'no predicateType'})`;
  }
  return res;
}

function isParsed(x: unknown): x is ParsedBundle {
  return typeof x === 'object' && x !== null && 'content' in x && 'json' in x;
}

export interface ThresholdResult {
  met: boolean;
  m: number;
  /** Distinct allowed keys with a valid bundle. */
  signers: string[];
  perBundle: { index: number; valid: boolean; reason: string; keyFingerprint?: string }[];
  reason: string;
}

/**
 * m-of-n over a set of bundles for one artifact/image: each bundle is matched to an allowed key (its
 * hint first, then every key), and a key counts once however many bundles it made.
 */
export async function evaluateThreshold(opts: {
  keys: readonly Uint8Array[];
  m: number;
  bundles: readonly (Uint8Array | unknown)[];
  artifact?: Uint8Array;
  image?: ImageReference | string;
  trustedRoot?: TrustedRoot;
  now?: Date;
}): Promise<ThresholdResult> {
  if (!Number.isInteger(opts.m) || opts.m < 1) {
    throw new KeyceremonyError('INVALID_INPUT', `The threshold m must be a whole number ≥ 1, got ${opts.m}.`, { where: 'm' });
  }
  if (opts.m > opts.keys.length) {
    throw new KeyceremonyError('INVALID_INPUT', `The threshold ${opts.m} is larger than the ${opts.keys.length} allowed keys.`, { where: 'm' });
  }
  const keyInfo = await Promise.all(
    opts.keys.map(async (spki) => {
      const fp = await sha256Hex(spki);
      return { spki, fp, hints: [fp, toBase64(await sha256(spki))] };
    }),
  );
  const signers = new Set<string>();
  const perBundle: ThresholdResult['perBundle'] = [];
  for (let i = 0; i < opts.bundles.length; i++) {
    let parsed: ParsedBundle;
    try {
      parsed = parseBundle(opts.bundles[i], `bundle ${i + 1}`);
    } catch (e) {
      perBundle.push({ index: i, valid: false, reason: isKeyceremonyError(e) ? e.message : String(e) });
      continue;
    }
    const order = [...keyInfo].sort((a, b) => Number(b.hints.includes(parsed.hint ?? '')) - Number(a.hints.includes(parsed.hint ?? '')));
    let last: VerifyResult = fail('signed by none of the allowed keys');
    for (const k of order) {
      const r = await verifyBundle({
        spki: k.spki,
        bundle: parsed,
        artifact: opts.artifact,
        image: opts.image,
        ...(opts.trustedRoot ? { trustedRoot: opts.trustedRoot } : {}),
        ...(opts.now ? { now: opts.now } : {}),
      });
      if (r.valid) {
        last = r;
        break;
      }
      if (!/does not verify/.test(r.reason)) {
        last = r;
        break; // a structural / digest / subject failure does not depend on the key
      }
    }
    if (last.valid && last.keyFingerprint) signers.add(last.keyFingerprint);
    perBundle.push({
      index: i,
      valid: last.valid,
      reason: last.valid ? last.reason : /does not verify/.test(last.reason) ? 'signed by none of the allowed keys' : last.reason,
      ...(last.keyFingerprint ? { keyFingerprint: last.keyFingerprint } : {}),
    });
  }
  const met = signers.size >= opts.m;
  return {
    met,
    m: opts.m,
    signers: [...signers],
    perBundle,
    reason: `${signers.size} of ${opts.m} required distinct keys signed${met ? '' : ' — threshold not met'}`,
  };
}

/**
 * cosign "simple signing" payload, byte-exact with what cosign writes.
 *
 * sigstore/sigstore `pkg/signature/payload/payload.go` marshals, with Go `encoding/json`,
 *   {"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},
 *    "type":"cosign container image signature"},"optional":O}
 * in that field order, without whitespace, `optional` = null when there are no annotations
 * (otherwise an object whose keys Go sorts). Go escapes <, >, & and U+2028/2029 in strings.
 * The signature is over these exact bytes (cosign `specs/SIGNATURE_SPEC.md`; the spec's prose
 * capitalises `Docker-manifest-digest` but the code — and so every real signature — uses lower case).
 */
import { KeyceremonyError } from '../errors';
import { utf8 } from '../encoding/bytes';
import { parseStrictJsonBytes } from '../json';
import { assertValid, literal, nullable, obj, opt, record, str, unknownValue } from '../schema';
import { parseDigest, parseImageReference, type ImageReference } from './reference';

export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

/** JSON string encoding as Go's encoding/json writes it (HTML-safe escapes). */
export function goJsonString(s: string): string {
  // Fast path: printable ASCII with nothing to escape (no ", \, <, >, &) is written as it is.
  if (plainAscii(s)) return '"' + s + '"';
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

/** The payload's constant middle: the type, then where `optional` starts. */
const TYPE_PART = `,"type":${goJsonString(SIMPLE_SIGNING_TYPE)}},"optional":`;

function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 /* " */ || c === 0x5c /* \ */ || c === 0x3c /* < */ || c === 0x3e /* > */ || c === 0x26 /* & */) return false;
  }
  return true;
}

/** The payload bytes for one image. `annotations` become `optional` (string values, keys sorted). */
export function simpleSigningPayload(ref: Pick<ImageReference, 'name' | 'digest'>, annotations?: Record<string, string>): Uint8Array {
  const digest = parseDigest(ref.digest);
  let optional = 'null';
  if (annotations && Object.keys(annotations).length > 0) {
    const keys = Object.keys(annotations).sort();
    optional =
      '{' +
      keys
        .map((k) => {
          const v = annotations[k];
          if (typeof v !== 'string') {
            throw new KeyceremonyError('INVALID_INPUT', `Annotation "${k}" must be a string.`, { where: 'annotations' });
          }
          return `${goJsonString(k)}:${goJsonString(v)}`;
        })
        .join(',') +
      '}';
  }
  // parseDigest returned `sha256:` + lower-case hex: nothing in it to escape
  return utf8(`{"critical":{"identity":{"docker-reference":${goJsonString(ref.name)}},"image":{"docker-manifest-digest":"${digest}"}${TYPE_PART}${optional}}`);
}

export interface SimpleSigningClaims {
  dockerReference: string;
  manifestDigest: string;
  optional: Record<string, unknown> | null;
}

const keep = { unknown: 'keep' } as const;
/** What cosign's Go `json.Unmarshal` reads: unknown members are ignored (kept), not refused. */
const payloadSchema = obj(
  {
    critical: obj(
      {
        identity: obj({ 'docker-reference': str({ min: 1, max: 4096 }) }, keep),
        image: obj({ 'docker-manifest-digest': str({ max: 1024 }) }, keep),
        type: literal(SIMPLE_SIGNING_TYPE),
      },
      keep,
    ),
    optional: opt(nullable(record(unknownValue, { max: 1000, key: str({ max: 1024 }) }))),
  },
  keep,
);

/** Parse and check a simple-signing payload (ours or one produced elsewhere). */
export function parseSimpleSigningPayload(bytes: Uint8Array, where = 'payload'): SimpleSigningClaims {
  const doc = assertValid(payloadSchema, parseStrictJsonBytes(bytes, { source: where }), {
    source: where,
    lead: 'The payload is not a cosign simple-signing payload',
    code: 'UNSUPPORTED_FORMAT',
  });
  return {
    dockerReference: doc.critical.identity['docker-reference'],
    manifestDigest: parseDigest(doc.critical.image['docker-manifest-digest'], `${where}: critical.image.docker-manifest-digest`),
    optional: doc.optional ?? null,
  };
}

/** Does `claims` name `ref` (same repository — cosign compares the repository, not the tag — and digest)? */
export function claimsMatchReference(claims: SimpleSigningClaims, ref: ImageReference): string | null {
  if (claims.manifestDigest !== ref.digest) {
    return `the payload signs ${claims.manifestDigest}, not ${ref.digest}`;
  }
  let signedName = claims.dockerReference;
  try {
    // A reference with a tag (skopeo writes one) still names the repository.
    const parsed = parseImageReference(`${claims.dockerReference.replace(/@.*$/, '')}@${claims.manifestDigest}`);
    signedName = parsed.name;
  } catch {
    /* compare as written */
  }
  if (signedName !== ref.name) return `the payload names ${claims.dockerReference}, not ${ref.name}`;
  return null;
}

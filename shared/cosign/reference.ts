/**
 * Container image references for cosign: `registry/repo[:tag]@sha256:<64 hex>`.
 *
 * Grammar follows the Docker distribution reference (`reference/regexp.go`): an optional domain
 * (first component containing `.` or `:`, or `localhost`), lower-case path components separated by
 * `.`, `_`, `__` or dashes, an optional tag `[\w][\w.-]{0,127}`, and a digest. cosign signs a
 * manifest digest, never a tag, so a tag-only reference is refused (a tag can be moved after signing).
 *
 * The identity written into the simple-signing payload is the repository name as cosign computes it
 * (go-containerregistry `name.Digest.Repository.Name()`): Docker Hub names are normalised to
 * `index.docker.io/library/<name>`; every other registry is kept as written.
 */
import { KeyceremonyError } from '../errors';

export interface ImageReference {
  /** Registry host[:port] as written, or `index.docker.io` when omitted. */
  registry: string;
  /** Repository path inside the registry. */
  repository: string;
  /** `registry/repository`: the `docker-reference` cosign writes. */
  name: string;
  /** Tag given alongside the digest (ignored for signing; kept for display). */
  tag?: string;
  /** `sha256:<64 lower-case hex>`. */
  digest: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DEFAULT_REGISTRY = 'index.docker.io';
const MAX_NAME = 255;

function bad(input: string, reason: string, where = 'image reference'): never {
  throw new KeyceremonyError('INVALID_REFERENCE', `"${input}" is not a usable image reference: ${reason}.`, {
    where,
  });
}

/** Validate and normalise a `sha256:<hex>` digest. */
export function parseDigest(d: string, where = 'digest'): string {
  if (isSha256Digest(d)) return d;
  const m = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):(.*)$/.exec(d);
  if (!m) bad(d, 'a digest is written sha256:<64 hex characters>', where);
  const [, alg, hex] = m as unknown as [string, string, string];
  if (alg !== 'sha256') bad(d, `digest algorithm "${alg}" is not supported (cosign signs sha256 manifest digests)`, where);
  if (!/^[0-9a-fA-F]*$/.test(hex)) bad(d, 'the digest contains characters that are not hexadecimal', where);
  if (hex.length !== 64) bad(d, `a sha256 digest has 64 hex characters, this one has ${hex.length}`, where);
  if (hex !== hex.toLowerCase()) bad(d, 'the digest must be lower-case hex', where);
  return `sha256:${hex}`;
}

/** `sha256:` and 64 lower-case hex digits, checked character by character (the common case of parseDigest). */
function isSha256Digest(d: string): boolean {
  if (d.length !== 71 || !d.startsWith('sha256:')) return false;
  for (let i = 7; i < 71; i++) {
    const c = d.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Parse `registry/repo[:tag]@sha256:<hex>`; throws INVALID_REFERENCE with the reason otherwise. */
export function parseImageReference(input: string, where = 'image reference'): ImageReference {
  if (typeof input !== 'string' || input.length === 0) bad(String(input), 'it is empty', where);
  if (input !== input.trim() || /\s/.test(input)) bad(input, 'it contains whitespace', where);
  const at = input.indexOf('@');
  if (at < 0) {
    const lastSlash = input.lastIndexOf('/');
    const colon = input.indexOf(':', lastSlash + 1);
    if (colon > 0) {
      bad(
        input,
        `it names the tag "${input.slice(colon + 1)}" but no digest; a tag can be moved after signing, so cosign signatures are made over a manifest digest — resolve it first (e.g. \`crane digest ${input}\`) and pass ${input.slice(0, colon)}@sha256:<digest>`,
        where,
      );
    }
    bad(input, 'it has no digest; pass <registry>/<repository>@sha256:<64 hex characters>', where);
  }
  const digest = parseDigest(input.slice(at + 1), where);
  let rest = input.slice(0, at);
  if (rest.includes('@')) bad(input, 'it contains more than one "@"', where);
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const tagColon = rest.indexOf(':', lastSlash + 1);
  if (tagColon >= 0) {
    tag = rest.slice(tagColon + 1);
    if (!TAG_RE.test(tag)) bad(input, `the tag "${tag}" is malformed`, where);
    rest = rest.slice(0, tagColon);
  }
  if (rest.length === 0) bad(input, 'the repository name is missing', where);
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0] as string;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    if (!DOMAIN_RE.test(first)) bad(input, `the registry "${first}" is malformed`, where);
    registry = first;
    parts.shift();
  }
  for (const p of parts) {
    if (!PATH_COMPONENT_RE.test(p)) {
      bad(input, `the path component "${p}" is malformed (lower-case letters, digits and . _ - separators only)`, where);
    }
  }
  if (registry === 'docker.io' || registry === 'registry-1.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  const name = `${registry}/${repository}`;
  if (name.length > MAX_NAME) bad(input, `the repository name is longer than ${MAX_NAME} characters`, where);
  const ref: ImageReference = { registry, repository, name, digest };
  if (tag !== undefined) ref.tag = tag;
  return ref;
}

/** `name@digest`, the canonical form we print and store. */
export function formatReference(r: Pick<ImageReference, 'name' | 'digest'>): string {
  return `${r.name}@${r.digest}`;
}

/** Parse a list file: one reference per line; blank lines and `#` comments ignored. */
export function parseReferenceList(text: string, where = 'digest list'): ImageReference[] {
  const out: ImageReference[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    out.push(parseImageReference(t, `${where}:${i + 1}`));
  });
  if (out.length === 0) throw new KeyceremonyError('INVALID_INPUT', 'The list holds no image references.', { where });
  return out;
}

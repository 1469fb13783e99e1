/**
 * Metadata file names (spec #file-formats-object-format, #writing-consistent-snapshots): ROLENAME.json,
 * or VERSION.ROLENAME.json with consistent snapshots. A delegated role's name is any string — tough
 * publishes `../../path/like/dubious`, python-tuf tests ".", "../a" and "ö" — so the name in a file name
 * is URL-encoded (`encodeURIComponent`, as tuf-js does; python-tuf's `quote(name, "")` agrees on every
 * character that matters: "/", "%", "." stays): a file name never holds a path separator.
 */
export function metadataFileName(role: string, version?: number): string {
  const enc = encodeURIComponent(role);
  return version === undefined ? `${enc}.json` : `${version}.${enc}.json`;
}

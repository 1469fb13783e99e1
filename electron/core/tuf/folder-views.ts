/**
 * How a metadata folder is seen when its files are not named as a client fetches them: a rehearsal
 * names every file `REHEARSAL-…` (read under the plain names, as `tuf verify` does; only when EVERY
 * metadata file carries the prefix, so a stray rehearsal file never joins production metadata).
 */
import type { MetadataFolder } from './updates';
import { REHEARSAL_PREFIX } from './verify';

/** The folder under the plain names when every `*.json` in it is a rehearsal file; otherwise the folder itself. */
export function rehearsalView(folder: MetadataFolder): MetadataFolder & { rehearsal?: true } {
  const names = folder.names();
  const json = names.filter((n) => n.endsWith('.json'));
  const prefixed = json.filter((n) => n.startsWith(REHEARSAL_PREFIX));
  if (prefixed.length === 0 || prefixed.length !== json.length) return folder;
  return {
    label: folder.label,
    rehearsal: true,
    names: () => folder.names().map((n) => (n.startsWith(REHEARSAL_PREFIX) ? n.slice(REHEARSAL_PREFIX.length) : n)),
    read: (name) => folder.read(REHEARSAL_PREFIX + name),
  };
}

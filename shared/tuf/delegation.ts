/**
 * Delegation helpers: which role may sign for a target path (spec #file-formats-targets, "paths" and
 * "path_hash_prefixes") and TAP 15 succinct hash bins.
 */
import { sha256 } from '../crypto/webcrypto';
import { toHex, utf8 } from '../encoding/bytes';
import type { DelegatedRole, SuccinctRoles } from './models';

const globCache = new Map<string, RegExp>();

/** fnmatch on one path segment (python-tuf `_is_target_in_pathpattern`): * ? [seq] [!seq]. */
function segmentRegex(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (re) return re;
  let s = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') s += '.*';
    else if (c === '?') s += '.';
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 2);
      if (j === -1) s += '\\[';
      else {
        let body = pattern.slice(i + 1, j);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        s += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = j;
      }
    } else s += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  re = new RegExp(s + '$', 's');
  globCache.set(pattern, re);
  return re;
}

/** A path pattern matches when both split on "/" into the same number of segments that fnmatch. */
export function pathMatches(pattern: string, target: string): boolean {
  const ps = pattern.split('/');
  const ts = target.split('/');
  if (ps.length !== ts.length) return false;
  for (let i = 0; i < ps.length; i++) if (!segmentRegex(ps[i]!).test(ts[i]!)) return false;
  return true;
}

export async function targetPathHash(target: string): Promise<string> {
  return toHex(await sha256(utf8(target)));
}

/** Whether `role` is trusted for `target` (paths or path_hash_prefixes). */
export async function isDelegatedPath(role: DelegatedRole, target: string): Promise<boolean> {
  if (role.paths) return role.paths.some((p) => pathMatches(p, target));
  if (role.pathHashPrefixes) {
    const h = await targetPathHash(target);
    return role.pathHashPrefixes.some((p) => h.startsWith(p.toLowerCase()));
  }
  return false;
}

/** TAP 15: the number of hex digits of a bin suffix. */
export function binSuffixLength(bitLength: number): number {
  return (2 ** bitLength - 1).toString(16).length;
}

export function binName(s: Pick<SuccinctRoles, 'bitLength' | 'namePrefix'>, index: number): string {
  return `${s.namePrefix}-${index.toString(16).padStart(binSuffixLength(s.bitLength), '0')}`;
}

export function allBinNames(s: Pick<SuccinctRoles, 'bitLength' | 'namePrefix'>): string[] {
  const n = 2 ** s.bitLength;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(binName(s, i));
  return out;
}

/** TAP 15: the bin of a target path = the first `bitLength` bits of sha256(path). */
export function binIndexForHash(hashHex: string, bitLength: number): number {
  const first32 = parseInt(hashHex.slice(0, 8), 16);
  return Math.floor(first32 / 2 ** (32 - bitLength));
}

export async function binForTarget(s: Pick<SuccinctRoles, 'bitLength' | 'namePrefix'>, target: string): Promise<string> {
  return binName(s, binIndexForHash(await targetPathHash(target), s.bitLength));
}

/** Whether a role name is one of the bins of `s`. */
export function isBinName(s: Pick<SuccinctRoles, 'bitLength' | 'namePrefix'>, name: string): boolean {
  const pre = s.namePrefix + '-';
  if (!name.startsWith(pre)) return false;
  const suf = name.slice(pre.length);
  if (suf.length !== binSuffixLength(s.bitLength) || !/^[0-9a-f]+$/.test(suf)) return false;
  return parseInt(suf, 16) < 2 ** s.bitLength;
}

/**
 * RFC 3339 date-times as TUF and Notary metadata carry them: "2030-01-01T00:00:00Z", and, as real
 * files also hold, fractional seconds and offsets (Sigstore roots v1-v3, notary 0.x). One reader for
 * both models; each says in its own words what it expected.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, `'syntax'` when it is not a date-time, `'date'` when the day does not exist (2030-02-30). */
export function readRfc3339(s: string): number | 'syntax' | 'date' {
  const m = RFC3339.exec(s);
  if (!m) return 'syntax';
  const [, y, mo, d, h, mi, se, frac, zone] = m as unknown as string[];
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!);
  const dt = new Date(ms);
  if (dt.getUTCDate() !== +d! || dt.getUTCMonth() !== +mo! - 1) return 'date';
  if (frac) ms += Math.floor(Number('0' + frac) * 1000);
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return ms;
}

/** Whole-second UTC, "2036-11-22T02:06:41Z" (what both formats write, and Go re-marshals unchanged). */
export function formatRfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

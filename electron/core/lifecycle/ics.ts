/**
 * The renewal deadlines of an expiry report as an iCalendar file (RFC 5545), so custodians get the
 * reminder in the calendar they already use: one VEVENT per row that someone renews (at its renew-by
 * time, with the role, version, expiry, signers and the command in the description) and a VALARM a day
 * before. Lines end in CRLF and are folded at 75 octets (RFC 5545 3.1) without splitting a UTF-8
 * character; TEXT values are escaped (3.3.11). UIDs are stable for the same role version of the same
 * repository, so importing a newer file updates the events instead of duplicating them.
 */
import { sha256Hex } from '../../../shared/crypto/webcrypto';
import { utf8 } from '../../../shared/encoding/bytes';
import { signerList, type ExpiryReport, type ExpiryRow } from './expiry';

const CRLF = '\r\n';

/** RFC 5545 3.3.11 TEXT escaping. */
export function icsText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** RFC 5545 3.1: fold content lines longer than 75 octets (CRLF + one space), never inside a UTF-8 sequence. */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let cur = '';
  let octets = 0;
  for (const ch of line) {
    const n = utf8(ch).length;
    // the first line holds 75 octets; continuation lines start with a space, so 74 more
    if (octets + n > (parts.length === 0 ? 75 : 74)) {
      parts.push(cur);
      cur = '';
      octets = 0;
    }
    cur += ch;
    octets += n;
  }
  parts.push(cur);
  return parts.join(`${CRLF} `);
}

function utc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function repoName(r: ExpiryReport): string {
  return r.gun ? `Notary ${r.gun}` : `TUF ${r.dir}`;
}

/** What identifies the repository across folders and machines: the GUN, or the root keys. */
function repoIdentity(r: ExpiryReport): string {
  if (r.gun) return `notary:${r.gun}`;
  const root = r.rows.find((x) => x.kind === 'root');
  return `tuf:${(root?.signers.map((s) => s.keyid) ?? [r.dir]).sort().join(',')}`;
}

function eventLines(r: ExpiryReport, row: ExpiryRow, uid: string, stamp: string): string[] {
  const what =
    row.kind === 'hash-bins' ? `${row.members?.length ?? 0} hash bins ${row.role}` : row.kind === 'root-certificate' ? row.role : `${row.role} v${row.version}`;
  const summary = `${row.state === 'expired' ? 'EXPIRED: ' : ''}Renew ${what} (${repoName(r)})`;
  const description = [
    `${what} of ${repoName(r)} expires ${row.expires}.`,
    `Renew by ${row.renewBy} (${row.windowDays} days before expiry, window from ${row.windowSource}).`,
    `Signed by ${row.threshold} of: ${signerList(row)}.`,
    `Make the renewal request: ${row.command}`,
    ...(row.commandNote ? [row.commandNote] : []),
  ].join('\n');
  return [
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${stamp}`,
    `DTSTART:${utc(Date.parse(row.renewBy))}`,
    'DURATION:PT1H',
    `SUMMARY:${icsText(summary)}`,
    `DESCRIPTION:${icsText(description)}`,
    'CATEGORIES:keyceremony,metadata expiry',
    'TRANSP:TRANSPARENT',
    'BEGIN:VALARM',
    'ACTION:DISPLAY',
    `DESCRIPTION:${icsText(summary)}`,
    'TRIGGER:-P1D',
    'END:VALARM',
    'END:VEVENT',
  ];
}

/** The calendar (rows without a renewal command, like a Notary timestamp the server re-signs, get no event). */
export async function renewalCalendar(r: ExpiryReport): Promise<string> {
  const stamp = utc(Date.parse(r.evaluatedAt));
  const id = repoIdentity(r);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//keyceremony//expiry dashboard//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${icsText(`Renewals: ${repoName(r)}`)}`,
  ];
  for (const row of r.rows) {
    if (!row.command) continue;
    const uid = `${(await sha256Hex(utf8(`${id}\n${row.role}\n${row.version}`))).slice(0, 32)}@keyceremony`;
    lines.push(...eventLines(r, row, uid, stamp));
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

/**
 * The next renewal deadlines of what a ceremony step just made, for its transcript entry
 * (`renewal-deadlines`) and the printable transcript: per role, its expiry, the renew-by time (the
 * renewal window from the step's `renewalWindowDays`, else the defaults) and the renewal command, as
 * `keyceremony expiry` would show them for the bundle's `metadata/` folder.
 */
import { fromUtf8 } from '../../../shared/encoding/bytes';
import { certOfKey, notaryKeyFromCertPem } from '../../../shared/notary';
import type { MetadataFolder } from '../tuf/updates';
import { expiryReport, isoSeconds, renewalWindow, type RenewalSettings } from './expiry';
import { tufRenewCommand, tufRoles } from './tuf';

const daysText = (n: number): string => `${n} day${n === 1 ? '' : 's'}`;

export interface Deadlines {
  /** `renew.<role>` -> "v1 expires …; renew by … (60 days before, default)", and `renew.<role>.command`. */
  facts: Record<string, string>;
  /** The same, one line per role, for the screen and the printable transcript. */
  lines: string[];
}

/** Deadlines of the TUF metadata among `files` (paths under `metadata/`); empty when there is no root among them. */
export function metadataDeadlines(files: readonly { path: string; bytes: Uint8Array }[], opts: { now: number; settings?: RenewalSettings }): Deadlines {
  const inDir = new Map(files.filter((f) => f.path.startsWith('metadata/') && !f.path.slice(9).includes('/')).map((f) => [f.path.slice(9), f.bytes]));
  const folder: MetadataFolder = { label: 'metadata', names: () => [...inDir.keys()], read: (n) => inDir.get(n) };
  const roles = tufRoles(folder, { dir: 'metadata', layout: 'ceremony output' });
  const report = expiryReport(roles, { now: opts.now, ...(opts.settings ? { settings: opts.settings } : {}), command: (r) => tufRenewCommand('metadata', r) });
  const facts: Record<string, string> = {};
  const lines: string[] = [];
  for (const r of report.rows) {
    const text = `v${r.version} expires ${r.expires}; renew by ${r.renewBy} (${daysText(r.windowDays)} before, ${r.windowSource})`;
    facts[`renew.${r.role}`] = text;
    if (r.command) facts[`renew.${r.role}.command`] = r.command;
    lines.push(`${r.role} ${text}`);
  }
  return { facts, lines };
}

/** Deadlines of Notary root certificates (PEM texts by key name): a root key is trusted only while its certificate is valid. */
export function certificateDeadlines(certs: readonly { name: string; pem: Uint8Array }[], opts: { settings?: RenewalSettings }): Deadlines {
  const facts: Record<string, string> = {};
  const lines: string[] = [];
  const w = renewalWindow({ kind: 'root-certificate' }, opts);
  for (const c of certs) {
    const until = certOfKey(notaryKeyFromCertPem(fromUtf8(c.pem))).notAfter.getTime();
    const text = `valid until ${isoSeconds(until)}; renew by ${isoSeconds(until - w.days * 86_400_000)} (${daysText(w.days)} before, ${w.source})`;
    facts[`renew.${c.name}`] = text;
    lines.push(`${c.name} ${text}`);
  }
  return { facts, lines };
}

/**
 * Printable transcript: one self-contained HTML page (no scripts, no external resources, print CSS)
 * with the participants, a signature line for each, and every transcript entry including its hash
 * so a printed copy can be checked against transcript.jsonl.
 */
import type { TranscriptEntry } from './transcript';
import type { CeremonyScript } from './types';

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/**
 * The renewal deadlines the ceremony recorded (`renewal-deadlines` entries): "root v1 expires …; renew
 * by …" and the command under it, for the top of the printable transcript (HTML and PDF).
 */
export function renewalDeadlineLines(entries: readonly TranscriptEntry[]): { what: string; text: string; command?: string }[] {
  const out: { what: string; text: string; command?: string }[] = [];
  for (const e of entries) {
    if (e.event !== 'renewal-deadlines') continue;
    const f = e.facts ?? {};
    for (const [k, v] of Object.entries(f)) {
      if (!k.startsWith('renew.') || k.endsWith('.command')) continue;
      const cmd = f[`${k}.command`];
      out.push({ what: k.slice('renew.'.length), text: String(v), ...(cmd !== undefined ? { command: String(cmd) } : {}) });
    }
  }
  return out;
}

export function renderTranscriptHtml(script: CeremonyScript, entries: TranscriptEntry[], rehearsal: boolean): string {
  const banner = rehearsal ? '<div class="banner">REHEARSAL — NOT FOR PRODUCTION</div>' : '';
  const rows = entries
    .map((e) => {
      const parts: string[] = [];
      if (e.note) parts.push(`<div>${esc(e.note)}</div>`);
      if (e.token) parts.push(`<div>token <b>${esc(e.token.label)}</b> serial ${esc(e.token.serial ?? '?')}</div>`);
      if (e.mechanism) parts.push(`<div>mechanism ${esc(e.mechanism)}</div>`);
      if (e.payloadSha256) parts.push(`<div>payload sha256 <code>${esc(e.payloadSha256)}</code></div>`);
      for (const k of e.keys ?? [])
        parts.push(`<div class="key">key <b>${esc(k.id)}</b> (${esc(k.label)})<br><code>${esc(k.fingerprint)}</code><br><i>${esc(k.words)}</i></div>`);
      for (const c of e.checks ?? []) parts.push(`<div>[${esc(c.status)}] ${esc(c.id)}: ${esc(c.summary)}</div>`);
      for (const d of e.deviations ?? []) parts.push(`<div class="dev">DEVIATION ${esc(d.check)} by ${esc(d.by)}: ${esc(d.justification)}</div>`);
      for (const s of e.shares ?? [])
        parts.push(`<div>share ${esc(s.index)} → ${esc(s.custodian)} check ${esc(s.checkValue)} ${s.verified ? 'verified' : 'NOT verified'}</div>`);
      for (const a of e.acknowledgements ?? [])
        parts.push(
          `<div>✔ ${esc(a.by)}${a.source === 'answers-file' ? ' (from the answers file)' : a.source === 'screen' ? ' (at the screen)' : ''}: “${esc(a.statement)}”</div>`,
        );
      for (const o of e.outputs ?? []) parts.push(`<div>output ${esc(o.path)} <code>${esc(o.sha256)}</code></div>`);
      for (const [k, v] of Object.entries(e.facts ?? {})) parts.push(`<div>${esc(k)}: ${esc(v)}</div>`);
      return `<tr><td>${e.seq}</td><td>${esc(e.time)}</td><td><b>${esc(e.event)}</b>${e.step ? `<br>${esc(e.step)}` : ''}${e.actor ? `<br>${esc(e.actor)}` : ''}</td><td>${parts.join('')}<div class="h">hash <code>${esc(e.hash)}</code></div></td></tr>`;
    })
    .join('\n');
  const people = script.participants.map((p) => `<tr><td>${esc(p.role)}</td><td>${esc(p.name)} (${esc(p.id)})</td><td class="sig"></td></tr>`).join('\n');
  const head = entries[entries.length - 1]?.hash ?? '';
  const due = renewalDeadlineLines(entries);
  const deadlines = due.length
    ? `<h2>Next renewal deadlines</h2>\n<table><tr><th>What</th><th>Expiry and renewal</th></tr>\n${due
        .map((d) => `<tr><td><b>${esc(d.what)}</b></td><td>${esc(d.text)}${d.command ? `<br><code>${esc(d.command)}</code>` : ''}</td></tr>`)
        .join('\n')}\n</table>\n`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${rehearsal ? 'REHEARSAL ' : ''}${esc(script.title)} — transcript</title>
<style>
body{font:11pt/1.35 system-ui,sans-serif;margin:2em}code{font:9pt monospace;word-break:break-all}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px;vertical-align:top}
.banner{border:3px solid #c00;color:#c00;font-weight:bold;text-align:center;padding:6px;margin-bottom:1em}
.sig{width:40%;height:2.5em}.h{color:#555}.dev{color:#a00;font-weight:bold}.key i{color:#333}
@media print{tr{page-break-inside:avoid}}
</style></head><body>
${banner}
<h1>${esc(script.title)}</h1>
<p>Ceremony <b>${esc(script.name)}</b>, run ${esc(entries[0]?.runId ?? '')}. ${entries.length} transcript entries; last entry hash <code>${esc(head)}</code>.</p>
<h2>Participants</h2>
<table><tr><th>Role</th><th>Name</th><th>Signature</th></tr>
${people}
</table>
${deadlines}<h2>Transcript</h2>
<table><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>Details</th></tr>
${rows}
</table>
${banner}
</body></html>
`;
}

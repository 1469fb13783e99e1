/**
 * Printable transcript as PDF (A4, pdf-lib): participants with signature lines, then every entry with
 * its details and hash, wrapped in a monospace font; "REHEARSAL - NOT FOR PRODUCTION" on every page
 * of a rehearsal. Fixed document dates (the sealing time) so the same transcript gives the same PDF.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { TranscriptEntry } from '../../core/ceremony/transcript';
import type { CeremonyScript } from '../../core/ceremony/types';
import { renewalDeadlineLines } from '../../core/ceremony/transcript-html';

const winAnsi = (s: string) =>
  s
    .replace(/[\u2014\u2013]/g, '-')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[^\x20-\x7e\xa0-\xff]/g, '?');

function entryLines(e: TranscriptEntry): string[] {
  const out = [`#${e.seq}  ${e.time}  ${e.event}${e.step ? `  [${e.step}]` : ''}${e.actor ? `  by ${e.actor}` : ''}`];
  if (e.note) out.push(`  ${e.note}`);
  if (e.token) out.push(`  token ${e.token.label} serial ${e.token.serial ?? '?'}`);
  if (e.mechanism) out.push(`  mechanism ${e.mechanism}`);
  if (e.payloadSha256) out.push(`  payload sha256 ${e.payloadSha256}`);
  for (const k of e.keys ?? []) out.push(`  key ${k.id} (${k.label}) ${k.fingerprint}`, `    ${k.words}`);
  for (const c of e.checks ?? []) out.push(`  [${c.status}] ${c.id}: ${c.summary}`);
  for (const d of e.deviations ?? []) out.push(`  DEVIATION ${d.check} by ${d.by}: ${d.justification}`);
  for (const s of e.shares ?? []) out.push(`  share ${s.index} -> ${s.custodian}: ${s.checkValue} ${s.verified ? 'verified' : 'NOT VERIFIED'}`);
  for (const a of e.acknowledgements ?? [])
    out.push(
      `  confirmed by ${a.by}${a.source === 'answers-file' ? ' (from the answers file)' : a.source === 'screen' ? ' (at the screen)' : ''}: "${a.statement}"`,
    );
  for (const o of e.outputs ?? []) out.push(`  output ${o.path} ${o.sha256}`);
  for (const [k, v] of Object.entries(e.facts ?? {})) out.push(`  ${k}: ${String(v)}`);
  out.push(`  hash ${e.hash}`, '');
  return out;
}

function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= indent.length) cut = width;
    out.push(rest.slice(0, cut));
    rest = indent + '    ' + rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

export async function transcriptPdf(script: CeremonyScript, entries: TranscriptEntry[], rehearsal: boolean, at: Date): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`${rehearsal ? 'REHEARSAL ' : ''}${script.title} - transcript`);
  doc.setCreator('keyceremony');
  doc.setProducer('keyceremony');
  doc.setCreationDate(at);
  doc.setModificationDate(at);
  const mono = await doc.embedFont(StandardFonts.Courier);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const size = 7.5;
  const width = 110;
  let page: PDFPage | undefined;
  let y = 0;
  let pageNo = 0;
  const newPage = () => {
    page = doc.addPage([595.28, 841.89]);
    pageNo++;
    y = 805;
    if (rehearsal) {
      page.drawText('REHEARSAL - NOT FOR PRODUCTION', { x: 150, y: 815, size: 14, font: bold, color: rgb(0.8, 0, 0) });
      y = 795;
    }
    page.drawText(winAnsi(`${script.name} run ${entries[0]?.runId ?? ''}  page ${pageNo}`), { x: 40, y: 20, size: 7, font: mono, color: rgb(0.3, 0.3, 0.3) });
  };
  const line = (t: string, f: PDFFont = mono, s = size) => {
    for (const l of wrap(winAnsi(t), width)) {
      if (!page || y < 40) newPage();
      page!.drawText(l, { x: 40, y, size: s, font: f, color: rgb(0, 0, 0) });
      y -= s + 2.5;
    }
  };
  newPage();
  line(script.title, bold, 13);
  line(`Ceremony ${script.name}; ${entries.length} transcript entries; last hash ${entries[entries.length - 1]?.hash ?? ''}`);
  line('');
  line('Participants (sign below: I was present and the transcript is what happened)', bold, 9);
  for (const p of script.participants) {
    line(`${p.role.padEnd(14)} ${p.name} (${p.id})`);
    line(`               signature: ______________________________   date: ____________`);
    line('');
  }
  const due = renewalDeadlineLines(entries);
  if (due.length) {
    line('Next renewal deadlines', bold, 9);
    for (const d of due) {
      line(`${d.what}: ${d.text}`);
      if (d.command) line(`    ${d.command}`);
    }
    line('');
  }
  line('Transcript', bold, 9);
  for (const e of entries) for (const l of entryLines(e)) line(l);
  return doc.save({ useObjectStreams: false });
}

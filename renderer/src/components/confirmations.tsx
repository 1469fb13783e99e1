/**
 * The confirmations a verified ceremony bundle records (report.bundle.confirmations): who confirmed
 * what, in which step, at the screen or from an answers file. A witness picks their own name after the
 * ceremony and compares the list with what they confirmed in the room; whether the record is what the
 * ceremony script asked is the report's `bundle.confirmations` item, shown with the others.
 */
import { useState } from 'react';
import { CONFIRMATION_SOURCE, confirmerLabel, type ConfirmationFact } from '../../../shared/verification/report';

const COLUMNS = ['Step (entry)', 'Who', 'Confirmed', 'How', 'Recorded at'];

export function Confirmations({ list }: { list: readonly ConfirmationFact[] }) {
  const [who, setWho] = useState('');
  const people = [...new Map(list.map((c) => [c.by, confirmerLabel(c)])).entries()];
  const shown = who ? list.filter((c) => c.by === who) : list;
  return (
    <section aria-label="Confirmations recorded in the transcript" data-testid="confirmations">
      <h3>Confirmations recorded in the transcript</h3>
      <p className="hint">
        Each confirmation the people in the room gave, in the order the transcript records them. A witness: pick your name and compare the list with what you
        confirmed.
      </p>
      <label>
        Show the confirmations of{' '}
        <select value={who} onChange={(e) => setWho(e.target.value)} data-testid="confirmations-person">
          <option value="">everyone ({list.length})</option>
          {people.map(([id, label]) => (
            <option key={id} value={id}>
              {label} ({list.filter((c) => c.by === id).length})
            </option>
          ))}
        </select>
      </label>
      <table className="signers" aria-label="Confirmations">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={`${c.seq}-${c.ack}-${c.by}`} data-testid="confirmation" data-seq={c.seq} data-step={c.step} data-by={c.by} data-source={c.source}>
              <td>
                {c.step} ({c.seq}){c.skipped ? ' — step skipped' : ''}
              </td>
              <td>{confirmerLabel(c)}</td>
              <td>“{c.statement}”</td>
              <td>{CONFIRMATION_SOURCE[c.source]}</td>
              <td>{c.time}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

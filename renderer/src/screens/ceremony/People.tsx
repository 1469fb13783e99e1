/**
 * Who is who in the ceremony setup: each person's name and role (administrator, custodian, witness),
 * and who holds each token. The screen only offers; main applies and validates (a witness holds no
 * token and no share, exactly one administrator, a witness left to confirm what the script asks of
 * a witness) and the setup lists every problem with its JSON path before anything runs.
 */
import type { ScriptPreview } from '../../../../shared/ipc/contract';

export type Role = 'administrator' | 'custodian' | 'witness';
const ROLES: readonly Role[] = ['administrator', 'custodian', 'witness'];
const ROLE_HINT: Record<Role, string> = {
  administrator: 'runs the ceremony (exactly one)',
  custodian: 'holds a token or a share',
  witness: 'watches and confirms; holds no token or share',
};

export interface PeopleSetup {
  names: Record<string, string>;
  roles: Record<string, Role>;
  holders: Record<string, string>;
}

/** One row per participant: name and role. */
export function PeopleFields({ preview, setup, onChange }: { preview: ScriptPreview; setup: PeopleSetup; onChange: (s: Partial<PeopleSetup>) => void }) {
  return (
    <table className="people" data-testid="people">
      <caption>Who is who: each person’s name and role</caption>
      <thead>
        <tr>
          <th scope="col">Participant</th>
          <th scope="col">Name</th>
          <th scope="col">Role</th>
        </tr>
      </thead>
      <tbody>
        {preview.participants.map((x) => (
          <tr key={x.id} data-testid="participant" data-id={x.id} data-role={x.role}>
            <th scope="row">
              <code>{x.id}</code>
            </th>
            <td>
              <input
                aria-label={`Name of ${x.id}`}
                value={setup.names[x.id] ?? x.name}
                onChange={(e) => onChange({ names: { ...setup.names, [x.id]: e.target.value } })}
              />
            </td>
            <td>
              <select
                aria-label={`Role of ${x.id}`}
                value={setup.roles[x.id] ?? x.role}
                onChange={(e) => onChange({ roles: { ...setup.roles, [x.id]: e.target.value as Role } })}
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r} — {ROLE_HINT[r]}
                  </option>
                ))}
              </select>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Who holds a token: a custodian or the administrator (a witness is offered only if already set, so the problem can be seen and fixed). */
export function HolderSelect({
  preview,
  tokenId,
  value,
  onChange,
}: {
  preview: ScriptPreview;
  tokenId: string;
  value: string;
  onChange: (holder: string) => void;
}) {
  const people = preview.participants.filter((x) => x.role !== 'witness' || x.id === value);
  return (
    <select aria-label={`Holder of ${tokenId}`} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">no one in particular (the administrator keeps it)</option>
      {people.map((x) => (
        <option key={x.id} value={x.id}>
          {x.name} ({x.role}
          {x.role === 'witness' ? ': a witness holds no token' : ''})
        </option>
      ))}
    </select>
  );
}

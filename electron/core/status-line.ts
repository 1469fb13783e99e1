/**
 * The one status line every threshold (a TUF rule, a cosign m-of-n request, a Notary role) shows a
 * custodian: who signed, by name, and who is still needed —
 *   "root v3: 1 of 2 old-root keys — alice signed; bob or carol still needed"
 * Names come from the request (not signed); each signer is also shown by key fingerprint.
 */

/** One key a rule accepts: by name (when the request names it) and by key. */
export interface SignerStatus {
  /** The key id in the metadata (TUF/Notary key id; for cosign the fingerprint). */
  keyid: string;
  /** SHA-256 of the key's SPKI (what `keyceremony pubkey` and the token show). */
  fingerprint: string;
  name?: string;
  signed: boolean;
}

/** How a signer is called in a status line: their name, or the key id's first 8 hex digits. */
export function signerLabel(s: Pick<SignerStatus, 'keyid' | 'name'>): string {
  return s.name ?? `key ${s.keyid.slice(0, 8)}`;
}

function listWith(items: string[], word: 'and' | 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

/** The per-rule line: who signed, who is still needed ("bob or carol", "2 more of bob, carol, dave"). */
export function ruleLine(head: string, rule: { name: string; threshold: number; valid: number; signers: readonly SignerStatus[] }): string {
  const signed = rule.signers.filter((s) => s.signed).map(signerLabel);
  const waiting = rule.signers.filter((s) => !s.signed).map(signerLabel);
  const need = rule.threshold - rule.valid;
  const who = signed.length ? `${listWith(signed, 'and')} signed` : 'nobody signed yet';
  const still =
    need <= 0
      ? 'complete'
      : need === 1
        ? `${listWith(waiting, 'or')} still needed`
        : need >= waiting.length
          ? `${listWith(waiting, 'and')} still needed`
          : `${need} more of ${waiting.join(', ')} still needed`;
  return `${head}: ${rule.valid} of ${rule.threshold} ${rule.name} keys — ${who}; ${still}`;
}

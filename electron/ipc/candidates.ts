/**
 * "Pick your key": the keys on the inserted token that a request accepts, read from the token's public
 * objects without a PIN, matched by public key (SPKI bytes) against what the request's rules list. The
 * custodian chooses one of these; they never type a label. TUF, cosign and Notary requests all use it.
 */
import { bytesEqual } from '../../shared/encoding/bytes';
import { fingerprintWords } from '../../shared/pgp-words';
import type { CandidateList, KeyCandidate, TokenRef } from '../../shared/ipc/contract';
import type { PublicTokenKey } from '../adapters/pkcs11';
import { requireToken, type HostKit } from './host-kit';

/** One key a request accepts under one rule. */
export interface AcceptedKey {
  spki: Uint8Array;
  rule: string;
  name?: string;
  signed: boolean;
}

/** The public keys on the expected token (wrong or missing token refused first), no login. */
export async function publicKeysOn(kit: HostKit, ref: TokenRef): Promise<{ token: { label: string; serial: string }; keys: PublicTokenKey[] }> {
  const m = kit.tokens();
  const t = requireToken(m, ref);
  const keys = await m.withSession({ serial: t.serial }, { rw: false, login: false }, (s) => s.findPublicKeys());
  return { token: { label: t.label, serial: t.serial }, keys };
}

export function matchCandidates(token: { label: string; serial: string }, keys: readonly PublicTokenKey[], accepted: readonly AcceptedKey[]): CandidateList {
  const out: KeyCandidate[] = [];
  let otherKeys = 0;
  for (const k of keys) {
    const hits = accepted.filter((a) => bytesEqual(a.spki, k.publicKeySpki));
    if (hits.length === 0) {
      otherKeys++;
      continue;
    }
    const name = hits.find((h) => h.name)?.name;
    out.push({
      label: k.label,
      idHex: k.idHex,
      keyType: k.keyType,
      fingerprint: k.fingerprint,
      fingerprintWords: fingerprintWords(k.fingerprint, 8),
      ...(name ? { name } : {}),
      rules: [...new Set(hits.map((h) => h.rule))],
      signed: hits.some((h) => h.signed),
    });
  }
  return { token, keys: out, otherKeys };
}

/**
 * An input file opened on the ceremony setup screen, read when it is opened (not at the step that
 * uses it, after everyone has checked in): a backup file, the current root.json or targets.json.
 * A wrong file is refused with its code and what it is instead; a good one is summarised so the
 * room sees which backup set or which root version the ceremony will use.
 */
import { KeyceremonyError } from '../../shared/errors';
import { parseStrictJson } from '../../shared/json';
import { readEnvelope, signedFromJSON, type Root, type Targets } from '../../shared/tuf/models';
import { parseBackup } from '../core/backup';

export type InputPurpose = 'backup' | 'tuf-root' | 'tuf-targets' | 'other';

export async function checkCeremonyInput(purpose: InputPurpose, name: string, text: string): Promise<{ summary: string }> {
  if (purpose === 'backup') {
    const b = await parseBackup(text, name);
    return {
      summary: `backup of key “${b.key.label}” (${b.key.type}), share set ${b.shareSet.id}: any ${b.shareSet.m} of ${b.shareSet.n} (${b.shareSet.custodians.join(', ')})`,
    };
  }
  if (purpose === 'tuf-root' || purpose === 'tuf-targets') {
    const want = purpose === 'tuf-root' ? 'root' : 'targets';
    const env = readEnvelope(parseStrictJson(text, { source: name, maxBytes: 256 * 1024 * 1024 }), name);
    const signed = signedFromJSON(env.signedRaw, `${name} $.signed`);
    if (signed.type !== want) {
      throw new KeyceremonyError('INVALID_METADATA', `${name} is ${signed.type} metadata; this ceremony needs the current ${want}.json.`, {
        where: `${name} $.signed._type`,
      });
    }
    if (signed.type === 'root') {
      const r = signed as Root;
      return { summary: `root version ${r.version}: ${r.roles.root.keyids.length} root key(s), threshold ${r.roles.root.threshold}, expires ${r.expires}` };
    }
    const t = signed as Targets;
    const count = t.parsedTargetCount ?? Object.keys(t.targets).length;
    const roles = t.delegations?.roles?.length ?? 0;
    return { summary: `targets version ${t.version}: ${count} target(s), ${roles} delegated role(s), expires ${t.expires}` };
  }
  return { summary: `${text.length} characters` };
}

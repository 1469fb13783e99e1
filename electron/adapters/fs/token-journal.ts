/**
 * The token-operation journal (issue 12 items 1, 2): one small JSON file per intent, written
 * atomically BEFORE a key is generated or unwrapped on a token and removed after it is complete.
 * A file still there after a crash says which objects on which token the interrupted operation made.
 *
 * Where: a ceremony run keeps its own (`<run folder>/token-journal/`); the CLI and the app use the
 * per-user one: $KEYCEREMONY_STATE_DIR, else $XDG_STATE_HOME/keyceremony, else
 * ~/.local/state/keyceremony, in `token-journal/`. It holds labels, ids and serials, no secrets.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import type { TokenIntent, TokenJournal } from '../pkcs11/types';
import { fsyncDir, writeFileAtomic } from './atomic';
import { readInputText } from './read';

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || '_';
/** Serial AND label: some modules give every token the same serial (tpm2-pkcs11, openCryptoki). */
const tokenKey = (t: { serial: string; label: string }) => `${safe(t.serial)}~${safe(t.label)}`;

export function defaultTokenJournalDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.KEYCEREMONY_STATE_DIR || (env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, 'keyceremony') : join(homedir(), '.local', 'state', 'keyceremony'));
  return join(base, 'token-journal');
}

export class FsTokenJournal implements TokenJournal {
  constructor(readonly location: string) {}

  private file(i: Pick<TokenIntent, 'op' | 'token' | 'key'>): string {
    return join(this.location, `${tokenKey(i.token)}.${i.op}.${safe(i.key.idHex)}.json`);
  }

  begin(intent: TokenIntent): void {
    writeFileAtomic(this.file(intent), JSON.stringify(intent, null, 1) + '\n', { mode: 0o600 });
  }

  end(intent: TokenIntent): void {
    const f = this.file(intent);
    try {
      rmSync(f, { force: true });
      fsyncDir(this.location);
    } catch (e) {
      throw new KeyceremonyError('IO_ERROR', `Cannot close the token journal entry ${f}: ${(e as Error).message}`, { where: f, cause: e });
    }
  }

  pending(token: { serial: string; label: string }): TokenIntent[] {
    if (!existsSync(this.location)) return [];
    const prefix = `${tokenKey(token)}.`;
    const out: TokenIntent[] = [];
    for (const n of readdirSync(this.location).sort()) {
      if (!n.startsWith(prefix) || !n.endsWith('.json')) continue;
      try {
        const x = JSON.parse(readInputText(join(this.location, n), { what: 'token journal entry', kind: 'document' })) as TokenIntent;
        if (
          x &&
          x.v === 1 &&
          x.token?.serial === token.serial &&
          x.token.label === token.label &&
          typeof x.key?.idHex === 'string' &&
          Array.isArray(x.tornBefore)
        )
          out.push(x);
      } catch {
        /* a file that is not an intent (atomic writes leave no torn ones) */
      }
    }
    return out;
  }
}

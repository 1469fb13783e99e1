/**
 * In-memory ports for PURE ceremony engine tests: a token service over SoftwareSigner keys, a
 * journal and output store in maps, a scripted prompter, a fixed clock.
 */
import { randomBytes } from 'node:crypto';
import { SoftwareSigner } from './software-signer';
import type {
  GeneratedKey,
  Journal,
  OutputStore,
  PreflightCheck,
  PreflightProbe,
  Prompter,
  PresentToken,
  TokenService,
} from '../../electron/core/ceremony/types';
import type { KeyType, SignatureAlgorithm } from '../../shared/crypto/algorithms';
import { KeyceremonyError } from '../../shared/errors';
import type { Signer } from '../../electron/core/signer';

export class MemJournal implements Journal {
  state: string | null = null;
  lines: string[] = [];
  saves = 0;
  /** Throw after this many more saves (crash simulation). */
  crashAfterSaves = Infinity;
  async loadState() {
    return this.state;
  }
  async saveState(t: string) {
    if (this.crashAfterSaves-- <= 0) throw new Error('simulated crash');
    this.saves++;
    this.state = t;
  }
  async readTranscript() {
    return [...this.lines];
  }
  async appendTranscript(l: string[]) {
    this.lines.push(...l);
  }
}

/** An output store that also mirrors the transcript (like the bundle folder does). */
export class MemStore implements OutputStore {
  files = new Map<string, Uint8Array>();
  constructor(private journal?: MemJournal) {}
  async write(p: string, b: Uint8Array) {
    this.files.set(p, b);
  }
  async read(p: string) {
    if (p === 'transcript.jsonl' && this.journal) return new TextEncoder().encode(this.journal.lines.map((l) => l + '\n').join(''));
    const b = this.files.get(p);
    if (!b) throw new KeyceremonyError('NOT_FOUND', `no ${p}`);
    return b;
  }
  async exists(p: string) {
    return this.files.has(p);
  }
  async list() {
    const l = [...this.files.keys()];
    if (this.journal && !l.includes('transcript.jsonl')) l.push('transcript.jsonl');
    return l.sort();
  }
}

interface FakeKey {
  label: string;
  idHex: string;
  signer: SoftwareSigner;
}

export class FakeTokens implements TokenService {
  readonly tokens = new Map<string, { serial: string; keys: FakeKey[] }>();
  generated = 0;
  constructor(labels: string[]) {
    labels.forEach((l, i) => this.tokens.set(l, { serial: `SER${1000 + i}`, keys: [] }));
  }
  private tok(label: string) {
    const t = this.tokens.get(label);
    if (!t) throw new KeyceremonyError('TOKEN_NOT_FOUND', `no token ${label}`);
    return t;
  }
  async present(): Promise<PresentToken[]> {
    return [...this.tokens].map(([label, t]) => ({ label, serial: t.serial }));
  }
  private out(k: FakeKey, created: boolean): GeneratedKey {
    return {
      label: k.label,
      idHex: k.idHex,
      keyType: k.signer.keyType,
      publicKeySpki: k.signer.publicKeySpki,
      fingerprint: k.signer.fingerprint,
      created,
      mechanism: 'FAKE_KEYGEN',
    };
  }
  async generateKey(token: { label: string }, spec: { label: string; idHex: string; keyType: KeyType }) {
    const t = this.tok(token.label);
    const same = t.keys.find((k) => k.label === spec.label && k.idHex === spec.idHex);
    if (same) return this.out(same, false);
    if (t.keys.some((k) => k.label === spec.label)) throw new KeyceremonyError('KEY_EXISTS', 'label clash');
    const k = { label: spec.label, idHex: spec.idHex, signer: SoftwareSigner.generate(spec.keyType) };
    t.keys.push(k);
    this.generated++;
    return this.out(k, true);
  }
  async findKey(token: { label: string }, sel: { label: string }) {
    const k = this.tok(token.label).keys.find((x) => x.label === sel.label);
    return k ? this.out(k, false) : null;
  }
  async destroyKey(token: { label: string }, sel: { label: string; idHex: string }) {
    const t = this.tok(token.label);
    t.keys = t.keys.filter((k) => !(k.label === sel.label && k.idHex === sel.idHex));
  }
  async countKeys(token: { label: string }, sel: { label?: string }) {
    return this.tok(token.label).keys.filter((k) => !sel.label || k.label === sel.label).length;
  }
  async withSigners<T>(
    keys: { token: { label: string }; key: { label: string; idHex: string }; algorithm?: SignatureAlgorithm }[],
    fn: (s: Signer[]) => Promise<T>,
  ) {
    return fn(
      keys.map((k) => {
        const f = this.tok(k.token.label).keys.find((x) => x.label === k.key.label && x.idHex === k.key.idHex);
        if (!f) throw new KeyceremonyError('KEY_NOT_FOUND', `no key ${k.key.label}`);
        if (!k.algorithm || k.algorithm === f.signer.algorithm) return f.signer;
        return new SoftwareSigner(f.signer.keyType, f.signer.privateKey, f.signer.publicKey, k.algorithm, f.signer.description);
      }),
    );
  }
}

export function fakePreflight(checks: PreflightCheck[]): PreflightProbe {
  return { run: async () => checks };
}

export function autoPrompter(opts: { refuse?: string; deviation?: string | null; log?: string[] } = {}): Prompter {
  return {
    say: (l) => opts.log?.push(l),
    acknowledge: async ({ ack }) => ack.id !== opts.refuse,
    deviation: async ({ check, administrator }) => (opts.deviation ? { check: check.id, justification: opts.deviation, by: administrator.id } : null),
    pin: () => () => new TextEncoder().encode('0000'),
    soPin: () => () => new TextEncoder().encode('00000000'),
    shareSink: () => ({
      deliver: async () => undefined,
      collect: async () => new Uint8Array(0),
      gather: async () => [],
    }),
  };
}

export const fixedClock = (iso = '2026-11-22T05:00:00Z') => ({ now: () => new Date(iso) });
export const randomHex = (n: number) => randomBytes(n).toString('hex');

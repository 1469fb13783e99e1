/**
 * The ceremony engine: a pure state machine over the script's steps, phase by phase
 * (preflight → check-in → keygen → backup → signing → export → close).
 *
 * Crash safety (write-ahead): every transition is ONE atomic state write that also carries the
 * transcript lines it produces (`pending`); the lines are then appended and `pending` cleared.
 * On start, pending lines not yet in the transcript are appended (never twice: lines are matched
 * by seq/hash). A step interrupted after its side effects re-runs: step kinds are idempotent (a
 * key is found by label+id, outputs are rewritten atomically), and the transcript says "resumed".
 */
import { sha256Hex, verifySignature } from '../../../shared/crypto/webcrypto';
import { bytesEqual, fromBase64, pemEncode, toBase64, toHex, utf8 } from '../../../shared/encoding/bytes';
import { KeyceremonyError, toErrorInfo } from '../../../shared/errors';
import { fingerprintWords } from '../../../shared/pgp-words';
import type { Signer } from '../signer';
import type { StepContext, StepKind, StepOutcome } from './step';
import {
  CHECKSUMS,
  MANIFEST,
  MANIFEST_DSSE,
  MANIFEST_TYPE,
  REHEARSAL_BANNER,
  TRANSCRIPT,
  VERIFY_SCRIPT,
  checksumAlgorithm,
  checksumSignaturePath,
  checksumsText,
  keyName,
  publicKeyPath,
  signManifest,
  type Manifest,
  type ManifestFile,
} from './bundle';
import { renderVerifyScript } from './verify-script';
import { renderTranscriptHtml } from './transcript-html';
import { GENESIS, TRANSCRIPT_FORMAT, makeEntry, verifyTranscript, type TranscriptBody, type TranscriptEntry } from './transcript';
import type {
  AckSource,
  AckSpec,
  CeremonyScript,
  CeremonyState,
  Clock,
  Journal,
  KeyRecord,
  OutputStore,
  Participant,
  Prompter,
  Services,
  StepSpec,
  TokenRef,
} from './types';
import { assertScript } from './validate';
import { participantsAsked } from './types';

export type { StepContext, StepKind, StepOutcome } from './step';

export interface EngineOptions {
  script: unknown;
  scriptText: string;
  rehearsal: boolean;
  kinds: Record<string, StepKind>;
  services: Services;
  prompter: Prompter;
  journal: Journal;
  outputs: OutputStore;
  clock: Clock;
  /** Random run id source (hex), used once on the first start. */
  randomHex(bytes: number): string;
  /** Test hook: called after a step's start is committed, before its work. */
  onStepStarted?(stepId: string): Promise<void>;
  /** Test hook: called after a step's work and before its completion is committed. */
  onBeforeCommit?(stepId: string): Promise<void>;
  /** Extra printable forms of the transcript written at sealing (e.g. a PDF from an adapter). */
  printables?(input: {
    script: CeremonyScript;
    entries: TranscriptEntry[];
    rehearsal: boolean;
    at: Date;
  }): Promise<{ path: string; bytes: Uint8Array; kind: string }[]>;
  /** Progress callback for UIs. */
  onEvent?(e: EngineEvent): void;
}

export type EngineEvent =
  | { type: 'step-start'; step: string; index: number; total: number; resumed: boolean }
  | { type: 'step-done'; step: string; summary: string; skipped: boolean }
  | { type: 'complete' };

export interface RunResult {
  state: CeremonyState;
  resumed: boolean;
  alreadyComplete: boolean;
}

export class CeremonyEngine {
  readonly script: CeremonyScript;
  private state!: CeremonyState;
  private readonly o: EngineOptions;

  constructor(o: EngineOptions) {
    this.o = o;
    this.script = assertScript(o.script, o.kinds);
  }

  get current(): Readonly<CeremonyState> {
    return this.state;
  }

  private header() {
    return { ceremony: this.state.name, runId: this.state.runId, rehearsal: this.state.rehearsal };
  }

  /** One atomic transition: state (with pending lines) → append lines → clear pending. */
  private async commit(mutate: (s: CeremonyState) => void, bodies: TranscriptBody[]): Promise<void> {
    const next: CeremonyState = structuredClone(this.state);
    mutate(next);
    const lines: string[] = [];
    let head = next.transcript.head;
    let count = next.transcript.count;
    for (const b of bodies) {
      const { line, hash } = await makeEntry(this.header(), count, head, this.o.clock.now().toISOString(), b);
      lines.push(line);
      head = hash;
      count++;
    }
    next.transcript = { count, head };
    next.pending = lines;
    await this.o.journal.saveState(JSON.stringify(next, null, 1));
    this.state = next;
    await this.flushPending();
  }

  private async flushPending(): Promise<void> {
    if (!this.state.pending.length) return;
    const existing = await this.o.journal.readTranscript();
    const firstSeq = this.state.transcript.count - this.state.pending.length;
    const missing = this.state.pending.filter((_, i) => firstSeq + i >= existing.length);
    // lines already there must be exactly ours
    for (let i = 0; i < this.state.pending.length; i++) {
      const at = firstSeq + i;
      if (at < existing.length && existing[at] !== this.state.pending[i]) {
        throw new KeyceremonyError('CONFLICT', `The transcript line ${at + 1} differs from the journal; the transcript was changed outside the engine.`, {
          where: 'transcript.jsonl',
        });
      }
    }
    if (existing.length < firstSeq) {
      throw new KeyceremonyError('CONFLICT', `The transcript has ${existing.length} lines but the journal expects at least ${firstSeq}; lines were removed.`, {
        where: 'transcript.jsonl',
      });
    }
    if (missing.length) await this.o.journal.appendTranscript(missing);
    const next = { ...this.state, pending: [] };
    await this.o.journal.saveState(JSON.stringify(next, null, 1));
    this.state = next;
  }

  private async open(): Promise<{ resumed: boolean }> {
    const scriptSha256 = await sha256Hex(utf8(this.o.scriptText));
    const saved = await this.o.journal.loadState();
    if (saved !== null) {
      let st: CeremonyState;
      try {
        st = JSON.parse(saved) as CeremonyState;
      } catch (e) {
        throw new KeyceremonyError('INVALID_JSON', 'The ceremony journal is not valid JSON; it was not written by this engine.', {
          where: 'state.json',
          cause: e,
        });
      }
      if ((st.format as string) === 'keyceremony-state/v1') {
        throw new KeyceremonyError(
          'UNSUPPORTED_FORMAT',
          'This run was started by an earlier keyceremony (journal v1, transcript v1), which this version cannot continue: finish it with the version that started it, or start the ceremony again in a new --out folder.',
          { where: 'state.json' },
        );
      }
      if (st.format !== 'keyceremony-state/v2') throw new KeyceremonyError('UNSUPPORTED_FORMAT', 'Unknown journal format.', { where: 'state.json' });
      if (st.scriptSha256 !== scriptSha256)
        throw new KeyceremonyError(
          'CONFLICT',
          'This output folder belongs to a run of a different script (the script changed). Use a new --out folder or restore the original script.',
          {
            where: 'state.json',
            details: { journalScript: st.scriptSha256.slice(0, 16), thisScript: scriptSha256.slice(0, 16) },
          },
        );
      if (st.rehearsal !== this.o.rehearsal)
        throw new KeyceremonyError(
          'CONFLICT',
          `This output folder holds a ${st.rehearsal ? 'rehearsal' : 'production'} run; it cannot be resumed in ${this.o.rehearsal ? 'rehearsal' : 'production'} mode.`,
          {
            where: 'state.json',
          },
        );
      this.state = st;
      await this.flushPending();
      if (st.abandoned && !this.allowAbandoned) {
        throw new KeyceremonyError(
          'CONFLICT',
          `This run was abandoned on ${st.abandoned.at} by ${st.abandoned.by}; it cannot be resumed. Start a new ceremony.`,
          { where: 'state.json' },
        );
      }
      const lines = await this.o.journal.readTranscript();
      const v = await verifyTranscript(lines);
      if (!v.ok) {
        throw new KeyceremonyError('VERIFICATION_FAILED', `The transcript is broken at line ${v.broken?.line}: ${v.broken?.reason}.`, {
          where: 'transcript.jsonl',
        });
      }
      if (v.count !== st.transcript.count || v.head !== st.transcript.head) {
        throw new KeyceremonyError('CONFLICT', `The transcript (${v.count} entries) does not match the journal (${st.transcript.count} entries).`, {
          where: 'transcript.jsonl',
        });
      }
      return { resumed: true };
    }
    if ((await this.o.journal.readTranscript()).length) {
      throw new KeyceremonyError('CONFLICT', 'A transcript exists without a journal; refusing to start over it. Use a new --out folder.', {
        where: 'transcript.jsonl',
      });
    }
    const now = this.o.clock.now().toISOString();
    this.state = {
      format: 'keyceremony-state/v2',
      name: this.script.name,
      runId: this.o.randomHex(16),
      rehearsal: this.o.rehearsal,
      scriptSha256,
      startedAt: now,
      steps: {},
      keys: {},
      tokens: {},
      outputs: {},
      transcript: { count: 0, head: GENESIS },
      pending: [],
    };
    const scriptPath = `${this.o.rehearsal ? 'REHEARSAL-' : ''}ceremony.json`;
    await this.o.outputs.write(scriptPath, utf8(this.o.scriptText));
    await this.commit(
      (s) => {
        s.outputs[scriptPath] = { sha256: scriptSha256, kind: 'ceremony-script' };
      },
      [
        {
          event: 'ceremony-opened',
          outputs: [{ path: scriptPath, sha256: scriptSha256 }],
          actor: this.administrator().id,
          note: this.o.rehearsal ? 'REHEARSAL: software tokens created for this run; nothing here is production key material.' : 'Production ceremony.',
          payloadSha256: scriptSha256,
          facts: {
            title: this.script.title,
            mode: this.o.rehearsal ? 'rehearsal' : 'production',
            participants: this.script.participants.map((p) => `${p.name} (${p.id}, ${p.role})`).join('; '),
            steps: this.script.steps.map((s) => s.id).join(', '),
          },
        },
      ],
    );
    return { resumed: false };
  }

  administrator(): Participant {
    return this.script.participants.find((p) => p.role === 'administrator') as Participant;
  }

  /** Run (or resume) to the end. */
  async run(): Promise<RunResult> {
    const { resumed } = await this.open();
    if (this.state.sealed) return { state: this.state, resumed, alreadyComplete: true };
    // (the loop skips completed steps; a run killed while sealing only re-seals)
    const total = this.script.steps.length;
    for (let i = 0; i < total; i++) {
      const step = this.script.steps[i] as StepSpec;
      const rec = this.state.steps[step.id];
      if (rec && rec.status !== 'running') continue;
      const kind = this.o.kinds[step.kind] as StepKind;
      const again = rec?.status === 'running';
      this.o.onEvent?.({ type: 'step-start', step: step.id, index: i, total, resumed: again });
      this.o.prompter.say(`— step ${i + 1}/${total}: ${step.title ?? step.id} (${step.kind})${again ? ' [resumed]' : ''}`);
      if (step.instructions) this.o.prompter.say(step.instructions);
      await this.commit(
        (s) => {
          s.steps[step.id] = { status: 'running', attempts: (rec?.attempts ?? 0) + 1, startedAt: rec?.startedAt ?? this.o.clock.now().toISOString() };
        },
        [
          {
            event: again ? 'step-resumed' : 'step-started',
            step: step.id,
            kind: step.kind,
            actor: this.administrator().id,
            ...(again ? { note: 'The previous attempt was interrupted; the step runs again and finds what it already made.' } : {}),
          },
        ],
      );

      await this.o.onStepStarted?.(step.id);
      const missing = (kind.needs ?? []).filter((n) => !this.o.services[n]);
      let outcome: StepOutcome | undefined;
      // Work on a scratch copy: recordKey/recordToken/writeOutput update it; committed at the end.
      const scratch: CeremonyState = structuredClone(this.state);
      if (missing.length) {
        if (!this.o.rehearsal) {
          throw new KeyceremonyError('PRECONDITION_FAILED', `Step "${step.id}" needs the ${missing.join(', ')} service, which this build does not provide.`, {
            where: `step ${step.id}`,
          });
        }
        outcome = {
          summary: `skipped: ${missing.join(', ')} service not available in this build`,
          entries: [],
          shown: [],
          skipped: true,
        };
      }
      let acks: Awaited<ReturnType<CeremonyEngine['acknowledge']>>;
      try {
        outcome ??= await kind.run(this.context(step, scratch));
        for (const l of outcome.shown.slice(outcome.alreadySaid ?? 0)) this.o.prompter.say(l);
        acks = await this.acknowledge(step, outcome.shown);
      } catch (e) {
        // record why the ceremony stopped here (codes and messages never carry secrets), then stop
        const info = toErrorInfo(e);
        try {
          await this.commit(
            () => undefined,
            [
              {
                event: 'step-failed',
                step: step.id,
                kind: step.kind,
                actor: this.administrator().id,
                note: `${info.code}: ${info.message}${info.where ? ` (${info.where})` : ''}`,
              },
            ],
          );
        } catch {
          /* the journal itself failed: the original error is what matters */
        }
        throw e;
      }
      await this.o.onBeforeCommit?.(step.id);
      await this.commit(
        (s) => {
          s.keys = scratch.keys;
          s.tokens = scratch.tokens;
          s.outputs = scratch.outputs;
          s.steps[step.id] = {
            ...(s.steps[step.id] as CeremonyState['steps'][string]),
            status: outcome.skipped ? 'skipped' : 'done',
            finishedAt: this.o.clock.now().toISOString(),
            summary: outcome.summary,
          };
          if (step.kind === 'close' && scratch.sealed) s.sealed = scratch.sealed;
        },
        [
          ...outcome.entries.map((e) => ({ step: step.id, kind: step.kind, ...e })),
          {
            event: outcome.skipped ? 'step-skipped' : 'step-completed',
            step: step.id,
            kind: step.kind,
            actor: this.administrator().id,
            note: outcome.summary,
            ...(acks.length ? { acknowledgements: acks } : {}),
          },
        ],
      );
      this.o.onEvent?.({ type: 'step-done', step: step.id, summary: outcome.summary, skipped: !!outcome.skipped });
    }
    await this.seal();
    this.o.onEvent?.({ type: 'complete' });
    return { state: this.state, resumed, alreadyComplete: false };
  }

  /**
   * Seal the bundle (format v2, docs/bundle-format.md): transcript.html and printables, VERIFY.sh,
   * any signer's public key file not written yet, manifest.json and its DSSE signature, then
   * SHA256SUMS over every file and one detached signature over it per signer (openssl-checkable).
   * All signatures are made on the tokens in one session per token and verified right after.
   * Idempotent until sealed: a crash in here re-seals from the start.
   */
  private async seal(): Promise<void> {
    const close = this.script.steps[this.script.steps.length - 1] as StepSpec;
    const signWith = ((close.params ?? {}).signWith as string[] | undefined) ?? [];
    const rehearsal = this.state.rehearsal;
    const lines = await this.o.journal.readTranscript();
    const v = await verifyTranscript(lines);
    if (!v.ok)
      throw new KeyceremonyError('VERIFICATION_FAILED', `The transcript is broken at line ${v.broken?.line}: ${v.broken?.reason}.`, { where: TRANSCRIPT });
    const tBytes = await this.o.outputs.read(TRANSCRIPT);
    if (!bytesEqual(tBytes, utf8(lines.length ? lines.join('\n') + '\n' : ''))) {
      throw new KeyceremonyError('CONFLICT', 'The transcript in the bundle folder differs from the journal.', { where: TRANSCRIPT });
    }
    const prefix = rehearsal ? 'REHEARSAL-' : '';
    const files: ManifestFile[] = [];
    const add = async (path: string, bytes: Uint8Array, kind: string) => {
      await this.o.outputs.write(path, bytes);
      files.push({ path, sha256: await sha256Hex(bytes), size: bytes.length, kind });
    };
    for (const [path, rec] of Object.entries(this.state.outputs)) {
      const b = await this.o.outputs.read(path);
      const sha = await sha256Hex(b);
      if (sha !== rec.sha256) throw new KeyceremonyError('HASH_MISMATCH', `Output ${path} changed after the step that wrote it.`, { where: path });
      files.push({ path, sha256: sha, size: b.length, kind: rec.kind });
    }
    files.push({ path: TRANSCRIPT, sha256: await sha256Hex(tBytes), size: tBytes.length, kind: 'transcript' });
    const sealedAt = this.o.clock.now();
    for (const p of (await this.o.printables?.({ script: this.script, entries: v.entries, rehearsal, at: sealedAt })) ?? []) {
      await add(safeOutputPath(`${prefix}${p.path}`), p.bytes, p.kind);
    }
    await add(`${prefix}transcript.html`, utf8(renderTranscriptHtml(this.script, v.entries, rehearsal)), 'transcript-html');
    // every key's public key file (keys-present records keys without writing one)
    const keys = Object.values(this.state.keys);
    for (const k of keys) {
      const pemPath = publicKeyPath(keyName(k.id, rehearsal));
      const pem = utf8(pemEncode('PUBLIC KEY', fromBase64(k.spkiB64)));
      const had = files.find((f) => f.path === pemPath);
      if (had && !bytesEqual(await this.o.outputs.read(pemPath), pem))
        throw new KeyceremonyError('CONFLICT', `${pemPath} is not the public key of ${k.id}.`, { where: pemPath });
      if (!had) await add(pemPath, pem, 'public-key');
    }
    const signerKeys = signWith.map((id) => {
      const k = this.state.keys[id];
      if (!k)
        throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${id}" signs the bundle but was not generated in this ceremony.`, { where: `step ${close.id}` });
      const name = keyName(id, rehearsal);
      return { id, rec: k, name, algorithm: checksumAlgorithm(k.keyType) };
    });
    await add(VERIFY_SCRIPT, utf8(renderVerifyScript(signerKeys.map((k) => ({ name: k.name, algorithm: k.algorithm })))), 'verify-script');
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest: Manifest = {
      _type: MANIFEST_TYPE,
      mode: rehearsal ? REHEARSAL_BANNER : 'production',
      rehearsal,
      ceremony: this.script.name,
      title: this.script.title,
      runId: this.state.runId,
      scriptSha256: this.state.scriptSha256,
      startedAt: this.state.startedAt,
      sealedAt: sealedAt.toISOString(),
      transcript: { path: TRANSCRIPT, format: TRANSCRIPT_FORMAT, entries: v.count, head: v.head },
      keys: keys.map((k) => ({
        id: k.id,
        label: k.label,
        keyType: k.keyType,
        fingerprint: k.fingerprint,
        words: fingerprintWords(k.fingerprint),
        spki: k.spkiB64,
        publicKey: publicKeyPath(keyName(k.id, rehearsal)),
        token: { label: k.token.label, ...(k.token.serial ? { serial: k.token.serial } : {}) },
        ...(k.purpose ? { purpose: k.purpose } : {}),
      })),
      signers: signWith,
      checksums: {
        path: CHECKSUMS,
        signatures: signerKeys.map((k) => ({ key: k.id, path: checksumSignaturePath(k.name), publicKey: publicKeyPath(k.name), algorithm: k.algorithm })),
      },
      files,
    };
    const ctx = this.context(close, structuredClone(this.state));
    await this.o.onBeforeCommit?.('seal');
    // one session per token: each signer twice (its DSSE algorithm, then its SHA256SUMS algorithm)
    const requests = [...signWith.map((key) => ({ key })), ...signerKeys.map((k) => ({ key: k.id, algorithm: k.algorithm }))];
    const { signed, sums, sigs } = await ctx.signersFor(requests, async (m) => {
      const signed = await signManifest(
        manifest,
        signWith.map((_, i) => m[i] as Signer),
      );
      const dsse = utf8(JSON.stringify(signed.envelope, null, 2) + '\n');
      const sums = checksumsText([
        ...files,
        { path: MANIFEST, sha256: await sha256Hex(signed.manifest) },
        { path: MANIFEST_DSSE, sha256: await sha256Hex(dsse) },
      ]);
      const sigs: Uint8Array[] = [];
      for (let i = 0; i < signerKeys.length; i++) {
        const k = signerKeys[i] as (typeof signerKeys)[number];
        const sig = await (m[signWith.length + i] as Signer).sign(sums);
        // verified right after making it, as openssl and VERIFY.sh will check it
        if (!(await verifySignature(fromBase64(k.rec.spkiB64), k.algorithm, sums, sig))) {
          throw new KeyceremonyError('SIGNATURE_SELF_CHECK_FAILED', `The signature of ${k.id} over ${CHECKSUMS} does not verify.`, {
            where: checksumSignaturePath(k.name),
          });
        }
        sigs.push(sig);
      }
      return { signed: { ...signed, dsse }, sums, sigs };
    });
    await this.o.outputs.write(MANIFEST, signed.manifest);
    await this.o.outputs.write(MANIFEST_DSSE, signed.dsse);
    await this.o.outputs.write(CHECKSUMS, sums);
    for (let i = 0; i < signerKeys.length; i++)
      await this.o.outputs.write(checksumSignaturePath((signerKeys[i] as (typeof signerKeys)[number]).name), sigs[i] as Uint8Array);
    const manifestSha256 = await sha256Hex(signed.manifest);
    await this.commit((s) => {
      s.sealed = { manifestSha256, at: manifest.sealedAt };
    }, []);
    this.o.prompter.say(
      `bundle sealed: manifest sha256 ${manifestSha256}, signed by ${signWith.join(', ') || 'nobody'}; ${CHECKSUMS} signed by the same key(s)`,
    );
  }

  private allowAbandoned = false;

  /**
   * The keys this run made or may have made: every key recorded in the journal, and the keys of a
   * keygen step that was interrupted (their CKA_ID is derived from the run id, so they can be found).
   */
  async keysOfRun(): Promise<{ recorded: KeyRecord[]; interrupted: { id: string; label: string; idHex: string; tokenId: string }[] }> {
    await this.open();
    const recorded = Object.values(this.state.keys);
    const interrupted: { id: string; label: string; idHex: string; tokenId: string }[] = [];
    for (const step of this.script.steps) {
      if (step.kind !== 'keygen' || this.state.steps[step.id]?.status !== 'running') continue;
      for (const keyId of (step.params?.keys as string[] | undefined) ?? []) {
        if (this.state.keys[keyId]) continue;
        const spec = this.script.keys.find((k) => k.id === keyId);
        if (!spec) continue;
        interrupted.push({
          id: keyId,
          label: spec.label,
          idHex: (await sha256Hex(utf8(`keyceremony/${this.state.runId}/${keyId}`))).slice(0, 32),
          tokenId: spec.token,
        });
      }
    }
    return { recorded, interrupted };
  }

  /**
   * Abandon an unfinished run. With `removeKeys`, every key the run made is deleted from its token
   * (each token's PIN is asked); the transcript gets one `ceremony-abandoned` entry naming each key
   * (token, label, CKA_ID, fingerprint) and whether it was removed or left, and the journal is marked
   * so the run is not offered for resuming again.
   */
  async abandon(o: { by: string; reason: string; removeKeys: boolean }): Promise<{ removed: string[]; left: string[] }> {
    this.allowAbandoned = true;
    const saved = await this.o.journal.loadState();
    if (saved === null) throw new KeyceremonyError('NOT_FOUND', 'There is no run to abandon here.', { where: 'state.json' });
    const { recorded, interrupted } = await this.keysOfRun();
    if (this.state.sealed) throw new KeyceremonyError('CONFLICT', 'This run is finished and sealed; there is nothing to abandon.', { where: 'state.json' });
    if (this.state.abandoned) return { removed: [], left: [] };
    const removed: string[] = [];
    const left: string[] = [];
    const tokens = this.o.services.tokens;
    const keys: TranscriptBody['keys'] = [];
    const all = [
      ...recorded.map((k) => ({ id: k.id, label: k.label, idHex: k.idHex, tokenId: k.token.id, fingerprint: k.fingerprint as string | undefined })),
      ...interrupted.map((k) => ({ ...k, fingerprint: undefined as string | undefined })),
    ];
    for (const k of all) {
      const spec = this.script.tokens.find((t) => t.id === k.tokenId);
      const seen = this.state.tokens[k.tokenId];
      const ref: TokenRef = {
        label: spec?.label ?? k.tokenId,
        ...((seen?.serial ?? spec?.serial) ? { serial: (seen?.serial ?? spec?.serial) as string } : {}),
      };
      let fingerprint = k.fingerprint;
      if (o.removeKeys) {
        if (!tokens || !spec) throw new KeyceremonyError('PRECONDITION_FAILED', 'No token service to remove the keys with.', { where: 'abandon' });
        const pin = this.o.prompter.pin(spec);
        const found = await tokens.findKey(ref, { label: k.label, idHex: k.idHex }, pin);
        if (found) {
          fingerprint ??= found.fingerprint;
          await tokens.destroyKey(ref, { label: k.label, idHex: k.idHex }, pin);
          removed.push(k.id);
        } else if (k.fingerprint) {
          left.push(k.id); // recorded but not on the token any more
        }
      } else if (k.fingerprint) {
        left.push(k.id);
      }
      if (fingerprint)
        keys.push({
          id: k.id,
          label: `${k.label} on ${ref.label}${ref.serial ? ` (serial ${ref.serial})` : ''}`,
          fingerprint,
          words: fingerprintWords(fingerprint),
          idHex: k.idHex,
        });
    }
    const at = this.o.clock.now().toISOString();
    await this.commit(
      (s) => {
        s.abandoned = { at, by: o.by, reason: o.reason, removed, left };
      },
      [
        {
          event: 'ceremony-abandoned',
          actor: o.by,
          note: `${o.reason} ${keys.length ? `Keys this run made: ${keys.map((k) => `${k.id} (${k.label}, CKA_ID ${k.idHex})`).join('; ')}.` : 'This run made no keys.'} ${removed.length ? `Removed from their tokens: ${removed.join(', ')}.` : ''}${left.length ? ` Left on their tokens: ${left.join(', ')}.` : ''}`.trim(),
          ...(keys.length ? { keys } : {}),
          facts: { removed: removed.length, left: left.length },
        },
      ],
    );
    return { removed, left };
  }

  /** Append transcript entries outside of a step (used by the close kind before sealing). */
  async appendNow(bodies: TranscriptBody[]): Promise<void> {
    await this.commit(() => undefined, bodies);
  }

  private async acknowledge(step: StepSpec, shown: string[]) {
    const out: { id: string; by: string; statement: string; confirmed: boolean; source: AckSource }[] = [];
    for (const ack of step.acknowledgements ?? []) {
      for (const p of this.who(ack)) {
        const answer = await this.o.prompter.acknowledge({ step: step.id, ack, by: p, shown });
        const { confirmed, source } = typeof answer === 'boolean' ? { confirmed: answer, source: 'screen' as const } : answer;
        const where = `step ${step.id} acknowledgement ${ack.id}`;
        if (source === 'answers-file' && !this.o.rehearsal && p.role !== 'administrator' && ack.allowAnswersFile !== true) {
          throw new KeyceremonyError(
            'PRECONDITION_FAILED',
            `${p.name} (${p.id}, ${p.role}) must confirm "${ack.statement}" at the screen: in production an answers file cannot acknowledge for a ${p.role}. ` +
              'Confirm it in person (run on a terminal or in the app), or let the script allow it for this acknowledgement with "allowAnswersFile": true.',
            { where },
          );
        }
        if (!confirmed) {
          throw new KeyceremonyError('CANCELLED', `${p.name} (${p.id}) did not confirm "${ack.statement}"; the ceremony stops here and can be resumed.`, {
            where,
          });
        }
        out.push({ id: ack.id, by: p.id, statement: ack.statement, confirmed: true, source });
      }
    }
    return out;
  }

  private who(ack: AckSpec): Participant[] {
    return participantsAsked(ack, this.script.participants);
  }

  private context(step: StepSpec, scratch: CeremonyState): StepContext {
    const script = this.script;
    const o = this.o;
    const find = <T extends { id: string }>(list: T[], id: string, what: string): T => {
      const x = list.find((e) => e.id === id);
      if (!x) throw new KeyceremonyError('INVALID_REFERENCE', `Unknown ${what} "${id}".`, { where: `step ${step.id}` });
      return x;
    };
    const tokenRef = (tokenId: string): TokenRef => {
      const spec = find(script.tokens, tokenId, 'token');
      const seen = scratch.tokens[tokenId];
      const serial = seen?.serial ?? spec.serial;
      return serial === undefined ? { label: spec.label } : { label: spec.label, serial };
    };
    const ctx: StepContext = {
      script,
      step,
      params: step.params ?? {},
      state: scratch,
      attempt: scratch.steps[step.id]?.attempts ?? 1,
      services: o.services,
      prompter: o.prompter,
      clock: o.clock,
      rehearsal: o.rehearsal,
      participant: (id) => find(script.participants, id, 'participant'),
      administrator: () => this.administrator(),
      keySpec: (id) => find(script.keys, id, 'key'),
      tokenSpec: (id) => find(script.tokens, id, 'token'),
      tokenRef,
      pin: (tokenId) => o.prompter.pin(find(script.tokens, tokenId, 'token')),
      keyIdHex: async (keyId) => (await sha256Hex(utf8(`keyceremony/${scratch.runId}/${keyId}`))).slice(0, 32),
      recordKey: (rec) => {
        scratch.keys[rec.id] = rec;
      },
      recordToken: (tokenId, label, serial) => {
        scratch.tokens[tokenId] = { label, serial };
      },
      writeOutput: async (path, bytes, kind) => {
        const safe = safeOutputPath(path);
        await o.outputs.write(safe, bytes);
        const sha = await sha256Hex(bytes);
        scratch.outputs[safe] = { sha256: sha, kind };
        return sha;
      },
      readOutput: (path) => o.outputs.read(safeOutputPath(path)),
      withSigner: async (keyId, fn) => ctx.withSigners([keyId], (m) => fn(m.get(keyId) as Signer)),
      withSigners: async (keyIds, fn) =>
        ctx.signersFor(
          keyIds.map((key) => ({ key })),
          async (signers) => fn(new Map(keyIds.map((id, i) => [id, signers[i] as Signer]))),
        ),
      signersFor: async (requests, fn) => {
        const tokens = o.services.tokens;
        if (!tokens) throw new KeyceremonyError('PRECONDITION_FAILED', 'No token service.', { where: `step ${step.id}` });
        const recs = requests.map(({ key, algorithm }) => {
          const rec = scratch.keys[key];
          if (!rec) throw new KeyceremonyError('KEY_NOT_FOUND', `Key "${key}" has not been generated in this ceremony yet.`, { where: `step ${step.id}` });
          return { rec, algorithm };
        });
        return tokens.withSigners(
          recs.map(({ rec, algorithm }) => ({
            token: tokenRef(rec.token.id),
            key: { label: rec.label, idHex: rec.idHex },
            pin: ctx.pin(rec.token.id),
            ...(algorithm ? { algorithm } : {}),
          })),
          fn,
        );
      },
    };
    return ctx;
  }
}

/** Bundle-relative output paths: forward slashes, no "..", no absolute paths, safe characters. */
export function safeOutputPath(p: string): string {
  if (!/^[A-Za-z0-9._\-/]+$/.test(p) || p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new KeyceremonyError('PATH_TRAVERSAL', `Refusing output path "${p}".`, { where: p });
  }
  return p;
}

/** A key record for the transcript (fingerprint + words). */
export function transcriptKey(rec: KeyRecord) {
  return { id: rec.id, label: rec.label, fingerprint: rec.fingerprint, words: fingerprintWords(rec.fingerprint), keyType: rec.keyType, idHex: rec.idHex };
}

export function spkiB64(spki: Uint8Array): string {
  return toBase64(spki);
}

export { toHex };

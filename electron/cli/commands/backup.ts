/**
 * keyceremony backup create | verify-shares | refresh | recover   (issue 7; docs/backup.md)
 * Shares come from files (--share-file, repeatable) or a hidden TTY prompt; never from argv.
 * Passphrases: --passphrase-file INDEX=PATH (repeatable) or the prompt. PINs: --pin-file / prompt.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { KeyceremonyError } from '../../../shared/errors';
import { pemEncode, toBase64, zeroize } from '../../../shared/encoding/bytes';
import {
  backupToJson,
  chooseExplanation,
  expectationOf,
  parseBackup,
  parseShareText,
  passphraseBytes,
  protectShare,
  RESPLIT_EXPLANATION,
  ROTATE_EXPLANATION,
  shareToText,
  STRATEGY_EXPLANATION,
  unprotectShare,
  verifyEveryShare,
  checkMembership,
  type BackupFile,
  type LabeledShare,
  type Share,
} from '../../core/backup';
import { createBackup, reconstructKek, recoverOntoToken } from '../../adapters/pkcs11/backup';
import { resplitBackup, rotateBackup } from '../../adapters/backup/refresh';
import { shareSheetPdf } from '../../adapters/backup/share-sheet';
import { writeFileAtomic } from '../../adapters/fs/atomic';
import { StagedFolder, removeStaleStaging } from '../../adapters/fs/staged-folder';
import { FsTokenJournal, defaultTokenJournalDir } from '../../adapters/fs/token-journal';
import { crashPoint } from '../../adapters/test-hooks';
import { readInputFile, readInputText } from '../../adapters/fs/read';
import { parse, UsageError } from '../args';
import { group } from '../dispatch';
import type { CliContext } from '../context';
import { keyOptions, keyRef, pinFor, tokenOptions, tokenRef } from '../keyref';
import { readSecretFile } from '../context';
import { withTokenLock } from '../../adapters/ceremony/locks';
import type { Command } from './types';

const shareOptions = {
  'share-file': { type: 'string', multiple: true },
  'passphrase-file': { type: 'string', multiple: true },
  prompt: { type: 'string' },
} as const;

const splitOptions = {
  m: { type: 'string' },
  n: { type: 'string' },
  custodians: { type: 'string' },
  protect: { type: 'string' },
  out: { type: 'string' },
} as const;

function int(v: string | undefined, flag: string): number {
  if (v === undefined) throw new UsageError(`${flag} is required`);
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number`);
  return Number(v);
}

function custodiansOf(v: string | undefined, n: number): string[] {
  if (!v) return Array.from({ length: n }, (_, i) => `custodian ${i + 1}`);
  const names = v.split(',').map((x) => x.trim());
  if (names.length !== n || names.some((x) => !x)) throw new UsageError(`--custodians must list ${n} non-empty names separated by commas`);
  return names;
}

function indexList(v: string | undefined, n: number, flag: string): number[] {
  if (!v) return [];
  const out = v.split(',').map((x) => Number(x.trim()));
  if (out.some((i) => !Number.isInteger(i) || i < 1 || i > n)) throw new UsageError(`${flag} takes share indices 1..${n}, comma-separated`);
  return out;
}

function passphraseFiles(list: string[] | undefined): Map<number, string> {
  const m = new Map<number, string>();
  for (const item of list ?? []) {
    const mm = /^(\d+)=(.+)$/.exec(item);
    if (!mm) throw new UsageError('--passphrase-file takes INDEX=PATH');
    m.set(Number(mm[1]), mm[2] as string);
  }
  return m;
}

async function passphraseFor(ctx: CliContext, files: Map<number, string>, index: number, purpose: string): Promise<Uint8Array> {
  const f = files.get(index);
  const raw = f
    ? readSecretFile(f, `passphrase for share ${index}`)
    : await ctx.promptSecret(`${purpose} passphrase for share ${index}: `, {
        code: 'PASSPHRASE_REQUIRED',
        sentence: `The ${purpose} passphrase of share ${index} is needed but there is no terminal to ask on. Give --passphrase-file ${index}=FILE.`,
      });
  const s = passphraseBytes(new TextDecoder().decode(raw));
  zeroize(raw);
  return s;
}

/** Read shares from files and/or the prompt. Protected shares are unlocked. Errors name the share. */
async function readShares(ctx: CliContext, v: { 'share-file'?: string[]; 'passphrase-file'?: string[]; prompt?: string }): Promise<LabeledShare[]> {
  const out: LabeledShare[] = [];
  const pp = passphraseFiles(v['passphrase-file']);
  const add = async (text: string, label: string) => {
    let share = parseShareText(text, label);
    if (share.protected) {
      const pass = await passphraseFor(ctx, pp, share.index, 'custodian');
      try {
        share = await unprotectShare(share, pass, label);
      } finally {
        zeroize(pass);
      }
    }
    out.push({ share, label });
  };
  for (const f of v['share-file'] ?? []) {
    const raw = readInputFile(f, { what: 'share file', kind: 'share' });
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
    raw.fill(0);
    await add(text, `share file ${basename(f)}`);
  }
  const count = v.prompt ? int(v.prompt, '--prompt') : 0;
  for (let i = 0; i < count; i++) {
    const words = await ctx.promptSecret(`Share ${out.length + 1}: type its words (hidden), then Enter: `, {
      code: 'SHARE_REQUIRED',
      sentence: 'Shares typed with --prompt need a terminal, and there is none. Give each share in a file with --share-file FILE.',
    });
    const text = new TextDecoder().decode(words);
    zeroize(words);
    await add(text, `share typed #${i + 1}`);
  }
  if (out.length === 0) throw new UsageError('give the shares: --share-file FILE (repeat) or --prompt COUNT (typed on the terminal)');
  return out;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 32) || 'custodian';

/** Each share set is published in its own folder under --out, named by its set id (issue 12 item 4). */
const setFolderName = (setId: string) => `set-${setId}`;

/**
 * Before anything is made or asked: --out must not itself hold a share set (writing another set there
 * would orphan the shares already handed out), and a staging folder left by a killed run is removed,
 * its share files overwritten first.
 */
function prepareOut(ctx: CliContext, outDir: string): void {
  const existing = join(outDir, 'backup.json');
  if (existsSync(existing)) {
    let what = '';
    try {
      const b = JSON.parse(readInputText(existing, { what: 'backup file', kind: 'document' })) as { shareSet?: { id?: string }; key?: { label?: string } };
      what = ` (share set ${b.shareSet?.id ?? '?'} of key "${b.key?.label ?? '?'}")`;
    } catch {
      /* named without details */
    }
    throw new KeyceremonyError(
      'CONFLICT',
      `${outDir} already holds a backup${what}. Writing another share set there would orphan the shares already handed out; nothing was done. Give --out a parent folder: each set is written to its own folder <out>/set-<set id>.`,
      { where: existing },
    );
  }
  for (const name of removeStaleStaging(outDir)) {
    ctx.out(`removed an unfinished backup (${name}) left in ${outDir} by an interrupted run; its share files were overwritten first`);
  }
}

/**
 * Write backup.json, the public key, one share text + PDF sheet per custodian and the set's log into a
 * staging folder, then publish the set folder with one rename (issue 12 item 5): a full disk or a
 * crash never leaves a partial, usable share set. Returns the set folder.
 */
async function writeOutputs(ctx: CliContext, outDir: string, backup: BackupFile, shares: Share[], log: Record<string, unknown>): Promise<string> {
  const set = StagedFolder.begin(outDir, setFolderName(backup.shareSet.id));
  const lines: string[] = [];
  try {
    const written = (path: string) => {
      crashPoint('backup:file-written');
      return path;
    };
    written(set.write('backup.json', backupToJson(backup)));
    written(set.write('public-key.pem', pemEncode('PUBLIC KEY', Buffer.from(backup.key.publicKeySpki, 'base64'))));
    for (const s of shares) {
      const base = `shares/share-${s.index}-of-${s.n}-${slug(s.custodian ?? '')}`;
      written(set.write(`${base}.txt`, shareToText(s), { mode: 0o600 }));
      const pdf = await shareSheetPdf(s, {
        keyLabel: backup.key.label,
        fingerprint: backup.key.fingerprint,
        createdAt: backup.createdAt,
        tokenLabel: backup.source.tokenLabel,
      });
      const path = written(set.write(`${base}.pdf`, pdf, { mode: 0o600 }));
      lines.push(`  share ${s.index}/${s.n} for ${s.custodian}: ${path} (+ .txt)${s.protected ? ' [passphrase-protected]' : ''}`);
    }
    written(set.write('backup-log.jsonl', JSON.stringify({ at: new Date().toISOString(), ...log }) + '\n'));
    const final = set.publish();
    for (const l of lines) ctx.out(l);
    return final;
  } catch (e) {
    set.abandon();
    if (e instanceof KeyceremonyError && e.code === 'IO_ERROR') {
      throw new KeyceremonyError(
        'IO_ERROR',
        `${e.message} Nothing was published: the unfinished share set was overwritten and removed. Free space (or choose another --out) and run the command again.`,
        {
          ...(e.where ? { where: e.where } : {}),
          cause: e,
        },
      );
    }
    throw e;
  }
}

function appendLog(outDir: string, entry: Record<string, unknown>): void {
  const path = join(outDir, 'backup-log.jsonl');
  const prev = existsSync(path) ? readInputText(path, { what: 'backup log', kind: 'journal' }) : '';
  writeFileAtomic(path, prev + JSON.stringify({ at: new Date().toISOString(), ...entry }) + '\n');
}

async function protectSome(ctx: CliContext, shares: Share[], which: number[], files: Map<number, string>): Promise<Share[]> {
  const out: Share[] = [];
  for (const s of shares) {
    if (!which.includes(s.index)) {
      out.push(s);
      continue;
    }
    const pass = await passphraseFor(ctx, files, s.index, `new`);
    if (!files.has(s.index)) {
      const again = await passphraseFor(ctx, files, s.index, 'repeat the new');
      const same = again.length === pass.length && again.every((b, i) => b === pass[i]);
      zeroize(again);
      if (!same) {
        zeroize(pass);
        throw new KeyceremonyError('INVALID_INPUT', `the two passphrases for share ${s.index} differ; nothing was written`, { where: `share ${s.index}` });
      }
    }
    try {
      const p = await protectShare(s, pass);
      zeroize(s.body);
      out.push(p);
    } finally {
      zeroize(pass);
    }
  }
  return out;
}

async function loadBackup(path: string | undefined): Promise<BackupFile> {
  if (!path) throw new UsageError('--backup FILE is required');
  return parseBackup(readInputText(path, { what: 'backup file', kind: 'document' }), `backup file ${basename(path)}`);
}

function soPinSource(ctx: CliContext, file: string | undefined, label: string) {
  return ctx.pinSource({
    pinFile: file,
    prompt: `Security officer (SO) PIN for token "${label}": `,
    envVar: 'KEYCEREMONY_SO_PIN',
    flag: '--so-pin-file',
    what: `security officer (SO) PIN of token "${label}"`,
  });
}

async function runCreate(args: string[], ctx: CliContext, kind: 'created' | 'rotated' = 'created', previous?: BackupFile): Promise<number> {
  const { values } = parse(args, {
    ...keyOptions,
    ...splitOptions,
    'so-pin-file': { type: 'string' },
    'passphrase-file': { type: 'string', multiple: true },
    backup: { type: 'string' },
    mode: { type: 'string' },
  });
  const ref = previous ? { ...tokenRef(values), key: { label: previous.key.label, id: Buffer.from(previous.key.id, 'hex') } } : keyRef(values);
  const n = int(values.n, '--n');
  const m = int(values.m, '--m');
  const custodians = custodiansOf(values.custodians, n);
  const outDir = values.out;
  if (!outDir) throw new UsageError('--out DIR is required');
  prepareOut(ctx, outDir);
  const protect = indexList(values.protect, n, '--protect');
  const ppFiles = passphraseFiles(values['passphrase-file']);
  const mod = ctx.openModule({ module: ref.module });
  try {
    const label = ref.token.label ?? ref.token.serial ?? '';
    const userPin = pinFor(ctx, ref);
    const soPin = soPinSource(ctx, values['so-pin-file'], label);
    const made = await mod.withSession(ref.token, { pin: userPin, rw: true }, (s) =>
      kind === 'rotated' && previous
        ? rotateBackup(s, previous, { m, n, custodians }, { userPin, soPin })
        : createBackup(s, { key: ref.key, m, n, custodians, soPin, userPin }),
    );
    const shares = await protectSome(ctx, made.shares, protect, ppFiles);
    ctx.out(`backup of key "${made.backup.key.label}" (${made.backup.key.type}, fingerprint ${made.backup.key.fingerprint})`);
    ctx.out(
      `wrapped with ${made.facts.mechanism} under a session KEK${made.facts.trustedKek ? ' marked trusted by the security officer' : ''}; blob ${made.facts.wrappedBytes} bytes, proven by a test unwrap + signature on the source token; KEK destroyed`,
    );
    ctx.out(`share set ${made.facts.setId}: ${m}-of-${n}, KEK check value ${made.facts.kcv}`);
    let setDir: string;
    try {
      setDir = await writeOutputs(ctx, outDir, made.backup, shares, {
        event: kind === 'rotated' ? 'rotate' : 'create',
        key: made.backup.key.label,
        fingerprint: made.backup.key.fingerprint,
        setId: made.facts.setId,
        m,
        n,
        custodians,
        mechanism: made.facts.mechanism,
        trustedKek: made.facts.trustedKek,
        ...(previous ? { previousSetId: previous.shareSet.id, explanation: ROTATE_EXPLANATION } : {}),
      });
    } finally {
      shares.forEach((s) => zeroize(s.body));
    }
    ctx.out(`backup file: ${join(setDir, 'backup.json')}`);
    ctx.out('next: hand out the sheets, then run `keyceremony backup verify-shares` with every custodian typing their share back.');
    return 0;
  } finally {
    mod.close();
  }
}

const create: Command = {
  name: 'create',
  summary: 'wrap a backup-able key under a new KEK, split the KEK m-of-n, write backup.json and share sheets',
  usage: [
    '(--token L | --serial S) (--label L | --id HEX | --key URI) --m M --n N --custodians "A,B,C" --out DIR\n      (the set is written to DIR/set-<set id>/; a DIR holding a backup.json is refused)\n      [--protect 2,4 [--passphrase-file 2=FILE]] [--pin-file F] [--so-pin-file F]',
  ],
  async run(args, ctx) {
    return runCreate(args, ctx);
  },
};

const verifyShares: Command = {
  name: 'verify-shares',
  summary: 'every custodian types their share back: integrity, set membership, and the set reconstructs (KEK kept in memory only)',
  usage: ['--backup DIR/backup.json (--share-file F ... | --prompt N) [--partial]'],
  async run(args, ctx) {
    const { values } = parse(args, { backup: { type: 'string' }, partial: { type: 'boolean' }, ...shareOptions });
    const backup = await loadBackup(values.backup);
    const shares = await readShares(ctx, values);
    try {
      checkMembership(shares, expectationOf(backup));
      for (const { share, label } of shares) ctx.out(`ok  ${label}: share ${share.index} of set ${share.setId}, checksum and membership verified`);
      const rep = await verifyEveryShare(shares, expectationOf(backup));
      ctx.out(
        `set ${rep.setId} (${rep.m}-of-${rep.n}): all ${rep.verified.length} given shares lie on one polynomial, so every ${rep.m}-subset of them reconstructs the KEK (check value ${rep.kcv})`,
      );
      ctx.out(
        rep.exhaustive
          ? `combined all ${rep.subsetsCombined} ${rep.m}-subsets literally: each gives the KEK`
          : `combined ${rep.subsetsCombined} random ${rep.m}-subsets of ${rep.subsetsTotal} literally: each gives the KEK`,
      );
      if (rep.missing.length) {
        ctx.out(`NOT verified (not given): share ${rep.missing.join(', ')}`);
        return values.partial ? 0 : 1;
      }
      ctx.out('every share verified');
      return 0;
    } finally {
      shares.forEach((s) => zeroize(s.share.body));
    }
  },
};

const refresh: Command = {
  name: 'refresh',
  summary: 'custodians change: --mode resplit (same KEK, new shares) or --mode rotate (new KEK, re-wrap from the token)',
  usage: [
    '--mode resplit --backup F (--share-file F ... | --prompt M) --m M --n N --custodians ... --out DIR2',
    '--mode rotate  --backup F (--token L | --serial S) --m M --n N --custodians ... --out DIR2 [--so-pin-file F]',
  ],
  async run(args, ctx) {
    const mode = args.find((a) => a.startsWith('--mode='))?.slice(7) ?? args[args.indexOf('--mode') + 1];
    if (!args.includes('--mode') && !args.some((a) => a.startsWith('--mode='))) {
      ctx.out('Choose how to refresh the backup:');
      ctx.out('');
      ctx.out(`--mode resplit  ${RESPLIT_EXPLANATION}`);
      ctx.out('');
      ctx.out(`--mode rotate   ${ROTATE_EXPLANATION}`);
      throw new UsageError('--mode resplit|rotate is required');
    }
    if (mode === 'rotate') {
      const { values } = parse(args, {
        ...tokenOptions,
        ...splitOptions,
        'so-pin-file': { type: 'string' },
        'passphrase-file': { type: 'string', multiple: true },
        backup: { type: 'string' },
        mode: { type: 'string' },
      });
      const previous = await loadBackup(values.backup);
      ctx.out(ROTATE_EXPLANATION);
      return runCreate(args, ctx, 'rotated', previous);
    }
    if (mode !== 'resplit') throw new UsageError('--mode must be resplit or rotate');
    const { values } = parse(args, { backup: { type: 'string' }, mode: { type: 'string' }, ...shareOptions, ...splitOptions });
    const previous = await loadBackup(values.backup);
    const n = int(values.n, '--n');
    const m = int(values.m, '--m');
    const custodians = custodiansOf(values.custodians, n);
    if (!values.out) throw new UsageError('--out DIR is required');
    prepareOut(ctx, values.out);
    ctx.out(RESPLIT_EXPLANATION);
    const old = await readShares(ctx, values);
    let r: Awaited<ReturnType<typeof resplitBackup>>;
    try {
      r = await resplitBackup(previous, old, { m, n, custodians });
    } finally {
      old.forEach((s) => zeroize(s.share.body));
    }
    const next = r.backup;
    const setId = next.shareSet.id;
    const shares = await protectSome(ctx, r.shares, indexList(values.protect, n, '--protect'), passphraseFiles(values['passphrase-file']));
    let setDir: string;
    try {
      setDir = await writeOutputs(ctx, values.out, next, shares, {
        event: 'resplit',
        key: next.key.label,
        fingerprint: next.key.fingerprint,
        setId,
        previousSetId: previous.shareSet.id,
        m,
        n,
        custodians,
        explanation: chooseExplanation('resplit'),
      });
    } finally {
      shares.forEach((s) => zeroize(s.body));
    }
    ctx.out(`backup file: ${join(setDir, 'backup.json')}`);
    ctx.out(
      `new share set ${setId} (${m}-of-${n}); the wrapped key is unchanged. OLD shares of set ${previous.shareSet.id} with the OLD backup file still recover the key.`,
    );
    return 0;
  },
};

const recover: Command = {
  name: 'recover',
  summary: 'any m shares + backup.json -> the key unwrapped onto a fresh token, proven by a fresh signature',
  usage: ['--backup F (--token L | --serial S) (--share-file F ... | --prompt M) [--out DIR] [--pin-file F]'],
  async run(args, ctx) {
    const { values } = parse(args, { ...tokenOptions, backup: { type: 'string' }, out: { type: 'string' }, ...shareOptions });
    const backup = await loadBackup(values.backup);
    const ref = tokenRef(values);
    const shares = await readShares(ctx, values);
    // everything that needs no token first: a refusal here leaves the token untouched
    let kek: Uint8Array;
    try {
      kek = await reconstructKek(backup, shares);
    } finally {
      shares.forEach((s) => zeroize(s.share.body));
    }
    ctx.out(
      `shares ${shares.map((s) => s.share.index).join(', ')} of set ${backup.shareSet.id} reconstruct the KEK (check value ${backup.wrap.kekCheckValue}); backup file authenticated`,
    );
    const mod = ctx.openModule({ module: ref.module });
    try {
      // The token is held while the key is recovered onto it: refused at once while a ceremony holds it.
      const res = await mod.withSession(ref.token, { pin: pinFor(ctx, ref), rw: true }, (s) =>
        withTokenLock(
          s.token,
          `keyceremony backup recover (set ${backup.shareSet.id})`,
          () => recoverOntoToken(s, backup, kek, { journal: new FsTokenJournal(defaultTokenJournalDir(ctx.env)) }),
          ctx.env,
        ),
      );
      zeroize(kek);
      for (const r of res.removed) ctx.out(`removed (left by an interrupted recovery): ${r}`);
      if (res.resumed === 'completed') {
        ctx.out(
          `resumed: the private key an interrupted recovery had unwrapped onto token "${res.key.token.label}" made a signature that verifies under the backup's public key; its public half was created`,
        );
      }
      if (res.resumed === 'already') ctx.out(`already recovered: token "${res.key.token.label}" holds this key whole; proven again`);
      ctx.out(
        `recovered key "${res.key.label}" id ${res.key.idHex} onto token "${res.key.token.label}" (serial ${res.key.token.serial}): sensitive, non-extractable`,
      );
      ctx.out(`public key fingerprint ${res.key.fingerprint} matches the backup; a fresh signature verifies under the original public key`);
      if (values.out) {
        writeFileAtomic(join(values.out, 'recovery-challenge.bin'), res.challenge);
        writeFileAtomic(join(values.out, 'recovery-signature.bin'), res.signature);
        writeFileAtomic(join(values.out, 'public-key.pem'), pemEncode('PUBLIC KEY', Buffer.from(backup.key.publicKeySpki, 'base64')));
        appendLog(values.out, {
          event: 'recover',
          key: res.key.label,
          id: res.key.idHex,
          fingerprint: res.key.fingerprint,
          token: res.key.token,
          setId: backup.shareSet.id,
          sharesUsed: shares.map((s) => s.share.index),
          signature: toBase64(res.signature),
        });
      }
      return 0;
    } finally {
      zeroize(kek);
      mod.close();
    }
  },
};

const SUB: Command[] = [create, verifyShares, refresh, recover];

export const backupCommand: Command = group({
  name: 'backup',
  summary: 'm-of-n backup of a token key: create | verify-shares | refresh | recover',
  notes: STRATEGY_EXPLANATION,
  subcommands: SUB,
});

/** Token commands: tokens, keygen, pubkey, sign, cert. */
import { KeyceremonyError } from '../../../shared/errors';
import { isKeyType, KeyTypes, SignatureAlgorithms, type SignatureAlgorithm } from '../../../shared/crypto/algorithms';
import { pemEncode, toBase64, toHex } from '../../../shared/encoding/bytes';
import { createSelfSignedCert, findModules, type TokenKey } from '../../adapters/pkcs11';
import { writeFileAtomic } from '../../adapters/fs/atomic';
import { FsTokenJournal, defaultTokenJournalDir } from '../../adapters/fs/token-journal';
import { generateKeyOnce } from '../../adapters/pkcs11/interrupted';
import { readInputFile } from '../../adapters/fs/read';
import { parse, UsageError } from '../args';
import { readSecretFile, type CliContext } from '../context';
import { group } from '../dispatch';
import { hexId, keyOptions, keyRef, pinFor, tokenOptions, tokenRef } from '../keyref';
import { withTokenLock } from '../../adapters/ceremony/locks';
import type { Command } from './types';

function keyJson(k: TokenKey) {
  return {
    label: k.label,
    id: k.idHex,
    keyType: k.keyType,
    fingerprint: k.fingerprint,
    uri: k.uri,
    token: k.token,
    publicKeyPem: pemEncode('PUBLIC KEY', k.publicKeySpki),
    attributes: k.attrs,
  };
}

/** The CK_SLOT_ID as pkcs11-tool shows it (0x…), from the little-endian handle pkcs11js gives. */
function slotNumber(slotIdHex: string): string {
  return `0x${Buffer.from(slotIdHex, 'hex')
    .reverse()
    .toString('hex')
    .replace(/^0+(?=.)/, '')}`;
}

const tokens: Command = {
  name: 'tokens',
  summary: 'list PKCS#11 modules, tokens, their flags and mechanisms',
  usage: ['[--module PATH] [--json]'],
  async run(args, ctx) {
    const { values } = parse(args, { module: { type: 'string' }, json: { type: 'boolean' } });
    const mod = ctx.openModule({ module: values.module });
    try {
      const info = mod.info();
      const list = mod.tokens();
      if (values.json) {
        ctx.out(JSON.stringify({ module: info, modulesFound: findModules(), tokens: list }, null, 2));
        return 0;
      }
      ctx.out(`module: ${info.path} (${info.manufacturer} ${info.description} ${info.libraryVersion}, Cryptoki ${info.cryptokiVersion})`);
      if (list.length === 0) ctx.out('no tokens present');
      for (const t of list) {
        const f = t.flags;
        if (!f.tokenInitialized) {
          // an empty slot (SoftHSM's free slot, a blank card): no label, no serial worth showing
          ctx.out(
            `- uninitialised token in slot ${slotNumber(t.slotId)} (${t.manufacturer} ${t.model}): initialise it with the token vendor's tool before use`,
          );
          continue;
        }
        const notes = [
          f.loginRequired && 'login required',
          f.protectedAuthenticationPath && 'PIN pad',
          f.pinCountLow && 'PIN count low',
          f.pinFinalTry && 'FINAL PIN TRY',
          f.pinLocked && 'PIN LOCKED',
          f.pinToBeChanged && 'PIN must be changed',
          f.writeProtected && 'write-protected',
        ].filter(Boolean);
        ctx.out(`- "${t.label}" serial ${t.serial}: ${t.manufacturer} ${t.model}, firmware ${t.firmware}`);
        ctx.out(`    flags: ${notes.join(', ') || 'none'}`);
        ctx.out(`    key types: ${t.keyTypes.join(', ') || 'none usable'}`);
        ctx.out(`    mechanisms: ${t.mechanisms.filter((m) => !m.startsWith('0x')).join(' ')}`);
      }
      return 0;
    } finally {
      mod.close();
    }
  },
};

const keygen: Command = {
  name: 'keygen',
  summary: 'generate a key pair on a token (idempotent: re-running finds the same key)',
  usage: [
    `(--token LABEL | --serial S) --type {${KeyTypes.join('|')}} --label L [--id HEX] [--backupable] [--pin-file F] [--json] [--remove-incomplete]`,
    `(--token LABEL | --serial S) --type {ecdsa-p256|ecdsa-p384} --slot 9c [--so-pin-file F] [--pin-file F] [--json]   (YubiKey PIV: the slot decides; the management key is the SO PIN)`,
    '  --remove-incomplete: first remove the objects an interrupted keygen of this key left (listed when refused)',
  ],
  async run(args, ctx) {
    const { values } = parse(args, {
      ...tokenOptions,
      type: { type: 'string' },
      label: { type: 'string' },
      id: { type: 'string' },
      backupable: { type: 'boolean' },
      slot: { type: 'string' },
      'so-pin-file': { type: 'string' },
      json: { type: 'boolean' },
      'remove-incomplete': { type: 'boolean' },
    });
    const ref = tokenRef(values);
    if (!values.type) throw new UsageError('--type is required');
    if (values.slot && !values.label) values.label = `slot ${values.slot}`; // the token names slot keys itself
    if (!isKeyType(values.type)) {
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Unknown key type "${values.type}". Choose one of: ${KeyTypes.join(', ')}.`, { where: '--type' });
    }
    if (!values.label) throw new UsageError('--label is required');
    const keyType = values.type;
    const label = values.label;
    const mod = ctx.openModule(ref);
    try {
      // The token is held while the key is made: refused at once while a ceremony holds it (TOKEN_IN_USE).
      const { key, created, removed } = await mod.withSession(ref.token, { pin: pinFor(ctx, ref), rw: true }, (s) =>
        withTokenLock(
          s.token,
          `keyceremony keygen "${label}"`,
          () =>
            generateKeyOnce(
              s,
              {
                keyType,
                label,
                ...(values.id ? { id: hexId(values.id) } : {}),
                ...(values.slot ? { slot: values.slot } : {}),
                profile: values.backupable ? 'backupable' : 'non-extractable',
                // asked only by tokens that generate keys as security officer (YubiKey PIV: the management key)
                soPin: ctx.pinSource({
                  pinFile: values['so-pin-file'],
                  prompt: `Security officer credential (YubiKey: PIV management key) for token "${ref.token.label ?? ref.token.serial}": `,
                  envVar: 'KEYCEREMONY_SO_PIN',
                  flag: '--so-pin-file',
                  what: 'security officer credential',
                }),
              },
              {
                journal: new FsTokenJournal(defaultTokenJournalDir(ctx.env)),
                policy: values['remove-incomplete'] ? 'auto' : 'refuse',
                how: 'Run the same command again with --remove-incomplete to remove them; then the key is generated once.',
              },
            ),
          ctx.env,
        ),
      );
      if (values.json) ctx.out(JSON.stringify({ created, removedIncomplete: removed, key: keyJson(key) }, null, 2));
      else {
        for (const r of removed) ctx.out(`removed incomplete object: ${r}`);
        ctx.out(
          `${created ? 'created' : 'already present'}: ${key.keyType} key "${key.label}" id ${key.idHex} on token "${key.token.label}" (serial ${key.token.serial})`,
        );
        ctx.out(`fingerprint (sha256 of SPKI): ${key.fingerprint}`);
        ctx.out(`uri: ${key.uri}`);
        ctx.out(pemEncode('PUBLIC KEY', key.publicKeySpki).trimEnd());
      }
      return 0;
    } finally {
      mod.close();
    }
  },
};

const pubkey: Command = {
  name: 'pubkey',
  summary: "export a token key's public key (PEM, DER or JSON)",
  usage: ['(--key pkcs11:URI | (--token L | --serial S) (--label L | --id HEX)) [--format pem|der|json] [--out FILE] [--pin-file F]'],
  async run(args, ctx) {
    const { values } = parse(args, { ...keyOptions, format: { type: 'string' }, out: { type: 'string' } });
    const ref = keyRef(values);
    const format = values.format ?? 'pem';
    if (!['pem', 'der', 'json'].includes(format)) throw new UsageError('--format is pem, der or json');
    const mod = ctx.openModule(ref);
    try {
      return await mod.withSession(ref.token, { pin: pinFor(ctx, ref) }, (s) => {
        const key = s.findKey(ref.key);
        const body =
          format === 'pem' ? pemEncode('PUBLIC KEY', key.publicKeySpki) : format === 'der' ? key.publicKeySpki : JSON.stringify(keyJson(key), null, 2) + '\n';
        if (values.out) writeFileAtomic(values.out, body);
        else if (typeof body === 'string') ctx.out(body.trimEnd());
        else ctx.outBytes(body);
        return 0;
      });
    } finally {
      mod.close();
    }
  },
};

const sign: Command = {
  name: 'sign',
  summary: 'sign a file or stdin with a token key; prints the signature in base64',
  usage: [
    `(--key pkcs11:URI | (--token L | --serial S) (--label L | --id HEX)) [--in FILE|-] [--algorithm {${SignatureAlgorithms.join('|')}}] [--format base64|hex|raw] [--out FILE] [--pin-file F]`,
  ],
  async run(args, ctx) {
    const { values } = parse(args, {
      ...keyOptions,
      in: { type: 'string' },
      algorithm: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
    });
    const ref = keyRef(values);
    const format = values.format ?? 'base64';
    if (!['base64', 'hex', 'raw'].includes(format)) throw new UsageError('--format is base64, hex or raw');
    if (values.algorithm && !(SignatureAlgorithms as readonly string[]).includes(values.algorithm)) {
      throw new KeyceremonyError('ALGORITHM_UNSUPPORTED', `Unknown algorithm "${values.algorithm}". Choose one of: ${SignatureAlgorithms.join(', ')}.`, {
        where: '--algorithm',
      });
    }
    let data: Uint8Array;
    if (!values.in || values.in === '-') {
      if (ctx.stdinIsTTY && !values.in) throw new UsageError('give --in FILE, or pipe the data to sign on stdin');
      data = await ctx.readStdin();
    } else {
      data = readInputFile(values.in, { what: 'data to sign', kind: 'artifact', env: ctx.env });
    }
    const mod = ctx.openModule(ref);
    try {
      return await mod.withSession(ref.token, { pin: pinFor(ctx, ref) }, async (s) => {
        const key = s.findKey(ref.key);
        const signer = s.signer(key, values.algorithm ? { algorithm: values.algorithm as SignatureAlgorithm } : {});
        const sig = await signer.sign(data);
        const body = format === 'base64' ? toBase64(sig) + '\n' : format === 'hex' ? toHex(sig) + '\n' : sig;
        if (values.out) writeFileAtomic(values.out, body);
        else if (typeof body === 'string') ctx.out(body.trimEnd());
        else ctx.outBytes(body);
        ctx.err(`signed ${data.length} bytes with ${signer.description} (${signer.algorithm}); signature verified with the public key`);
        return 0;
      });
    } finally {
      mod.close();
    }
  },
};

const cert: Command = {
  name: 'cert',
  summary: 'make a self-signed X.509 certificate for a token key, signed on the token',
  usage: ['(--key pkcs11:URI | (--token L | --serial S) (--label L | --id HEX)) --cn CN [--days N] [--out FILE] [--pin-file F]'],
  async run(args, ctx) {
    const { values } = parse(args, { ...keyOptions, cn: { type: 'string' }, days: { type: 'string' }, out: { type: 'string' } });
    const ref = keyRef(values);
    if (!values.cn) throw new UsageError('--cn is required');
    const days = values.days ? Number(values.days) : 3650;
    const cn = values.cn;
    const mod = ctx.openModule(ref);
    try {
      return await mod.withSession(ref.token, { pin: pinFor(ctx, ref) }, async (s) => {
        const key = s.findKey(ref.key);
        const algorithm: SignatureAlgorithm | undefined = key.keyType.startsWith('rsa') ? 'rsa-pkcs1-sha256' : undefined;
        const c = await createSelfSignedCert(s.signer(key, algorithm ? { algorithm } : {}), { cn, days });
        if (values.out) writeFileAtomic(values.out, c.pem);
        else ctx.out(c.pem.trimEnd());
        return 0;
      });
    } finally {
      mod.close();
    }
  },
};

/** Tries-left state as the token reports it (its flags), in words. */
export function triesLeft(
  f: { pinCountLow: boolean; pinFinalTry: boolean; pinLocked: boolean; soPinCountLow?: boolean; soPinFinalTry?: boolean; soPinLocked?: boolean },
  so: boolean,
): string {
  if (so ? f.soPinLocked : f.pinLocked) return 'LOCKED';
  if (so ? f.soPinFinalTry : f.pinFinalTry) return 'ONE try left before it locks';
  if (so ? f.soPinCountLow : f.pinCountLow) return 'a wrong PIN was entered: few tries left';
  return 'no wrong tries reported';
}

const changePin: Command = {
  name: 'change-pin',
  summary: "change a token's user PIN (or, with --so, its security officer PIN) with C_SetPIN",
  usage: ['(--token LABEL | --serial SERIAL) [--so] [--pin-file OLD] [--new-pin-file NEW] [--module PATH]'],
  notes:
    'The old PIN comes from --pin-file, KEYCEREMONY_PIN (KEYCEREMONY_SO_PIN with --so) or a hidden prompt; the new one from --new-pin-file or a hidden prompt asked twice. Never from argv. A wrong old PIN costs one try: the answer says how many are left.',
  async run(args, ctx) {
    const { values } = parse(args, { ...tokenOptions, so: { type: 'boolean' }, 'new-pin-file': { type: 'string' } });
    const ref = tokenRef(values);
    const so = !!values.so;
    const who = so ? 'security officer (SO) PIN' : 'PIN';
    const mod = ctx.openModule({ module: ref.module });
    try {
      const before = mod.findToken(ref.token);
      ctx.out(`token "${before.label}" serial ${before.serial}: ${who} ${triesLeft(before.flags, so)}`);
      const old = await ctx.pinSource({
        pinFile: values['pin-file'],
        prompt: `Current ${who} of token "${before.label}": `,
        envVar: so ? 'KEYCEREMONY_SO_PIN' : 'KEYCEREMONY_PIN',
      })();
      let next: Uint8Array;
      if (values['new-pin-file']) next = readSecretFile(values['new-pin-file'], `new ${who}`);
      else {
        next = await ctx.promptSecret(`New ${who}: `);
        const again = await ctx.promptSecret(`New ${who} again: `);
        const same = again.length === next.length && again.every((b, i) => b === next[i]);
        again.fill(0);
        if (!same) {
          next.fill(0);
          old.fill(0);
          throw new KeyceremonyError('PIN_INVALID', `The two new ${who}s differ; nothing was changed.`, { where: 'new PIN' });
        }
      }
      if (next.length < 4) {
        next.fill(0);
        old.fill(0);
        throw new KeyceremonyError('PIN_INVALID', `The new ${who} must have at least 4 characters; nothing was changed.`, { where: 'new PIN' });
      }
      await mod.withSession(ref.token, { rw: true, login: false }, (s) => s.changePin(so ? 'so' : 'user', old, next));
      const after = mod.findToken(ref.token);
      ctx.out(`${who} of token "${after.label}" changed; ${triesLeft(after.flags, so)}`);
      return 0;
    } finally {
      mod.close();
    }
  },
};

const token: Command = group({ name: 'token', summary: 'token administration: change-pin', subcommands: [changePin] });

export const tokenCommands: Command[] = [tokens, keygen, pubkey, sign, cert, token];
export type { CliContext };

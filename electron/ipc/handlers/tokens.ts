/** Handlers of IPC area "tokens" (shared/ipc/channels/tokens.ts). */
import { KeyceremonyError } from '../../../shared/errors';
import { fromBase64, fromHex, toBase64 } from '../../../shared/encoding/bytes';
import { verifySignature } from '../../../shared/crypto/webcrypto';
import type { tokenChannels } from '../../../shared/ipc/channels/tokens';
import type { TokenSession } from '../deps';
import { findKey, keyInfo, runJob, summarizeToken, touchPromptFor, type AreaHandlers, type HandlerContext, type HostKit } from '../host-kit';
import { publicKeysOn } from '../candidates';
import { signAll } from '../../core/signer';
import { generateKeyOnce } from '../../adapters/pkcs11/interrupted';
import { withTokenLock } from '../../adapters/ceremony/locks';
import { fingerprintWords } from '../../../shared/pgp-words';

export function tokenHandlers(kit: HostKit): AreaHandlers<typeof tokenChannels> {
  const { withToken } = kit;
  const touchPrompt = (ctx: HandlerContext) => touchPromptFor(kit, ctx);
  return {
    'kc:tokens.list': async () => kit.tokens().tokens().map(summarizeToken),

    'kc:tokens.check': async (req) => {
      const all = kit.tokens().tokens();
      const hit = all.find((t) => t.serial === req.expect.serial && (req.expect.label === undefined || t.label === req.expect.label));
      if (hit) return { status: 'present', token: summarizeToken(hit) };
      const others = all.map(summarizeToken);
      return others.length ? { status: 'wrong', others } : { status: 'absent', others };
    },

    'kc:keys.list': async (req) =>
      withToken(req.token, req.pin, false, async (s) =>
        (await s.findKeys()).map((k) => {
          const touch = s.keyPolicy(k)?.touchPolicy;
          return { ...keyInfo(k), ...(touch ? { touchPolicy: touch } : {}) };
        }),
      ),

    'kc:keys.generate': async (req) =>
      withToken(req.token, req.pin, true, async (s) => {
        const spec: Parameters<TokenSession['generateKeyPair']>[0] = { keyType: req.keyType, label: req.label };
        if (req.idHex !== undefined) spec.id = fromHex(req.idHex);
        if (req.profile !== undefined) spec.profile = req.profile;
        // Held while the key is made: refused at once (TOKEN_IN_USE) while a ceremony holds this token.
        const { key, created } = await withTokenLock(s.token, `key generation "${req.label}" on the Tokens screen`, () =>
          generateKeyOnce(s, spec, {
            ...(kit.deps.tokenJournal ? { journal: kit.deps.tokenJournal } : {}),
            policy: 'refuse',
            how: 'Open "Incomplete objects" on the Tokens screen to see them and remove them, then generate the key again.',
          }),
        );
        return { ...keyInfo(key), created };
      }),

    'kc:keys.publicKey': async (req) => withToken(req.token, req.pin, false, async (s) => keyInfo(await findKey(s, req.key))),

    'kc:keys.listPublic': async (req) =>
      (await publicKeysOn(kit, req.token)).keys.map((k) => ({
        label: k.label,
        idHex: k.idHex,
        keyType: k.keyType,
        fingerprint: k.fingerprint,
        fingerprintWords: fingerprintWords(k.fingerprint, 8),
        spkiB64: toBase64(k.publicKeySpki),
      })),

    'kc:sign.data': async (req, ctx) =>
      withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const signer = s.signer(key, { ...(req.algorithm ? { algorithm: req.algorithm } : {}), onUserPresence: touchPrompt(ctx) });
        const data = fromBase64(req.dataB64);
        const sig = await signer.sign(data);
        // The token signer verifies before returning; check again here, independently, with WebCrypto.
        if (!(await verifySignature(key.publicKeySpki, signer.algorithm, data, sig))) {
          throw new KeyceremonyError('SIGNATURE_SELF_CHECK_FAILED', 'The token produced a signature that does not verify. Nothing was saved.', {
            where: 'sign',
          });
        }
        return { signatureB64: toBase64(sig), algorithm: signer.algorithm, fingerprint: key.fingerprint, verified: true as const };
      }),

    // The batch goes through signAll -> TokenSigner.signMany: the token signs while another core
    // verifies; a cancel stops it between two signatures and nothing half-done is returned.
    'kc:sign.batch': async (req, ctx) =>
      runJob(kit, req.jobId, ctx, ({ signal, onProgress }) =>
        withToken(req.token, req.pin, false, async (s) => {
          const key = await findKey(s, req.key);
          const signer = s.signer(key, { onUserPresence: touchPrompt(ctx) });
          const items = req.itemsB64.map((b) => fromBase64(b));
          const total = items.length;
          let done = 0;
          onProgress(0, total);
          try {
            const sigs = await signAll(signer, items, {
              signal,
              onProgress: (d, t) => {
                done = d;
                onProgress(d, t);
              },
            });
            return { signaturesB64: sigs.map(toBase64), fingerprint: key.fingerprint };
          } catch (e) {
            if (!(e instanceof KeyceremonyError) || e.code !== 'CANCELLED') throw e;
            throw new KeyceremonyError('CANCELLED', `Cancelled after ${done} of ${total} signatures. Nothing was saved; run it again to sign everything.`, {
              where: 'sign.batch',
              details: { done, total },
              cause: e,
            });
          }
        }),
      ),

    'kc:verify.signature': async (req) => ({
      valid: await verifySignature(fromBase64(req.spkiB64), req.algorithm, fromBase64(req.dataB64), fromBase64(req.signatureB64)),
    }),
  };
}

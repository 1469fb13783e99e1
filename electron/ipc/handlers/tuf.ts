/** Handlers of IPC area "tuf" (shared/ipc/channels/tuf.ts): portable signing requests. */
import { KeyceremonyError } from '../../../shared/errors';
import type { tufChannels } from '../../../shared/ipc/channels/tuf';
import { finalizeRequestText, openRequest, signRequestText } from '../tuf-requests';
import { findKey, type AreaHandlers, type HostKit } from '../host-kit';

export function tufHandlers(kit: HostKit): AreaHandlers<typeof tufChannels> {
  return {
    'kc:tuf.request.open': async (req) => openRequest(req.text),

    'kc:tuf.request.sign': async (req) => {
      const before = await openRequest(req.text); // refuse a bad request before touching the token
      return kit.withToken(req.token, req.pin, false, async (s) => {
        const key = await findKey(s, req.key);
        const out = await signRequestText(req.text, s.signer(key));
        if (out.view.signatures <= before.signatures) {
          throw new KeyceremonyError('CONFLICT', 'This key had already signed the request; nothing changed.', { where: 'signatures' });
        }
        return { ...out, fingerprint: key.fingerprint };
      });
    },

    'kc:tuf.request.finalize': async (req) => finalizeRequestText(req.text),
  };
}

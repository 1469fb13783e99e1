/** The engine's NotaryService: root certificates made by the token keys (adapters/pkcs11/x509.ts). */
import { utf8 } from '../../../shared/encoding/bytes';
import { canonicalKeyId, notaryKeyFromCertPem, notaryKeyId } from '../../../shared/notary/keys';
import { checkGun } from '../../core/notary/build';
import type { NotaryService, OutputFile } from '../../core/ceremony/types';
import { createSelfSignedCert } from '../pkcs11';

export function notaryService(now: () => Date = () => new Date()): NotaryService {
  return {
    async rootCertificates({ gun, days, signers }) {
      checkGun(gun);
      const files: OutputFile[] = [];
      const keyIds: Record<string, string> = {};
      for (const [id, signer] of signers) {
        const c = await createSelfSignedCert(signer, { cn: gun, days, keyEncipherment: true, notBefore: now() });
        files.push({ path: `notary/${id}.root.crt`, bytes: utf8(c.pem), kind: 'certificate' });
        const k = notaryKeyFromCertPem(c.pem);
        keyIds[id] = await notaryKeyId(k);
        keyIds[`${id}.canonical`] = await canonicalKeyId(k);
      }
      return { files, keyIds, summary: `${signers.size} Notary root certificate(s) for ${gun}, valid ${days} days` };
    },
  };
}

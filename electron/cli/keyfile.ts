/**
 * Public-key files given on the command line (`tuf init --root-key`, `--online-key`, `rotate
 * --add-key`, `delegate --key`): PEM SPKI, a TUF key object in JSON, or DER SPKI as `keyceremony
 * pubkey --format der` writes it. Every fault is INVALID_KEY naming the file: a binary file that is
 * no key, a JSON key whose material is unusable, an EC point that is not on its curve.
 */
import { createPublicKey } from 'node:crypto';
import { KeyceremonyError } from '../../shared/errors';
import { fromUtf8 } from '../../shared/encoding/bytes';
import { parseSpki } from '../../shared/crypto/spki';
import { keyFromSpki, keyToSpki, keyTypeOfSpki, parseTufKeyText, type TufKeyJSON } from '../../shared/tuf/keys';

export function parseTufKeyFile(bytes: Uint8Array, file: string): TufKeyJSON {
  let key: TufKeyJSON;
  if (bytes[0] === 0x30) {
    // DER SubjectPublicKeyInfo
    let info;
    try {
      info = parseSpki(bytes);
    } catch (e) {
      throw new KeyceremonyError('INVALID_KEY', `${file}: not a DER public key (${(e as Error).message})`, { where: file, cause: e });
    }
    key = keyFromSpki(keyTypeOfSpki(info, file), bytes);
  } else {
    let text: string;
    try {
      text = fromUtf8(bytes);
    } catch (e) {
      throw new KeyceremonyError(
        'INVALID_KEY',
        `${file}: not a text key file (not UTF-8): give a PEM public key, a TUF key JSON object or a DER SubjectPublicKeyInfo`,
        {
          where: file,
          cause: e,
        },
      );
    }
    key = parseTufKeyText(text, file);
  }
  const { spki } = keyToSpki(key, file); // a JSON key's material must be usable for its keytype/scheme
  try {
    // OpenSSL decodes the key: an EC point off its curve or with a bad marker, a broken RSA modulus fail here
    createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw new KeyceremonyError('INVALID_KEY', `${file}: the public key is damaged: ${(e as Error).message}`, { where: file, cause: e });
  }
  return key;
}

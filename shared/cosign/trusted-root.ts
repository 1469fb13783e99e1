/**
 * Sigstore `trusted_root.json` (protobuf-specs `sigstore_trustroot.proto`, JSON mapping), the part a
 * key-based verifier needs: the transparency logs (`tlogs`) whose signatures make a bundle's log
 * entry believable: the SET (inclusion promise) and the checkpoint over an inclusion proof. CAs, CT
 * logs and timestamp authorities are not read (key-based verification checks no certificate chain).
 */
import { KeyceremonyError } from '../errors';
import { fromBase64 } from '../encoding/bytes';
import { parseStrictJsonBytes } from '../json';

export const TRUSTED_ROOT_MEDIA_TYPES = ['application/vnd.dev.sigstore.trustedroot+json;version=0.1', 'application/vnd.dev.sigstore.trustedroot.v0.2+json'];

export interface TransparencyLog {
  baseUrl: string;
  /** DER SPKI of the log's signing key. */
  publicKey: Uint8Array;
  keyDetails: string;
  /** SHA-256 of the key (Rekor v1) or the signed-note key id (Rekor v2): what bundles name in logId.keyId. */
  logId: Uint8Array;
  validFrom: Date;
  validUntil?: Date;
}

export interface TrustedRoot {
  tlogs: TransparencyLog[];
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function time(x: unknown, where: string): Date {
  const ms = typeof x === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(x) ? Date.parse(x) : NaN;
  if (Number.isNaN(ms)) throw new KeyceremonyError('INVALID_INPUT', `${where} must be an RFC 3339 time, got ${JSON.stringify(x)}.`, { where });
  return new Date(ms);
}

function b64(x: unknown, where: string): Uint8Array {
  if (typeof x !== 'string' || x === '') throw new KeyceremonyError('INVALID_INPUT', `${where} must be a base64 string.`, { where });
  try {
    return fromBase64(x);
  } catch (e) {
    throw new KeyceremonyError('INVALID_INPUT', `${where} is not valid base64.`, { where, cause: e });
  }
}

/** Parse a trusted root (bytes of the file). Every fault names its JSON path. */
export function parseTrustedRoot(bytes: Uint8Array, source = 'trusted_root.json'): TrustedRoot {
  const doc = parseStrictJsonBytes(bytes, { source });
  const at = (p: string) => `${source} ${p}`;
  if (!isObj(doc)) throw new KeyceremonyError('UNSUPPORTED_FORMAT', `${source} is not a Sigstore trusted root (not a JSON object).`, { where: source });
  const mt = doc['mediaType'];
  if (typeof mt !== 'string' || !TRUSTED_ROOT_MEDIA_TYPES.includes(mt)) {
    throw new KeyceremonyError('UNSUPPORTED_FORMAT', `${source} is not a Sigstore trusted root: mediaType ${JSON.stringify(mt)}.`, {
      where: at('$.mediaType'),
    });
  }
  const list = doc['tlogs'];
  if (!Array.isArray(list)) throw new KeyceremonyError('INVALID_INPUT', `${source} has no "tlogs" list.`, { where: at('$.tlogs') });
  const tlogs = list.map((t: unknown, i): TransparencyLog => {
    const p = `$.tlogs[${i}]`;
    if (!isObj(t)) throw new KeyceremonyError('INVALID_INPUT', `${p} is not an object.`, { where: at(p) });
    const pk = t['publicKey'];
    const id = t['logId'];
    if (!isObj(pk)) throw new KeyceremonyError('INVALID_INPUT', `${p}.publicKey is missing.`, { where: at(`${p}.publicKey`) });
    if (!isObj(id)) throw new KeyceremonyError('INVALID_INPUT', `${p}.logId is missing.`, { where: at(`${p}.logId`) });
    const vf = pk['validFor'];
    if (!isObj(vf) || vf['start'] === undefined || vf['start'] === null) {
      // a log without a start of validity would be trusted for any time: refuse the root (sigstore-conformance trust-root-tlog-missing-validity-start_fail)
      throw new KeyceremonyError('INVALID_INPUT', `${p}.publicKey.validFor.start is missing: a log must say since when it is trusted.`, {
        where: at(`${p}.publicKey.validFor.start`),
      });
    }
    const out: TransparencyLog = {
      baseUrl: typeof t['baseUrl'] === 'string' ? t['baseUrl'] : '',
      publicKey: b64(pk['rawBytes'], at(`${p}.publicKey.rawBytes`)),
      keyDetails: typeof pk['keyDetails'] === 'string' ? pk['keyDetails'] : '',
      logId: b64(id['keyId'], at(`${p}.logId.keyId`)),
      validFrom: time(vf['start'], at(`${p}.publicKey.validFor.start`)),
    };
    if (vf['end'] !== undefined && vf['end'] !== null) out.validUntil = time(vf['end'], at(`${p}.publicKey.validFor.end`));
    return out;
  });
  return { tlogs };
}

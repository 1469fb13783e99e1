/**
 * Just enough X.509 to check Notary root and delegation certificates in the pure layer: subject CN,
 * validity, SubjectPublicKeyInfo, signature algorithm, and whether it is self-signed (issuer ==
 * subject and its signature verifies with its own key). Notary's `trustpinning/certs.go` checks the
 * same things: leaf CN == GUN, inside its validity window, no SHA-1, RSA >= 2048 bits.
 */
import { KeyceremonyError } from '../errors';
import { decodeOid, readChildren, readDerAll, recodeDer, type DerNode } from '../encoding/der';
import { bytesEqual, fromUtf8 } from '../encoding/bytes';
import type { SignatureAlgorithm } from '../crypto/algorithms';
import { verifySignature } from '../crypto/webcrypto';
import { parseSpki } from '../crypto/spki';

export interface CertInfo {
  /** The whole certificate, DER. */
  der: Uint8Array;
  tbs: Uint8Array;
  subjectCN: string | null;
  /** Subject as `k=v,...` (short names for the common attributes). */
  subject: string;
  issuerIsSubject: boolean;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  /** OID of the certificate's signature algorithm and our name for it (null if we cannot verify it). */
  sigAlgOid: string;
  sigAlg: SignatureAlgorithm | null;
  signature: Uint8Array;
  /** SHA-1 based signature (Notary refuses these). */
  sha1: boolean;
}

const OID_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};
const SIG_ALGS: Record<string, { alg: SignatureAlgorithm | null; sha1: boolean }> = {
  '1.2.840.10045.4.3.2': { alg: 'ecdsa-p256-sha256', sha1: false },
  '1.2.840.10045.4.3.3': { alg: 'ecdsa-p384-sha384', sha1: false },
  '1.2.840.113549.1.1.11': { alg: 'rsa-pkcs1-sha256', sha1: false },
  '1.2.840.10045.4.1': { alg: null, sha1: true },
  '1.2.840.113549.1.1.5': { alg: null, sha1: true },
};

function fail(msg: string): never {
  throw new KeyceremonyError('INVALID_KEY', `X.509: ${msg}`);
}

function readTime(n: DerNode): Date {
  const s = String.fromCharCode(...n.value);
  let m: RegExpExecArray | null;
  if (n.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy;
    return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (n.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  return fail(`unsupported time ${JSON.stringify(s)}`);
}

function readName(n: DerNode): { text: string; cn: string | null } {
  const parts: string[] = [];
  let cn: string | null = null;
  for (const rdn of readChildren(n)) {
    for (const atv of readChildren(rdn)) {
      const [oidNode, val] = readChildren(atv);
      if (!oidNode || !val) fail('bad name');
      const oid = decodeOid(oidNode.value);
      let v: string;
      try {
        v = fromUtf8(val.value);
      } catch {
        v = '?';
      }
      if (oid === '2.5.4.3') cn = v;
      parts.push(`${OID_NAMES[oid] ?? oid}=${v}`);
    }
  }
  return { text: parts.join(','), cn };
}

/** Parse a DER certificate. Throws INVALID_KEY on anything that is not one. */
export function parseCertificate(der: Uint8Array): CertInfo {
  return recodeDer('INVALID_KEY', 'X.509: not a DER certificate', () => readCertificate(der));
}

function readCertificate(der: Uint8Array): CertInfo {
  const node = readDerAll(der);
  if (node.tag !== 0x30) fail('not a DER certificate');
  const [tbs, algId, sigBits] = readChildren(node);
  if (!tbs || !algId || !sigBits || tbs.tag !== 0x30 || sigBits.tag !== 0x03) fail('not a certificate');
  const kids = readChildren(tbs);
  let i = 0;
  if (kids[0]?.tag === 0xa0) i++; // [0] version
  i++; // serial
  i++; // signature AlgorithmIdentifier (inside tbs)
  const issuer = kids[i++];
  const validity = kids[i++];
  const subject = kids[i++];
  const spki = kids[i++];
  if (!issuer || !validity || !subject || !spki) fail('truncated tbsCertificate');
  const [nb, na] = readChildren(validity);
  if (!nb || !na) fail('bad validity');
  const oidNode = readChildren(algId)[0];
  if (!oidNode || oidNode.tag !== 0x06) fail('bad signature algorithm');
  const sigAlgOid = decodeOid(oidNode.value);
  const sa = SIG_ALGS[sigAlgOid] ?? { alg: null, sha1: false };
  const name = readName(subject);
  return {
    der,
    tbs: tbs.raw,
    subjectCN: name.cn,
    subject: name.text,
    issuerIsSubject: bytesEqual(issuer.raw, subject.raw),
    notBefore: readTime(nb),
    notAfter: readTime(na),
    spki: spki.raw,
    sigAlgOid,
    sigAlg: sa.alg,
    signature: sigBits.value.subarray(1),
    sha1: sa.sha1,
  };
}

/** True when the certificate is self-signed: issuer == subject and its own key verifies it. */
export async function isSelfSigned(c: CertInfo): Promise<boolean> {
  if (!c.issuerIsSubject || !c.sigAlg) return false;
  let alg = c.sigAlg;
  // ecdsa-with-SHA384 on a P-256 key is unusual; only map the combinations WebCrypto can do.
  const info = parseSpki(c.spki);
  if (alg === 'ecdsa-p384-sha384' && info.algorithm !== 'ecdsa-p384') return false;
  if (alg === 'ecdsa-p256-sha256' && info.algorithm === 'ecdsa-p384') alg = 'ecdsa-p384-sha256';
  return verifySignature(c.spki, alg, c.tbs, c.signature);
}

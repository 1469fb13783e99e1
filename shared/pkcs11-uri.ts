/**
 * RFC 7512 `pkcs11:` URIs: parse and format. Path attributes: token, manufacturer, model, serial,
 * library-*, slot-*, id, object, type. Query attributes: module-path, module-name, pin-source,
 * pin-value. We never print `pin-value`: formatUri drops it and parse keeps it only so that a caller
 * can refuse it. Compatible with what `cosign sign --key pkcs11:...` reads
 * (token, slot-id, id, object ? module-path, pin-value).
 */
import { KeyceremonyError } from './errors';

export interface Pkcs11Uri {
  token?: string;
  manufacturer?: string;
  model?: string;
  serial?: string;
  slotId?: number;
  /** CKA_ID bytes. */
  id?: Uint8Array;
  /** CKA_LABEL. */
  object?: string;
  type?: 'private' | 'public' | 'cert' | 'secret-key' | 'data';
  modulePath?: string;
  moduleName?: string;
  pinSource?: string;
  /** Present only when a URI carried a PIN; formatUri never writes it. */
  pinValue?: string;
}

/*
 * Characters written unescaped in attribute values: RFC 7512's sets MINUS the ones other parsers
 * read differently. cosign (pkg/cosign/pkcs11key/util.go) reads both parts with Go's
 * url.ParseQuery after replacing ';' by '&': '+' becomes a space, '&' ';' split attributes, '?'
 * starts the query, '#' a fragment. So `+ & = ; ? / % #` are always percent-encoded (RFC 7512 allows
 * the escape for any character). '/' stays literal in query values (module-path), where every
 * parser reads it as itself.
 */
const PATH_SAFE = /[A-Za-z0-9\-._~:[\]@!$'()*,]/;
const QUERY_SAFE = /[A-Za-z0-9\-._~:[\]@!$'()*,/|]/;

function pctEncode(bytes: Uint8Array, safe: RegExp): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && safe.test(ch) ? ch : '%' + b.toString(16).padStart(2, '0');
  }
  return out;
}

function pctDecodeBytes(s: string, where: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw new KeyceremonyError('INVALID_URI', `Bad percent-escape "%${hex}" in the pkcs11: URI.`, { where });
      }
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of new TextEncoder().encode(c)) out.push(b);
    }
  }
  return Uint8Array.from(out);
}

const decodeStr = (s: string, where: string) => new TextDecoder().decode(pctDecodeBytes(s, where));

const TYPES = ['private', 'public', 'cert', 'secret-key', 'data'] as const;

export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!uri.toLowerCase().startsWith('pkcs11:')) {
    throw new KeyceremonyError('INVALID_URI', 'A PKCS#11 URI must start with "pkcs11:".', { where: 'uri' });
  }
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  const out: Pkcs11Uri = {};
  const seen = new Set<string>();
  for (const part of path.split(';').filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new KeyceremonyError('INVALID_URI', `"${part}" is not an attribute=value pair.`, { where: 'uri path' });
    const k = part.slice(0, eq).toLowerCase();
    const v = part.slice(eq + 1);
    if (seen.has(k)) throw new KeyceremonyError('INVALID_URI', `Attribute "${k}" appears twice in the URI.`, { where: `uri ${k}` });
    seen.add(k);
    const where = `uri ${k}`;
    switch (k) {
      case 'token':
        out.token = decodeStr(v, where);
        break;
      case 'manufacturer':
        out.manufacturer = decodeStr(v, where);
        break;
      case 'model':
        out.model = decodeStr(v, where);
        break;
      case 'serial':
        out.serial = decodeStr(v, where);
        break;
      case 'slot-id': {
        if (!/^\d+$/.test(v)) throw new KeyceremonyError('INVALID_URI', 'slot-id must be a decimal number.', { where });
        out.slotId = Number(v);
        break;
      }
      case 'id':
        out.id = pctDecodeBytes(v, where);
        break;
      case 'object':
        out.object = decodeStr(v, where);
        break;
      case 'type': {
        const t = decodeStr(v, where);
        if (!(TYPES as readonly string[]).includes(t)) {
          throw new KeyceremonyError('INVALID_URI', `Unknown object type "${t}" (expected ${TYPES.join(', ')}).`, { where });
        }
        out.type = t as Pkcs11Uri['type'];
        break;
      }
      default:
        // RFC 7512: unknown path attributes (library-*, slot-*, vendor x-*) are kept out but allowed.
        break;
    }
  }
  for (const part of query.split('&').filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new KeyceremonyError('INVALID_URI', `"${part}" is not an attribute=value pair.`, { where: 'uri query' });
    const k = part.slice(0, eq).toLowerCase();
    const v = decodeStr(part.slice(eq + 1), `uri ${k}`);
    if (k === 'module-path') out.modulePath = v;
    else if (k === 'module-name') out.moduleName = v;
    else if (k === 'pin-source') out.pinSource = v;
    else if (k === 'pin-value') out.pinValue = v;
  }
  return out;
}

/** A query attribute value (module-path, pin-source) percent-encoded as formatPkcs11Uri writes it. */
export function encodePkcs11QueryValue(v: string): string {
  return pctEncode(new TextEncoder().encode(v), QUERY_SAFE);
}

/** Format a URI. Never includes pin-value, whatever the input holds. */
export function formatPkcs11Uri(u: Pkcs11Uri): string {
  const enc = (s: string) => pctEncode(new TextEncoder().encode(s), PATH_SAFE);
  const path: string[] = [];
  if (u.token !== undefined) path.push(`token=${enc(u.token)}`);
  if (u.manufacturer !== undefined) path.push(`manufacturer=${enc(u.manufacturer)}`);
  if (u.model !== undefined) path.push(`model=${enc(u.model)}`);
  if (u.serial !== undefined) path.push(`serial=${enc(u.serial)}`);
  if (u.slotId !== undefined) path.push(`slot-id=${u.slotId}`);
  if (u.id !== undefined) path.push(`id=${Array.from(u.id, (b) => '%' + b.toString(16).padStart(2, '0')).join('')}`);
  if (u.object !== undefined) path.push(`object=${enc(u.object)}`);
  if (u.type !== undefined) path.push(`type=${u.type}`);
  const query: string[] = [];
  const qenc = encodePkcs11QueryValue;
  if (u.modulePath !== undefined) query.push(`module-path=${qenc(u.modulePath)}`);
  if (u.moduleName !== undefined) query.push(`module-name=${qenc(u.moduleName)}`);
  if (u.pinSource !== undefined) query.push(`pin-source=${qenc(u.pinSource)}`);
  return `pkcs11:${path.join(';')}${query.length ? '?' + query.join('&') : ''}`;
}

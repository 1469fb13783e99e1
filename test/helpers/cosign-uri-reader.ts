/**
 * How cosign reads a `pkcs11:` URI given to `cosign sign --key`: a model, rule for rule, of
 * sigstore/cosign pkg/cosign/pkcs11key/util.go `Pkcs11UriConfig.Parse` on top of Go's net/url
 * (`url.Parse` → Opaque / RawQuery; `;` replaced by `&`; `url.ParseQuery` → `QueryUnescape`).
 * The rules that bite: `+` becomes a space, `&` and `;` split attributes, `?` starts the query,
 * `#` starts a fragment, a bad `%` escape is an error. Only the attributes cosign uses are returned.
 * (Go is not on this machine, so the rules are modelled here and cited, not run.)
 */
export interface CosignUriConfig {
  modulePath: string;
  slotId?: number;
  tokenLabel: string;
  keyLabel: Uint8Array;
  keyId: Uint8Array;
  pin: string;
}

/** net/url QueryUnescape: `+` → space, `%XX` → byte, a bad escape is an error. Bytes out (Go strings are bytes). */
function queryUnescape(s: string): Uint8Array {
  const src = new TextEncoder().encode(s);
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0x25) {
      const hex = String.fromCharCode(src[i + 1] ?? 0, src[i + 2] ?? 0);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`invalid URL escape "%${hex}"`); // what Go returns
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(c === 0x2b ? 0x20 : c);
  }
  return Uint8Array.from(out);
}

/** net/url parseQuery (Go ≥ 1.17): split at `&`, a `;` in a setting is an error, cut at the first `=`. */
function parseQuery(q: string): Map<string, Uint8Array[]> {
  const m = new Map<string, Uint8Array[]>();
  for (const setting of q.split('&')) {
    if (setting.includes(';')) throw new Error('invalid semicolon separator in query');
    if (setting === '') continue;
    const eq = setting.indexOf('=');
    const k = new TextDecoder().decode(queryUnescape(eq < 0 ? setting : setting.slice(0, eq)));
    const v = queryUnescape(eq < 0 ? '' : setting.slice(eq + 1));
    m.set(k, [...(m.get(k) ?? []), v]);
  }
  return m;
}

const get = (m: Map<string, Uint8Array[]>, k: string) => m.get(k)?.[0] ?? new Uint8Array();
const str = (b: Uint8Array) => new TextDecoder().decode(b);

export function cosignReadsUri(uri: string, env: { COSIGN_PKCS11_MODULE_PATH?: string } = {}): CosignUriConfig {
  // url.Parse: control bytes refused; the fragment is cut at the first '#'
  if (/[\x00-\x1f\x7f]/.test(uri)) throw new Error('net/url: invalid control character in URL');
  const hash = uri.indexOf('#');
  const noFrag = hash < 0 ? uri : uri.slice(0, hash);
  if (hash >= 0) queryUnescape(uri.slice(hash + 1).replace(/\+/g, '%2B')); // fragment must unescape
  const colon = noFrag.indexOf(':');
  if (colon < 1 || noFrag.slice(0, colon).toLowerCase() !== 'pkcs11') throw new Error('invalid uri: not a PKCS11 uri');
  let rest = noFrag.slice(colon + 1);
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) [rest, rawQuery] = [rest.slice(0, q), rest.slice(q + 1)];
  if (rest.startsWith('/')) throw new Error('not an opaque URI'); // would be a path, not Opaque
  const path = parseQuery(rest.replaceAll(';', '&'));
  const query = parseQuery(rawQuery.replaceAll(';', '&'));
  let modulePath = str(get(query, 'module-path'));
  const tokenLabel = str(get(path, 'token'));
  const slot = str(get(path, 'slot-id'));
  if (tokenLabel === '' && slot === '') throw new Error('invalid uri: one of token and slot-id must be set');
  if (slot !== '' && !/^[+-]?\d+$/.test(slot)) throw new Error(`invalid uri: slot-id '${slot}' is not a valid number`);
  if (modulePath === '') modulePath = env.COSIGN_PKCS11_MODULE_PATH ?? '';
  if (modulePath === '') throw new Error('invalid uri: module-path or COSIGN_PKCS11_MODULE_PATH must be set');
  const keyLabel = get(path, 'object');
  const keyId = get(path, 'id');
  if (keyLabel.length === 0 && keyId.length === 0) throw new Error('invalid uri: one of object and id must be set');
  return { modulePath, ...(slot ? { slotId: Number(slot) } : {}), tokenLabel, keyLabel, keyId, pin: str(get(query, 'pin-value')) };
}

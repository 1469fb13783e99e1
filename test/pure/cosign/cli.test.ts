/** `keyceremony cosign …` through main(): status exit codes and the verify contract on real and built bundles. */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { main } from '../../../electron/cli/main';
import { makeContext } from '../../../electron/cli/context';
import { SoftwareSigner } from '../../helpers/software-signer';
import { publicKeyPem } from '../../../shared/cosign/keys';
import { parseRequest, serializeRequest } from '../../../shared/cosign/request';
import { signRequest } from '../../../electron/core/cosign/request';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-cosign-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const at = (f: string) => path.join(tmp, f);

export async function kc(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { ...makeContext({ env: { ...process.env, ...env } }), out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
  const code = await main(args, ctx);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cosign status', () => {
  test('exits 1 while the threshold is not met and 0 once it is (as tuf status and notary status do)', async () => {
    const [a, b, c] = ['alice', 'bob', 'carol'].map((n) => SoftwareSigner.generate('ecdsa-p256', undefined, n)) as SoftwareSigner[];
    for (const s of [a!, b!, c!]) writeFileSync(at(`${s.description}.pem`), publicKeyPem(s.publicKeySpki));
    const req = at('req.json');
    const img = `ghcr.io/org/app@sha256:${'1'.repeat(64)}`;
    const made = await kc(['cosign', 'request', 'create', '--image', img, '--signer', `alice=${at('alice.pem')}`, '--signer', `bob=${at('bob.pem')}`, '--signer', `carol=${at('carol.pem')}`, '--m', '2', '--out', req]);
    assert.equal(made.code, 0, made.err);
    let st = await kc(['cosign', 'status', '--request', req]);
    assert.equal(st.code, 1, st.out);
    assert.match(st.out, /^0 of 2/);
    const sign = async (s: SoftwareSigner) => writeFileSync(req, serializeRequest(await signRequest(parseRequest(readFileSync(req)), s, new Date())));
    await sign(a!);
    st = await kc(['cosign', 'status', '--request', req]);
    assert.equal(st.code, 1, st.out);
    assert.match(st.out, /^1 of 2/);
    assert.match(st.out, /not yet: bob, carol/);
    const j = await kc(['cosign', 'status', '--request', req, '--json']);
    assert.equal(j.code, 1);
    assert.equal((JSON.parse(j.out) as { complete: boolean }).complete, false);
    await sign(c!);
    st = await kc(['cosign', 'status', '--request', req]);
    assert.equal(st.code, 0, st.out);
    assert.match(st.out, /^2 of 2 .*complete/);
  });
});

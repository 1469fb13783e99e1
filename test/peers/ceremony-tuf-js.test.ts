/**
 * The TUF output of the rehearsal ceremonies, refreshed by tuf-js (a third-party client): the
 * tuf-root ceremony's repository (root v1 trusted, timestamp → snapshot → targets), then the
 * root-rotation ceremony's root v2 on the same rehearsal tokens. Served from 127.0.0.1 only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { kcSync, writeAnswers, writeScript } from '../helpers/ceremony-run';
import { startStaticServer, type StaticServer } from '../helpers/static-server';

let work: string;
let server: StaticServer | undefined;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'kc-ceremony-tufjs-'));
});
after(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Publish a bundle's metadata under its TUF names (rehearsal files carry a REHEARSAL- prefix). */
function publish(bundleMetadata: string, repo: string): void {
  mkdirSync(repo, { recursive: true });
  for (const f of readdirSync(bundleMetadata)) copyFileSync(join(bundleMetadata, f), join(repo, f.replace(/^REHEARSAL-/, '')));
}

test('tuf-js refreshes the rehearsal repository, then follows the rotated root', async () => {
  const a = join(work, 'root');
  const r1 = kcSync(['ceremony', 'run', writeScript(a, 'tuf-root'), '--rehearsal', '--answers', writeAnswers(a), '--out', join(a, 'out')]);
  assert.equal(r1.code, 0, r1.err);
  const repo = join(work, 'www', 'metadata');
  publish(join(a, 'out', 'REHEARSAL-tuf-root-bundle', 'metadata'), repo);
  mkdirSync(join(work, 'www', 'targets'), { recursive: true });
  server = await startStaticServer(join(work, 'www'));

  const client = join(work, 'client');
  mkdirSync(join(client, 'metadata'), { recursive: true });
  writeFileSync(join(client, 'metadata', 'root.json'), readFileSync(join(repo, '1.root.json')));
  const updater = () =>
    new Updater({
      metadataDir: join(client, 'metadata'),
      targetDir: join(client, 'targets'),
      metadataBaseUrl: `${server!.url}/metadata`,
      targetBaseUrl: `${server!.url}/targets`,
    });
  await updater().refresh();
  const ts = JSON.parse(readFileSync(join(client, 'metadata', 'timestamp.json'), 'utf8'));
  assert.equal(ts.signed.version, 1);

  // rotation ceremony on the same rehearsal tokens; publish 2.root.json
  const b = join(work, 'rotation');
  writeScript(b, 'tuf-root-rotation');
  copyFileSync(join(repo, '1.root.json'), join(b, 'root.json'));
  const r2 = kcSync([
    'ceremony',
    'run',
    join(b, 'tuf-root-rotation.json'),
    '--rehearsal',
    '--rehearsal-tokens-from',
    join(a, 'out', 'rehearsal-tokens'),
    '--answers',
    writeAnswers(b),
    '--out',
    join(b, 'out'),
  ]);
  assert.equal(r2.code, 0, r2.err);
  publish(join(b, 'out', 'REHEARSAL-tuf-root-rotation-bundle', 'metadata'), repo);
  await updater().refresh();
  const trusted = JSON.parse(readFileSync(join(client, 'metadata', 'root.json'), 'utf8'));
  assert.equal(trusted.signed.version, 2);
  assert.ok(server!.requests.some((r) => r.includes('2.root.json')));
});

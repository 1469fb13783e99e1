/**
 * TUF at scale (issue 3): build + sign + verify a targets.json with 100,000 targets with our code, vs
 * tuf-js / @tufjs/models 4.1.1 at 8,000 targets as shipped (its Targets.fromJSON/toJSON use
 * `reduce((acc, …) => ({...acc, …}))`, quadratic) and at 100,000 with those two loops made linear at
 * run time (a monkey-patch here only). Verify: ours (verifyRepository) and tuf-js's client steps
 * (TrustedMetadataStore: root, timestamp, snapshot, targets) over the same files; also tuf-js's
 * narrower parse+verifyDelegate of its own targets text. Peak RSS of our part. A hash-binned (TAP 15) 100k repository:
 * the tuf-js Updater fetches one target's info over a loopback server (target < 200 ms).
 * Each figure is the best of BENCH_TUF_REPS runs (default 3; the stock run is once: it takes ~25 s).
 * BENCH_TUF_STOCK (default 8000) sets the stock tuf-js size.
 */
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import type { Report } from './run';
import { SoftwareSigner } from '../test/helpers/software-signer';
import { startStaticServer } from '../test/helpers/static-server';
import { signerKey, signEnvelope } from '../electron/core/tuf/sign';
import { newRoot, newTargets, publishTargets, hashBinTargets, expiresIn, recommendedBitLength, type OutFile } from '../electron/core/tuf/repo';
import { verifyRepository } from '../electron/core/tuf/verify';
import { installParallelKeyProver } from '../electron/adapters/json-key-prover';
import type { TargetFile } from '../shared/tuf/models';

const require = createRequire(import.meta.url);
type Any = any;
const models = require('@tufjs/models') as Any;
const { canonicalize: tufCanonicalize } = require('@tufjs/canonical-json') as { canonicalize: (o: unknown) => string };

const N = Number(process.env.BENCH_TUF_TARGETS ?? 100_000);
const STOCK = Number(process.env.BENCH_TUF_STOCK ?? 8000);
const NOW = Date.now();

function targetsOf(n: number): Record<string, TargetFile> {
  const out: Record<string, TargetFile> = {};
  for (let i = 0; i < n; i++) {
    const h = createHash('sha256').update(`content ${i}`).digest('hex');
    out[`pkg/${i}/image.tar`] = { hashes: { sha256: h }, length: 1000 + i };
  }
  return out;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
/** CPU time of this process (every thread: WebCrypto's thread pool, GC helpers), in ms. */
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const REPS = Number(process.env.BENCH_TUF_REPS ?? 3);

async function ours(n: number, reps = REPS) {
  let best: Awaited<ReturnType<typeof oursOnce>> | undefined;
  for (let r = 0; r < reps; r++) {
    const x = await oursOnce(n);
    if (!best) best = x;
    else best = { ...x, build: Math.min(best.build, x.build), verify: Math.min(best.verify, x.verify), verifyCpu: Math.min(best.verifyCpu, x.verifyCpu) };
  }
  return best!;
}

async function oursOnce(n: number) {
  const online = SoftwareSigner.generate('ecdsa-p256');
  const rootKey = SoftwareSigner.generate('ecdsa-p256');
  const k = async (s: SoftwareSigner) => (await signerKey(s)).key;
  const spec = { keys: [await k(online)], threshold: 1 };
  const data = targetsOf(n);
  const t0 = process.hrtime.bigint();
  const root = await newRoot({
    roles: { root: { keys: [await k(rootKey)], threshold: 1 }, targets: spec, snapshot: spec, timestamp: spec },
    expires: expiresIn(NOW, 365),
  });
  const rootBytes = await signEnvelope(root.toJSON(), [rootKey]);
  const t = newTargets(expiresIn(NOW, 90));
  t.targets = data;
  const files = await publishTargets({
    roles: new Map([['targets', t]]),
    snapshotVersion: 1,
    timestampVersion: 1,
    expires: { snapshot: expiresIn(NOW, 7), timestamp: expiresIn(NOW, 1) },
    signers: { targets: [online], snapshot: [online], timestamp: [online] },
  });
  const build = ms(t0);
  const map = new Map(files.map((f) => [f.name, f.bytes]));
  map.set('1.root.json', rootBytes);
  let verify = Infinity;
  let verifyCpu = Infinity;
  for (let r = 0; r < 2; r++) {
    const t1 = process.hrtime.bigint();
    const c1 = cpuNow();
    const { report: rep } = await verifyRepository(rootBytes, { read: async (x) => map.get(x) }, { now: NOW });
    verify = Math.min(verify, ms(t1));
    verifyCpu = Math.min(verifyCpu, cpuNow() - c1);
    if (rep.verdict !== 'verified' || rep.tuf.targetCount !== n) throw new Error(`our verify failed: ${rep.summary}`);
  }
  return { build, verify, verifyCpu, rootBytes, files: map, size: map.get('1.targets.json')!.length };
}

/** tuf-js: build Targets with @tufjs/models, canonicalise + sign, then parse + verifyDelegate as the client does. */
function tufjs(n: number, rootBytes: Uint8Array, reps = 1) {
  let best = tufjsOnce(n, rootBytes);
  for (let r = 1; r < reps; r++) {
    const x = tufjsOnce(n, rootBytes);
    best = { build: Math.min(best.build, x.build), verify: Math.min(best.verify, x.verify), verifyCpu: Math.min(best.verifyCpu, x.verifyCpu) };
  }
  return best;
}

function tufjsOnce(n: number, rootBytes: Uint8Array) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const key = { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pem } };
  const keyid = createHash('sha256').update(tufCanonicalize(key)).digest('hex');
  const rootJson = JSON.parse(Buffer.from(rootBytes).toString());
  rootJson.signed.keys[keyid] = key;
  rootJson.signed.roles.targets.keyids = [keyid];
  const rootMd = models.Metadata.fromJSON('root', rootJson);
  const data = targetsOf(n);
  const t0 = process.hrtime.bigint();
  const targets: Record<string, unknown> = {};
  for (const [p, v] of Object.entries(data)) targets[p] = new models.TargetFile({ path: p, length: v.length, hashes: v.hashes });
  const signed = new models.Targets({ version: 1, specVersion: '1.0.31', expires: expiresIn(NOW, 90), targets });
  const md = new models.Metadata(signed);
  const bytes = Buffer.from(tufCanonicalize(md.signed.toJSON()));
  const sig = nodeSign('sha256', bytes, privateKey).toString('hex');
  md.signatures[keyid] = new models.Signature({ keyID: keyid, sig });
  const text = JSON.stringify(md.toJSON());
  const build = ms(t0);
  let verify = Infinity;
  let verifyCpu = Infinity;
  for (let r = 0; r < 2; r++) {
    const t1 = process.hrtime.bigint();
    const c1 = cpuNow();
    const parsed = models.Metadata.fromJSON('targets', JSON.parse(text));
    rootMd.verifyDelegate('targets', parsed);
    verify = Math.min(verify, ms(t1));
    verifyCpu = Math.min(verifyCpu, cpuNow() - c1);
  }
  return { build, verify, verifyCpu };
}

/**
 * Verify the same files with ours (verifyRepository) and with tuf-js's own client steps (its
 * TrustedMetadataStore, what its Updater runs, 5.2-5.6): root, timestamp, snapshot, then targets
 * (length and hashes as the snapshot says, JSON.parse, Metadata.fromJSON, verifyDelegate, version,
 * expiry), from the files' bytes. The two alternate, which goes first alternating too, so both see the
 * same machine load; each figure is the best of 2 x `reps` runs.
 */
async function verifyBoth(files: Map<string, Uint8Array>, rootBytes: Uint8Array, reps: number, n: number) {
  const { TrustedMetadataStore } = require('tuf-js/dist/store') as Any;
  const buf = (name: string) => {
    const b = files.get(name);
    if (!b) throw new Error(`bench: no ${name}`);
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  };
  const root = Buffer.from(rootBytes);
  const [ts, sn, tg] = [buf('timestamp.json'), buf('1.snapshot.json'), buf('1.targets.json')];
  const theirs = () => {
    const store = new TrustedMetadataStore(root);
    store.updateTimestamp(ts);
    store.updateSnapshot(sn);
    store.updateDelegatedTargets(tg, 'targets', 'root');
    if (Object.keys(store.targets.signed.targets).length !== n) throw new Error('tuf-js client: wrong target count');
  };
  const mine = async () => {
    const { report: rep } = await verifyRepository(rootBytes, { read: async (x) => files.get(x) }, { now: NOW });
    if (rep.verdict !== 'verified' || rep.tuf.targetCount !== n) throw new Error(`our verify failed: ${rep.summary}`);
  };
  const best = { ours: { verify: Infinity, verifyCpu: Infinity }, tufjs: { verify: Infinity, verifyCpu: Infinity } };
  const time = async (who: 'ours' | 'tufjs') => {
    const t1 = process.hrtime.bigint();
    const c1 = cpuNow();
    await (who === 'ours' ? mine() : theirs());
    best[who].verify = Math.min(best[who].verify, ms(t1));
    best[who].verifyCpu = Math.min(best[who].verifyCpu, cpuNow() - c1);
  };
  for (let r = 0; r < reps * 2; r++) {
    const order = r % 2 === 0 ? (['ours', 'tufjs'] as const) : (['tufjs', 'ours'] as const);
    for (const who of order) await time(who);
  }
  return best;
}

function patchLinear(): () => void {
  const T = models.Targets;
  const origFrom = T.fromJSON;
  const origTo = T.prototype.toJSON;
  T.fromJSON = function (data: Any) {
    const { targets, ...rest } = data;
    const t = origFrom.call(this, { ...rest, targets: {} });
    for (const [p, v] of Object.entries(targets ?? {})) t.targets[p] = models.TargetFile.fromJSON(p, v);
    return t;
  };
  T.prototype.toJSON = function (this: Any) {
    const json = origTo.call(Object.assign(Object.create(Object.getPrototypeOf(this)), this, { targets: {} }));
    const out: Record<string, unknown> = {};
    for (const [p, t] of Object.entries(this.targets)) out[p] = (t as Any).toJSON();
    json.targets = out;
    return json;
  };
  return () => {
    T.fromJSON = origFrom;
    T.prototype.toJSON = origTo;
  };
}

/**
 * Peak RSS of a fresh process that reads the repository from a folder and verifies it (what
 * `keyceremony tuf verify` does), measured by the child itself (bench/tuf-verify-child.ts).
 */
function verifyPeakRss(files: Map<string, Uint8Array>): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-bench-tuf-rss-'));
  try {
    for (const [name, bytes] of files) writeFileSync(path.join(dir, name), bytes);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', 'tuf-verify-child.ts'), dir, String(NOW)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`verify child failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { maxRssMb: number }).maxRssMb;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function updaterLookup(dir: string, rootBytes: Uint8Array, target: string, maxLen?: number) {
  const { Updater } = await import('tuf-js');
  const server = await startStaticServer(dir);
  try {
    const c = mkdtempSync(path.join(tmpdir(), 'kc-bench-client-'));
    mkdirSync(path.join(c, 'm'));
    writeFileSync(path.join(c, 'm', 'root.json'), rootBytes);
    const t0 = process.hrtime.bigint();
    const u = new Updater({
      metadataDir: path.join(c, 'm'),
      targetDir: path.join(c, 't'),
      metadataBaseUrl: server.url,
      ...(maxLen ? { config: { targetsMaxLength: maxLen } } : {}),
    });
    await u.refresh();
    const info = await u.getTargetInfo(target);
    const t = ms(t0);
    rmSync(c, { recursive: true, force: true });
    if (!info) throw new Error(`tuf-js did not find ${target}`);
    return t;
  } finally {
    await server.close();
  }
}

export async function run(report: Report): Promise<void> {
  // as the CLI and the app run: large JSON texts proven on a second core beside JSON.parse
  const prover = installParallelKeyProver({ startNow: true });
  if (!prover.waitUntilReady(10_000)) throw new Error('the key-prover worker did not start');
  try {
    await measure(report);
  } finally {
    await prover.stop();
  }
}

async function measure(report: Report): Promise<void> {
  // ours first, so the peak RSS is ours alone
  await ours(2000, 1); // warm-up
  const first = await oursOnce(N);
  const rssOurs = process.resourceUsage().maxRSS / 1024; // peak of one 100k build+sign+verify
  const more = await ours(N, Math.max(1, REPS - 1));
  const o = {
    ...first,
    build: Math.min(first.build, more.build),
    verify: Math.min(first.verify, more.verify),
    verifyCpu: Math.min(first.verifyCpu, more.verifyCpu),
  };
  report({ name: `tuf: ours build+sign ${N} targets (${(o.size / 1e6).toFixed(1)} MB)`, ours: o.build, baseline: null, unit: 'ms', ratio: null });
  report({
    name: `tuf: ours peak RSS (${N} targets build+sign+verify)`,
    ours: rssOurs,
    baseline: 500,
    unit: 'MB',
    ratio: 500 / rssOurs,
    note: 'baseline = 500 MB budget',
  });
  const rssVerify = verifyPeakRss(first.files);
  report({
    name: `tuf: peak RSS of a process verifying ${N} targets (${(first.size / 1e6).toFixed(1)} MB)`,
    ours: rssVerify,
    baseline: 300,
    unit: 'MB',
    ratio: 300 / rssVerify,
    note: 'baseline = 300 MB budget',
  });

  const stock = tufjs(STOCK, o.rootBytes);
  const oStock = await ours(STOCK, 1);
  report({
    name: `tuf: verify ${STOCK} targets, ours vs tuf-js stock`,
    ours: oStock.verify,
    baseline: stock.verify,
    unit: 'ms',
    ratio: stock.verify / oStock.verify,
  });
  report({
    name: `tuf: build+sign ${STOCK} targets, ours vs tuf-js stock`,
    ours: oStock.build,
    baseline: stock.build,
    unit: 'ms',
    ratio: stock.build / oStock.build,
  });

  const unpatch = patchLinear();
  try {
    tufjs(2000, o.rootBytes); // warm-up
    const lin = tufjs(N, o.rootBytes, REPS);
    const both = await verifyBoth(first.files, first.rootBytes, REPS, N);
    report({
      name: `tuf: verify ${N} targets, ours vs tuf-js linear-patched`,
      ours: both.ours.verify,
      baseline: both.tufjs.verify,
      unit: 'ms',
      ratio: both.tufjs.verify / both.ours.verify,
      note: 'target ratio >= 2.5; the same files, tuf-js TrustedMetadataStore root/timestamp/snapshot/targets, runs alternating',
    });
    report({
      name: `tuf: verify ${N} targets, CPU time, ours vs tuf-js linear-patched`,
      ours: both.ours.verifyCpu,
      baseline: both.tufjs.verifyCpu,
      unit: 'ms cpu',
      ratio: both.tufjs.verifyCpu / both.ours.verifyCpu,
      note: 'all threads; steadier than wall time on a shared machine',
    });
    report({
      name: `tuf: verify ${N} targets, ours vs tuf-js parse+verifyDelegate only`,
      ours: both.ours.verify,
      baseline: lin.verify,
      unit: 'ms',
      ratio: lin.verify / both.ours.verify,
      note: 'tuf-js: its own targets.json text, JSON.parse + fromJSON + verifyDelegate (no hashes, timestamp, snapshot)',
    });
    report({ name: `tuf: build+sign ${N} targets, ours vs tuf-js linear-patched`, ours: o.build, baseline: lin.build, unit: 'ms', ratio: lin.build / o.build });

    // hash-binned vs flat (linear-patched) repository, tuf-js Updater over loopback
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-bench-tuf-'));
    try {
      const online = SoftwareSigner.generate('ecdsa-p256');
      const k = (await signerKey(online)).key;
      const spec = { keys: [k], threshold: 1 };
      const root = await newRoot({ roles: { root: spec, targets: spec, snapshot: spec, timestamp: spec }, expires: expiresIn(NOW, 365) });
      const rootBytes = await signEnvelope(root.toJSON(), [online]);
      const data = targetsOf(N);
      const bits = recommendedBitLength(N);
      const { top, bins } = await hashBinTargets({ targets: data, binKeys: [k], threshold: 1, bitLength: bits, expires: expiresIn(NOW, 90) });
      const sig = { targets: [online], snapshot: [online], timestamp: [online], delegated: { '*': [online] } };
      const exp = { snapshot: expiresIn(NOW, 7), timestamp: expiresIn(NOW, 1) };
      const binned: OutFile[] = await publishTargets({
        roles: new Map([['targets', top], ...bins]),
        snapshotVersion: 1,
        timestampVersion: 1,
        expires: exp,
        signers: sig,
      });
      const flatT = newTargets(expiresIn(NOW, 90));
      flatT.targets = data;
      const flat = await publishTargets({ roles: new Map([['targets', flatT]]), snapshotVersion: 1, timestampVersion: 1, expires: exp, signers: sig });
      for (const [sub, files] of [
        ['binned', binned],
        ['flat', flat],
      ] as const) {
        mkdirSync(path.join(dir, sub));
        writeFileSync(path.join(dir, sub, '1.root.json'), rootBytes);
        for (const f of files) writeFileSync(path.join(dir, sub, f.name), f.bytes);
      }
      const want = `pkg/${N - 1}/image.tar`;
      await updaterLookup(path.join(dir, 'binned'), rootBytes, want); // warm-up
      const tb = await updaterLookup(path.join(dir, 'binned'), rootBytes, want);
      const tf = await updaterLookup(path.join(dir, 'flat'), rootBytes, want, 64 << 20);
      report({
        name: `tuf: tuf-js refresh+getTargetInfo, ${N} targets in ${2 ** bits} bins vs flat (patched)`,
        ours: tb,
        baseline: tf,
        unit: 'ms',
        ratio: tf / tb,
        note: 'target < 200 ms',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    unpatch();
  }
}

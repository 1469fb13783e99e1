/**
 * The second and third real PKCS#11 modules for the token tier, each private to one test file:
 * - tpm2-pkcs11 on a software TPM (swtpm + a private D-Bus + tpm2-abrmd), started by scripts/tpm-up.sh;
 * - the openCryptoki soft token in a private mount+IPC namespace, started by scripts/ock-up.sh. Its
 *   clients must run INSIDE that namespace, so an openCryptoki test file re-runs itself there
 *   (`inOpenCryptokiNamespace`).
 * And `markModuleExercised`: a test that has really used a module says so, and scripts/test.mjs prints
 * `token modules exercised: ...` from those marks.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const REPO = resolve(import.meta.dirname, '..', '..');
export const TPM2_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';
export const OCK_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so';
export type TokenModuleName = 'softhsm2' | 'tpm2-pkcs11' | 'opencryptoki';

/** Record that this test file really exercised `name` (keygen + a verified signature at least). */
export function markModuleExercised(name: TokenModuleName): void {
  const dir = process.env.KEYCEREMONY_TOKEN_MARKERS;
  if (dir && existsSync(dir)) writeFileSync(join(dir, name), `${process.pid}\n`, { flag: 'a' });
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function readEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface Tpm2Token {
  dir: string;
  module: string;
  label: string;
  pin: string;
  soPin: string;
  pinOf(): () => Uint8Array;
  /** Stop the daemons (by PID) and remove the folder. */
  cleanup(): void;
}

/** Why tpm2-pkcs11 cannot run here, or undefined when it can. */
export function tpm2Unavailable(): string | undefined {
  for (const c of ['swtpm', 'tpm2-abrmd', 'dbus-daemon', 'tpm2_ptool', 'tpm2_dictionarylockout'])
    if (!has(c)) return `${c} is not installed (bash scripts/system-deps.sh)`;
  if (!existsSync(TPM2_MODULE)) return `${TPM2_MODULE} is missing (libtpm2-pkcs11-1)`;
  return undefined;
}

/**
 * A software TPM with one tpm2-pkcs11 token for this process: sets the variables the module reads
 * (before C_Initialize) and KEYCEREMONY_PKCS11_MODULE. Dictionary-attack lockout is off unless
 * `lockout` is true.
 */
export function makeTpm2Token(opts: { label?: string; pin?: string; soPin?: string; lockout?: boolean } = {}): Tpm2Token {
  const label = opts.label ?? 'tpmA';
  const pin = opts.pin ?? '1234';
  const soPin = opts.soPin ?? '12345678';
  const dir = mkdtempSync(join(tmpdir(), 'kc-tpm-'));
  const r = spawnSync('sh', [join(REPO, 'scripts', 'tpm-up.sh'), dir, label, soPin, pin], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...(opts.lockout ? { TPM_DA: 'on' } : {}) },
  });
  const down = () => spawnSync('sh', [join(REPO, 'scripts', 'tpm-down.sh'), dir], { stdio: 'ignore', timeout: 60_000 });
  if (r.status !== 0) {
    down();
    const log = ['abrmd.log', 'ptool.log'].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '')).join('\n');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`tpm-up.sh failed (${r.status}): ${r.stderr}\n${log}`);
  }
  const env = readEnv(join(dir, 'env'));
  Object.assign(process.env, env, { KEYCEREMONY_PKCS11_MODULE: TPM2_MODULE });
  return {
    dir,
    module: TPM2_MODULE,
    label,
    pin,
    soPin,
    pinOf: () => () => new TextEncoder().encode(pin),
    cleanup() {
      down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The env a child process needs to reach this file's TPM (pkcs11-tool, the CLI). */
export function tpm2ChildEnv(t: Tpm2Token): NodeJS.ProcessEnv {
  return { ...process.env, ...readEnv(join(t.dir, 'env')), KEYCEREMONY_PKCS11_MODULE: t.module };
}

// ---------------------------------------------------------------- openCryptoki

export const OCK = { label: 'ockA', pin: '1234', soPin: '12345678' } as const;

/** Why the openCryptoki soft token cannot run here, or undefined when it can. */
export function openCryptokiUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a private mount namespace for pkcsslotd)';
  for (const c of ['unshare', 'nsenter', 'pkcs11-tool']) if (!has(c)) return `${c} is not installed`;
  if (!existsSync('/usr/sbin/pkcsslotd') || !existsSync(OCK_MODULE)) return 'opencryptoki is not installed (bash scripts/system-deps.sh)';
  const probe = spawnSync('unshare', ['--mount', '--ipc', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return 'this container does not allow unshare --mount --ipc';
  return undefined;
}

/** True inside the namespace run (the test file's real tests go here). */
export const insideOpenCryptoki = process.env.KC_OCK_INSIDE === '1';

/**
 * Outside: register ONE test that starts a private openCryptoki (scripts/ock-up.sh), re-runs `file`
 * inside its namespace with node's test runner, shows its report, and stops it (scripts/ock-down.sh).
 * The inner run's failures fail this test.
 */
export function runInOpenCryptokiNamespace(file: string, title: string): void {
  const why = openCryptokiUnavailable();
  test(title, { skip: why ? `openCryptoki not exercised: ${why}` : false, timeout: 600_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-ock-'));
    try {
      const up = spawnSync('sh', [join(REPO, 'scripts', 'ock-up.sh'), dir, OCK.label, OCK.soPin, OCK.pin], { encoding: 'utf8', timeout: 120_000 });
      if (up.status !== 0)
        throw new Error(
          `ock-up.sh failed (${up.status}): ${up.stderr} ${existsSync(join(dir, 'init.log')) ? readFileSync(join(dir, 'init.log'), 'utf8') : ''}`,
        );
      const nsPid = readFileSync(join(dir, 'ns.pid'), 'utf8').trim();
      // NODE_TEST_CONTEXT would make the inner runner think it is nested and skip the file
      const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
      const child = spawn('nsenter', ['-t', nsPid, '-m', '-i', `--wd=${REPO}`, process.execPath, '--import', 'tsx', '--test', '--test-reporter=tap', file], {
        cwd: REPO,
        env: { ...env, KC_OCK_INSIDE: '1', KEYCEREMONY_PKCS11_MODULE: OCK_MODULE },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((res) => child.on('close', res));
      for (const line of out.trimEnd().split('\n')) t.diagnostic(line);
      if (code !== 0) throw new Error(`the openCryptoki tests failed inside their namespace (exit ${code}):\n${out}`);
      const passed = Number(/^# pass (\d+)$/m.exec(out)?.[1] ?? 0);
      const failed = Number(/^# fail (\d+)$/m.exec(out)?.[1] ?? -1);
      if (passed === 0 || failed !== 0) throw new Error(`no openCryptoki test ran inside the namespace (pass ${passed}, fail ${failed}):\n${out}`);
    } finally {
      spawnSync('sh', [join(REPO, 'scripts', 'ock-down.sh'), dir], { stdio: 'ignore', timeout: 60_000 });
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

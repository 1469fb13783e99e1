/**
 * Helpers for token-tier ceremony tests: spawn the CLI from source (so a test can kill -9 it),
 * write a template + answers file, scan a folder for secrets.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { join, resolve } from 'node:path';
import { templateText } from '../../electron/core/ceremony/templates';

export const REPO = resolve(import.meta.dirname, '..', '..');

/**
 * The CLI from source, bundled once per test process with esbuild into .tmp/ (inside the repo so
 * node_modules resolve): spawning it costs ~0.3 s instead of ~4 s through tsx.
 */
let built: string | undefined;
function cli(): string[] {
  if (!built) {
    mkdirSync(join(REPO, '.tmp'), { recursive: true });
    built = join(REPO, '.tmp', `test-cli-${process.pid}.mjs`);
    buildSync({
      entryPoints: [join(REPO, 'test', 'helpers', 'kc-cli.ts')],
      outfile: built,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
      banner: { js: "import { createRequire as __kcCreateRequire } from 'node:module'; const require = __kcCreateRequire(import.meta.url);" },
    });
    const file = built;
    process.on('exit', () => rmSync(file, { force: true }));
  }
  return [built];
}

/** argv that runs the CLI from source (for wrapping in another command, e.g. unshare). */
export function kcArgv(): string[] {
  return [process.execPath, ...cli()];
}

/** The CLI entry (node script path) the helpers spawn, for tests that wrap it (strace, prlimit). */
export function cliEntry(): string {
  return cli()[0] as string;
}

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function kcSync(args: string[], env: Record<string, string> = {}, cwd = REPO): CliResult {
  const r = spawnSync(process.execPath, [...cli(), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export function kcAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [...cli(), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => res({ code, out, err }));
  });
}

/** A CLI process left running: what it printed so far, a wait for a line, its end, and a kill. */
export interface Started {
  pid: number;
  err(): string;
  /** Resolves when stderr shows `marker` (true) or the process ended first (false). */
  printed(marker: string | RegExp): Promise<boolean>;
  done: Promise<CliResult>;
  kill(): void;
}

export function kcStart(args: string[], env: Record<string, string> = {}): Started {
  const p = spawn(process.execPath, [...cli(), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended = false;
  const waiters: (() => void)[] = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => {
    err += d;
    poke();
  });
  const done = new Promise<CliResult>((res) =>
    p.on('exit', (code) => {
      ended = true;
      poke();
      res({ code, out, err });
    }),
  );
  const seen = (m: string | RegExp) => (typeof m === 'string' ? err.includes(m) : m.test(err));
  return {
    pid: p.pid ?? 0,
    err: () => err,
    printed: (marker) =>
      new Promise((res) => {
        const check = () => {
          if (seen(marker)) res(true);
          else if (ended) res(false);
          else waiters.push(check);
        };
        check();
      }),
    done,
    kill: () => void p.kill('SIGKILL'),
  };
}

/** Start the CLI, wait until stderr shows `marker`, then kill -9 it. Resolves with what it printed. */
export function kcKillAt(args: string[], env: Record<string, string>, marker: string, timeoutMs = 60_000): Promise<CliResult & { killed: boolean }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [...cli(), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      rej(new Error(`timeout waiting for "${marker}"\nstdout:\n${out}\nstderr:\n${err}`));
    }, timeoutMs);
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => {
      err += d;
      if (!killed && err.includes(marker)) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, out, err, killed });
    });
  });
}

export function writeScript(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, `${name}.json`);
  writeFileSync(p, templateText(name)!);
  return p;
}

export function writeAnswers(dir: string, extra: Record<string, unknown> = {}): string {
  const p = join(dir, 'answers.json');
  writeFileSync(p, JSON.stringify({ acknowledge: 'all', shares: 'rehearsal-memory', ...extra }, null, 2));
  return p;
}

export function allFiles(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (skip.includes(n)) continue;
    if (statSync(p).isDirectory()) out.push(...allFiles(p, skip));
    else out.push(p);
  }
  return out;
}

/** Every file under runDir except the rehearsal token store: no PIN, SO PIN or share text in it. */
export function scanForSecrets(runDir: string): { files: number; hits: string[] } {
  const pins = JSON.parse(readFileSync(join(runDir, 'rehearsal-tokens', 'pins.json'), 'utf8')) as Record<string, { pin: string; soPin: string }>;
  const secrets = Object.values(pins).flatMap((p) => [p.pin, p.soPin]);
  const files = allFiles(runDir, ['rehearsal-tokens']);
  const hits: string[] = [];
  for (const f of files) {
    const b = readFileSync(f);
    const s = b.toString('latin1');
    for (const x of secrets) if (s.includes(x)) hits.push(`${f}: contains a PIN`);
    if (/keyceremony share v\d|\nwords:\n/.test(s)) hits.push(`${f}: contains share text`);
    if (/"(pin|soPin|kek|share|privateKey)"\s*:/.test(s)) hits.push(`${f}: has a secret-named member`);
  }
  return { files: files.length, hits };
}

export function lastLine(s: string): string {
  const l = s.trimEnd().split('\n');
  return l[l.length - 1] ?? '';
}

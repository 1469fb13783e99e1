/**
 * SoftHSM2 provisioning for rehearsals and tests: a private SOFTHSM2_CONF and token directory per run
 * (never /etc/softhsm or /var/lib/softhsm), tokens made with `softhsm2-util --init-token`.
 * PINs are passed to softhsm2-util on its command line because that is the only interface it has;
 * these are rehearsal tokens with generated PINs that live only for the run. softhsm2-util is run by
 * absolute path (never looked up on PATH) with a minimal environment (SOFTHSM2_CONF and LC_ALL only):
 * it never sees KEYCEREMONY_PIN, KEYCEREMONY_SO_PIN or anything else of ours.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fsyncDir, writeFileAtomic } from './fs/atomic';
import { readInputText } from './fs/read';
import { randomBytes } from 'node:crypto';
import { KeyceremonyError } from '../../shared/errors';
import { WELL_KNOWN_MODULES } from './pkcs11/modules';
import { crashPoint } from './test-hooks';

export interface SoftHsmToken {
  label: string;
  serial: string;
  pin: string;
  soPin: string;
}

export interface SoftHsmEnv {
  dir: string;
  conf: string;
  module: string;
  tokens: SoftHsmToken[];
  env: Record<string, string>;
}

export function softHsmModulePath(): string {
  const p = WELL_KNOWN_MODULES.find((m) => m.name === 'SoftHSM2')?.paths.find((x) => existsSync(x));
  if (!p) {
    throw new KeyceremonyError('MODULE_NOT_FOUND', 'SoftHSM2 is not installed. Install it: apt-get install -y softhsm2 (or run scripts/system-deps.sh).');
  }
  return p;
}

const SOFTHSM_UTIL_PATHS = ['/usr/bin/softhsm2-util', '/usr/local/bin/softhsm2-util', '/opt/homebrew/bin/softhsm2-util', '/usr/sbin/softhsm2-util'];

/** softhsm2-util by absolute path (a PATH lookup could run something else with our arguments). */
export function softHsmUtilPath(exists: (p: string) => boolean = existsSync): string {
  const p = SOFTHSM_UTIL_PATHS.find((x) => exists(x));
  if (!p) {
    throw new KeyceremonyError(
      'MODULE_NOT_FOUND',
      `softhsm2-util is not installed (looked in ${SOFTHSM_UTIL_PATHS.join(', ')}). Install it: apt-get install -y softhsm2 (or run scripts/system-deps.sh).`,
    );
  }
  return p;
}

/** The whole environment a child gets: the SoftHSM configuration and a predictable locale. */
export function childEnv(conf: string): Record<string, string> {
  return { SOFTHSM2_CONF: conf, LC_ALL: 'C' };
}

/** Create a SoftHSM2 configuration in `dir` (created if missing). */
export function createSoftHsmConfig(dir: string): { conf: string; tokenDir: string } {
  const abs = resolve(dir);
  const tokenDir = join(abs, 'tokens');
  mkdirSync(tokenDir, { recursive: true, mode: 0o700 });
  const conf = join(abs, 'softhsm2.conf');
  writeFileAtomic(
    conf,
    [
      `directories.tokendir = ${tokenDir}`,
      'objectstore.backend = file',
      'log.level = ERROR',
      'slots.removable = false',
      'slots.mechanisms = ALL',
      'library.reset_on_fork = false',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { conf, tokenDir };
}

/** Initialise a token in the next free slot; returns its serial. */
export function initSoftHsmToken(conf: string, label: string, pin: string, soPin: string): string {
  const env = childEnv(conf);
  const util = softHsmUtilPath();
  try {
    const out = execFileSync(util, ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = /reassigned to slot (\d+)/.exec(out);
    const slots = execFileSync(util, ['--show-slots'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // Find the serial of the token with this label.
    const blocks = slots.split(/\n(?=Slot )/);
    for (const b of blocks) {
      const lab = /Label:\s*(.*)/.exec(b)?.[1]?.trim();
      const ser = /Serial number:\s*(\S+)/.exec(b)?.[1]?.trim();
      if (lab === label && ser) return ser;
    }
    throw new KeyceremonyError('TOKEN_NOT_FOUND', `token "${label}" not found after init${m ? ` (slot ${m[1]})` : ''}`);
  } catch (e) {
    const msg = (e as { stderr?: string }).stderr || (e as Error).message;
    throw new KeyceremonyError('DEVICE_ERROR', `Could not create the SoftHSM token "${label}": ${String(msg).trim()}`, { where: label });
  }
}

/** A fresh SoftHSM2 environment in `dir` with the given token labels and generated PINs. */
export function provisionSoftHsm(dir: string, labels: string[], opts: { pin?: string; soPin?: string } = {}): SoftHsmEnv {
  const { conf } = createSoftHsmConfig(dir);
  const tokens = labels.map((label) => {
    const pin = opts.pin ?? randomBytes(6).toString('hex');
    const soPin = opts.soPin ?? randomBytes(8).toString('hex');
    return { label, pin, soPin, serial: initSoftHsmToken(conf, label, pin, soPin) };
  });
  return { dir: resolve(dir), conf, module: softHsmModulePath(), tokens, env: { SOFTHSM2_CONF: conf } };
}

type RehearsalPins = Record<string, { pin: string; soPin: string; serial: string }>;

/**
 * The rehearsal tokens of one run folder, made once and found again by a resumed run. Crash-safe: the
 * tokens are made in `<dir>.staging` (removed first if an earlier attempt was killed), their PINs
 * written there, and the folder published by ONE rename; so `dir` either does not exist or holds every
 * token with its PINs. A `dir` without pins.json (left by a version without staging) holds tokens
 * nobody can log in to and is replaced. The configuration is rewritten on every start (it names the
 * token folder by absolute path). `from`: start from a copy of an earlier rehearsal's tokens.
 */
export function provisionRehearsalTokens(dir: string, labels: string[], opts: { from?: string } = {}): { conf: string; module: string; pins: RehearsalPins } {
  const final = resolve(dir);
  const pinsPath = join(final, 'pins.json');
  if (!existsSync(pinsPath)) {
    const staging = `${final}.staging`;
    rmSync(staging, { recursive: true, force: true });
    rmSync(final, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    let pins: RehearsalPins = {};
    if (opts.from) {
      if (!existsSync(join(opts.from, 'pins.json')))
        throw new KeyceremonyError('NOT_FOUND', `${opts.from} is not a rehearsal token folder (no pins.json).`, { where: opts.from });
      cpSync(join(opts.from, 'tokens'), join(staging, 'tokens'), { recursive: true });
      pins = parsePins(readInputText(join(opts.from, 'pins.json'), { what: 'rehearsal PIN list', kind: 'document' }), opts.from);
    }
    const { conf } = createSoftHsmConfig(staging);
    for (const label of labels) {
      if (pins[label]) continue;
      const pin = randomBytes(6).toString('hex');
      const soPin = randomBytes(8).toString('hex');
      pins[label] = { pin, soPin, serial: initSoftHsmToken(conf, label, pin, soPin) };
      crashPoint('rehearsal:token-provisioned');
    }
    // Rehearsal PINs live beside the throwaway token store (never in the bundle) so a killed run resumes.
    writeFileAtomic(join(staging, 'pins.json'), JSON.stringify(pins, null, 1), { mode: 0o600 });
    renameSync(staging, final);
    fsyncDir(dirname(final));
  }
  const { conf } = createSoftHsmConfig(final);
  return { conf, module: softHsmModulePath(), pins: parsePins(readInputText(pinsPath, { what: 'rehearsal PIN list', kind: 'document' }), pinsPath) };
}

function parsePins(text: string, where: string): RehearsalPins {
  const x = JSON.parse(text) as unknown;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new KeyceremonyError('INVALID_INPUT', `${where} is not a rehearsal PIN file.`, { where });
  return x as RehearsalPins;
}

export function removeSoftHsm(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Preflight probe (air gap and environment), Linux first:
 * - network-interfaces: non-loopback interfaces that are up (os.networkInterfaces with an address,
 *   or /sys/class/net/<if>/operstate "up"/"unknown" with carrier)
 * - default-route: a 00000000 destination in /proc/net/route (and ::/0 in /proc/net/ipv6_route)
 * - wireless: any /sys/class/net/<if>/wireless (a radio present, even if down)
 * - clock: the clock is after the build floor and before 2100, and the expiry dates it implies
 * - removable-media: mounted filesystems on removable block devices (/proc/mounts + /sys/block/<d>/removable)
 * - tokens: every token the script expects is present (label, and serial when given)
 * Each check only reads; the engine decides what a failure means (production blocks, rehearsal warns).
 */
import { existsSync, readdirSync } from 'node:fs';
import { readInputText } from './fs/read';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { PreflightCheck, PreflightProbe, PresentToken, TokenSpec } from '../core/ceremony/types';

export interface PreflightOptions {
  sysRoot?: string; // for tests: a fake root holding sys/class/net, proc/net/route, proc/mounts, sys/block
  present?: () => Promise<PresentToken[]>;
  clockFloor?: Date;
  interfaces?: () => ReturnType<typeof networkInterfaces>;
}

const read = (p: string): string | null => {
  try {
    return readInputText(p, { what: 'system file', limit: 1024 * 1024 });
  } catch {
    return null;
  }
};
const list = (p: string): string[] => {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
};

export const CLOCK_FLOOR = new Date('2026-01-01T00:00:00Z');

export function linuxPreflight(opts: PreflightOptions = {}): PreflightProbe {
  const root = opts.sysRoot ?? '/';
  const P = (...p: string[]) => join(root, ...p);
  return {
    async run({ expectTokens, now, expiries }) {
      const checks: PreflightCheck[] = [];

      // network interfaces
      const up = new Set<string>();
      for (const [name, addrs] of Object.entries((opts.interfaces ?? networkInterfaces)())) {
        if ((addrs ?? []).some((a) => !a.internal)) up.add(name);
      }
      for (const name of list(P('sys/class/net'))) {
        if (name === 'lo') continue;
        const state = read(P('sys/class/net', name, 'operstate'))?.trim();
        if (state === 'up') up.add(name);
      }
      checks.push(
        up.size
          ? {
              id: 'network-interfaces',
              status: 'fail',
              summary: `non-loopback interface(s) up: ${[...up].sort().join(', ')}`,
              facts: { up: [...up].sort().join(',') },
            }
          : { id: 'network-interfaces', status: 'pass', summary: 'no non-loopback interface is up' },
      );

      // default route
      const routes = (read(P('proc/net/route')) ?? '').split('\n').slice(1).filter(Boolean);
      const def4 = routes
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[1] === '00000000' && f[7] === '00000000')
        .map((f) => f[0]);
      const def6 = (read(P('proc/net/ipv6_route')) ?? '')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[0] === '00000000000000000000000000000000' && f[1] === '00' && f[9] !== 'lo')
        .map((f) => f[9]);
      const defs = [...new Set([...def4, ...def6])];
      checks.push(
        defs.length
          ? { id: 'default-route', status: 'fail', summary: `a default route exists (via ${defs.join(', ')})` }
          : { id: 'default-route', status: 'pass', summary: 'no default route' },
      );

      // wireless
      const wl = list(P('sys/class/net')).filter((n) => existsSync(P('sys/class/net', n, 'wireless')) || existsSync(P('sys/class/net', n, 'phy80211')));
      checks.push(
        wl.length
          ? { id: 'wireless', status: 'fail', summary: `wireless interface(s) present: ${wl.join(', ')}` }
          : { id: 'wireless', status: 'pass', summary: 'no wireless interface' },
      );

      // clock
      const floor = opts.clockFloor ?? CLOCK_FLOOR;
      const clockOk = now.getTime() >= floor.getTime() && now.getUTCFullYear() < 2100;
      const exp = Object.entries(expiries)
        .map(([r, d]) => `${r} ${d}`)
        .join('; ');
      checks.push({
        id: 'clock',
        status: clockOk ? 'pass' : 'fail',
        summary: `${now.toISOString()} UTC${clockOk ? '' : ` is implausible (before ${floor.toISOString().slice(0, 10)} or after 2099)`}${exp ? `; implied expiries: ${exp}` : ''}`,
        facts: { now: now.toISOString() },
      });

      // removable media
      const removable = new Set(list(P('sys/block')).filter((d) => read(P('sys/block', d, 'removable'))?.trim() === '1'));
      const mounted = (read(P('proc/mounts')) ?? '')
        .split('\n')
        .map((l) => l.split(' '))
        .filter((f) => f[0]?.startsWith('/dev/'))
        .filter((f) => {
          const dev = (f[0] as string).slice(5);
          return [...removable].some((r) => dev === r || dev.startsWith(r));
        })
        .map((f) => `${f[0]} on ${f[1]}`);
      checks.push(
        mounted.length
          ? { id: 'removable-media', status: 'warn', summary: `removable media mounted: ${mounted.join(', ')} (expected only the export medium)` }
          : { id: 'removable-media', status: 'pass', summary: 'no removable media mounted' },
      );

      // tokens
      if (opts.present) {
        const present = await opts.present();
        const missing = expectTokens.filter((t: TokenSpec) => !present.some((p) => p.label === t.label && (t.serial === undefined || p.serial === t.serial)));
        checks.push(
          missing.length
            ? {
                id: 'tokens',
                status: 'fail',
                summary: `missing token(s): ${missing.map((t) => `${t.label}${t.serial ? ` (serial ${t.serial})` : ''}`).join(', ')}`,
              }
            : {
                id: 'tokens',
                status: 'pass',
                summary: `${expectTokens.length} token(s) present: ${expectTokens.map((t) => `${t.label}=${present.find((p) => p.label === t.label)?.serial}`).join(', ')}`,
              },
        );
      }
      return checks;
    },
  };
}

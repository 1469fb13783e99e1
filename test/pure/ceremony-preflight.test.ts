/** The preflight probe over a fake /sys and /proc tree (no real network state is read). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linuxPreflight } from '../../electron/adapters/preflight';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kc-pre-'));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    if (p.endsWith('/')) mkdirSync(join(root, p), { recursive: true });
    else writeFileSync(join(root, p), c);
  }
  return root;
}

const ROUTE_HDR = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';

test('an air-gapped machine passes; expiry dates are shown', async () => {
  const root = tree({
    'sys/class/net/lo/operstate': 'unknown\n',
    'proc/net/route': ROUTE_HDR,
    'proc/mounts': '/dev/sda1 / ext4 rw 0 0\n',
    'sys/block/sda/removable': '0\n',
  });
  try {
    const checks = await linuxPreflight({ sysRoot: root, interfaces: () => ({ lo: [] }), present: async () => [{ label: 'root-1', serial: 'S1' }] }).run({
      expectTokens: [{ id: 't', label: 'root-1', serial: 'S1' }],
      now: new Date('2026-11-22T00:00:00Z'),
      expiries: { root: '2027-11-22T00:00:00Z' },
    });
    assert.deepEqual(
      checks.map((c) => [c.id, c.status]),
      [
        ['network-interfaces', 'pass'],
        ['default-route', 'pass'],
        ['wireless', 'pass'],
        ['clock', 'pass'],
        ['removable-media', 'pass'],
        ['tokens', 'pass'],
      ],
    );
    assert.match(checks.find((c) => c.id === 'clock')!.summary, /root 2027-11-22/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('interfaces up, a default route, a radio, a USB stick, a bad clock and a missing token are all reported', async () => {
  const root = tree({
    'sys/class/net/eth0/operstate': 'up\n',
    'sys/class/net/wlan0/operstate': 'down\n',
    'sys/class/net/wlan0/wireless/': '',
    'proc/net/route': ROUTE_HDR + 'eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n',
    'proc/mounts': '/dev/sdb1 /media/usb vfat rw 0 0\n',
    'sys/block/sdb/removable': '1\n',
  });
  try {
    const checks = await linuxPreflight({ sysRoot: root, interfaces: () => ({}), present: async () => [{ label: 'root-1', serial: 'OTHER' }] }).run({
      expectTokens: [{ id: 't', label: 'root-1', serial: 'S1' }],
      now: new Date('2001-01-01T00:00:00Z'),
      expiries: {},
    });
    const by = Object.fromEntries(checks.map((c) => [c.id, c]));
    assert.equal(by['network-interfaces']!.status, 'fail');
    assert.match(by['network-interfaces']!.summary, /eth0/);
    assert.equal(by['default-route']!.status, 'fail');
    assert.match(by['default-route']!.summary, /eth0/);
    assert.equal(by.wireless!.status, 'fail');
    assert.match(by.wireless!.summary, /wlan0/);
    assert.equal(by.clock!.status, 'fail');
    assert.equal(by['removable-media']!.status, 'warn');
    assert.match(by['removable-media']!.summary, /\/dev\/sdb1 on \/media\/usb/);
    assert.equal(by.tokens!.status, 'fail');
    assert.match(by.tokens!.summary, /root-1 \(serial S1\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

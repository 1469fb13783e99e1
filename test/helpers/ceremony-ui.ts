/**
 * Driving the ceremony screens as the people in the room would, for the UI journeys: the setup
 * (names, tokens picked from those present, files opened through the machine's dialogs), then every
 * question until the run is done, failed or abandoned; axe-core on every kind of screen met.
 * Assertions about tokens use OpenSC pkcs11-tool, independent of our token layer.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import type { TestHsm } from './softhsm';
import { screenshot, type Machine } from './ui-harness';
import { expectNoSeriousA11y as axe } from './axe';

export const shareWords = (shareText: string) => shareText.split('words:')[1]!.trim().split(/\s+/);

/** Objects on a token as pkcs11-tool lists them (private keys with their label and ID). */
export function tokenObjects(hsm: TestHsm, label: string): { label: string; id: string; type: string }[] {
  const t = hsm.tokens.find((x) => x.label === label)!;
  const out = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', label, '--login', '--pin', t.pin, '--list-objects'], {
    encoding: 'utf8',
    env: { ...process.env, SOFTHSM2_CONF: hsm.conf },
  });
  const objs: { label: string; id: string; type: string }[] = [];
  let cur: { label: string; id: string; type: string } | null = null;
  for (const line of out.split('\n')) {
    const head = /^(Private Key|Public Key|Secret Key|Certificate|Data) Object/.exec(line);
    if (head) {
      cur = { type: head[1]!, label: '', id: '' };
      objs.push(cur);
    } else if (cur) {
      const l = /^\s+label:\s+(.*)$/.exec(line);
      if (l) cur.label = l[1]!.trim();
      const i = /^\s+ID:\s+([0-9a-f]+)/.exec(line);
      if (i) cur.id = i[1]!;
    }
  }
  return objs;
}

export const privateKeys = (hsm: TestHsm, label: string) => tokenObjects(hsm, label).filter((o) => o.type === 'Private Key');

/** The setup screen: names, number of custodians, tokens picked, files opened, settings. */
export async function fillSetup(
  m: Machine,
  o: {
    template?: string;
    names?: Record<string, string>;
    custodians?: number;
    tokens: Record<string, string>; // token id -> serial
    files?: Record<string, string>; // input name -> path answered by the open dialog
    fields?: Record<string, string>; // accessible label -> value
  },
): Promise<void> {
  const p = m.page;
  const setup = p.getByTestId('setup');
  await setup.waitFor();
  if (o.template) await p.getByLabel('Ceremony', { exact: true }).selectOption(o.template);
  if (o.custodians !== undefined) await p.getByLabel('Number of custodians').fill(String(o.custodians));
  for (const [id, name] of Object.entries(o.names ?? {})) await p.getByLabel(`Name of ${id}`, { exact: true }).fill(name);
  for (const [id, serial] of Object.entries(o.tokens)) {
    const sel = p.getByLabel(`Token for ${id}`, { exact: true });
    await sel.locator(`option[value="${serial}"]`).waitFor({ state: 'attached' });
    await sel.selectOption(serial);
  }
  for (const [name, path] of Object.entries(o.files ?? {})) {
    m.dialogs.open.push(path);
    await p.getByRole('button', { name: `Open ${name}…` }).click();
    await p.locator(`[data-testid="input-file"][data-file="${name}"][data-open="true"]`).waitFor();
  }
  for (const [label, value] of Object.entries(o.fields ?? {})) await p.getByLabel(label, { exact: true }).fill(value);
}

/** Press Start once main says the setup is valid (the button says why while it is not). */
export async function startCeremony(p: Page): Promise<void> {
  const start = p.getByRole('button', { name: 'Start the ceremony' });
  await p.waitForFunction(() => {
    const b = [...document.querySelectorAll('button')].find((x) => x.textContent === 'Start the ceremony') as HTMLButtonElement | undefined;
    return !!b && !b.disabled;
  });
  await start.click();
  await p.getByTestId('ceremony').waitFor();
}

export interface DriveHooks {
  /** PIN to type for a token (label); default: the test token's PIN. */
  pin?: (label: string, so: boolean) => string;
  /** Shares shown on screen, by custodian id (filled as they are shown). */
  shares: Map<string, string>;
  /** Called on a share-enter question before the share is typed (return true when it handled it). */
  onShareEnter?: (custodianId: string, q: ReturnType<Page['getByTestId']>) => Promise<boolean | void>;
  /** Recovery: who types which share, in order: [custodian id, share text]. */
  gather?: [string, string][];
  onShareShow?: (custodianId: string, q: ReturnType<Page['getByTestId']>) => Promise<void>;
  /** Stop driving when this returns true (e.g. to interrupt the run). */
  stopWhen?: (kind: string, q: ReturnType<Page['getByTestId']>) => Promise<boolean>;
  /** Screenshot names by question kind (taken once). */
  shots?: Partial<Record<string, string>>;
  deviation?: string;
}

/** Answer every question until the run is done, failed or abandoned (or stopWhen says stop). */
export async function drive(m: Machine, hsm: TestHsm, h: DriveHooks): Promise<string> {
  const p = m.page;
  const seenKinds = new Set<string>();
  const taken = new Set<string>();
  const gather = [...(h.gather ?? [])];
  for (;;) {
    // wait for a question or an end state (the screen is pushed by main, no polling by the page)
    await p.waitForFunction(
      () => {
        const c = document.querySelector('[data-testid="ceremony"]');
        const st = c?.getAttribute('data-status');
        return st === 'done' || st === 'failed' || st === 'abandoned' || !!document.querySelector('[data-testid="question-box"]');
      },
      undefined,
      { timeout: 120_000 },
    );
    const status = await p.getByTestId('ceremony').getAttribute('data-status');
    const q = p.getByTestId('question');
    if ((await q.count()) === 0) return status!;
    const kind = (await q.getAttribute('data-kind'))!;
    const id = (await p.getByTestId('question-box').getAttribute('data-qid'))!;
    if (h.stopWhen && (await h.stopWhen(kind, q))) return 'stopped-by-test';
    if (!seenKinds.has(kind)) {
      seenKinds.add(kind);
      await axe(p, `ceremony question ${kind}`);
    }
    const shot = h.shots?.[kind];
    if (shot && !taken.has(shot)) {
      taken.add(shot);
      await screenshot(p, shot, q);
    }
    if (kind === 'ack') {
      await q.getByRole('button', { name: /I confirm$/ }).click();
    } else if (kind === 'deviation') {
      await q.getByLabel('Justification').fill(h.deviation ?? 'Test machine: the network is isolated by the test harness.');
      await q.getByRole('button', { name: 'Proceed with this justification' }).click();
    } else if (kind === 'pin') {
      const label = (await q.getAttribute('data-token'))!;
      const so = (await q.getAttribute('data-so')) === 'true';
      await q.locator('[data-testid="token-gate"][data-status="present"]').waitFor();
      const t = hsm.tokens.find((x) => x.label === label);
      assert.ok(t, `token ${label} is a test token`);
      await q.getByLabel(so ? `SO PIN of token ${label}` : `PIN of token ${label}`).fill(h.pin ? h.pin(label, so) : so ? t.soPin : t.pin);
      await q.getByRole('button', { name: `Log in to “${label}”` }).click();
    } else if (kind === 'share-show') {
      const who = (await q.getAttribute('data-custodian'))!;
      await q.getByRole('button', { name: /^Show the share of/ }).click();
      const sheet = q.getByTestId('share-text');
      await sheet.waitFor();
      const n = Number(await sheet.getAttribute('data-words'));
      // the words are shown numbered, a page at a time: collect them page by page, as a custodian copies them
      const words: string[] = [];
      for (;;) {
        for (const t of await sheet.locator('.share-page li .ww').allInnerTexts()) words.push(t.trim());
        const next = q.getByRole('button', { name: 'Next words' });
        if (words.length >= n || (await next.isDisabled())) break;
        await next.click();
      }
      assert.equal(words.length, n);
      h.shares.set(who, words.join(' '));
      if (h.onShareShow) await h.onShareShow(who, q);
      await q.getByRole('checkbox').check();
      await q.getByRole('button', { name: 'Hide the share and continue' }).click();
    } else if (kind === 'share-enter') {
      const who = (await q.getAttribute('data-custodian'))!;
      const handled = h.onShareEnter ? await h.onShareEnter(who, q) : false;
      if (!handled) {
        await q.getByLabel(/^Word 1 of \d+/).fill(h.shares.get(who)!);
        await q.locator('[data-testid="share-check"][data-complete="true"]').waitFor();
      }
      await q.getByRole('button', { name: /^Give back share/ }).click();
    } else if (kind === 'share-gather') {
      const next = gather.shift();
      assert.ok(next, `a share to gather (${id})`);
      const [who, text] = next;
      await q.getByLabel('Who types the next share?').selectOption(who);
      await q.getByLabel(/^Word 1 of \d+/).fill(text);
      await q.locator('[data-testid="share-check"][data-complete="true"], [data-testid="share-check"][data-code]:not([data-code=""])').first().waitFor();
      await q.getByRole('button', { name: /^Enter this share/ }).click();
    }
    // wait until this question is gone (answered) before looking again
    await p.waitForFunction(
      (prev) => {
        const el = document.querySelector('[data-testid="question-box"]');
        const st = document.querySelector('[data-testid="ceremony"]')?.getAttribute('data-status');
        return !el || el.getAttribute('data-qid') !== prev || (st !== 'running' && st !== 'abandoning');
      },
      id,
      { timeout: 120_000 },
    );
  }
}

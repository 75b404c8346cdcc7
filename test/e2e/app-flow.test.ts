/**
 * Issue 7 end to end: what a kernel developer does on first opening PT Lab in
 * web mode. The real `ptlab serve` on a temporary database, headless
 * Chromium: open the printed URL (the token becomes a cookie) → Designer:
 * thread-race, strategies v5-reviewed and upstream only, random mode, seeds
 * 1..50 → Run → the Live run shows the lanes progressing and finishing →
 * the Library lists both strategies' runs with the verdicts the CLI gives
 * for the same inputs → a reload brings back the same screen, filters and
 * selection. Takes the Designer, Live run and Library screenshots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliJson } from '../helpers/cli.ts';
import { launch, newContext, requireChromium, screenshot, serve, SKIP_E2E, type Served, type Watched, watchedPage } from './helpers.ts';

const SCENARIO = 'thread-race';
const STRATEGIES = ['v5-reviewed', 'upstream'] as const;
const FIRST_SEED = 1;
const SEEDS = 50;

interface CliRun {
  strategy: string;
  seed: number;
  status: string;
  violations: { kind: string }[];
  /** Occurrences of each kind (the violations list keeps the first of each). */
  violationCounts: Record<string, number>;
}

/** What the CLI finds for each strategy: per violating seed, how many violations of which kinds. */
interface Expected {
  violating: Map<number, { count: number; kinds: Set<string> }>;
  /** Runs that hit each kind at least once. */
  runsByKind: Map<string, number>;
}

let dir: string;
let server: Served;
let browser: Browser;
let w: Watched;
let page: Page;
const expected = new Map<string, Expected>();

describe.skipIf(SKIP_E2E)('web mode, first use: design, run, watch, find the runs again', () => {
  beforeAll(async () => {
    requireChromium();
    process.stdout.write(`app-flow: ${SCENARIO}, ${STRATEGIES.join(' + ')}, random, seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1}\n`);
    // The same inputs through the CLI, without saving: the verdicts the app must show.
    const doc = runCliJson<{ runs: CliRun[] }>(['run', '--scenario', SCENARIO, '--strategy', STRATEGIES.join(','), '--mode', 'random', '--seed', String(FIRST_SEED), '--seeds', String(SEEDS), '--json', '--no-save', '--no-traces']);
    for (const s of STRATEGIES) {
      const runs = doc.runs.filter((r) => r.strategy === s);
      expect(runs, `CLI runs of ${s}`).toHaveLength(SEEDS);
      const e: Expected = { violating: new Map(), runsByKind: new Map() };
      for (const r of runs) {
        const kinds = new Set(Object.keys(r.violationCounts).filter((k) => r.violationCounts[k] > 0));
        if (kinds.size === 0) continue;
        e.violating.set(r.seed, { count: [...kinds].reduce((n, k) => n + r.violationCounts[k], 0), kinds });
        for (const k of kinds) e.runsByKind.set(k, (e.runsByKind.get(k) ?? 0) + 1);
      }
      expected.set(s, e);
      process.stdout.write(`app-flow: CLI: ${s}: ${e.violating.size} of ${SEEDS} runs violate (seeds ${[...e.violating.keys()].join(', ') || 'none'})\n`);
    }
    dir = mkdtempSync(join(tmpdir(), 'ptlab-e2e-flow-'));
    server = await serve(join(dir, 'lab.db'));
    browser = await launch();
    const context = await newContext(browser);
    // Every value the progress bars take, recorded in the page as the DOM changes: "did the
    // Live run show progress" is then a fact about what was on screen, whatever the speed.
    await context.addInitScript(`(() => {
      const seen = (window.__ptlabProgress = []);
      new MutationObserver(() => {
        for (const b of document.querySelectorAll('[role=progressbar]')) {
          const v = b.getAttribute('aria-label') + '=' + b.getAttribute('aria-valuenow');
          if (seen[seen.length - 1] !== v && !seen.includes(v)) seen.push(v);
        }
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    })()`);
    w = await watchedPage(context, server.origin);
    page = w.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens with the printed URL: the token becomes a cookie and leaves the address bar', async () => {
    await page.goto(server.url);
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    const cookies = await page.context().cookies(server.origin);
    expect(cookies.find((c) => c.name === 'ptlab_session')).toMatchObject({ value: server.token, httpOnly: true, sameSite: 'Strict' });
  });

  it('designs the run in the Designer: preset, two strategies, random, 50 seeds, layout map', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Designer' }).click();
    await page.getByLabel('Start from a preset or a saved experiment').selectOption(`preset:${SCENARIO}`);
    const strategies = page.getByRole('region', { name: 'Strategies' });
    await strategies.getByRole('button', { name: 'none' }).click();
    for (const s of STRATEGIES) {
      await strategies.locator('li label').filter({ has: page.locator('.id', { hasText: new RegExp(`^${s}$`) }) }).getByRole('checkbox').check();
    }
    await expect.poll(() => strategies.getByRole('heading').textContent()).toContain('(2 chosen)');
    await page.getByRole('radiogroup', { name: 'Mode' }).getByRole('radio', { name: 'random' }).check({ force: true });
    await page.locator('#run-seed').fill(String(FIRST_SEED));
    await page.locator('#run-seeds').fill(String(SEEDS));
    await page.locator('svg[aria-label^="Kernel virtual address regions"]').waitFor();
    await page.getByText('scenario valid').waitFor();
    await expect.poll(() => page.getByRole('button', { name: /^▶ Run/ }).textContent()).toBe(`▶ Run 2 × ${SEEDS} random`);
    await screenshot(page, 'designer');
  });

  it('runs it: the Live run shows both lanes progressing, then finished with what they found', async () => {
    await page.getByRole('button', { name: `▶ Run 2 × ${SEEDS} random` }).click();
    await page.waitForURL(/#\/live\//);
    const lanes = page.getByRole('table', { name: 'Lanes' });
    for (const s of STRATEGIES) await lanes.locator(`[data-lane="${s}"]`).waitFor();
    const compare = page.getByRole('button', { name: `Compare these runs (${2 * SEEDS})` });
    await compare.waitFor({ timeout: 100_000 });
    await expect(page.locator('header.head .badge').first().textContent()).resolves.toBe('completed');

    const seen = await page.evaluate<string[]>('window.__ptlabProgress');
    process.stdout.write(`app-flow: progress values on screen: ${seen.join(' ')}\n`);
    const partial = seen.filter((v) => {
      const n = Number(v.slice(v.lastIndexOf('=') + 1));
      return n > 0 && n < 100;
    });
    expect(partial, `a progress bar between 0 and 100% while running (seen: ${seen.join(' ')})`).not.toEqual([]);

    for (const s of STRATEGIES) {
      const row = lanes.locator(`[data-lane="${s}"]`);
      expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
      await expect(row.textContent()).resolves.toContain(`${SEEDS}/${SEEDS} runs · 100%`);
      const found = (await row.locator('.found').textContent())!.replace(/\s+/g, ' ').trim();
      const e = expected.get(s)!;
      if (e.runsByKind.size === 0) expect(found, `${s}: Found`).toBe('no violation');
      else for (const [k, n] of e.runsByKind) expect(found, `${s}: Found`).toContain(`${k} in ${n} ${n === 1 ? 'run' : 'runs'}`);
    }
    await screenshot(page, 'live-run');
  });

  /** The rows the Library shows now (all fit on screen: 26 px each). */
  async function rows(): Promise<{ seed: number; strategy: string; badge: string; kinds: string }[]> {
    await page.locator('[role=grid] [aria-busy=true]').first().waitFor({ state: 'detached' });
    const grid = page.getByRole('grid', { name: 'Saved runs' });
    return grid.locator('[role=row][data-id]').evaluateAll((els) =>
      els.map((el) => {
        const cells = el.querySelectorAll('[role=gridcell]');
        return {
          strategy: (cells[3].textContent ?? '').trim(),
          seed: Number((cells[5].textContent ?? '').trim()),
          badge: (cells[1].querySelector('.badge')?.textContent ?? '').trim(),
          kinds: (cells[1].querySelector('.kinds')?.textContent ?? '').trim(),
        };
      }),
    );
  }

  async function filter(label: 'Strategy' | 'Verdict', value: string): Promise<void> {
    await page.locator('[role=search] label', { has: page.locator('.sr-only', { hasText: new RegExp(`^${label}$`) }) }).locator('select').selectOption(value);
  }

  const count = (): Promise<string> => page.locator('.library .count').innerText();

  it('lists both strategies\' runs in the Library with the verdicts the CLI gives', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Library' }).click();
    await expect.poll(count).toBe(`${2 * SEEDS} runs`);
    for (const s of STRATEGIES) {
      const e = expected.get(s)!;
      await filter('Strategy', s);
      await filter('Verdict', 'violation');
      await expect.poll(count).toBe(`${e.violating.size} ${e.violating.size === 1 ? 'run' : 'runs'} match`);
      const shown = await rows();
      expect(shown.map((r) => r.strategy).every((x) => x === s)).toBe(true);
      expect(shown.map((r) => r.seed).sort((a, b) => a - b), `${s}: violating seeds`).toEqual([...e.violating.keys()].sort((a, b) => a - b));
      for (const r of shown) {
        const want = e.violating.get(r.seed)!;
        expect(r.badge, `${s} seed ${r.seed}`).toBe(`✗ ${want.count}`);
        expect(new Set(r.kinds.split(/\s+/)), `${s} seed ${r.seed}: kinds`).toEqual(want.kinds);
      }
      await filter('Verdict', 'safe');
      const safe = SEEDS - e.violating.size;
      await expect.poll(count).toBe(`${safe} ${safe === 1 ? 'run' : 'runs'} match`);
      const safeRows = await rows();
      expect(safeRows.every((r) => r.badge === 'safe' && !e.violating.has(r.seed))).toBe(true);
      await filter('Verdict', '');
    }
  });

  it('a reload brings back the Library with its filters and selection', async () => {
    const v5 = expected.get('v5-reviewed')!;
    await filter('Strategy', 'v5-reviewed');
    await expect.poll(count).toBe(`${SEEDS} runs match`);
    // Select a violating run (the newest, at the top): its details show beside the table.
    const bad = [...v5.violating.keys()].reduce((a, b) => (b > a ? b : a));
    const row = page.getByRole('grid', { name: 'Saved runs' }).locator('[role=row][data-id]').filter({ has: page.locator('[role=gridcell]:nth-child(6)', { hasText: new RegExp(`^${bad}$`) }) });
    await row.click();
    const details = page.locator('aside[aria-label="Run details"]');
    await details.getByRole('heading', { level: 2 }).waitFor();
    const text = (await details.textContent()) ?? '';
    expect(text).toContain(`seed ${bad}`);
    for (const k of v5.violating.get(bad)!.kinds) expect(text, `details of seed ${bad}`).toContain(k);
    await screenshot(page, 'library');
    const id = await row.getAttribute('data-id');

    await page.reload();
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Library' }).and(page.locator('[aria-current=page]')).waitFor();
    await expect.poll(count).toBe(`${SEEDS} runs match · 1 selected`);
    await expect(page.locator(`[role=row][data-id="${id}"]`).getAttribute('aria-selected')).resolves.toBe('true');
    await details.getByRole('heading', { level: 2 }).waitFor();
    expect(w.errors, 'console errors').toEqual([]);
    expect(w.foreign, 'requests outside the served origin').toEqual([]);
  });
});

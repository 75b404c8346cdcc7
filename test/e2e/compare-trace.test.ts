/**
 * Issue 8 end to end, in Chromium against the real `ptlab serve`: a
 * reviewer compares the reviewed teardown (v5-reviewed) with upstream on
 * thread-race, pins upstream as the baseline and reads a delta off the
 * metric table; opens the violation's trace, steps to the free of the table
 * page and sees it marked freed in the state panel, with the flow arrow from
 * the free to the stale write; exports the HTML report from the UI (a
 * download in web mode) and opens it in Chromium: no console error, no
 * network request. The runs and every expected step, frame and value come
 * from the CLI on the same inputs. Takes the Compare and Trace screenshots.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDelta, formatPct } from '../../renderer/src/lib/metrics.ts';
import { runCliJson } from '../helpers/cli.ts';
import { launch, newContext, requireChromium, screenshot, serve, SKIP_E2E, type Served, type Watched, watchedPage } from './helpers.ts';

const SCENARIO = 'thread-race';
/** Seeds searched for a v5-reviewed run that writes into a freed table. */
const SEARCH_SEEDS = 20;
/** Metrics the delta is read from, the first that differs between the two runs. */
const DELTA_METRICS = ['pgtable.leaked_pages', 'pgtable.freed_pages', 'tlbi.pgtable', 'sim.steps'];

interface KeyStep {
  step: number;
  actor: string;
  role: string;
  label: string;
}
interface CliViolation {
  kind: string;
  step: number;
  keySteps?: KeyStep[];
}
interface CliRun {
  id: string | null;
  strategy: string;
  seed: number;
  violations: CliViolation[];
  metrics: Record<string, number>;
}

let dir: string;
let server: Served;
let browser: Browser;
let w: Watched;
let page: Page;
let v5: CliRun;
let upstream: CliRun;
/** Index of v5's uaf-table-write in its violations, and its key steps. */
let writeIndex: number;
let freed: KeyStep;
let staleWrite: KeyStep;
let freedPfn: number;

describe.skipIf(SKIP_E2E)('Compare, Trace viewer and HTML export in web mode', () => {
  beforeAll(async () => {
    requireChromium();
    // Find, with the CLI, the first seed where the reviewed teardown writes into a freed table.
    const search = runCliJson<{ runs: CliRun[] }>(['run', '--scenario', SCENARIO, '--strategy', 'v5-reviewed', '--mode', 'random', '--seed', '1', '--seeds', String(SEARCH_SEEDS), '--json', '--no-save', '--no-traces']);
    const hit = search.runs.find((r) => r.violations.some((v) => v.kind === 'uaf-table-write'));
    if (!hit) throw new Error(`no uaf-table-write for v5-reviewed on ${SCENARIO} in seeds 1..${SEARCH_SEEDS}`);
    const seed = hit.seed;
    process.stdout.write(`compare-trace: ${SCENARIO}, random, seed ${seed} (first of 1..${SEARCH_SEEDS} with uaf-table-write under v5-reviewed)\n`);
    dir = mkdtempSync(join(tmpdir(), 'ptlab-e2e-cmp-'));
    const db = join(dir, 'lab.db');
    const saved = runCliJson<{ runs: CliRun[] }>(['run', '--scenario', SCENARIO, '--strategy', 'v5-reviewed,upstream', '--mode', 'random', '--seed', String(seed), '--seeds', '1', '--json', '--db', db], { db });
    v5 = saved.runs.find((r) => r.strategy === 'v5-reviewed')!;
    upstream = saved.runs.find((r) => r.strategy === 'upstream')!;
    expect(v5.id && upstream.id, 'saved run ids').toBeTruthy();
    expect(upstream.violations).toEqual([]);
    writeIndex = v5.violations.findIndex((v) => v.kind === 'uaf-table-write');
    const keys = v5.violations[writeIndex].keySteps ?? [];
    freed = keys.find((k) => k.role === 'freed')!;
    staleWrite = keys.find((k) => k.role === 'stale-use')!;
    expect(freed && staleWrite, 'the write violation names the free and the stale use').toBeTruthy();
    freedPfn = parseInt(/pfn (0x[0-9a-f]+)/.exec(freed.label)![1], 16);
    process.stdout.write(`compare-trace: CLI: free at step ${freed.step} (pfn 0x${freedPfn.toString(16)}), stale write at ${staleWrite.step}\n`);

    server = await serve(db);
    browser = await launch();
    w = await watchedPage(await newContext(browser), server.origin);
    page = w.page;
    await page.goto(server.url);
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compares the two runs from the Library, pins upstream as the baseline and shows the delta against it', async () => {
    const grid = page.getByRole('grid', { name: 'Saved runs' });
    await grid.locator(`[role=row][data-id="${v5.id}"]`).click();
    await grid.locator(`[role=row][data-id="${upstream.id}"]`).click({ modifiers: ['Control'] });
    await expect.poll(() => page.locator('.library .count').innerText()).toBe('2 runs · 2 selected');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();

    // Safety, from the safety presets: the reviewed teardown breaks on thread-race, upstream did not here.
    const safety = page.getByRole('table', { name: 'Safety per strategy' });
    await expect(safety.locator(`tr[data-strategy="v5-reviewed"] td[data-scenario="${SCENARIO}"]`).getAttribute('data-verdict')).resolves.toBe('violation');
    await expect(safety.locator(`tr[data-strategy="upstream"] td[data-scenario="${SCENARIO}"]`).getAttribute('data-verdict')).resolves.toBe('no-violation');

    const metrics = page.getByRole('region', { name: 'Metrics' });
    await metrics.locator(`th[data-run="${upstream.id}"]`).getByRole('button', { name: 'pin as baseline' }).click();
    await metrics.locator(`th[data-run="${upstream.id}"] .badge.pinned`).waitFor();
    await expect(metrics.locator(`th[data-run="${v5.id}"]`).getByRole('button', { name: 'pin as baseline' }).isVisible()).resolves.toBe(true);

    const key = DELTA_METRICS.find((k) => v5.metrics[k] !== undefined && upstream.metrics[k] !== undefined && v5.metrics[k] !== upstream.metrics[k]);
    if (!key) throw new Error(`v5-reviewed and upstream agree on ${DELTA_METRICS.join(', ')}`);
    const diff = v5.metrics[key] - upstream.metrics[key];
    const pct = upstream.metrics[key] === 0 ? null : (diff / Math.abs(upstream.metrics[key])) * 100;
    const want = `${formatDelta(diff, key === 'pgtable.leaked_bytes' ? 'bytes' : 'count')} (${formatPct(pct)})`;
    process.stdout.write(`compare-trace: ${key}: v5-reviewed ${v5.metrics[key]}, upstream ${upstream.metrics[key]} → ${want}\n`);
    const row = metrics.locator(`tr[data-metric="${key}"]`);
    const cells = row.locator('td');
    // Column order follows the Library selection; find v5's column from the header.
    const heads = await metrics.locator('thead th.run').evaluateAll((els) => els.map((e) => e.getAttribute('data-run')));
    const v5Cell = cells.nth(heads.indexOf(v5.id));
    const baseCell = cells.nth(heads.indexOf(upstream.id));
    await expect(v5Cell.locator('.d').textContent()).resolves.toBe(want);
    await expect(baseCell.getAttribute('class')).resolves.toContain('base');
    await expect(baseCell.locator('.d').count()).resolves.toBe(0);
    await screenshot(page, 'compare');
  });

  it('exports the HTML report from the UI as a download that opens in Chromium with no error and no request', async () => {
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.getByRole('heading', { name: 'Export', exact: true }).waitFor();
    await page.getByRole('radiogroup', { name: 'Format' }).getByRole('radio', { name: /HTML report/ }).check();
    const go = page.getByRole('button', { name: 'Export 2 runs as HTML report' });
    const [download] = await Promise.all([page.waitForEvent('download'), go.click()]);
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    expect(file).toMatch(/\.html$/);
    // The app says where it went, and the user dismisses that.
    const toast = page.locator('.toast', { hasText: `Downloaded ${download.suggestedFilename()}` });
    await toast.waitFor();
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await toast.waitFor({ state: 'detached' });
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('v5-reviewed');
    expect(html).toContain('upstream');
    expect(html).toContain('uaf-table-write');

    const viewer = await newContext(browser);
    try {
      const r = await watchedPage(viewer, null);
      const url = pathToFileURL(file).href;
      await r.page.goto(url, { waitUntil: 'load' });
      await r.page.waitForLoadState('networkidle');
      expect(await r.page.locator('body').innerText()).toMatch(/uaf-table-write/);
      expect(r.errors, 'console errors in the report').toEqual([]);
      expect(r.foreign.filter((u) => u !== url), 'requests made by the report').toEqual([]);
    } finally {
      await viewer.close();
    }
  });

  it('opens the violation\'s trace from Compare: the run\'s first violation, reproduced by replay', async () => {
    await page.goBack();
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    const cell = page.getByRole('table', { name: 'Safety per strategy' }).locator(`tr[data-strategy="v5-reviewed"] td[data-scenario="${SCENARIO}"]`);
    await cell.getByRole('link', { name: 'trace →' }).click();
    const viewer = page.getByRole('region', { name: 'Trace viewer' });
    const first = v5.violations[0];
    await viewer.getByRole('heading', { level: 1 }).filter({ hasText: `${first.kind} at step ${first.step.toLocaleString('en-US')}` }).waitFor();
    await viewer.getByText('✓ replay reproduces it').waitFor();
  });

  it('steps to the free in the write\'s trace: the freed table marked, and the flow arrow to the stale write', async () => {
    // The uaf-table-write's own trace, as the Library's run details link to it.
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Library' }).click();
    await page.getByRole('grid', { name: 'Saved runs' }).locator(`[role=row][data-id="${v5.id}"]`).click();
    const details = page.locator('aside[aria-label="Run details"]');
    await details.locator('.violations li').nth(writeIndex).getByRole('link', { name: 'trace →' }).click();
    const viewer = page.getByRole('region', { name: 'Trace viewer' });
    await viewer.getByRole('heading', { level: 1 }).filter({ hasText: `uaf-table-write at step ${staleWrite.step.toLocaleString('en-US')}` }).waitFor();

    const jump = viewer.getByLabel('Step number to go to');
    await jump.fill(String(freed.step));
    await jump.press('Enter');
    const state = page.getByRole('complementary', { name: 'Machine state at this step' });
    await state.getByRole('heading', { level: 2 }).filter({ hasText: `Step ${freed.step.toLocaleString('en-US')}` }).filter({ hasText: 'freed the page' }).waitFor();
    // The panel is busy until the machine state of this very step has arrived.
    await expect.poll(() => state.getAttribute('aria-busy')).toBe('false');
    // The freed table page, in the tables swapper_pg_dir no longer reaches.
    const table = state.getByRole('region', { name: 'Detached tables' }).locator(`[data-pfn="${freedPfn}"]`);
    await expect(table.getAttribute('data-state')).resolves.toBe('freed');
    await expect(state.getByRole('region', { name: 'What this step changed' }).textContent()).resolves.toMatch(/freed/);

    // The flow arrow from the free to the write through the stale pointer, and that write's row.
    await viewer.getByRole('button', { name: 'highlight the chain' }).click();
    const arrow = viewer.locator(`svg.arrows g.arrow[data-from="${freed.step}"][data-to="${staleWrite.step}"]`);
    await arrow.waitFor();
    await expect(viewer.locator('svg.arrows').getAttribute('class')).resolves.toContain('on');
    await viewer.locator(`[role=row][data-step="${staleWrite.step}"]`).waitFor();
    await screenshot(page, 'trace');
    expect(w.errors, 'console errors').toEqual([]);
    expect(w.foreign, 'requests outside the served origin').toEqual([]);
  });
});

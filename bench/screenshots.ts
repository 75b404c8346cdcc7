/**
 * Screenshots of the Library, the Designer, the Live run, Compare and the
 * Trace viewer, light and dark, into docs/screenshots/. Runs the fake build (the same renderer, on
 * the in-memory fake lab with generated history) served statically with the
 * web host's CSP, and drives it in Chromium like a user: nothing is staged
 * in the DOM. `node bin/bundled.mjs bench/screenshots.ts`
 * (add `--no-build` to reuse dist/renderer-fake/).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildRenderer, launchChromium, serveStatic } from './renderer.ts';

const root = process.cwd();
const out = join(root, 'docs/screenshots');
mkdirSync(out, { recursive: true });
if (!process.argv.includes('--no-build')) buildRenderer(root, 'fake');
const served = await serveStatic(join(root, 'dist/renderer-fake'));
const browser = await launchChromium();
const errors: string[] = [];

async function library(page: Page): Promise<void> {
  await page.goto(`${served.url}?runs=400#/library`);
  await page.waitForSelector('[role=grid] [role=row][data-id]');
  // Select a run with a violation, as a user reading the Library would.
  const violating = page.locator('[role=row][data-id]', { has: page.locator('.badge.violation') }).nth(2);
  await violating.click();
  await page.waitForSelector('aside[aria-label="Run details"] h2');
  await page.mouse.move(0, 0);
}

async function designer(page: Page): Promise<void> {
  await page.goto(`${served.url}?runs=400#/designer?preset=thread-race`);
  await page.waitForSelector('svg[aria-label^="Kernel virtual address regions"]');
  await page.waitForTimeout(400);
}

async function live(page: Page): Promise<void> {
  await page.goto(`${served.url}?runs=400#/designer?preset=head-to-head`);
  await page.waitForSelector('svg[aria-label^="Kernel virtual address regions"]');
  await page.getByRole('radio', { name: 'timed' }).check({ force: true });
  await page.locator('#run-seeds').fill('2');
  await page.getByRole('button', { name: /▶/ }).click();
  await page.waitForSelector('[aria-label="Violations found"] li');
  await page.waitForTimeout(2500);
}

// Code that runs in the page is source text (this file is type-checked for Node, without the DOM).

/** Completed timed head-to-head runs of these strategies, one each, as the Library would find them. */
async function timedRuns(page: Page, strategies: string[]): Promise<string[]> {
  return page.evaluate<string[]>(
    `window.ptlabFake.listRuns({ scenario: 'head-to-head', mode: 'timed', status: 'completed', limit: 200 }).then(({ rows }) => ${JSON.stringify(strategies)}.map((s) => rows.find((r) => r.strategy === s).id))`,
  );
}

/** Follow an in-app link, as a click on it would. */
async function follow(page: Page, hash: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

/** The reviewed teardown against upstream (pinned as the baseline) and the other options, at the top: safety, knobs, metrics, the first charts. */
async function compare(page: Page): Promise<void> {
  await page.goto(`${served.url}?runs=400#/library`);
  await page.waitForSelector('[role=grid] [role=row][data-id]');
  const ids = await timedRuns(page, ['v5-reviewed', 'upstream', 'v6', 'opt2', 'opt1']);
  await follow(page, `#/compare?ids=${ids.join(',')}`);
  await page.waitForSelector('table[aria-label="Safety per strategy"]');
  await page.locator(`th[data-run="${ids[1]}"]`).getByRole('button', { name: 'pin as baseline' }).click();
  await page.waitForSelector(`th[data-run="${ids[1]}"] .pinned`);
  await page.waitForSelector('[data-series-chart] figure[data-chart]');
  await page.waitForTimeout(600);
}

/** The same comparison with the charts scrolled into view: lock wait, TLBIs, leaked tables, a series over time. */
async function compareCharts(page: Page): Promise<void> {
  await compare(page);
  await page.evaluate(`(() => {
    const charts = document.querySelector('.charts');
    charts.scrollTop = document.querySelector('[data-chart="lock-wait"]').offsetTop - charts.offsetTop - 4;
  })()`);
  await page.waitForTimeout(400);
}

/** thread-race × v5-reviewed, seed 3, at the free (step 1052), the chain highlighted: as the safety row links to it. */
async function trace(page: Page): Promise<void> {
  await page.goto(`${served.url}?runs=400#/library`);
  await page.waitForSelector('[role=grid] [role=row][data-id]');
  const link = await page.evaluate<{ runId: string; violation: number }>(`window.ptlabFake.safety({ strategies: ['v5-reviewed'], scenarios: ['thread-race'] }).then((v) => v[0].trace)`);
  await follow(page, `#/trace/${link.runId}/${link.violation}?step=1052`);
  await page.waitForSelector('[aria-label="Detached tables"] [data-state="freed"]');
  await page.getByRole('button', { name: 'highlight the chain' }).click();
  await page.waitForTimeout(500);
  await page.mouse.move(0, 0);
}

for (const scheme of ['light', 'dark'] as const) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: scheme, deviceScaleFactor: 1 });
  for (const [name, drive] of [
    ['library', library],
    ['designer', designer],
    ['live-run', live],
    ['compare', compare],
    ['compare-charts', compareCharts],
    ['trace', trace],
  ] as const) {
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(`${name}/${scheme}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`${name}/${scheme}: ${e.message}`));
    await drive(page);
    const file = join(out, `${name}${scheme === 'dark' ? '-dark' : ''}.png`);
    await page.screenshot({ path: file });
    process.stdout.write(`wrote ${file}\n`);
    await page.close();
  }
  await context.close();
}
await browser.close();
await served.close();
if (errors.length) {
  process.stderr.write(`console errors:\n${errors.join('\n')}\n`);
  process.exitCode = 1;
}

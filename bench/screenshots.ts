/**
 * Screenshots of the Library, the Designer and the Live run, light and
 * dark, into docs/screenshots/. Runs the fake build (the same renderer, on
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

for (const scheme of ['light', 'dark'] as const) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: scheme, deviceScaleFactor: 1 });
  for (const [name, drive] of [
    ['library', library],
    ['designer', designer],
    ['live-run', live],
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

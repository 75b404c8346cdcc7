import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { chartGroups, renderHtmlReport } from '../../electron/report/index.ts';
import { sampleRunsWithSeries } from './fixtures.ts';

/** Where CI installs Chromium (PTLAB_CHROMIUM overrides, e.g. to check the skip path). */
const CHROMIUM = process.env.PTLAB_CHROMIUM ?? '/usr/bin/chromium';
const SKIP_NOTE = `chromium not installed at ${CHROMIUM}`;
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(SKIP_NOTE);

/** PNG size above which a screenshot is taken to show real content, not a blank page. */
const MIN_PNG_BYTES = 10 * 1024;

describe('HTML report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ptlab-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads with no console error and no request, draws every chart, and screenshots', async (ctx) => {
    if (!hasChromium) ctx.skip(SKIP_NOTE);
    const runs = sampleRunsWithSeries();
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtmlReport(runs, { title: 'head-to-head: v6 vs opt2 vs upstream', version: '0.1.0' }));
    const url = pathToFileURL(file).href;

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1320, height: 900 } });
      const errors: string[] = [];
      const failed: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
      page.on('request', (r) => requests.push(r.url()));

      const resp = await page.goto(url, { waitUntil: 'load' });
      expect(resp?.ok() ?? true).toBe(true);

      expect(errors).toEqual([]);
      expect(failed).toEqual([]);
      // the document itself is the only thing loaded
      expect(requests).toEqual([url]);

      const groups = chartGroups(runs);
      expect(await page.locator('figure.chart').count()).toBe(groups.length);
      for (const g of groups) {
        const box = await page.locator(`figure.chart[data-group="${g}"] > svg`).boundingBox();
        expect(box?.width ?? 0, g).toBeGreaterThan(300);
        expect(box?.height ?? 0, g).toBeGreaterThan(150);
      }
      expect(await page.locator('table.trace tbody tr').count()).toBe(5);

      // the verdict link jumps to the trace
      await page.locator('table.verdict a.badge').first().click();
      expect(new URL(page.url()).hash).toBe('#v-0-0');
      await page.goto(url);

      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(MIN_PNG_BYTES);
      const keep = process.env.PTLAB_REPORT_SHOT;
      if (keep) copyFileSync(shot, keep);

      // dark theme follows the system
      const light = await page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor');
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor');
      expect(dark).not.toBe(light);
      const darkShot = join(dir, 'report-dark.png');
      await page.screenshot({ path: darkShot, fullPage: true });
      expect(statSync(darkShot).size).toBeGreaterThan(MIN_PNG_BYTES);
      const keepDark = process.env.PTLAB_REPORT_SHOT_DARK;
      if (keepDark) copyFileSync(darkShot, keepDark);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

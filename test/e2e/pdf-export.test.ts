/**
 * PDF export from the app in web mode, end to end: `ptlab serve` on a
 * database holding a v5-reviewed run that breaks on thread-race and an
 * upstream run that does not; headless Chromium opens the Export screen with
 * both, picks PDF and exports; the browser downloads a real PDF whose text
 * (pdftotext) carries both strategies and their verdicts. The server printed
 * it with Chromium (--headless --print-to-pdf). Where the server has no
 * Chromium, the Export screen says in one line what PDF needs and nothing is
 * downloaded.
 *
 * Self-contained (its own server and browser), so it runs in the node
 * project as well as in an e2e project; without /usr/bin/chromium (or
 * PTLAB_CHROMIUM) it skips, saying so, except under CI=true, where it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const CHROMIUM = process.env.PTLAB_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const HAVE_PDFTOTEXT = spawnSync('pdftotext', ['-v']).error === undefined;
const SKIP = !HAVE_CHROMIUM && !IN_CI;
if (SKIP) process.stdout.write(`pdf-export: skipped: no Chromium at ${CHROMIUM} (set PTLAB_CHROMIUM; under CI=true this test fails instead)\n`);

const dir = tmpDir('ptlab-pdf-e2e-');
const db = join(dir, 'lab.db');
let ids: string[] = [];
let browser: Browser | null = null;
const servers: ChildProcess[] = [];

interface Served {
  url: string;
  origin: string;
}

/** `ptlab serve --no-open` as a user starts it; resolves with the printed URL. */
function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, ['bin/ptlab.mjs', 'serve', '--db', db, '--no-open'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /PT Lab web mode: ((http:\/\/127\.0\.0\.1:\d+)\/\?token=[0-9a-f]{64})/.exec(out);
      if (m) resolve({ url: m[1], origin: m[2] });
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.once('exit', (code, sig) => reject(new Error(`ptlab serve exited (${code ?? sig}) before printing its URL:\n${out}`)));
  });
}

/** The Export screen with both runs, PDF picked. */
async function exportScreen(served: Served): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(served.url);
  await page.goto(`${served.origin}/#/export?ids=${ids.join(',')}`);
  await page.locator('input[name="format"][value="pdf"]').check();
  return page;
}

beforeAll(async () => {
  if (SKIP) return;
  if (!HAVE_CHROMIUM) throw new Error(`pdf-export: no Chromium at ${CHROMIUM}: CI must run this test (install chromium or set PTLAB_CHROMIUM)`);
  if (!existsSync(join(ROOT, 'dist', 'renderer', 'index.html'))) {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, `vite build: ${r.stderr}`).toBe(0);
  }
  // thread-race, seed 3: v5-reviewed writes into the freed table; upstream stays safe.
  console.log('[pdf-export] thread-race seed 3: v5-reviewed and upstream, one run each');
  const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed,upstream', '--seed', '3', '--json', '--no-traces', '--db', db]);
  expect(r.status, r.stderr).toBe(0);
  const runs = (JSON.parse(r.stdout) as { runs: { id: string; strategy: string; violations: { kind: string }[] }[] }).runs;
  expect(runs.find((x) => x.strategy === 'v5-reviewed')!.violations.map((v) => v.kind)).toContain('uaf-table-write');
  expect(runs.find((x) => x.strategy === 'upstream')!.violations).toEqual([]);
  ids = runs.map((x) => x.id);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGTERM');
  rmTmp(dir);
});

describe('PDF export in web mode', () => {
  it.skipIf(SKIP)('the Export screen downloads a PDF of the report whose text carries both verdicts', async () => {
    const served = await serve({ PTLAB_CHROMIUM: CHROMIUM });
    const page = await exportScreen(served);
    const go = page.getByRole('button', { name: 'Export 2 runs as PDF' });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 90_000 }), go.click()]);
    expect(download.suggestedFilename()).toMatch(/^ptlab-thread-race-\d{4}-\d\d-\d\d\.pdf$/);
    const file = join(dir, 'export.pdf');
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const done = page.locator('p.done[role="status"]');
    await done.waitFor();
    expect(await done.textContent()).toContain(`Downloaded ${download.suggestedFilename()}`);
    if (!HAVE_PDFTOTEXT) {
      console.warn('[pdf-export] pdftotext not installed (apt-get install poppler-utils): the PDF text is not checked');
      return;
    }
    const r = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // Table cells wrap long words at hyphens ("v5-" / "reviewed"); read them joined.
    const text = r.stdout.replace(/-\s*\n\s*/g, '-').replace(/\s+/g, ' ');
    expect(text).toContain('Verdict');
    expect(text).toContain('v5-reviewed');
    expect(text).toContain('uaf-table-write');
    expect(text).toMatch(/upstream .*\bsafe\b/);
  });

  it.skipIf(SKIP)('a server without Chromium: Export says in one line what PDF needs, and downloads nothing', async () => {
    const served = await serve({ PTLAB_CHROMIUM: join(dir, 'no-such-chromium') });
    const page = await exportScreen(served);
    let downloads = 0;
    page.on('download', () => downloads++);
    await page.getByRole('button', { name: 'Export 2 runs as PDF' }).click();
    const alert = page.locator('p.err[role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Export failed: PDF export needs Chromium or Google Chrome .*or the desktop app$/);
    expect(downloads).toBe(0);
  });
});

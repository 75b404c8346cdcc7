/**
 * The renderer's figures (SPEC §7 "The app"), for `npm run bench` to call:
 *  - bundle size of the production build (dist/renderer/), raw and gzip;
 *  - first paint and time until the Library shows its rows, of the built
 *    app served statically (the fake build, so no lab process is involved);
 *  - Library scroll frame time with 100,000 runs (requestAnimationFrame
 *    deltas while the table scrolls continuously);
 *  - live-chart redraw rate during a timed job of the fake client.
 * Also the helpers the screenshot script shares: build, serve, launch.
 * Run alone: `node bin/bundled.mjs bench/renderer.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The CSP PROTOCOL.md asks of the web host: no inline script, no eval, same-origin connections. */
export const RENDERER_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Build the renderer: production into dist/renderer/, or the fake build into dist/renderer-fake/. */
export function buildRenderer(root: string, mode: 'production' | 'fake'): string {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--mode', mode, '--logLevel', 'warn'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vite build --mode ${mode} failed:\n${r.stdout}\n${r.stderr}`);
  return join(root, mode === 'fake' ? 'dist/renderer-fake' : 'dist/renderer');
}

export interface Served {
  url: string;
  close: () => Promise<void>;
}

/** Serve a built renderer folder on 127.0.0.1 with the web host's security headers. */
export async function serveStatic(dir: string): Promise<Served> {
  const rootDir = resolve(dir);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(rootDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(rootDir) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': RENDERER_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PTLAB_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

export interface BundleSize {
  files: { name: string; bytes: number; gzip: number }[];
  bytes: number;
  gzip: number;
}

export function bundleSize(dir: string): BundleSize {
  const files: BundleSize['files'] = [];
  const walk = (d: string, prefix: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${f}/`);
      else {
        const buf = readFileSync(p);
        files.push({ name: `${prefix}${f}`, bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
      }
    }
  };
  walk(dir, '');
  return { files, bytes: files.reduce((n, f) => n + f.bytes, 0), gzip: files.reduce((n, f) => n + f.gzip, 0) };
}

export interface RendererBench {
  bundle: BundleSize;
  firstPaintMs: number;
  /** Navigation start until the Library's first rows are in the DOM. */
  libraryShownMs: number;
  /** The same with 100,000 runs in the (fake) database. */
  libraryShown100kMs: number;
  scroll: { runs: number; frames: number; meanMs: number; p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number; rowsInDom: number };
  liveChartHz: number;
  consoleErrors: string[];
}

// Code that runs in the page, as source text (this file is type-checked for Node, without the DOM).

/** First contentful paint, and now (called when the Library's rows are in the DOM). */
const PAINT_FIGURES = `({
  fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
  shown: performance.now(),
})`;

/**
 * Scroll the run table a fixed distance every frame for 600 frames (a held
 * scrollbar or a fast wheel) and return the frame-to-frame times and the
 * most rows the DOM held at once.
 */
const SCROLL_TABLE = `new Promise((done) => {
  const vp = document.querySelector('[role=grid] [tabindex="0"]');
  const deltas = [];
  let last = 0;
  let rows = 0;
  let n = 0;
  const step = (t) => {
    deltas.push(t - last);
    last = t;
    vp.scrollTop += 173;
    rows = Math.max(rows, vp.querySelectorAll('[role=row]').length);
    if (++n < 600) requestAnimationFrame(step);
    else done({ deltas: deltas.slice(1), rows });
  };
  requestAnimationFrame((t) => {
    last = t;
    requestAnimationFrame(step);
  });
})`;

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

/** Every figure above. Builds both renderer variants first unless `build` is false. */
export async function benchRenderer(root = process.cwd(), opts: { build?: boolean; log?: (s: string) => void } = {}): Promise<RendererBench> {
  const log = opts.log ?? (() => {});
  if (opts.build !== false) {
    log('building the renderer (production and fake)…');
    buildRenderer(root, 'production');
    buildRenderer(root, 'fake');
  }
  const bundle = bundleSize(join(root, 'dist/renderer'));
  const served = await serveStatic(join(root, 'dist/renderer-fake'));
  const browser = await launchChromium();
  const consoleErrors: string[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    const open = async (query: string): Promise<{ fcp: number; shown: number }> => {
      await page.goto(`${served.url}${query}#/library`);
      await page.waitForSelector('[role=grid] [role=row][data-id]', { timeout: 60_000 });
      return page.evaluate<{ fcp: number; shown: number }>(PAINT_FIGURES);
    };
    // The first load warms the disk cache; measure the second, as a user reopening the app would see.
    await open('?runs=300');
    const cold = await open('?runs=300');
    log(`first paint ${cold.fcp.toFixed(0)} ms, Library shown ${cold.shown.toFixed(0)} ms`);
    const big = await open('?runs=100000');
    log(`100,000 runs: Library shown ${big.shown.toFixed(0)} ms`);

    // Scroll the table continuously (a fixed distance per frame, as a held scrollbar or a fast wheel does) and time the frames.
    const scroll = await page.evaluate<{ deltas: number[]; rows: number }>(SCROLL_TABLE);
    const sorted = [...scroll.deltas].sort((a, b) => a - b);
    const mean = scroll.deltas.reduce((a, b) => a + b, 0) / scroll.deltas.length;
    const scrollFig = { runs: 100_000, frames: sorted.length, meanMs: mean, p50Ms: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95), p99Ms: quantile(sorted, 0.99), maxMs: sorted[sorted.length - 1], rowsInDom: scroll.rows };
    log(`scroll: mean ${mean.toFixed(1)} ms/frame (${(1000 / mean).toFixed(0)} fps), p95 ${scrollFig.p95Ms.toFixed(1)} ms, ${scroll.rows} rows in the DOM`);

    // Live chart: start a timed head-to-head job from the Designer and count chart redraws for 3 s.
    await page.goto(`${served.url}?runs=300#/designer?preset=head-to-head`);
    await page.waitForSelector('text=Kernel VA layout', { timeout: 60_000 });
    await page.getByRole('radio', { name: 'timed' }).check({ force: true });
    await page.locator('#run-seeds').fill('2');
    await page.getByRole('button', { name: /▶/ }).click();
    await page.waitForSelector('figure.chart[data-series="vmalloc.ops"]', { timeout: 30_000 });
    const draws = (): Promise<number> => page.evaluate<number>(`Number(document.querySelector('figure.chart[data-series="vmalloc.ops"]')?.getAttribute('data-draws') ?? 0)`);
    const d0 = await draws();
    const t0 = Date.now();
    await page.waitForTimeout(3000);
    const liveChartHz = ((await draws()) - d0) / ((Date.now() - t0) / 1000);
    log(`live chart: ${liveChartHz.toFixed(1)} redraws/s (the fake job reports 10 times a second)`);
    await context.close();
    return { bundle, firstPaintMs: cold.fcp, libraryShownMs: cold.shown, libraryShown100kMs: big.shown, scroll: scrollFig, liveChartHz, consoleErrors };
  } finally {
    await browser.close();
    await served.close();
  }
}

// Run alone (directly, or as bin/bundled.mjs's bundle of this entry), not when bench/run.ts imports it.
if (/[/\\]renderer(-\d+)?\.(ts|mjs)$/.test(fileURLToPath(import.meta.url))) {
  const r = await benchRenderer(process.cwd(), { log: (s) => process.stdout.write(`${s}\n`) });
  process.stdout.write(`${JSON.stringify({ ...r, bundle: { bytes: r.bundle.bytes, gzip: r.bundle.gzip, files: r.bundle.files } }, null, 2)}\n`);
}

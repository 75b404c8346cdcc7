/**
 * What the end-to-end tests share: whether Chromium is here (a plain skip
 * on a developer's machine without it, a failure under CI), `ptlab serve`
 * started as a user starts it (the real CLI on a temporary database, the URL
 * read from its output), a headless Chromium page that records console
 * errors and every request that leaves the served origin, and the
 * screenshots for docs/ (only with PTLAB_SCREENSHOTS=1, so `npm test` never
 * writes into the tree).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../helpers/cli.ts';

export const CHROMIUM = process.env.PTLAB_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
/** Without Chromium the e2e tests skip, except under CI, where they must run. */
export const SKIP_E2E = !HAVE_CHROMIUM && !IN_CI;
export const SHOTS = process.env.PTLAB_SCREENSHOTS === '1';
export const SHOT_DIR = join(ROOT, 'docs', 'screenshots');

if (SKIP_E2E) process.stdout.write(`e2e: skipped: no Chromium at ${CHROMIUM} (set PTLAB_CHROMIUM, or install chromium; under CI=true these tests fail instead)\n`);

/** Called first in each e2e suite: under CI a missing Chromium is a failure, not a skip. */
export function requireChromium(): void {
  if (!HAVE_CHROMIUM) throw new Error(`e2e: no Chromium at ${CHROMIUM}: CI must run the end-to-end tests (install chromium or set PTLAB_CHROMIUM)`);
}

export interface Served {
  /** The printed URL, token included. */
  url: string;
  origin: string;
  port: number;
  token: string;
  /** Everything the server wrote so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** `ptlab serve --db <db> --no-open` on a free port; resolves once it printed its URL. */
export function serve(db: string): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, ['bin/ptlab.mjs', 'serve', '--db', db, '--no-open'], {
    cwd: ROOT,
    env: { ...process.env, PTLAB_DB: db },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (s: string): void => {
      out += s;
      const m = /PT Lab web mode: (http:\/\/127\.0\.0\.1:(\d+))\/\?token=([0-9a-f]{64})/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      resolve({
        url: `${m[1]}/?token=${m[3]}`,
        origin: m[1],
        port: Number(m[2]),
        token: m[3],
        output: () => out,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.once('exit', (code, sig) => reject(new Error(`ptlab serve exited (${code ?? sig}) before printing its URL:\n${out}`)));
  });
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

export interface Watched {
  page: Page;
  /** Console errors and uncaught exceptions, as "type: text". */
  errors: string[];
  /** Requests to anything but `origin` (data: and blob: URLs are local and not counted). */
  foreign: string[];
  /** Every request URL, in order. */
  requests: string[];
  /** WebSockets the page opened. */
  sockets: string[];
}

/** A page at 1440×900 (the screenshots' size) that records errors and requests leaving `origin`. */
export async function watchedPage(context: BrowserContext, origin: string | null): Promise<Watched> {
  const page = await context.newPage();
  const w: Watched = { page, errors: [], foreign: [], requests: [], sockets: [] };
  page.on('console', (m) => m.type() === 'error' && w.errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    w.requests.push(u);
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (origin === null || new URL(u).origin !== origin) w.foreign.push(u);
  });
  page.on('websocket', (ws) => {
    const u = ws.url();
    w.sockets.push(u);
    if (origin === null || new URL(u).host !== new URL(origin).host) w.foreign.push(u);
  });
  return w;
}

export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, colorScheme: 'light', acceptDownloads: true });
}

/** docs/screenshots/<name>.png, only when PTLAB_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOT_DIR, { recursive: true });
  await page.mouse.move(0, 0);
  const path = join(SHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  process.stdout.write(`e2e: wrote ${path}\n`);
}

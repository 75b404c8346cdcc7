/**
 * Web mode's door, tried against the real `ptlab serve` (not the host module
 * in-process): no token → 401, a foreign Host (DNS rebinding) → 403, a
 * WebSocket from a foreign Origin is refused while the app's own origin is
 * let in, and every page carries a CSP without eval or inline script. Then
 * Chromium opens the app and walks every screen: no console error (a CSP
 * violation is one), no request leaving the served origin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launch, newContext, requireChromium, serve, SKIP_E2E, type Served, watchedPage } from './helpers.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let dir: string;
let server: Served;

function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path, headers: { Host: `127.0.0.1:${server.port}`, ...headers }, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens /api/events with these headers: 'open', or the refusal ("Unexpected server response: 403"). */
function openSocket(headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('error', (e) => resolve(e.message));
  });
}

describe.skipIf(SKIP_E2E)('web mode security, against the real server', () => {
  let cookie: string;

  beforeAll(async () => {
    requireChromium();
    dir = mkdtempSync(join(tmpdir(), 'ptlab-e2e-sec-'));
    server = await serve(join(dir, 'lab.db'));
    cookie = `ptlab_session=${server.token}`;
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without the token (page and API), and lets the token in', async () => {
    const page = await get('/');
    expect(page.status).toBe(401);
    expect(page.body).toMatch(/open the URL PT Lab printed/);
    const api = await get('/api/listRuns', { 'Content-Type': 'application/json' }, 'POST', '{"args":[{}]}');
    expect(api.status).toBe(401);
    const wrong = await get(`/?token=${'0'.repeat(64)}`);
    expect(wrong.status).toBe(401);

    const right = await get(`/?token=${server.token}`);
    expect(right.status).toBe(302);
    expect(right.headers['set-cookie']?.[0]).toBe(`ptlab_session=${server.token}; HttpOnly; SameSite=Strict; Path=/`);
    expect((await get('/', { Cookie: cookie })).status).toBe(200);
  });

  it('answers 403 to a foreign Host header, even with the token (DNS rebinding)', async () => {
    for (const host of [`evil.example:${server.port}`, `127.0.0.1.nip.io:${server.port}`, 'localhost:1']) {
      const r = await get('/', { Host: host, Cookie: cookie });
      expect(r.status, host).toBe(403);
      expect(r.headers['access-control-allow-origin'], host).toBeUndefined();
    }
    const api = await get('/api/listRuns', { Host: `evil.example:${server.port}`, Cookie: cookie, 'Content-Type': 'application/json' }, 'POST', '{"args":[{}]}');
    expect(api.status).toBe(403);
    expect((await get('/', { Host: `localhost:${server.port}`, Cookie: cookie })).status).toBe(200);
  });

  it('refuses a WebSocket from a foreign Origin (or none) and accepts the served origin', async () => {
    expect(await openSocket({ Cookie: cookie, Origin: 'http://evil.example' })).toMatch(/403/);
    expect(await openSocket({ Cookie: cookie, Origin: `http://localhost:${server.port + 1}` })).toMatch(/403/);
    expect(await openSocket({ Cookie: cookie })).toMatch(/403/);
    expect(await openSocket({ Origin: server.origin })).toMatch(/401/);
    expect(await openSocket({ Cookie: cookie, Origin: server.origin })).toBe('open');
  });

  it('serves every page with a CSP that allows no eval and no inline script, and the page has none', async () => {
    const r = await get('/', { Cookie: cookie });
    const csp = String(r.headers['content-security-policy'] ?? '');
    expect(csp).not.toBe('');
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(csp).not.toMatch(/unsafe-eval|wasm-unsafe-eval/);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('connect-src')?.every((s) => s === "'self'" || s === `ws://127.0.0.1:${server.port}`)).toBe(true);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    // The built page itself: every script is a file of the app, none inline.
    const scripts = [...r.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      expect(attrs).toMatch(/\bsrc="\.?\/assets\//);
      expect(inline.trim()).toBe('');
    }
    const asset = /src="\.?(\/assets\/[^"]+\.js)"/.exec(r.body)![1];
    const js = await get(asset, { Cookie: cookie });
    expect(js.status).toBe(200);
    expect(js.headers['content-security-policy']).toBe(csp);
  });

  it('loads in Chromium and shows every screen with no console error and no request to another origin', async () => {
    const browser = await launch();
    try {
      const context = await newContext(browser);
      const w = await watchedPage(context, server.origin);
      await w.page.goto(server.url);
      const nav = w.page.getByRole('navigation', { name: 'Screens' });
      await nav.waitFor();
      await w.page.getByText('No saved runs yet').waitFor();
      for (const [name, shows] of [
        ['Designer', 'svg[aria-label^="Kernel virtual address regions"]'],
        ['Live run', 'text=No run in this session yet'],
        ['Compare', 'text=Nothing to compare yet'],
        ['Trace', 'text=Open a trace'],
        ['Export', 'text=Nothing to export yet'],
        ['Library', 'text=No saved runs yet'],
      ] as const) {
        await nav.getByRole('link', { name, exact: true }).click();
        await w.page.locator(shows).first().waitFor();
      }
      // The event socket is up (same origin, cookie): the app talks to nobody else.
      expect(w.sockets).toContain(`ws://127.0.0.1:${server.port}/api/events`);
      expect(w.requests.some((u) => u.startsWith(`${server.origin}/api/`))).toBe(true);
      expect(w.errors, 'console errors').toEqual([]);
      expect(w.foreign, 'requests outside the served origin').toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

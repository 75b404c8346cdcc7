/**
 * Web mode's host as PROTOCOL.md specifies it, over a temporary database:
 * the token and its cookie, the Host and Origin checks (HTTP and WebSocket),
 * the security headers and no CORS, the API's status codes and one-line
 * errors, the 64 MiB body limit, events of a run over the WebSocket, and the
 * static files of the built renderer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LabDb } from '../../db/index.ts';
import type { LabClient, LabEvent } from '../../electron/lab/api.ts';
import { Lab } from '../../electron/lab/lab.ts';
import { startWebHost, type WebHost } from '../../electron/web/server.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string; address?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: opts.address ?? '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { Host: opts.host ?? `127.0.0.1:${port}`, ...opts.headers }, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

let dir: string;
let db: LabDb;
let lab: Lab;
let host: WebHost;
let cookie: string;
const warnings: string[] = [];

const api = (method: string, args: unknown[], extra: Record<string, string> = {}): Promise<Reply> =>
  request(host.port, { method: 'POST', path: `/api/${method}`, headers: { Cookie: cookie, 'Content-Type': 'application/json', ...extra }, body: JSON.stringify({ args }) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ptlab-web-'));
  db = LabDb.open(join(dir, 'lab.db'));
  lab = new Lab({ db, transport: 'web' });
  const renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>PT Lab</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'export const ok = 1;\n');
  writeFileSync(join(dir, 'secret.txt'), 'not for the browser');
  host = await startWebHost({ lab, rendererDir: renderer, warn: (l) => warnings.push(l) });
  cookie = `ptlab_session=${host.token}`;
});

afterAll(async () => {
  await host.close();
  await lab.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('access', () => {
  it('prints a 127.0.0.1 URL with a 256-bit token and listens on loopback only', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token).toMatch(/^[0-9a-f]{64}$/);
    expect(host.addresses[0]).toBe(`127.0.0.1:${host.port}`);
    for (const a of host.addresses) expect(['127.0.0.1', '[::1]']).toContain(a.slice(0, a.lastIndexOf(':')));
    expect(warnings).toEqual([]);
  });

  it('answers 401 without the token, on pages and on the API', async () => {
    const page = await request(host.port, {});
    expect(page.status).toBe(401);
    expect(page.body).toMatch(/open the URL/i);
    const call = await request(host.port, { method: 'POST', path: '/api/appInfo', headers: { 'Content-Type': 'application/json' }, body: '{"args":[]}' });
    expect(call.status).toBe(401);
    const wrong = await request(host.port, { path: `/?token=${'0'.repeat(64)}` });
    expect(wrong.status).toBe(401);
    const forged = await request(host.port, { path: '/', headers: { Cookie: `ptlab_session=${'a'.repeat(64)}` } });
    expect(forged.status).toBe(401);
  });

  it('exchanges the token for an HttpOnly SameSite=Strict cookie and redirects to /', async () => {
    const r = await request(host.port, { path: `/?token=${host.token}` });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/');
    expect(r.headers['set-cookie']).toEqual([`ptlab_session=${host.token}; HttpOnly; SameSite=Strict; Path=/`]);
    const page = await request(host.port, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>PT Lab</title>');
  });

  it('answers 403 to a foreign Host (DNS rebinding), even with the cookie', async () => {
    for (const h of [`evil.example:${host.port}`, `127.0.0.1.evil.example:${host.port}`, `127.0.0.1:${host.port + 1}`, '127.0.0.1']) {
      const r = await request(host.port, { host: h, headers: { Cookie: cookie } });
      expect(r.status, h).toBe(403);
    }
    expect((await request(host.port, { host: `localhost:${host.port}`, headers: { Cookie: cookie } })).status).toBe(200);
  });

  it('answers 403 to a foreign Origin, and accepts the served one', async () => {
    for (const o of ['http://evil.example', `http://localhost:${host.port}`, 'null', `https://127.0.0.1:${host.port}`]) {
      const r = await api('appInfo', [], { Origin: o });
      expect(r.status, o).toBe(403);
    }
    const ok = await api('appInfo', [], { Origin: `http://127.0.0.1:${host.port}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).result).toMatchObject({ transport: 'web', dbPath: db.file });
  });

  it('binds another address only when asked, and warns', async () => {
    const said: string[] = [];
    const other = await startWebHost({ lab, host: '127.0.0.2', rendererDir: join(dir, 'renderer'), warn: (l) => said.push(l) }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRNOTAVAIL') return null;
      throw e;
    });
    if (!other) {
      console.log('[web] 127.0.0.2 is not available here; --host warning not checked');
      return;
    }
    try {
      expect(said.join('\n')).toMatch(/warning: --host 127\.0\.0\.2.*reachable from other machines/);
      expect(other.url).toBe(`http://127.0.0.2:${other.port}/?token=${other.token}`);
      const r = await request(other.port, { address: '127.0.0.2', host: `127.0.0.2:${other.port}`, path: `/?token=${other.token}` });
      expect(r.status).toBe(302);
    } finally {
      await other.close();
    }
  });
});

describe('headers', () => {
  it('sends CSP (no eval, no inline script), nosniff, no-referrer and COOP on pages, files and the API', async () => {
    for (const r of [await request(host.port, { headers: { Cookie: cookie } }), await request(host.port, { path: '/assets/app.js', headers: { Cookie: cookie } }), await api('appInfo', [])]) {
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
      expect(csp).toMatch(/connect-src 'self'/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    }
  });

  it('never sends a CORS header, not even to a preflight', async () => {
    const replies = [
      await request(host.port, { method: 'OPTIONS', path: '/api/appInfo', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } }),
      await request(host.port, { method: 'OPTIONS', path: '/api/appInfo', headers: { Cookie: cookie, Origin: `http://127.0.0.1:${host.port}`, 'Access-Control-Request-Method': 'POST' } }),
      await api('appInfo', [], { Origin: `http://127.0.0.1:${host.port}` }),
      await request(host.port, { headers: { Cookie: cookie } }),
    ];
    for (const r of replies) expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });
});

describe('API', () => {
  it('returns {result} with 200, null for void', async () => {
    const r = await api('presets', []);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect((JSON.parse(r.body) as { result: { name: string }[] }).result.map((p) => p.name)).toContain('thread-race');
    const v = await api('setBaseline', [null]);
    expect(v.status).toBe(200);
    expect(JSON.parse(v.body)).toEqual({ result: null });
  });

  it('answers 404 to an unknown method', async () => {
    const r = await api('nosuch', []);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ error: 'unknown method nosuch' });
    expect((await api('constructor', [])).status).toBe(404);
  });

  it('answers 400 with one line naming the argument path, before the method runs', async () => {
    const r = await api('listRuns', [{ limit: 0 }]);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ error: 'listRuns: args[0].limit: expected an integer ≥ 1, got 0' });
    const before = (await lab.jobs()).length;
    const bad = await api('startRun', [{ scenario: { preset: 'thread-race' }, mode: 'random', seeds: -1 }]);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/^startRun: args\[0\]\.seeds: expected an integer 1\.\.1000000, got -1$/);
    expect((await lab.jobs()).length).toBe(before);
    const notJson = await request(host.port, { method: 'POST', path: '/api/appInfo', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{"args": [' });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error).toMatch(/^request body is not valid JSON/);
    const form = await request(host.port, { method: 'POST', path: '/api/appInfo', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'args=1' });
    expect(form.status).toBe(400);
    const missing = await api('getRun', ['0123abcd']);
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).error).toBe('no run 0123abcd');
    for (const reply of [r, bad, notJson, form, missing]) expect(JSON.parse(reply.body).error).not.toContain('\n');
  });

  it('answers 500 "internal error: …" when a method fails for another reason', async () => {
    const broken = { ...lab, onEvent: lab.onEvent.bind(lab), appInfo: () => Promise.reject(new Error('disk on fire\nsecond line')) } as unknown as LabClient;
    const h = await startWebHost({ lab: broken, rendererDir: join(dir, 'renderer') });
    try {
      const r = await request(h.port, { method: 'POST', path: '/api/appInfo', headers: { Cookie: `ptlab_session=${h.token}`, 'Content-Type': 'application/json' }, body: '{"args":[]}' });
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toEqual({ error: 'internal error: disk on fire second line' });
    } finally {
      await h.close();
    }
  });

  it('takes a body of 64 MiB and refuses one byte more with 413', async () => {
    const limit = 64 * 1024 * 1024;
    const head = '{"args":[],"pad":"';
    const tail = '"}';
    const exact = Buffer.alloc(limit, 'x');
    exact.write(head, 0);
    exact.write(tail, limit - tail.length);
    const ok = await request(host.port, { method: 'POST', path: '/api/appInfo', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: exact });
    expect(ok.status).toBe(200);
    const over = Buffer.concat([exact.subarray(0, limit - tail.length), Buffer.from(`x${tail}`)]);
    const r = await request(host.port, { method: 'POST', path: '/api/appInfo', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: over });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error).toMatch(/64 MiB/);
  });
});

function connect(headers: Record<string, string>, origin?: string): Promise<{ ws: WebSocket; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { headers, ...(origin ? { origin } : {}) });
    ws.on('open', () => resolve({ ws, status: null }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ ws, status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.on('error', () => resolve({ ws, status: -1 }));
  });
}

describe('events WebSocket', () => {
  it('refuses a foreign Origin, a missing Origin and a missing token', async () => {
    expect((await connect({ Cookie: cookie }, 'http://evil.example')).status).toBe(403);
    expect((await connect({ Cookie: cookie })).status).toBe(403);
    expect((await connect({}, `http://127.0.0.1:${host.port}`)).status).toBe(401);
  });

  it('with the served origin and the cookie, receives the events of a run in order', async () => {
    const { ws, status } = await connect({ Cookie: cookie }, `http://127.0.0.1:${host.port}`);
    expect(status).toBeNull();
    const got: LabEvent[] = [];
    const finished = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const e = JSON.parse(String(data)) as LabEvent;
        got.push(e);
        if (e.type === 'job-finished') resolve();
      });
    });
    const r = await api('startRun', [{ scenario: { preset: 'thread-race' }, mode: 'random', seeds: 2, tags: ['web'] }]);
    expect(r.status).toBe(200);
    const job = (JSON.parse(r.body) as { result: { jobId: string } }).result;
    await finished;
    ws.close();
    const mine = got.filter((e) => e.jobId === job.jobId);
    expect(mine[0].type).toBe('job-started');
    expect(mine[mine.length - 1].type).toBe('job-finished');
    expect(mine.filter((e) => e.type === 'job-run').length).toBeGreaterThan(0);
    const page = await api('listRuns', [{ tag: 'web' }]);
    expect(JSON.parse(page.body).result.total).toBe(mine.filter((e) => e.type === 'job-run').length);
  });
});

describe('static files', () => {
  it('serves the build, falls back to index.html for app routes, and nothing outside the folder', async () => {
    const js = await request(host.port, { path: '/assets/app.js', headers: { Cookie: cookie } });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    const route = await request(host.port, { path: '/library', headers: { Cookie: cookie } });
    expect(route.body).toContain('<title>PT Lab</title>');
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/assets/missing.js', '/%00']) {
      const r = await request(host.port, { path: p, headers: { Cookie: cookie } });
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('not for the browser');
    }
  });

  it('without a build, says how to make one', async () => {
    const h = await startWebHost({ lab, rendererDir: join(dir, 'no-such-build') });
    try {
      const r = await request(h.port, { headers: { Cookie: `ptlab_session=${h.token}` } });
      expect(r.status).toBe(200);
      expect(r.body).toContain('npm run build:renderer');
      expect(r.headers['content-security-policy']).toBeTruthy();
    } finally {
      await h.close();
    }
  });
});

/**
 * The ptlab://app protocol handler (web Request -> Response, run here under
 * Node): serves the renderer build with the app's CSP, falls back to
 * index.html for app routes, and never reaches outside the build folder or
 * answers another host.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SCHEME_PRIVILEGES, handleAppRequest } from '../../electron/main/protocol.ts';
import { appCsp } from '../../electron/web/headers.ts';

let dir: string;
let renderer: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ptlab-proto-'));
  renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>PT Lab</title>');
  writeFileSync(join(renderer, 'assets', 'index.js'), 'export {};\n');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  symlinkSync(join(dir, 'secret.txt'), join(renderer, 'assets', 'link.txt'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = (url: string, method = 'GET'): Promise<Response> => handleAppRequest(new Request(url, { method }), renderer);

describe('ptlab://app', () => {
  it('is registered standard and secure, without CSP bypass, CORS or service workers', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ scheme: 'ptlab', privileges: { standard: true, secure: true, bypassCSP: false, corsEnabled: false, allowServiceWorkers: false } });
  });

  it('serves the build with the CSP and nosniff', async () => {
    const r = await get('ptlab://app/');
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>PT Lab</title>');
    expect(r.headers.get('content-security-policy')).toBe(appCsp());
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const js = await get('ptlab://app/assets/index.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await (await get('ptlab://app/library')).text()).toContain('<title>PT Lab</title>');
  });

  it('never serves a file outside the build, nor another host', async () => {
    for (const u of ['ptlab://app/../secret.txt', 'ptlab://app/%2e%2e/secret.txt', 'ptlab://app/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 'ptlab://app/assets/link.txt', 'ptlab://other/index.html', 'ptlab://app/assets/missing.js']) {
      const r = await get(u);
      expect(r.status, u).toBe(404);
      expect(await r.text()).not.toContain('secret');
    }
    expect((await get('ptlab://app/', 'POST')).status).toBe(405);
  });

  it('says how to build the renderer when there is none', async () => {
    const r = await handleAppRequest(new Request('ptlab://app/'), join(dir, 'none'));
    expect(await r.text()).toContain('npm run build:renderer');
  });
});

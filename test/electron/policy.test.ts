/**
 * The desktop app's security decisions (Electron's security checklist), over
 * the plain modules main.ts wires to Electron: window options, CSP, the app
 * URL, navigation, new windows, permissions, <webview>, external links, and
 * IPC sender and argument validation.
 */
import { describe, expect, it } from 'vitest';
import { LAB_METHODS, type LabApi } from '../../electron/lab/api.ts';
import { channelOf, handleIpcCall, type IpcEventLike, type IpcMainLike, type IpcReply, registerIpc } from '../../electron/main/ipc.ts';
import {
  APP_URL,
  isAppUrl,
  isExternalAllowed,
  navigationDecision,
  permissionDecision,
  senderVerdict,
  webviewDecision,
  windowOpenDecision,
  windowOptions,
} from '../../electron/main/policy.ts';
import { appCsp, securityHeaders } from '../../electron/web/headers.ts';

describe('window options', () => {
  const o = windowOptions({ preload: '/app/dist/electron/preload.cjs', bounds: { width: 1200, height: 800 }, devTools: false });
  it('isolate, sandbox and keep Node out of the page, with every web security switch on', () => {
    expect(o.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      devTools: false,
      preload: '/app/dist/electron/preload.cjs',
    });
    expect(o.webPreferences).not.toHaveProperty('enableBlinkFeatures');
    expect(o.webPreferences).not.toHaveProperty('additionalArguments');
    expect(o.show).toBe(false);
  });
});

describe('Content-Security-Policy', () => {
  it('allows scripts from the app only: no eval, no inline script, no remote origin', () => {
    const csp = appCsp();
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-eval|wasm-unsafe-eval|\*|https?:/);
    expect(appCsp({ websocketOrigin: 'ws://127.0.0.1:5000' })).toContain("connect-src 'self' ws://127.0.0.1:5000");
    expect(securityHeaders()['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('navigation, windows, permissions, webviews, external links', () => {
  it('knows the app URL and nothing else as the app', () => {
    expect(isAppUrl(APP_URL)).toBe(true);
    expect(isAppUrl('ptlab://app/assets/index.js')).toBe(true);
    for (const u of ['file:///etc/passwd', 'ptlab://other/', 'https://app/', 'ptlab://user:pw@app/', 'javascript:alert(1)', 'not a url']) expect(isAppUrl(u), u).toBe(false);
  });

  it('denies every navigation and every new window; allow-listed links go to the browser', () => {
    for (const u of ['https://evil.example/', APP_URL, 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(navigationDecision(u).allow, u).toBe(false);
      expect(windowOpenDecision(u).action, u).toBe('deny');
    }
    expect(navigationDecision('https://evil.example/').openExternal).toBeNull();
    const lore = 'https://lore.kernel.org/r/20190913100955.GB55043@arrakis.emea.arm.com';
    expect(windowOpenDecision(lore)).toEqual({ action: 'deny', openExternal: lore });
    expect(navigationDecision(lore)).toEqual({ allow: false, openExternal: lore });
  });

  it('opens externally only https links to the kernel sites on the allow-list', () => {
    for (const u of [
      'https://lore.kernel.org/r/1559121387-674-4-git-send-email-anshuman.khandual@arm.com',
      'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/arch/arm64/mm/mmu.c',
      'https://elixir.bootlin.com/linux/v5.7/source/arch/arm64/mm/mmu.c',
      'https://github.com/torvalds/linux/blob/master/arch/arm64/mm/mmu.c',
    ]) expect(isExternalAllowed(u), u).toBe(true);
    for (const u of [
      'http://lore.kernel.org/r/x',
      'https://lore.kernel.org.evil.example/r/x',
      'https://evil.example/lore.kernel.org',
      'https://user:pw@lore.kernel.org/',
      'https://lore.kernel.org:8443/',
      'https://github.com/evil/repo',
      'file:///etc/passwd',
      'smb://lore.kernel.org/share',
      'javascript:alert(1)',
      'ptlab://app/',
    ]) expect(isExternalAllowed(u), u).toBe(false);
  });

  it('denies every permission request and refuses webviews', () => {
    for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'fullscreen', 'hid', 'serial', 'usb', 'unknown']) {
      expect(permissionDecision(p, APP_URL), p).toBe(false);
    }
    expect(webviewDecision().allow).toBe(false);
  });
});

describe('IPC', () => {
  const calls: unknown[][] = [];
  const lab = new Proxy({} as LabApi, {
    get: (_t, name: string) => async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return name === 'listRuns' ? { rows: [], total: 0 } : null;
    },
  });
  const app: IpcEventLike = { senderFrame: { url: 'ptlab://app/', parent: null } };

  it('serves the app page', async () => {
    expect(await handleIpcCall(lab, 'listRuns', app, [{ limit: 5 }])).toEqual({ ok: true, result: { rows: [], total: 0 } });
    expect(calls.at(-1)).toEqual(['listRuns', { limit: 5 }]);
  });

  it('rejects a foreign sender: another origin, a subframe, a file:// page, a frame that is gone', async () => {
    const before = calls.length;
    for (const frame of [{ url: 'https://evil.example/', parent: null }, { url: 'ptlab://app/', parent: {} }, { url: 'file:///tmp/x.html', parent: null }, { url: '', parent: null }, null]) {
      const r = await handleIpcCall(lab, 'deleteRuns', { senderFrame: frame }, [['a']]);
      expect(r.ok, JSON.stringify(frame)).toBe(false);
      expect(r.ok ? '' : r.error).toMatch(/^deleteRuns: refused: /);
    }
    expect(senderVerdict({ url: 'ptlab://app/', parent: null }).ok).toBe(true);
    expect(calls.length).toBe(before);
  });

  it('rejects a bad argument with one line naming its path, before the method runs', async () => {
    const before = calls.length;
    const r = await handleIpcCall(lab, 'listRuns', app, [{ limit: -1 }]);
    expect(r).toEqual({ ok: false, error: 'listRuns: args[0].limit: expected an integer ≥ 1, got -1' });
    const r2 = await handleIpcCall(lab, 'setNote', app, ['id']);
    expect(r2.ok ? '' : r2.error).toMatch(/^setNote: args\[1\]: missing/);
    const r3 = await handleIpcCall(lab, 'deleteRuns', app, [['x'], 'extra']);
    expect(r3.ok ? '' : r3.error).toBe('deleteRuns: expected at most 1 argument(s), got 2');
    expect(calls.length).toBe(before);
  });

  it('registers exactly one channel per lab method, and nothing generic', () => {
    const channels: string[] = [];
    const ipc: IpcMainLike = { handle: (c) => void channels.push(c), removeHandler: (c) => void channels.splice(channels.indexOf(c), 1) };
    const off = registerIpc(ipc, () => lab);
    expect(channels).toEqual(LAB_METHODS.map((m) => channelOf(m)));
    expect(channels.every((c) => /^ptlab:[a-zA-Z]+$/.test(c))).toBe(true);
    off();
    expect(channels).toEqual([]);
  });

  it('turns an internal failure into "internal error: …" without the stack', async () => {
    const broken = { ...lab, appInfo: () => Promise.reject(new Error('boom\n    at x.js:1')) } as LabApi;
    const r: IpcReply = await handleIpcCall(broken, 'appInfo', app, []);
    expect(r).toEqual({ ok: false, error: 'internal error: boom at x.js:1' });
  });
});

/**
 * `npm start`'s decision (electron/launch.ts): the desktop app where Electron
 * runs, else one line saying why and web mode, with the URL printed. Uses
 * stand-in project roots so the answer does not depend on this machine.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { electronBinary, electronVerdict, startApp } from '../../electron/launch.ts';
import { projectRoot } from '../../electron/web/paths.ts';

const base = mkdtempSync(join(tmpdir(), 'ptlab-launch-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A project root whose node_modules/electron has the given binary script (or none). */
function fakeRoot(name: string, script: string | null, pathTxt = true): string {
  const root = join(base, name);
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"name":"ptlab"}');
  writeFileSync(join(pkg, 'package.json'), '{"name":"electron","version":"45.5.0"}');
  if (pathTxt) writeFileSync(join(pkg, 'path.txt'), 'electron');
  if (script !== null) {
    writeFileSync(join(pkg, 'dist', 'electron'), `#!/bin/sh\n${script}\n`);
    chmodSync(join(pkg, 'dist', 'electron'), 0o755);
  }
  return root;
}

const display = { DISPLAY: ':0' };

describe('can the desktop app open here?', () => {
  it('not without the Electron binary, and says it was never downloaded', () => {
    const root = fakeRoot('never', null, false);
    expect(electronBinary(root, {})).toEqual({ missing: expect.stringMatching(/never downloaded/) });
    const v = electronVerdict({ root, env: display, platform: 'linux' });
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.why).toMatch(/Electron binary was never downloaded/);
  });

  it('not without a display on Linux', () => {
    const v = electronVerdict({ root: fakeRoot('nodisplay', 'echo v45.5.0'), env: {}, platform: 'linux' });
    expect(v.ok ? '' : v.why).toMatch(/no display/);
  });

  it('not when the binary does not start, and says what it printed', () => {
    const v = electronVerdict({ root: fakeRoot('broken', 'echo "error while loading shared libraries: libgtk-3.so.0" >&2; exit 127'), env: display, platform: 'linux' });
    expect(v.ok ? '' : v.why).toBe('the Electron binary does not start (error while loading shared libraries: libgtk-3.so.0)');
  });

  it('yes with a binary that starts and a display', () => {
    const root = fakeRoot('good', 'echo v45.5.0');
    expect(electronVerdict({ root, env: display, platform: 'linux' })).toEqual({ ok: true, binary: join(root, 'node_modules', 'electron', 'dist', 'electron') });
  });
});

describe('npm start without Electron', () => {
  it('says why in one line, serves web mode and prints the URL (no browser under CI)', async () => {
    const root = fakeRoot('web', null, false);
    const out: string[] = [];
    const err: string[] = [];
    const started = await startApp({ root, db: join(base, 'web.db'), env: { CI: 'true' }, out: (l) => out.push(l), err: (l) => err.push(l), rendererDir: join(base, 'no-build') });
    try {
      expect(started.mode).toBe('web');
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^PT Lab: the desktop app cannot open here: the Electron binary was never downloaded .*; serving it in your browser instead \(web mode\)\.$/);
      expect(out).toHaveLength(1);
      const m = /^PT Lab web mode: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=[0-9a-f]{64})$/.exec(out[0]);
      expect(m).not.toBeNull();
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(m![1]);
        request({ host: '127.0.0.1', port: Number(m![2]), path: `${u.pathname}${u.search}` }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(302);
    } finally {
      if (started.mode === 'web') await started.serving.stop();
    }
  });
});

describe('npm start (bin/start.mjs)', () => {
  it('without a display: one line saying why, then web mode at the printed URL; Ctrl-C (SIGTERM) ends it with exit 0', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', PTLAB_DB: join(base, 'start.db'), PTLAB_RENDERER_DIR: join(base, 'no-build') };
    // No display, whatever this machine has: the answer is web mode even where Electron is installed.
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, ['bin/start.mjs'], { cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          stdout += s;
          const m = /PT Lab web mode: (\S+)/.exec(stdout);
          if (m) resolve(m[1]);
        });
        void exited.then((code) => reject(new Error(`npm start exited (${code}) before printing the URL: ${stderr}`)));
      });
      expect(stderr).toMatch(/^PT Lab: the desktop app cannot open here: .*; serving it in your browser instead \(web mode\)\.$/m);
      const u = new URL(url);
      expect(u.hostname).toBe('127.0.0.1');
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: u.hostname, port: Number(u.port), path: `${u.pathname}${u.search}` }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(302);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});

/**
 * The real-Electron smoke test: builds the app, starts the Electron binary
 * on it with PTLAB_SMOKE=1 (main.ts then reports what the page sees of
 * window.ptlab and quits), and checks the page is ptlab://app with the lab
 * API and no Node. It runs only where the Electron binary exists and can
 * open a window; elsewhere it skips and prints one line saying why.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAB_METHODS } from '../../electron/lab/api.ts';
import { electronVerdict } from '../../electron/launch.ts';

const root = join(import.meta.dirname, '..', '..');
const verdict = electronVerdict({ root });
if (!verdict.ok) console.log(`[electron smoke] skipped: ${verdict.why}`);

describe('desktop app (real Electron)', () => {
  it.skipIf(!verdict.ok)('opens ptlab://app with window.ptlab and without Node', async () => {
    if (!verdict.ok) return;
    const { buildElectron } = (await import(pathToFileURL(join(root, 'build', 'build-electron.mjs')).href)) as { buildElectron: (o: { quiet: boolean }) => Promise<string> };
    const dir = await buildElectron({ quiet: true });
    const data = mkdtempSync(join(tmpdir(), 'ptlab-smoke-'));
    try {
      // Chromium refuses to start as root with its sandbox; the smoke test alone turns it off then.
      const args = [join(dir, 'main.mjs'), ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
      const env: NodeJS.ProcessEnv = { ...process.env, PTLAB_SMOKE: '1', PTLAB_DB: join(data, 'smoke.db'), PTLAB_USER_DATA: data };
      delete env.ELECTRON_RUN_AS_NODE;
      const child = spawn(verdict.binary, args, { env });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.resume();
      const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
      const line = stdout.split('\n').find((l) => l.startsWith('PTLAB_SMOKE'));
      expect(line, stdout).toMatch(/^PTLAB_SMOKE \{/);
      const seen = JSON.parse(line!.slice('PTLAB_SMOKE '.length)) as { url: string; methods: string[]; appInfo: { transport: string }; node: string };
      expect(seen.url).toBe('ptlab://app/');
      expect(seen.methods).toEqual([...LAB_METHODS, 'onCommand', 'onEvent'].sort());
      expect(seen.appInfo.transport).toBe('electron');
      expect(seen.node).toBe('undefined');
      expect(code).toBe(0);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

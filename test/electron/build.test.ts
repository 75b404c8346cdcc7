/**
 * Packaging, checked without the Electron binary: the electron-builder
 * configuration is valid for the installed electron-builder and sets the
 * fuses and targets the app needs; the icons exist at the sizes used; and
 * `npm run build:electron`'s bundles are what a sandboxed preload, an ESM
 * main and the worker threads need (the bundled explore worker is run here).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { STRATEGIES } from '../../core/strategies.ts';

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const config = JSON.parse(readFileSync(join(root, 'build', 'electron-builder.json'), 'utf8')) as Record<string, unknown> & {
  electronFuses: Record<string, boolean>;
  asarUnpack: string[];
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
  files: string[];
  extraMetadata: { main: string };
};

describe('electron-builder configuration', () => {
  it('is valid for the installed electron-builder', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (c: unknown, l: unknown) => Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, electronFuses: { runAsNod: false } }, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });

  it('turns off run-as-node and NODE_OPTIONS, loads the app only from an integrity-checked asar', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(config.asar).toBe(true);
  });

  it('unpacks the native module and the workers, and builds AppImage, deb, dmg and nsis', () => {
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', 'dist/electron/*-worker.mjs']));
    expect(config.npmRebuild).toBe(false);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.extraMetadata.main).toBe('dist/electron/main.mjs');
  });

  it('has its icons, square, at the sizes the targets use', () => {
    for (const [file, size] of [['icon.png', 1024], ['512x512.png', 512], ['256x256.png', 256], ['32x32.png', 32]] as const) {
      const png = readFileSync(join(root, 'build', 'icons', file));
      expect(png.subarray(1, 4).toString('latin1'), file).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)], file).toEqual([size, size]);
    }
  });
});

describe('build:electron bundles', () => {
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'ptlab-electron-build-'));
    const { buildElectron } = (await import(pathToFileURL(join(root, 'build', 'build-electron.mjs')).href)) as { buildElectron: (o: { quiet: boolean; outDir: string }) => Promise<string> };
    await buildElectron({ quiet: true, outDir: out });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('preload is one CommonJS file that requires only electron', () => {
    const code = readFileSync(join(out, 'preload.cjs'), 'utf8');
    expect([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(code).not.toMatch(/^import /m);
  });

  it('main imports only electron, better-sqlite3 and Node built-ins', () => {
    const code = readFileSync(join(out, 'main.mjs'), 'utf8');
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(3);
    for (const m of imports) expect(m, m).toMatch(/^(electron|better-sqlite3|node:[a-z_/]+)$/);
    expect(code).toContain("new URL('./workload-worker.mjs', import.meta.url)");
  });

  it('the bundled explore worker searches and reports without the TypeScript loader', async () => {
    const strategy = STRATEGIES.find((s) => s.knobs.freeTables === 'floor-ceiling') ?? STRATEGIES[0];
    const worker = new Worker(join(out, 'explore-worker.mjs'), {
      workerData: { scenarioDoc: findPreset('thread-race')!.doc, strategy, preemptionBound: null, seed: 1, maxSchedules: 50, cancel: new SharedArrayBuffer(4) },
    });
    const reply = await new Promise<{ type: string; result?: { verdict: string; schedules: number } }>((resolve, reject) => {
      worker.on('message', (m: { type: string }) => m.type !== 'progress' && resolve(m));
      worker.on('error', reject);
    });
    await worker.terminate();
    expect(reply.type).toBe('result');
    expect(['safe', 'bounded-safe', 'violation']).toContain(reply.result!.verdict);
    expect(reply.result!.schedules).toBeGreaterThan(0);
  });
});

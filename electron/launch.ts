/**
 * What `npm start` does: open the desktop app where Electron can run here,
 * otherwise say why in one line and serve web mode instead (opening the
 * browser where there is a display, printing the URL either way).
 *
 * Electron can run when its binary is installed (node_modules/electron
 * downloads it at install time; nothing on npm or in Debian ships it for
 * machines that cannot reach its download server), there is a display, and
 * the binary starts. Checking never triggers electron's own download
 * attempt (requiring the `electron` package would).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './web/paths.ts';
import { type ServeOptions, type Serving, serveWebMode, untilSignal } from './web/serve.ts';

export type ElectronVerdict = { ok: true; binary: string } | { ok: false; why: string };

/** The Electron executable node_modules/electron would run, or why there is none. */
export function electronBinary(root: string, env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string } {
  const pkg = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkg, 'package.json'))) return { missing: 'the electron package is not installed' };
  let name: string | null = null;
  try {
    name = readFileSync(join(pkg, 'path.txt'), 'utf8').trim();
  } catch {
    name = null;
  }
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return { path: join(env.ELECTRON_OVERRIDE_DIST_PATH, name || 'electron') };
  if (!name) return { missing: 'the Electron binary was never downloaded (its installer could not reach the download server; nothing on npm or in Debian ships it)' };
  const path = join(pkg, 'dist', name);
  return existsSync(path) ? { path } : { missing: `the Electron binary is missing (${path})` };
}

/** Can the desktop app open here, and if not, why (one clause). */
export function electronVerdict(opts: { root: string; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; probe?: boolean }): ElectronVerdict {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const bin = electronBinary(opts.root, env);
  if ('missing' in bin) return { ok: false, why: bin.missing };
  if (platform !== 'darwin' && platform !== 'win32' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { ok: false, why: 'there is no display for a desktop window (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  if (opts.probe ?? true) {
    const r = spawnSync(bin.path, ['--version'], { env: withoutRunAsNode(env), encoding: 'utf8', timeout: 20_000 });
    if (r.error || r.status !== 0) {
      const detail = (r.error?.message ?? r.stderr ?? '').split('\n').find((l) => l.trim() !== '') ?? `exit status ${r.status}`;
      return { ok: false, why: `the Electron binary does not start (${detail.trim()})` };
    }
  }
  return { ok: true, binary: bin.path };
}

function withoutRunAsNode(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.ELECTRON_RUN_AS_NODE;
  return copy;
}

export interface LaunchOptions extends Omit<ServeOptions, 'out' | 'err'> {
  root?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Skip running `electron --version` (tests). */
  probe?: boolean;
}

export type Started = { mode: 'electron'; exited: Promise<number> } | { mode: 'web'; why: string; serving: Serving };

/** Starts the desktop app or, failing that, web mode; returns what it started. */
export async function startApp(opts: LaunchOptions = {}): Promise<Started> {
  const root = opts.root ?? projectRoot();
  const env = opts.env ?? process.env;
  const out = opts.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = opts.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const verdict = electronVerdict({ root, env, probe: opts.probe });
  if (verdict.ok) {
    const { buildElectron } = (await import(pathToFileURL(join(root, 'build', 'build-electron.mjs')).href)) as { buildElectron: (o: { quiet: boolean }) => Promise<string> };
    const dir = await buildElectron({ quiet: true });
    const child = spawn(verdict.binary, [join(dir, 'main.mjs')], { stdio: 'inherit', env: { ...withoutRunAsNode(env), ...(opts.db ? { PTLAB_DB: opts.db } : {}) } });
    const exited = new Promise<number>((resolve) => {
      child.on('exit', (code) => resolve(code ?? 1));
      child.on('error', () => resolve(1));
    });
    return { mode: 'electron', exited };
  }
  err(`PT Lab: the desktop app cannot open here: ${verdict.why}; serving it in your browser instead (web mode).`);
  const serving = await serveWebMode({ ...opts, env, out, err });
  return { mode: 'web', why: verdict.why, serving };
}

/** `npm start`: runs until the app closes or, in web mode, until Ctrl-C. Returns the exit code. */
export async function launch(opts: LaunchOptions = {}): Promise<number> {
  const started = await startApp(opts);
  if (started.mode === 'electron') return started.exited;
  await untilSignal();
  await started.serving.stop();
  return 0;
}

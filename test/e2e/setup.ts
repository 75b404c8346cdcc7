/**
 * Global setup of the e2e project: the server can only show what is built,
 * so build the renderer (dist/renderer) when it is missing or older than any
 * source it is built from, and bring the CLI build up to date once, before
 * the test files start `ptlab` side by side.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { HAVE_CHROMIUM } from './helpers.ts';

/** The newest modification time under `path` (a file or a folder, recursively). */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const f of readdirSync(path)) t = Math.max(t, newest(join(path, f)));
  return t;
}

export default function setup(): void {
  if (!HAVE_CHROMIUM) return;
  const built = join(ROOT, 'dist', 'renderer', 'index.html');
  // The renderer imports core/ and the API's types, so those count as its sources too.
  const sources = ['renderer/src', 'renderer/public', 'renderer/index.html', 'renderer/vite.config.ts', 'core', 'electron/lab/api.ts'].map((p) => join(ROOT, p)).filter(existsSync);
  if (!existsSync(built) || statSync(built).mtimeMs < sources.map(newest).reduce((a, b) => (b > a ? b : a), 0)) {
    process.stdout.write('e2e: building the renderer (dist/renderer is missing or older than its sources)\n');
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`e2e: vite build failed:\n${r.stdout}\n${r.stderr}`);
  }
  const v = spawnSync(process.execPath, ['bin/ptlab.mjs', '--version'], { cwd: ROOT, encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`e2e: ptlab --version failed:\n${v.stderr}`);
}

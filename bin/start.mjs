#!/usr/bin/env node
// `npm start`: the app. The desktop window where Electron runs here; otherwise
// one line saying why, then web mode (`ptlab serve`): the URL printed, the
// browser opened where there is a display (never under CI). The decision is
// electron/launch.ts's. Web mode runs until Ctrl-C; the database is the
// user's default ($PTLAB_DB, else the user data dir), as for the CLI.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildRenderer, ROOT } from './build.mjs';
import { loadCli } from './load-cli.mjs';

// PTLAB_RENDERER_DIR serves another build of the renderer (a test's, a developer's).
const rendererDir = process.env.PTLAB_RENDERER_DIR || join(ROOT, 'dist', 'renderer');
if (!process.env.PTLAB_RENDERER_DIR && !existsSync(join(rendererDir, 'index.html'))) {
  // A checkout whose `npm install` ran without dev dependencies, or one from before `prepare` built the app.
  const built = await buildRenderer({ quiet: false });
  if (!built) process.stderr.write('PT Lab: the app is not built (dist/renderer) and vite is not installed to build it: run `npm install`, then `npm start`\n');
}

const { launch } = await loadCli();
try {
  process.exitCode = await launch({ root: ROOT, rendererDir });
} catch (e) {
  process.stderr.write(`PT Lab: could not start the app: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
  process.exitCode = 1;
}

// Finds the built CLI and imports it (bin/ptlab.mjs, bin/start.mjs, bin/demo.mjs). Normally
// that is dist/cli.mjs, built once by `npm install` (prepare) or
// `npm run build:cli`. When the sources changed since (a developer's
// checkout), it is rebuilt: into dist/ when the checkout is writable, else
// into the user's cache dir; a read-only install never gets written to.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCli, DIST, ROOT, sourceHash } from './build.mjs';

function builtHash(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')).sourceHash;
  } catch {
    return null;
  }
}

function writable(dir) {
  try {
    accessSync(existsSync(dir) ? dir : ROOT, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** $XDG_CACHE_HOME/ptlab, ~/.cache/ptlab (Library/Caches on macOS, %LOCALAPPDATA% on Windows), else the temp dir. */
function userCacheDir() {
  const home = os.homedir();
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return join(process.env.LOCALAPPDATA, 'ptlab', 'cache');
  if (process.platform === 'darwin') return join(home, 'Library', 'Caches', 'ptlab');
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'ptlab');
  return join(home, '.cache', 'ptlab');
}

async function canBuild() {
  try {
    await import('esbuild');
    return true;
  } catch {
    return false;
  }
}

/** Where builds go when the install cannot be written: the user cache dir, else (no home, as for nobody) the temp dir. */
function elsewhere(hash) {
  return [userCacheDir(), join(os.tmpdir(), `ptlab-${process.getuid?.() ?? 'user'}`)].map((base) => join(base, hash.slice(0, 16)));
}

/** The CLI module ({ main }), from the newest build of these sources. */
export async function loadCli() {
  // Stacks (ptlab --debug) point into the TypeScript sources.
  process.setSourceMapsEnabled(true);
  const dir = await builtDir(sourceHash());
  if (!existsSync(join(dir, 'cli.mjs'))) {
    process.stderr.write('ptlab: the CLI is not built and cannot be built here (esbuild, a dev dependency, is missing): run `npm install` in the PT Lab checkout\n');
    process.exit(70);
  }
  return import(pathToFileURL(join(dir, 'cli.mjs')).href);
}

async function builtDir(hash) {
  if (builtHash(DIST) === hash) return DIST;
  const cached = elsewhere(hash).find((d) => builtHash(d) === hash);
  if (cached) return cached;
  if (!(await canBuild())) {
    if (existsSync(join(DIST, 'cli.mjs'))) process.stderr.write('ptlab: note: dist/ is older than the sources and esbuild is not installed to rebuild it; running the old build\n');
    return DIST;
  }
  if (writable(DIST)) {
    await buildCli(DIST);
    return DIST;
  }
  for (const dir of elsewhere(hash)) {
    try {
      await buildCli(dir, { resolvePackages: true });
      return dir;
    } catch {
      // Not writable either: try the next place.
    }
  }
  return DIST;
}

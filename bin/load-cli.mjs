// Finds the built CLI and imports it (bin/ptlab.mjs, bin/start.mjs). Normally
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

async function build(dir, opts) {
  try {
    await import('esbuild');
  } catch {
    return false;
  }
  await buildCli(dir, opts);
  return true;
}

/** The CLI module ({ main }), from the newest build of these sources. */
export async function loadCli() {
  // Stacks (ptlab --debug) point into the TypeScript sources.
  process.setSourceMapsEnabled(true);
  const hash = sourceHash();
  let dir = DIST;
  if (builtHash(DIST) !== hash) {
    if (writable(DIST) && (await build(DIST))) dir = DIST;
    else {
      const cached = [join(userCacheDir(), hash.slice(0, 16)), join(os.tmpdir(), `ptlab-${process.getuid?.() ?? 'user'}`, hash.slice(0, 16))].find(
        (d) => builtHash(d) === hash,
      );
      if (cached) dir = cached;
      else if (existsSync(join(DIST, 'cli.mjs')) && !(await canBuild())) {
        process.stderr.write('ptlab: note: dist/ is older than the sources and esbuild is not installed to rebuild it; running the old build\n');
      } else {
        dir = await buildElsewhere(hash);
      }
    }
  }
  if (!existsSync(join(dir, 'cli.mjs'))) {
    process.stderr.write('ptlab: the CLI is not built and cannot be built here (esbuild, a dev dependency, is missing): run `npm install` in the PT Lab checkout\n');
    process.exit(70);
  }
  return import(pathToFileURL(join(dir, 'cli.mjs')).href);
}

async function canBuild() {
  try {
    await import('esbuild');
    return true;
  } catch {
    return false;
  }
}

/** A build of these sources outside the (read-only) install: the user cache dir, or the temp dir without a home. */
async function buildElsewhere(hash) {
  for (const base of [userCacheDir(), join(os.tmpdir(), `ptlab-${process.getuid?.() ?? 'user'}`)]) {
    const dir = join(base, hash.slice(0, 16));
    try {
      if (await build(dir, { resolvePackages: true })) return dir;
    } catch {
      // Not writable either: try the next place.
    }
  }
  return DIST;
}

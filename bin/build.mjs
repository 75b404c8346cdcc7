// Builds the ptlab CLI once into dist/ (`npm run build:cli`; `npm install`
// runs it through `prepare`, which also builds the app's renderer into
// dist/renderer so that `npm install && npm start` opens it): esbuild bundles
// with source maps, the CLI and its workers, with node_modules packages left
// external. The
// command then runs these files and never writes to the install, so a user
// who cannot write it (a root-owned or system-wide checkout) can run ptlab.
// dist/build.json records a hash of the sources it was built from;
// bin/load-cli.mjs rebuilds when they change (a developer's checkout).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');

/** The folders whose TypeScript the CLI bundle is built from. */
const SOURCE_DIRS = ['core', 'db', 'electron'];
const ENTRIES = [
  { entry: 'electron/cli/main.ts', out: 'cli.mjs' },
  // Beside the CLI: worker-source.ts finds it as ./workload-worker.mjs next to the bundle.
  { entry: 'electron/lab/workload-worker.ts', out: 'workload-worker.mjs' },
  // Likewise for explore jobs (explore-runner.ts).
  { entry: 'electron/lab/explore-worker.ts', out: 'explore-worker.mjs' },
  // And the simulator pool's workers (sim-pool.ts).
  { entry: 'electron/lab/sim-worker.ts', out: 'sim-worker.mjs' },
];

function sourceFiles(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** A hash of every source file (path and content) and package.json: what a build is a build of. */
export function sourceHash(root = ROOT) {
  const h = createHash('sha256');
  const files = SOURCE_DIRS.flatMap((d) => sourceFiles(join(root, d), [])).sort();
  for (const f of [...files, join(root, 'package.json')]) {
    h.update(relative(root, f).split(sep).join('/'));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/**
 * Builds into `outDir`. `resolvePackages` (for a build outside the checkout,
 * e.g. the user cache dir) turns each package import into an absolute URL of
 * this checkout's node_modules, since Node looks for packages next to the file.
 */
export async function buildCli(outDir = DIST, { resolvePackages = false } = {}) {
  const { build } = await import('esbuild');
  const hash = sourceHash();
  // Build beside the target and rename into place: a process starting meanwhile never loads half a file.
  const tmp = `${outDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const packagesPlugin = {
    name: 'absolute-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        // This file sits in the checkout's bin/, so packages resolve from its node_modules.
        return { path: import.meta.resolve(args.path), external: true };
      });
    },
  };
  try {
    for (const { entry, out } of ENTRIES) {
      await build({
        entryPoints: [join(ROOT, entry)],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: true,
        outfile: join(tmp, out),
        logLevel: 'error',
        ...(resolvePackages ? { plugins: [packagesPlugin] } : { packages: 'external' }),
      });
    }
    writeFileSync(join(tmp, 'build.json'), `${JSON.stringify({ sourceHash: hash, builtAt: new Date().toISOString() }, null, 2)}\n`);
    mkdirSync(outDir, { recursive: true });
    // build.json last: it is what says the rest is complete.
    for (const name of [...ENTRIES.flatMap(({ out }) => [out, `${out}.map`]), 'build.json']) renameSync(join(tmp, name), join(outDir, name));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return hash;
}

/**
 * Builds the renderer (vite, renderer/vite.config.ts) into dist/renderer.
 * Returns false, building nothing, when vite (a dev dependency) is missing.
 */
export async function buildRenderer({ quiet = true } = {}) {
  let vite;
  try {
    vite = await import('vite');
  } catch {
    return false;
  }
  const t0 = performance.now();
  await vite.build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), mode: 'production', logLevel: quiet ? 'error' : 'warn' });
  process.stderr.write(`ptlab: built the app (renderer) into ${relative(process.cwd(), join(DIST, 'renderer')) || '.'} in ${Math.round(performance.now() - t0)} ms\n`);
  return true;
}

// `node bin/build.mjs [--prepare]`. Under `prepare` (npm install) a missing esbuild,
// as with `npm install --omit=dev`, is a note rather than a failed install.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const prepare = process.argv.includes('--prepare');
  try {
    await import('esbuild');
  } catch {
    process.stderr.write(`ptlab: esbuild (a dev dependency) is not installed, so the CLI was not built into dist/${prepare ? '' : '; run npm install first'}\n`);
    process.exit(prepare ? 0 : 1);
  }
  const t0 = performance.now();
  await buildCli();
  process.stderr.write(`ptlab: built the CLI into ${relative(process.cwd(), DIST) || '.'} in ${Math.round(performance.now() - t0)} ms\n`);
  if (prepare && !(await buildRenderer())) process.stderr.write('ptlab: vite (a dev dependency) is not installed, so the app was not built into dist/renderer\n');
}

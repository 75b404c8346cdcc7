// Runs a TypeScript entry point as one esbuild bundle (node_modules packages
// stay external). The simulator's hot loop runs about a third faster bundled
// than through a per-file loader, so the benchmarks use this (a development
// tool: it needs esbuild and writes node_modules/.cache); tests import the
// sources directly, and the ptlab command runs the build in dist/ (build.mjs).
// The worker threads (workload generator, simulator pool, explore) are
// bundled beside the entry as bin/build.mjs bundles them beside the CLI, so a
// benchmark's threads run the code the product runs, not TypeScript loaded
// file by file through tsx. Everything is rebuilt on every start (tens of
// milliseconds, in parallel), so it can never be stale; the folder is removed
// when the process exits.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** The worker threads the lab service starts, by the file name their URLs expect beside the workload worker. */
const WORKERS = [
  ['electron/lab/workload-worker.ts', 'workload-worker.mjs'],
  ['electron/lab/sim-worker.ts', 'sim-worker.mjs'],
  ['electron/lab/explore-worker.ts', 'explore-worker.mjs'],
];

/** Bundle `entry` (relative to the project root) and its worker threads, and import it; returns the module. */
export async function importBundled(entry) {
  const outDir = join(root, 'node_modules', '.cache', 'ptlab', `run-${process.pid}`);
  mkdirSync(outDir, { recursive: true });
  process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' };
  const outfile = join(outDir, `${basename(entry, '.ts')}.mjs`);
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(root, entry)],
      outfile,
      define: { __PTLAB_WORKER_URL__: JSON.stringify(pathToFileURL(join(outDir, 'workload-worker.mjs')).href) },
    }),
    // A bundled worker finds its siblings (the explore worker's task threads) beside its own URL.
    ...WORKERS.map(([src, out]) => build({ ...common, entryPoints: [join(root, src)], outfile: join(outDir, out) })),
  ]);
  return import(pathToFileURL(outfile).href);
}

// `node bin/bundled.mjs <entry.ts> [args…]`: run an entry that does its work on import.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2]) {
  const entry = process.argv[2];
  process.argv.splice(2, 1);
  await importBundled(entry);
}

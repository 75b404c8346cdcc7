// Runs a TypeScript entry point as one esbuild bundle (node_modules packages
// stay external). The simulator's hot loop runs about a third faster bundled
// than through a per-file loader, so the benchmarks use this (a development
// tool: it needs esbuild and writes node_modules/.cache); tests import the
// sources directly, and the ptlab command runs the build in dist/ (build.mjs).
// The bundle is rebuilt on every start (tens of milliseconds), so it can never be stale.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Bundle `entry` (relative to the project root) and import it; returns the module. */
export async function importBundled(entry) {
  const outDir = join(root, 'node_modules', '.cache', 'ptlab');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${basename(entry, '.ts')}-${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'error',
    define: { __PTLAB_WORKER_URL__: JSON.stringify(pathToFileURL(join(root, 'electron', 'lab', 'workload-worker.mjs')).href) },
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    // The module is loaded; the file is not needed any more.
    (await import('node:fs')).rmSync(outfile, { force: true });
  }
}

// `node bin/bundled.mjs <entry.ts> [args…]`: run an entry that does its work on import.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2]) {
  const entry = process.argv[2];
  process.argv.splice(2, 1);
  await importBundled(entry);
}

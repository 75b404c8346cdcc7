// `npm run build:electron`: bundles the desktop app's main process, preload
// and worker threads into dist/electron/ with esbuild.
//   main.mjs              ESM main (Electron >= 28), everything bundled except
//                         electron and better-sqlite3 (a native module)
//   preload.cjs           CommonJS: a sandboxed preload can only require('electron')
//   explore-worker.mjs,   the worker threads, self-contained; the main bundle finds
//   workload-worker.mjs,  them beside itself (in app.asar.unpacked when packaged:
//   sim-worker.mjs        worker threads cannot start from inside an asar archive)
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

const WORKER_URL_BANNER = [
  "import { createRequire as __ptlabCreateRequire } from 'node:module';",
  // Bundled CommonJS dependencies call require() for Node built-ins.
  'const require = __ptlabCreateRequire(import.meta.url);',
  "const __ptlabWorkerUrl = new URL('./workload-worker.mjs', import.meta.url).href.replace('/app.asar/', '/app.asar.unpacked/');",
].join('\n');

/** Builds dist/electron (or `outDir`); returns the output folder. */
export async function buildElectron({ quiet = false, outDir = join(root, 'dist', 'electron') } = {}) {
  const out = outDir;
  const common = { bundle: true, platform: 'node', target: 'node22', logLevel: quiet ? 'error' : 'warning', sourcemap: 'linked', legalComments: 'none' };
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(root, 'electron/main/main.ts')],
      format: 'esm',
      outfile: join(out, 'main.mjs'),
      external: ['electron', 'better-sqlite3'],
      banner: { js: WORKER_URL_BANNER },
      define: { __PTLAB_WORKER_URL__: '__ptlabWorkerUrl' },
    }),
    build({ ...common, entryPoints: [join(root, 'electron/preload.ts')], format: 'cjs', outfile: join(out, 'preload.cjs'), external: ['electron'] }),
    build({ ...common, entryPoints: [join(root, 'electron/lab/explore-worker.ts')], format: 'esm', outfile: join(out, 'explore-worker.mjs') }),
    build({ ...common, entryPoints: [join(root, 'electron/lab/workload-worker.ts')], format: 'esm', outfile: join(out, 'workload-worker.mjs') }),
    build({ ...common, entryPoints: [join(root, 'electron/lab/sim-worker.ts')], format: 'esm', outfile: join(out, 'sim-worker.mjs') }),
  ]);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = await buildElectron();
  process.stdout.write(`built ${dir}\n`);
}

// Worker bootstrap under vitest and the CLI bundle: load the TypeScript
// worker through tsx's loader (as workload-worker.mjs does). The builds
// (bin/build.mjs, build/build-electron.mjs) bundle sim-worker.ts to a file
// of this name instead.
import { register } from 'tsx/esm/api';

register();
await import('./sim-worker.ts');

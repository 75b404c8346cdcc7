// Worker bootstrap under vitest and the CLI bundle: load the TypeScript
// worker through tsx's loader (as workload-worker.mjs does). The Electron
// build bundles explore-worker.ts to a file of this name instead.
import { register } from 'tsx/esm/api';

register();
await import('./explore-worker.ts');

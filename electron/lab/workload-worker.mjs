// Worker bootstrap: load the TypeScript worker through tsx's loader (Node
// does not pass --import loaders to worker threads reliably on Node 20).
import { register } from 'tsx/esm/api';

register();
await import('./workload-worker.ts');

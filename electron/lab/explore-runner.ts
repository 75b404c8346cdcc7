/**
 * The main-thread side of the explore worker: starts one search in its own
 * worker thread, forwards its progress, and cancels it through a shared flag
 * (the search stops at its next clock check and returns what it has). A
 * search that does not answer the flag within a grace period is terminated.
 */
import { Worker } from 'node:worker_threads';
import type { ExploreResult } from '../../core/explore/index.ts';
import type { ExploreWorkerInit, ExploreWorkerProgress, ExploreWorkerReply } from './explore-worker.ts';

/** Set by bin/bundled.mjs (and the Electron build) to the workload worker's URL; the explore worker sits beside it. */
declare const __PTLAB_WORKER_URL__: string | undefined;

export function exploreWorkerUrl(): URL {
  return typeof __PTLAB_WORKER_URL__ === 'string' ? new URL('./explore-worker.mjs', __PTLAB_WORKER_URL__) : new URL('./explore-worker.mjs', import.meta.url);
}

/** How long a cancelled search may take to notice the flag before its thread is terminated. */
const CANCEL_GRACE_MS = 5000;

export interface ExploreOutcome {
  /** null when the search had to be terminated before it could report. */
  result: ExploreResult | null;
  cancelled: boolean;
}

export function runExploreInWorker(
  init: Omit<ExploreWorkerInit, 'cancel'>,
  hooks: { onProgress?: (p: ExploreWorkerProgress) => void; signal?: AbortSignal } = {},
): Promise<ExploreOutcome> {
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const worker = new Worker(exploreWorkerUrl(), { workerData: { ...init, cancel } satisfies ExploreWorkerInit });
  return new Promise<ExploreOutcome>((resolve, reject) => {
    let settled = false;
    let killTimer: NodeJS.Timeout | null = null;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      f();
      void worker.terminate();
    };
    const onAbort = (): void => {
      Atomics.store(flag, 0, 1);
      killTimer = setTimeout(() => finish(() => resolve({ result: null, cancelled: true })), CANCEL_GRACE_MS);
    };
    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: ExploreWorkerReply) => {
      if (m.type === 'progress') hooks.onProgress?.(m);
      else if (m.type === 'result') finish(() => resolve({ result: m.result, cancelled: m.cancelled }));
      else finish(() => reject(new Error(m.message)));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => (hooks.signal?.aborted ? resolve({ result: null, cancelled: true }) : reject(new Error(`explore worker exited with code ${code}`)))));
  });
}

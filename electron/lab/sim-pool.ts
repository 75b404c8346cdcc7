/**
 * A small pool of simulator worker threads (sim-worker.ts) for the runs of
 * one request — multi-seed runs, head-to-head's strategies, sweep points,
 * scaling's thread counts. Each run is one task; a worker takes the next
 * task as soon as it finishes one, so the cores stay busy however unequal
 * the runs are. A run's result does not depend on which thread ran it or
 * when (core is deterministic and each worker builds its own machine), so
 * the results are the bytes a sequential run gives; the caller reports
 * them in task order.
 *
 * Small and specific rather than a pool library: tasks are few (tens), each
 * long (milliseconds to seconds), and the workers live only for one
 * request, so there is no queueing, idle-timeout or resizing to get right.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RunResult } from '../../core/results.ts';
import type { SimTask, SimWorkerInit, SimWorkerProgress, SimWorkerReply, SimWorkerRequest } from './sim-worker.ts';

/** Set by bin/bundled.mjs (and the Electron build) to the workload worker's URL; the simulator worker sits beside it. */
declare const __PTLAB_WORKER_URL__: string | undefined;

export function simWorkerUrl(): URL {
  return typeof __PTLAB_WORKER_URL__ === 'string' ? new URL('./sim-worker.mjs', __PTLAB_WORKER_URL__) : new URL('./sim-worker.mjs', import.meta.url);
}

/** Threads a pool uses by default: one per core. */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism());
}

export interface PoolOptions {
  /** Worker threads (at most one per task is started). */
  size: number;
  chunkSteps: number;
  /** Progress posts per run at most this often (0: none). */
  progressMs?: number;
  /** The worker script (tests and the benchmark may point at a bundled build). */
  url?: URL;
  signal?: AbortSignal;
  onProgress?: (index: number, p: SimWorkerProgress) => void;
  /** Each finished task, in the order tasks finish. */
  onDone?: (index: number, out: PooledRun) => void;
}

export interface PooledRun {
  result: RunResult;
  wallMs: number;
  cancelled: boolean;
}

/**
 * Runs every task on up to `size` workers; resolves with the outcomes by
 * task index (null: not started because the signal aborted first). Rejects
 * with the first task's error; the other workers are then stopped.
 */
export async function runPooled(tasks: readonly SimTask[], opts: PoolOptions): Promise<(PooledRun | null)[]> {
  const out: (PooledRun | null)[] = tasks.map(() => null);
  if (tasks.length === 0) return out;
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const init: SimWorkerInit = { cancel, chunkSteps: opts.chunkSteps, progressMs: opts.progressMs ?? 0 };
  const size = Math.max(1, Math.min(opts.size, tasks.length));
  const workers: Worker[] = [];
  let next = 0;
  const onAbort = (): void => {
    Atomics.store(flag, 0, 1);
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        Atomics.store(flag, 0, 1);
        reject(e);
      };
      const feed = (w: Worker): boolean => {
        if (failed || next >= tasks.length || Atomics.load(flag, 0) === 1) return false;
        const id = next++;
        running++;
        w.postMessage({ type: 'run', id, task: tasks[id] } satisfies SimWorkerRequest);
        return true;
      };
      const settle = (): void => {
        if (!failed && running === 0 && (next >= tasks.length || Atomics.load(flag, 0) === 1)) resolve();
      };
      for (let i = 0; i < size; i++) {
        const w = new Worker(opts.url ?? simWorkerUrl(), { workerData: init });
        workers.push(w);
        w.on('message', (m: SimWorkerReply) => {
          if (m.type === 'progress') {
            try {
              opts.onProgress?.(m.id, m);
            } catch (e) {
              fail(e as Error);
            }
            return;
          }
          running--;
          if (m.type === 'error') return fail(new Error(m.message));
          out[m.id] = { result: m.result, wallMs: m.wallMs, cancelled: m.cancelled };
          try {
            opts.onDone?.(m.id, out[m.id]!);
          } catch (e) {
            return fail(e as Error);
          }
          if (!feed(w)) settle();
        });
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (running > 0) fail(new Error(`simulator worker exited with code ${code}`));
        });
        feed(w);
      }
      settle();
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}

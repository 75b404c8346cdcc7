/**
 * The explore worker thread: runs core/explore/index.ts's `explore()` (synchronous,
 * possibly for minutes) off the main thread, posting throttled progress and
 * then the result.
 *
 * Cancellation without a hook in core: explore() stops when its clock passes
 * its deadline, so the worker always gives it a finite deadline and a clock
 * that jumps far past it once the main thread sets the shared cancel flag.
 * The search then ends as if its time limit were hit (the partial result is
 * kept and saved as cancelled); the elapsed time and the reported time bound
 * are put back to the true values here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { explore, type ExploreResult } from '../../core/explore/index.ts';
import type { ViolationKind } from '../../core/results.ts';
import { parseScenario } from '../../core/scenario.ts';
import type { Strategy } from '../../core/strategies.ts';

export interface ExploreWorkerInit {
  scenarioDoc: unknown;
  strategy: Strategy;
  maxSchedules?: number;
  timeLimitMs?: number;
  preemptionBound: number | null;
  seed: number;
  kinds?: ViolationKind[];
  /** Int32Array over it: [0] = 1 asks the search to stop. */
  cancel: SharedArrayBuffer;
}

export interface ExploreWorkerProgress {
  type: 'progress';
  schedules: number;
  states: number;
  steps: number;
  elapsedMs: number;
  round: number;
}

export type ExploreWorkerReply = ExploreWorkerProgress | { type: 'result'; result: ExploreResult; cancelled: boolean } | { type: 'error'; message: string };

/** A deadline no real search reaches (about 30 years), so that the cancel jump always passes it. */
const FAR_DEADLINE_MS = 1e12;
const JUMP_MS = 1e15;
const PROGRESS_EVERY_MS = 100;

const init = workerData as ExploreWorkerInit;
const flag = new Int32Array(init.cancel);
const port = parentPort!;

function run(): void {
  const scenario = parseScenario(init.scenarioDoc);
  const t0 = performance.now();
  let lastPost = -Infinity;
  const now = (): number => performance.now() + (Atomics.load(flag, 0) === 1 ? JUMP_MS : 0);
  const result = explore(scenario, init.strategy, {
    maxSchedules: init.maxSchedules,
    timeLimitMs: init.timeLimitMs ?? FAR_DEADLINE_MS,
    preemptionBound: init.preemptionBound,
    seed: init.seed,
    kinds: init.kinds,
    now,
    onProgress: (p) => {
      const t = performance.now();
      if (t - lastPost < PROGRESS_EVERY_MS) return;
      lastPost = t;
      port.postMessage({ type: 'progress', schedules: p.schedules, states: p.states, steps: p.steps, elapsedMs: t - t0, round: p.round } satisfies ExploreWorkerProgress);
    },
  });
  const cancelled = Atomics.load(flag, 0) === 1;
  result.elapsedMs = Math.round((performance.now() - t0) * 1000) / 1000;
  result.bounds.timeLimitS = init.timeLimitMs === undefined ? null : init.timeLimitMs / 1000;
  if (cancelled) result.stats.cutBy = result.stats.cutBy.filter((c) => c !== 'timeLimit');
  port.postMessage({ type: 'result', result, cancelled } satisfies ExploreWorkerReply);
}

try {
  run();
} catch (e) {
  port.postMessage({ type: 'error', message: (e as Error).message } satisfies ExploreWorkerReply);
}
